"""Storage follows the rows: a deleted variant (its photograph or request deleted) takes its
files with it once the deletion commits. Connected in ColorizeConfig.ready()."""
from __future__ import annotations

from django.db import transaction

from archive_site.storage import files_delete

from .services.pyramids import variant_pyramid_name
from .services.runs import discard_request_files


def variant_files_delete(sender, instance, **kwargs) -> None:
    names = [field.name for field in (instance.image, instance.thumbnail) if field]
    names.append(variant_pyramid_name(instance.pk))
    storage = instance.image.storage
    transaction.on_commit(lambda: files_delete(names, storage=storage))


def request_files_discard(sender, row, **kwargs) -> None:
    """What a killed attempt of a request left in storage goes once reconcile moved it on."""
    discard_request_files(row)
