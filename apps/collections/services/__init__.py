"""Writes of the archive (STYLE.md): `from apps.collections import services`."""
from .collections import collection_create, collection_delete, collection_publish, collection_update
from .csv_export import csv_export
from .csv_import import CsvReport, csv_import_plan, csv_import_run, csv_import_start, csv_report_write
from .derivatives import derivatives_reconcile, photograph_build_derivatives, photographs_rebuild_derivatives
from .ingest import ImageInspection, IngestRefused, IngestResult, photograph_ingest, photograph_ingest_check
from .metadata import EDITABLE_FIELDS, edtf_normalize, edtf_range_note
from .photographs import photograph_delete, photograph_update

__all__ = [
    "EDITABLE_FIELDS", "CsvReport", "ImageInspection", "IngestRefused", "IngestResult",
    "collection_create", "collection_delete", "collection_publish", "collection_update",
    "csv_export", "csv_import_plan", "derivatives_reconcile", "csv_import_run", "csv_import_start", "csv_report_write",
    "edtf_normalize", "edtf_range_note", "photograph_build_derivatives", "photograph_delete", "photograph_ingest",
    "photograph_ingest_check", "photograph_update", "photographs_rebuild_derivatives",
]
