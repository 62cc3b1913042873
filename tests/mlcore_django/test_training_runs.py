"""Training runs on the real `training` queue: fine-tune, progress, evaluation, candidate, resume, cancel."""
from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError

from apps.mlcore import registry
from apps.mlcore.gan.checkpoint import load_generator
from apps.mlcore.models import ModelVersion, TrainingProgress, TrainingRun
from apps.mlcore.services import (
    curated_set_add_items,
    curated_set_create,
    training_execute,
    training_run_cancel,
    training_run_create,
    training_run_execute,
)
from tests.support.slow_jobs import slow_trainer

pytestmark = pytest.mark.django_db(transaction=True)


def execute_in_thread(run_id: int) -> None:
    """What the job does, from another thread (with its own database connection, closed after)."""
    from django.db import connection

    try:
        training_run_execute(run_id=run_id)
    finally:
        connection.close()


@pytest.fixture
def curated_set(curator, colour_photographs, grey_photograph, approve_variant, base_model):
    variant = approve_variant(grey_photograph)
    curated = curated_set_create(name="Harbour colours", user=curator, holdout_fraction=0.4)
    result = curated_set_add_items(curated_set=curated, user=curator, photograph_ids=[p.pk for p in colour_photographs], variant_ids=[variant.pk])
    assert len(result.added) == 5 and result.refused == []
    return curated


def test_a_run_fine_tunes_the_base_reports_each_epoch_and_registers_an_evaluated_candidate(curated_set, curator, base_model, tiny_hyperparameters, rq_worker, rq_queues):
    run = training_run_create(curated_set=curated_set, user=curator, hyperparameters=tiny_hyperparameters)
    curated_set.refresh_from_db()
    assert curated_set.is_frozen and len(curated_set.split["holdout"]) == 2 and len(curated_set.split["train"]) == 3
    job = rq_queues["training"].fetch_job(run.job_id)
    assert job is not None and list(job.args) == [run.pk]

    rq_worker()

    run.refresh_from_db()
    assert run.status == "succeeded", run.error + run.log_tail
    events = list(run.progress_events.order_by("epoch"))
    assert [e.epoch for e in events] == [1, 2, 3]
    assert all(e.losses["g"] > 0 and e.val["delta_e2000"] >= 0 for e in events)
    assert run.progress["stage"] == "done" and run.progress["step"] == run.progress["total_steps"] == 3
    candidate = run.result_version
    assert candidate.status == "candidate" and candidate.base_version == base_model
    assert candidate.version == f"1.1.0-run.{run.pk}" and candidate.training_run == run
    # Fine-tuned from the base: same architecture, other weights.
    generator, meta = load_generator(candidate.weights.path)
    assert meta["config"] == base_model.config and candidate.weights_sha256 != base_model.weights_sha256
    for side in ("candidate", "base", "grayscale"):
        assert set(run.evaluation[side]) >= {"psnr", "ssim", "delta_e2000", "colourfulness", "colourfulness_gap"}
    assert run.evaluation["images"] == 2
    assert run.evaluation["candidate"]["seed_diversity"] is not None and run.evaluation["grayscale"]["colourfulness"] == 0
    assert candidate.metrics["holdout"] == run.evaluation["candidate"] and candidate.metrics["base_holdout"] == run.evaluation["base"]
    assert candidate.training_data["curated_set"] == "Harbour colours" and candidate.training_data["train_images"] == 3
    assert len(run.evaluation["samples"]) == 2
    for sample in run.evaluation["samples"]:
        assert set(sample["images"]) == {"original", "grayscale", "base", "candidate"}
    # The working folder (training checkpoints) is gone once the weights are in storage.
    from pathlib import Path

    assert not Path(run.checkpoint_path).exists()

    # Running the job again changes nothing.
    assert training_run_execute(run_id=run.pk).status == "succeeded"
    assert ModelVersion.objects.count() == 2 and TrainingProgress.objects.filter(training_run=run).count() == 3


def test_a_set_with_no_usable_item_is_refused_before_anything_is_queued(curator, base_model, grey_photograph, rq_queues):
    curated = curated_set_create(name="Nothing to learn", user=curator)
    with pytest.raises(ValidationError, match="no usable item"):
        training_run_create(curated_set=curated, user=curator)
    assert not TrainingRun.objects.exists()
    assert rq_queues["training"].count == 0
    curated.refresh_from_db()
    assert not curated.is_frozen


def test_cancel_stops_a_running_run_which_says_so(curated_set, curator, tiny_hyperparameters, monkeypatch):
    monkeypatch.setattr(training_execute, "Trainer", slow_trainer(0.2))
    run = training_run_create(curated_set=curated_set, user=curator, hyperparameters={**tiny_hyperparameters, "epochs": 200})
    worker = threading.Thread(target=execute_in_thread, args=(run.pk,))
    worker.start()
    try:
        from tests.support.workers import wait_for

        wait_for(lambda: TrainingProgress.objects.filter(training_run=run).exists(), timeout=60, message="a first epoch")
        training_run_cancel(training_run=run, user=curator)
    finally:
        worker.join(60)
    run.refresh_from_db()
    assert run.status == "cancelled" and run.result_version is None
    assert run.progress["stage"] == "cancelled"
    assert "cancel requested by curt" in run.log_tail and "cancelled at step" in run.log_tail
    assert 1 <= run.progress["step"] < 200
    assert ModelVersion.objects.count() == 1
    assert registry.colorizer_for_active()[0].pk != run.pk  # still the base
