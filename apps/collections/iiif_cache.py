"""The IIIF derivative cache: rendered images on local disk, bounded in size.

A file is named by a hash of what it shows (see `iiif_views`), so it never needs
invalidating; the cache only needs bounding. A hit touches the file's modification time,
so the least recently used files are the oldest, and `iiif_cache_trim` deletes those first
until the folder is within `IIIF_CACHE_MAX_BYTES`. A web process trims after writing when
its last trim is older than `IIIF_CACHE_TRIM_INTERVAL_S`; `manage.py trim_iiif_cache` trims
on demand (e.g. from cron). The folder can also be deleted at any time.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

_trim_lock = threading.Lock()
_last_trim = [float("-inf")]  # monotonic time of this process's last trim


@dataclass(frozen=True)
class TrimResult:
    files_removed: int
    bytes_removed: int
    bytes_kept: int


def cache_root() -> Path:
    root = settings.IIIF_CACHE_ROOT
    return Path(root) if root else Path(settings.MEDIA_ROOT) / "iiif-cache"


def _path(key: str, extension: str) -> Path:
    return cache_root() / key[:2] / f"{key}.{extension}"


def cache_open(key: str, extension: str) -> BinaryIO | None:
    """The cached file for `key`, opened, and marked as just used; None on a miss."""
    path = _path(key, extension)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    try:
        os.utime(path)
    except FileNotFoundError:  # trimmed meanwhile: the open handle still reads it
        pass
    return handle


def cache_store(key: str, extension: str, data: bytes) -> None:
    """Keep a rendered image (atomically: concurrent renders of one tile each write a
    temporary file, the last rename wins), then trim if this process's last trim is due."""
    path = _path(key, extension)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if time.monotonic() - _last_trim[0] >= settings.IIIF_CACHE_TRIM_INTERVAL_S and _trim_lock.acquire(blocking=False):
        try:
            _last_trim[0] = time.monotonic()
            iiif_cache_trim(max_bytes=settings.IIIF_CACHE_MAX_BYTES)
        finally:
            _trim_lock.release()


def iiif_cache_trim(*, max_bytes: int) -> TrimResult:
    """Delete the least recently used cached images until at most `max_bytes` remain."""
    entries = []
    for path in cache_root().glob("*/*"):
        if path.suffix == ".part":  # being written
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:  # another process trimmed it
            continue
        entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    removed = removed_bytes = 0
    for _, size, path in sorted(entries, key=lambda entry: entry[0]):
        if total <= max_bytes:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed += 1
        removed_bytes += size
    return TrimResult(files_removed=removed, bytes_removed=removed_bytes, bytes_kept=total)
