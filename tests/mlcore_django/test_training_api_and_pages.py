"""The API (curated sets, training runs, model versions) and the curators' portal pages."""
from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.mlcore.models import CuratedSet, ModelVersion, TrainingRun

pytestmark = pytest.mark.django_db(transaction=True)


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_api_builds_a_set_and_starts_a_run_answering_202_with_the_run_to_poll(curator, colour_photographs, grey_photograph, base_model, tiny_hyperparameters, rq_queues):
    created = api(curator).post("/api/curated-sets/", {"name": "Via the API", "holdout_fraction": 0.25}, format="json")
    assert created.status_code == 201, created.content
    set_id = created.json()["id"]
    added = api(curator).post(f"/api/curated-sets/{set_id}/items/", {"photographs": [p.pk for p in colour_photographs] + [grey_photograph.pk]}, format="json")
    assert added.status_code == 200
    body = added.json()
    assert len(body["added"]) == 4
    assert body["refused"] == [
        {"item": f"photograph #{grey_photograph.pk} HB-G1", "reason": "it is grayscale: it teaches nothing about colour (add its approved colorization instead)"},
    ]
    listed = api(curator).get(f"/api/curated-sets/{set_id}/")
    assert listed.json()["item_count"] == 4 and listed.json()["usable_count"] == 4 and listed.json()["status"] == "draft"

    response = api(curator).post("/api/training-runs/", {"curated_set": set_id, "hyperparameters": {**tiny_hyperparameters, "epochs": 2}}, format="json")
    assert response.status_code == 202, response.content
    run = response.json()
    assert response["Location"] == f"/api/training-runs/{run['id']}/"
    assert run["status"] == "queued" and run["base_version"] == base_model.pk and run["hyperparameters"]["epochs"] == 2
    assert run["hyperparameters"]["lr_g"] == tiny_hyperparameters["lr_g"] and run["page_url"] == f"/models/runs/{run['id']}/"
    assert rq_queues["training"].count == 1
    assert api(curator).get(f"/api/curated-sets/{set_id}/").json()["status"] == "frozen"

    # A second run of the same set waits for the first; unknown hyperparameters are refused.
    again = api(curator).post("/api/training-runs/", {"curated_set": set_id}, format="json")
    assert again.status_code == 400 and "already queued" in again.json()["error"]["message"]
    bad = api(curator).post("/api/training-runs/", {"curated_set": set_id, "hyperparameters": {"epoch": 3}}, format="json")
    assert bad.status_code == 400 and "Unknown hyperparameters: epoch" in str(bad.json()["error"]["fields"])

    cancelled = api(curator).post(f"/api/training-runs/{run['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api(curator).post(f"/api/training-runs/{run['id']}/cancel/").status_code == 400
    assert rq_queues["training"].count == 0  # its job was cancelled too


def test_api_refuses_a_set_with_nothing_usable_and_who_may_not(curator, colorist, grey_photograph, base_model, rq_queues):
    curated = api(curator).post("/api/curated-sets/", {"name": "Grey"}, format="json").json()
    api(curator).post(f"/api/curated-sets/{curated['id']}/items/", {"photographs": [grey_photograph.pk]}, format="json")
    refused = api(curator).post("/api/training-runs/", {"curated_set": curated["id"]}, format="json")
    assert refused.status_code == 400 and "has no usable item" in refused.json()["error"]["message"]
    assert not TrainingRun.objects.exists() and rq_queues["training"].count == 0

    assert api().get("/api/curated-sets/").status_code == 401
    assert api(colorist).get("/api/curated-sets/").status_code == 403
    assert api(colorist).post("/api/training-runs/", {"curated_set": curated["id"]}, format="json").status_code == 403
    assert api(colorist).get("/api/model-versions/").status_code == 200  # colorists see the versions …
    assert api(colorist).post(f"/api/model-versions/{base_model.pk}/activate/").status_code == 403  # … curators change them


def test_api_progress_and_versions_with_metrics_then_activate(finished_run, curator, base_model):
    progress = api(curator).get(f"/api/training-runs/{finished_run.pk}/progress/").json()
    assert [event["epoch"] for event in progress] == [1, 2, 3] and "g" in progress[0]["losses"]
    detail = api(curator).get(f"/api/training-runs/{finished_run.pk}/").json()
    assert detail["status"] == "succeeded" and detail["result_version"] == finished_run.result_version_id
    assert set(detail["evaluation"]["candidate"]) >= {"delta_e2000", "psnr", "ssim"}

    versions = api(curator).get("/api/model-versions/").json()["results"]
    candidate = next(v for v in versions if v["id"] == finished_run.result_version_id)
    assert candidate["status"] == "candidate" and candidate["base_version"] == base_model.pk and candidate["training_run"] == finished_run.pk
    assert candidate["metrics"]["holdout"] == finished_run.evaluation["candidate"]
    activated = api(curator).post(f"/api/model-versions/{candidate['id']}/activate/")
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    assert api(curator).post(f"/api/model-versions/{candidate['id']}/retire/").status_code == 400  # the active one
    assert api(curator).post(f"/api/model-versions/{base_model.pk}/retire/").json()["status"] == "retired"


def test_pages_show_versions_side_by_side_samples_and_activate(client, finished_run, curator, colorist, base_model):
    candidate = finished_run.result_version
    client.force_login(colorist)
    assert client.get("/models/").status_code == 403
    client.force_login(curator)
    page = client.get("/models/")
    assert page.status_code == 200
    html = page.content.decode()
    assert str(candidate) in html and f"training run #{finished_run.pk}" in html
    assert f"{finished_run.evaluation['candidate']['delta_e2000']:.3f}" in html and f"{finished_run.evaluation['base']['delta_e2000']:.3f}" in html
    sample = reverse("mlcore:training-run-sample", args=[finished_run.pk, 0, "candidate"])
    assert sample in html
    image = client.get(sample)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg" and b"".join(image.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(reverse("mlcore:training-run-sample", args=[finished_run.pk, 5, "candidate"])).status_code == 404

    run_page = client.get(f"/models/runs/{finished_run.pk}/").content.decode()
    assert '<span class="badge badge--succeeded" data-field="status">Succeeded</span>' in run_page
    assert run_page.count("<tr><td class=\"num\">") == 3  # one row per epoch
    assert f"Activate {candidate}" in run_page

    response = client.post(reverse("mlcore:model-version-activate", args=[candidate.pk]), follow=True)
    assert f"{candidate} is now the active model" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == "active" and ModelVersion.objects.get(pk=base_model.pk).status == "candidate"
    client.force_login(colorist)
    assert client.post(reverse("mlcore:model-version-activate", args=[base_model.pk])).status_code == 403


def test_curated_item_thumbnails_are_for_curators(client, colour_set, curator, viewer, rq_worker):
    item = colour_set.items.first()
    url = reverse("mlcore:curated-item-thumbnail", args=[item.pk])
    client.force_login(curator)
    assert client.get(url).status_code == 404  # the derivatives job has not run yet
    rq_worker()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    assert CuratedSet.objects.count() == 1
