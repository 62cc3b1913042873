"""Bring a database up to date for this release: migrate, ensure the admin account, and run
the setup commands other apps provide (the default model; demo data only when asked).
Production runs it once per deploy (docker-compose's `migrate` service)."""
from django.core.management import call_command
from django.core.management.base import BaseCommand

from archive_site.launcher import optional_setup_commands


class Command(BaseCommand):
    help = "migrate, ensure_admin, ensure_default_model (if installed); --demo-data adds load_demo_data --if-empty."

    def add_arguments(self, parser):
        parser.add_argument("--demo-data", action="store_true")

    def handle(self, *args, demo_data, **options):
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        call_command("ensure_admin", stdout=self.stdout)
        for name, command_args in optional_setup_commands(demo_data=demo_data):
            self.stdout.write(f"→ {name} {' '.join(command_args)}".rstrip())
            call_command(name, *command_args)
