"""RQ jobs of the archive. Each takes ids, re-reads the database and calls one service;
services enqueue them inside transaction.on_commit."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from rq import Retry

from archive_site.rqjobs import LIVE_JOB_STATES, enqueue_replacing, fetch_job, lost_job_reason, reconcile_rows

QUEUE = "default"


def _enqueue(function, *args, job_id: str, replace_job: bool = False):
    retries = settings.RQ_QUEUE_SETTINGS[QUEUE]["retries"]
    return enqueue_replacing(QUEUE, function, *args, job_id=job_id, replace_job=replace_job,
                             retry=Retry(max=retries) if retries else None)


def build_derivatives(photograph_id: int) -> str:
    from .services.derivatives import photograph_build_derivatives

    photograph = photograph_build_derivatives(photograph_id=photograph_id)
    return photograph.derivatives_status if photograph else "gone"


def enqueue_derivatives(photograph_id: int):
    return _enqueue(build_derivatives, photograph_id, job_id=f"derivatives-{photograph_id}")


def run_csv_import(csv_import_id: int) -> str:
    from .services.csv_import import csv_import_run

    return csv_import_run(csv_import_id=csv_import_id).status


def csv_import_job_id(csv_import_id: int) -> str:
    return f"csv-import-{csv_import_id}"


def enqueue_csv_import(csv_import_id: int, *, replace_job: bool = False):
    return _enqueue(run_csv_import, csv_import_id, job_id=csv_import_job_id(csv_import_id), replace_job=replace_job)


def derivatives_reconcile(*, grace_seconds: float = 300) -> list[int]:
    """Re-enqueue the derivatives of photographs still pending `grace_seconds` after ingest
    whose job is gone (Redis flushed, enqueue failed after commit, job failed or stopped).
    Returns the ids re-enqueued. Run by `manage.py reconcile_jobs` and by every worker."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import Photograph

    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    pending = Photograph.objects.filter(derivatives_status=Photograph.DerivativesStatus.PENDING, created_at__lte=cutoff)
    requeued = []
    for photograph_id in pending.values_list("pk", flat=True).iterator():
        job = fetch_job(QUEUE, f"derivatives-{photograph_id}")
        if job is not None and job.get_status(refresh=False) in LIVE_JOB_STATES:
            continue
        enqueue_derivatives(photograph_id)
        requeued.append(photograph_id)
    return requeued


def csv_imports_reconcile(*, grace_seconds: float = 300) -> list[tuple[int, str, str]]:
    """Re-queue, or fail after CsvImport.MAX_ATTEMPTS runs, every queued or running CSV import
    whose job was lost (Redis flushed, worker killed, enqueue failed). Re-running is safe:
    each row is imported in its own transaction, and rows already imported come out
    "unchanged". Imports run in the foreground (no job id) are left alone. Returns
    (import id, action, reason)."""
    from django.utils import timezone

    from .models import CsvImport

    def judge(row: CsvImport, now) -> str | None:
        return lost_job_reason(fetch_job(QUEUE, row.job_id), QUEUE) if row.job_id else None

    def act(row: CsvImport, reason: str, now) -> tuple[int, str, str]:
        if row.attempts < CsvImport.MAX_ATTEMPTS:
            row.status = CsvImport.Status.QUEUED
            row.save(update_fields=["status"])
            import_id = row.pk
            transaction.on_commit(lambda: enqueue_csv_import(import_id, replace_job=True), robust=True)
            return (row.pk, "requeued", reason)
        row.status, row.finished_at = CsvImport.Status.FAILED, timezone.now()
        row.error_message = (f"Failed after {row.attempts} attempts: {reason}. Rows imported before that stay; importing "
                             "the same file again reports them unchanged and imports the rest.")
        row.save(update_fields=["status", "finished_at", "error_message"])
        return (row.pk, "failed", reason)

    return reconcile_rows(CsvImport, queued_status=CsvImport.Status.QUEUED, queued_since="created_at",
                          grace_seconds=grace_seconds, judge=judge, act=act, label="CSV import")


def reconcile_all() -> None:
    derivatives_reconcile()
    csv_imports_reconcile()


def start_reconciler():
    """Worker warm-up (settings.RQ_WORKER_WARMUP): re-enqueue lost derivative and CSV import
    jobs every five minutes."""
    from archive_site.periodic import PeriodicThread

    global _reconciler
    if _reconciler is None or not _reconciler.is_alive():
        _reconciler = PeriodicThread("archive-reconciler", lambda: 300.0, reconcile_all)
        _reconciler.start()
    return _reconciler


_reconciler = None
