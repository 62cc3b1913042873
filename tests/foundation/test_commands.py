"""Project-wide management commands: ensure_admin (first start) and the worker class."""
import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from archive_site.worker import ArchiveWorker


@pytest.mark.django_db
def test_ensure_admin_creates_one_superuser_with_a_generated_password_shown_once(capsys, monkeypatch):
    monkeypatch.delenv("DJANGO_ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    first = capsys.readouterr().out
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    password = first.split("password '", 1)[1].split("'", 1)[0]
    assert len(password) >= 12 and admin.check_password(password)

    call_command("ensure_admin")
    second = capsys.readouterr().out
    assert password not in second and "Log in as 'admin'" in second
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


@pytest.mark.django_db
def test_ensure_admin_takes_the_password_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("DJANGO_ADMIN_PASSWORD", "a-long-chosen-passphrase")
    call_command("ensure_admin", username="keeper")
    assert "a-long-chosen-passphrase" not in capsys.readouterr().out
    assert get_user_model().objects.get(username="keeper").check_password("a-long-chosen-passphrase")


@pytest.mark.django_db
def test_ensure_admin_leaves_an_existing_superuser_alone(superuser, capsys):
    call_command("ensure_admin")
    assert "Log in as 'root'" in capsys.readouterr().out
    assert not get_user_model().objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_ensure_admin_does_not_promote_a_plain_user_silently(viewer):
    with pytest.raises(CommandError, match="not a superuser"):
        call_command("ensure_admin", username="vera")


def _record_warm_up():
    _record_warm_up.calls += 1


_record_warm_up.calls = 0


def _count_users():
    return os.getpid(), get_user_model().objects.count()


@pytest.mark.django_db(transaction=True)
def test_archive_worker_warms_up_then_runs_jobs_in_its_own_process(settings, rq_queues, archivist):
    settings.RQ_WORKER_WARMUP = [f"{__name__}._record_warm_up", f"{__name__}._record_warm_up@gpu"]
    _record_warm_up.calls = 0
    cpu_only = ArchiveWorker([rq_queues["default"]], connection=rq_queues["default"].connection)
    cpu_only.work(burst=True, with_scheduler=False)
    assert _record_warm_up.calls == 1  # the "@gpu" entry is not for a worker on default only
    _record_warm_up.calls = 0
    jobs = [rq_queues["gpu"].enqueue(_count_users), rq_queues["training"].enqueue(_count_users)]
    queues = list(rq_queues.values())
    worker = ArchiveWorker(queues, connection=queues[0].connection)
    worker.work(burst=True, with_scheduler=False)
    assert _record_warm_up.calls == 2
    for job in jobs:
        job.refresh()
        assert job.is_finished, job.latest_result()
        # No fork: the job ran in the worker's own process, with the database it sees.
        assert job.return_value() == (os.getpid(), 1)


@pytest.mark.django_db
def test_ping_worker_fails_clearly_when_no_worker_listens(rq_queues):
    with pytest.raises(CommandError, match="no worker ran the ping job"):
        call_command("ping_worker", "default", timeout=0.3)


@pytest.mark.django_db
def test_check_worker_passes_only_while_a_worker_on_this_host_is_registered(rq_queues, capsys):
    from rq import Worker

    with pytest.raises(CommandError, match="no RQ worker registered"):
        call_command("check_worker", hostname="no-such-host")
    worker = Worker(list(rq_queues.values()), connection=rq_queues["default"].connection)
    worker.register_birth()
    try:
        call_command("check_worker", hostname=worker.hostname)
    finally:
        worker.register_death()
    assert worker.name in capsys.readouterr().out
