"""The roles of DESIGN.md section 1 as Django groups, filled by each app's data migration.

Each app lists which of its permissions every role gets; its data migration calls
`grant(apps, app_label, ROLE_PERMISSIONS)` so the groups exist and are complete right
after `migrate`, without waiting for the post_migrate signal that normally creates
permissions.
"""
from __future__ import annotations

ROLES = ("archivist", "colorist", "curator")


def _ensure_permissions(apps, app_label: str) -> None:
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def grant(apps, app_label: str, role_permissions: dict[str, list[str]]) -> None:
    """Create the role groups if needed and give each the listed codenames of `app_label`."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    _ensure_permissions(apps, app_label)
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    for role, codenames in role_permissions.items():
        group = Group.objects.get(name=role)
        perms = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"unknown permissions for {app_label}: {sorted(missing)}")
        group.permissions.add(*perms)
