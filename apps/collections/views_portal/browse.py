"""Browsing: the home page, the collections tree, a collection's page and search with facets."""
from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import render

from apps.collections import selectors
from apps.collections.models import RightsStatement
from archive_site.portal import paginate

from .common import colorize_batch_form, with_thumbnails

RECENT_ON_HOME = 8
ORDERS = {
    "relevance": "Relevance",
    "-created": "Newest first",
    "created": "Oldest first",
    "date": "Date (earliest)",
    "-date": "Date (latest)",
    "title": "Title",
    "identifier": "Identifier",
}
YES_NO = {"yes": True, "no": False}


def home(request):
    roots = selectors.collection_tree(user=request.user)
    recent = selectors.photograph_search(user=request.user, order="-created").select_related("collection")[:RECENT_ON_HOME]
    return render(request, "collections/home.html", {"roots": roots, "recent": with_thumbnails(recent)})


def collection_tree(request):
    return render(request, "collections/collection_tree.html", {"roots": selectors.collection_tree(user=request.user)})


def collection_detail(request, slug: str):
    collection = selectors.collection_get(user=request.user, slug=slug)
    order = request.GET.get("order") if request.GET.get("order") in ORDERS else "identifier"
    photographs = selectors.photograph_search(user=request.user, collection=collection, order=order).select_related("collection")
    page = paginate(request, photographs)
    page.object_list = with_thumbnails(page.object_list)
    children = selectors.collection_visible_to(request.user).filter(parent=collection).order_by("title")
    return render(
        request,
        "collections/collection_detail.html",
        {
            "collection": collection,
            "ancestors": selectors.collection_ancestors(collection=collection),
            "children": children,
            "page": page,
            "order": order,
            "orders": {key: label for key, label in ORDERS.items() if key != "relevance"},
            "query_without_page": _without(request.GET, "page"),
            "batch_form": colorize_batch_form(request),
            "batch_source": f"in collection {collection.title}",
        },
    )


@dataclass(frozen=True)
class SearchFilters:
    """The search page's query string, parsed; unknown or malformed values are ignored."""

    q: str = ""
    collection: str = ""
    date_from: int | None = None
    date_to: int | None = None
    grayscale: str = ""
    has_approved: str = ""
    rights: str = ""
    order: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> SearchFilters:
        return cls(
            q=query.get("q", "").strip()[:200],
            collection=query.get("collection", ""),
            date_from=_year(query.get("date_from")),
            date_to=_year(query.get("date_to")),
            grayscale=query.get("grayscale", "") if query.get("grayscale") in YES_NO else "",
            has_approved=query.get("has_approved", "") if query.get("has_approved") in YES_NO else "",
            rights=query.get("rights", "") if query.get("rights") in RightsStatement.values else "",
            order=query.get("order", "") if query.get("order") in ORDERS else "",
        )

    @property
    def active(self) -> bool:
        return any((self.q, self.collection, self.date_from, self.date_to, self.grayscale, self.has_approved, self.rights))


def search(request):
    filters = SearchFilters.from_query(request.GET)
    collection = None
    if filters.collection:
        try:
            collection = selectors.collection_get(user=request.user, slug=filters.collection)
        except Http404:
            collection = None
    try:
        photographs = selectors.photograph_search(
            user=request.user,
            q=filters.q,
            collection=collection,
            date_from=filters.date_from,
            date_to=filters.date_to,
            grayscale=YES_NO.get(filters.grayscale),
            has_approved=YES_NO.get(filters.has_approved),
            rights=filters.rights or None,
            order=filters.order or ("relevance" if filters.q else "-created"),
        )
    except ValidationError as exc:
        raise BadRequest(" ".join(exc.messages)) from None
    facets = selectors.photograph_facets(user=request.user, photographs=photographs)
    page = paginate(request, photographs.select_related("collection"))
    page.object_list = with_thumbnails(page.object_list)
    return render(
        request,
        "collections/search.html",
        {
            "filters": filters,
            "collection": collection,
            "facets": _facet_links(request.GET, filters, facets),
            "total": facets["total"],
            "page": page,
            "orders": ORDERS if filters.q else {key: label for key, label in ORDERS.items() if key != "relevance"},
            "order": filters.order or ("relevance" if filters.q else "-created"),
            "query_without_page": _without(request.GET, "page"),
            "export_query": _without(request.GET, "page", "order").urlencode(),
            "batch_form": colorize_batch_form(request),
            "batch_source": f"in search “{filters.q}”" if filters.q else "in search results",
        },
    )


@dataclass(frozen=True)
class FacetLink:
    label: str
    count: int
    url: str
    selected: bool


def _facet_links(query: QueryDict, filters: SearchFilters, facets: dict) -> dict[str, list[FacetLink]]:
    """Each facet value as a link that toggles its filter, keeping the others."""

    def toggle(selected: bool, **values) -> str:
        changed = _without(query, "page", *values)
        if not selected:
            for key, value in values.items():
                if value not in (None, ""):
                    changed[key] = str(value)
        return "?" + changed.urlencode()

    decade_selected = lambda decade: filters.date_from == decade and filters.date_to == decade + 9  # noqa: E731
    return {
        "Collection": [
            FacetLink(item["title"], item["count"], toggle(filters.collection == item["slug"], collection=item["slug"]), filters.collection == item["slug"])
            for item in facets["collections"]
        ],
        "Decade": [
            FacetLink(
                f"{item['decade']}s", item["count"],
                toggle(decade_selected(item["decade"]), date_from=item["decade"], date_to=item["decade"] + 9), decade_selected(item["decade"]),
            )
            for item in facets["decades"]
        ],
        "Tone": [
            FacetLink(label, facets["grayscale"][key], toggle(filters.grayscale == value, grayscale=value), filters.grayscale == value)
            for key, label, value in (("grayscale", "Black and white", "yes"), ("colour", "Colour", "no"))
            if facets["grayscale"][key]
        ],
        "Colorization": [
            FacetLink(label, facets["has_approved"][key], toggle(filters.has_approved == key, has_approved=key), filters.has_approved == key)
            for key, label in (("yes", "Approved colorization"), ("no", "Not colorized"))
            if facets["has_approved"][key]
        ],
        "Rights": [
            FacetLink(item["label"], item["count"], toggle(filters.rights == item["uri"], rights=item["uri"]), filters.rights == item["uri"])
            for item in facets["rights"]
        ],
    }


def _without(query: QueryDict, *keys: str) -> QueryDict:
    copy = query.copy()
    for key in keys:
        copy.pop(key, None)
    return copy


def _year(value: str | None) -> int | None:
    if value and value.strip().isdigit() and len(value.strip()) <= 4:
        return int(value)
    return None
