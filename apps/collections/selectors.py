"""Reads of the archive. `collection_visible_to` and `photograph_visible_to` are the one
place that decides who sees what: every page, API endpoint, IIIF response, media URL and
export starts from them.

Visibility rule: users with `collections.view_unpublished` (archivists, colorists,
curators, superusers) see everything. Everyone else (anonymous users, plain viewers) sees a
collection only when it and every one of its ancestors is published, and a photograph only
when its collection is visible — so unpublishing a fonds hides all its series at once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateRange
from django.db.models import Count, DateField, Exists, F, Func, OuterRef, QuerySet
from django.db.models.lookups import StartsWith
from django.http import Http404

from .models import Collection, CsvImport, MetadataChange, Photograph, RightsStatement, Tombstone

SEARCH_CONFIG = "english"  # must match the trigger in migration 0002
ORDERINGS = {
    "relevance": ("-rank", "-created_at", "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
    "date": (F("date_lower").asc(nulls_last=True), "identifier", "pk"),
    "-date": (F("date_upper").desc(nulls_last=True), "identifier", "pk"),
    "title": ("title", "identifier", "pk"),
    "identifier": ("identifier", "pk"),
    "modified": ("updated_at", "pk"),
}
# lower()/upper() of date_range are NULL exactly where date_lower/date_upper are.
_RANGE_ORDERINGS = {
    "date": (Func(F("date_range"), function="lower", output_field=DateField()).asc(nulls_last=True), "identifier", "pk"),
    "-date": (Func(F("date_range"), function="upper", output_field=DateField()).desc(nulls_last=True), "identifier", "pk"),
}


def user_can_view_unpublished(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm("collections.view_unpublished"))


def collection_visible_to(user) -> QuerySet[Collection]:
    collections = Collection.objects.all()
    if user_can_view_unpublished(user):
        return collections
    # Hidden when any unpublished collection's path is a prefix of this one's (itself included).
    hidden_by = Collection.objects.filter(StartsWith(OuterRef("path"), F("path")), is_published=False)
    return collections.filter(is_published=True).exclude(Exists(hidden_by))


def photograph_visible_to(user) -> QuerySet[Photograph]:
    photographs = Photograph.objects.all()
    if user_can_view_unpublished(user):
        return photographs
    return photographs.filter(collection__in=collection_visible_to(user).values("pk"))


def collection_get(*, user, slug: str) -> Collection:
    collection = collection_visible_to(user).filter(slug=slug).first()
    if collection is None:
        raise Http404("No such collection.")
    return collection


def photograph_get(*, user, pk: int) -> Photograph:
    photograph = photograph_visible_to(user).select_related("collection").filter(pk=pk).first()
    if photograph is None:
        raise Http404("No such photograph.")
    return photograph


def collection_ancestors(*, collection: Collection) -> list[Collection]:
    """Root first, the collection's parent last (for breadcrumbs); one query."""
    ids = collection.ancestor_ids
    by_id = Collection.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


@dataclass
class CollectionNode:
    collection: Collection
    children: list[CollectionNode] = field(default_factory=list)
    photograph_count: int = 0  # visible photographs in it and its descendants


def collection_tree(*, user) -> list[CollectionNode]:
    """The visible collections as a forest (roots in title order), with photograph counts
    that include descendants. Two queries, whatever the size of the tree."""
    collections = list(collection_visible_to(user).order_by("title"))
    direct = dict(
        photograph_visible_to(user).values_list("collection_id").annotate(n=Count("*")).values_list("collection_id", "n")
    )
    nodes = {c.pk: CollectionNode(collection=c) for c in collections}
    roots: list[CollectionNode] = []
    for node in nodes.values():
        parent = nodes.get(node.collection.parent_id)
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        count = direct.get(node.collection.pk, 0)
        for ancestor_id in [*node.collection.ancestor_ids]:
            if ancestor_id in nodes:
                nodes[ancestor_id].photograph_count += count
        node.photograph_count += count
    return roots


def _year_start(value: dt.date | int | None) -> dt.date | None:
    return dt.date(value, 1, 1) if isinstance(value, int) else value


def _year_end(value: dt.date | int | None) -> dt.date | None:
    return dt.date(value, 12, 31) if isinstance(value, int) else value


