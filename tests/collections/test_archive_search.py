"""Search and browse: ranked full text, EDTF date ranges, filters, facets, the collection tree."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from apps.collections import selectors, services
from apps.collections.models import Photograph, RightsStatement
from tests.support.collections import CollectionFactory, PhotographFactory

pytestmark = pytest.mark.django_db
ANONYMOUS = AnonymousUser()


def search(**kwargs):
    return list(selectors.photograph_search(user=kwargs.pop("user", ANONYMOUS), **kwargs))


def test_full_text_is_ranked_title_first(fonds):
    in_description = PhotographFactory(collection=fonds, title="Quay", description="A swing bridge in the distance")
    in_title = PhotographFactory(collection=fonds, title="The swing bridge", description="Taken from the quay")
    PhotographFactory(collection=fonds, title="Fish market")

    results = search(q="bridge")

    assert results == [in_title, in_description]
    assert results[0].rank > results[1].rank


@pytest.mark.parametrize(
    ("q", "field", "value"),
    [
        ("lighthouse", "subjects", ["Lighthouses", "Coasts"]),
        ("valparaíso", "place", "Valparaíso, Chile"),
        ("hansen", "creator", "Hansen, Ole"),
        ("HB-1921-004", "identifier", "HB-1921-004"),
        ("trawlers unloading", "description", "Trawlers unloading at dawn"),
    ],
)
def test_every_catalogue_field_is_searchable(fonds, q, field, value):
    wanted = PhotographFactory(collection=fonds, **{field: value})
    PhotographFactory(collection=fonds, title="Something else entirely")
    assert search(q=q) == [wanted]


def test_web_search_syntax_and_stemming(fonds):
    road = PhotographFactory(collection=fonds, title="Road bridges")
    rail = PhotographFactory(collection=fonds, title="Rail bridge")
    assert set(search(q="bridge")) == {road, rail}
    assert search(q="bridge -rail") == [road]
    assert search(q='"rail bridge"') == [rail]


def test_search_vector_is_current_after_bulk_writes(fonds):
    """The trigger keeps the vector current whatever the write path (bulk_create, update())."""
    [created] = Photograph.objects.bulk_create([PhotographFactory.build(collection=fonds, title="Gasworks")])
    assert search(q="gasworks") == [created]
    Photograph.objects.filter(pk=created.pk).update(title="Tram depot")
    assert search(q="gasworks") == []
    assert search(q="depot") == [created]


@pytest.fixture
def dated(fonds):
    return {
        date: PhotographFactory(collection=fonds, date=date, title=f"dated {date}")
        for date in ["1920~", "192X", "1914/1918", "1950-06-01", "1850/.."]
    } | {"": PhotographFactory(collection=fonds, title="undated")}


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (1915, 1916, {"1914/1918", "1850/.."}),
        (1921, 1921, {"1920~", "192X", "1850/.."}),  # circa 1920 reaches 1921
        (1929, 1929, {"192X", "1850/.."}),
        (dt.date(1950, 6, 1), dt.date(1950, 6, 1), {"1950-06-01", "1850/.."}),
        (1800, 1849, set()),
        (None, 1914, {"1914/1918", "1850/.."}),
        (1930, None, {"1950-06-01", "1850/.."}),
    ],
)
def test_edtf_date_ranges_overlap_the_filter(dated, date_from, date_to, expected):
    found = search(date_from=date_from, date_to=date_to)
    assert {p.date for p in found} == expected


def test_date_order_puts_undated_last(dated):
    assert [p.date for p in search(order="date")] == ["1850/..", "1914/1918", "1920~", "192X", "1950-06-01", ""]
    # newest first by the latest possible date; an open end counts as unknown
    assert [p.date for p in search(order="-date")] == ["1950-06-01", "192X", "1920~", "1914/1918", "1850/..", ""]
    # with a date filter the order is the same (it is computed on the indexed range then)
    assert [p.date for p in search(order="date", date_from=1900)] == ["1850/..", "1914/1918", "1920~", "192X", "1950-06-01"]
    assert [p.date for p in search(order="-date", date_to=1925)] == ["192X", "1920~", "1914/1918", "1850/.."]


def test_collection_filter_includes_descendants(fonds):
    series = CollectionFactory(parent=fonds, slug="series")
    file = CollectionFactory(parent=series, slug="file")
    other = CollectionFactory(slug="other")
    inside = [PhotographFactory(collection=c) for c in (fonds, series, file)]
    PhotographFactory(collection=other)
    assert set(search(collection=fonds)) == set(inside)
    assert set(search(collection=series)) == set(inside[1:])


def test_filters_grayscale_approved_and_rights(fonds):
    gray = PhotographFactory(collection=fonds, is_grayscale=True, rights_uri=RightsStatement.NO_KNOWN_COPYRIGHT)
    colour = PhotographFactory(collection=fonds, is_grayscale=False, has_approved_colorization=True)
    assert search(grayscale=True) == [gray]
    assert search(grayscale=False) == [colour]
    assert search(has_approved=True) == [colour]
    assert search(rights=[RightsStatement.NO_KNOWN_COPYRIGHT]) == [gray]


def test_facets_count_the_result_with_descendants_rolled_up(fonds, django_assert_max_num_queries):
    series = CollectionFactory(parent=fonds, slug="series", title="Series A")
    PhotographFactory(collection=fonds, date="1921", is_grayscale=True, title="harbour one")
    PhotographFactory(collection=series, date="1925", is_grayscale=False, title="harbour two", has_approved_colorization=True)
    PhotographFactory(collection=series, date="1934", is_grayscale=True, title="harbour three", rights_uri=RightsStatement.CC0)
    PhotographFactory(collection=series, title="harbour, undated")
    PhotographFactory(collection=series, title="not in the result")

    photographs = selectors.photograph_search(user=ANONYMOUS, q="harbour")
    with django_assert_max_num_queries(2):
        facets = selectors.photograph_facets(user=ANONYMOUS, photographs=photographs)

    assert facets["total"] == 4
    assert {c["slug"]: c["count"] for c in facets["collections"]} == {"harbour": 4, "series": 3}
    assert facets["decades"] == [{"decade": 1920, "count": 2}, {"decade": 1930, "count": 1}]
    assert facets["grayscale"] == {"grayscale": 3, "colour": 1}
    assert facets["has_approved"] == {"yes": 1, "no": 3}
    assert {r["uri"]: r["count"] for r in facets["rights"]} == {RightsStatement.COPYRIGHT_NOT_EVALUATED: 3, RightsStatement.CC0: 1}


def test_a_photograph_counts_in_every_decade_its_date_range_covers_as_date_search_finds_it(fonds, django_assert_max_num_queries):
    approximate = PhotographFactory(collection=fonds, date="1920~", title="circa 1920")  # 1919–1921
    span = PhotographFactory(collection=fonds, date="1915/1925", title="span")
    decade = PhotographFactory(collection=fonds, date="192X", title="twenties")
    open_end = PhotographFactory(collection=fonds, date="1936/..", title="open end")
    PhotographFactory(collection=fonds, date="1941", title="forties")
    PhotographFactory(collection=fonds, title="undated")

    photographs = selectors.photograph_search(user=ANONYMOUS)
    with django_assert_max_num_queries(2):
        facets = selectors.photograph_facets(user=ANONYMOUS, photographs=photographs)

    counts = {item["decade"]: item["count"] for item in facets["decades"]}
    # The open end reaches the latest date of the result (1941).
    assert counts == {1910: 2, 1920: 3, 1930: 1, 1940: 2}
    assert facets["total"] == 6
    # Each count is what the decade's date search finds.
    for start, count in counts.items():
        assert len(search(date_from=start, date_to=start + 9)) == count
    assert set(search(date_from=1910, date_to=1919)) == {approximate, span}
    assert set(search(date_from=1920, date_to=1929)) == {approximate, span, decade}
    assert open_end in search(date_from=1930, date_to=1939)


def test_collection_tree_counts_descendants_in_two_queries(fonds, hidden, archivist, django_assert_num_queries):
    series = CollectionFactory(parent=fonds, slug="series")
    PhotographFactory(collection=fonds)
    PhotographFactory.create_batch(2, collection=series)
    PhotographFactory(collection=hidden)

    with django_assert_num_queries(2):
        roots = selectors.collection_tree(user=ANONYMOUS)
    assert [(n.collection.slug, n.photograph_count) for n in roots] == [("harbour", 3)]
    assert [(n.collection.slug, n.photograph_count) for n in roots[0].children] == [("series", 2)]

    staff_roots = selectors.collection_tree(user=archivist)
    assert {n.collection.slug for n in staff_roots} == {"harbour", "unsorted"}


def test_moving_a_collection_moves_its_subtree(fonds, hidden, archivist):
    series = CollectionFactory(parent=fonds, slug="series")
    file = CollectionFactory(parent=series, slug="file")
    photograph = PhotographFactory(collection=file)

    services.collection_update(collection=series, data={"parent": hidden}, user=archivist)

    file.refresh_from_db()
    assert file.path == f"{hidden.path}{series.pk}/{file.pk}/"
    assert search(collection=fonds, user=archivist) == []
    assert search(collection=hidden, user=archivist) == [photograph]
    with pytest.raises(Exception, match="inside itself"):
        services.collection_update(collection=hidden, data={"parent": file}, user=archivist)
