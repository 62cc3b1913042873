"""Requests end to end: a real RQ worker on the real Redis and PostgreSQL, a tiny network."""
from __future__ import annotations

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from rq.job import JobStatus

from apps.colorize import services
from apps.colorize.models import ColorizationRequest, Variant
from apps.colorize.services.pyramids import variant_pyramid_name
from apps.mlcore import registry
from apps.mlcore.colorizing import read_provenance
from tests.support.images import pixels
from tests.support.mlcore import register_tiny_model

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_request_makes_one_full_resolution_variant_per_requested_seed_with_provenance(tiny_model, photograph, colorist, rq_worker, rq_queues):
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[7, 11, 42])
    job = rq_queues["gpu"].fetch_job(request.job_id)
    assert job is not None and job.get_status() == JobStatus.QUEUED

    rq_worker()

    request.refresh_from_db()
    assert request.status == "succeeded", request.error
    assert request.progress == 1.0 and request.attempts == 1 and request.started_at and request.finished_at
    variants = list(request.variants.order_by("seed"))
    assert [v.seed for v in variants] == [7, 11, 42]
    for variant in variants:
        assert (variant.width, variant.height) == (photograph.width, photograph.height)
        image = pixels(variant.image)
        assert image.shape == (photograph.height, photograph.width, 3)
        in_file = read_provenance(variant.image.path)
        for record in (variant.provenance, in_file):
            assert record["label"] == "AI-colorized"
            assert record["seed"] == variant.seed
            assert record["request_id"] == request.pk
            assert record["model_name"] == "tiny" and record["model_version"] == "0.0.1"
            assert record["weights_sha256"] == tiny_model.weights_sha256
            assert record["parameters"]["working_size"] == 256
        assert read_provenance(variant.thumbnail.path)["seed"] == variant.seed
        assert variant.metrics["colourfulness"] > 0 and variant.metrics["diversity_to_siblings"] > 0
        assert "delta_e2000" not in variant.metrics  # a black-and-white original has no true colours
    # The luma is the original's: only chroma differs between seeds.
    first, second = (pixels(v.image).astype(int) for v in variants[:2])
    assert np.abs(first - second).mean() > 1


def test_the_same_seed_twice_gives_identical_images(tiny_model, photograph, colorist, rq_worker):
    first = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[5, 6])
    rq_worker()
    second = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[5])
    rq_worker()
    a, other = first.variants.order_by("seed")
    b = second.variants.get()
    assert a.image.name != b.image.name
    # Pixel for pixel the same (the files differ only by the request id in their provenance) …
    assert np.array_equal(pixels(a.image), pixels(b.image))
    assert {k: v for k, v in a.provenance.items() if k != "request_id"} == {k: v for k, v in b.provenance.items() if k != "request_id"}
    # … and whatever other seeds share the batch.
    assert not np.array_equal(pixels(a.image), pixels(other.image))


def test_random_seeds_are_chosen_stored_and_used(tiny_model, photograph, colorist, rq_worker):
    request = services.colorization_request_create(photograph=photograph, user=colorist, n_variants=3)
    assert len(request.seeds) == 3 and len(set(request.seeds)) == 3
    rq_worker()
    assert sorted(request.variants.values_list("seed", flat=True)) == sorted(request.seeds)


def test_an_identical_request_is_refused_while_the_first_is_queued(tiny_model, photograph, colorist, rq_queues):
    first = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1, 2])
    with pytest.raises(services.ColorizationRefused) as refused:
        services.colorization_request_create(photograph=photograph, user=colorist, seeds=[2, 1])
    assert refused.value.code == "duplicate" and refused.value.existing == first
    assert f"#{first.pk}" in refused.value.message
    # Other seeds are other work.
    services.colorization_request_create(photograph=photograph, user=colorist, seeds=[3])
    assert ColorizationRequest.objects.count() == 2
    assert rq_queues["gpu"].count == 2


def test_cancel_while_queued_cancels_the_job_and_makes_nothing(tiny_model, photograph, colorist, rq_worker, rq_queues, media_files):
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1])
    services.colorization_request_cancel(colorization_request=request, user=colorist)
    assert rq_queues["gpu"].fetch_job(request.job_id).get_status() == JobStatus.CANCELED
    rq_worker()
    request.refresh_from_db()
    assert request.status == "cancelled" and request.attempts == 0
    assert not request.variants.exists() and media_files() == []
    with pytest.raises(ValidationError):
        services.colorization_request_cancel(colorization_request=request, user=colorist)
    # Cancelled work may be asked for again.
    services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1])


def test_cancel_while_running_stops_at_the_next_stage_and_leaves_no_files(tiny_model, photograph, colorist, rq_worker, media_files, monkeypatch):
    from django.db import connection

    from apps.mlcore import colorizing

    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1, 2, 3])
    real_save = colorizing.save_variant
    saved = []

    def save_then_cancel(image, dest, **kwargs):
        real_save(image, dest, **kwargs)
        saved.append(dest)
        if len(saved) == 2:  # the first variant's PNG and thumbnail are written
            services.colorization_request_cancel(colorization_request=request, user=colorist)
            connection.close()  # variants are encoded in worker threads, each with its own connection

    monkeypatch.setattr(colorizing, "save_variant", save_then_cancel)
    rq_worker()
    request.refresh_from_db()
    assert request.status == "cancelled" and request.cancel_requested
    assert len(saved) >= 2  # asked while files were being written; they are gone
    assert not request.variants.exists() and media_files() == []


