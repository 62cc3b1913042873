"""Template context for every portal page: the navigation the signed-in user may use."""
from __future__ import annotations

from dataclasses import dataclass

# (label, path, role that may use it; None: everyone). Superusers see every link.
NAVIGATION = (
    ("Collections", "/collections/", None),
    ("Search", "/search/", None),
    ("Upload", "/upload/", "archivist"),
    ("Review queue", "/colorize/review/", "colorist"),
    ("Model versions", "/models/", "curator"),
    ("Curated sets", "/models/sets/", "curator"),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    active: bool


def user_roles(user) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        cached = user._portal_roles = frozenset(user.groups.values_list("name", flat=True))
    return cached


def portal(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {}
    roles = user_roles(user)
    allowed = [(label, url) for label, url, role in NAVIGATION if role is None or user.is_superuser or role in roles]
    # The current page belongs to the longest link it starts with (/models/sets/ is not /models/).
    current = max((url for _, url in allowed if request.path.startswith(url)), key=len, default=None)
    links = [NavLink(label, url, url == current) for label, url in allowed]
    if user.is_staff:
        links.append(NavLink("Admin", "/admin/", request.path.startswith("/admin/")))
    return {"nav_links": links, "user_roles": sorted(roles)}
