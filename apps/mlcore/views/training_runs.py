"""A training run's page: live progress, its evaluation (hold-out and benchmark), cancel and
re-run; and the pictures it stored."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from archive_site.portal import permission_required

from .. import selectors, services
from ..models import TrainingRun
from .common import SAMPLE_KINDS, comparison_rows, stream


@permission_required("mlcore.view_trainingrun")
def training_run_detail(request, pk: int):
    run = get_object_or_404(selectors.training_run_list(), pk=pk)
    evaluation = run.evaluation or {}
    context = {
        "run": run,
        "events": selectors.training_run_progress(training_run=run),
        "comparison": comparison_rows(evaluation["candidate"], evaluation.get("base", {})) if evaluation.get("candidate") else [],
        "benchmark": evaluation.get("benchmark"),
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


@permission_required("mlcore.view_trainingrun")
def training_run_sample(request, pk: int, index: int, kind: str):
    """A picture written at evaluation time (original, grayscale, base or candidate)."""
    run = get_object_or_404(TrainingRun, pk=pk)
    samples = (run.evaluation or {}).get("samples") or []
    if not 0 <= index < len(samples) or kind not in samples[index]["images"]:
        raise Http404("No such sample.")
    return stream(samples[index]["images"][kind])
