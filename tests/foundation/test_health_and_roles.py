import pytest
from django.contrib.auth.models import Group


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
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is True
    assert body["active_model"] is None
    assert set(body["workers"]["per_queue"]) == {"test-default", "test-gpu", "test-training"}


def _ping():
    return "pong"


@pytest.mark.django_db
def test_rq_worker_fixture_runs_enqueued_jobs(rq_queues, rq_worker):
    job = rq_queues["default"].enqueue(_ping)
    rq_worker()
    job.refresh()
    assert job.is_finished
    assert job.return_value() == "pong"
