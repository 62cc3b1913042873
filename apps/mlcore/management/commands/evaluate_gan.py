"""``manage.py evaluate_gan``: score models and baselines on colour images (same options as ``gan.cli evaluate``)."""
import argparse

from django.core.management.base import BaseCommand, CommandError

from apps.mlcore.gan import cli


class Command(BaseCommand):
    help = "Evaluate colorization models against colour ground truth, baselines included."

    def add_arguments(self, parser):
        cli.add_evaluate_arguments(parser)

    def handle(self, *args, **options):
        try:
            cli.run_evaluate(argparse.Namespace(**options), stdout=self.stdout)
        except cli.CommandError as error:
            raise CommandError(str(error)) from error
