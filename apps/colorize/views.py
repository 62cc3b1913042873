"""Portal pages of the colorist's workflow: colorize a photograph (one or a batch), follow a
request or a batch, review and annotate a variant, compare seeds side by side, the review
queue by photograph. Every page works without JavaScript; the scripts in static/js/colorize/
only add live status, the synchronised deep zoom, keyboard shortcuts and drawing regions."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.collections import iiif
from apps.collections import selectors as archive
from apps.collections.iiif_sources import photograph_image_identifier
from apps.collections.views_portal.common import thumbnail_url
from archive_site.portal import paginate, permission_required

from . import selectors, services
from .forms import (
    AnnotationForm,
    BatchColorizeForm,
    BulkColorizeForm,
    ColorizeOptionsForm,
    CompareForm,
    ReviewForm,
    ReviewQueueFilterForm,
    add_service_errors,
)
from .models import ColorizationRequest, Variant

PREVIEW_BOX = 1200
REVIEW_GROUPS_PER_PAGE = 10
BATCH_REQUESTS_PER_PAGE = 50
COMPARE_LIMIT = 8
COMPARE_PREVIEW_BOX = 800
REVIEW_ACTIONS = {"approve": services.variant_approve, "reject": services.variant_reject, "reopen": services.variant_reopen}


def iiif_preview_url(identifier: str, width: int, height: int, *, box: int = PREVIEW_BOX) -> str:
    """A reading copy from the IIIF service, at most `box` pixels on a side."""
    size = iiif.confined_size(width, height, box, box)
    return reverse("collections:iiif-image", args=[identifier, "full", size, "0", "default.jpg"])


def _photograph_context(request, photograph) -> dict:
    identifier = photograph_image_identifier(photograph)
    return {
        "photograph": photograph,
        "ancestors": [*archive.collection_ancestors(collection=photograph.collection), photograph.collection],
        "original_url": iiif_preview_url(identifier, photograph.width, photograph.height),
        "original_thumbnail_url": thumbnail_url(photograph),
        "original_info_url": reverse("collections:iiif-info", args=[identifier]),
    }


def _colorize_page(request, photograph, form, *, status: int = 200):
    variants = selectors.variant_list(user=request.user, photograph=photograph)
    return render(request, "colorize/photograph.html", {
        **_photograph_context(request, photograph),
        "form": form,
        "requests": selectors.colorization_request_list(user=request.user, photograph=photograph)[:20],
        "variants": variants,
        "can_compare": len(variants) > 0,
    }, status=status)


@permission_required("colorize.view_variant")
def photograph_colorize(request, pk: int):
    """A photograph's colorizations: the request form, requests with live status, the variants beside the original."""
    photograph = archive.photograph_get(user=request.user, pk=pk)
    return _colorize_page(request, photograph, ColorizeOptionsForm() if selectors.can_request(request.user) else None)


@require_POST
@permission_required("colorize.add_colorizationrequest")
def request_create(request, pk: int):
    photograph = archive.photograph_get(user=request.user, pk=pk)
    form = ColorizeOptionsForm(request.POST)
    if form.is_valid():
        try:
            created = services.colorization_request_create(photograph=photograph, user=request.user, **form.service_arguments())
        except services.ColorizationRefused as refusal:
            messages.warning(request, refusal.message)
            return redirect(_safe_next(request) or reverse("colorize:photograph", args=[photograph.pk]))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Requested {len(created.seeds)} variant{'s' if len(created.seeds) != 1 else ''} (seeds {', '.join(map(str, created.seeds))}).")
            return redirect(_safe_next(request) or reverse("colorize:photograph", args=[photograph.pk]))
    return _colorize_page(request, photograph, form, status=400)


def _safe_next(request) -> str | None:
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None


@permission_required("colorize.view_colorizationrequest")
def request_detail(request, pk: int):
    colorization_request = selectors.colorization_request_get(user=request.user, pk=pk)
    return render(request, "colorize/request_detail.html", {
        "colorization_request": colorization_request,
        "status": selectors.colorization_request_status(colorization_request=colorization_request),
        "photograph": colorization_request.photograph,
        "variants": colorization_request.variants.order_by("pk") if colorization_request.status == ColorizationRequest.Status.SUCCEEDED else [],
        "can_cancel": colorization_request.is_active and selectors.can_cancel(request.user, colorization_request),
    })


