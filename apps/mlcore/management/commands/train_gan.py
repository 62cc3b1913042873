"""``manage.py train_gan``: train the colorization GAN from image folders (same options as ``gan.cli train``)."""
import argparse

from django.core.management.base import BaseCommand, CommandError

from apps.mlcore.gan import cli


class Command(BaseCommand):
    help = "Train the colorization GAN from folders of colour photographs."

    def add_arguments(self, parser):
        cli.add_train_arguments(parser)

    def run_from_argv(self, argv):
        # `train_gan --curated-set NAME …` trains on a curated set of the archive as a TrainingRun.
        if any(arg == "--curated-set" or arg.startswith("--curated-set=") for arg in argv[2:]):
            from .train_curated import Command as TrainCurated

            return TrainCurated().run_from_argv(argv)
        return super().run_from_argv(argv)

    def handle(self, *args, **options):
        try:
            cli.run_train(argparse.Namespace(**options), stdout=self.stdout)
        except cli.CommandError as error:
            raise CommandError(str(error)) from error
