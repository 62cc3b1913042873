"""CSV import: create photographs and update existing ones (matched by collection +
identifier) from a CSV with Dublin Core column names.

- A dry run (`csv_import_plan`) says per row what would happen (create / update /
  unchanged / error) and lists every error with its row and column; it writes nothing.
- The real run is a CsvImport row and a background job (`csv_import_start` →
  `jobs.run_csv_import` → `csv_import_run`); each row runs in its own transaction, so a
  row is imported completely or not at all, and the report says what happened to each.

Rows are numbered as a spreadsheet shows them: the header is row 1. For an existing
photograph, only the columns present in the CSV are compared and written; an empty cell
empties the field. The `file` column is read only to create a photograph: a master is
never replaced by an import. Files are looked up by name inside the uploaded ZIP, or, with
no ZIP, as paths under the import folder (settings.IMPORT_ROOT); a path that leads outside
that folder is refused.
"""
from __future__ import annotations

import csv
import io
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from archive_site.rqjobs import attempt_start, job_enqueue_on_commit

from ..models import Collection, CsvImport, MetadataChange, Photograph
from ..selectors import collection_visible_to
from .csv_columns import (
    ALIASES,
    COLLECTION_COLUMN,
    DC_COLUMNS,
    FIELD_COLUMNS,
    FILE_COLUMN,
    READ_ONLY_COLUMNS,
    SafeWriter,
    spreadsheet_unescape,
)
from .ingest import IngestRefused, photograph_ingest, photograph_ingest_check
from .metadata import photograph_metadata_clean, photograph_metadata_diff
from .photographs import photograph_update

logger = logging.getLogger(__name__)

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
Progress = Callable[[int, int], None]


@dataclass
class RowResult:
    row: int
    identifier: str = ""
    collection: str = ""
    action: str = ""
    changed: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    photograph_id: int | None = None

    def error(self, column: str, message: str) -> RowResult:
        self.action = ERROR
        self.errors.append({"column": column, "message": message})
        return self


@dataclass
class CsvReport:
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{"row": r.row, **e} for r in self.rows for e in r.errors]

    @property
    def counts(self) -> dict[str, int]:
        counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0, ERROR: 0}
        for r in self.rows:
            counts[r.action] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run, "counts": self.counts, "rows": [asdict(r) for r in self.rows],
            "errors": self.errors, "warnings": self.warnings,
        }


@dataclass
class _ParsedCsv:
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    warnings: list[dict[str, Any]]


def _read_bytes(csv_file) -> bytes:
    if isinstance(csv_file, (bytes, bytearray)):
        return bytes(csv_file)
    csv_file.seek(0)
    data = csv_file.read()
    csv_file.seek(0)
    return data.encode() if isinstance(data, str) else data


def csv_parse(csv_file) -> _ParsedCsv:
    """Read and check the header; every problem with the file as a whole is a ValidationError."""
    try:
        text = _read_bytes(csv_file).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"csv_file": "The CSV must be UTF-8 text (save it as 'CSV UTF-8')."}) from None
    if not text.strip():
        raise ValidationError({"csv_file": "The CSV is empty."})
    # Spreadsheets in some locales write ";" or tabs; the header tells which (quoting stays Excel's).
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    records = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    header = next(records)
    columns: list[str] = []
    warnings: list[dict[str, Any]] = []
    for name in header:
        canonical = ALIASES.get(name.strip().lower(), "")
        if not canonical:
            warnings.append({"row": 1, "column": name, "message": "Unknown column, ignored."})
        elif canonical in columns:
            raise ValidationError({"csv_file": f'The column "{name}" appears twice (as {canonical}).'})
        columns.append(canonical)
    if "dc:identifier" not in columns:
        raise ValidationError({"csv_file": "The CSV needs a dc:identifier column."})
    rows = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {column: spreadsheet_unescape(cell) for column, cell in zip(columns, record) if column and column not in READ_ONLY_COLUMNS}
        if len(record) > len(columns):
            cells["__extra__"] = "yes"
        rows.append((number, cells))
    return _ParsedCsv(columns=columns, rows=rows, warnings=warnings)


