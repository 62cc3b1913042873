"""/healthz: database, Redis, workers and jobs per queue, and the active model version, as JSON.

The answer is 200 when the database and Redis answer, 503 otherwise; a missing worker
does not make the web process unhealthy (it is reported, for monitoring to alert on).
"""
from __future__ import annotations

import os
import socket

import django_rq
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from rq import Worker

from apps.mlcore.selectors import model_version_active


def ping() -> dict:
    """A job that proves a worker runs what the web side enqueues (manage.py ping_worker)."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "at": timezone.now().isoformat()}


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:  # any failure is the answer, not an error page
        return {"ok": False, "error": str(exc)}


def _redis_workers_and_queues() -> tuple[dict, dict, dict]:
    try:
        conn = django_rq.get_connection(next(iter(settings.RQ_QUEUES)))
        conn.ping()
        workers = Worker.all(connection=conn)
        queues = {name: django_rq.get_queue(name) for name in settings.RQ_QUEUES}
        jobs = {
            name: {
                "queued": queue.count,
                "started": queue.started_job_registry.count,
                "scheduled": queue.scheduled_job_registry.count,
                "failed": queue.failed_job_registry.count,
            }
            for name, queue in queues.items()
        }
    except Exception as exc:
        return {"ok": False, "error": str(exc)}, {}, {}
    per_queue = {name: 0 for name in settings.RQ_QUEUES}
    for worker in workers:
        for queue_name in worker.queue_names():
            if queue_name in per_queue:
                per_queue[queue_name] += 1
    for name in jobs:
        jobs[name]["workers"] = per_queue[name]
    return {"ok": True}, {"count": len(workers), "per_queue": per_queue}, jobs


def healthz(request):
    database = _database()
    redis_status, workers, queues = _redis_workers_and_queues()
    active = None
    if database["ok"]:
        try:
            version = model_version_active()
        except Exception as exc:  # e.g. not migrated yet
            database = {"ok": False, "error": str(exc)}
        else:
            if version is not None:
                active = {"id": version.pk, "name": version.name, "version": version.version, "weights_sha256": version.weights_sha256}
    ok = database["ok"] and redis_status["ok"]
    body = {
        "status": "ok" if ok else "degraded",
        "database": database,
        "redis": redis_status,
        "workers": workers,
        "queues": queues,
        "active_model": active,
    }
    return JsonResponse(body, status=200 if ok else 503)
