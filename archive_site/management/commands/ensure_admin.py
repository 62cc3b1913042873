"""Create the admin account on a fresh install; print how to log in."""
import os

from django.core.management.base import BaseCommand, CommandError

from archive_site.services import admin_ensure


def login_hint(account, base_url: str = "http://127.0.0.1:8000") -> str:
    if account.generated_password:
        return (
            f"Admin account created: user {account.username!r}, password {account.generated_password!r}\n"
            f"  (shown only this once; change it with: python manage.py changepassword {account.username})\n"
            f"  Log in at {base_url}/accounts/login/ (portal) or {base_url}/admin/"
        )
    if account.created:
        return f"Admin account created: user {account.username!r} with the password from DJANGO_ADMIN_PASSWORD. Log in at {base_url}/admin/"
    return (
        f"Log in as {account.username!r} at {base_url}/accounts/login/ "
        f"(forgot the password? python manage.py changepassword {account.username})"
    )


class Command(BaseCommand):
    help = "Create a superuser if none exists. Password from DJANGO_ADMIN_PASSWORD, else generated and printed once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("DJANGO_ADMIN_USER", "admin"))
        parser.add_argument("--email", default=os.environ.get("DJANGO_ADMIN_EMAIL", "admin@localhost"))

    def handle(self, *args, username, email, **options):
        try:
            account = admin_ensure(username=username, email=email, password=os.environ.get("DJANGO_ADMIN_PASSWORD") or None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(login_hint(account))
