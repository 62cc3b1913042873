"""Storage follows the rows: a deleted variant (its photograph or request deleted) takes its
files with it once the deletion commits. Connected in ColorizeConfig.ready()."""
from __future__ import annotations

import logging

from django.db import transaction

from .services.runs import discard_request_files

logger = logging.getLogger(__name__)


def variant_files_delete(sender, instance, **kwargs) -> None:
    names = [field.name for field in (instance.image, instance.thumbnail) if field]
    storage = instance.image.storage

    def delete() -> None:
        for name in names:
            try:
                storage.delete(name)
            except Exception:
                logger.exception("could not delete %s", name)

    transaction.on_commit(delete)


def request_files_discard(sender, row, **kwargs) -> None:
    """What a killed attempt of a request left in storage goes once reconcile moved it on."""
    discard_request_files(row)
