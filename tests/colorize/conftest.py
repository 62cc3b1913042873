"""Fixtures for the colorist's workflow: a tiny registered model, ingested photographs, and
a real `manage.py rqworker` subprocess on the test queues."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.collections import CollectionFactory
from tests.support.images import colour_scan
from tests.support.mlcore import register_tiny_model
from tests.support.workers import WorkerProcess


@pytest.fixture
def tiny_model(db, tmp_path):
    return register_tiny_model(tmp_path / "tiny.pt")


@pytest.fixture
def hidden_collection(db):
    return CollectionFactory(title="Unsorted donations", slug="unsorted", is_published=False)


@pytest.fixture
def photograph(collection, ingest):
    return ingest(collection, "HB-001")


@pytest.fixture
def colour_photograph(collection, ingest):
    return ingest(collection, "HB-COL", colour_scan(seed=3))


@pytest.fixture
def portal(db):
    """portal(user=None) -> a Django test client signed in as `user` (None: anonymous), for pages without JavaScript."""
    from django.test import Client

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def media_files(_media_root):
    """Files under the test's media root below `folder` (relative names)."""
    return lambda folder="colorizations": sorted(str(p.relative_to(_media_root)) for p in (_media_root / folder).rglob("*") if p.is_file())


@pytest.fixture
def worker_process(transactional_db, rq_queues, _media_root):
    """worker_process(**env) -> a started WorkerProcess; stopped (or killed) after the test."""
    started: list[WorkerProcess] = []

    def start(*extra: str, **env: str) -> WorkerProcess:
        worker = WorkerProcess(Path(_media_root), env).start(*extra)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def colorize(colorist, rq_worker, django_capture_on_commit_callbacks):
    """colorize(photograph, seeds, run=True) -> the request, enqueued as on commit and (by default) run by the real worker."""
    from apps.colorize import services

    def make(photograph, seeds=(1, 2), *, run: bool = True, user=None):
        with django_capture_on_commit_callbacks(execute=True):
            created = services.colorization_request_create(photograph=photograph, user=user or colorist, seeds=list(seeds))
        if run:
            rq_worker()
            created.refresh_from_db()
        return created

    return make
