from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from ..gan.checkpoint import CheckpointError, file_sha256, load_generator
from ..models import ModelVersion, ModelVersionEvent
from ..selectors import ActivationCheck, activation_check, benchmark_current_id
from ..selectors import model_version_benchmark as benchmark_record
from .benchmark import benchmark_summary, model_version_benchmark_request
from .history import model_version_record
from .jsonvalues import finite

Kind = ModelVersionEvent.Kind


class ActivationNeedsReason(ValidationError):
    """Activating a version that is worse than the active one on the benchmark (beyond the
    noise between seeds) needs a reason; `check` holds the comparison."""

    def __init__(self, check: ActivationCheck):
        self.check = check
        super().__init__(check.message(), code="worse_than_active")


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
    benchmark: dict | None = None,
) -> ModelVersion:
    """Register a generator checkpoint as a ModelVersion: validate it loads (weights only),
    copy it into media storage, record its sha256 and config. Name and version default to
    those stored in the checkpoint. `benchmark` is its score on the benchmark set when the
    caller measured it (a training run does); otherwise, when a benchmark is configured, its
    scoring is queued once the registration commits."""
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
            benchmark=finite({**benchmark, "evaluated_at": timezone.now().isoformat()}) if benchmark else {},
        )
        with open(weights_path, "rb") as handle:
            model_version.weights.save(f"{name}-{version}.pt", File(handle), save=False)
        model_version.save()
        model_version_record(model_version, Kind.REGISTERED, user=created_by, details={"weights_sha256": model_version.weights_sha256, "notes": notes})
        if benchmark:
            model_version_record(model_version, Kind.BENCHMARKED, user=created_by, details=benchmark_summary(model_version.benchmark))
        else:
            model_version_benchmark_request(model_version=model_version, user=created_by, if_configured=True)
        if status == ModelVersion.Status.ACTIVE:
            model_version_activate(model_version=model_version, user=created_by)
    return model_version


@transaction.atomic
def model_version_activate(*, model_version: ModelVersion, user=None, override_reason: str = "") -> ModelVersion:
    """Make `model_version` the default for new requests; the previous active one becomes a candidate.

    When both were scored on the same benchmark and the new one is worse on PSNR, ΔE2000
    or the colourfulness gap by more than the noise between seeds (`activation_check`),
    it is refused with ActivationNeedsReason unless `override_reason` says why; the
    reason and the comparison go into its history. Activating the active version changes
    nothing. A transaction-scoped advisory lock serialises concurrent activations (there
    may be no active row to lock yet); the partial unique constraint guarantees at most
    one active version whatever else happens."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('mlcore.model_version_activate'))")
    model_version = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
    if model_version.status == ModelVersion.Status.ACTIVE:
        return model_version
    locked = list(ModelVersion.objects.select_for_update().filter(status=ModelVersion.Status.ACTIVE))
    check = activation_check(model_version=model_version, active=locked[0] if locked else None)
    reason = (override_reason or "").strip()
    if check.worse and not reason:
        raise ActivationNeedsReason(check)
    for previous in locked:
        previous.status = ModelVersion.Status.CANDIDATE
        previous.save(update_fields=["status"])
        model_version_record(previous, Kind.REPLACED, user=user, details={"by": {"id": model_version.pk, "version": str(model_version)}})
    model_version.status = ModelVersion.Status.ACTIVE
    model_version.activated_at = timezone.now()
    model_version.save(update_fields=["status", "activated_at"])
    model_version_record(model_version, Kind.ACTIVATED, user=user, reason=reason, details={**check.as_dict(), "override": bool(check.worse)})
    return model_version


@transaction.atomic
def model_version_retire(*, model_version: ModelVersion, user=None) -> ModelVersion:
    """Retire a version: no new requests use it; existing variants keep their provenance."""
    model_version = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
    if model_version.status == ModelVersion.Status.ACTIVE:
        raise ValidationError("Activate another version before retiring the active one.")
    if model_version.status != ModelVersion.Status.RETIRED:
        model_version.status = ModelVersion.Status.RETIRED
        model_version.save(update_fields=["status"])
        model_version_record(model_version, Kind.RETIRED, user=user)
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
    elif benchmark_record(existing, benchmark_current_id()) is None:
        model_version_benchmark_request(model_version=existing, user=None, if_configured=True)
    if not ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).exists():
        existing = model_version_activate(model_version=existing)
    return existing
