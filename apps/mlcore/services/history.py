"""The history of model versions (ModelVersionEvent rows), written by the services that change them."""
from __future__ import annotations

from ..models import ModelVersion, ModelVersionEvent
from .jsonvalues import finite


def model_version_record(model_version: ModelVersion, kind: str, *, user=None, reason: str = "", details: dict | None = None) -> ModelVersionEvent:
    """Add an event to a version's history (`kind`: ModelVersionEvent.Kind)."""
    return ModelVersionEvent.objects.create(
        model_version=model_version, kind=kind, user=user if user is not None and user.is_authenticated else None,
        reason=reason, details=finite(details or {}),
    )
