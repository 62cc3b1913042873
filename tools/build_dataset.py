#!/usr/bin/env python3
"""Rebuild the colour-photograph training set: ``python tools/build_dataset.py [--out DIR]``.

The code lives in the package ``tools/dataset/`` (docs/DATASET.md); this script is its
command, runnable from the repository root without setting PYTHONPATH.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.dataset.build import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
