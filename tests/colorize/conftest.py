"""Fixtures for the colorist's workflow: a tiny registered model, real ingested photographs,
API clients per role, and a real `manage.py rqworker` subprocess on the test queues."""
from __future__ import annotations

import importlib
import io
from pathlib import Path

import pytest

from tests.colorize.helpers import WorkerProcess, colour_scan, grey_scan, register_tiny_model

ROLE_MIGRATIONS = (
    ("collections", "apps.collections.migrations.0003_roles"),
    ("mlcore", "apps.mlcore.migrations.0002_roles"),
    ("colorize", "apps.colorize.migrations.0002_roles"),
)


@pytest.fixture(autouse=True)
def _roles(request):
    """Transactional tests flush every table, groups included: put the roles back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if not transactional and "transactional_db" not in request.fixturenames:
        return
    from django.apps import apps

    from archive_site.roles import grant

    request.getfixturevalue("transactional_db")
    for label, module in ROLE_MIGRATIONS:
        grant(apps, label, importlib.import_module(module).ROLE_PERMISSIONS)


@pytest.fixture
def tiny_model(db, tmp_path):
    return register_tiny_model(tmp_path / "tiny.pt")


@pytest.fixture
def collection(db):
    from apps.collections import services

    return services.collection_create(title="Harbour Board", slug="harbour", is_published=True, user=None)


@pytest.fixture
def hidden_collection(db):
    from apps.collections import services

    return services.collection_create(title="Unsorted donations", slug="unsorted", is_published=False, user=None)


@pytest.fixture
def ingest(archivist):
    """ingest(collection, identifier, data=None) -> Photograph, through the archive's own service."""
    from apps.collections import services

    def make(collection, identifier: str, data: bytes | None = None):
        data = data if data is not None else grey_scan(seed=sum(map(ord, identifier)))
        return services.photograph_ingest(
            collection=collection, file=io.BytesIO(data), filename=f"{identifier}.jpg", metadata={"identifier": identifier}, user=archivist,
        ).photograph

    return make


@pytest.fixture
def photograph(collection, ingest):
    return ingest(collection, "HB-001")


@pytest.fixture
def colour_photograph(collection, ingest):
    return ingest(collection, "HB-COL", colour_scan(seed=3))


@pytest.fixture
def media_files(_media_root):
    """Files under the test's media root below `folder` (relative names)."""
    return lambda folder="colorizations": sorted(str(p.relative_to(_media_root)) for p in (_media_root / folder).rglob("*") if p.is_file())


@pytest.fixture
def api(db):
    """api(user) -> a DRF test client logged in as `user` (None: anonymous)."""
    from rest_framework.test import APIClient

    def make(user=None):
        api_client = APIClient()
        if user is not None:
            api_client.force_authenticate(user)
        return api_client

    return make


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
