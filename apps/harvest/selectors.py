"""What harvesters see: the photographs the public may see and the tombstones of those it no
longer may, in change order (keyset on (datestamp, photograph id), so a list being paged
survives inserts and edits: a record changed mid-harvest moves to the end, never skips)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Min, Q

from apps.collections import selectors as archive
from apps.collections.models import Collection, Photograph, Tombstone


@dataclass(frozen=True)
class HarvestItem:
    photograph_id: int
    changed: dt.datetime  # full precision: the keyset; the OAI datestamp is it in whole seconds
    set_spec: str
    photograph: Photograph | None = None  # None: a tombstone
    tombstone: Tombstone | None = None

    @property
    def key(self) -> tuple[dt.datetime, int]:
        return (self.changed, self.photograph_id)


def public_photographs():
    return archive.photograph_visible_to(AnonymousUser()).select_related("collection")


def harvest_sets() -> list[tuple[str, Collection]]:
    """Every public collection as (setSpec, collection), parents before children."""
    collections = list(archive.collection_visible_to(AnonymousUser()).order_by("path"))
    specs = archive.collection_set_specs(collections=collections)
    return [(specs[c.pk], c) for c in collections]


def harvest_set_exists(set_spec: str) -> bool:
    return any(spec == set_spec for spec, _ in harvest_sets()) or Tombstone.objects.filter(
        Q(set_spec=set_spec) | Q(set_spec__startswith=f"{set_spec}:")
    ).exists()


def harvest_earliest_datestamp() -> dt.datetime | None:
    photographs = public_photographs().aggregate(first=Min("updated_at"))["first"]
    tombstones = Tombstone.objects.aggregate(first=Min("datestamp"))["first"]
    candidates = [d for d in (photographs, tombstones) if d is not None]
    return min(candidates) if candidates else None


def _keyset(field: str, id_field: str, after: tuple[dt.datetime, int] | None) -> Q:
    if after is None:
        return Q()
    changed, pk = after
    return Q(**{f"{field}__gt": changed}) | Q(**{field: changed, f"{id_field}__gt": pk})


def _window(field: str, start: dt.datetime | None, end: dt.datetime | None) -> Q:
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": start})
    if end is not None:
        q &= Q(**{f"{field}__lt": end})
    return q


def harvest_page(
    *, after: tuple[dt.datetime, int] | None = None, start: dt.datetime | None = None, end: dt.datetime | None = None,
    set_spec: str | None = None, limit: int,
) -> tuple[list[HarvestItem], bool]:
    """Up to `limit` records changed in [start, end) after the keyset `after`, oldest change
    first, and whether more follow. `set_spec` includes its subsets ("a" holds "a:b")."""
    photographs = public_photographs().filter(_keyset("updated_at", "id", after) & _window("updated_at", start, end))
    tombstones = Tombstone.objects.filter(_keyset("datestamp", "photograph_id", after) & _window("datestamp", start, end))
    if set_spec:
        target = next((c for spec, c in harvest_sets() if spec == set_spec), None)
        photographs = photographs.filter(collection__path__startswith=target.path) if target else photographs.none()
        tombstones = tombstones.filter(Q(set_spec=set_spec) | Q(set_spec__startswith=f"{set_spec}:"))
    photographs = list(photographs.order_by("updated_at", "id")[: limit + 1])
    tombstones = list(tombstones.order_by("datestamp", "photograph_id")[: limit + 1])
    specs = archive.collection_set_specs(collections={p.collection for p in photographs})
    items = sorted(
        [HarvestItem(p.pk, p.updated_at, specs[p.collection_id], photograph=p) for p in photographs]
        + [HarvestItem(t.photograph_id, t.datestamp, t.set_spec, tombstone=t) for t in tombstones],
        key=lambda item: item.key,
    )
    return items[:limit], len(items) > limit


def harvest_item_get(photograph_id: int) -> HarvestItem | None:
    """One record by photograph id: public, a tombstone, or None (never public: unknown)."""
    photograph = public_photographs().filter(pk=photograph_id).first()
    if photograph is not None:
        spec = archive.collection_set_specs(collections=[photograph.collection])[photograph.collection_id]
        return HarvestItem(photograph.pk, photograph.updated_at, spec, photograph=photograph)
    tombstone = Tombstone.objects.filter(photograph_id=photograph_id).first()
    if tombstone is not None:
        return HarvestItem(tombstone.photograph_id, tombstone.datestamp, tombstone.set_spec, tombstone=tombstone)
    return None
