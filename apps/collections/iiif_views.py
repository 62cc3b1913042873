"""IIIF endpoints: Image API 3.0 (info.json, image requests, base URI) and Presentation 3.0
manifests. Each view parses the path, finds the image or record through the source registry
or the selectors (which apply the visibility rule), and renders; pixels are iiif.py's job.

Settings: IIIF_MAX_WIDTH, IIIF_MAX_HEIGHT, IIIF_MAX_AREA (what one response may hold, see
iiif_sources.image_limits); IIIF_RENDER_SLOTS and IIIF_RENDER_WAIT_S (renders at once per
process, see render_slot); the cache's settings in iiif_cache.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import threading
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from apps.collections import iiif, iiif_presentation, imaging, selectors
from apps.collections.iiif_cache import cache_open, cache_store
from apps.collections.iiif_sources import ImageSource, image_limits, photograph_responses_shared, resolve_image_source

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


def _refused(source: ImageSource) -> HttpResponse:
    """403 with the reason, for an image whose record is visible but whose pixels are not."""
    return _share(HttpResponse(source.restriction, status=403, content_type="text/plain; charset=utf-8"), source.is_public)


def access_size(source: ImageSource) -> tuple[int, int]:
    """The size of the image the user may see: the full image, or — with an access limit —
    the full image fitted into `source.max_side`. The one place IIIF applies the access
    level; kept apart so a per-request output limit can be combined with it."""
    if source.max_side is None or source.max_side >= max(source.width, source.height):
        return source.width, source.height
    scale = source.max_side / max(source.width, source.height)
    return max(1, round(source.width * scale)), max(1, round(source.height * scale))


def _plan(parsed: iiif.ImageRequest, source: ImageSource) -> tuple[iiif.Plan, str]:
    """Plan a request against the image the user may see. A reduced image is served as an
    image of its own (its info.json has the reduced width and height), so no region or
    size can reach more detail than the access level allows; its plan is mapped back onto
    the full image for rendering. A request that only the full image could satisfy is 403
    with the reason. Returns the plan to render and the canonical form of the request."""
    width, height = access_size(source)
    if (width, height) == (source.width, source.height):
        plan = iiif.plan_request(parsed, width, height, limits=image_limits(source))
        return plan, plan.canonical
    try:
        reduced = iiif.plan_request(parsed, width, height, limits=image_limits(source))
    except iiif.IIIFError:
        iiif.plan_request(parsed, source.width, source.height, limits=image_limits(source))  # a bad request stays a 400
        raise iiif.IIIFError("This size or region is beyond what you may see of this image.", status=403) from None
    if reduced.width > reduced.region[2] or reduced.height > reduced.region[3]:
        raise iiif.IIIFError("Upscaling is not offered beyond what you may see of this image.", status=403)
    sx, sy = source.width / width, source.height / height
    x, y, w, h = reduced.region
    full_x, full_y = min(source.width - 1, round(x * sx)), min(source.height - 1, round(y * sy))
    region = (full_x, full_y, max(1, min(source.width - full_x, round(w * sx))), max(1, min(source.height - full_y, round(h * sy))))
    return dataclasses.replace(reduced, full_width=source.width, full_height=source.height, region=region), reduced.canonical


@require_safe
def image_info(request, identifier: str):
    source = _source_or_404(request, identifier)
    if source.max_side == 0:
        return _refused(source)
    width, height = access_size(source)
    document = iiif.info_document(_service_id(request, identifier), width, height, limits=image_limits(source), rights=source.rights)
    if (width, height) != (source.width, source.height):  # the reduced image is all there is
        document["maxWidth"], document["maxHeight"] = min(document.get("maxWidth", width), width), min(document.get("maxHeight", height), height)
    response = _json_document(request, document, context=iiif.CONTEXT, modified=source.modified)
    response["Link"] = f'<{iiif.PROFILE_URI}>;rel="profile"'
    return _share(response, source.is_public)


def _json_document(request, document: dict, *, context: str, modified) -> HttpResponse:
    """A JSON document with an ETag (its content) and Last-Modified, answering conditional
    requests with 304, so harvesters and viewers revalidate instead of downloading again."""
    body = json.dumps(document, indent=2, ensure_ascii=False).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    last_modified = int(modified.timestamp()) if modified else None  # HTTP dates have whole seconds
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = HttpResponse(body, content_type=_json_media_type(request, context))
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    patch_vary_headers(response, ["Accept"])  # JSON or JSON-LD (_json_media_type)
    return response


@require_safe
def image_request(request, identifier: str, region: str, size: str, rotation: str, quality_format: str):
    source = _source_or_404(request, identifier)
    if source.max_side == 0:
        return _refused(source)
    try:
        plan, canonical = _plan(iiif.parse_request(region, size, rotation, quality_format), source)
    except iiif.IIIFError as error:
        message = f"{error.message} {source.restriction}".strip() if error.status == 403 else error.message
        return _share(HttpResponse(message, status=error.status, content_type="text/plain; charset=utf-8"), source.is_public)

    key = hashlib.sha256(f"{identifier}|{source.version}|{plan.canonical}".encode()).hexdigest()
    etag = f'"{key[:32]}"'
    # Whole seconds, as Last-Modified says: an If-Modified-Since copied from it then matches.
    last_modified = int(source.modified.timestamp()) if source.modified else None
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return _image_headers(request, not_modified, identifier, canonical, source, etag)

    cached = cache_open(key, plan.format)
    if cached is not None:
        response = FileResponse(cached, content_type=plan.media_type, filename=f"{identifier}.{plan.format}")
        return _image_headers(request, response, identifier, canonical, source, etag)
    try:
        with render_slot():
            data = _render(plan, source)
    except RenderBusy:
        return _unavailable(source, "The image service is busy: try again shortly.")
    except iiif.IIIFError as error:  # a master too large to render without its pyramid
        return _unavailable(source, error.message)
    cache_store(key, plan.format, data)
    response = FileResponse(io.BytesIO(data), content_type=plan.media_type, filename=f"{identifier}.{plan.format}")
    return _image_headers(request, response, identifier, canonical, source, etag)


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


def _image_headers(request, response, identifier: str, canonical: str, source: ImageSource, etag: str):
    response["ETag"] = etag
    if source.modified:
        response["Last-Modified"] = http_date(source.modified.timestamp())
    response["Link"] = f'<{_service_id(request, identifier)}/{canonical}>;rel="canonical", <{iiif.PROFILE_URI}>;rel="profile"'
    return _share(response, source.is_public)


@require_safe
def photograph_manifest(request, pk: int):
    photograph = selectors.photograph_get(user=request.user, pk=pk)
    document = iiif_presentation.photograph_manifest(photograph, request=request)
    shared = photograph_responses_shared(photograph, request.user)
    return _share(_json_document(request, document, context=iiif_presentation.CONTEXT, modified=photograph.updated_at), shared)


@require_safe
def collection_manifest(request, slug: str, part: int | None = None):
    collection = selectors.collection_get(user=request.user, slug=slug)
    document = iiif_presentation.collection_document(collection, user=request.user, request=request, part=part)
    if document is None:
        raise Http404("No such part of this collection.")
    is_public = selectors.collection_visible_to(AnonymousUser()).filter(pk=collection.pk).exists()
    # Its photographs change without the collection's row: the ETag (content) decides.
    return _share(_json_document(request, document, context=iiif_presentation.CONTEXT, modified=None), is_public)
