"""The train / val / holdout split: a hash of the seed and the picture's identity.

This function decides which pictures the model is tested on.  It must never change:
a change would move pictures of the published hold-out into training.  New sources
only add pictures; every existing picture keeps its split.
"""
from __future__ import annotations

import hashlib

SPLIT_FRACTIONS = (("train", 0.8), ("val", 0.1), ("holdout", 0.1))


def unit_hash(*parts) -> float:
    """Deterministic number in [0, 1) from the given parts."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64


def assign_split(identity: str, seed: int = 0) -> str:
    """train/val/holdout by a hash of the source image identity (80/10/10)."""
    u = unit_hash("split", seed, identity)
    acc = 0.0
    for name, frac in SPLIT_FRACTIONS:
        acc += frac
        if u < acc:
            return name
    return SPLIT_FRACTIONS[-1][0]
