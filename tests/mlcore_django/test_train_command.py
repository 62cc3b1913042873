"""`manage.py train_gan --curated-set NAME` (and `train_curated`): a training run from the command line."""
from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from apps.mlcore.management.commands.train_gan import Command as TrainGan
from apps.mlcore.models import TrainingRun

pytestmark = pytest.mark.django_db(transaction=True)


def test_train_gan_with_a_curated_set_runs_it_here_with_the_flags_as_hyperparameters(colour_set, curator, tiny_hyperparameters, rq_queues, capsys):
    TrainGan().run_from_argv([
        "manage.py", "train_gan", "--curated-set", "Colour only", "--run-now", "--epochs", "2", "--user", "curt",
        "--hyperparameters", json.dumps({k: v for k, v in tiny_hyperparameters.items() if k != "epochs"}),
    ])
    run = TrainingRun.objects.get()
    assert run.status == "succeeded" and run.requested_by == curator and run.hyperparameters["epochs"] == 2
    assert run.progress_events.count() == 2 and run.result_version is not None
    assert rq_queues["training"].count == 0  # run here, never queued
    output = capsys.readouterr().out
    assert f"Training run #{run.pk}" in output and f"Candidate {run.result_version}" in output


def test_train_curated_queues_by_default_and_explains_mistakes(colour_set, tiny_hyperparameters, rq_queues):
    call_command("train_curated", curated_set="Colour only", hyperparameters=json.dumps(tiny_hyperparameters))
    run = TrainingRun.objects.get()
    assert run.status == "queued" and rq_queues["training"].fetch_job(run.job_id) is not None
    with pytest.raises(CommandError, match='no curated set named "Nope"'):
        call_command("train_curated", curated_set="Nope")
    with pytest.raises(CommandError, match="already queued"):
        call_command("train_curated", curated_set="Colour only")
