"""The one seam between Django and the network: ModelVersion -> loaded, cached Colorizer.

A worker keeps every version it has loaded (keyed by id and weights sha256, so replaced
weights are never served stale) for its whole life; `colorizer_for_active()` re-reads
which version is active on every call, so activating a new version reaches running
workers without a restart. Weights kept in remote storage are copied once to a local
cache named by their sha256.
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

from django.conf import settings

from .gan.checkpoint import file_sha256
from .gan.inference import Colorizer
from .models import ModelVersion
from .selectors import model_version_active

_lock = threading.Lock()
_loaded: dict[tuple[int, str], Colorizer] = {}


class ModelUnavailable(Exception):
    """No usable model version (none active, or its weights are missing or altered)."""


def local_weights(version: ModelVersion) -> Path:
    """A local path to the version's weights file (a cached copy when storage is remote)."""
    storage = version.weights.storage
    try:
        return Path(storage.path(version.weights.name))
    except NotImplementedError:  # remote storage: cache a local copy by content hash
        cache = Path(settings.MODEL_CACHE_DIR)
        cache.mkdir(parents=True, exist_ok=True)
        target = cache / f"{version.weights_sha256}.pt"
        if not target.exists():
            partial = target.with_suffix(".part")
            with version.weights.open("rb") as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            partial.replace(target)
        return target


def colorizer_for(version: ModelVersion) -> Colorizer:
    """The loaded colorizer of `version`, loading it on first use (checked against its sha256)."""
    key = (version.pk, version.weights_sha256)
    with _lock:
        colorizer = _loaded.get(key)
        if colorizer is None:
            path = local_weights(version)
            if not path.exists():
                raise ModelUnavailable(f"weights of {version} are missing ({version.weights.name})")
            if file_sha256(path) != version.weights_sha256:
                raise ModelUnavailable(f"weights of {version} do not match their recorded sha256")
            colorizer = Colorizer.from_checkpoint(path, device=settings.MLCORE_DEVICE)
            _loaded[key] = colorizer
        return colorizer


def colorizer_for_active() -> tuple[ModelVersion, Colorizer]:
    version = model_version_active()
    if version is None:
        raise ModelUnavailable("no model version is active")
    return version, colorizer_for(version)


def loaded_versions() -> list[tuple[int, str]]:
    """(id, sha256) of every version this process holds in memory."""
    with _lock:
        return list(_loaded)


def warm_active() -> ModelVersion | None:
    """Load the active version now (worker start), so the first job does not pay for it."""
    try:
        version, _ = colorizer_for_active()
    except ModelUnavailable:
        return None
    return version
