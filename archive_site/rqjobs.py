"""The lifecycle of job rows (`archive_site.jobrows.JobRow`: colorization requests, training
runs, CSV imports), the same for every kind:

- `job_enqueue_on_commit` puts the row's job on its queue once the transaction commits,
  with the row's deterministic job id (replacing a dead job of that id);
- `attempt_start` marks a queued row running for a new attempt (or ends it: cancelled
  meanwhile, attempts spent); the `Attempt` it returns tells whether it still owns the row,
  writes progress and heartbeats, and notices a cancel;
- `job_row_move` records an attempt's end (succeeded, failed, cancelled, or back to the
  queue for a retry); `job_row_cancel` cancels a queued row at once and asks a running one
  to stop;
- `reconcile` finds active rows whose job was lost and re-queues or fails them
  (`ReconcileAction` per row changed).

The row is the record; Redis only carries the work. A job can be lost when Redis is
flushed or restarted without persistence, when the worker running it is killed (SIGKILL,
out of memory, machine lost), or when the enqueue after commit failed. A worker is taken
for dead when its Redis key expired or when it runs on this machine and its process is
gone; a running row whose heartbeat is older than its kind's HEARTBEAT_STALE is taken for lost.

Row writes of a running job retry transient database errors (a PostgreSQL restart) with
backoff (`settings.JOB_DB_RETRY_DELAYS`) instead of failing the attempt.
"""
from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import django_rq
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.worker import Worker

from .embedded import process_alive
from .jobrows import JobRow
from .periodic import PeriodicThread

logger = logging.getLogger(__name__)

Status = JobRow.Status
LIVE_JOB_STATES = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
WAITING_JOB_STATES = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
JOB_GONE = "its job is no longer in Redis (Redis was flushed or restarted, or the enqueue failed)"
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
T = TypeVar("T")

# Sent (sender: the model, row: the row) after reconcile re-queued or failed a row whose job
# was lost, so its kind can clean up what a killed attempt left behind.
job_row_abandoned = Signal()


# --- Redis -----------------------------------------------------------------------------------

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


def job_row_job(row: JobRow) -> Job | None:
    """The RQ job of a job row, or None."""
    return fetch_job(row.queue_name, row.job_id)


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


def job_enqueue(model: type[JobRow], row_id: int, *, replace_job: bool = False) -> Job | None:
    """Put a queued row's job on its queue (see `enqueue_replacing`). A failure to reach
    Redis is logged, not raised: the row is the record, and reconcile enqueues it again."""
    row = model.objects.filter(pk=row_id, status=Status.QUEUED).first()
    if row is None or not row.job_id:
        return None
    try:
        return enqueue_replacing(row.queue_name, model.JOB_FUNCTION, row_id, job_id=row.job_id, replace_job=replace_job,
                                 unique=True, **row.job_options())
    except DuplicateJobError:
        logger.warning("%s %s: its job was enqueued meanwhile", model.JOB_LABEL, row_id)
    except Exception:
        logger.exception("%s %s: enqueue failed; reconcile_jobs will retry", model.JOB_LABEL, row_id)
    return None


def job_enqueue_on_commit(row: JobRow, *, replace_job: bool = False) -> None:
    """Enqueue the row's job once the transaction that queued it commits."""
    model, row_id = type(row), row.pk
    transaction.on_commit(lambda: job_enqueue(model, row_id, replace_job=replace_job), robust=True)


def _cancel_waiting_job(model: type[JobRow], row_id: int) -> None:
    try:
        job = job_row_job(model.objects.get(pk=row_id))
        if job is not None and job.get_status() in WAITING_JOB_STATES:
            job.cancel()
    except Exception:
        # The row says cancelled; a job that still starts sees that and stops.
        logger.exception("%s %s: cancelling its RQ job failed", model.JOB_LABEL, row_id)


# --- transient database errors -----------------------------------------------------------------