def test_a_job_that_raises_leaves_no_variants_and_records_the_error(tiny_model, photograph, colorist, rq_worker, rq_queues, media_files, monkeypatch):
    from apps.colorize.services import runs

    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1, 2, 3])
    assert request.max_attempts == 2  # the gpu queue retries once
    real_store = runs._store

    def store_then_fail(colorization_request, rendering, stored):
        real_store(colorization_request, rendering, stored)
        assert media_files(), "files were in storage before the failure"
        raise RuntimeError("storage went away")

    monkeypatch.setattr(runs, "_store", store_then_fail)
    rq_worker()
    request.refresh_from_db()
    assert request.status == "failed"
    assert request.error == "RuntimeError: storage went away"
    assert request.attempts == 2  # retried once by RQ, then given up
    assert not Variant.objects.exists() and media_files() == []
    assert rq_queues["gpu"].fetch_job(request.job_id).get_status() == JobStatus.FAILED


def test_a_permanent_error_fails_at_once_with_a_clear_message(tiny_model, photograph, colorist, rq_worker):
    photograph.master.storage.delete(photograph.master.name)
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1])
    rq_worker()
    request.refresh_from_db()
    assert request.status == "failed" and request.attempts == 1
    assert request.error == "The master file is missing from storage."


def test_running_a_finished_request_again_changes_nothing(tiny_model, photograph, colorist, rq_worker):
    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1])
    rq_worker()
    request.refresh_from_db()
    before = (request.status, request.attempts, request.finished_at, list(request.variants.values_list("pk", "image")))
    services.colorization_run(request_id=request.pk)
    request.refresh_from_db()
    assert (request.status, request.attempts, request.finished_at, list(request.variants.values_list("pk", "image"))) == before


def test_the_worker_loads_a_model_once_for_many_jobs(tmp_path, photograph, colorist, rq_worker, monkeypatch):
    from apps.mlcore.gan.inference import Colorizer

    model = register_tiny_model(tmp_path / "once.pt", version="0.0.9")
    loads = []
    real = Colorizer.from_checkpoint.__func__

    def counting(cls, path, *args, **kwargs):
        loads.append(path)
        return real(cls, path, *args, **kwargs)

    monkeypatch.setattr(Colorizer, "from_checkpoint", classmethod(counting))
    requests = [services.colorization_request_create(photograph=photograph, user=colorist, seeds=[seed]) for seed in range(5)]
    rq_worker()
    assert len(loads) == 1
    assert (model.pk, model.weights_sha256) in registry.loaded_versions()
    timings = [ColorizationRequest.objects.get(pk=r.pk).timings for r in requests]
    assert [t["model_was_loaded"] for t in timings] == [True, False, False, False, False]
    assert all(ColorizationRequest.objects.get(pk=r.pk).status == "succeeded" for r in requests)


def test_a_colour_photograph_is_colorized_from_its_luma_and_measured_against_its_colours(tiny_model, colour_photograph, colorist, rq_worker):
    request = services.colorization_request_create(photograph=colour_photograph, user=colorist, seeds=[1, 2])
    rq_worker()
    request.refresh_from_db()
    assert request.status == "succeeded", request.error
    for variant in request.variants.all():
        metrics = variant.metrics
        assert metrics["delta_e2000"] > 0
        assert metrics["colourfulness_original"] > 20
        assert metrics["colourfulness_gap"] == pytest.approx(metrics["colourfulness"] - metrics["colourfulness_original"], abs=0.01)


def test_a_whole_collection_is_requested_in_one_go(tiny_model, collection, ingest, colorist, rq_worker):
    photographs = [ingest(collection, f"HB-{n}") for n in range(3)]
    first = services.colorization_request_create(photograph=photographs[0], user=colorist, seeds=[9])
    result = services.colorization_request_create_many(photographs=photographs, user=colorist, seeds=[9])
    assert [r.photograph for r in result.created] == photographs[1:]
    assert [p for p, _ in result.refused] == [photographs[0]]
    rq_worker()
    assert set(Variant.objects.values_list("photograph_id", flat=True)) == {p.pk for p in photographs}
    assert first.variants.count() == 1


def test_bad_arguments_are_refused_with_a_message(tiny_model, photograph, colorist):
    cases = [
        {"n_variants": 0},
        {"n_variants": 99},
        {"seeds": [1, 1]},
        {"seeds": [-1]},
        {"seeds": [1], "n_variants": 1},
        {"seeds": [1], "working_size": 17},
    ]
    for kwargs in cases:
        with pytest.raises(ValidationError):
            services.colorization_request_create(photograph=photograph, user=colorist, **kwargs)
    assert not ColorizationRequest.objects.exists()


def test_deleting_a_photograph_removes_its_variant_files(tiny_model, photograph, colorist, archivist, rq_worker, media_files):
    from apps.collections import services as archive

    request = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1, 2])
    rq_worker()
    pyramids = [variant_pyramid_name(pk) for pk in request.variants.values_list("pk", flat=True)]
    assert len(media_files()) == 6 and set(pyramids) <= set(media_files())  # PNG, thumbnail and pyramid of each
    archive.photograph_delete(photograph=photograph, user=archivist)
    assert media_files() == [] and not Variant.objects.exists()
