"""RQ jobs of the archive. Each takes ids, re-reads the database and calls one service;
services enqueue them (by dotted path) inside transaction.on_commit."""
from __future__ import annotations

from .services.csv_import import csv_import_run
from .services.derivatives import photograph_build_derivatives


def build_derivatives(photograph_id: int) -> str:
    photograph = photograph_build_derivatives(photograph_id=photograph_id)
    return photograph.derivatives_status if photograph else "gone"


def run_csv_import(csv_import_id: int) -> str:
    return csv_import_run(csv_import_id=csv_import_id).status