def db_retrying(write: Callable[[], T], *, what: str = "a job row write") -> T:
    """`write()`, tried again after a transient database error (a PostgreSQL restart, a
    dropped connection) with the delays of settings.JOB_DB_RETRY_DELAYS, so a blip does not
    cost the attempt. Inside a transaction the error is raised at once: only the outermost
    caller can start the transaction again."""
    delays = list(settings.JOB_DB_RETRY_DELAYS)
    while True:
        try:
            return write()
        except TRANSIENT_DB_ERRORS:
            if not delays or connection.in_atomic_block:
                raise
            delay = delays.pop(0)
            logger.warning("%s met a transient database error; trying again in %s s", what, delay, exc_info=True)
            connection.close()
            time.sleep(delay)


# --- attempts ------------------------------------------------------------------------------------

def _setting(model: type[JobRow], name: str) -> float:
    return float(getattr(settings, f"{model.SETTINGS_PREFIX}_{name}"))


def job_row_move(row: JobRow, status: str, *, event: str | None = None, text: str = "", error: str | None = None,
                 now=None, **fields) -> JobRow:
    """Move a locked row to `status` and save it: finished rows get finished_at, rows back
    in the queue queued_at; `error` replaces the last error (a success clears it); `fields`
    are the kind's own values; the kind notes the move (`JobRow.job_note`)."""
    now = now or timezone.now()
    row.status = status
    changed = {"status", *fields}
    if status in row.FINISHED_STATUSES:
        row.finished_at = now
        changed.add("finished_at")
    elif status == Status.QUEUED:
        row.queued_at = now
        changed.add("queued_at")
    if status == Status.SUCCEEDED and error is None:
        error = ""
    if error is not None:
        row.error = error
        changed.add("error")
    for name, value in fields.items():
        setattr(row, name, value)
    changed.update(row.job_note(event or status, text))
    row.save(update_fields=sorted(changed))
    return row


@dataclass(frozen=True)
class Attempt:
    """One run of a job row by a worker. It owns the row while the row is running with this
    attempt's number; once reconcile re-queued or failed the row, or another attempt took
    it, every write of this attempt is refused."""

    model: type[JobRow]
    row_id: int
    number: int

    def rows(self) -> QuerySet:
        """The row, if this attempt still owns it (empty otherwise)."""
        return self.model.objects.filter(pk=self.row_id, status=Status.RUNNING, attempts=self.number)

    def owns(self) -> bool:
        return db_retrying(self.rows().exists, what=f"{self.model.JOB_LABEL} {self.row_id}")

    def locked(self) -> JobRow | None:
        """The row locked for update (inside a transaction), or None when this attempt lost it."""
        return self.rows().select_for_update().first()

    def update(self, **fields) -> bool:
        """Write `fields` (and a heartbeat) if this attempt still owns the row."""
        return bool(db_retrying(lambda: self.rows().update(heartbeat_at=timezone.now(), **fields), what=f"{self.model.JOB_LABEL} {self.row_id}"))

    def heartbeat(self) -> bool:
        return self.update()

    def should_stop(self) -> bool:
        """True once a cancel was asked for, or the row moved on without this attempt."""
        return not db_retrying(self.rows().filter(cancel_requested=False).exists, what=f"{self.model.JOB_LABEL} {self.row_id}")

    def cancel_requested(self) -> bool:
        """True when the row this attempt owns was asked to stop."""
        return db_retrying(self.rows().filter(cancel_requested=True).exists, what=f"{self.model.JOB_LABEL} {self.row_id}")

    def end(self, status: str, **move) -> JobRow | None:
        """Move the row to `status` (`job_row_move`) if this attempt still owns it."""
        def write():
            with transaction.atomic():
                row = self.locked()
                return None if row is None else job_row_move(row, status, **move)
        return db_retrying(write, what=f"{self.model.JOB_LABEL} {self.row_id}")

    @contextmanager
    def heartbeating(self) -> Iterator[None]:
        """A heartbeat every `<prefix>_HEARTBEAT_INTERVAL` seconds while the block runs, so
        reconcile notices a worker that died anywhere (even on another machine)."""
        thread = PeriodicThread(f"{self.model.JOB_LABEL}-heartbeat-{self.row_id}",
                                lambda: _setting(self.model, "HEARTBEAT_INTERVAL"), self.heartbeat)
        thread.start()
        try:
            yield
        finally:
            thread.stop()


