"""``manage.py colorize``: files in, colorized variants out, no database (same options as ``gan.cli colorize``)."""
import argparse

from django.core.management.base import BaseCommand, CommandError

from apps.mlcore.gan import cli


class Command(BaseCommand):
    help = "Colorize image files into a folder, one variant per seed, provenance embedded."

    def add_arguments(self, parser):
        cli.add_colorize_arguments(parser)

    def handle(self, *args, **options):
        try:
            cli.run_colorize(argparse.Namespace(**options), stdout=self.stdout)
        except cli.CommandError as error:
            raise CommandError(str(error)) from error
