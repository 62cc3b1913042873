"""Acceptance 2: a run whose worker is killed mid-way resumes from its last checkpoint; a
run whose job vanished from Redis is found and queued again."""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from apps.mlcore.models import TrainingProgress, TrainingRun
from apps.mlcore.services import training_run_create
from archive_site.rqjobs import JOB_GONE, ReconcileAction, reconcile_rows
from tests.support.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def training_worker(training_worker_process):
    """A real worker on the training queue (started by the test), each step slowed down so
    the test can kill it mid-run."""
    return training_worker_process(TEST_WORKER_WARMUP="tests.support.slow_jobs.slow_training_steps", TEST_STEP_DELAY="0.25")


def test_a_killed_run_resumes_from_its_last_checkpoint_not_from_zero(colour_set, curator, tiny_hyperparameters, training_worker, rq_worker, rq_queues):
    run = training_run_create(curated_set=colour_set, user=curator, hyperparameters={**tiny_hyperparameters, "epochs": 40})
    training_worker.start()
    wait_for(lambda: TrainingProgress.objects.filter(training_run=run, step__gte=5).exists(), timeout=120, message=f"five steps\n{training_worker.output()}")
    os.kill(training_worker.process.pid, signal.SIGKILL)
    training_worker.process.wait(10)
    run.refresh_from_db()
    killed_at = run.progress["step"]
    assert run.status == "running" and run.attempts == 1 and 5 <= killed_at < 40
    assert Path(run.checkpoint_path).exists()

    # Reconcile sees the worker is gone and queues the run again; it resumes from its checkpoint.
    actions = reconcile_rows(TrainingRun, grace_seconds=0)
    assert [(action.row_id, action.action) for action in actions] == [(run.pk, "requeued")]
    assert "no longer running" in actions[0].reason
    rq_worker()

    run.refresh_from_db()
    assert run.status == "succeeded", run.error + "\n" + run.log_tail
    assert run.attempts == 2
    assert run.progress["resumed_from_step"] >= killed_at
    assert f"resuming from step {run.progress['resumed_from_step']}" in run.log_tail
    events = list(TrainingProgress.objects.filter(training_run=run).order_by("epoch"))
    assert [e.epoch for e in events] == list(range(1, 41))  # one row per epoch, none twice
    # The second attempt started where the first left off, not at step 0 (the epoch whose
    # end the checkpoint preceded is reported again, and overwritten).
    resumed = run.progress["resumed_from_step"]
    second = [e.step for e in events if e.attempt == 2]
    assert second and min(second) in (resumed, resumed + 1) and max(second) == 40
    assert all(e.attempt == 1 for e in events if e.step < resumed)
    assert run.result_version is not None


def test_a_queued_run_whose_job_vanished_is_queued_again(colour_set, curator, tiny_hyperparameters, rq_queues):
    run = training_run_create(curated_set=colour_set, user=curator, hyperparameters=tiny_hyperparameters)
    rq_queues["training"].fetch_job(run.job_id).delete()  # Redis lost it
    assert reconcile_rows(TrainingRun, grace_seconds=3600) == []  # still within its grace period
    actions = reconcile_rows(TrainingRun, grace_seconds=0)
    assert actions == [ReconcileAction("training run", run.pk, "requeued", JOB_GONE)]
    run.refresh_from_db()
    assert run.status == "queued" and "re-queued" in run.log_tail
    assert rq_queues["training"].fetch_job(run.job_id) is not None


def test_a_failed_run_is_re_run_from_its_checkpoint_through_the_api(colour_set, curator, colorist, tiny_hyperparameters, training_worker, rq_worker, rq_queues):
    from django.core.exceptions import ValidationError
    from django.test import Client

    from apps.mlcore.models import TrainingRun
    from apps.mlcore.services import training_run_rerun

    run = training_run_create(curated_set=colour_set, user=curator, hyperparameters={**tiny_hyperparameters, "epochs": 12})
    with pytest.raises(ValidationError, match="Only failed or cancelled runs"):
        training_run_rerun(training_run=run, user=curator)
    TrainingRun.objects.filter(pk=run.pk).update(max_attempts=1)
    training_worker.start()
    wait_for(lambda: TrainingProgress.objects.filter(training_run=run, step__gte=3).exists(), timeout=120, message=f"three steps\n{training_worker.output()}")
    os.kill(training_worker.process.pid, signal.SIGKILL)
    training_worker.process.wait(10)
    [action] = reconcile_rows(TrainingRun, grace_seconds=0)
    run.refresh_from_db()
    assert action.action == "failed" and run.status == "failed" and Path(run.checkpoint_path).is_file()
    killed_at = run.progress["step"]

    client = Client()
    client.force_login(colorist)
    assert client.post(f"/api/training-runs/{run.pk}/rerun/").status_code == 403
    client.force_login(curator)
    assert 'data-field="rerun-form"' in client.get(f"/models/runs/{run.pk}/").content.decode()
    response = client.post(f"/api/training-runs/{run.pk}/rerun/")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    run.refresh_from_db()
    assert (run.error, run.max_attempts) == ("", 4) and f"resumes from its checkpoint at step {killed_at}" in run.log_tail
    rq_worker()
    run.refresh_from_db()
    assert run.status == "succeeded", run.error + "\n" + run.log_tail
    assert run.attempts == 2 and run.progress["resumed_from_step"] >= killed_at
