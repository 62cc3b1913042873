"""Executing a training run: what the `training` job does (`training_run_execute`)."""
from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import time
import uuid
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from rq.timeouts import JobTimeoutException

from archive_site.rqjobs import Attempt, attempt_start, db_retrying, job_row_move
from archive_site.storage import files_delete

from .. import registry, training_data
from ..gan import benchmark as scoring
from ..gan import finetune
from ..gan.benchmark import BenchmarkError
from ..gan.checkpoint import CheckpointError, file_sha256
from ..gan.data import PhotoDataset
from ..gan.evaluate import COLUMNS, PROTOCOL_KEYS
from ..gan.imageio import ImageReadError
from ..gan.inference import Colorizer
from ..gan.networks import DiscriminatorConfig
from ..gan.train import Trainer
from ..models import ModelVersion, TrainingProgress, TrainingRun
from ..selectors import benchmark_current, model_version_active, model_version_benchmark
from .benchmark import model_version_benchmark_store
from .jsonvalues import finite
from .model_versions import model_version_register
from .training_runs import training_dir

logger = logging.getLogger(__name__)

Status = TrainingRun.Status
# should_stop() is called before every step; the database is asked at most this often.
CANCEL_POLL_SECONDS = 1.0
SAMPLE_SIDE = 512

class TrainingCancelled(Exception):
    """The run was asked to stop."""


class _Superseded(Exception):
    """The row moved on without this attempt (reconcile re-queued it, another attempt runs)."""


def _update(attempt: Attempt, *, log: str | None = None, **fields) -> bool:
    """Write fields (and a log line) on the run if this attempt still owns it."""
    def write():
        with transaction.atomic():
            row = attempt.locked()
            if row is None:
                return False
            for name, value in fields.items():
                setattr(row, name, finite(value) if isinstance(value, (dict, list)) else value)
            if log:
                row.log(log)
            row.heartbeat_at = timezone.now()
            row.save(update_fields=[*fields, "log_tail", "heartbeat_at"])
            return True
    return db_retrying(write, what=f"training run {attempt.row_id}")


def _prepare_attempt(row: TrainingRun) -> list[str]:
    if not row.checkpoint_path:
        # A fresh folder per run, so a database restored elsewhere never resumes from a stranger's checkpoint.
        row.checkpoint_path = str(training_dir() / f"run-{row.pk}-{uuid.uuid4().hex[:8]}" / "checkpoints" / "last.pt")
    row.log(f"attempt {row.attempts} of {row.max_attempts} started on {socket.gethostname()} (pid {os.getpid()})")
    return ["checkpoint_path", "log_tail"]


def _candidate_version(base: ModelVersion, run_id: int) -> str:
    """The next minor version of the base, as a pre-release naming the run: 1.2.0 -> 1.3.0-run.7."""
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", base.version)
    if match is None:
        return f"{base.version}-run.{run_id}"
    major, minor, _ = map(int, match.groups())
    return f"{major}.{minor + 1}.0-run.{run_id}"


def _base_weights(base: ModelVersion) -> Path:
    # The registry keeps the one local copy of a version's weights (remote storage included).
    path = registry.local_weights(base)
    if not path.exists() or file_sha256(path) != base.weights_sha256:
        raise registry.ModelUnavailable(f"the weights of {base} are missing or do not match their recorded sha256")
    return path


def _metrics_row(row: dict) -> dict:
    return {key: row.get(key) for key, _ in COLUMNS}


def _store_samples(run: TrainingRun, rendered, labels: dict[str, str]) -> tuple[list[dict], list[str]]:
    """Save the base-vs-candidate pictures in media storage; returns their records and names."""
    samples, stored = [], []
    folder = f"training/runs/{run.pk}/samples"
    for index, (key, pictures) in enumerate(rendered):
        names = {}
        for kind, picture in pictures.items():
            buffer = BytesIO()
            picture.convert("RGB").save(buffer, "JPEG", quality=88)
            name = default_storage.save(f"{folder}/{index:02d}-{kind}.jpg", ContentFile(buffer.getvalue()))
            stored.append(name)
            names[kind] = name
        samples.append({"item": key, "label": labels.get(key, key), "images": names})
    return samples, stored


