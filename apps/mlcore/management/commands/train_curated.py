"""`manage.py train_curated --curated-set NAME` (also reached as `train_gan --curated-set NAME`):
fine-tune a model version on a curated set as a TrainingRun."""
from __future__ import annotations

import json
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.mlcore import services
from apps.mlcore.models import CuratedSet, ModelVersion, TrainingRun

# Command-line options that set hyperparameters (flag -> key); the rest come from --hyperparameters.
FLAGS = {
    "epochs": "epochs", "steps": "steps", "batch_size": "batch_size", "lr_g": "lr_g", "lr_d": "lr_d",
    "lambda_l1": "lambda_l1", "lambda_l2": "lambda_l2", "crop": "crop_size", "seed": "seed",
}


def add_curated_arguments(parser) -> None:
    parser.add_argument("--curated-set", required=True, metavar="NAME", help="the curated set to fine-tune on (frozen first if it is a draft)")
    parser.add_argument("--base-version", type=int, metavar="ID", help="id of the model version to fine-tune (default: the active one)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr-g", type=float)
    parser.add_argument("--lr-d", type=float)
    parser.add_argument("--lambda-l1", type=float)
    parser.add_argument("--lambda-l2", type=float)
    parser.add_argument("--crop", type=int, help="training crop size")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--hyperparameters", metavar="JSON", help=f"other hyperparameters as a JSON object (defaults: {json.dumps(services.FINE_TUNING_DEFAULTS)})")
    parser.add_argument("--user", metavar="USERNAME", help="recorded as the run's requester")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--run-now", action="store_true", help="run it in this process now (no worker), with a progress bar")
    mode.add_argument("--wait", action="store_true", help="queue it and follow its progress until it ends")


def run_curated(options: dict, *, stdout) -> TrainingRun:
    """Create the run as the options say; with --run-now execute it here, with --wait follow it."""
    curated_set = CuratedSet.objects.filter(name=options["curated_set"]).first()
    if curated_set is None:
        raise CommandError(f'There is no curated set named "{options["curated_set"]}".')
    base_version = None
    if options.get("base_version") is not None:
        base_version = ModelVersion.objects.filter(pk=options["base_version"]).first()
        if base_version is None:
            raise CommandError(f"There is no model version {options['base_version']}.")
    try:
        hyperparameters = json.loads(options["hyperparameters"]) if options.get("hyperparameters") else {}
    except json.JSONDecodeError as error:
        raise CommandError(f"--hyperparameters is not valid JSON: {error}") from error
    hyperparameters.update({key: options[flag] for flag, key in FLAGS.items() if options.get(flag) is not None})
    user = None
    if options.get("user"):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"There is no user {options['user']}.")
    try:
        run = services.training_run_create(
            curated_set=curated_set, user=user, base_version=base_version, hyperparameters=hyperparameters, enqueue=not options.get("run_now"),
        )
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from error
    stdout.write(f"Training run #{run.pk}: fine-tune {run.base_version} on “{curated_set}” ({'running here' if options.get('run_now') else 'queued on the training queue'}).\n")
    if options.get("run_now"):
        run = services.training_run_execute(run_id=run.pk, progress_bar=True)
    elif options.get("wait"):
        run = _follow(run)
    if run.is_finished:
        stdout.write(f"Run #{run.pk} {run.status}.{' ' + run.error if run.error else ''}\n")
        if run.result_version:
            stdout.write(f"Candidate {run.result_version} (id {run.result_version.pk}); hold-out ΔE2000 "
                         f"{run.evaluation['candidate'].get('delta_e2000')} vs base {run.evaluation['base'].get('delta_e2000')}.\n")
    return run


def _follow(run: TrainingRun) -> TrainingRun:
    """A progress bar over the run's steps, read from its row, until it ends."""
    bar = tqdm(total=None, unit="step", dynamic_ncols=True)
    try:
        while True:
            run.refresh_from_db()
            progress = run.progress or {}
            if progress.get("total_steps"):
                bar.total = progress["total_steps"]
                bar.n = progress.get("step", 0)
            bar.set_description(f"{run.status}: {progress.get('stage', '')}")
            bar.refresh()
            if run.is_finished:
                return run
            time.sleep(2)
    finally:
        bar.close()


class Command(BaseCommand):
    help = "Fine-tune a model version on a curated set: creates a training run (queued, or run here with --run-now)."

    def add_arguments(self, parser):
        add_curated_arguments(parser)

    def handle(self, *args, **options):
        run = run_curated(options, stdout=self.stdout)
        if run.status == TrainingRun.Status.FAILED:
            raise CommandError(f"Training run #{run.pk} failed: {run.error}")