def attempt_start(model: type[JobRow], row_id: int, *, related: tuple[str, ...] = (),
                  prepare: Callable[[JobRow], list[str]] | None = None, text: str = "") -> tuple[JobRow, Attempt] | None:
    """Mark the row running for a new attempt and return it with its `Attempt`; None when
    there is nothing to run: it is finished, it was cancelled meanwhile (it ends
    cancelled), or its attempts are spent (it ends failed). started_at is the start of this
    attempt. `prepare(row)` sets the kind's own fields for the attempt and returns their
    names; `text` is noted as `started`."""
    def write():
        with transaction.atomic():
            row = model.objects.select_for_update(of=("self",)).select_related(*related).get(pk=row_id)
            if row.is_finished:
                return None
            now = timezone.now()
            if row.cancel_requested:
                job_row_move(row, Status.CANCELLED, text="cancelled before it started", now=now)
                return None
            if row.attempts >= row.max_attempts:
                error = row.error or f"Gave up after {row.attempts} attempts."
                job_row_move(row, Status.FAILED, error=error, text=error, now=now)
                return None
            row.attempts += 1
            row.started_at = row.heartbeat_at = now
            own = prepare(row) if prepare else []
            job_row_move(row, Status.RUNNING, event="started", text=text, now=now,
                         **{name: getattr(row, name) for name in ("attempts", "started_at", "heartbeat_at", *own)})
            return row, Attempt(model, row.pk, row.attempts)
    return db_retrying(write, what=f"{model.JOB_LABEL} {row_id}")


# --- cancel ------------------------------------------------------------------------------------

def job_row_cancel(row: JobRow, *, who: str) -> JobRow:
    """Cancel a queued row at once (its waiting job is cancelled after commit); ask a running
    one to stop (its attempt notices through `Attempt.should_stop`). Raises ValidationError
    for a finished row."""
    model = type(row)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=row.pk)
        if locked.is_finished:
            raise ValidationError(f"{str(model.JOB_LABEL).capitalize()} #{locked.pk} has already {locked.status}; there is nothing to cancel.")
        if locked.status == Status.QUEUED:
            job_row_move(locked, Status.CANCELLED, text=f"cancelled by {who} before it started", cancel_requested=True)
            transaction.on_commit(lambda: _cancel_waiting_job(model, locked.pk))
        else:
            job_row_move(locked, locked.status, event="cancelling", text=f"cancel requested by {who}", cancel_requested=True)
    return locked


# --- reconcile ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReconcileAction:
    """What one reconcile pass did to one row: requeued, failed or cancelled, and why."""

    label: str  # the kind: "colorization request", "training run", "CSV import", "photograph"
    row_id: int
    action: str
    reason: str

    def __str__(self) -> str:
        return f"{self.label} {self.row_id}: {self.action} ({self.reason})"


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


def job_row_lost_reason(row: JobRow, now) -> str | None:
    """Why an active row's work will never finish, or None when it is (or may be) fine. A
    running row without a job in Redis but with a fresh heartbeat is alive: it runs in the
    foreground (`train_gan --run-now`, `import_photos`), as is a row without a job id that
    never sent a heartbeat."""
    stale = _setting(type(row), "HEARTBEAT_STALE")
    running = row.status == Status.RUNNING
    beat = row.heartbeat_at if running else None
    fresh = beat is not None and (now - beat).total_seconds() <= stale
    if not row.job_id:
        return None if beat is None or fresh else f"it sent no heartbeat for {int((now - beat).total_seconds())} s"
    job = job_row_job(row)
    if job is None and fresh:
        return None
    return lost_job_reason(job, row.queue_name, heartbeat_at=beat, stale_seconds=stale, now=now)


