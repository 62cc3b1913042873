"""``python -m tools.dataset``: the same as ``python tools/build_dataset.py``."""
import sys

from .build import main

sys.exit(main())
