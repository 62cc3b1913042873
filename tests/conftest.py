"""Shared fixtures: users per role (and their groups put back after transactional tests), a
temporary media root, a published collection and real ingest, a real RQ worker, and a
browser (Playwright on Debian's Chromium) with a login helper. What they are made of lives
in tests/support/.

Django is imported inside the fixtures only, so `pytest tests/mlcore -p no:django` can load
this file without Django.
"""
from __future__ import annotations

import importlib
import os

import pytest

ROLE_NAMES = ("archivist", "colorist", "curator")
ROLE_MIGRATIONS = (
    ("collections", "apps.collections.migrations.0001_squashed_0008_embargo"),
    ("mlcore", "apps.mlcore.migrations.0001_squashed_0002_roles"),
    ("colorize", "apps.colorize.migrations.0001_squashed_0003_job_row"),
    ("mlcore", "apps.mlcore.migrations.0003_squashed_0005_training_run_job_row"),
    ("mlcore", "apps.mlcore.migrations.0006_model_version_benchmark_history"),
)


def pytest_configure(config):
    # WhiteNoise warns that collectstatic's STATIC_ROOT is missing; tests use the finders.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_collection_modifyitems(config, items):
    """Transactional tests (transaction=True, live_server, transactional_db) end by emptying
    every table, which would take the rows data migrations made (the role groups and their
    permissions) away from the transactional tests after them. Serialized rollback restores
    those rows at the start of each such test."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        uses_transactions = kwargs.get("transaction") or {"live_server", "transactional_db"} & set(getattr(item, "fixturenames", ()))
        if uses_transactions and not kwargs.get("serialized_rollback"):
            item.add_marker(pytest.mark.django_db(*(marker.args if marker else ()), **{**kwargs, "transaction": True, "serialized_rollback": True}), append=False)


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


@pytest.fixture(autouse=True)
def _roles(request):
    """Transactional tests flush every table, groups included: put the roles back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if not transactional and not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    from django.apps import apps

    from archive_site.roles import grant

    request.getfixturevalue("transactional_db")
    for label, module in ROLE_MIGRATIONS:
        grant(apps, label, importlib.import_module(module).ROLE_PERMISSIONS)


@pytest.fixture
def one_torch_thread():
    """One OpenMP thread for the test: on a busy 2-core machine two are slower than one for
    tiny networks, and the tests measure behaviour, not speed."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(autouse=True)
def _empty_cache(request):
    """API throttle counts start from zero in every Django test."""
    if not request.config.pluginmanager.hasplugin("django"):
        yield
        return
    from django.core.cache import cache

    cache.clear()
    yield


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
def collection(db):
    """A published root collection."""
    from tests.support.collections import CollectionFactory

    return CollectionFactory(title="Harbour Board", slug="harbour", is_published=True)


@pytest.fixture
def ingest(archivist, rq_queues):
    """ingest(collection, identifier, data=None) -> Photograph, through the archive's own
    service (default: a grey scan); its derivatives job waits for the test's worker."""
    from tests.support.collections import ingest_photograph

    return lambda collection, identifier, data=None: ingest_photograph(collection, identifier, data, user=archivist)


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


def _empty_queue(queue) -> None:
    """Remove every job of `queue`: waiting ones and those its registries remember
    (started, finished, failed, deferred, scheduled, canceled)."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    queue.empty()
    registries = (
        queue.started_job_registry, queue.finished_job_registry, queue.failed_job_registry,
        queue.deferred_job_registry, queue.scheduled_job_registry, queue.canceled_job_registry,
    )
    for registry in registries:
        for job_id in registry.get_job_ids(cleanup=False):
            try:
                Job.fetch(job_id, connection=queue.connection).delete()
            except NoSuchJobError:
                pass  # its hash expired or went with an earlier delete
        queue.connection.delete(registry.key)


@pytest.fixture
def rq_queues(db):
    """The test queues (names prefixed with RQ_QUEUE_PREFIX), emptied before and after the
    test, their job registries included."""
    import django_rq
    from django.conf import settings

    queues = {name.removeprefix(settings.RQ_QUEUE_PREFIX): django_rq.get_queue(name) for name in settings.RQ_QUEUES}
    for queue in queues.values():
        _empty_queue(queue)
    yield queues
    for queue in queues.values():
        _empty_queue(queue)


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


@pytest.fixture
def test_database_url(settings) -> str:
    """A DATABASE_URL for this test's database, for processes the test starts (they then
    see what a transactional test commits)."""
    from urllib.parse import quote

    db = settings.DATABASES["default"]
    host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")  # the embedded server: a socket folder in OPTIONS
    return f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@{quote(host, safe='')}:{db['PORT'] or 5432}/{db['NAME']}"


# --- Browser tests -------------------------------------------------------------------------
# Playwright drives Debian's Chromium (/usr/bin/chromium; ./bin/test installs it): its own
# browser download does not work here. The flags keep Chromium off the (closed) network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _reattach_database_connections(wrappers: dict) -> None:
    """Starting Playwright leaves this thread in a new contextvars context, where Django's
    connection handler (an asgiref Local) would hand out fresh connection objects without
    the state the test database setup put on the old ones (serialized rollback data). Put
    the old ones back, in the new context."""
    from django.db import connections

    for alias, wrapper in wrappers.items():
        setattr(connections._connections, alias, wrapper)


@pytest.fixture(scope="session")
def browser(django_db_setup):
    """One headless Chromium for the session (Playwright sync API)."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install chromium (./bin/test does it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, and Django then
    # refuses ORM calls from it. The loop never runs Django code, so the calls are safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        from django.db import connections

        wrappers = {alias: connections[alias] for alias in connections}
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            _reattach_database_connections(wrappers)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (its own cookies) whose relative URLs go to the live server:
    `page.goto("/collections/")`."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def _browser_login(page, live_server, user, password: str | None = None, next_url: str = "/accounts/"):
    """Log `user` in through the login form (users from the role fixtures have the password
    "pw-<username>") and land on `next_url`."""
    from urllib.parse import quote

    username = user.get_username()
    page.goto(f"{live_server.url}/accounts/login/?next={quote(next_url)}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}{next_url}")
    return page


@pytest.fixture
def login():
    """`login(page, live_server, user)`: sign `user` in through the login page."""
    return _browser_login
