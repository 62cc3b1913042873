"""Slowed-down jobs, so a test can watch a job in progress or kill its worker mid-run.

Test-only: production services have no delay switch. In a worker subprocess they are
worker warm-ups (`TEST_WORKER_WARMUP`, which settings/test.py adds to RQ_WORKER_WARMUP)
that read their delay from the environment; in the test process, `slow_trainer` is
monkeypatched in directly.
"""
from __future__ import annotations

import os
import time


def slow_trainer(seconds: float):
    """The trainer of training runs, pausing `seconds` before each step."""
    from apps.mlcore.gan.train import Trainer

    class SlowTrainer(Trainer):
        def __init__(self, *args, should_stop, **kwargs):
            def pause_then_ask() -> bool:
                time.sleep(seconds)
                return should_stop()

            super().__init__(*args, should_stop=pause_then_ask, **kwargs)

    return SlowTrainer


def slow_training_steps() -> None:
    """Warm-up: every training step of this worker pauses TEST_STEP_DELAY seconds first."""
    from apps.mlcore.services import training_execute

    training_execute.Trainer = slow_trainer(float(os.environ["TEST_STEP_DELAY"]))


def slow_colorizations() -> None:
    """Warm-up: every colorization of this worker pauses TEST_JOB_DELAY seconds once it is
    running, before it reads the master."""
    from apps.mlcore import colorizing

    colorize_master = colorizing.colorize_master
    delay = float(os.environ["TEST_JOB_DELAY"])

    def pause_then_colorize(**kwargs):
        time.sleep(delay)
        return colorize_master(**kwargs)

    colorizing.colorize_master = pause_then_colorize
