"""Project-wide writes (see STYLE.md): the admin account a fresh install needs."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction


@dataclass(frozen=True)
class AdminAccount:
    username: str
    created: bool
    # Only set when this call created the account with a generated password; it is shown
    # once and stored nowhere.
    generated_password: str | None = None


@transaction.atomic
def admin_ensure(*, username: str = "admin", email: str = "", password: str | None = None) -> AdminAccount:
    """Create a superuser `username` unless a superuser exists already.

    With no `password`, a random one is generated and returned so the caller can show it
    once. An existing superuser is left untouched (its password is never reset here).
    """
    User = get_user_model()
    existing = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if existing is not None:
        return AdminAccount(username=existing.get_username(), created=False)
    if User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
        # A non-superuser already holds the name: promoting it silently would be a surprise.
        raise ValueError(f"a user named {username!r} exists but is not a superuser; choose another name with --username")
    generated = None if password else secrets.token_urlsafe(12)
    User.objects.create_superuser(username=username, email=email, password=password or generated)
    return AdminAccount(username=username, created=True, generated_password=generated)


@transaction.atomic
def api_token_rotate(*, user):
    """Give `user` a new API token, revoking the old one (integrators send it as `Token <key>`)."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)
