"""A photograph's page (metadata, deep zoom, downloads, history) and its edit form."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from apps.collections import iiif_presentation, selectors, services
from apps.collections.access import Access, AccessLevel, media_refusal, photograph_access
from apps.collections.forms import PhotographMetadataForm, add_service_errors
from apps.collections.iiif_sources import photograph_image_identifier, photograph_image_size
from apps.collections.models import MetadataChange, RightsStatement
from archive_site.portal import permission_required

from .common import optional_template

HISTORY_ON_PAGE = 50
PAGE_OWN_FIELDS = ("Rights", "Subject")
READING_COPY_BOX = 1600
EDIT_PREVIEW_BOX = 600
# Added by the colorize app; the page shows it only once that app provides it.
COLORIZE_PANEL = "colorize/photograph_panel.html"


def photograph_detail(request, pk: int):
    photograph = selectors.photograph_get(user=request.user, pk=pk)
    history = None
    if request.user.has_perm("collections.view_metadatachange"):
        history = selectors.photograph_history(user=request.user, photograph=photograph).select_related("user")[:HISTORY_ON_PAGE]
    image_identifier = photograph_image_identifier(photograph)
    access = photograph_access(photograph, request.user)
    shows_image = access.allows(AccessLevel.THUMBNAIL)
    return render(
        request,
        "collections/photograph_detail.html",
        {
            "photograph": photograph,
            "ancestors": [*selectors.collection_ancestors(collection=photograph.collection), photograph.collection],
            # Rights have their own box on the page, subjects their links.
            "metadata": [entry for entry in iiif_presentation.photograph_metadata(photograph) if entry["label"]["en"][0] not in PAGE_OWN_FIELDS],
            "date_note": services.edtf_range_note(photograph.date),
            "rights_label": RightsStatement(photograph.rights_uri).label if photograph.rights_uri else "",
            "history": history,
            "info_url": reverse("collections:iiif-info", args=[image_identifier]) if shows_image else None,
            "preview_url": _preview_url(photograph, access) if shows_image else None,
            "image_size": photograph_image_size(photograph),
            "downloads": _downloads(photograph, access),
            # Why the visitor gets less than the master (docs/ARCHIVE.md, "Access").
            "restriction": access.reason,
            "manifest_url": reverse("collections:iiif-manifest", args=[photograph.pk]),
            "can_edit": request.user.has_perm("collections.change_photograph"),
            "colorize_panel": optional_template(COLORIZE_PANEL),
        },
    )


def _reading_box(access: Access) -> int:
    return min(READING_COPY_BOX, access.max_side) if access.max_side is not None else READING_COPY_BOX


def _preview_url(photograph, access: Access) -> str:
    """What the page shows before (or without) the deep-zoom viewer: the largest copy allowed."""
    if photograph.display and not media_refusal(photograph, "display", access):
        return photograph.media_url("display")
    if access.level == AccessLevel.THUMBNAIL and photograph.thumbnail:
        return photograph.media_url("thumbnail")
    return iiif_presentation.photograph_image_path(photograph, _reading_box(access))


def _downloads(photograph, access: Access) -> list[dict]:
    """The files this user may have of the photograph (none at the metadata-only level)."""
    links = []
    if access.allows(AccessLevel.MASTER):
        detail = f"{photograph.format or photograph.mode}, {photograph.width}×{photograph.height}, {photograph.file_size:,} bytes"
        links.append({"label": "Master file", "detail": detail, "url": photograph.media_url("master")})
    if photograph.display and not media_refusal(photograph, "display", access):
        links.append({"label": "Display copy", "detail": "JPEG, up to 2000 px", "url": photograph.media_url("display")})
    if access.allows(AccessLevel.THUMBNAIL):
        box = _reading_box(access)
        links.append({
            "label": "Reading copy",
            "detail": f"JPEG, up to {box} px, from the IIIF service",
            "url": iiif_presentation.photograph_image_path(photograph, box),
        })
    return links


@permission_required("collections.change_photograph")
def photograph_edit(request, pk: int):
    photograph = selectors.photograph_get(user=request.user, pk=pk)
    if request.method == "POST":
        form = PhotographMetadataForm(request.POST)
        if form.is_valid():
            try:
                changes = services.photograph_update(photograph=photograph, data=form.cleaned_data, user=request.user, source=MetadataChange.Source.PORTAL)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if changes:
                    fields = ", ".join(change.field for change in changes)
                    messages.success(request, f"Saved {len(changes)} change{'s' if len(changes) != 1 else ''} ({fields}).")
                else:
                    messages.info(request, "Nothing changed.")
                return redirect("collections:photograph", pk=photograph.pk)
    else:
        form = PhotographMetadataForm(initial=PhotographMetadataForm.initial_for(photograph))
    return render(
        request,
        "collections/photograph_edit.html",
        {
            "photograph": photograph,
            "form": form,
            "ancestors": [*selectors.collection_ancestors(collection=photograph.collection), photograph.collection],
            "preview_url": iiif_presentation.photograph_image_path(photograph, EDIT_PREVIEW_BOX),
        },
    )
