"""Portal pages for curators: model versions side by side (activate, retire) and a training
run's live progress. Each view parses input, calls a selector or a service, renders."""
from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from archive_site.portal import permission_required

from . import selectors, services
from .gan.evaluate import COLUMNS
from .models import CuratedItem, ModelVersion, TrainingRun

# Metrics where a lower value is better; the others (PSNR, SSIM, diversity) higher.
LOWER_IS_BETTER = {"delta_e2000", "ms_per_megapixel"}
SAMPLE_KINDS = ("original", "grayscale", "base", "candidate")


def _comparison(candidate: dict, base: dict) -> list[dict]:
    """Rows of a base-vs-candidate table: metric, both values, and which is better."""
    rows = []
    for key, title in COLUMNS:
        new, old = candidate.get(key), base.get(key)
        better = None
        if new is not None and old is not None and new != old:
            if key == "colourfulness_gap":
                better = abs(new) < abs(old)
            else:
                better = (new < old) if key in LOWER_IS_BETTER else (new > old)
        rows.append({"key": key, "title": title, "candidate": new, "base": old, "better": better})
    return rows


@permission_required("mlcore.view_trainingrun")
def model_versions(request):
    versions = list(selectors.model_version_list())
    cards = []
    for version in versions:
        run = getattr(version, "training_run", None)
        holdout = version.metrics.get("holdout") or {}
        cards.append({
            "version": version,
            "run": run,
            "holdout_values": [holdout.get(key) for key, _ in COLUMNS],
            "comparison": _comparison(holdout, version.metrics.get("base_holdout") or {}) if holdout else [],
            "samples": (run.evaluation.get("samples") or []) if run else [],
        })
    context = {
        "cards": cards,
        "columns": COLUMNS,
        "runs": selectors.training_run_list()[:20],
        "can_change": request.user.has_perm("mlcore.change_modelversion"),
        "sample_kinds": SAMPLE_KINDS,
    }
    return render(request, "mlcore/model_versions.html", context)


@require_POST
@permission_required("mlcore.change_modelversion")
def model_version_activate(request, pk: int):
    version = services.model_version_activate(model_version=get_object_or_404(ModelVersion, pk=pk), user=request.user)
    messages.success(request, f"{version} is now the active model: new colorizations use it.")
    return redirect("mlcore:model-versions")


@require_POST
@permission_required("mlcore.change_modelversion")
def model_version_retire(request, pk: int):
    version = get_object_or_404(ModelVersion, pk=pk)
    try:
        services.model_version_retire(model_version=version, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{version} is retired.")
    return redirect("mlcore:model-versions")


@permission_required("mlcore.view_trainingrun")
def training_run_detail(request, pk: int):
    run = get_object_or_404(selectors.training_run_list(), pk=pk)
    evaluation = run.evaluation or {}
    context = {
        "run": run,
        "events": selectors.training_run_progress(training_run=run),
        "comparison": _comparison(evaluation.get("candidate", {}), evaluation.get("base", {})) if evaluation else [],
        "samples": evaluation.get("samples") or [],
        "sample_kinds": SAMPLE_KINDS,
        "can_cancel": run.is_active and request.user.has_perm("mlcore.change_trainingrun"),
        "can_rerun": run.status in (TrainingRun.Status.FAILED, TrainingRun.Status.CANCELLED) and request.user.has_perm("mlcore.change_trainingrun"),
        "can_activate": run.result_version is not None and request.user.has_perm("mlcore.change_modelversion"),
    }
    return render(request, "mlcore/training_run.html", context)


def _training_run_action(request, pk: int, service, done: str):
    """POST handler body for a button on the run page: call `service`, say how it went, go back."""
    try:
        service(training_run=get_object_or_404(TrainingRun, pk=pk), user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("mlcore:training-run", pk=pk)


@require_POST
@permission_required("mlcore.change_trainingrun")
def training_run_cancel(request, pk: int):
    return _training_run_action(request, pk, services.training_run_cancel, "Cancel requested: the run stops within a few seconds.")


@require_POST
@permission_required("mlcore.change_trainingrun")
def training_run_rerun(request, pk: int):
    return _training_run_action(request, pk, services.training_run_rerun, "Queued again; the log says where it starts from.")


def _stream(field_file_or_name):
    name = getattr(field_file_or_name, "name", field_file_or_name)
    if not name or not default_storage.exists(name):
        raise Http404("No such image.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@permission_required("mlcore.view_trainingrun")
def training_run_sample(request, pk: int, index: int, kind: str):
    """A hold-out picture written at evaluation time (original, grayscale, base or candidate)."""
    run = get_object_or_404(TrainingRun, pk=pk)
    samples = (run.evaluation or {}).get("samples") or []
    if not 0 <= index < len(samples) or kind not in samples[index]["images"]:
        raise Http404("No such sample.")
    return _stream(samples[index]["images"][kind])


@permission_required("mlcore.view_curatedset")
def curated_item_thumbnail(request, pk: int):
    """The thumbnail of a curated item: its photograph's, or its variant's."""
    item = get_object_or_404(CuratedItem.objects.select_related("photograph", "variant"), pk=pk)
    if item.kind == CuratedItem.Kind.PHOTOGRAPH:
        return _stream(item.photograph.thumbnail or item.photograph.display)
    return _stream(item.variant.thumbnail)
