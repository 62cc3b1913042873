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
