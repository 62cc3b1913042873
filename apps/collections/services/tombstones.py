"""Tombstones: the persistent record of photographs that left public view, for harvesters
(OAI-PMH deleted records, /api/deletions/). The collection and photograph services call
these whenever what the public sees may change."""
from __future__ import annotations

from django.utils import timezone

from .. import selectors
from ..models import Photograph, Tombstone
from ..selectors import PublicRecord


def tombstones_record(*, records: dict[int, PublicRecord], reason: str) -> None:
    """Write (or refresh) a tombstone per photograph id."""
    now = timezone.now()
    Tombstone.objects.bulk_create(
        [
            Tombstone(photograph_id=pk, identifier=r.identifier, collection_id=r.collection_id, set_spec=r.set_spec, datestamp=now, reason=reason)
            for pk, r in records.items()
        ],
        update_conflicts=True, unique_fields=["photograph_id"], update_fields=["identifier", "collection", "set_spec", "datestamp", "reason"],
    )


def tombstones_reconcile(*, collection, before: dict[int, PublicRecord], sets_changed: bool) -> None:
    """After a change to `collection` (published, moved, renamed): photographs the public saw
    before and no longer sees become tombstones; those that came back lose theirs and, like
    every public photograph whose set changed, get a new change timestamp so the next
    incremental harvest carries them."""
    after = selectors.photograph_public_records(collection=collection)
    withdrawn = {pk: record for pk, record in before.items() if pk not in after}
    if withdrawn:
        tombstones_record(records=withdrawn, reason=Tombstone.Reason.WITHDRAWN)
    returned = after.keys() - before.keys()
    Tombstone.objects.filter(photograph_id__in=returned).delete()
    changed = after.keys() if sets_changed else returned
    if changed:
        Photograph.objects.filter(pk__in=changed).update(updated_at=timezone.now())


def tombstone_for_deleted(*, photograph: Photograph) -> None:
    """A deleted photograph that the public saw (or that is already a tombstone) stays one."""
    public = selectors.photograph_public_records(collection=photograph.collection).get(photograph.pk)
    if public is not None:
        tombstones_record(records={photograph.pk: public}, reason=Tombstone.Reason.DELETED)
    else:
        Tombstone.objects.filter(photograph_id=photograph.pk).update(reason=Tombstone.Reason.DELETED, datestamp=timezone.now())
