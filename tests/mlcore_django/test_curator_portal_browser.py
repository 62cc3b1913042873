"""Acceptance (issue 13), in Chromium: a curator without staff status builds a curated set in
the portal, starts a retraining, watches a real worker run it to the end, compares the
candidate on the benchmark set and activates it — giving the reason the portal asks for,
because the active version scored better — and the version's history keeps that reason."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from apps.mlcore import services
from apps.mlcore.models import ModelVersion, TrainingRun
from tests.support.mlcore import benchmark_record

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_curator_builds_a_set_retrains_watches_and_activates_from_the_portal(
    page, live_server, login, curator, collection, colour_photographs, grey_photograph, base_model, tiny_benchmark, tiny_hyperparameters,
    rq_worker, training_worker_process,
):
    assert not curator.is_staff
    rq_worker()  # the photographs' thumbnails
    # The active version's score on the benchmark is far better than a few tiny steps can reach.
    services.model_version_benchmark_store(
        model_version=base_model, record=benchmark_record(tiny_benchmark.id, psnr=60.0, delta_e2000=0.5, colourfulness_gap=0.0, spread=0.01),
    )

    login(page, live_server, curator, next_url="/models/sets/")
    page.get_by_label("Name").fill("Harbour colours")
    page.get_by_label("Hold-out share").fill("0.25")
    page.get_by_role("button", name="Create the set").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Harbour colours")

    # From a collection: the colour photographs come in, the grayscale one is refused with its reason.
    page.get_by_role("combobox", name="A collection").select_option(label=collection.title)
    page.get_by_role("button", name="Add the collection").click()
    expect(page.locator(".message--success")).to_contain_text("4 items added to “Harbour colours”.")
    expect(page.locator(".message--warning")).to_contain_text("HB-G1: it is grayscale and has no approved colorization")
    thumbnails = page.locator('[data-field="items"] img')
    expect(thumbnails).to_have_count(4)
    thumbnail = page.request.get(thumbnails.first.get_attribute("src"))
    assert thumbnail.ok and thumbnail.headers["content-type"].startswith("image/")

    # Remove one item.
    page.locator('[data-field="items"] input[type="checkbox"]').first.check()
    page.get_by_role("button", name="Remove the ticked items").click()
    expect(page.locator('[data-field="item-count"]')).to_have_text("3")

    # Retrain: a mistake is explained, then the run starts and its live page opens.
    page.get_by_role("link", name="Retrain the model on it…").click()
    page.get_by_label("Hyperparameters").fill(json.dumps({**tiny_hyperparameters, "epochs": 0, "crop_size": 30}))
    page.get_by_role("button", name="Start the training run").click()
    expect(page.locator(".form__error")).to_have_count(2)
    expect(page.locator(".form__error").first).to_contain_text("epochs must be from 1")
    page.get_by_label("Hyperparameters").fill(json.dumps(tiny_hyperparameters))
    page.get_by_role("button", name="Start the training run").click()
    status = page.locator('[data-field="status"]')
    expect(status).to_have_text("Queued")
    run = TrainingRun.objects.get()
    assert run.requested_by == curator and run.curated_set.is_frozen

    worker = training_worker_process().start()
    expect(status).to_have_text("Running", timeout=180_000)
    expect(status).to_have_text("Succeeded", timeout=300_000)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error + run.log_tail + worker.output()[-3000:]
    candidate = run.result_version
    expect(page.locator("#holdout-title")).to_contain_text("Hold-out evaluation (1 colour photograph of the set")
    expect(page.locator("#benchmark-title")).to_contain_text(tiny_benchmark.id)
    expect(page.locator('[data-field="benchmark-comparison"] tr[data-metric="psnr"]')).to_contain_text("worse")

    # Compare on /models/: every version in one table on the benchmark; activate asks why.
    page.goto("/models/")
    row = page.locator(f'#versions tr[data-version="{candidate.pk}"]')
    expect(row.locator('[data-metric="psnr"]')).to_contain_text("±")
    expect(page.locator(f'#versions tr[data-version="{base_model.pk}"] [data-metric="psnr"]')).to_contain_text("60.000")
    expect(page.locator('#versions tr[data-version="grayscale"]')).to_be_visible()
    expect(row).to_contain_text("worse than active")
    row.get_by_role("button", name=f"Activate {candidate}").click()
    expect(page.locator('[data-field="guard-message"]')).to_contain_text(f"{candidate} is worse than the active {base_model} on the benchmark")
    assert ModelVersion.objects.get(pk=candidate.pk).status == "candidate"
    reason = page.get_by_label("Why activate it anyway?")
    expect(reason).to_have_attribute("required", "")  # the browser will not send it empty
    reason.fill("Trained on our own harbour photographs; the benchmark has none.")
    page.get_by_role("button", name="Activate anyway").click()
    expect(page.locator(".message--success")).to_contain_text(f"{candidate} is now the active model")
    expect(page.locator(f'#versions tr[data-version="{candidate.pk}"]')).to_contain_text("Active")
    history = page.locator(f'#version-{candidate.pk} [data-field="history"]')
    page.locator(f"#version-{candidate.pk} details summary").click()
    expect(history.locator('[data-kind="activated"]')).to_contain_text("“Trained on our own harbour photographs; the benchmark has none.”")
    expect(history.locator('[data-kind="activated"]')).to_contain_text(f"worse than {base_model} on the benchmark")
    assert ModelVersion.objects.get(status="active") == candidate
