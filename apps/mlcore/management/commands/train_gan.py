"""``manage.py train_gan``: train the colorization GAN from image folders (same options as ``gan.cli train``)."""
import argparse

from django.core.management.base import BaseCommand, CommandError

from apps.mlcore.gan import cli


class Command(BaseCommand):
    help = "Train the colorization GAN from folders of colour photographs."

    def add_arguments(self, parser):
        cli.add_train_arguments(parser)

    def handle(self, *args, **options):
        try:
            cli.run_train(argparse.Namespace(**options), stdout=self.stdout)
        except cli.CommandError as error:
            raise CommandError(str(error)) from error
