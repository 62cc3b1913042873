"""What every app's portal views share: the permission check and pagination."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator

PAGE_SIZE = 24


def permission_required(permission: str):
    """Anonymous users go to the login page; signed-in users without `permission` get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise PermissionDenied(f"You need the {permission} permission for this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """The page of `queryset` the request's `page` parameter asks for (the last one when it is past the end)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