@require_POST
@permission_required("colorize.view_colorizationrequest")
def request_cancel(request, pk: int):
    colorization_request = selectors.colorization_request_get(user=request.user, pk=pk)
    if not selectors.can_cancel(request.user, colorization_request):
        raise PermissionDenied("Only its requester or a colorist may cancel this request.")
    try:
        colorization_request = services.colorization_request_cancel(colorization_request=colorization_request, user=request.user)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, "Cancelled." if colorization_request.status == "cancelled" else "Cancelling: the worker stops at its next stage.")
    return redirect(_safe_next(request) or reverse("colorize:request", args=[colorization_request.pk]))


def variant_detail(request, pk: int):
    """A variant against its original: swipe comparison, side by side, metrics, provenance,
    downloads; for colorists also review, history and annotations."""
    variant = selectors.variant_get(user=request.user, pk=pk)
    photograph = variant.photograph
    can_see_notes = selectors.can_see_all_variants(request.user)
    return render(request, "colorize/variant_detail.html", {
        **_photograph_context(request, photograph),
        "variant": variant,
        "variant_url": iiif_preview_url(variant.image_identifier, variant.width, variant.height),
        "variant_info_url": reverse("collections:iiif-info", args=[variant.image_identifier]),
        "downloads": _downloads(variant),
        "siblings": variant.request.variants.exclude(pk=variant.pk).order_by("pk") if can_see_notes else [],
        "annotations": selectors.annotation_list(user=request.user, variant=variant),
        "history": selectors.review_history(variant=variant) if can_see_notes else [],
        "annotation_form": AnnotationForm() if selectors.can_annotate(request.user) else None,
        "can_review": selectors.can_review(request.user),
        "review_form": ReviewForm(),
        "States": Variant.ReviewState,
    })


def _downloads(variant: Variant) -> list[dict]:
    labels = {"png": "PNG, lossless", "tiff": "TIFF, lossless", "jpeg": "JPEG, for sharing"}
    return [
        {"format": fmt.upper(), "detail": detail, "url": reverse("variant-download", args=[variant.pk, fmt])}
        for fmt, detail in labels.items()
    ]


@require_POST
@permission_required(selectors.REVIEW_PERMISSION)
def variant_review(request, pk: int, action: str):
    if action not in REVIEW_ACTIONS:
        raise PermissionDenied("Unknown review action.")
    variant = selectors.variant_get(user=request.user, pk=pk)
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        variant = REVIEW_ACTIONS[action](variant=variant, user=request.user, note=note)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, f"Variant {variant.pk} (seed {variant.seed}): {variant.get_review_state_display().lower()}.")
    return redirect(_safe_next(request) or reverse("colorize:variant", args=[pk]))


@require_POST
@permission_required("colorize.add_annotation")
def annotation_create(request, pk: int):
    variant = selectors.variant_get(user=request.user, pk=pk)
    form = AnnotationForm(request.POST)
    if form.is_valid():
        try:
            services.annotation_create(variant=variant, user=request.user, text=form.cleaned_data["text"], region=form.region())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Annotation added.")
    else:
        messages.error(request, "The annotation needs a remark; a region needs x, y, w and h between 0 and 1.")
    return redirect(_safe_next(request) or reverse("colorize:variant", args=[pk]) + "#annotations")


@permission_required("colorize.view_variant")
def review_queue(request):
    """Variants waiting for review, grouped by photograph (the one waiting longest first)."""
    collections = archive.collection_visible_to(request.user).order_by("path")
    form = ReviewQueueFilterForm(request.GET or None, collections=collections)
    variants = selectors.review_queue(user=request.user, **form.queue_filters())
    page = paginate(request, selectors.review_queue_photographs(variants=variants), per_page=REVIEW_GROUPS_PER_PAGE)
    groups = selectors.review_queue_groups(variants=variants, rows=page.object_list)
    for group in groups:
        group.photograph.thumbnail_url = thumbnail_url(group.photograph)
    return render(request, "colorize/review_queue.html", {
        "form": form, "page": page, "groups": groups, "pending": variants.count(), "can_review": selectors.can_review(request.user),
        "can_annotate": selectors.can_annotate(request.user), "query": _without_page(request.GET),
    })


def _without_page(query: QueryDict) -> str:
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


