"""Writes of the model app (STYLE.md): `from apps.mlcore import services` or `from apps.mlcore.services import …`."""
from .benchmark import benchmark_configured, model_version_benchmark, model_version_benchmark_request, model_version_benchmark_store
from .curated_sets import (
    AddResult,
    ItemRefusal,
    curated_set_add_items,
    curated_set_create,
    curated_set_delete,
    curated_set_freeze,
    curated_set_remove_items,
    curated_set_update,
    split_keys,
)
from .history import model_version_record
from .model_versions import (
    ActivationNeedsReason,
    model_version_activate,
    model_version_ensure_default,
    model_version_register,
    model_version_retire,
)
from .training_execute import training_run_execute
from .training_runs import (
    FINE_TUNING_DEFAULTS,
    clean_hyperparameters,
    training_run_cancel,
    training_run_create,
    training_run_rerun,
)

__all__ = [
    "ActivationNeedsReason", "benchmark_configured", "model_version_benchmark", "model_version_benchmark_request",
    "model_version_benchmark_store", "model_version_record",
    "AddResult", "FINE_TUNING_DEFAULTS", "ItemRefusal", "clean_hyperparameters", "curated_set_add_items", "curated_set_create",
    "curated_set_delete", "curated_set_freeze", "curated_set_remove_items", "curated_set_update", "model_version_activate",
    "model_version_ensure_default", "model_version_register", "model_version_retire", "split_keys", "training_run_cancel", "training_run_rerun",
    "training_run_create", "training_run_execute",
]
