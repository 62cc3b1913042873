"""Where IIIF image identifiers come from: a registry of identifier prefixes.

`photograph-<id>` is registered here. Another app adds its own kind of image with one call,
for example the colorize app's variants:

    register_image_source("variant-", variant_image_source)

A resolver takes the rest of the identifier and the requesting user and returns an
`ImageSource`, or None when there is no such image or the user may not see it (both answer
404, so an unpublished image is indistinguishable from a missing one).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from apps.collections import iiif, selectors
from apps.collections.access import photograph_access, public_access_is_full
from apps.collections.services.derivatives import photograph_pyramid_name


@dataclass(frozen=True)
class ImageSource:
    open: Callable[[], BinaryIO]  # opens the master for reading; the caller closes it
    width: int
    height: int
    version: str  # changes whenever the pixels do (the file's sha256): part of cache keys and ETags
    modified: datetime | None
    is_public: bool  # the response is the same for everyone: CORS for everyone and shared caches
    rights: str | None = None  # a RightsStatements.org or Creative Commons URI
    # Stricter limits than the service's for this image and user (e.g. from its access level).
    limits: iiif.Limits | None = None
    # Opens the pyramidal tiled derivative (iiif_pyramid), or None while there is none.
    open_pyramid: Callable[[], BinaryIO | None] | None = None
    # The longest side the requesting user may get of the full image (None: no limit, 0: no
    # image at all) and why (apps.collections.access); tiles count at their full-image scale.
    max_side: int | None = None
    restriction: str = ""


Resolver = Callable[[str, object], ImageSource | None]

# prefix → resolver; longer prefixes win. Tests and apps add entries with register_image_source.
IMAGE_SOURCES: dict[str, Resolver] = {}


def register_image_source(prefix: str, resolver: Resolver) -> None:
    IMAGE_SOURCES[prefix] = resolver


def resolve_image_source(identifier: str, user) -> ImageSource | None:
    for prefix in sorted(IMAGE_SOURCES, key=len, reverse=True):
        if identifier.startswith(prefix):
            return IMAGE_SOURCES[prefix](identifier[len(prefix):], user)
    return None


def service_limits() -> iiif.Limits:
    """What one image response may hold (settings IIIF_MAX_WIDTH, IIIF_MAX_HEIGHT, IIIF_MAX_AREA)."""
    return iiif.Limits(settings.IIIF_MAX_WIDTH, settings.IIIF_MAX_HEIGHT, settings.IIIF_MAX_AREA)


def image_limits(source: ImageSource) -> iiif.Limits:
    """What one response of this image may hold: the service's limits narrowed by the source's own."""
    return service_limits().narrowed(source.limits)


def photograph_image_identifier(photograph) -> str:
    return f"photograph-{photograph.pk}"


def photograph_is_public(photograph) -> bool:
    """Whether anonymous users may see it (then its IIIF responses are for everyone)."""
    return selectors.photograph_visible_to(AnonymousUser()).filter(pk=photograph.pk).exists()


def photograph_responses_shared(photograph, user) -> bool:
    """Whether what `user` gets of the photograph is what everyone gets, so a shared cache may
    keep it: anonymous users see what the public sees; others only when it is public in full."""
    if not user.is_authenticated:
        return True
    return photograph_is_public(photograph) and public_access_is_full(photograph)


def photograph_image_size(photograph) -> tuple[int, int]:
    """The master's size as the image service shows it: upright, after its EXIF orientation."""
    orientation = (photograph.extra_metadata or {}).get("exif", {}).get("Orientation")
    return iiif.oriented_size(photograph.width, photograph.height, orientation)


def photograph_image_source(key: str, user) -> ImageSource | None:
    if not key.isdigit() or key.startswith("0"):
        return None
    photograph = selectors.photograph_visible_to(user).filter(pk=int(key)).first()
    if photograph is None:
        return None
    access = photograph_access(photograph, user)
    master = photograph.master
    width, height = photograph_image_size(photograph)

    def open_pyramid() -> BinaryIO | None:
        if photograph.derivatives_status != photograph.DerivativesStatus.READY:
            return None
        try:
            return master.storage.open(photograph_pyramid_name(photograph), "rb")
        except FileNotFoundError:
            return None

    return ImageSource(
        open=lambda: master.storage.open(master.name, "rb"),
        width=width,
        height=height,
        version=photograph.sha256,
        modified=photograph.created_at,  # the master is never modified after ingest
        is_public=photograph_responses_shared(photograph, user),
        rights=photograph.rights_uri or None,
        open_pyramid=open_pyramid,
        max_side=access.max_side,
        restriction=access.reason,
    )


register_image_source("photograph-", photograph_image_source)
