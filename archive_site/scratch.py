"""Scratch folders of jobs on local disk (a colorization's PNGs before they go to storage, a
pyramid being written). Each is named after the process that made it, so the folders a
killed worker left behind (SIGKILL, the OOM killer: no `finally` runs) are found and
removed by the next worker on the host: `scratch_sweep` is a worker warm-up
(settings.RQ_WORKER_WARMUP)."""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

from .embedded import process_alive

logger = logging.getLogger(__name__)

_OWNER = re.compile(r"^chroma-(\d+)-")


def scratch_dir(label: str, *, parent: str | None = None) -> Path:
    """A new private folder for one job's temporary files, in `parent` (default: the
    system's temporary folder); the caller removes it when done."""
    return Path(tempfile.mkdtemp(prefix=f"chroma-{os.getpid()}-{label}-", dir=parent))


def scratch_sweep() -> int:
    """Remove the scratch folders whose process is gone, in the system's temporary folder
    and FILE_UPLOAD_TEMP_DIR; returns how many were removed."""
    removed = 0
    for parent in {tempfile.gettempdir(), settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()}:
        try:
            entries = list(Path(parent).iterdir())
        except OSError:
            continue
        for entry in entries:
            owner = _OWNER.match(entry.name)
            if owner is None or not entry.is_dir() or process_alive(int(owner.group(1))):
                continue
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
            logger.warning("removed %s, left behind by process %s", entry, owner.group(1))
    return removed
