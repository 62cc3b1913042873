"""Fixtures for retraining: a tiny active base model, colour photographs and an approved
variant made through the archive's and the colorist's own services, tiny hyperparameters."""
from __future__ import annotations

import pytest

from tests.support.images import colour_scan, grey_scan
from tests.support.mlcore import TINY_HYPERPARAMETERS, register_tiny_model


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Every retraining test trains tiny networks on one thread."""


@pytest.fixture
def base_model(db, tmp_path):
    """The active version a run fine-tunes: a tiny generator (GeneratorConfig base 4, depth 3)."""
    return register_tiny_model(tmp_path / "base.pt", version="1.0.0")


@pytest.fixture
def colour_photographs(collection, ingest):
    return [ingest(collection, f"HB-C{i}", colour_scan(seed=10 + i)) for i in range(4)]


@pytest.fixture
def grey_photograph(collection, ingest):
    return ingest(collection, "HB-G1", grey_scan(seed=5))


@pytest.fixture
def colorize_photograph(colorist, base_model, rq_worker, django_capture_on_commit_callbacks):
    """colorize_photograph(photograph, seeds) -> its variants (pending review), made by a real
    colorization on the gpu queue."""
    from apps.colorize import services as colorize

    def make(photograph, seeds=(7,)):
        with django_capture_on_commit_callbacks(execute=True):
            request = colorize.colorization_request_create(photograph=photograph, user=colorist, seeds=list(seeds), working_size=64)
        rq_worker()
        request.refresh_from_db()
        assert request.status == "succeeded", request.error
        return list(request.variants.order_by("seed"))

    return make


@pytest.fixture
def approve_variant(colorist, colorize_photograph):
    """approve_variant(photograph) -> an approved Variant of it."""
    from apps.colorize import services as colorize

    def make(photograph):
        return colorize.variant_approve(variant=colorize_photograph(photograph)[0], user=colorist)

    return make


@pytest.fixture
def tiny_hyperparameters():
    return dict(TINY_HYPERPARAMETERS)


@pytest.fixture
def colour_set(curator, colour_photographs, base_model):
    """A draft set of four colour photographs (one held out once frozen)."""
    from apps.mlcore.services import curated_set_add_items, curated_set_create

    curated = curated_set_create(name="Colour only", user=curator, holdout_fraction=0.25)
    curated_set_add_items(curated_set=curated, user=curator, photograph_ids=[p.pk for p in colour_photographs])
    return curated


@pytest.fixture
def finished_run(colour_set, curator, tiny_hyperparameters, rq_worker, django_capture_on_commit_callbacks):
    """A run that went through the real worker and produced a candidate."""
    from apps.mlcore.services import training_run_create

    with django_capture_on_commit_callbacks(execute=True):
        run = training_run_create(curated_set=colour_set, user=curator, hyperparameters=tiny_hyperparameters)
    rq_worker()
    run.refresh_from_db()
    assert run.status == "succeeded", run.error + run.log_tail
    return run


@pytest.fixture
def tiny_benchmark(settings, tmp_path):
    """A benchmark set of three generated colour pictures, configured as the archive's."""
    from tests.support.gan import write_tiny_benchmark

    benchmark = write_tiny_benchmark(tmp_path / "benchmark")
    settings.MLCORE_BENCHMARK_DIR = str(benchmark.folder)
    return benchmark


@pytest.fixture
def training_worker_process(_media_root, rq_queues):
    """training_worker_process(**env) -> a real `manage.py rqworker` on the training queue, to
    `.start()` in its own process (the benchmark configured as in this test); stopped after
    the test."""
    import sys
    from pathlib import Path

    from django.conf import settings

    from tests.support.workers import ROOT, WorkerProcess

    made = []

    def make(**env):
        worker = WorkerProcess(Path(_media_root), {"OMP_NUM_THREADS": "1", "MLCORE_BENCHMARK_DIR": settings.MLCORE_BENCHMARK_DIR, **env})
        worker.argv = [sys.executable, str(ROOT / "manage.py"), "rqworker", settings.RQ_QUEUE_PREFIX + "training", "--worker-class", settings.RQ_WORKER_CLASS]
        made.append(worker)
        return worker

    yield make
    for worker in made:
        if worker.process is not None:
            worker.stop()
