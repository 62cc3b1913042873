"""Upload scans into a collection: many files from a plain multi-file form, or one file per
request from the page's script (drag and drop, progress bars), which asks for JSON."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from apps.collections import selectors, services
from apps.collections.forms import UploadForm
from apps.collections.models import MetadataChange
from archive_site.portal import permission_required


@dataclass(frozen=True)
class UploadResult:
    """What happened to one file: stored, duplicate (of `photograph`) or refused (`message`)."""

    filename: str
    status: str
    message: str
    photograph_id: int | None = None
    photograph_title: str = ""
    photograph_url: str = ""


@permission_required("collections.add_photograph")
def upload(request):
    collections = selectors.collection_visible_to(request.user).order_by("path")
    wants_json = "application/json" in request.headers.get("Accept", "")
    results: list[UploadResult] = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, collections=collections)
        if form.is_valid():
            collection = form.cleaned_data["collection"]
            results = [_ingest(collection, file, request.user) for file in form.cleaned_data["files"]]
            form = UploadForm(initial={"collection": collection}, collections=collections)
        elif wants_json:
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        if wants_json:
            return JsonResponse({"results": [asdict(result) for result in results]})
    else:
        chosen = collections.filter(slug=request.GET.get("collection", "")).first()
        form = UploadForm(initial={"collection": chosen}, collections=collections)
    return render(
        request,
        "collections/upload.html",
        {"form": form, "results": results, "counts": _counts(results), "has_collections": collections.exists()},
    )


def _ingest(collection, file, user) -> UploadResult:
    try:
        photograph = services.photograph_ingest(collection=collection, file=file, filename=file.name, user=user, source=MetadataChange.Source.PORTAL).photograph
    except services.IngestRefused as refusal:
        existing = refusal.existing
        return UploadResult(
            filename=file.name,
            status="duplicate" if refusal.code == services.IngestRefused.DUPLICATE else "refused",
            message=refusal.message,
            photograph_id=existing.pk if existing else None,
            photograph_title=existing.display_title if existing else "",
            photograph_url=reverse("collections:photograph", args=[existing.pk]) if existing else "",
        )
    except ValidationError as error:
        return UploadResult(filename=file.name, status="refused", message=" ".join(error.messages))
    return UploadResult(
        filename=file.name,
        status="stored",
        message=f"Stored as {photograph.identifier}.",
        photograph_id=photograph.pk,
        photograph_title=photograph.display_title,
        photograph_url=reverse("collections:photograph", args=[photograph.pk]),
    )


def _counts(results: list[UploadResult]) -> dict[str, int]:
    counts = {"stored": 0, "duplicate": 0, "refused": 0}
    for result in results:
        counts[result.status] += 1
    return counts
