"""IIIF endpoints: Image API 3.0 (info.json, image requests, base URI) and Presentation 3.0
manifests. Each view parses the path, finds the image or record through the source registry
or the selectors (which apply the visibility rule), and renders; pixels are iiif.py's job.

Settings: IIIF_MAX_WIDTH, IIIF_MAX_HEIGHT, IIIF_MAX_AREA (what one response may hold, see
iiif_sources.image_limits); IIIF_RENDER_SLOTS and IIIF_RENDER_WAIT_S (renders at once per
process, see render_slot); the cache's settings in iiif_cache.
"""
from __future__ import annotations

import hashlib
import io
import json
import threading
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from apps.collections import iiif, iiif_presentation, imaging, selectors
from apps.collections.iiif_cache import cache_open, cache_store
from apps.collections.iiif_sources import ImageSource, image_limits, photograph_is_public, resolve_image_source

# Shared caches may keep public images this long after a collection is unpublished.
PUBLIC_MAX_AGE = 3600
PRIVATE_MAX_AGE = 300
# A client refused a render slot may try again after this many seconds.
BUSY_RETRY_AFTER_S = 2

_render_slots = threading.BoundedSemaphore(settings.IIIF_RENDER_SLOTS)


class RenderBusy(Exception):
    """Every render slot of this process stayed taken for IIIF_RENDER_WAIT_S."""


@contextmanager
def render_slot():
    """One of this process's IIIF_RENDER_SLOTS render slots, for the duration of a render;
    raises RenderBusy when none frees up within IIIF_RENDER_WAIT_S."""
    if not _render_slots.acquire(timeout=settings.IIIF_RENDER_WAIT_S):
        raise RenderBusy
    try:
        yield
    finally:
        _render_slots.release()


def _source_or_404(request, identifier: str) -> ImageSource:
    source = resolve_image_source(identifier, request.user)
    if source is None:
        raise Http404("No such image.")
    return source


def _service_id(request, identifier: str) -> str:
    return request.build_absolute_uri(reverse("collections:iiif-image-base", args=[identifier]))


def _json_media_type(request, context: str) -> str:
    # JSON-LD only when asked for (Image API 3.0 §7.1; Presentation 3.0 §6.2).
    if "application/ld+json" in request.headers.get("Accept", ""):
        return f'application/ld+json;profile="{context}"'
    return "application/json"


def _share(response: HttpResponse, is_public: bool) -> HttpResponse:
    """CORS and caching: public images are for everyone; others only for this session."""
    if is_public:
        response["Access-Control-Allow-Origin"] = "*"
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        # Who asks still decides whether the resource exists (visibility), so a shared cache
        # must key on the session too; SessionMiddleware adds this only when it read one.
        patch_vary_headers(response, ["Cookie"])
    else:
        patch_cache_control(response, private=True, max_age=PRIVATE_MAX_AGE)
        patch_vary_headers(response, ["Cookie", "Authorization"])
    return response


@require_safe
def image_base(request, identifier: str):
    """The base URI of an image service redirects to its info.json (Image API 3.0 §2.2)."""
    _source_or_404(request, identifier)
    return HttpResponseRedirect(reverse("collections:iiif-info", args=[identifier]), status=303)


@require_safe
def image_info(request, identifier: str):
    source = _source_or_404(request, identifier)
    document = iiif.info_document(_service_id(request, identifier), source.width, source.height, limits=image_limits(source), rights=source.rights)
    response = HttpResponse(json.dumps(document, indent=2), content_type=_json_media_type(request, iiif.CONTEXT))
    response["Link"] = f'<{iiif.PROFILE_URI}>;rel="profile"'
    patch_vary_headers(response, ["Accept"])  # JSON or JSON-LD (_json_media_type)
    return _share(response, source.is_public)


@require_safe
def image_request(request, identifier: str, region: str, size: str, rotation: str, quality_format: str):
    source = _source_or_404(request, identifier)
    try:
        plan = iiif.plan_request(iiif.parse_request(region, size, rotation, quality_format), source.width, source.height, limits=image_limits(source))
    except iiif.IIIFError as error:
        return _share(HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8"), source.is_public)

    key = hashlib.sha256(f"{identifier}|{source.version}|{plan.canonical}".encode()).hexdigest()
    etag = f'"{key[:32]}"'
    # Whole seconds, as Last-Modified says: an If-Modified-Since copied from it then matches.
    last_modified = int(source.modified.timestamp()) if source.modified else None
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return _image_headers(request, not_modified, identifier, plan, source, etag)

    cached = cache_open(key, plan.format)
    if cached is not None:
        response = FileResponse(cached, content_type=plan.media_type, filename=f"{identifier}.{plan.format}")
        return _image_headers(request, response, identifier, plan, source, etag)
    try:
        with render_slot():
            data = _render(plan, source)
    except RenderBusy:
        return _unavailable(source, "The image service is busy: try again shortly.")
    except iiif.IIIFError as error:  # a master too large to render without its pyramid
        return _unavailable(source, error.message)
    cache_store(key, plan.format, data)
    response = FileResponse(io.BytesIO(data), content_type=plan.media_type, filename=f"{identifier}.{plan.format}")
    return _image_headers(request, response, identifier, plan, source, etag)


def _unavailable(source: ImageSource, message: str) -> HttpResponse:
    """503 with Retry-After, kept by no cache; readable cross-origin for public images."""
    response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(BUSY_RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    if source.is_public:
        response["Access-Control-Allow-Origin"] = "*"
    return response


def _render(plan: iiif.Plan, source: ImageSource) -> bytes:
    """From the pyramidal tiled derivative when the image has one, else from the master."""
    pyramid = source.open_pyramid() if source.open_pyramid else None
    if pyramid is not None:
        with pyramid:
            return imaging.pyramid_render(plan, pyramid)
    with source.open() as master:
        return iiif.render(plan, master)


def _image_headers(request, response, identifier: str, plan: iiif.Plan, source: ImageSource, etag: str):
    response["ETag"] = etag
    if source.modified:
        response["Last-Modified"] = http_date(source.modified.timestamp())
    canonical = f"{_service_id(request, identifier)}/{plan.canonical}"
    response["Link"] = f'<{canonical}>;rel="canonical", <{iiif.PROFILE_URI}>;rel="profile"'
    return _share(response, source.is_public)


@require_safe
def photograph_manifest(request, pk: int):
    photograph = selectors.photograph_get(user=request.user, pk=pk)
    document = iiif_presentation.photograph_manifest(photograph, request=request)
    return _presentation_response(request, document, photograph_is_public(photograph))


@require_safe
def collection_manifest(request, slug: str, part: int | None = None):
    collection = selectors.collection_get(user=request.user, slug=slug)
    document = iiif_presentation.collection_document(collection, user=request.user, request=request, part=part)
    if document is None:
        raise Http404("No such part of this collection.")
    is_public = selectors.collection_visible_to(AnonymousUser()).filter(pk=collection.pk).exists()
    return _presentation_response(request, document, is_public)


def _presentation_response(request, document: dict, is_public: bool) -> HttpResponse:
    response = JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Type"] = _json_media_type(request, iiif_presentation.CONTEXT)
    patch_vary_headers(response, ["Accept"])  # JSON or JSON-LD (_json_media_type)
    return _share(response, is_public)
