"""Nothing stuck forever: lost jobs (Redis flushed, worker killed, enqueue failed) are found and recovered."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone
from rq.job import JobStatus

from apps.colorize import services
from apps.colorize.models import ColorizationRequest
from archive_site import jobs, rqjobs
from archive_site.scratch import scratch_dir, scratch_sweep
from tests.support.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def reconcile_requests(*, grace_seconds):
    return rqjobs.reconcile_rows(ColorizationRequest, grace_seconds=grace_seconds)


def test_a_request_whose_job_vanished_from_redis_is_requeued_and_then_runs(tiny_model, photograph, colorist, rq_queues, rq_worker, capsys):
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[3, 4])
    rq_queues["gpu"].connection.delete(rq_queues["gpu"].key, f"rq:job:{request.job_id}")  # Redis lost it

    rq_worker()  # nothing to run
    request.refresh_from_db()
    assert request.status == "queued" and not request.variants.exists()

    call_command("reconcile_jobs", grace=0)
    assert f"request {request.pk}: requeued (its job is no longer in Redis" in capsys.readouterr().out
    request.refresh_from_db()
    assert request.status == "queued" and "no longer in Redis" in request.error
    assert rq_queues["gpu"].fetch_job(request.job_id).get_status() == JobStatus.QUEUED

    rq_worker()
    request.refresh_from_db()
    assert request.status == "succeeded" and request.error == ""
    assert sorted(request.variants.values_list("seed", flat=True)) == [3, 4]


def test_a_failed_enqueue_after_commit_is_caught_after_the_grace_period(tiny_model, photograph, colorist, rq_worker, monkeypatch):
    def redis_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(rqjobs.django_rq, "get_queue", redis_down)
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1])  # committed, enqueue failed
    monkeypatch.undo()

    assert reconcile_requests(grace_seconds=300) == []  # the enqueue might still be on its way
    ColorizationRequest.objects.filter(pk=request.pk).update(queued_at=timezone.now() - timezone.timedelta(seconds=301))
    [action] = reconcile_requests(grace_seconds=300)
    assert (action.row_id, action.action) == (request.pk, "requeued")
    rq_worker()
    request.refresh_from_db()
    assert request.status == "succeeded"


def test_a_lost_request_without_attempts_left_fails_with_the_reason(tiny_model, photograph, colorist, rq_queues):
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1])
    ColorizationRequest.objects.filter(pk=request.pk).update(status="running", attempts=2, started_at=timezone.now())
    rq_queues["gpu"].fetch_job(request.job_id).delete()

    [action] = reconcile_requests(grace_seconds=0)
    request.refresh_from_db()
    assert action.action == "failed"
    assert request.status == "failed" and request.finished_at
    assert request.error == "Failed after 2 attempts: its job is no longer in Redis (Redis was flushed or restarted, or the enqueue failed)."


def test_a_running_request_whose_worker_stopped_heartbeating_is_requeued(tiny_model, photograph, colorist, rq_queues):
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1])
    job = rq_queues["gpu"].fetch_job(request.job_id)
    job.worker_name = "ghost-worker"
    job.save()
    job.set_status(JobStatus.STARTED)
    ColorizationRequest.objects.filter(pk=request.pk).update(status="running", attempts=1, started_at=timezone.now())

    [action] = reconcile_requests(grace_seconds=0)
    assert action.action == "requeued" and "ghost-worker stopped sending heartbeats" in action.reason
    job = rq_queues["gpu"].fetch_job(request.job_id)
    assert job.get_status() == JobStatus.QUEUED and job.worker_name in (None, "")
    assert rq_queues["gpu"].get_job_position(job.id) == 0


def test_healthy_requests_are_left_alone(tiny_model, photograph, colorist, rq_worker):
    queued = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1])
    assert reconcile_requests(grace_seconds=0) == []
    rq_worker()
    queued.refresh_from_db()
    assert queued.status == "succeeded"
    assert reconcile_requests(grace_seconds=0) == []


def test_a_worker_killed_mid_job_leaves_the_request_recoverable(tiny_model, photograph, colorist, worker_process, rq_worker, media_files, tmp_path, settings):
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[5, 6])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    worker = worker_process(TEST_WORKER_WARMUP="tests.support.slow_jobs.slow_colorizations", TEST_JOB_DELAY="60", TMPDIR=str(scratch))
    wait_for(lambda: ColorizationRequest.objects.filter(pk=request.pk, status="running").exists(), timeout=150, message=lambda: f"the worker to start the job\n{worker.output()}")
    worker.kill()  # SIGKILL: no cleanup, no failure handler, nothing recorded

    # Its scratch folder stays behind until a worker on this host sweeps (a warm-up); a live process's is kept.
    [left] = scratch.iterdir()
    assert left.name.startswith(f"chroma-{worker.process.pid}-colorize-{request.pk}-")
    live = scratch_dir("pyramid", parent=str(scratch))
    settings.FILE_UPLOAD_TEMP_DIR = str(scratch)
    assert scratch_sweep() >= 1
    assert list(scratch.iterdir()) == [live]

    request.refresh_from_db()
    assert request.status == "running" and request.attempts == 1
    [action] = reconcile_requests(grace_seconds=0)
    assert action.action == "requeued" and "is no longer running" in action.reason
    request.refresh_from_db()
    assert request.status == "queued" and "Re-queued after attempt 1" in request.error

    rq_worker()
    request.refresh_from_db()
    assert request.status == "succeeded" and request.attempts == 2
    assert sorted(request.variants.values_list("seed", flat=True)) == [5, 6]
    assert len(media_files()) == 6  # two PNGs, two thumbnails, two pyramids


def test_workers_reconcile_periodically_in_the_background(tiny_model, photograph, colorist, rq_queues, settings):
    settings.JOB_RECONCILE_INTERVAL = 0.2
    settings.COLORIZE_ENQUEUE_GRACE = 0
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1])
    rq_queues["gpu"].fetch_job(request.job_id).delete()
    reconciler = jobs.start_reconciler()
    try:
        assert jobs.start_reconciler() is reconciler  # one per worker process
        wait_for(lambda: rq_queues["gpu"].fetch_job(request.job_id) is not None, timeout=10, message="the background pass")
    finally:
        reconciler.stop()
    request.refresh_from_db()
    assert request.status == "queued" and "Re-queued" in request.error