def _user_message(error: BaseException, run: TrainingRun) -> str:
    if isinstance(error, JobTimeoutException):
        return f"The run took longer than the training queue's limit of {settings.RQ_QUEUE_SETTINGS[run.queue_name]['timeout']} s."
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, (registry.ModelUnavailable, CheckpointError)):
        return f"The base model is unavailable: {error}"
    if isinstance(error, ImageReadError):
        return f"A training image could not be read: {error}"
    if isinstance(error, BenchmarkError):
        return f"The benchmark set cannot be used: {error}"
    return f"{type(error).__name__}: {error}"


def _remove_workdir(run: TrainingRun) -> None:
    if run.checkpoint_path:
        shutil.rmtree(Path(run.checkpoint_path).parent.parent, ignore_errors=True)


def training_run_execute(*, run_id: int, progress_bar: bool = False) -> TrainingRun:
    """Run a training run (the `training` job body); idempotent: a finished run is left as it is.

    Marks it running (a new attempt), reads the frozen split from media storage, and
    fine-tunes the base version with `Trainer`, resuming from `checkpoint_path` when an
    earlier attempt left one. Every epoch writes a TrainingProgress row and the run's
    progress; a cancel is noticed within about a second. Then the new weights and the
    base's are evaluated on the hold-out items (evaluate_gan's metrics, grayscale baseline
    beside them), sample pictures are stored, and the weights are registered as a candidate
    ModelVersion linked to the run — in one transaction with the run's success.
    `progress_bar` shows the trainer's bar on the terminal (a run executed inline).
    """
    started = attempt_start(TrainingRun, run_id, related=("curated_set", "base_version"), prepare=_prepare_attempt)
    if started is None:
        return TrainingRun.objects.get(pk=run_id)
    run, attempt = started
    stored: list[str] = []
    try:
        with attempt.heartbeating():
            return _execute(run, attempt, stored, progress_bar=progress_bar)
    except TrainingCancelled:
        files_delete(stored)
        progress = _progress(run_id)
        row = attempt.end(Status.CANCELLED, text=f"cancelled at step {progress.get('step', 0)} of {progress.get('total_steps', '?')}")
        if row is not None:
            _remove_workdir(row)
    except _Superseded:
        files_delete(stored)
        logger.warning("training run %s: attempt %s was superseded", run_id, attempt.number)
    except BaseException as error:
        files_delete(stored)
        if not isinstance(error, Exception):
            # The worker is going down (SIGTERM, Ctrl-C): the row stays running, reconcile
            # re-queues it and the next attempt resumes from the checkpoint.
            _update(attempt, log=f"attempt {attempt.number} interrupted ({type(error).__name__}); it resumes from its last checkpoint")
            raise
        logger.exception("training run %s: attempt %s failed", run_id, attempt.number)
        message = _user_message(error, run)
        attempt.end(Status.FAILED, error=message, text=f"failed: {message}")
    return TrainingRun.objects.get(pk=run_id)


