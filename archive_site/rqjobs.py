"""The RQ side of the rows that record long-running work (colorization requests, training
runs, CSV imports): find a row's job, enqueue it (replacing a dead job of the same id),
tell whether its job was lost, and the reconcile pass that re-queues or fails such rows.

The row is the record; Redis only carries the work. A job can be lost when Redis is
flushed or restarted without persistence, when the worker running it is killed (SIGKILL,
out of memory, machine lost), or when the enqueue after commit failed. A worker is taken
for dead when its Redis key expired or when it runs on this machine and its process is
gone; a running row whose heartbeat is older than the caller's limit is taken for lost.
"""
from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import timedelta

import django_rq
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.worker import Worker

from .embedded import process_alive

logger = logging.getLogger(__name__)

LIVE_JOB_STATES = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
JOB_GONE = "its job is no longer in Redis (Redis was flushed or restarted, or the enqueue failed)"


def rq_queue(name: str):
    """The RQ queue `name` (default, gpu, training) with this deployment's prefix."""
    return django_rq.get_queue(settings.RQ_QUEUE_PREFIX + name)


def fetch_job(queue_name: str, job_id: str) -> Job | None:
    """The job `job_id`, or None when Redis no longer has it (or there is no id)."""
    if not job_id:
        return None
    try:
        return Job.fetch(job_id, connection=rq_queue(queue_name).connection)
    except NoSuchJobError:
        return None


def enqueue_replacing(queue_name: str, function: str | Callable, *args, job_id: str, replace_job: bool = False, **options) -> Job:
    """Enqueue `function(*args)` as `job_id` with the queue's TTLs. A live job of that id with
    the same arguments is kept and returned unless `replace_job` (reconcile found it dead);
    a finished, failed or replaced one is deleted first."""
    existing = fetch_job(queue_name, job_id)
    if existing is not None:
        if not replace_job and existing.get_status() in LIVE_JOB_STATES and list(existing.args) == list(args):
            return existing
        existing.delete()
    conf = settings.RQ_QUEUE_SETTINGS[queue_name]
    options.setdefault("job_timeout", conf["timeout"])
    return rq_queue(queue_name).enqueue(
        function, *args, job_id=job_id, result_ttl=conf.get("result_ttl"), failure_ttl=conf.get("failure_ttl"), **options,
    )


def _worker_dead(job: Job) -> str | None:
    """Why the worker running `job` is dead, or None when it may be alive."""
    if not job.worker_name:
        return None
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name, connection=job.connection)
    if worker is None:
        return f"its worker {job.worker_name} stopped sending heartbeats"
    if worker.hostname == socket.gethostname() and worker.pid and not process_alive(worker.pid):
        return f"its worker {job.worker_name} (pid {worker.pid}) is no longer running"
    return None


def lost_job_reason(job: Job | None, queue_name: str, *, heartbeat_at=None, stale_seconds: float | None = None, now=None) -> str | None:
    """Why the work of an active row whose job is `job` will never finish, or None when it
    is (or may be) fine. `heartbeat_at` is the running row's last heartbeat, if it has one."""
    if job is None:
        return JOB_GONE
    status = job.get_status()
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED):
        return f"its job ended as {status.value} without finishing the work"
    if status == JobStatus.QUEUED and rq_queue(queue_name).get_job_position(job.id) is None:
        return "its job is no longer on the queue"
    if status == JobStatus.STARTED:
        dead = _worker_dead(job)
        if dead:
            return dead
        if heartbeat_at is not None and stale_seconds is not None:
            silent = ((now or timezone.now()) - heartbeat_at).total_seconds()
            if silent > stale_seconds:
                return f"it sent no heartbeat for {int(silent)} s"
    return None


def reconcile_rows(
    model: type[models.Model],
    *,
    queued_status: str,
    queued_since: str,
    grace_seconds: float,
    judge: Callable[[models.Model, object], str | None],
    act: Callable[[models.Model, str, object], object],
    label: str,
) -> list:
    """One pass over the rows of `model` in its ACTIVE_STATUSES: for each one `judge(row, now)`
    finds lost, `act(row, reason, now)` re-queues or fails it, inside the row's transaction.
    Queued rows younger than `grace_seconds` (field `queued_since`) are left alone: their
    enqueue may still be on its way. Safe from several workers at once: each row is locked
    (the others skip it) and judged on its current state. Returns what `act` returned."""
    active = model.ACTIVE_STATUSES
    actions = []
    for pk in list(model.objects.filter(status__in=active).order_by("pk").values_list("pk", flat=True)):
        now = timezone.now()
        try:
            with transaction.atomic():
                row = model.objects.select_for_update(skip_locked=True).filter(pk=pk, status__in=active).first()
                if row is None or (row.status == queued_status and now - getattr(row, queued_since) < timedelta(seconds=grace_seconds)):
                    continue
                reason = judge(row, now)
                if reason is None:
                    continue
                action = act(row, reason, now)
        except Exception:
            logger.exception("reconcile: %s %s could not be checked", label, pk)
            continue
        logger.warning("reconcile: %s %s was %s: %s", label, pk, row.status, reason)
        actions.append(action)
    return actions
