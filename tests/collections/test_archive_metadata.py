"""Metadata rules shared by every write path: EDTF dates, rights URIs, subject terms."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from apps.collections.models import Photograph, RightsStatement
from apps.collections.services import edtf_normalize, edtf_range_note, photograph_build_derivatives
from apps.collections.services.metadata import photograph_metadata_clean
from tests.support.collections import PhotographFactory


@pytest.mark.parametrize(
    ("text", "edtf", "lower", "upper"),
    [
        ("1920-05-03", "1920-05-03", dt.date(1920, 5, 3), dt.date(1920, 5, 3)),
        ("1920~", "1920~", dt.date(1919, 1, 1), dt.date(1921, 12, 31)),
        ("circa 1920", "1920~", dt.date(1919, 1, 1), dt.date(1921, 12, 31)),
        ("192X", "192X", dt.date(1920, 1, 1), dt.date(1929, 12, 31)),
        ("1920s", "192X", dt.date(1920, 1, 1), dt.date(1929, 12, 31)),
        ("1914/1918", "1914/1918", dt.date(1914, 1, 1), dt.date(1918, 12, 31)),
        ("1914-1918", "1914/1918", dt.date(1914, 1, 1), dt.date(1918, 12, 31)),
        ("June 1920", "1920-06", dt.date(1920, 6, 1), dt.date(1920, 6, 30)),
        ("1850/..", "1850/..", dt.date(1850, 1, 1), None),
        ("2000-02-29", "2000-02-29", dt.date(2000, 2, 29), dt.date(2000, 2, 29)),
        # Sets are written without spaces, as EDTF requires.
        ("[1667, 1668, 1670..1672]", "[1667,1668,1670..1672]", dt.date(1667, 1, 1), dt.date(1672, 12, 31)),
        ("{1667,1668}", "{1667,1668}", dt.date(1667, 1, 1), dt.date(1668, 12, 31)),
        # Valid EDTF beyond the years 1–9999 that a date can hold: kept, without a range.
        ("-1985", "-1985", None, None),
        ("Y170000002", "Y170000002", None, None),
        ("XXXX-XX-19", "XXXX-XX-19", None, None),
        ("", "", None, None),
    ],
)
def test_edtf_dates_and_their_bounds(text, edtf, lower, upper):
    assert edtf_normalize(text) == (edtf, lower, upper)


@pytest.mark.parametrize("text", [
    "1920-13", "someday", "1920-02-30", "1930/1920",
    "the 19th",  # no year: not a date
    "2001-02-29", "1900-02-29", "1985-02-30", "2001-02-29/2002", "[1667,2001-02-29]",  # not calendar dates
    "1920-04-31T10:00:00",
])
def test_impossible_dates_are_refused_with_examples(text):
    with pytest.raises(ValidationError) as error:
        edtf_normalize(text)
    assert "date" in error.value.message_dict


@pytest.mark.parametrize(("text", "reason"), [
    ("-1985", "outside the years 1–9999"),
    ("Y170000002", "outside the years 1–9999"),
    ("XXXX-XX-19", "year is unspecified"),
])
def test_a_valid_date_without_a_range_says_why(text, reason):
    assert reason in edtf_range_note(text)


@pytest.mark.parametrize("text", ["", "1920", "1850/..", "192X", "[1667,1668,1670..1672]"])
def test_a_date_with_a_range_needs_no_note(text):
    assert edtf_range_note(text) == ""


def test_metadata_cleaning_normalises_and_names_every_bad_field():
    cleaned = photograph_metadata_clean({
        "identifier": "  A-1 ", "subjects": " Ships |Tugs|| Ships", "rights_uri": "https://rightsstatements.org/vocab/InC/1.0",
    })
    assert cleaned == {"identifier": "A-1", "subjects": ["Ships", "Tugs"], "rights_uri": RightsStatement.IN_COPYRIGHT}
    assert photograph_metadata_clean({"rights_uri": ""})["rights_uri"] == RightsStatement.COPYRIGHT_NOT_EVALUATED
    with pytest.raises(ValidationError) as error:
        photograph_metadata_clean({"identifier": "", "title": "x" * 501, "sha256": "0" * 64, "extra_metadata": [1]})
    assert set(error.value.message_dict) == {"identifier", "title", "sha256", "extra_metadata"}


@pytest.mark.django_db
def test_a_derivatives_failure_is_recorded(fonds):
    from tests.support.collections import PhotographFactory

    photograph = PhotographFactory(collection=fonds)  # its master file does not exist
    with pytest.raises(FileNotFoundError):
        photograph_build_derivatives(photograph_id=photograph.pk)
    photograph.refresh_from_db()
    assert photograph.derivatives_status == Photograph.DerivativesStatus.FAILED
    assert photograph.derivatives_error
    assert photograph_build_derivatives(photograph_id=photograph.pk + 1000) is None  # deleted meanwhile: nothing to do


@pytest.mark.django_db
def test_the_api_and_the_page_state_why_a_date_has_no_range():
    photograph = PhotographFactory(date="-1985")
    body = Client().get(f"/api/photographs/{photograph.pk}/").json()
    assert (body["date"], body["date_lower"], body["date_upper"]) == ("-1985", None, None)
    assert "outside the years 1–9999" in body["date_note"]
    assert "outside the years 1–9999" in Client().get(f"/photographs/{photograph.pk}/").content.decode()
