"""CSV export of photographs with Dublin Core column names; `csv_import_plan` on the result
reports every row as unchanged."""
from __future__ import annotations

from typing import IO

from django.db.models import QuerySet

from ..models import Photograph
from .csv_columns import DC_COLUMNS, EXPORT_COLUMNS, EXPORT_EXTENSIONS, SUBJECT_SEPARATOR, SafeWriter


def _cell(photograph: Photograph, field: str) -> str:
    value = getattr(photograph, field)
    if field == "subjects":
        return SUBJECT_SEPARATOR.join(value)
    return "" if value is None else str(value)


def csv_export(*, photographs: QuerySet[Photograph], out: IO[str]) -> int:
    """Write `photographs` (in their collection's tree order, then by identifier) to `out`;
    returns the number of rows. Streams in chunks, so any size of result is fine."""
    writer = SafeWriter(out)  # no cell runs as a formula in a spreadsheet
    writer.writerow([*EXPORT_COLUMNS, *EXPORT_EXTENSIONS])
    rows = 0
    queryset = photographs.select_related("collection").order_by("collection__path", "identifier", "pk")
    for annotate, _ in EXPORT_EXTENSIONS.values():
        queryset = annotate(queryset)
    for photograph in queryset.iterator(chunk_size=2000):
        writer.writerow([
            *(_cell(photograph, field) for field in DC_COLUMNS.values()),
            photograph.collection.slug, photograph.original_filename, photograph.sha256,
            *(cell(photograph) for _, cell in EXPORT_EXTENSIONS.values()),
        ])
        rows += 1
    return rows