def job_row_requeue_or_fail(row: JobRow, reason: str, now) -> ReconcileAction:
    """Re-queue a locked row whose job was lost while it has attempts left (its job is
    enqueued again after commit, replacing the dead one); else fail it with the reason (or
    cancel it, when a cancel was asked for)."""
    label = row.JOB_LABEL
    if row.cancel_requested:
        job_row_move(row, Status.CANCELLED, text=f"cancelled: {reason}", now=now)
        return ReconcileAction(label, row.pk, "cancelled", reason)
    if row.attempts < row.max_attempts:
        error = f"Re-queued after attempt {row.attempts}: {reason}." if row.attempts else f"Re-queued: {reason}."
        job_row_move(row, Status.QUEUED, event="requeued", text=f"re-queued: {reason}", error=error, now=now)
        job_enqueue_on_commit(row, replace_job=True)
        return ReconcileAction(label, row.pk, "requeued", reason)
    error = f"Failed after {row.attempts} attempt{'s' if row.attempts != 1 else ''}: {reason}."
    job_row_move(row, Status.FAILED, text=f"failed: {reason}", error=f"{error} {row.LOST_HINT}".strip(), now=now)
    return ReconcileAction(label, row.pk, "failed", reason)


def reconcile_rows(model: type[JobRow], *, grace_seconds: float | None = None) -> list[ReconcileAction]:
    """One pass over the active rows of `model`: each one whose job was lost is re-queued or
    failed (`job_row_requeue_or_fail`) inside its own transaction, and `job_row_abandoned`
    is sent for it after commit. Queued rows younger than `grace_seconds` (default: the
    kind's ENQUEUE_GRACE) are left alone: their enqueue may still be on its way. Safe from
    several workers at once: each row is locked (the others skip it) and judged on its
    current state."""
    grace = timedelta(seconds=_setting(model, "ENQUEUE_GRACE") if grace_seconds is None else grace_seconds)
    active = model.ACTIVE_STATUSES
    actions = []
    for pk in list(model.objects.filter(status__in=active).order_by("pk").values_list("pk", flat=True)):
        now = timezone.now()
        try:
            with transaction.atomic():
                row = model.objects.select_for_update(skip_locked=True).filter(pk=pk, status__in=active).first()
                if row is None or (row.status == Status.QUEUED and now - row.queued_at < grace):
                    continue
                reason = job_row_lost_reason(row, now)
                if reason is None:
                    continue
                was = row.status
                action = job_row_requeue_or_fail(row, reason, now)
                transaction.on_commit(lambda row=row: job_row_abandoned.send(sender=model, row=row))
        except Exception:
            logger.exception("reconcile: %s %s could not be checked", model.JOB_LABEL, pk)
            continue
        logger.warning("reconcile: %s %s was %s: %s", model.JOB_LABEL, pk, was, reason)
        actions.append(action)
    return actions


def job_row_kinds() -> list[type[JobRow]]:
    """Every concrete JobRow model of the installed apps."""
    return [model for model in apps.get_models() if issubclass(model, JobRow)]


# Extra passes for work that has no job row (derivatives of photographs): callables taking
# `grace_seconds` (None: their own default) and returning ReconcileActions; apps add theirs
# in AppConfig.ready().
RECONCILE_EXTRAS: list[Callable[..., list[ReconcileAction]]] = []


def reconcile(*, grace_seconds: float | None = None) -> list[ReconcileAction]:
    """One reconcile pass over every kind of job row, then the apps' extra passes."""
    actions = []
    for model in job_row_kinds():
        actions += reconcile_rows(model, grace_seconds=grace_seconds)
    for extra in RECONCILE_EXTRAS:
        actions += extra(grace_seconds=grace_seconds)
    return actions