def photograph_search(
    *, user, q: str = "", collection: Collection | None = None, date_from: dt.date | int | None = None,
    date_to: dt.date | int | None = None, grayscale: bool | None = None, has_approved: bool | None = None,
    rights: str | list[str] | None = None, order: str = "", modified_since: dt.datetime | None = None,
) -> QuerySet[Photograph]:
    """Visible photographs matching a ranked full-text query and filters.

    - `q`: web-search syntax ("bridge -rail", "\"main street\"", "harbour or port") over
      title, identifier, creator, subjects, place and description, ranked (title and
      identifier weigh most); `rank` is annotated.
    - `collection`: that collection and all its descendants.
    - `date_from`/`date_to` (dates or years): photographs whose date range overlaps the
      interval; photographs without a date are left out when either is given. A range that
      ends before it starts is a ValidationError.
    - `modified_since`: records changed at or after it (`updated_at`, which the collection
      services also move when a photograph becomes public again or changes set).
    - `order`: one of ORDERINGS; default relevance with q, newest first without.
    """
    photographs = photograph_visible_to(user).select_related("collection")
    if collection is not None:
        photographs = photographs.filter(collection__path__startswith=collection.path)
    start, end = _year_start(date_from), _year_end(date_to)
    if start is not None and end is not None and start > end:
        raise ValidationError({"date_to": f"The date range ends ({end}) before it starts ({start})."})
    if start is not None or end is not None:
        # Overlap on the GiST-indexed range; undated photographs have no range and never match.
        photographs = photographs.filter(date_range__overlap=DateRange(start, end, "[]"))
    if grayscale is not None:
        photographs = photographs.filter(is_grayscale=grayscale)
    if has_approved is not None:
        photographs = photographs.filter(has_approved_colorization=has_approved)
    if modified_since is not None:
        photographs = photographs.filter(updated_at__gte=modified_since)
    if rights:
        photographs = photographs.filter(rights_uri__in=[rights] if isinstance(rights, str) else list(rights))
    q = (q or "").strip()
    if q:
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        photographs = photographs.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
    order = order if order in ORDERINGS else ("relevance" if q else "-created")
    if order == "relevance" and not q:
        order = "-created"
    ordering = ORDERINGS[order]
    if order in _RANGE_ORDERINGS and (start is not None or end is not None):
        # Same order, written on the range: PostgreSQL then fetches the overlapping rows
        # through the GiST index and sorts them, instead of walking the date_lower index
        # from the earliest date in the archive looking for the first matches.
        ordering = _RANGE_ORDERINGS[order]
    return photographs.order_by(*ordering)


_FACET_COLUMNS = ("collection_id", "rights_uri", "is_grayscale", "has_approved_colorization")


def photograph_facets(*, user, photographs: QuerySet[Photograph]) -> dict:
    """Facet counts over a `photograph_search` result: collections (each counting its
    descendants), decades, grayscale/colour, approved colorization and rights statements.

    A photograph counts in every decade its date range covers, as date search finds it:
    "1920~" (1919–1921) under the 1910s and the 1920s, "1915/1925" likewise, "192X" under
    the 1920s only; an open end ("1850/..") reaches the latest (or earliest) date of the
    result. Undated photographs count in no decade. Two queries: one pass over the result
    (GROUPING SETS for the single-valued facets, a series of decades per dated photograph,
    over the same materialised result), and the visible collections."""
    result = photographs.order_by().values(*_FACET_COLUMNS, "date_lower", "date_upper")
    sql, params = result.query.sql_with_params()
    columns = ", ".join(_FACET_COLUMNS)
    grouping = ", ".join(f"GROUPING({c})" for c in _FACET_COLUMNS)
    sets = ", ".join(f"({c})" for c in _FACET_COLUMNS)
    width = len(_FACET_COLUMNS)
    counts: dict[str, dict] = {c: {} for c in _FACET_COLUMNS}
    decades: dict[int, int] = {}
    total = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH result AS MATERIALIZED ({sql}) "
            f"SELECT {columns}, NULL::integer AS decade, {grouping}, COUNT(*) FROM result GROUP BY GROUPING SETS ({sets}, ()) "
            f"UNION ALL "
            f"SELECT {', '.join(['NULL'] * width)}, decade, {', '.join(['1'] * width)}, COUNT(*) FROM result "
            "CROSS JOIN (SELECT MIN(LEAST(date_lower, date_upper)) AS earliest, MAX(GREATEST(date_lower, date_upper)) AS latest FROM result) AS span "
            "CROSS JOIN LATERAL generate_series("
            "  CAST(EXTRACT(YEAR FROM COALESCE(result.date_lower, span.earliest)) AS integer) / 10 * 10,"
            "  CAST(EXTRACT(YEAR FROM COALESCE(result.date_upper, span.latest)) AS integer) / 10 * 10, 10) AS decade "
            "WHERE result.date_lower IS NOT NULL OR result.date_upper IS NOT NULL GROUP BY decade",
            params,
        )
        for row in cursor.fetchall():
            values, decade, grouped, n = row[:width], row[width], row[width + 1:2 * width + 1], row[-1]
            if decade is not None:
                decades[decade] = n
            elif all(grouped):
                total = n
            else:
                column = _FACET_COLUMNS[grouped.index(0)]
                counts[column][values[grouped.index(0)]] = n
    collections = list(collection_visible_to(user).only("pk", "slug", "title", "path", "parent"))
    paths = {c.pk: c.path for c in collections}
    per_collection = counts["collection_id"]
    rolled = {
        c.pk: sum(n for collection_id, n in per_collection.items() if paths.get(collection_id, "").startswith(c.path))
        for c in collections
    }
    labels = dict(RightsStatement.choices)
    grayscale, approved = counts["is_grayscale"].get(True, 0), counts["has_approved_colorization"].get(True, 0)
    return {
        "total": total,
        "collections": [
            {"slug": c.slug, "title": c.title, "parent_id": c.parent_id, "count": rolled[c.pk]}
            for c in sorted(collections, key=lambda c: c.path) if rolled[c.pk]
        ],
        "decades": [{"decade": d, "count": n} for d, n in sorted(decades.items())],
        "grayscale": {"grayscale": grayscale, "colour": total - grayscale},
        "has_approved": {"yes": approved, "no": total - approved},
        "rights": [
            {"uri": uri, "label": labels.get(uri, uri), "count": n}
            for uri, n in sorted(counts["rights_uri"].items(), key=lambda item: (-item[1], item[0]))
        ],
    }


