"""Small helpers the portal views share: pagination, thumbnails, permission checks."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator

from apps.collections.iiif_presentation import THUMBNAIL_BOX, photograph_image_path

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
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def thumbnail_url(photograph) -> str:
    """The built thumbnail, or the IIIF service while the derivatives job has not run."""
    if photograph.thumbnail:
        return photograph.media_url("thumbnail")
    return photograph_image_path(photograph, THUMBNAIL_BOX)


def with_thumbnails(photographs) -> list:
    photographs = list(photographs)
    for photograph in photographs:
        photograph.thumbnail_url = thumbnail_url(photograph)
    return photographs
