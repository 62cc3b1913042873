"""Values the model app stores in JSON columns."""
from __future__ import annotations

import math


def finite(value):
    """JSON for PostgreSQL: NaN and ±inf (a perfect PSNR) become None, in nested dicts and lists too."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value
