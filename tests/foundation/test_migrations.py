"""The squashed migrations stand in for the ones they replace (docs/ARCHITECTURE.md,
"Migrations"): a database the old migrations built has nothing left to apply, and a new
migration may still name an old one as its dependency."""
import pytest
from django.db import connection
from django.db.migrations import Migration
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

SQUASHED = {
    ("collections", "0001_squashed_0008_embargo"),
    ("colorize", "0001_squashed_0003_job_row"),
    ("mlcore", "0001_squashed_0002_roles"),
    ("mlcore", "0003_squashed_0005_training_run_job_row"),
}
PROBE = ("colorize", "0099_probe")


class _LoaderWithProbe(MigrationLoader):
    """The migrations on disk plus one that depends on the old names, as a migration written
    before the squash does."""

    def load_disk(self):
        super().load_disk()
        probe = Migration(PROBE[1], PROBE[0])
        probe.dependencies = [("collections", "0008_embargo"), ("colorize", "0003_job_row"), ("mlcore", "0005_training_run_job_row")]
        self.disk_migrations[PROBE] = probe


def _forget_squashed_names():
    """Make the test database look like one the old migrations built: they recorded the old
    names only (the squashed names are recorded by the first `migrate` that knows them)."""
    MigrationRecorder(connection).migration_qs.filter(app__in={app for app, _ in SQUASHED}, name__contains="_squashed_").delete()


def test_the_squashed_migrations_replace_every_old_one():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert set(loader.replacements) == SQUASHED
    for key in SQUASHED:
        app, name = key
        first, last = name.split("_squashed_")
        numbers = [int(old[:4]) for old_app, old in loader.replacements[key].replaces if old_app == app]
        assert numbers == list(range(int(first), int(last[:4]) + 1)), key


@pytest.mark.django_db
def test_a_database_built_by_the_old_migrations_has_nothing_to_apply():
    _forget_squashed_names()
    executor = MigrationExecutor(connection)
    executor.loader.check_consistent_history(connection)
    assert SQUASHED <= set(executor.loader.applied_migrations)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


@pytest.mark.django_db
def test_a_new_migration_may_depend_on_the_old_names():
    _forget_squashed_names()
    loader = _LoaderWithProbe(connection)
    assert loader.graph.node_map[PROBE].parents == {loader.graph.node_map[key] for key in SQUASHED - {("mlcore", "0001_squashed_0002_roles")}}
    # On that database only the new migration is left to apply.
    executor = MigrationExecutor(connection)
    executor.loader = loader
    assert [(migration.app_label, migration.name) for migration, _ in executor.migration_plan([PROBE])] == [PROBE]
    # On a fresh database it comes after every squashed migration.
    assert SQUASHED < set(loader.graph.forwards_plan(PROBE))
