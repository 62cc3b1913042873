"""IIIF endpoints: Image API 3.0 (info.json, image requests, base URI) and Presentation 3.0
manifests. Each view parses the path, finds the image or record through the source registry
or the selectors (which apply the visibility rule), and renders; pixels are iiif.py's job.

Settings (optional): IIIF_MAX_AREA, the most pixels one response may hold (default 100
megapixels, see iiif_sources.configured_max_area); IIIF_CACHE_ROOT, where rendered images
are kept (default MEDIA_ROOT/iiif-cache).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from apps.collections import iiif, iiif_presentation, selectors
from apps.collections.iiif_sources import ImageSource, configured_max_area, photograph_responses_shared, resolve_image_source

# Shared caches may keep public images this long after a collection is unpublished.
PUBLIC_MAX_AGE = 3600
PRIVATE_MAX_AGE = 300


def cache_root() -> Path:
    root = getattr(settings, "IIIF_CACHE_ROOT", None)
    return Path(root) if root else Path(settings.MEDIA_ROOT) / "iiif-cache"


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
        plan = iiif.plan_request(parsed, width, height, max_area=configured_max_area())
        return plan, plan.canonical
    try:
        reduced = iiif.plan_request(parsed, width, height, max_area=configured_max_area())
    except iiif.IIIFError:
        iiif.plan_request(parsed, source.width, source.height, max_area=configured_max_area())  # a bad request stays a 400
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
    document = iiif.info_document(_service_id(request, identifier), width, height, max_area=configured_max_area(), rights=source.rights)
    if (width, height) != (source.width, source.height):
        document["maxWidth"], document["maxHeight"] = width, height  # the reduced image is all there is
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
    last_modified = source.modified.timestamp() if source.modified else None
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return _image_headers(request, not_modified, identifier, canonical, source, etag)

    path = cache_root() / key[:2] / f"{key}.{plan.format}"
    if not path.exists():
        with source.open() as master:
            data = iiif.render(plan, master)
        _write_atomically(path, data)
    response = FileResponse(path.open("rb"), content_type=plan.media_type, filename=f"{identifier}.{plan.format}")
    return _image_headers(request, response, identifier, canonical, source, etag)


def _image_headers(request, response, identifier: str, canonical: str, source: ImageSource, etag: str):
    response["ETag"] = etag
    if source.modified:
        response["Last-Modified"] = http_date(source.modified.timestamp())
    response["Link"] = f'<{_service_id(request, identifier)}/{canonical}>;rel="canonical", <{iiif.PROFILE_URI}>;rel="profile"'
    return _share(response, source.is_public)


def _write_atomically(path: Path, data: bytes) -> None:
    """Concurrent renders of one tile each write a temporary file; the last rename wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
