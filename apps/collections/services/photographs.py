"""Writes on catalogued photographs other than ingest: metadata edits (with history) and deletion."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from archive_site.storage import files_delete

from ..models import MetadataChange, Photograph
from .derivatives import photograph_pyramid_name
from .metadata import history_rows, photograph_metadata_clean, photograph_metadata_diff
from .tombstones import tombstone_for_deleted


@transaction.atomic
def photograph_update(
    *, photograph: Photograph, data: dict[str, Any], user, source: str = MetadataChange.Source.API,
) -> list[MetadataChange]:
    """Change the given metadata fields (others are untouched), one history row per changed
    field. Returns the history rows (empty when nothing changed)."""
    cleaned = photograph_metadata_clean(data)
    locked = Photograph.objects.select_for_update().get(pk=photograph.pk)
    changes = photograph_metadata_diff(locked, cleaned)
    if not changes:
        return []
    if "identifier" in changes:
        clash = Photograph.objects.filter(collection_id=locked.collection_id, identifier=cleaned["identifier"]).exclude(pk=locked.pk).first()
        if clash is not None:
            raise ValidationError({"identifier": f'The identifier {cleaned["identifier"]} is already used in this collection by "{clash.display_title}".'})
    update_fields = list(changes)
    if "date" in changes:
        update_fields += ["date_lower", "date_upper"]
    for name in update_fields:
        setattr(locked, name, cleaned[name])
        setattr(photograph, name, cleaned[name])
    locked.save(update_fields=[*update_fields, "updated_at"])
    photograph.updated_at = locked.updated_at
    return MetadataChange.objects.bulk_create(history_rows(changes=changes, user=user, source=source, photograph=locked))


def photograph_delete(*, photograph: Photograph, user) -> None:
    """Delete the row with its history; the master and derivatives go once that is committed.
    A photograph the public saw leaves a tombstone for harvesters."""
    names = [f.name for f in (photograph.master, photograph.thumbnail, photograph.display) if f]
    names.append(photograph_pyramid_name(photograph))
    storage = photograph.master.storage
    with transaction.atomic():
        tombstone_for_deleted(photograph=photograph)
        photograph.delete()
        transaction.on_commit(lambda: files_delete(names, storage=storage), robust=True)
