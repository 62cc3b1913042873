"""Shared fixtures: users per role, a temporary media root, and a real RQ worker.

Django is imported inside the fixtures only, so `pytest tests/mlcore -p no:django` can load
this file without Django.
"""
from __future__ import annotations

import pytest

ROLE_NAMES = ("archivist", "colorist", "curator")


@pytest.fixture(autouse=True)
def _media_root(request, tmp_path_factory):
    """Every Django test writes media to its own temporary folder."""
    if "settings" not in request.fixturenames and not request.config.pluginmanager.hasplugin("django"):
        yield None
        return
    settings = request.getfixturevalue("settings")
    media = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = str(media)
    yield media


def _make_user(django_user_model, username: str, role: str | None = None, **extra):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username=username, password="pw-" + username, email=f"{username}@example.org", **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def archivist(db, django_user_model):
    return _make_user(django_user_model, "archie", "archivist")


@pytest.fixture
def colorist(db, django_user_model):
    return _make_user(django_user_model, "cora", "colorist")


@pytest.fixture
def curator(db, django_user_model):
    return _make_user(django_user_model, "curt", "curator")


@pytest.fixture
def viewer(db, django_user_model):
    return _make_user(django_user_model, "vera")


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="pw-root", email="root@example.org")


@pytest.fixture
def rq_queues(db):
    """The test queues (names prefixed with RQ_QUEUE_PREFIX), emptied before and after the test."""
    import django_rq
    from django.conf import settings

    queues = {name.removeprefix(settings.RQ_QUEUE_PREFIX): django_rq.get_queue(name) for name in settings.RQ_QUEUES}
    for queue in queues.values():
        queue.empty()
    yield queues
    for queue in queues.values():
        queue.empty()


@pytest.fixture
def rq_worker(rq_queues):
    """A real RQ worker on the test queues: `rq_worker()` runs, in this process and in burst
    mode, everything enqueued so far (and what those jobs enqueue), then returns the worker."""
    from rq import SimpleWorker

    def run():
        queues = list(rq_queues.values())
        worker = SimpleWorker(queues, connection=queues[0].connection)
        worker.work(burst=True, with_scheduler=False)
        return worker

    return run
