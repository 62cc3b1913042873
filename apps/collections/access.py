"""What the public gets of a photograph's pixels: the access level, from its rights statement
(settings.ACCESS_BY_RIGHTS, defaults below) and any embargo on it or on a collection above
it. Staff roles (collections.view_unpublished) get everything. Every route that serves
pixels asks `photograph_access` (or, for a size, `Access.max_side`) first.

Levels, least to most: metadata only (the record, no image), thumbnail, display copy (up to
ACCESS_DISPLAY_MAX_SIDE pixels on the longest side), master.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum

from django.conf import settings
from django.utils import timezone

from .models import Collection, Photograph, RightsStatement
from .selectors import user_can_view_unpublished

THUMBNAIL_SIDE = 400  # the thumbnail derivative's longest side


class AccessLevel(IntEnum):
    METADATA = 1
    THUMBNAIL = 2
    DISPLAY = 3
    MASTER = 4

    @property
    def label(self) -> str:
        return {1: "metadata only", 2: "thumbnail", 3: "display copy", 4: "master"}[self.value]


R = RightsStatement
# In copyright: a thumbnail; use permitted, or rights unclear: a display copy; free: the master.
DEFAULT_ACCESS_BY_RIGHTS: dict[str, str] = {
    R.IN_COPYRIGHT: "thumbnail",
    R.IN_COPYRIGHT_EDUCATIONAL: "display",
    R.IN_COPYRIGHT_NON_COMMERCIAL: "display",
    R.IN_COPYRIGHT_ORPHAN_EU: "display",
    R.IN_COPYRIGHT_UNIDENTIFIABLE: "display",
    R.NO_COPYRIGHT_CONTRACTUAL: "display",
    R.NO_COPYRIGHT_NON_COMMERCIAL: "display",
    R.NO_COPYRIGHT_OTHER_LEGAL: "display",
    R.COPYRIGHT_NOT_EVALUATED: "display",
    R.COPYRIGHT_UNDETERMINED: "display",
    R.NO_COPYRIGHT_US: "master",
    R.NO_KNOWN_COPYRIGHT: "master",
    R.CC0: "master",
    R.PUBLIC_DOMAIN_MARK: "master",
}


@dataclass(frozen=True)
class Access:
    level: AccessLevel
    reason: str = ""  # why the public gets less than the master ("" when it gets it)
    display_side: int = 0  # the display level's longest side

    def allows(self, level: AccessLevel) -> bool:
        return self.level >= level

    @property
    def max_side(self) -> int | None:
        """The longest side of any image this user may get (None: no limit; 0: no image)."""
        return {AccessLevel.METADATA: 0, AccessLevel.THUMBNAIL: THUMBNAIL_SIDE,
                AccessLevel.DISPLAY: self.display_side, AccessLevel.MASTER: None}[self.level]


def rights_access_level(rights_uri: str) -> AccessLevel:
    configured = {**DEFAULT_ACCESS_BY_RIGHTS, **settings.ACCESS_BY_RIGHTS}
    return AccessLevel[configured.get(rights_uri, settings.ACCESS_DEFAULT_LEVEL).upper()]


def embargo_until(photograph: Photograph, *, today: dt.date | None = None) -> dt.date | None:
    """The latest embargo still running on the photograph or a collection above it."""
    today = today or timezone.localdate()
    collection = photograph.collection
    dates = [photograph.embargo_until, *Collection.objects.filter(pk__in=[*collection.ancestor_ids, collection.pk]).values_list("embargo_until", flat=True)]
    running = [d for d in dates if d is not None and d > today]
    return max(running) if running else None


def photograph_access(photograph: Photograph, user) -> Access:
    display_side = settings.ACCESS_DISPLAY_MAX_SIDE
    if user_can_view_unpublished(user):
        return Access(AccessLevel.MASTER, display_side=display_side)
    embargo = embargo_until(photograph)
    if embargo is not None:
        return Access(AccessLevel.METADATA, f"This photograph is under embargo until {embargo:%-d %B %Y}.", display_side)
    level = rights_access_level(photograph.rights_uri)
    if level == AccessLevel.MASTER:
        return Access(level, display_side=display_side)
    label = RightsStatement(photograph.rights_uri).label if photograph.rights_uri in RightsStatement.values else photograph.rights_uri
    reason = {
        AccessLevel.METADATA: f"Its rights statement ({label}) allows no image to be shown to the public.",
        AccessLevel.THUMBNAIL: f"Its rights statement ({label}) allows the public a thumbnail only.",
        AccessLevel.DISPLAY: f"Its rights statement ({label}) allows the public a reduced copy (at most {display_side} pixels), not the master.",
    }[level]
    return Access(level, reason, display_side)


MEDIA_KIND_LEVELS = {"thumbnail": AccessLevel.THUMBNAIL, "display": AccessLevel.DISPLAY, "master": AccessLevel.MASTER}


def media_refusal(photograph: Photograph, kind: str, access: Access) -> str:
    """Why `access` may not have this stored file of the photograph ("" when it may)."""
    if not access.allows(MEDIA_KIND_LEVELS[kind]):
        return access.reason
    if kind == "display" and access.level == AccessLevel.DISPLAY and max(photograph.display.width, photograph.display.height) > access.display_side:
        return access.reason  # the stored display copy is larger than the public display size
    return ""


def public_access_is_full(photograph: Photograph) -> bool:
    """Whether the public gets everything (then a staff member's responses may be shared too)."""
    return embargo_until(photograph) is None and rights_access_level(photograph.rights_uri) == AccessLevel.MASTER