def _execute(run: TrainingRun, attempt: Attempt, stored: list[str], *, progress_bar: bool) -> TrainingRun:
    run_id = run.pk
    values = run.hyperparameters
    base = run.base_version
    clock = time.perf_counter()
    timings: dict[str, float] = {}  # seconds per phase of this attempt
    split = training_data.split_entries_for(run.curated_set)
    benchmark = benchmark_current(verify=True)
    if not split.train or not (split.holdout or benchmark):
        raise ValidationError(
            f"{len(split.train)} training and {len(split.holdout)} hold-out items can serve now "
            "(see the skipped items); the run needs one to train on, and a colour photograph held out or a benchmark set to judge it."
        )
    cache = settings.MLCORE_TRAINING_CACHE_MB << 20
    share = len(split.train) / (len(split.train) + len(split.holdout))
    train_data = PhotoDataset(split.train, crop_size=values["crop_size"], cache_bytes=int(cache * share))
    val_data = PhotoDataset(split.holdout, crop_size=values["crop_size"], cache_bytes=cache - int(cache * share))
    summary = split.summary(run.curated_set)
    summary.update(
        train_images=len(train_data),
        holdout_images=len(val_data),
        benchmark=benchmark.id if benchmark else None,
        skipped_grayscale=train_data.skipped["grayscale"] + val_data.skipped["grayscale"],
        skipped_unreadable=train_data.skipped["unreadable"] + val_data.skipped["unreadable"],
    )
    if not len(train_data):
        raise ValidationError("None of the training images could be read as a colour image.")

    timings["data"] = time.perf_counter() - clock
    checkpoint = Path(run.checkpoint_path)
    resume = checkpoint if checkpoint.exists() else None
    config = finetune.fine_tuning_config(values, device=settings.MLCORE_DEVICE, model_name=base.name, model_version=_candidate_version(base, run_id))

    last_poll = [0.0]
    stop = [False]

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last_poll[0] >= CANCEL_POLL_SECONDS:
            last_poll[0] = now
            stop[0] = attempt.should_stop()
        return stop[0]

    def on_progress(info: dict) -> None:
        fields = {key: info[key] for key in ("epoch", "epochs", "step", "total_steps", "losses", "val", "elapsed_seconds", "eta_seconds")}
        progress = {"stage": "training", "attempt": attempt.number, "resumed_from_step": resumed_from, **fields}
        losses = " ".join(f"{k}={v:.4f}" for k, v in info["losses"].items())
        val = " ".join(f"{k}={v:.3f}" for k, v in info["val"].items())
        line = f"epoch {info['epoch']}/{info['epochs']} step {info['step']}/{info['total_steps']} {losses} | val {val or '—'}"
        if _update(attempt, progress=progress, log=line):
            db_retrying(lambda: TrainingProgress.objects.update_or_create(training_run_id=run_id, epoch=info["epoch"], defaults={**finite(fields), "attempt": attempt.number}),
                        what=f"training run {run_id}")

    trainer = Trainer(
        config,
        train_data=train_data,
        val_data=val_data,
        out_dir=checkpoint.parent.parent,
        discriminator_config=DiscriminatorConfig.from_dict(values["discriminator"]),
        base_checkpoint=_base_weights(base),
        resume_from=resume,
        data_summary=summary,
        on_progress=on_progress,
        should_stop=should_stop,
        progress_bar=progress_bar,
    )
    resumed_from = trainer.step
    timings["setup"] = time.perf_counter() - clock - timings["data"]
    start_line = f"resuming from step {resumed_from} (checkpoint {checkpoint})" if resume else f"fine-tuning {base} from its weights"
    _update(
        attempt, data_summary=summary,
        progress={**run.progress, "stage": "training", "attempt": attempt.number, "step": trainer.step, "total_steps": trainer.total_steps,
                  "epoch": trainer.epoch, "resumed_from_step": resumed_from},
        log=f"{start_line}: {len(train_data)} training and {len(val_data)} hold-out images, {trainer.total_steps} steps on {trainer.device}",
    )
    started = time.perf_counter()
    result = trainer.fit()
    timings["training"] = time.perf_counter() - started
    if result.stopped:
        if attempt.cancel_requested():
            raise TrainingCancelled()
        raise _Superseded()

    started = time.perf_counter()
    device = settings.MLCORE_DEVICE
    base_colorizer = registry.colorizer_for(base)
    candidate = Colorizer.from_checkpoint(result.generator_path, device=device)
    evaluation: dict = {"basis": [side for side, present in (("holdout", split.holdout), ("benchmark", benchmark)) if present]}
    metrics: dict = {
        "training": {"steps": result.step, "epochs": result.epoch, **result.metrics.get("final", {})},
        "training_run": run_id,
    }
    if split.holdout:
        if not _update(attempt, progress={**_progress(run_id), "stage": "evaluating"}, log=f"trained {result.step} steps; evaluating on {len(split.holdout)} hold-out items"):
            raise _Superseded()
        report = finetune.evaluate_entries(
            [base_colorizer, candidate], split.holdout, workdir=checkpoint.parent.parent / "evaluation",
            seeds=values["eval_seeds"], working_size=values["eval_working_size"], max_side=values["eval_max_side"], device=device,
        )
        grayscale_row, base_row, candidate_row = report["rows"]
        evaluation.update({
            **{key: report[key] for key in PROTOCOL_KEYS},
            "candidate": _metrics_row(candidate_row),
            "base": _metrics_row(base_row),
            "grayscale": _metrics_row(grayscale_row),
        })
        metrics.update({
            "holdout": evaluation["candidate"],
            "base_holdout": evaluation["base"],
            "grayscale_holdout": evaluation["grayscale"],
            "holdout_images": report["images"],
            "evaluation": {"seeds": report["seeds"], "working_size": report["working_size"], "curated_set": run.curated_set.name},
        })
    else:
        evaluation["note"] = (f'"{run.curated_set.name}" holds out no colour photograph (approved variants train but never judge): '
                              f"this run's evaluation rests on the benchmark set {benchmark.id} alone.")
        if not _update(attempt, progress={**_progress(run_id), "stage": "evaluating"}, log=f"trained {result.step} steps; {evaluation['note']}"):
            raise _Superseded()
    timings["evaluation"] = time.perf_counter() - started

    benchmark_records: dict[int, dict] = {}  # other versions scored now, by id
    others: dict[int, ModelVersion] = {}
    if benchmark is not None:
        started = time.perf_counter()
        # The base, and the active version a curator will compare with, are scored too when
        # they have no score on this benchmark yet.
        others = {v.pk: v for v in (base, model_version_active()) if v is not None and model_version_benchmark(v, benchmark.id) is None}
        if not _update(attempt, progress={**_progress(run_id), "stage": "benchmarking"},
                       log=f"scoring the candidate{''.join(f' and {v}' for v in others.values())} on benchmark {benchmark.id} ({len(benchmark.images)} images)"):
            raise _Superseded()
        records = scoring.score([candidate, *(registry.colorizer_for(v) for v in others.values())], benchmark, device=device)
        candidate_record = {**records[0], "device": str(candidate.device)}
        benchmark_records = dict(zip(others, records[1:], strict=True))
        base_record = benchmark_records.get(base.pk) or base.benchmark
        evaluation["benchmark"] = {
            "id": benchmark.id,
            "images": candidate_record["images"],
            "seeds": candidate_record["seeds"],
            "candidate": candidate_record["scores"],
            "candidate_spread": candidate_record["spread"],
            "base": base_record["scores"],
            "base_spread": base_record["spread"],
            "grayscale": candidate_record["grayscale"],
            "comparison": scoring.compare(candidate_record, base_record),
        }
        metrics["benchmark"] = {"id": benchmark.id, "scores": candidate_record["scores"]}
        timings["benchmark"] = time.perf_counter() - started

    sample_entries = split.holdout or (benchmark.entries() if benchmark else [])
    rendered = finetune.render_comparisons(
        {"base": base_colorizer, "candidate": candidate}, sample_entries[: values["samples"]],
        seed=values["eval_seeds"][0], working_size=values["eval_working_size"], max_side=SAMPLE_SIDE,
    )
    samples, names = _store_samples(run, rendered, {**{entry.key: f"benchmark image {entry.key}" for entry in sample_entries}, **split.labels})
    stored += names
    evaluation["samples"] = samples
    evaluation["samples_from"] = "holdout" if split.holdout else "benchmark"
    trained_images = (result.step - resumed_from) * values["batch_size"]
    timings["training_images_per_second"] = trained_images / timings["training"] if timings["training"] > 0 else None
    with transaction.atomic():
        row = attempt.locked()
        if row is None:
            raise _Superseded()
        if row.cancel_requested:
            raise TrainingCancelled()
        version = model_version_register(
            weights_path=result.generator_path,
            name=config.model_name,
            version=config.model_version,
            benchmark=candidate_record if benchmark is not None else None,
            metrics=finite(metrics),
            training_data=finite({
                **summary, "training_run": run_id, "hyperparameters": values,
                "base_version": {"id": base.pk, "name": base.name, "version": base.version, "sha256": base.weights_sha256},
            }),
            base_version=base,
            created_by=row.requested_by,
            notes=f'Fine-tuned from {base} by training run #{run_id} on curated set "{run.curated_set.name}".'
                  + (f" {evaluation['note']}" if evaluation.get("note") else ""),
        )
        stored.append(version.weights.name)
        for version_id, record in benchmark_records.items():
            model_version_benchmark_store(model_version=others[version_id], record=record, user=row.requested_by)
        timings["total"] = time.perf_counter() - clock
        job_row_move(
            row, Status.SUCCEEDED, result_version=version, evaluation=finite(evaluation),
            progress={**row.progress, "eta_seconds": 0, "timings": finite({k: round(v, 3) if v else v for k, v in timings.items()})},
            text=f"registered candidate {version}: {_result_line(evaluation)}",
        )
        transaction.on_commit(lambda: _remove_workdir(row))
    return row


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def _result_line(evaluation: dict) -> str:
    """The log's last line: ΔE2000 of candidate and base, on the hold-out and the benchmark."""
    parts = []
    for label, scores in (("hold-out", evaluation), ("benchmark", evaluation.get("benchmark"))):
        if scores and "candidate" in scores:
            parts.append(f"{label} ΔE2000 {_fmt(scores['candidate'].get('delta_e2000'))} (base {_fmt(scores['base'].get('delta_e2000'))})")
    return "; ".join(parts)


def _progress(run_id: int) -> dict:
    return TrainingRun.objects.values_list("progress", flat=True).get(pk=run_id)
