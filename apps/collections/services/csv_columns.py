"""The CSV vocabulary shared by import and export: Dublin Core column names ↔ model fields."""
from __future__ import annotations

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
# Written by export for fixity checks, ignored by import.
READ_ONLY_COLUMNS = ("sha256",)
EXPORT_COLUMNS = [*DC_COLUMNS, COLLECTION_COLUMN, FILE_COLUMN, *READ_ONLY_COLUMNS]
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
