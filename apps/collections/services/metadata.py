"""Cleaning and comparing photograph metadata: the one place that knows what a valid
Dublin Core record is. Used by ingest, edits (API, portal, admin) and CSV import alike."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.core.exceptions import ValidationError
from edtf import parse_edtf, struct_time_to_date, text_to_edtf
from edtf.parser.edtf_exceptions import EDTFParseException

from ..models import MetadataChange, Photograph, RightsStatement
from .csv_columns import SUBJECT_SEPARATOR

# Fields a person may edit; everything else on Photograph is written by ingest or derived.
EDITABLE_FIELDS = (
    "identifier", "title", "creator", "date", "description", "subjects", "place",
    "source", "language", "format", "rights_uri", "rights_note", "extra_metadata", "embargo_until",
)
_TEXT_FIELDS = ("identifier", "title", "creator", "description", "place", "source", "language", "format", "rights_note")
_YEAR_RANGE = re.compile(r"^\s*(\d{4})\s*[-–]\s*(\d{4})\s*$")
_EDTF_EXAMPLES = "e.g. 1920-05-03, 1920~ (circa 1920), 192X (the 1920s), 1914/1918"


# A fully specified calendar date inside an EDTF string (also inside intervals and sets).
_CALENDAR_DATE = re.compile(r"(?<![\dXY])(-?\d{4})-(\d{2})-(\d{2})(?![\dX])")
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
NO_RANGE_OUTSIDE_YEARS = "Dates outside the years 1–9999 are kept as written but have no date range, so date filters and date order leave them out."
NO_RANGE_UNSPECIFIED_YEAR = "The year is unspecified (XXXX), so the date has no range; date filters and date order leave it out."


def _is_calendar_date(year: int, month: int, day: int) -> bool:
    # Proleptic Gregorian with astronomical years, as EDTF (ISO 8601) counts them.
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1] + (month == 2 and leap)


def _edtf_parse(value: str):
    """(EDTF text, parsed EDTF or None for a blank value); ValidationError for anything that
    is not EDTF, not a calendar date, or a phrasing that names no year."""
    text = (value or "").strip()
    if not text:
        return "", None
    try:
        parsed = parse_edtf(text)
    except EDTFParseException:
        parsed = None
        year_range = _YEAR_RANGE.match(text)
        if year_range:
            candidate = f"{year_range.group(1)}/{year_range.group(2)}"
        elif re.search(r"[a-wyz]", text, re.IGNORECASE):
            # Words, not EDTF: let the edtf package's natural-language parser try, but only
            # keep what names a year ("the 19th" would become any year's 19th day).
            candidate = text_to_edtf(text)
            if candidate and "XXXX" in candidate:
                candidate = None
        else:
            candidate = None
        if candidate:
            try:
                parsed = parse_edtf(candidate)
            except EDTFParseException:
                parsed = None
        if parsed is None:
            raise ValidationError({"date": f'"{text}" is not a date in EDTF ({_EDTF_EXAMPLES}).'}) from None
    # EDTF separates set members with a bare comma; the package writes ", ".
    normalized = str(parsed).replace(", ", ",")
    for match in _CALENDAR_DATE.finditer(normalized):
        if not _is_calendar_date(*(int(group) for group in match.groups())):
            raise ValidationError({"date": f'"{match.group(0)}" is not a day of the calendar.'})
    return normalized, parsed


def edtf_normalize(value: str) -> tuple[str, dt.date | None, dt.date | None]:
    """Return (EDTF text, lower bound, upper bound) for a date written in EDTF or in a few
    common phrasings ("circa 1920", "1920s", "June 1920", "1914-1918").

    Only real EDTF with real calendar days is accepted. Bounds are EDTF's fuzzy bounds, so
    "1920~" spans 1919–1921 and a date range search finds approximate dates near its edges;
    open interval ends have no bound (None). A valid date without any bound says why in
    `edtf_range_note`.
    """
    text, parsed = _edtf_parse(value)
    if parsed is None or edtf_range_note(text):
        return text, None, None
    lower = _bound(parsed, "lower_fuzzy")
    upper = _bound(parsed, "upper_fuzzy")
    if lower and upper and lower > upper:
        raise ValidationError({"date": f'"{text}" ends before it starts.'})
    return text, lower, upper


def edtf_range_note(value: str) -> str:
    """Why a valid EDTF date has no date range ("" when it has one, or is blank)."""
    text, parsed = _edtf_parse(value)
    if parsed is None:
        return ""
    if "XXXX" in text:
        return NO_RANGE_UNSPECIFIED_YEAR
    if _bound(parsed, "lower_fuzzy") is None and _bound(parsed, "upper_fuzzy") is None:
        return NO_RANGE_OUTSIDE_YEARS
    return ""


def _bound(parsed, method: str) -> dt.date | None:
    try:
        return struct_time_to_date(getattr(parsed, method)())
    except (TypeError, ValueError, OverflowError):
        # Open interval ends ("1850/..") and years outside 1–9999 have no date bound.
        return None


def rights_normalize(value: str) -> str:
    """Accept a RightsStatements.org / Creative Commons URI with small spelling variations."""
    text = (value or "").strip()
    if not text:
        return RightsStatement.COPYRIGHT_NOT_EVALUATED
    candidate = text if text.endswith("/") else text + "/"
    if "rightsstatements.org" in candidate:
        candidate = candidate.replace("https://", "http://").replace("/page/", "/vocab/")
    if "creativecommons.org" in candidate:
        candidate = candidate.replace("http://", "https://")
    if candidate not in RightsStatement.values:
        raise ValidationError({"rights_uri": f'"{text}" is not one of the accepted rights statements (RightsStatements.org, CC0 or the Public Domain Mark).'})
    return candidate


def subjects_normalize(value: Any) -> list[str]:
    """A list of terms or one string with terms separated by "|"; blanks and repeats dropped.
    A listed term may not contain "|": CSV, the portal and the admin separate terms with it, so
    such a term would not come back from an export as itself."""
    if value is None:
        return []
    if isinstance(value, str):
        terms = value.split(SUBJECT_SEPARATOR)
    elif isinstance(value, (list, tuple)):
        terms = [str(term) for term in value]
        for term in terms:
            if SUBJECT_SEPARATOR in term:
                raise ValidationError({"subjects": (
                    f'The term "{term[:40]}" contains "{SUBJECT_SEPARATOR}", which separates subject terms (in CSV, the portal '
                    f'and the admin); give it as separate terms or write it without "{SUBJECT_SEPARATOR}".'
                )})
    else:
        raise ValidationError({"subjects": "Give a list of terms or terms separated by '|'."})
    cleaned: list[str] = []
    for term in terms:
        term = " ".join(term.split())
        if len(term) > 200:
            raise ValidationError({"subjects": f'The term "{term[:40]}…" is longer than 200 characters.'})
        if term and term not in cleaned:
            cleaned.append(term)
    return cleaned


def embargo_normalize(value) -> dt.date | None:
    """An embargo date: a date, an ISO date text, or empty (no embargo)."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({"embargo_until": f'"{value}" is not a date (YYYY-MM-DD).'}) from None


