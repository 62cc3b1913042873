"""Acceptance 1: from a curated set to the model that colours the next request.

A curator builds a small set (colour photographs ingested by the archive, and a variant a
colorist approved), starts "Retrain" from the admin, a real worker trains on the
`training` queue, progress rows appear, a candidate comes out with hold-out metrics for
it and its base, the curator activates it, and the next colorization uses it.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from apps.colorize import services as colorize
from apps.mlcore import registry
from apps.mlcore.models import CuratedSet, ModelVersion, TrainingProgress, TrainingRun

pytestmark = pytest.mark.django_db(transaction=True)


def test_curator_retrains_from_the_admin_and_the_next_colorization_uses_the_candidate(
    client, curator, colorist, base_model, colour_photographs, grey_photograph, approve_variant, tiny_hyperparameters, rq_worker, rq_queues,
):
    import json

    variant = approve_variant(grey_photograph)
    curator.is_staff = True
    curator.save()
    client.force_login(curator)

    # The curator builds the set in the admin: photographs by id, the approved variant, and a
    # grayscale photograph that is refused with its reason.
    ids = " ".join(str(p.pk) for p in colour_photographs)
    response = client.post(reverse("admin:mlcore_curatedset_add"), {
        "name": "Harbour colours", "description": "", "seed": 0, "holdout_fraction": 0.4,
        "add_photographs": f"{ids} {grey_photograph.pk}", "add_variants": str(variant.pk), "add_search": "",
        "items-TOTAL_FORMS": 0, "items-INITIAL_FORMS": 0,
    }, follow=True)
    assert response.status_code == 200
    curated = CuratedSet.objects.get(name="Harbour colours")
    assert curated.items.count() == 5
    shown = [str(m) for m in response.context["messages"]]
    assert "5 items added to “Harbour colours”." in shown
    assert any(f"photograph #{grey_photograph.pk} HB-G1: it is grayscale" in m for m in shown)

    # The change page shows its size and a sample.
    page = client.get(reverse("admin:mlcore_curatedset_change", args=[curated.pk]))
    assert page.status_code == 200 and b'<div class="readonly">5</div>' in page.content  # all five usable
    assert reverse("mlcore:curated-item-thumbnail", args=[curated.items.first().pk]).encode() in page.content

    # "Retrain…" asks for the base and hyperparameters, then queues the run.
    changelist = reverse("admin:mlcore_curatedset_changelist")
    confirm = client.post(changelist, {"action": "retrain", "_selected_action": [curated.pk]})
    assert confirm.status_code == 200 and b"Queue the training runs" in confirm.content
    assert not TrainingRun.objects.exists()
    response = client.post(changelist, {
        "action": "retrain", "_selected_action": [curated.pk], "apply": "1",
        "base_version": base_model.pk, "hyperparameters": json.dumps(tiny_hyperparameters),
    })
    assert response.status_code == 302 and response["Location"] == reverse("admin:mlcore_trainingrun_changelist")
    run = TrainingRun.objects.get()
    assert run.status == "queued" and run.requested_by == curator and run.base_version == base_model
    assert rq_queues["training"].fetch_job(run.job_id) is not None

    rq_worker()

    run.refresh_from_db()
    assert run.status == "succeeded", run.error + "\n" + run.log_tail
    assert list(TrainingProgress.objects.filter(training_run=run).values_list("epoch", flat=True)) == [1, 2, 3]
    candidate = run.result_version
    assert candidate.status == "candidate" and candidate.base_version == base_model
    for metrics in (candidate.metrics["holdout"], candidate.metrics["base_holdout"]):
        assert metrics["delta_e2000"] > 0 and metrics["psnr"] > 0 and 0 < metrics["ssim"] <= 1
    assert candidate.training_data["variants"] == 1 and candidate.training_data["photographs"] == 4

    # The admin shows the run and the versions' metrics side by side.
    runs_page = client.get(reverse("admin:mlcore_trainingrun_changelist"))
    assert b"done" in runs_page.content
    versions_page = client.get(reverse("admin:mlcore_modelversion_changelist"))
    assert f"{candidate.metrics['holdout']['delta_e2000']:.3f}".encode() in versions_page.content

    # Activate the candidate (admin action); workers pick it up without a restart.
    client.post(reverse("admin:mlcore_modelversion_changelist"), {"action": "activate", "_selected_action": [candidate.pk]})
    candidate.refresh_from_db()
    base_model.refresh_from_db()
    assert (candidate.status, base_model.status) == ("active", "candidate")
    version, colorizer = registry.colorizer_for_active()
    assert version == candidate and colorizer.weights_sha256 == candidate.weights_sha256

    # The next colorization uses it.
    request = colorize.colorization_request_create(photograph=grey_photograph, user=colorist, seeds=[3], working_size=64)
    assert request.model_version == candidate
    rq_worker()
    request.refresh_from_db()
    assert request.status == "succeeded", request.error
    new_variant = request.variants.get()
    assert new_variant.provenance["model_version"] == candidate.version
    assert new_variant.provenance["weights_sha256"] == candidate.weights_sha256
    # The variant approved earlier keeps the provenance of the version that made it.
    variant.refresh_from_db()
    assert variant.provenance["weights_sha256"] == base_model.weights_sha256
    assert ModelVersion.objects.filter(status="active").get() == candidate
