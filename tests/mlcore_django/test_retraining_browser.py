"""Acceptance 3: in Chromium, a curator watches a run progress live and activates its candidate."""
from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from apps.mlcore.models import ModelVersion, TrainingRun
from apps.mlcore.services import training_execute, training_run_create, training_run_execute
from tests.support.slow_jobs import slow_trainer

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def execute_in_thread(run_id: int) -> None:
    from django.db import connection

    try:
        training_run_execute(run_id=run_id)
    finally:
        connection.close()


def test_curator_watches_the_run_and_activates_the_candidate(page, live_server, login, curator, colour_set, base_model, tiny_hyperparameters, monkeypatch):
    monkeypatch.setattr(training_execute, "Trainer", slow_trainer(0.4))
    run = training_run_create(curated_set=colour_set, user=curator, hyperparameters={**tiny_hyperparameters, "epochs": 12}, enqueue=False)
    login(page, live_server, curator, next_url=f"/models/runs/{run.pk}/")
    status = page.locator('[data-field="status"]')
    expect(status).to_have_text("Queued")
    page.evaluate("window.stillTheSamePage = true")

    worker = threading.Thread(target=execute_in_thread, args=(run.pk,), daemon=True)
    worker.start()
    try:
        expect(status).to_have_text("Running", timeout=60_000)
        step = page.locator('[data-field="step"]')
        expect(step).not_to_have_text("0", timeout=60_000)
        first = int(step.text_content())
        expect(page.locator('[data-field="epochs-table"] tr').first).not_to_have_attribute("data-empty", "", timeout=10_000)
        expect(step).not_to_have_text(str(first), timeout=30_000)  # steps only go up
        assert page.evaluate("window.stillTheSamePage") is True  # progress came by polling, not by reloading
        assert TrainingRun.objects.get(pk=run.pk).status == "running"
        # When the run ends the page reloads with the evaluation.
        expect(status).to_have_text("Succeeded", timeout=120_000)
    finally:
        worker.join(120)
    run.refresh_from_db()
    candidate = run.result_version
    expect(page.locator("#holdout-title")).to_contain_text("Hold-out evaluation")

    page.goto("/models/")
    row = page.locator(f'#versions tr[data-version="{candidate.pk}"]')
    expect(row).to_contain_text("Candidate")
    expect(page.locator(f"#version-{candidate.pk} img").first).to_be_visible()
    row.get_by_role("button", name=f"Activate {candidate}").click()
    expect(page.locator(".message--success")).to_contain_text(f"{candidate} is now the active model")
    expect(page.locator(f'#versions tr[data-version="{candidate.pk}"]')).to_contain_text("Active")
    assert ModelVersion.objects.get(status="active") == candidate
