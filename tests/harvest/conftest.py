from __future__ import annotations

from tests.collections.conftest import fonds, hidden  # noqa: F401  (the archive's collection fixtures)