class _FileSource:
    """Finds the file named in a row: inside the ZIP, or as a path under the import folder."""

    def __init__(self, *, zip_file, root: Path):
        self.root = Path(root).resolve()
        self.zip = None
        self.members: dict[str, list[zipfile.ZipInfo]] = {}
        if zip_file is not None:
            try:
                self.zip = zipfile.ZipFile(zip_file)
            except zipfile.BadZipFile:
                raise ValidationError({"zip_file": "The ZIP file cannot be read."}) from None
            for info in self.zip.infolist():
                if info.is_dir() or info.filename.startswith("__MACOSX/"):
                    continue
                path = PurePosixPath(info.filename)
                self.members.setdefault(str(path).lower(), []).append(info)
                if len(path.parts) > 1:
                    self.members.setdefault(path.name.lower(), []).append(info)

    def open(self, name: str) -> IO[bytes]:
        """A seekable binary file for `name`; raises ValueError with a message for the report."""
        name = name.strip()
        if self.zip is not None:
            found = self.members.get(str(PurePosixPath(name.lstrip("./"))).lower(), [])
            if not found:
                raise ValueError(f'"{name}" is not in the ZIP file.')
            if len(found) > 1:
                raise ValueError(f'"{name}" matches several files in the ZIP; give its folder too.')
            info = found[0]
            if info.file_size > settings.INGEST_MAX_BYTES:
                raise ValueError(f'"{name}" is {info.file_size / 1e6:.1f} MB; the limit is {settings.INGEST_MAX_BYTES / 1e6:.1f} MB.')
            spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
            with self.zip.open(info) as member:
                shutil.copyfileobj(member, spool)
            spool.seek(0)
            return spool
        candidate = Path(name)
        path = (candidate if candidate.is_absolute() else self.root / candidate).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f'"{name}" is outside the import folder.')
        if not path.is_file():
            raise ValueError(f'"{name}" was not found in the import folder.')
        return open(path, "rb")

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


