"""Media files that a failed attempt, a refused upload or a deleted row leaves behind."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.files.storage import Storage, default_storage

logger = logging.getLogger(__name__)


def files_delete(names: Iterable[str | None], *, storage: Storage | None = None) -> None:
    """Delete `names` from `storage` (default: media storage). A file that cannot be deleted
    is logged, not raised: the caller is already cleaning up after something else."""
    storage = storage or default_storage
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except Exception:
            logger.exception("could not delete %s", name)