@permission_required("colorize.view_variant")
def compare(request, pk: int):
    """Up to COMPARE_LIMIT variants of a photograph beside its original, zoomed and panned
    together (compare_grid.js), each with its review actions; which ones is the `v` list,
    else one `request`'s, else those waiting for review."""
    photograph = archive.photograph_get(user=request.user, pk=pk)
    variants = list(selectors.variant_list(user=request.user, photograph=photograph))  # newest request first, for the chooser
    form = CompareForm(request.GET or None, variants=variants, limit=COMPARE_LIMIT)
    chosen, colorization_request = None, None
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data["v"]
        if form.cleaned_data.get("request"):
            colorization_request = selectors.colorization_request_get(user=request.user, pk=form.cleaned_data["request"])
            if colorization_request.photograph_id != photograph.pk:
                raise Http404("That request is of another photograph.")
    cells = selectors.compare_variants(user=request.user, photograph=photograph, ids=chosen, colorization_request=colorization_request, limit=COMPARE_LIMIT)
    for variant in cells:
        variant.info_url = reverse("collections:iiif-info", args=[variant.image_identifier])
        variant.preview_url = iiif_preview_url(variant.image_identifier, variant.width, variant.height, box=COMPARE_PREVIEW_BOX)
    shown = QueryDict(mutable=True)
    shown.setlist("v", [str(variant.pk) for variant in cells])
    next_photograph = selectors.review_queue_next_photograph(user=request.user, after=photograph)
    identifier = photograph_image_identifier(photograph)
    return render(request, "colorize/compare.html", {
        **_photograph_context(request, photograph),
        "original_preview_url": iiif_preview_url(identifier, photograph.width, photograph.height, box=COMPARE_PREVIEW_BOX),
        "form": form,
        "variants": variants,
        "cells": cells,
        "shown_ids": [variant.pk for variant in cells],
        "here": f"{request.path}?{shown.urlencode()}",
        "limit": COMPARE_LIMIT,
        "next_photograph": next_photograph,
        "can_review": selectors.can_review(request.user),
        "can_annotate": selectors.can_annotate(request.user),
        "States": Variant.ReviewState,
    }, status=400 if form.is_bound and not form.is_valid() else 200)


@permission_required("colorize.add_colorizationrequest")
def bulk_request(request):
    """Colorize every photograph of a collection in one go (one request each)."""
    collections = archive.collection_visible_to(request.user).order_by("path")
    form = BulkColorizeForm(request.POST or None, collections=collections)
    if request.method == "POST" and form.is_valid():
        photographs = archive.photograph_search(
            user=request.user, collection=form.cleaned_data["collection"], grayscale=True if form.cleaned_data["grayscale_only"] else None,
        )
        label = f"collection {form.cleaned_data['collection'].title}"
        try:
            result = services.colorization_request_create_many(photographs=photographs, user=request.user, label=label, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _batch_started(request, result)
    return render(request, "colorize/bulk.html", {"form": form})


def _batch_started(request, result: services.BulkResult):
    messages.success(request, f"Requested colorizations of {len(result.created)} photograph{'s' if len(result.created) != 1 else ''}.")
    if result.refused:
        messages.warning(request, f"{len(result.refused)} already had the same request waiting or running.")
    return redirect("colorize:batch", pk=result.batch.pk)


@permission_required("colorize.add_colorizationrequest")
def batch_create(request):
    """Colorize the photographs ticked in search results or on a collection's page (one request
    each). A refused form comes back here, with the selection kept, to be put right."""
    photographs = archive.photograph_visible_to(request.user)
    form = BatchColorizeForm(request.POST or None, photographs=photographs)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = services.colorization_request_create_many(
                    photographs=form.cleaned_data["photograph"], user=request.user, label=form.label(), **form.service_arguments(),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return _batch_started(request, result)
        status = 400
    selected = list(getattr(form, "cleaned_data", {}).get("photograph", []))
    for photograph in selected:
        photograph.thumbnail_url = thumbnail_url(photograph)
    return render(request, "colorize/batch_form.html", {"form": form, "selected": selected, "max_bulk": settings.COLORIZE_MAX_BULK}, status=status)


@permission_required("colorize.view_colorizationrequest")
def batch_detail(request, pk: int):
    """A batch's progress as one (live: batch.js polls the API), and each of its requests."""
    batch = selectors.colorization_batch_get(user=request.user, pk=pk)
    requests = selectors.colorization_batch_requests(user=request.user, batch=batch)
    page = paginate(request, requests.annotate(variant_count=Count("variants")), per_page=BATCH_REQUESTS_PER_PAGE)
    for row in page:
        row.photograph.thumbnail_url = thumbnail_url(row.photograph)
    return render(request, "colorize/batch_detail.html", {
        "batch": batch, "summary": selectors.colorization_batch_progress(requests=requests), "page": page,
    })