class _Importer:
    def __init__(self, *, parsed: _ParsedCsv, collection: Collection | None, user, files: _FileSource, dry_run: bool):
        self.parsed, self.default_collection, self.user, self.files, self.dry_run = parsed, collection, user, files, dry_run
        slugs = {cells.get(COLLECTION_COLUMN, "").strip() for _, cells in parsed.rows} - {""}
        self.collections = {c.slug: c for c in collection_visible_to(user).filter(slug__in=slugs)}
        collection_ids = {c.pk for c in self.collections.values()} | ({collection.pk} if collection else set())
        identifiers = {cells.get("dc:identifier", "").strip() for _, cells in parsed.rows}
        self.existing = {
            (p.collection_id, p.identifier): p
            for p in Photograph.objects.filter(collection_id__in=collection_ids, identifier__in=identifiers)
        }
        self.seen_identifiers: dict[tuple[int, str], int] = {}
        self.seen_files: dict[tuple[int, str], int] = {}

    def row(self, number: int, cells: dict[str, str]) -> RowResult:
        result = RowResult(row=number, identifier=cells.get("dc:identifier", "").strip())
        if cells.pop("__extra__", None):
            return result.error("", "This row has more cells than the header has columns.")
        slug = cells.get(COLLECTION_COLUMN, "").strip()
        collection = self.collections.get(slug) if slug else self.default_collection
        if collection is None:
            message = f'There is no collection "{slug}".' if slug else "No collection: fill the collection column or choose a collection for the import."
            return result.error(COLLECTION_COLUMN, message)
        result.collection = collection.slug
        metadata = {DC_COLUMNS[column]: value for column, value in cells.items() if column in DC_COLUMNS}
        try:
            cleaned = photograph_metadata_clean(metadata)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    result.error(FIELD_COLUMNS.get(name, name), message)
            return result
        key = (collection.pk, cleaned["identifier"])
        if key in self.seen_identifiers:
            return result.error("dc:identifier", f"Row {self.seen_identifiers[key]} already has the identifier {cleaned['identifier']}.")
        self.seen_identifiers[key] = number
        existing = self.existing.get(key)
        if existing is not None:
            return self._update(result, existing, metadata, cleaned)
        return self._create(result, collection, cells.get(FILE_COLUMN, "").strip(), metadata, cleaned)

    def _update(self, result: RowResult, photograph: Photograph, metadata: dict, cleaned: dict) -> RowResult:
        result.photograph_id = photograph.pk
        changed = list(photograph_metadata_diff(photograph, cleaned))
        result.action, result.changed = (UPDATE, changed) if changed else (UNCHANGED, [])
        if changed and not self.dry_run:
            photograph_update(photograph=photograph, data={name: metadata[name] for name in changed}, user=self.user, source=MetadataChange.Source.CSV)
        return result

    def _create(self, result: RowResult, collection: Collection, filename: str, metadata: dict, cleaned: dict) -> RowResult:
        if not filename:
            return result.error(FILE_COLUMN, "A new photograph needs a file.")
        try:
            handle = self.files.open(filename)
        except ValueError as exc:
            return result.error(FILE_COLUMN, str(exc))
        with handle:
            try:
                if self.dry_run:
                    inspection = photograph_ingest_check(collection=collection, file=handle, filename=filename, identifier=cleaned["identifier"])
                    first = self.seen_files.setdefault((collection.pk, inspection.sha256), result.row)
                    if first != result.row:
                        return result.error(FILE_COLUMN, f"Row {first} already brings the same file.")
                else:
                    photograph = photograph_ingest(
                        collection=collection, file=handle, filename=PurePosixPath(filename).name,
                        metadata=metadata, user=self.user, source=MetadataChange.Source.CSV,
                    ).photograph
                    result.photograph_id = photograph.pk
            except IngestRefused as exc:
                return result.error(FILE_COLUMN, exc.message)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    for message in messages:
                        result.error(FIELD_COLUMNS.get(name, name), message)
                return result
        result.action = CREATE
        return result


def _execute(*, csv_file, zip_file, collection, user, dry_run: bool, file_root: Path | None, progress: Progress | None) -> CsvReport:
    parsed = csv_parse(csv_file)
    files = _FileSource(zip_file=zip_file, root=file_root or settings.IMPORT_ROOT)
    report = CsvReport(dry_run=dry_run, warnings=parsed.warnings)
    try:
        importer = _Importer(parsed=parsed, collection=collection, user=user, files=files, dry_run=dry_run)
        total = len(parsed.rows)
        for done, (number, cells) in enumerate(parsed.rows, start=1):
            if dry_run:
                report.rows.append(importer.row(number, cells))
            else:
                try:
                    with transaction.atomic():
                        result = importer.row(number, cells)
                except Exception as exc:  # one bad row must not stop the others; it is reported
                    logger.exception("CSV row %s failed", number)
                    result = RowResult(row=number, identifier=cells.get("dc:identifier", "")).error("", f"Unexpected error: {exc}")
                report.rows.append(result)
            if progress:
                progress(done, total)
    finally:
        files.close()
    return report


def csv_import_plan(*, csv_file, zip_file=None, collection: Collection | None = None, user, file_root: Path | None = None) -> CsvReport:
    """Dry run: what each row would do and every error by row and column. Writes nothing."""
    return _execute(csv_file=csv_file, zip_file=zip_file, collection=collection, user=user, dry_run=True, file_root=file_root, progress=None)