def _history_allowed(user) -> None:
    if not (user is not None and user.is_authenticated and user.has_perm("collections.view_metadatachange")):
        raise PermissionDenied("You may not see the edit history.")


def photograph_history(*, user, photograph: Photograph) -> QuerySet[MetadataChange]:
    _history_allowed(user)
    return MetadataChange.objects.filter(photograph=photograph).select_related("user")


def collection_history(*, user, collection: Collection) -> QuerySet[MetadataChange]:
    _history_allowed(user)
    return MetadataChange.objects.filter(collection=collection).select_related("user")


def csv_import_get(*, user, pk: int) -> CsvImport:
    """A CSV import, for its creator or someone with `collections.view_csvimport`; Http404 otherwise."""
    csv_import = CsvImport.objects.select_related("collection", "created_by").filter(pk=pk).first()
    allowed = user is not None and user.is_authenticated and (
        user.has_perm("collections.view_csvimport") or (csv_import is not None and csv_import.created_by_id == user.pk)
    )
    if csv_import is None or not allowed:
        raise Http404("No such import.")
    return csv_import


# --- Harvesting -----------------------------------------------------------------------------

def collection_set_specs(*, collections) -> dict[int, str]:
    """OAI-PMH setSpec of each collection: its ancestors' slugs and its own, joined by ":"
    ("harbour:bw"); one query for all their ancestors."""
    collections = list(collections)
    ids = {pk for c in collections for pk in (*c.ancestor_ids, c.pk)}
    slugs = dict(Collection.objects.filter(pk__in=ids).values_list("pk", "slug"))
    return {c.pk: ":".join(slugs[pk] for pk in (*c.ancestor_ids, c.pk) if pk in slugs) for c in collections}


@dataclass(frozen=True)
class PublicRecord:
    identifier: str
    collection_id: int
    set_spec: str


def photograph_public_records(*, collection: Collection) -> dict[int, PublicRecord]:
    """The photographs of `collection` and its descendants that the public sees now, by id:
    what the collection services compare before and after a change to write tombstones."""
    collections = list(collection_visible_to(AnonymousUser()).filter(path__startswith=collection.path))
    specs = collection_set_specs(collections=collections)
    rows = Photograph.objects.filter(collection__in=[c.pk for c in collections]).values_list("pk", "identifier", "collection_id")
    return {pk: PublicRecord(identifier, collection_id, specs[collection_id]) for pk, identifier, collection_id in rows}


def tombstone_list(*, since: dt.datetime | None = None) -> QuerySet[Tombstone]:
    """Photographs that left public view (deleted or withdrawn), oldest first; `since`: at or after."""
    tombstones = Tombstone.objects.select_related("collection")
    return tombstones.filter(datestamp__gte=since) if since is not None else tombstones
