"""Metadata rules shared by every write path: EDTF dates, rights URIs, subject terms."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.collections.models import Photograph, RightsStatement
from apps.collections.services import edtf_normalize, photograph_build_derivatives
from apps.collections.services.metadata import photograph_metadata_clean


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
        ("", "", None, None),
    ],
)
def test_edtf_dates_and_their_bounds(text, edtf, lower, upper):
    assert edtf_normalize(text) == (edtf, lower, upper)


@pytest.mark.parametrize("text", ["1920-13", "someday", "1920-02-30", "1930/1920"])
def test_impossible_dates_are_refused_with_examples(text):
    with pytest.raises(ValidationError) as error:
        edtf_normalize(text)
    assert "date" in error.value.message_dict


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
