"""The model versions page: every version in one table on the benchmark set, each candidate's
hold-out comparison with its base, activation (asking for a reason when the version is
worse than the active one) and retirement, and each version's history."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from archive_site.portal import permission_required

from .. import selectors, services
from ..forms import ActivationForm
from ..gan.benchmark import GUARDED
from ..gan.evaluate import COLUMNS
from ..models import ModelVersion
from .common import SAMPLE_KINDS, comparison_rows

GUARDED_KEYS = {key for key, _ in GUARDED}


@permission_required("mlcore.view_trainingrun")
def model_versions(request):
    versions = list(selectors.model_version_list())
    table = selectors.benchmark_table(versions)
    scored = {version.pk: record for version, record in table["scored"]}
    active = next((v for v in versions if v.status == ModelVersion.Status.ACTIVE), None)
    cards = []
    for version in versions:
        run = getattr(version, "training_run", None)
        holdout = version.metrics.get("holdout") or {}
        record = scored.get(version.pk)
        check = selectors.activation_check(model_version=version, active=active) if active and version != active else None
        cards.append({
            "version": version,
            "run": run,
            "record": record,
            "cells": [
                {"key": key, "value": (record["scores"].get(key) if record else None),
                 "spread": (record.get("spread", {}).get(key) if record and key in GUARDED_KEYS else None)}
                for key, _ in COLUMNS
            ],
            "check": check,
            "comparison": comparison_rows(holdout, version.metrics.get("base_holdout") or {}) if holdout else [],
            "samples": (run.evaluation.get("samples") or []) if run else [],
            "history": selectors.model_version_history(model_version=version),
        })
    context = {
        "cards": cards,
        "columns": COLUMNS,
        "benchmark": table,
        "grayscale_cells": [(table["grayscale"] or {}).get(key) for key, _ in COLUMNS],
        "runs": selectors.training_run_list()[:20],
        "can_change": request.user.has_perm("mlcore.change_modelversion"),
        "sample_kinds": SAMPLE_KINDS,
    }
    return render(request, "mlcore/model_versions.html", context)


@require_POST
@permission_required("mlcore.change_modelversion")
def model_version_activate(request, pk: int):
    """Activate a version. One that is worse than the active version on the benchmark set
    gets a page with the comparison asking why (409); the reason goes into its history."""
    version = get_object_or_404(ModelVersion, pk=pk)
    form = ActivationForm(request.POST if "override_reason" in request.POST else None)
    reason = form.cleaned_data["override_reason"] if form.is_bound and form.is_valid() else ""
    try:
        version = services.model_version_activate(model_version=version, user=request.user, override_reason=reason)
    except services.ActivationNeedsReason as refusal:
        return render(request, "mlcore/model_version_activate.html", {"check": refusal.check, "form": form, "version": version}, status=409)
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


@require_POST
@permission_required("mlcore.change_modelversion")
def model_version_benchmark(request, pk: int):
    version = get_object_or_404(ModelVersion, pk=pk)
    try:
        queued = services.model_version_benchmark_request(model_version=version, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{version} is queued for scoring on the benchmark set." if queued else f"{version} is already waiting to be scored.")
    return redirect("mlcore:model-versions")
