"""What every app's portal views share: the permission check and pagination."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator

PAGE_SIZE = 24


def permission_missing_message(permission: str) -> str:
    """What a person lacking `permission` ("app_label.codename") is told: the permission in
    words, and the roles (groups) that give it."""
    app_label, _, codename = permission.partition(".")
    found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    what = f"“{found.name}” ({permission})" if found else permission
    roles = sorted(Group.objects.filter(permissions=found).values_list("name", flat=True)) if found else []
    given_by = f" The {' or '.join(roles)} role{'s give' if len(roles) > 1 else ' gives'} it." if roles else ""
    return f"This page needs the permission {what}.{given_by}"


def require_permission(user, permission: str) -> None:
    """Raise PermissionDenied saying what is missing (and which roles give it) unless `user` has `permission`."""
    if not user.has_perm(permission):
        raise PermissionDenied(permission_missing_message(permission))


def permission_required(permission: str):
    """Anonymous users go to the login page; signed-in users without `permission` get 403,
    whose page says which permission is missing and which roles give it."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            require_permission(request.user, permission)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """The page of `queryset` the request's `page` parameter asks for (the last one when it is past the end)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
