"""Harvesting endpoints: OAI-PMH at /oai, and each photograph's and collection's record as
Dublin Core XML or JSON-LD, by explicit URL (`/records/photograph-<id>.xml`, `.jsonld`) or by
content negotiation on the record's URI (`/records/photograph-<id>`: 303 to the format the
Accept header prefers, the portal page for browsers). Records follow the visibility rule."""
from __future__ import annotations

import json

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from apps.collections import selectors as archive
from apps.collections.iiif_sources import photograph_is_public

from . import oai, records


@csrf_exempt  # OAI-PMH harvesters POST form-encoded arguments (§3.1.1.2); nothing is written
@require_http_methods(["GET", "HEAD", "POST"])
def oai_endpoint(request):
    arguments = request.POST if request.method == "POST" else request.GET
    document = oai.handle(
        {name: arguments.getlist(name) for name in arguments},
        base_url=request.build_absolute_uri(request.path), absolute=request.build_absolute_uri,
    )
    return HttpResponse(document, content_type="text/xml; charset=utf-8")


RECORD_FORMATS = ("xml", "jsonld")  # Dublin Core XML, JSON-LD


def _negotiated(request, page_url: str, record_url) -> HttpResponse:
    """303 See Other to the representation the client asked for (Accept), the page by default."""
    accept = request.headers.get("Accept", "")
    chosen = max(
        (
            ("jsonld", _quality(accept, "application/ld+json", "application/json")),
            ("xml", _quality(accept, "application/xml", "text/xml")),
            ("html", _quality(accept, "text/html")),
        ),
        key=lambda pair: pair[1],
    )
    target = page_url if chosen[1] == 0 or chosen[0] == "html" else record_url(chosen[0])
    response = HttpResponseRedirect(target, status=303)
    patch_vary_headers(response, ["Accept"])
    return response


def _quality(accept: str, *media_types: str) -> float:
    best = 0.0
    for part in accept.split(","):
        media_type, _, params = part.strip().partition(";")
        if media_type.strip() in media_types:
            q = next((p.split("=", 1)[1] for p in params.split(";") if p.strip().startswith("q=")), "1")
            try:
                best = max(best, float(q))
            except ValueError:
                continue
    return best


def _record_response(document, extension: str, *, public: bool) -> HttpResponse:
    if extension == "xml":
        response = HttpResponse(records.dublin_core_xml(document), content_type="application/xml; charset=utf-8")
    else:
        response = HttpResponse(json.dumps(document, indent=2, ensure_ascii=False), content_type="application/ld+json; charset=utf-8")
    if public:
        patch_cache_control(response, public=True, max_age=3600)
    else:
        patch_cache_control(response, private=True)
        patch_vary_headers(response, ["Cookie", "Authorization"])
    return response


@require_safe
def photograph_record(request, pk: int):
    archive.photograph_get(user=request.user, pk=pk)
    return _negotiated(request, reverse("collections:photograph", args=[pk]), lambda ext: reverse("harvest:photograph-record-format", args=[pk, ext]))


@require_safe
def photograph_record_format(request, pk: int, extension: str):
    if extension not in RECORD_FORMATS:
        raise Http404("No such record format.")
    photograph = archive.photograph_get(user=request.user, pk=pk)
    absolute = request.build_absolute_uri
    if extension == "xml":
        document = records.photograph_dublin_core(photograph, absolute)
    else:
        document = records.photograph_json_ld(photograph, absolute, manifest_url=absolute(reverse("collections:iiif-manifest", args=[pk])))
    return _record_response(document, extension, public=photograph_is_public(photograph))


@require_safe
def collection_record(request, slug: str):
    archive.collection_get(user=request.user, slug=slug)
    return _negotiated(request, reverse("collections:collection", args=[slug]), lambda ext: reverse("harvest:collection-record-format", args=[slug, ext]))


@require_safe
def collection_record_format(request, slug: str, extension: str):
    if extension not in RECORD_FORMATS:
        raise Http404("No such record format.")
    collection = archive.collection_get(user=request.user, slug=slug)
    parent = archive.collection_visible_to(request.user).filter(pk=collection.parent_id).first()
    absolute = request.build_absolute_uri
    if extension == "xml":
        document = records.collection_dublin_core(collection, absolute, parent=parent)
    else:
        document = records.collection_json_ld(collection, absolute, parent=parent, manifest_url=absolute(reverse("collections:iiif-collection", args=[slug])))
    public = archive.collection_visible_to(AnonymousUser()).filter(pk=collection.pk).exists()
    return _record_response(document, extension, public=public)
