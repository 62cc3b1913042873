"""``manage.py train_gan``: train the colorization GAN, in either of two modes, one help for both:

- from folders of colour photographs (the options of ``gan.cli train``);
- ``--curated-set NAME``: fine-tune a model version on a curated set of the archive as a
  training run (``train_curated``'s options).
"""
import argparse

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from apps.mlcore.gan import cli

from .train_curated import Command as TrainCurated
from .train_curated import add_curated_arguments


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's option order, and the epilog (the curated-set mode's options) as written."""


def curated_mode_help() -> str:
    parser = argparse.ArgumentParser(add_help=False, usage=argparse.SUPPRESS, formatter_class=DjangoHelpFormatter)
    add_curated_arguments(parser)
    options = parser.format_help().split("\n", 1)[1] if parser.format_help().startswith("options:") else parser.format_help()
    return (
        "mode 2, fine-tuning on a curated set of the archive (--curated-set NAME): a training run that fine-tunes a\n"
        "model version on the set's training items and scores it on its held-out colour photographs and the benchmark\n"
        "set; queued on the training queue unless --run-now. Its options (the folder options above do not apply):\n"
        + options
    )


class Command(BaseCommand):
    help = (
        "Train the colorization GAN. Mode 1: from folders of colour photographs (the options below). "
        "Mode 2: --curated-set NAME fine-tunes a model version on a curated set as a training run (options after these)."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, formatter_class=HelpFormatter, **kwargs)
        parser.usage = (
            f"{parser.prog} FOLDER [FOLDER ...] --out DIR [options]           (mode 1: from folders)\n"
            f"       {parser.prog} --curated-set NAME [--run-now | --wait] [options]   (mode 2: a curated set)"
        )
        parser.epilog = curated_mode_help()
        return parser

    def add_arguments(self, parser):
        cli.add_train_arguments(parser)

    def run_from_argv(self, argv):
        # `train_gan --curated-set NAME …` trains on a curated set of the archive as a TrainingRun.
        if any(arg == "--curated-set" or arg.startswith("--curated-set=") for arg in argv[2:]):
            return TrainCurated().run_from_argv(argv)
        return super().run_from_argv(argv)

    def handle(self, *args, **options):
        try:
            cli.run_train(argparse.Namespace(**options), stdout=self.stdout)
        except cli.CommandError as error:
            raise CommandError(str(error)) from error
