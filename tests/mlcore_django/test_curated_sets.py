"""Curated sets: what can serve (and why not), the three ways to add, the frozen split."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from apps.collections import services as archive
from apps.mlcore import selectors
from apps.mlcore.models import CuratedItem
from apps.mlcore.services import (
    curated_set_add_items,
    curated_set_create,
    curated_set_freeze,
    curated_set_remove_items,
    curated_set_update,
    split_keys,
)
from tests.support.images import colour_scan, grey_scan

pytestmark = pytest.mark.django_db


def reasons(result) -> dict[str, str]:
    return {refusal.item: refusal.reason for refusal in result.refused}


def test_items_that_cannot_serve_are_refused_with_a_reason_each(curator, colour_photographs, grey_photograph, colorize_photograph, colorist):
    from apps.colorize import services as colorize

    approved, sibling = colorize_photograph(grey_photograph, seeds=(1, 2))
    colorize.variant_approve(variant=approved, user=colorist)  # its pending sibling becomes "not chosen"
    lost = colour_photographs[3]
    default_storage.delete(lost.master.name)
    curated = curated_set_create(name="Mixed", user=curator)

    result = curated_set_add_items(
        curated_set=curated, user=curator,
        photograph_ids=[colour_photographs[0].pk, colour_photographs[0].pk, grey_photograph.pk, lost.pk, 999_999],
        variant_ids=[approved.pk, sibling.pk],
    )
    assert sorted(item.key for item in result.added) == sorted([f"photograph:{colour_photographs[0].pk}", f"variant:{approved.pk}"])
    refused = reasons(result)
    assert refused[f"photograph #{grey_photograph.pk} HB-G1"].startswith("it is grayscale")
    assert refused[f"photograph #{lost.pk} HB-C3"] == "its master file is missing from storage"
    assert refused["photograph #999999"] == "there is no such photograph"
    assert refused[f"variant #{sibling.pk} of HB-G1"].startswith("it is not approved (it is not chosen)")
    assert len(result.refused) == 4  # the repeated id counts once

    again = curated_set_add_items(curated_set=curated, user=curator, photograph_ids=[colour_photographs[0].pk], variant_ids=[approved.pk])
    assert again.added == []
    assert set(reasons(again).values()) == {f"already in the set (as photograph:{colour_photographs[0].pk})", f"already in the set (as variant:{approved.pk})"}
    assert curated.items.count() == 2


def test_from_a_search_and_from_a_collection_with_its_descendants(curator, collection, colour_photographs, grey_photograph, ingest, approve_variant, archivist):
    variant = approve_variant(grey_photograph)
    plain_grey = ingest(collection, "HB-G2", grey_scan(seed=9))
    series = archive.collection_create(title="Harbour series", slug="harbour-series", parent=collection, is_published=True, user=None)
    nested = ingest(series, "HS-C1", colour_scan(seed=31))
    elsewhere = archive.collection_create(title="Elsewhere", slug="elsewhere", is_published=True, user=None)
    outsider = ingest(elsewhere, "EL-C1", colour_scan(seed=40))

    by_collection = curated_set_create(name="Whole fonds", user=curator)
    result = curated_set_add_items(curated_set=by_collection, user=curator, collection=collection)
    keys = {item.key for item in result.added}
    # Colour photographs as themselves, the grayscale one through its approved colorization, the series' too.
    assert keys == {*(f"photograph:{p.pk}" for p in colour_photographs), f"variant:{variant.pk}", f"photograph:{nested.pk}"}
    assert f"photograph:{outsider.pk}" not in keys
    assert reasons(result) == {f"photograph #{plain_grey.pk} HB-G2": "it is grayscale and has no approved colorization"}

    by_search = curated_set_create(name="Search", user=curator)
    result = curated_set_add_items(curated_set=by_search, user=curator, search={"q": "HS-C1"})
    assert [item.key for item in result.added] == [f"photograph:{nested.pk}"]


def test_freezing_fixes_a_deterministic_split_and_the_items(curator, colour_photographs):
    curated = curated_set_create(name="Four", user=curator, holdout_fraction=0.25, seed=3)
    curated_set_add_items(curated_set=curated, user=curator, photograph_ids=[p.pk for p in colour_photographs])
    keys = [item.key for item in curated.items.all()]
    frozen = curated_set_freeze(curated_set=curated, user=curator)
    assert frozen.is_frozen and frozen.frozen_at is not None
    assert frozen.split == split_keys(reversed(keys), seed=3, holdout_fraction=0.25)
    assert len(frozen.split["holdout"]) == 1 and sorted(frozen.split["train"] + frozen.split["holdout"]) == sorted(keys)
    assert curated_set_freeze(curated_set=frozen).split == frozen.split  # freezing again changes nothing

    with pytest.raises(ValidationError, match="is frozen"):
        curated_set_add_items(curated_set=frozen, user=curator, photograph_ids=[colour_photographs[0].pk])
    with pytest.raises(ValidationError, match="is frozen"):
        curated_set_remove_items(curated_set=frozen, item_ids=[frozen.items.first().pk], user=curator)
    with pytest.raises(ValidationError, match="split of a frozen set is fixed"):
        curated_set_update(curated_set=frozen, data={"seed": 4}, user=curator)
    assert curated_set_update(curated_set=frozen, data={"description": "Sunny days"}, user=curator).description == "Sunny days"


def test_split_keys_holds_out_an_exact_share_chosen_by_the_seed():
    keys = [f"photograph:{i}" for i in range(40)]
    first = split_keys(keys, seed=0, holdout_fraction=0.1)
    assert len(first["holdout"]) == 4 and len(first["train"]) == 36
    assert split_keys(list(reversed(keys)), seed=0, holdout_fraction=0.1) == first
    assert split_keys(keys, seed=1, holdout_fraction=0.1)["holdout"] != first["holdout"]
    assert split_keys(keys[:2], seed=0, holdout_fraction=0.01)["holdout"]  # two items: one held out
    assert split_keys(keys[:1], seed=0, holdout_fraction=0.5) == {"train": keys[:1], "holdout": []}


def test_names_are_unique_and_the_sample_spreads_over_the_set(curator, colour_photographs):
    curated = curated_set_create(name="Sample", user=curator)
    with pytest.raises(ValidationError, match="already exists"):
        curated_set_create(name="Sample", user=curator)
    curated_set_add_items(curated_set=curated, user=curator, photograph_ids=[p.pk for p in colour_photographs])
    sample = selectors.curated_set_sample(curated_set=curated, size=2)
    items = list(curated.items.order_by("pk"))
    assert sample == [items[0], items[2]]
    assert selectors.curated_set_usable_keys(curated) == {i.key for i in items}
    assert CuratedItem.objects.filter(curated_set=curated).count() == 4
