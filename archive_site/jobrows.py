"""`JobRow`: the abstract model of every row that records long-running work (colorization
requests, training runs, CSV imports). Its lifecycle (enqueue, attempts, heartbeat, cancel,
requeue or fail, reconcile) is `archive_site.rqjobs`; a kind declares below what is its own."""
from __future__ import annotations

from django.db import models
from django.utils import timezone


class JobRow(models.Model):
    """Status, attempts, job id, timestamps, last error and heartbeat of one piece of work.

    A concrete kind sets JOB_FUNCTION (the dotted path of its RQ job, called with the row's
    id), JOB_LABEL (its name in logs and reports), SETTINGS_PREFIX (its `<prefix>_ENQUEUE_GRACE`,
    `_HEARTBEAT_INTERVAL`, `_HEARTBEAT_STALE` settings) and `queue_name` (a class attribute,
    or a field where rows of one kind run on different queues).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    FINISHED_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    JOB_FUNCTION = ""
    JOB_LABEL = "job"
    SETTINGS_PREFIX = ""
    # Appended to the error of a row reconcile fails for good: what the user may do about it.
    LOST_HINT = ""
    queue_name = "default"

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField(blank=True, help_text="Why the last attempt failed or was re-queued.")
    job_id = models.CharField(max_length=100, blank=True, help_text="The deterministic RQ job id; empty for work run in the foreground.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Runs started so far.")
    max_attempts = models.PositiveSmallIntegerField(default=1, help_text="Runs allowed before it fails for good.")
    cancel_requested = models.BooleanField(default=False)
    queued_at = models.DateTimeField(default=timezone.now, help_text="When it last entered the queue (a re-run or re-queue resets it).")
    started_at = models.DateTimeField(null=True, blank=True)
    # Written every few seconds by the running job: a running row whose heartbeat is stale
    # lost its worker (see rqjobs.reconcile).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    def job_note(self, event: str, text: str) -> list[str]:
        """What this kind writes besides the lifecycle's own fields when the row moves.
        `event` is started, retrying, requeued, cancelling, cancelled, failed or succeeded;
        `text` says why, for a log. Returns the names of the fields it set."""
        return []

    def job_options(self) -> dict:
        """Enqueue options of this row's job besides its id and the queue's TTLs
        (description, job_timeout, retry)."""
        return {}
