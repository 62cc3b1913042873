from __future__ import annotations

from .models import ModelVersion


def model_version_active() -> ModelVersion | None:
    """The version new colorization requests use by default, or None before one is registered."""
    return ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
