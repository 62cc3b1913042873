"""Portal pages of the archive: browse and search, the photograph page and its edit form,
upload and CSV import. Each view parses input, calls a selector or a service, renders."""
from .browse import collection_detail, collection_tree, home, search
from .collections import collection_create, collection_delete, collection_edit
from .csv_import import csv_import, csv_import_detail
from .photographs import photograph_detail, photograph_edit
from .upload import upload

__all__ = [
    "collection_create", "collection_delete", "collection_detail", "collection_edit", "collection_tree", "csv_import", "csv_import_detail", "home",
    "photograph_detail", "photograph_edit", "search", "upload",
]
