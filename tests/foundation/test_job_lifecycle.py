"""The lifecycle every job row shares (archive_site.rqjobs), on a real kind (CsvImport), the
real PostgreSQL and the real Redis: attempts, ownership, cancel, the requeue budget, and
transient database errors that must not cost an attempt."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from rq.job import JobStatus

from apps.collections.models import CsvImport
from archive_site import rqjobs
from archive_site.rqjobs import attempt_start, job_row_cancel, reconcile_rows

pytestmark = pytest.mark.django_db(transaction=True)
Status = CsvImport.Status


@pytest.fixture
def job_row(rq_queues):
    """make(**fields) -> a queued CsvImport whose job id names no job in Redis yet."""
    def make(**fields) -> CsvImport:
        row = CsvImport.objects.create(csv_file="imports/lifecycle.csv", max_attempts=2, **fields)
        row.job_id = f"csv-import-{row.pk}"
        row.save(update_fields=["job_id"])
        return row

    return make


def test_a_second_start_takes_the_row_and_the_first_attempt_can_no_longer_write(job_row):
    row = job_row()
    _, first = attempt_start(CsvImport, row.pk)
    assert first.number == 1 and first.owns()

    _, second = attempt_start(CsvImport, row.pk)  # the same job delivered twice, or a retry while the first still runs
    assert second.number == 2 and second.owns() and not first.owns()
    assert first.update(processed_rows=5) is False
    assert first.end(Status.FAILED, error="late") is None
    assert first.should_stop()

    assert second.end(Status.SUCCEEDED, processed_rows=3).status == Status.SUCCEEDED
    row.refresh_from_db()
    assert (row.status, row.attempts, row.processed_rows, row.error) == (Status.SUCCEEDED, 2, 3, "")
    assert attempt_start(CsvImport, row.pk) is None  # finished: nothing to run, nothing changed
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SUCCEEDED, 2)


def test_an_attempt_reconcile_gave_up_on_is_stale_and_its_writes_are_refused(job_row, rq_queues):
    row = job_row()
    _, stale = attempt_start(CsvImport, row.pk)
    CsvImport.objects.filter(pk=row.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    [action] = reconcile_rows(CsvImport, grace_seconds=0)  # no job in Redis, no recent heartbeat
    assert (action.label, action.row_id, action.action) == ("CSV import", row.pk, "requeued")
    assert str(action).startswith(f"CSV import {row.pk}: requeued (its job is no longer in Redis")
    row.refresh_from_db()
    assert row.status == Status.QUEUED and row.error.startswith("Re-queued after attempt 1:")
    assert rq_queues["default"].fetch_job(row.job_id).get_status() == JobStatus.QUEUED

    assert not stale.owns() and stale.should_stop()
    assert stale.update(processed_rows=9) is False
    assert stale.end(Status.SUCCEEDED) is None
    row.refresh_from_db()
    assert (row.status, row.processed_rows) == (Status.QUEUED, 0)


def test_a_running_row_with_a_fresh_heartbeat_is_alive_even_without_its_job(job_row):
    row = job_row()
    _, attempt = attempt_start(CsvImport, row.pk)
    assert attempt.heartbeat()
    assert reconcile_rows(CsvImport, grace_seconds=0) == []
    assert attempt.owns()


def test_cancel_while_running_is_cooperative(job_row):
    row = job_row()
    _, attempt = attempt_start(CsvImport, row.pk)
    assert not attempt.should_stop()

    cancelled = job_row_cancel(row, who="cora")
    assert cancelled.status == Status.RUNNING and cancelled.cancel_requested
    assert attempt.should_stop() and attempt.cancel_requested() and attempt.owns()

    attempt.end(Status.CANCELLED)
    row.refresh_from_db()
    assert row.status == Status.CANCELLED and row.finished_at
    with pytest.raises(ValidationError, match="has already cancelled; there is nothing to cancel"):
        job_row_cancel(row, who="cora")


def test_cancel_while_queued_is_immediate_and_cancels_the_waiting_job(job_row, rq_queues, django_capture_on_commit_callbacks):
    row = job_row()
    with django_capture_on_commit_callbacks(execute=True):
        rqjobs.job_enqueue_on_commit(row)
    assert rq_queues["default"].fetch_job(row.job_id).get_status() == JobStatus.QUEUED

    with django_capture_on_commit_callbacks(execute=True):
        job_row_cancel(row, who="cora")
    row.refresh_from_db()
    assert row.status == Status.CANCELLED and row.finished_at
    assert rq_queues["default"].fetch_job(row.job_id).get_status() == JobStatus.CANCELED
    assert attempt_start(CsvImport, row.pk) is None


def test_a_row_lost_again_and_again_fails_once_its_attempts_are_spent(job_row, rq_queues):
    row = job_row()
    for number in (1, 2):
        _, attempt = attempt_start(CsvImport, row.pk)
        assert attempt.number == number
        # Its worker died long ago and Redis lost its job.
        CsvImport.objects.filter(pk=row.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
        job = rq_queues["default"].fetch_job(row.job_id)
        if job is not None:
            job.delete()
        [action] = reconcile_rows(CsvImport, grace_seconds=0)
        assert action.action == ("requeued" if number == 1 else "failed")
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == 2 and row.finished_at
    assert row.error.startswith("Failed after 2 attempts: its job is no longer in Redis")
    assert row.error.endswith(CsvImport.LOST_HINT)
    assert reconcile_rows(CsvImport, grace_seconds=0) == []


def test_a_start_without_attempts_left_fails_and_a_cancelled_row_never_starts(job_row):
    spent = job_row(attempts=2)
    assert attempt_start(CsvImport, spent.pk) is None
    spent.refresh_from_db()
    assert (spent.status, spent.error) == (Status.FAILED, "Gave up after 2 attempts.")

    asked = job_row(cancel_requested=True)
    assert attempt_start(CsvImport, asked.pk) is None
    asked.refresh_from_db()
    assert asked.status == Status.CANCELLED and asked.attempts == 0


def test_queued_rows_get_their_grace_period_before_reconcile_calls_them_lost(job_row):
    row = job_row()
    assert reconcile_rows(CsvImport, grace_seconds=300) == []
    CsvImport.objects.filter(pk=row.pk).update(queued_at=timezone.now() - timedelta(seconds=301))
    assert [action.action for action in reconcile_rows(CsvImport, grace_seconds=300)] == ["requeued"]


def _drop_this_connection() -> None:
    """What a PostgreSQL restart does to a worker: its server process goes away."""
    import psycopg

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    db = connection.settings_dict
    # OPTIONS may name the host too (the embedded server's socket folder): it wins.
    params = {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"], "password": db["PASSWORD"] or None, "dbname": db["NAME"]}
    with psycopg.connect(**{**params, **db.get("OPTIONS", {})}, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_transient_database_error_is_retried_without_spending_the_attempt(job_row, settings):
    settings.JOB_DB_RETRY_DELAYS = [0.05, 0.05]
    row = job_row()
    _, attempt = attempt_start(CsvImport, row.pk)

    _drop_this_connection()
    assert attempt.update(processed_rows=4)  # a progress write during the restart
    _drop_this_connection()
    assert attempt.end(Status.SUCCEEDED).status == Status.SUCCEEDED
    row.refresh_from_db()
    assert (row.status, row.attempts, row.processed_rows) == (Status.SUCCEEDED, 1, 4)


def test_a_derivatives_job_rides_out_a_database_restart(settings, rq_queues, rq_worker, django_capture_on_commit_callbacks):
    from apps.collections import services
    from apps.collections.models import Photograph
    from tests.support import images

    settings.JOB_DB_RETRY_DELAYS = [0.05, 0.05]
    collection = services.collection_create(title="Restarts", slug="restarts", is_published=True, user=None)
    with django_capture_on_commit_callbacks(execute=True):
        photograph = services.photograph_ingest(collection=collection, file=io.BytesIO(images.jpeg_bytes(300, 200)),
                                                filename="r.jpg", metadata={"identifier": "R-1"}, user=None).photograph
    _drop_this_connection()
    rq_worker()
    photograph.refresh_from_db()
    assert photograph.derivatives_status == Photograph.DerivativesStatus.READY
    job = rq_queues["default"].fetch_job(f"derivatives-{photograph.pk}")
    assert job.get_status() == JobStatus.FINISHED and job.retries_left == settings.RQ_QUEUE_SETTINGS["default"]["retries"]

