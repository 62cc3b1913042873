"""The CSV vocabulary shared by import and export: Dublin Core column names ↔ model fields."""
from __future__ import annotations

import csv
from collections.abc import Callable

# Column → Photograph field, in export order.
DC_COLUMNS: dict[str, str] = {
    "dc:identifier": "identifier",
    "dc:title": "title",
    "dc:creator": "creator",
    "dc:date": "date",
    "dc:description": "description",
    "dc:subject": "subjects",
    "dc:coverage": "place",
    "dc:source": "source",
    "dc:language": "language",
    "dc:format": "format",
    "dc:rights": "rights_uri",
    "rights_note": "rights_note",
}
COLLECTION_COLUMN = "collection"
FILE_COLUMN = "file"
# Written by export (fixity, and what other apps add), ignored by import.
READ_ONLY_COLUMNS: list[str] = ["sha256"]
EXPORT_COLUMNS = [*DC_COLUMNS, COLLECTION_COLUMN, FILE_COLUMN, *READ_ONLY_COLUMNS]
# Read-only columns other apps add to exports (the colorize app: the approved colorization):
# name -> (annotate the export queryset, the cell of an annotated photograph).
EXPORT_EXTENSIONS: dict[str, tuple[Callable, Callable]] = {}
SUBJECT_SEPARATOR = "|"

# Other spellings accepted on import (case-insensitive): bare names, dcterms:, field names.
ALIASES: dict[str, str] = {}
for _column, _field in DC_COLUMNS.items():
    _bare = _column.split(":", 1)[-1]
    for _alias in (_column, _bare, f"dcterms:{_bare}", _field):
        ALIASES[_alias.lower()] = _column
ALIASES.update({"place": "dc:coverage", "rights": "dc:rights", "rights note": "rights_note", "subjects": "dc:subject",
                "collection": COLLECTION_COLUMN, "collection slug": COLLECTION_COLUMN, "file": FILE_COLUMN,
                "filename": FILE_COLUMN, "sha256": "sha256"})

# Field → column, for naming the column of a validation error.
FIELD_COLUMNS = {field: column for column, field in DC_COLUMNS.items()}
FIELD_COLUMNS.update({"date_lower": "dc:date", "date_upper": "dc:date"})


def register_export_column(name: str, *, annotate: Callable, cell: Callable) -> None:
    """Add a read-only column to every export; `annotate(queryset)` adds what `cell(photograph)`
    reads, so the export stays one query per chunk. Import ignores the column."""
    EXPORT_EXTENSIONS[name] = (annotate, cell)
    if name not in READ_ONLY_COLUMNS:
        READ_ONLY_COLUMNS.append(name)
    ALIASES[name.lower()] = name

# A cell starting with one of these is a formula to a spreadsheet (CSV injection): exports
# and reports write it behind an apostrophe, the spreadsheet's own "this is text" mark, and
# import removes that apostrophe again, so an export re-imports unchanged.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """`value` as a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_unescape(cell: str) -> str:
    """The value of a cell written by `spreadsheet_safe`."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


class SafeWriter:
    """csv.writer for exports and reports: every cell goes through `spreadsheet_safe`."""

    def __init__(self, out):
        self._writer = csv.writer(out)

    def writerow(self, row) -> None:
        self._writer.writerow([spreadsheet_safe(cell) for cell in row])
