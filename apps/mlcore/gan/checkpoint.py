"""Generator checkpoints: one file that rebuilds its own network, loaded without executing code.

A checkpoint is a ``torch.save``d dict of plain values and tensors::

    {"format_version": 1, "name": str, "version": str,
     "config": GeneratorConfig.to_dict(), "generator": state_dict,
     "summary": {...training data, metrics, anything JSON-able...},
     "merge": {"chroma_filter": {"radius": int, "eps": float}}}

``merge`` holds how the model's chroma is merged at full resolution (``chroma``); it is
optional, and a checkpoint without it merges as before (bilinear upsampling).

It is read back with ``torch.load(weights_only=True)``, which refuses pickled code, so a
checkpoint uploaded by a curator cannot run anything. Weights may be stored as float16
(half the file; they are widened to float32 on load), which keeps the shipped model small.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

import torch
from torch import nn

from .effunet import ARCHITECTURE as EFFUNET
from .effunet import EffUNetConfig, EffUNetGenerator
from .networks import GeneratorConfig, UNetGenerator

FORMAT_VERSION = 1
_REQUIRED_KEYS = {"format_version", "config", "generator", "summary", "name", "version"}


class CheckpointError(Exception):
    """The file is not a generator checkpoint this code can load."""


def generator_config_from_dict(values: dict) -> GeneratorConfig | EffUNetConfig:
    """The architecture config a checkpoint stores: ``architecture`` names the
    EfficientNet U-Net; configs without it (every checkpoint before 1.2.0) are the thesis U-Net."""
    if values.get("architecture") == EFFUNET:
        return EffUNetConfig.from_dict(values)
    return GeneratorConfig.from_dict(values)


def build_generator(config: GeneratorConfig | EffUNetConfig) -> nn.Module:
    """A freshly initialised generator of the architecture ``config`` describes."""
    return EffUNetGenerator(config) if isinstance(config, EffUNetConfig) else UNetGenerator(config)


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_torch_save(payload: dict, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename it into place.

    A reader (or a crash) never sees a half-written checkpoint.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(payload, stream)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a checkpoint is meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_generator(
    dest: str | os.PathLike | BinaryIO,
    generator: nn.Module,
    *,
    name: str,
    version: str,
    summary: dict | None = None,
    fp16: bool = True,
    merge: dict | None = None,
) -> None:
    """Write a generator checkpoint (format above) to a path or a binary file object.

    ``summary`` is any JSON-able dict (training data counts, hyperparameters, evaluation
    metrics). With ``fp16`` the floating-point weights are stored as float16; the
    integer batch-norm counters are kept as they are. ``merge`` is the model's merge
    settings (see ``chroma.ChromaFilter``). Paths are written atomically.
    """
    state = {
        key: (value.detach().to("cpu", torch.float16) if fp16 and value.is_floating_point() else value.detach().cpu())
        for key, value in generator.state_dict().items()
    }
    payload = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": version,
        "config": generator.config.to_dict(),
        "generator": state,
        "summary": summary or {},
        "merge": merge or {},
    }
    if isinstance(dest, (str, os.PathLike)):
        atomic_torch_save(payload, dest)
    else:
        torch.save(payload, dest)


def load_generator(src: str | os.PathLike | BinaryIO) -> tuple[nn.Module, dict]:
    """Rebuild the generator a checkpoint describes and load its weights (float32, eval mode, CPU).

    Returns ``(generator, meta)`` where ``meta`` holds ``name``, ``version``, ``config``
    (the dict), ``summary``, ``merge`` ({} for checkpoints written before it existed),
    ``format_version`` and, when ``src`` is a path, ``sha256``
    of the file. Loading uses ``weights_only=True``; anything that is not a checkpoint of
    this format raises ``CheckpointError``.
    """
    try:
        payload = torch.load(src, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises pickle, zip and runtime errors alike
        raise CheckpointError(f"{getattr(src, 'name', src)}: not a loadable checkpoint ({error})") from error
    if not isinstance(payload, dict) or not _REQUIRED_KEYS <= payload.keys():
        raise CheckpointError(f"{getattr(src, 'name', src)}: not a generator checkpoint (missing keys)")
    if payload["format_version"] != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint format {payload['format_version']} is not supported (expected {FORMAT_VERSION})")
    try:
        generator = build_generator(generator_config_from_dict(payload["config"]))
        state = {k: v.float() if v.is_floating_point() else v for k, v in payload["generator"].items()}
        generator.load_state_dict(state)
    except (ValueError, TypeError, RuntimeError) as error:
        raise CheckpointError(f"checkpoint does not match its config: {error}") from error
    generator.eval()
    meta = {key: payload[key] for key in ("format_version", "name", "version", "config", "summary")}
    meta["merge"] = payload.get("merge") or {}
    if isinstance(src, (str, os.PathLike)):
        meta["sha256"] = file_sha256(src)
    return generator, meta
