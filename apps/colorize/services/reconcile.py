"""Nothing stuck forever: find queued or running requests whose job is gone, and re-queue or fail them.

A request's job can be lost when Redis is flushed or restarted without persistence, when
the worker running it is killed (SIGKILL, out of memory, machine lost), or when the
enqueue after commit failed. The row is the record, so the pass below compares every
active row with what Redis knows, and for each one whose job will never finish:
re-enqueues it while it has attempts left, or fails it with the reason.

A worker is taken for dead when its Redis key expired, when it runs on this machine and
its process is gone, or when the running request's heartbeat (written by the job every
few seconds) is older than COLORIZE_HEARTBEAT_STALE.
"""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from rq.job import Job, JobStatus
from rq.worker import Worker

from .. import conf
from ..models import ColorizationRequest
from .requests import enqueue_on_commit, fetch_job, rq_queue
from .runs import discard_request_files

logger = logging.getLogger(__name__)

Status = ColorizationRequest.Status


@dataclass(frozen=True)
class ReconcileAction:
    request_id: int
    action: str  # "requeued" or "failed"
    reason: str


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_dead(job: Job) -> str | None:
    """Why the worker running `job` is dead, or None when it may be alive."""
    if not job.worker_name:
        return None
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name, connection=job.connection)
    if worker is None:
        return f"its worker {job.worker_name} stopped sending heartbeats"
    if worker.hostname == socket.gethostname() and worker.pid and not _pid_alive(worker.pid):
        return f"its worker {job.worker_name} (pid {worker.pid}) is no longer running"
    return None


def _lost_reason(row: ColorizationRequest, now) -> str | None:
    """Why the row's job will never finish, or None when it is (or may be) fine."""
    job = fetch_job(row)
    if job is None:
        return "its job is no longer in Redis (Redis was flushed or restarted, or the enqueue failed)"
    status = job.get_status()
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        return f"its job ended as {status.value} without recording a result"
    if status == JobStatus.FINISHED:
        return "its job finished without finishing the request"
    if status == JobStatus.QUEUED and rq_queue(row.queue_name).get_job_position(job.id) is None:
        return "its job is no longer on the queue"
    if status == JobStatus.STARTED:
        dead = _worker_dead(job)
        if dead:
            return dead
        if row.status == Status.RUNNING and row.heartbeat_at and now - row.heartbeat_at > timedelta(seconds=conf.heartbeat_stale()):
            return f"it sent no heartbeat for {int((now - row.heartbeat_at).total_seconds())} s"
    return None


def _requeue_or_fail(row: ColorizationRequest, reason: str, now) -> ReconcileAction:
    if row.attempts < row.max_attempts:
        row.status, row.stage, row.progress = Status.QUEUED, "re-queued", 0.0
        row.error = f"Re-queued after attempt {row.attempts}: {reason}." if row.attempts else f"Re-queued: {reason}."
        row.queued_at = now
        row.save(update_fields=["status", "stage", "progress", "error", "queued_at"])
        enqueue_on_commit(row, replace_job=True)
        return ReconcileAction(row.pk, "requeued", reason)
    row.status, row.stage, row.finished_at = Status.FAILED, "failed", now
    row.error = f"Failed after {row.attempts} attempt{'s' if row.attempts != 1 else ''}: {reason}."
    row.save(update_fields=["status", "stage", "error", "finished_at"])
    return ReconcileAction(row.pk, "failed", reason)


def colorization_requests_reconcile(*, grace_seconds: int | None = None) -> list[ReconcileAction]:
    """One reconciliation pass over every queued or running request; returns what it changed.

    Queued requests younger than `grace_seconds` (default COLORIZE_ENQUEUE_GRACE) are left
    alone: their enqueue may still be on its way. Safe to run from several workers at once:
    each row is locked (others skip it) and judged on its current state.
    """
    grace = conf.enqueue_grace() if grace_seconds is None else grace_seconds
    actions: list[ReconcileAction] = []
    candidates = ColorizationRequest.objects.filter(status__in=ColorizationRequest.ACTIVE_STATUSES).order_by("pk").values_list("pk", flat=True)
    for request_id in list(candidates):
        now = timezone.now()
        try:
            with transaction.atomic():
                row = ColorizationRequest.objects.select_for_update(skip_locked=True).filter(pk=request_id, status__in=ColorizationRequest.ACTIVE_STATUSES).first()
                if row is None or (row.status == Status.QUEUED and now - row.queued_at < timedelta(seconds=grace)):
                    continue
                reason = _lost_reason(row, now)
                if reason is None:
                    continue
                action = _requeue_or_fail(row, reason, now)
                discard_request_files(row)
        except Exception:
            logger.exception("reconcile: colorization request %s could not be checked", request_id)
            continue
        logger.warning("reconcile: colorization request %s %s: %s", action.request_id, action.action, action.reason)
        actions.append(action)
    return actions