@transaction.atomic
def csv_import_start(*, csv_file, zip_file=None, collection: Collection | None = None, user, enqueue: bool = True) -> CsvImport:
    """Store the files and a queued CsvImport; its job is enqueued on commit. A file that is
    not a usable CSV is refused at once (ValidationError) rather than failing in the job."""
    parsed = csv_parse(csv_file)
    if zip_file is not None and not zipfile.is_zipfile(zip_file):
        raise ValidationError({"zip_file": "The ZIP file cannot be read."})
    csv_import = CsvImport(
        collection=collection, total_rows=len(parsed.rows),
        max_attempts=1 + settings.RQ_QUEUE_SETTINGS[CsvImport.queue_name]["retries"],
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    csv_import.csv_file.save(Path(getattr(csv_file, "name", "") or "import.csv").name, _as_file(csv_file), save=False)
    if zip_file is not None:
        csv_import.zip_file.save(Path(getattr(zip_file, "name", "") or "files.zip").name, _as_file(zip_file), save=False)
    csv_import.save()
    if enqueue:
        # The job id is on the row before the enqueue, so reconcile also finds an import
        # whose enqueue failed after commit.
        csv_import.job_id = f"csv-import-{csv_import.pk}"
        csv_import.save(update_fields=["job_id"])
        job_enqueue_on_commit(csv_import)
    return csv_import


def _as_file(handle) -> File:
    handle.seek(0)
    return handle if isinstance(handle, File) else File(handle)


def csv_import_run(*, csv_import_id: int, progress: Progress | None = None, file_root: Path | None = None) -> CsvImport:
    """Run a queued import (the job calls this, or `import_photos` in the foreground).
    Idempotent: a finished import is returned as it is; a run interrupted midway can run
    again (rows done become "unchanged")."""
    started = attempt_start(CsvImport, csv_import_id)
    if started is None:
        return CsvImport.objects.get(pk=csv_import_id)
    csv_import, attempt = started

    def record_progress(done: int, total: int) -> None:
        if done % 10 == 0 or done == total:
            attempt.update(processed_rows=done, total_rows=total)
        if progress:
            progress(done, total)

    try:
        with attempt.heartbeating(), csv_import.csv_file.open("rb") as csv_handle:
            zip_handle = csv_import.zip_file.open("rb") if csv_import.zip_file else None
            try:
                report = _execute(
                    csv_file=csv_handle, zip_file=zip_handle, collection=csv_import.collection, user=csv_import.created_by,
                    dry_run=False, file_root=file_root, progress=record_progress,
                )
            finally:
                if zip_handle is not None:
                    zip_handle.close()
    except ValidationError as exc:
        attempt.end(CsvImport.Status.FAILED, error=" ".join(exc.messages))
        return CsvImport.objects.get(pk=csv_import_id)
    except Exception as exc:
        attempt.end(CsvImport.Status.FAILED, error=f"Unexpected error: {exc}")
        raise
    counts = report.counts
    finished = attempt.end(
        CsvImport.Status.SUCCEEDED, report=report.as_dict(), total_rows=len(report.rows),
        processed_rows=len(report.rows), created_count=counts[CREATE], updated_count=counts[UPDATE],
        unchanged_count=counts[UNCHANGED], error_count=counts[ERROR],
    )
    # The report as built (a row read back would have jsonb's key order), unless this attempt lost the row.
    return finished or CsvImport.objects.get(pk=csv_import_id)


def csv_report_write(*, report: dict[str, Any], out: IO[str]) -> None:
    """A report (CsvReport.as_dict() or CsvImport.report) as CSV: one line per row, plus
    one more line for each further error of that row."""
    writer = SafeWriter(out)
    writer.writerow(["row", "action", "identifier", "collection", "photograph_id", "column", "message"])
    for warning in report.get("warnings", []):
        writer.writerow([warning["row"], "warning", "", "", "", warning["column"], warning["message"]])
    for row in report.get("rows", []):
        errors = row["errors"] or [{"column": "", "message": ", ".join(row.get("changed", []))}]
        for error in errors:
            writer.writerow([row["row"], row["action"], row["identifier"], row["collection"], row["photograph_id"] or "", error["column"], error["message"]])
