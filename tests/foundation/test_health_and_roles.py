import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from rq import Worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {"archivist", "colorist", "curator"}
    assert Group.objects.get(name="curator").permissions.filter(codename="change_modelversion").exists()
    assert not Group.objects.get(name="colorist").permissions.filter(codename="change_modelversion").exists()


@pytest.mark.django_db
def test_healthz_reports_database_redis_and_no_active_model(client, rq_queues):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is True
    assert body["active_model"] is None
    prefix = settings.RQ_QUEUE_PREFIX
    assert set(body["workers"]["per_queue"]) == {f"{prefix}default", f"{prefix}gpu", f"{prefix}training"}
    assert set(body["queues"]) == set(body["workers"]["per_queue"])


def _ping():
    return "pong"


@pytest.mark.django_db
def test_healthz_counts_jobs_and_workers_per_queue(client, rq_queues):
    prefix = settings.RQ_QUEUE_PREFIX
    # A worker SIGKILLed by an earlier test stays registered until its key expires: count from here.
    before = client.get("/healthz").json()
    rq_queues["gpu"].enqueue(_ping)
    rq_queues["gpu"].enqueue(_ping)
    worker = Worker([rq_queues["gpu"], rq_queues["training"]], connection=rq_queues["gpu"].connection)
    worker.register_birth()
    try:
        body = client.get("/healthz").json()
    finally:
        worker.register_death()
    gpu, default = body["queues"][f"{prefix}gpu"], body["queues"][f"{prefix}default"]
    assert {k: gpu[k] for k in ("queued", "started", "scheduled", "failed")} == {"queued": 2, "started": 0, "scheduled": 0, "failed": 0}
    assert gpu["workers"] == before["queues"][f"{prefix}gpu"]["workers"] + 1
    assert default["queued"] == 0
    assert default["workers"] == before["queues"][f"{prefix}default"]["workers"]
    assert body["workers"]["per_queue"][f"{prefix}training"] == before["workers"]["per_queue"][f"{prefix}training"] + 1


@pytest.mark.django_db
def test_healthz_is_503_when_redis_is_unreachable(client, settings):
    settings.RQ_QUEUES = {name: {**conf, "URL": "redis://127.0.0.1:1/0"} for name, conf in settings.RQ_QUEUES.items()}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"]["ok"] is False
    assert response.json()["database"]["ok"] is True


@pytest.mark.django_db
def test_rq_worker_fixture_runs_enqueued_jobs(rq_queues, rq_worker):
    job = rq_queues["default"].enqueue(_ping)
    rq_worker()
    job.refresh()
    assert job.is_finished
    assert job.return_value() == "pong"


@pytest.mark.django_db
def test_a_job_enqueued_here_runs_in_a_separate_worker_process(rq_queues, capsys):
    """What the dev start and production do: the web side enqueues, a worker process runs it."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "archive_site.settings.test"}
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "rqworker", *settings.RQ_QUEUES, "--worker-class", settings.RQ_WORKER_CLASS],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        call_command("ping_worker", "default", "gpu", "training", timeout=60)
    finally:
        worker.terminate()
        _, stderr = worker.communicate(timeout=30)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3, stderr
    for line in lines:
        assert f"ran by worker process {worker.pid} " in line