def photograph_metadata_clean(data: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise the given metadata fields (only those present). Adds
    `date_lower`/`date_upper` when `date` is given. Raises ValidationError naming each bad field."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {name: ["Unknown or read-only field."] for name in sorted(set(data) - set(EDITABLE_FIELDS))}
    for name, value in data.items():
        try:
            if name in _TEXT_FIELDS:
                text = "" if value is None else str(value).strip()
                limit = Photograph._meta.get_field(name).max_length
                if limit and len(text) > limit:
                    raise ValidationError({name: f"At most {limit} characters (got {len(text)})."})
                if name == "identifier" and not text:
                    raise ValidationError({name: "An identifier is required."})
                cleaned[name] = text
            elif name == "date":
                cleaned["date"], cleaned["date_lower"], cleaned["date_upper"] = edtf_normalize(value)
            elif name == "subjects":
                cleaned[name] = subjects_normalize(value)
            elif name == "rights_uri":
                cleaned[name] = rights_normalize(value)
            elif name == "embargo_until":
                cleaned[name] = embargo_normalize(value)
            elif name == "extra_metadata":
                if not isinstance(value, dict):
                    raise ValidationError({name: "Must be a JSON object."})
                cleaned[name] = value
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def value_as_text(value: Any) -> str:
    """How a field value is written in history rows and CSV cells."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " | ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def photograph_metadata_diff(photograph: Photograph, cleaned: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{field: (old, new)} for the editable fields whose cleaned value differs."""
    return {
        name: (getattr(photograph, name), value)
        for name, value in cleaned.items()
        if name in EDITABLE_FIELDS and getattr(photograph, name) != value
    }


def history_rows(*, changes: dict[str, tuple[Any, Any]], user, source: str, photograph=None, collection=None) -> list[MetadataChange]:
    """Unsaved MetadataChange rows for a diff (the caller bulk-creates them in its transaction)."""
    actor = user if getattr(user, "is_authenticated", False) else None
    return [
        MetadataChange(
            photograph=photograph, collection=collection, user=actor, field=name,
            old_value=value_as_text(old), new_value=value_as_text(new), source=source,
        )
        for name, (old, new) in changes.items()
    ]
