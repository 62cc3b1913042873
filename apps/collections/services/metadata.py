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

# Fields a person may edit; everything else on Photograph is written by ingest or derived.
EDITABLE_FIELDS = (
    "identifier", "title", "creator", "date", "description", "subjects", "place",
    "source", "language", "format", "rights_uri", "rights_note", "extra_metadata", "embargo_until",
)
_TEXT_FIELDS = ("identifier", "title", "creator", "description", "place", "source", "language", "format", "rights_note")
_YEAR_RANGE = re.compile(r"^\s*(\d{4})\s*[-–]\s*(\d{4})\s*$")
_EDTF_EXAMPLES = "e.g. 1920-05-03, 1920~ (circa 1920), 192X (the 1920s), 1914/1918"


def edtf_normalize(value: str) -> tuple[str, dt.date | None, dt.date | None]:
    """Return (EDTF text, lower bound, upper bound) for a date written in EDTF or in a few
    common phrasings ("circa 1920", "1920s", "June 1920", "1914-1918").

    Bounds are EDTF's fuzzy bounds, so "1920~" spans 1919–1921 and a date range search
    finds approximate dates near its edges; open interval ends have no bound (None).
    """
    text = (value or "").strip()
    if not text:
        return "", None, None
    try:
        parsed = parse_edtf(text)
    except EDTFParseException:
        parsed = None
        year_range = _YEAR_RANGE.match(text)
        if year_range:
            candidate = f"{year_range.group(1)}/{year_range.group(2)}"
        elif re.search(r"[a-wyz]", text, re.IGNORECASE):
            # Words, not EDTF: let the edtf package's natural-language parser try.
            candidate = text_to_edtf(text)
        else:
            candidate = None
        if candidate:
            try:
                parsed = parse_edtf(candidate)
            except EDTFParseException:
                parsed = None
        if parsed is None:
            raise ValidationError({"date": f'"{text}" is not a date in EDTF ({_EDTF_EXAMPLES}).'})
    lower = _bound(parsed, "lower_fuzzy")
    upper = _bound(parsed, "upper_fuzzy")
    if lower and upper and lower > upper:
        raise ValidationError({"date": f'"{text}" ends before it starts.'})
    return str(parsed), lower, upper


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
    """A list of terms or one string with terms separated by "|"; blanks and repeats dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        terms = value.split("|")
    elif isinstance(value, (list, tuple)):
        terms = [str(term) for term in value]
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
