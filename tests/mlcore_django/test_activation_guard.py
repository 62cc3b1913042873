"""The activation guard (issue 13): activating a version worse than the active one on the
benchmark set, beyond the noise between seeds, needs a reason — the service refuses
without one, the API answers 409, the admin asks — and the version's history keeps it."""
from __future__ import annotations

import pytest
from django.urls import reverse

from apps.mlcore import services
from apps.mlcore.models import ModelVersion, ModelVersionEvent
from tests.support.mlcore import benchmark_record, register_tiny_model

pytestmark = pytest.mark.django_db

BENCHMARK = "photos-holdout@abc"


@pytest.fixture
def scored(base_model, tmp_path):
    """The active base (PSNR 21, ΔE 13, gap −10, spread 0.2) and two candidates: one worse on
    PSNR beyond the noise, one within it."""
    services.model_version_benchmark_store(model_version=base_model, record=benchmark_record(BENCHMARK, psnr=21.0, delta_e2000=13.0, colourfulness_gap=-10.0, spread=0.2))
    worse = register_tiny_model(tmp_path / "worse.pt", version="1.1.0", active=False)
    services.model_version_benchmark_store(model_version=worse, record=benchmark_record(BENCHMARK, psnr=20.4, delta_e2000=13.1, colourfulness_gap=-9.0, spread=0.2))
    level = register_tiny_model(tmp_path / "level.pt", version="1.2.0", active=False)
    services.model_version_benchmark_store(model_version=level, record=benchmark_record(BENCHMARK, psnr=20.9, delta_e2000=13.1, colourfulness_gap=-10.1, spread=0.2))
    return {"active": base_model, "worse": worse, "level": level}


def status(version: ModelVersion) -> str:
    return ModelVersion.objects.get(pk=version.pk).status


def test_the_service_refuses_a_worse_version_without_a_reason_and_records_the_one_given(scored, curator):
    worse, active = scored["worse"], scored["active"]
    with pytest.raises(services.ActivationNeedsReason) as refused:
        services.model_version_activate(model_version=worse, user=curator, override_reason="   ")
    assert [row["metric"] for row in refused.value.check.worse] == ["psnr"]
    assert "PSNR dB ↑ 20.400 against 21.000 (worse by 0.600, noise between seeds 0.200)" in refused.value.check.message()
    assert status(worse) == "candidate" and status(active) == "active"

    services.model_version_activate(model_version=worse, user=curator, override_reason="Faces look right; the benchmark has none.")

    assert status(worse) == "active" and status(active) == "candidate"
    event = worse.events.get(kind=ModelVersionEvent.Kind.ACTIVATED)
    assert event.user == curator and event.reason == "Faces look right; the benchmark has none."
    assert event.details["override"] is True and event.details["worse"] == ["psnr"] and event.details["benchmark"] == BENCHMARK
    assert event.details["active"] == {"id": active.pk, "version": str(active)}
    assert active.events.filter(kind=ModelVersionEvent.Kind.REPLACED, details__by__id=worse.pk).exists()


def test_a_difference_within_the_noise_between_seeds_needs_no_reason(scored, curator):
    services.model_version_activate(model_version=scored["level"], user=curator)
    assert status(scored["level"]) == "active"
    event = scored["level"].events.get(kind=ModelVersionEvent.Kind.ACTIVATED)
    assert event.details["override"] is False and event.reason == ""


def test_versions_not_scored_on_the_same_benchmark_are_not_compared_and_the_history_says_so(base_model, tmp_path, curator):
    unscored = register_tiny_model(tmp_path / "unscored.pt", version="1.1.0", active=False)
    services.model_version_activate(model_version=unscored, user=curator)
    event = unscored.events.get(kind=ModelVersionEvent.Kind.ACTIVATED)
    assert "tiny 1.1.0 and tiny 1.0.0 have no benchmark score yet" in event.details["note"] and event.details["comparison"] == []


def test_the_api_answers_409_without_a_reason_and_200_with_one(scored, curator, api):
    client = api(curator)
    url = f"/api/model-versions/{scored['worse'].pk}/activate/"

    refused = client.post(url, {}, format="json")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "worse_than_active" and error["active"] == scored["active"].pk and error["benchmark"] == BENCHMARK
    assert "needs a reason" in error["message"]
    psnr = next(row for row in error["comparison"] if row["metric"] == "psnr")
    assert psnr["worse"] is True and psnr["candidate"] == 20.4 and psnr["reference"] == 21.0 and psnr["noise"] == 0.2
    assert status(scored["worse"]) == "candidate"

    accepted = client.post(url, {"override_reason": "Better on the archive's own portraits."}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    assert accepted.json()["benchmark"]["id"] == BENCHMARK

    history = client.get(f"/api/model-versions/{scored['worse'].pk}/history/")
    assert history.status_code == 200
    activated = [event for event in history.json() if event["kind"] == "activated"]
    assert activated == [{**activated[0], "user": "curt", "reason": "Better on the archive's own portraits."}]
    assert activated[0]["details"]["override"] is True
    assert api(None).get(f"/api/model-versions/{scored['worse'].pk}/history/").status_code in (401, 403)


def test_the_admin_asks_for_the_reason_before_activating(scored, superuser, client):
    client.force_login(superuser)
    changelist = reverse("admin:mlcore_modelversion_changelist")
    selection = {"action": "activate", "_selected_action": [scored["worse"].pk]}

    asked = client.post(changelist, selection)
    assert asked.status_code == 409 and b"Activate anyway" in asked.content and b"Why activate it anyway?" in asked.content
    assert status(scored["worse"]) == "candidate"
    empty = client.post(changelist, {**selection, "apply": "1", "override_reason": ""})
    assert empty.status_code == 409 and b"This field is required" in empty.content

    done = client.post(changelist, {**selection, "apply": "1", "override_reason": "Sharper skies."}, follow=True)
    assert done.status_code == 200 and status(scored["worse"]) == "active"
    assert scored["worse"].events.get(kind="activated").reason == "Sharper skies."
    page = client.get(reverse("admin:mlcore_modelversion_change", args=[scored["worse"].pk]))
    assert "“Sharper skies.”" in page.content.decode() and BENCHMARK in page.content.decode()


def test_the_portal_asks_for_the_reason_with_the_comparison(scored, curator, client):
    client.force_login(curator)
    url = reverse("mlcore:model-version-activate", args=[scored["worse"].pk])
    asked = client.post(url)
    assert asked.status_code == 409
    page = asked.content.decode()
    assert "is worse than the active" in page and 'data-metric="psnr"' in page and "Why activate it anyway?" in page
    assert status(scored["worse"]) == "candidate"
    client.post(url, {"override_reason": "Approved by the curators' meeting."})
    assert status(scored["worse"]) == "active"
    versions = client.get(reverse("mlcore:model-versions")).content.decode()
    assert "“Approved by the curators&#x27; meeting.”" in versions


def test_the_openapi_schema_documents_the_reason_and_the_409(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    activate = schema["paths"]["/api/model-versions/{id}/activate/"]["post"]
    assert "409" in activate["responses"] and "200" in activate["responses"]
    body = activate["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "override_reason" in schema["components"]["schemas"][body]["properties"]
    conflict = activate["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    error = schema["components"]["schemas"][conflict]["properties"]["error"]["$ref"].rsplit("/", 1)[-1]
    assert {"code", "message", "active", "benchmark", "comparison"} <= set(schema["components"]["schemas"][error]["properties"])
    assert "benchmark" in schema["components"]["schemas"]["ModelVersion"]["properties"]
