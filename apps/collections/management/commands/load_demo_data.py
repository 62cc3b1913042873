"""Load the published demo collection (scikit-image sample photographs) through ingest."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.collections.services.demo import demo_data_load


class Command(BaseCommand):
    help = "Create the demo collection of real sample photographs (with their licences) through the ingest service."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the archive already holds photographs.")
        parser.add_argument("--user", help="Username recorded as creator.")

    def handle(self, *args, if_empty: bool, user: str | None, **options):
        creator = None
        if user:
            creator = get_user_model().objects.filter(username=user).first()
            if creator is None:
                raise CommandError(f"No user {user!r}.")
        result = demo_data_load(user=creator, if_empty=if_empty)
        if result.reason:
            self.stdout.write(f"Demo data not loaded: {result.reason}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo data: {result.created} photographs added, {result.skipped} already present or unavailable."))
