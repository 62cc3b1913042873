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

from dataclasses import dataclass

from archive_site.rqjobs import lost_job_reason, reconcile_rows

from .. import conf
from ..models import ColorizationRequest
from .requests import enqueue_on_commit, fetch_job
from .runs import discard_request_files

Status = ColorizationRequest.Status


@dataclass(frozen=True)
class ReconcileAction:
    request_id: int
    action: str  # "requeued" or "failed"
    reason: str


def _lost_reason(row: ColorizationRequest, now) -> str | None:
    """Why the row's job will never finish, or None when it is (or may be) fine."""
    running = row.status == Status.RUNNING
    return lost_job_reason(fetch_job(row), row.queue_name, heartbeat_at=row.heartbeat_at if running else None,
                           stale_seconds=conf.heartbeat_stale(), now=now)


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


def _act(row: ColorizationRequest, reason: str, now) -> ReconcileAction:
    action = _requeue_or_fail(row, reason, now)
    discard_request_files(row)
    return action


def colorization_requests_reconcile(*, grace_seconds: int | None = None) -> list[ReconcileAction]:
    """One reconciliation pass over every queued or running request; returns what it changed.
    Queued requests younger than `grace_seconds` (default COLORIZE_ENQUEUE_GRACE) are left
    alone (`archive_site.rqjobs.reconcile_rows`)."""
    grace = conf.enqueue_grace() if grace_seconds is None else grace_seconds
    return reconcile_rows(ColorizationRequest, queued_status=Status.QUEUED, queued_since="queued_at", grace_seconds=grace,
                          judge=_lost_reason, act=_act, label="colorization request")
