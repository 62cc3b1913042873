"""Writes of the colorist's workflow (STYLE.md): `from apps.colorize import services`."""
from .pyramids import variant_build_pyramid, variant_pyramids_reconcile
from .requests import (
    BulkResult,
    ColorizationRefused,
    colorization_request_cancel,
    colorization_request_create,
    colorization_request_create_many,
    colorization_request_rerun,
    request_fingerprint,
)
from .reviews import annotation_create, variant_approve, variant_reject, variant_reopen
from .runs import colorization_run

__all__ = [
    "BulkResult", "ColorizationRefused", "annotation_create", "colorization_request_cancel",
    "colorization_request_create", "colorization_request_create_many", "colorization_request_rerun",
    "colorization_run", "request_fingerprint", "variant_approve", "variant_build_pyramid",
    "variant_pyramids_reconcile", "variant_reject", "variant_reopen",
]
