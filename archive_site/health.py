"""/healthz: database, Redis, workers per queue and the active model version, as JSON."""
from __future__ import annotations

import django_rq
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from rq import Worker

from apps.mlcore.selectors import model_version_active


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:  # any failure is the answer, not an error page
        return {"ok": False, "error": str(exc)}


def _redis_and_workers() -> tuple[dict, dict]:
    try:
        conn = django_rq.get_connection(next(iter(settings.RQ_QUEUES)))
        conn.ping()
        workers = Worker.all(connection=conn)
    except Exception as exc:
        return {"ok": False, "error": str(exc)}, {}
    per_queue = {name: 0 for name in settings.RQ_QUEUES}
    for worker in workers:
        for queue_name in worker.queue_names():
            if queue_name in per_queue:
                per_queue[queue_name] += 1
    return {"ok": True}, {"count": len(workers), "per_queue": per_queue}


def healthz(request):
    database = _database()
    redis_status, workers = _redis_and_workers()
    active = None
    if database["ok"]:
        version = model_version_active()
        if version is not None:
            active = {"id": version.pk, "name": version.name, "version": version.version, "weights_sha256": version.weights_sha256}
    ok = database["ok"] and redis_status["ok"]
    body = {"status": "ok" if ok else "degraded", "database": database, "redis": redis_status, "workers": workers, "active_model": active}
    return JsonResponse(body, status=200 if ok else 503)
