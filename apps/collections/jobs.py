"""RQ jobs of the archive. Each takes ids, re-reads the database and calls one service;
services enqueue them inside transaction.on_commit."""
from __future__ import annotations

import django_rq
from django.conf import settings
from rq import Retry


def queue(name: str):
    """The RQ queue `name` (default, gpu, training) with this deployment's prefix."""
    return django_rq.get_queue(f"{settings.RQ_QUEUE_PREFIX}{name}")


def _enqueue(function, *args, job_id: str):
    conf = settings.RQ_QUEUE_SETTINGS["default"]
    retry = Retry(max=conf["retries"]) if conf["retries"] else None
    return queue("default").enqueue(
        function, *args, job_id=job_id, retry=retry, job_timeout=conf["timeout"],
        result_ttl=conf["result_ttl"], failure_ttl=conf["failure_ttl"],
    )


def build_derivatives(photograph_id: int) -> str:
    from .services.derivatives import photograph_build_derivatives

    photograph = photograph_build_derivatives(photograph_id=photograph_id)
    return photograph.derivatives_status if photograph else "gone"


def enqueue_derivatives(photograph_id: int):
    return _enqueue(build_derivatives, photograph_id, job_id=f"derivatives-{photograph_id}")


def run_csv_import(csv_import_id: int) -> str:
    from .services.csv_import import csv_import_run

    return csv_import_run(csv_import_id=csv_import_id).status


def enqueue_csv_import(csv_import_id: int):
    return _enqueue(run_csv_import, csv_import_id, job_id=f"csv-import-{csv_import_id}")


def derivatives_reconcile(*, grace_seconds: float = 300) -> list[int]:
    """Re-enqueue the derivatives of photographs still pending `grace_seconds` after ingest
    whose job is gone (Redis flushed, enqueue failed after commit, job failed or stopped).
    Returns the ids re-enqueued. Run by `manage.py reconcile_jobs` and by every worker."""
    from datetime import timedelta

    from django.utils import timezone
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    from .models import Photograph

    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    pending = Photograph.objects.filter(derivatives_status=Photograph.DerivativesStatus.PENDING, created_at__lte=cutoff)
    connection = queue("default").connection
    requeued = []
    for photograph_id in pending.values_list("pk", flat=True).iterator():
        job_id = f"derivatives-{photograph_id}"
        try:
            job = Job.fetch(job_id, connection=connection)
        except NoSuchJobError:
            job = None
        if job is not None and job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            continue
        if job is not None:
            job.delete()
        enqueue_derivatives(photograph_id)
        requeued.append(photograph_id)
    return requeued


def start_reconciler():
    """Worker warm-up (settings.RQ_WORKER_WARMUP): `derivatives_reconcile` every five minutes."""
    from archive_site.periodic import PeriodicThread

    global _reconciler
    if _reconciler is None or not _reconciler.is_alive():
        _reconciler = PeriodicThread("derivatives-reconciler", lambda: 300.0, derivatives_reconcile)
        _reconciler.start()
    return _reconciler


_reconciler = None
