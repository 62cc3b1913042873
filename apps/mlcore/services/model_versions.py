from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from ..gan.checkpoint import CheckpointError, file_sha256, load_generator
from ..models import ModelVersion


def model_version_register(
    *,
    weights_path: Path,
    name: str | None = None,
    version: str | None = None,
    status: str = ModelVersion.Status.CANDIDATE,
    metrics: dict | None = None,
    training_data: dict | None = None,
    base_version: ModelVersion | None = None,
    created_by=None,
    notes: str = "",
) -> ModelVersion:
    """Register a generator checkpoint as a ModelVersion: validate it loads (weights only),
    copy it into media storage, record its sha256 and config. Name and version default to
    those stored in the checkpoint."""
    try:
        _, meta = load_generator(weights_path)
    except CheckpointError as error:
        raise ValidationError(f"Not a usable generator checkpoint: {error}") from error
    name = name or meta["name"]
    version = version or meta["version"]
    if ModelVersion.objects.filter(name=name, version=version).exists():
        raise ValidationError(f"A model version {name} {version} already exists.")
    summary = meta.get("summary") or {}
    with transaction.atomic():
        model_version = ModelVersion(
            name=name,
            version=version,
            weights_sha256=file_sha256(weights_path),
            config=meta["config"],
            training_data=training_data if training_data is not None else summary.get("training_data", {}),
            metrics=metrics if metrics is not None else summary.get("metrics", {}),
            base_version=base_version,
            created_by=created_by,
            notes=notes,
        )
        with open(weights_path, "rb") as handle:
            model_version.weights.save(f"{name}-{version}.pt", File(handle), save=False)
        model_version.save()
        if status == ModelVersion.Status.ACTIVE:
            model_version_activate(model_version=model_version)
    return model_version


@transaction.atomic
def model_version_activate(*, model_version: ModelVersion, user=None) -> ModelVersion:
    """Make `model_version` the default for new requests; the previous active one becomes a candidate.

    A transaction-scoped advisory lock serialises concurrent activations (there may be no
    active row to lock yet); the partial unique constraint guarantees at most one active
    version whatever else happens."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('mlcore.model_version_activate'))")
    locked = list(ModelVersion.objects.select_for_update().filter(status=ModelVersion.Status.ACTIVE).exclude(pk=model_version.pk))
    for previous in locked:
        previous.status = ModelVersion.Status.CANDIDATE
        previous.save(update_fields=["status"])
    model_version = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
    model_version.status = ModelVersion.Status.ACTIVE
    model_version.activated_at = timezone.now()
    model_version.save(update_fields=["status", "activated_at"])
    return model_version


@transaction.atomic
def model_version_retire(*, model_version: ModelVersion, user=None) -> ModelVersion:
    """Retire a version: no new requests use it; existing variants keep their provenance."""
    model_version = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
    if model_version.status == ModelVersion.Status.ACTIVE:
        raise ValidationError("Activate another version before retiring the active one.")
    model_version.status = ModelVersion.Status.RETIRED
    model_version.save(update_fields=["status"])
    return model_version


def model_version_ensure_default() -> ModelVersion | None:
    """Register the weights shipped in the repository (settings.SHIPPED_MODEL_PATH) once, and
    activate them when no version is active. Returns the shipped version, or None when the
    repository has no weights."""
    path = Path(settings.SHIPPED_MODEL_PATH)
    if not path.exists():
        return None
    sha = file_sha256(path)
    existing = ModelVersion.objects.filter(weights_sha256=sha).first()
    if existing is None:
        existing = model_version_register(weights_path=path, notes="Shipped default model (docs/MODEL_CARD.md).")
    if not ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).exists():
        existing = model_version_activate(model_version=existing)
    return existing
