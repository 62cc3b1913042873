"""Training runs: create (and enqueue on the `training` queue), cancel, re-run. What the job
does is in `training_execute`; the lifecycle they share with every job row (attempts,
heartbeats, reconcile of lost jobs) is `archive_site.rqjobs`.

A run fine-tunes its base version on its frozen curated set with the one trainer
(`gan.train.Trainer`, as `train_gan` uses it on folders), then scores the new weights and
the base's on the set's hold-out items with the `evaluate_gan` metrics, and registers the
new weights as a candidate ModelVersion. The row is the record of all of it; the training
checkpoint on disk (`checkpoint_path`) lets a run whose worker died resume where it was.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from archive_site.rqjobs import job_enqueue_on_commit, job_row_cancel

from ..gan.finetune import FINE_TUNING_DEFAULTS
from ..gan.networks import DiscriminatorConfig
from ..models import CuratedItem, CuratedSet, ModelVersion, TrainingRun, log_line
from ..selectors import benchmark_current_id, curated_set_usable_keys, model_version_active
from .curated_sets import curated_set_freeze, split_keys

Status = TrainingRun.Status

# key -> (type, minimum, maximum); None: unbounded.
_LIMITS = {
    "epochs": (int, 1, 10_000),
    "steps": (int, 1, 10_000_000),
    "batch_size": (int, 1, 256),
    "lr_g": (float, 0.0, 1.0),
    "lr_d": (float, 0.0, 1.0),
    "lambda_l1": (float, 0.0, None),
    "lambda_l2": (float, 0.0, None),
    "lambda_ms": (float, 0.0, None),
    "adversarial": (bool, None, None),
    "label_flip_prob": (float, 0.0, 0.5),
    "instance_noise": (float, 0.0, None),
    "crop_size": (int, 8, 4096),
    "seed": (int, 0, 2**31 - 1),
    "checkpoint_every": (int, 1, None),
    "amp": (bool, None, None),
    "fp16_weights": (bool, None, None),
    "discriminator": (dict, None, None),
    "eval_seeds": (list, None, None),
    "eval_working_size": (int, 8, 4096),
    "eval_max_side": (int, 8, 100_000),
    "samples": (int, 0, 32),
}


def training_dir() -> Path:
    """Where runs keep their working files (training checkpoints): MLCORE_TRAINING_DIR, or
    `training-runs/` under MEDIA_ROOT. Must be shared by the workers that may resume a run."""
    return Path(settings.MLCORE_TRAINING_DIR or Path(settings.MEDIA_ROOT) / "training-runs")


def job_id_for(run_id: int) -> str:
    """The deterministic RQ job id of a run (namespaced like the queues)."""
    return f"{settings.RQ_QUEUE_PREFIX}training-run-{run_id}"


def _who(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else "the system"


# --- create ------------------------------------------------------------------------------------

def clean_hyperparameters(hyperparameters: dict | None, *, base_version: ModelVersion) -> dict:
    """The fine-tuning defaults overridden by `hyperparameters`, checked (unknown keys, types,
    ranges, sizes the base architecture accepts). Raises one ValidationError that names
    every problem at once, under "hyperparameters"."""
    given = dict(hyperparameters or {})
    problems: list[str] = []
    unknown = sorted(set(given) - set(FINE_TUNING_DEFAULTS))
    if unknown:
        problems.append(f"Unknown hyperparameters: {', '.join(unknown)}. Known: {', '.join(FINE_TUNING_DEFAULTS)}.")
    values = {**FINE_TUNING_DEFAULTS, **{key: value for key, value in given.items() if key in FINE_TUNING_DEFAULTS}}
    wrong: set[str] = set()
    for key, (kind, low, high) in _LIMITS.items():
        value = values[key]
        if value is None and key == "steps":
            continue
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = values[key] = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            problems.append(f"{key} must be {kind.__name__}, not {value!r}.")
            wrong.add(key)
        elif (low is not None and value < low) or (high is not None and value > high):
            bounds = f"from {low}" + (f" to {high}" if high is not None else "")
            problems.append(f"{key} must be {bounds}, not {value!r}.")
            wrong.add(key)
    if any(key not in wrong and values[key] <= 0 for key in ("lr_g", "lr_d")):
        problems.append("Learning rates must be positive.")
    seeds = values["eval_seeds"]
    if "eval_seeds" not in wrong and (not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**31 for s in seeds)):
        problems.append("eval_seeds is a non-empty list of whole numbers from 0.")
    if "discriminator" not in wrong:
        try:
            DiscriminatorConfig.from_dict(values["discriminator"])
        except (TypeError, ValueError) as error:
            problems.append(f"discriminator: {error}")
    multiple = base_version.input_multiple
    for key in ("crop_size", "eval_working_size"):
        if key not in wrong and values[key] % multiple:
            problems.append(f"{key} must be a multiple of {multiple} for {base_version} (its network's stride).")
    if problems:
        raise ValidationError({"hyperparameters": problems})
    return values


def _refuse_unusable(curated_set: CuratedSet) -> None:
    """Refuse a set that cannot make a run: nothing usable to train on, or nothing to judge
    the run on (no colour photograph held out and no benchmark set)."""
    usable = curated_set_usable_keys(curated_set)
    if not usable:
        raise ValidationError(
            f'"{curated_set.name}" has no usable item: add colour photographs or approved variants '
            "(grayscale photographs and unapproved variants cannot teach colour)."
        )
    split = curated_set.split if curated_set.is_frozen else split_keys(
        [item.key for item in curated_set.items.all()], seed=curated_set.seed, holdout_fraction=curated_set.holdout_fraction,
    )
    train = usable.intersection(split.get("train", []))
    holdout = usable.intersection(key for key in split.get("holdout", []) if key.startswith(f"{CuratedItem.Kind.PHOTOGRAPH}:"))
    if not train:
        raise ValidationError(
            f'"{curated_set.name}" has nothing usable to train on ({len(usable)} usable, all held out to evaluate the new weights); add items.'
        )
    if not holdout and benchmark_current_id() is None:
        raise ValidationError(
            f'"{curated_set.name}" holds out no colour photograph and no benchmark set is configured: nothing would judge '
            "the new weights. Add colour photographs of the archive (approved variants train but never judge)."
        )


def training_run_create(
    *,
    curated_set: CuratedSet,
    user,
    base_version: ModelVersion | None = None,
    hyperparameters: dict | None = None,
    enqueue: bool = True,
) -> TrainingRun:
    """Queue a fine-tuning run of `base_version` (default: the active one) on `curated_set`.

    Everything is checked before anything is queued: the base version, the
    hyperparameters (defaults: FINE_TUNING_DEFAULTS), a set with usable items to train on
    and to hold out, no other run of the set queued or running. A draft set is frozen
    (its split fixed) in the same transaction; the job goes on the `training` queue once
    that commits, with the deterministic id `training-run-<id>` — unless `enqueue` is False
    (the caller runs it inline at once: `train_gan --curated-set … --run-now`).
    """
    if base_version is None:
        base_version = model_version_active()
        if base_version is None:
            raise ValidationError({"base_version": "No model version is active; choose the version to fine-tune."})
    if base_version.status == ModelVersion.Status.RETIRED:
        raise ValidationError({"base_version": f"{base_version} is retired; fine-tune an active or candidate version."})
    values = clean_hyperparameters(hyperparameters, base_version=base_version)
    with transaction.atomic():
        locked = CuratedSet.objects.select_for_update().get(pk=curated_set.pk)
        _refuse_unusable(locked)
        running = locked.training_runs.filter(status__in=TrainingRun.ACTIVE_STATUSES).first()
        if running is not None:
            raise ValidationError(f'Training run #{running.pk} of "{locked.name}" is already {running.status}; wait for it or cancel it.')
        if not locked.is_frozen:
            locked = curated_set_freeze(curated_set=locked, user=user)
        queue_conf = settings.RQ_QUEUE_SETTINGS[TrainingRun.queue_name]
        run = TrainingRun.objects.create(
            curated_set=locked,
            base_version=base_version,
            hyperparameters=values,
            max_attempts=settings.MLCORE_TRAINING_MAX_ATTEMPTS,
            requested_by=user if user is not None and user.is_authenticated else None,
            progress={"stage": "queued"},
            log_tail=log_line(f"queued by {_who(user)}; queue timeout {queue_conf['timeout']} s"),
        )
        run.job_id = job_id_for(run.pk)
        run.save(update_fields=["job_id"])
        if enqueue:
            job_enqueue_on_commit(run)
    return run


# --- cancel ------------------------------------------------------------------------------------

def training_run_cancel(*, training_run: TrainingRun, user) -> TrainingRun:
    """Cancel a queued run at once; ask a running one to stop (it does within about a second
    of its current step, and ends `cancelled` without a model version)."""
    return job_row_cancel(training_run, who=_who(user))


def training_run_rerun(*, training_run: TrainingRun, user) -> TrainingRun:
    """Queue a failed or cancelled run again with a fresh attempt budget. It resumes from its
    last checkpoint where one was kept (a failed run keeps it), else starts from its base."""
    with transaction.atomic():
        locked = TrainingRun.objects.select_for_update().get(pk=training_run.pk)
        if locked.status not in (Status.FAILED, Status.CANCELLED):
            raise ValidationError(f"Only failed or cancelled runs can be re-run; training run #{locked.pk} is {locked.status}.")
        resumes = bool(locked.checkpoint_path) and Path(locked.checkpoint_path).is_file()
        locked.status, locked.queued_at, locked.finished_at = Status.QUEUED, timezone.now(), None
        locked.error, locked.cancel_requested = "", False
        locked.max_attempts = locked.attempts + settings.MLCORE_TRAINING_MAX_ATTEMPTS
        locked.progress = {**locked.progress, "stage": "re-queued"}
        start = f"resumes from its checkpoint at step {locked.progress.get('step', 0)}" if resumes else "starts from its base version"
        locked.log(f"re-run by {_who(user)}; it {start}")
        locked.save(update_fields=["status", "queued_at", "finished_at", "error", "cancel_requested", "max_attempts", "progress", "log_tail"])
        job_enqueue_on_commit(locked, replace_job=True)
    return locked
