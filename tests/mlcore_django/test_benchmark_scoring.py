"""Honest evaluation (issue 13): every model version is scored on one fixed benchmark set and
the score is kept with the benchmark's id; a curated set's hold-out is born-colour
photographs only, and a set without any is judged on the benchmark alone."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from apps.mlcore import services
from apps.mlcore.models import ModelVersion, ModelVersionEvent
from apps.mlcore.services import (
    curated_set_add_items,
    curated_set_create,
    curated_set_freeze,
    split_keys,
    training_run_create,
)
from tests.support.mlcore import register_tiny_model

pytestmark = pytest.mark.django_db(transaction=True)


def kinds(version: ModelVersion) -> list[str]:
    return list(version.events.order_by("created_at", "pk").values_list("kind", flat=True))


def test_a_version_is_scored_on_the_benchmark_and_keeps_the_score_with_its_id(base_model, tiny_benchmark, curator):
    scored = services.model_version_benchmark(model_version=base_model, user=curator)

    record = ModelVersion.objects.get(pk=base_model.pk).benchmark
    assert record["id"] == tiny_benchmark.id and record["images"] == 3 and record["seeds"] == [0, 1, 2]
    assert record == scored.benchmark and record["weights_sha256"] == base_model.weights_sha256
    assert set(record["scores"]) >= {"psnr", "ssim", "delta_e2000", "colourfulness_gap", "seed_diversity"}
    assert len(record["per_seed"]["psnr"]) == 3 and record["spread"]["psnr"] >= 0
    assert record["grayscale"]["colourfulness"] == 0
    event = base_model.events.get(kind=ModelVersionEvent.Kind.BENCHMARKED)
    assert event.user == curator and event.details["benchmark"] == tiny_benchmark.id


def test_a_registered_version_gets_its_scoring_queued_and_a_worker_scores_it(tiny_benchmark, tmp_path, rq_queues, rq_worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = register_tiny_model(tmp_path / "new.pt", version="2.0.0")
    assert kinds(version) == ["registered", "benchmark_requested", "activated"]
    assert rq_queues["training"].count == 1
    with django_capture_on_commit_callbacks(execute=True):  # asking again while it waits queues nothing more
        assert services.model_version_benchmark_request(model_version=version) is False

    rq_worker()

    version.refresh_from_db()
    assert version.benchmark["id"] == tiny_benchmark.id
    assert kinds(version)[-1] == "benchmarked"


def test_the_shipped_version_is_queued_for_scoring_at_first_start_once(tiny_benchmark, settings, tmp_path, rq_queues, django_capture_on_commit_callbacks):
    from apps.mlcore.gan.checkpoint import save_generator
    from apps.mlcore.gan.networks import UNetGenerator
    from tests.support.gan import TINY

    settings.SHIPPED_MODEL_PATH = tmp_path / "default.pt"
    save_generator(settings.SHIPPED_MODEL_PATH, UNetGenerator(TINY), name="shipped", version="1.2.0")
    with django_capture_on_commit_callbacks(execute=True):
        shipped = services.model_version_ensure_default()
    assert kinds(shipped) == ["registered", "benchmark_requested", "activated"]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.model_version_ensure_default() == shipped  # the next start: its job still waits
    assert kinds(shipped) == ["registered", "benchmark_requested", "activated"]
    assert rq_queues["training"].count == 1


def test_without_a_benchmark_nothing_is_queued_and_asking_says_why(base_model, rq_queues, settings):
    settings.MLCORE_BENCHMARK_DIR = ""
    assert kinds(base_model) == ["registered", "activated"]
    with pytest.raises(ValidationError, match="No benchmark set is configured"):
        services.model_version_benchmark_request(model_version=base_model)
    with pytest.raises(CommandError, match="No benchmark set is configured"):
        call_command("evaluate_benchmark")


def test_evaluate_benchmark_scores_the_versions_not_scored_yet(base_model, tiny_benchmark, tmp_path, capsys):
    other = register_tiny_model(tmp_path / "other.pt", version="1.1.0", active=False)
    retired = register_tiny_model(tmp_path / "old.pt", version="0.9.0", active=False)
    services.model_version_retire(model_version=retired)
    services.model_version_benchmark(model_version=base_model)
    before = ModelVersion.objects.get(pk=base_model.pk).benchmark["evaluated_at"]

    call_command("evaluate_benchmark")

    assert ModelVersion.objects.get(pk=other.pk).benchmark["id"] == tiny_benchmark.id
    assert ModelVersion.objects.get(pk=base_model.pk).benchmark["evaluated_at"] == before  # scored already: left alone
    assert ModelVersion.objects.get(pk=retired.pk).benchmark == {}
    output = capsys.readouterr().out
    assert "tiny 1.1.0: PSNR dB ↑" in output and "±" in output
    call_command("evaluate_benchmark", versions=[base_model.pk])
    assert ModelVersion.objects.get(pk=base_model.pk).benchmark["evaluated_at"] != before
    with pytest.raises(CommandError, match="no model version 999"):
        call_command("evaluate_benchmark", versions=[999])


def test_a_changed_benchmark_picture_fails_the_scoring_and_the_history_says_so(base_model, tiny_benchmark):
    picture = tiny_benchmark.folder / "picture-0.png"
    picture.write_bytes(picture.read_bytes()[:-10])
    with pytest.raises(ValidationError, match="picture-0.png does not match its sha256"):
        services.model_version_benchmark(model_version=base_model)
    assert ModelVersion.objects.get(pk=base_model.pk).benchmark == {}


# --- the hold-out: born-colour photographs only ---------------------------------------------------

def test_only_colour_photographs_are_held_out_variants_always_train():
    photographs = [f"photograph:{i}" for i in range(10)]
    variants = [f"variant:{i}" for i in range(30)]
    split = split_keys(photographs + variants, seed=0, holdout_fraction=0.2)
    assert len(split["holdout"]) == 2 and all(key.startswith("photograph:") for key in split["holdout"])
    assert set(variants) <= set(split["train"])
    for seed in range(20):  # whatever the seed
        assert not any(key.startswith("variant:") for key in split_keys(photographs[:1] + variants, seed=seed, holdout_fraction=0.5)["holdout"])
    assert split_keys(variants, seed=0, holdout_fraction=0.5) == {"train": sorted(variants), "holdout": []}
    assert split_keys(["photograph:1", "variant:1"], seed=0, holdout_fraction=0.1) == {"train": ["variant:1"], "holdout": ["photograph:1"]}


@pytest.fixture
def variants_only_set(curator, colour_photographs, approve_variant, grey_photograph, collection, ingest):
    from tests.support.images import grey_scan

    second = ingest(collection, "HB-G2", grey_scan(seed=6))
    variants = [approve_variant(grey_photograph), approve_variant(second)]
    curated = curated_set_create(name="Colorists' choices", user=curator, holdout_fraction=0.5)
    result = curated_set_add_items(curated_set=curated, user=curator, variant_ids=[v.pk for v in variants])
    assert len(result.added) == 2
    return curated


def test_a_set_of_approved_variants_is_judged_on_the_benchmark_alone_and_says_so(
    variants_only_set, curator, base_model, tiny_benchmark, tiny_hyperparameters, rq_worker, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        run = training_run_create(curated_set=variants_only_set, user=curator, hyperparameters=tiny_hyperparameters)
    variants_only_set.refresh_from_db()
    assert variants_only_set.split["holdout"] == [] and len(variants_only_set.split["train"]) == 2

    rq_worker()

    run.refresh_from_db()
    assert run.status == "succeeded", run.error + run.log_tail
    note = run.evaluation["note"]
    assert "holds out no colour photograph" in note and f"rests on the benchmark set {tiny_benchmark.id} alone" in note
    assert note in run.log_tail and run.evaluation["basis"] == ["benchmark"]
    assert "candidate" not in run.evaluation and "holdout" not in run.result_version.metrics
    benchmark = run.evaluation["benchmark"]
    assert benchmark["id"] == tiny_benchmark.id and {row["metric"] for row in benchmark["comparison"]} == {"psnr", "delta_e2000", "colourfulness_gap"}
    assert run.result_version.benchmark["id"] == tiny_benchmark.id
    assert run.evaluation["samples_from"] == "benchmark" and len(run.evaluation["samples"]) == 2
    # The base had no score on the benchmark: the run scored it too, for the comparison.
    base_model.refresh_from_db()
    assert base_model.benchmark["id"] == tiny_benchmark.id
    assert benchmark["base"] == base_model.benchmark["scores"]
    assert "rests on the benchmark set" in run.result_version.notes


def test_without_a_benchmark_a_set_that_holds_no_colour_photograph_out_is_refused(variants_only_set, curator, base_model, settings, rq_queues):
    settings.MLCORE_BENCHMARK_DIR = ""
    with pytest.raises(ValidationError, match="holds out no colour photograph and no benchmark set is configured"):
        training_run_create(curated_set=variants_only_set, user=curator)
    variants_only_set.refresh_from_db()
    assert not variants_only_set.is_frozen


def test_a_variant_an_older_split_held_out_never_judges(curator, colour_photographs, grey_photograph, approve_variant, base_model, tiny_hyperparameters):
    from apps.mlcore.training_data import split_entries_for

    variant = approve_variant(grey_photograph)
    curated = curated_set_create(name="Old split", user=curator)
    curated_set_add_items(curated_set=curated, user=curator, photograph_ids=[p.pk for p in colour_photographs], variant_ids=[variant.pk])
    frozen = curated_set_freeze(curated_set=curated, user=curator)
    keys = frozen.split["train"] + frozen.split["holdout"]
    # A split frozen before issue 13 could hold out a variant.
    frozen.split = {"train": [k for k in keys if k != f"variant:{variant.pk}"][1:], "holdout": [keys[0], f"variant:{variant.pk}"]}
    frozen.save(update_fields=["split"])
    resolved = split_entries_for(frozen, check_files=False)
    assert [entry.key for entry in resolved.holdout] == [keys[0]]
    assert [skip["item"] for skip in resolved.skipped] == [f"variant:{variant.pk}"]
    assert "never judges" in resolved.skipped[0]["reason"]
