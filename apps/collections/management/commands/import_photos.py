"""Import a folder of scans or a CSV into a collection, with a progress bar."""
from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.collections import services
from apps.collections.models import Collection, MetadataChange
from apps.collections.services import IngestRefused

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}


class Command(BaseCommand):
    help = (
        "Import every image of a folder (identifier = file name without extension), or a CSV with "
        "Dublin Core columns (files named in its file column, relative to --files-root, by default the CSV's folder)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="A folder of images or a .csv file.")
        parser.add_argument("--collection", required=True, help="Slug of the collection (for CSV: rows without a collection column).")
        parser.add_argument("--user", help="Username recorded as creator and in the history.")
        parser.add_argument("--files-root", type=Path, help="CSV only: folder the file column is relative to.")
        parser.add_argument("--dry-run", action="store_true", help="CSV only: report what would happen, write nothing.")

    def handle(self, *args, path: Path, collection: str, user: str | None, files_root: Path | None, dry_run: bool, **options):
        target = Collection.objects.filter(slug=collection).first()
        if target is None:
            raise CommandError(f"No collection with slug {collection!r}.")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user {user!r}.")
        if path.is_dir():
            return self._folder(path, target, actor)
        if path.suffix.lower() == ".csv" and path.is_file():
            return self._csv(path, target, actor, files_root or path.parent, dry_run)
        raise CommandError(f"{path} is neither a folder nor a .csv file.")

    def _folder(self, folder: Path, collection: Collection, user) -> None:
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        stored = refused = 0
        for path in tqdm(files, desc="ingest", unit="file", file=self.stderr):
            with open(path, "rb") as handle:
                try:
                    services.photograph_ingest(
                        collection=collection, file=handle, filename=path.name, user=user, source=MetadataChange.Source.COMMAND,
                    )
                    stored += 1
                except (IngestRefused, ValidationError) as exc:
                    refused += 1
                    message = exc.message if isinstance(exc, IngestRefused) else "; ".join(exc.messages)
                    self.stdout.write(f"refused {path.relative_to(folder)}: {message}")
        self.stdout.write(self.style.SUCCESS(f"{stored} stored, {refused} refused, of {len(files)} image files."))

    def _csv(self, path: Path, collection: Collection, user, files_root: Path, dry_run: bool) -> None:
        try:
            with open(path, "rb") as handle:
                if dry_run:
                    report = services.csv_import_plan(csv_file=handle, collection=collection, user=user, file_root=files_root).as_dict()
                else:
                    csv_import = services.csv_import_start(csv_file=handle, collection=collection, user=user, enqueue=False)
                    with tqdm(total=csv_import.total_rows, desc="import", unit="row", file=self.stderr) as bar:
                        csv_import = services.csv_import_run(
                            csv_import_id=csv_import.pk, file_root=files_root,
                            progress=lambda done, total: bar.update(done - bar.n),
                        )
                    if csv_import.status != csv_import.Status.SUCCEEDED:
                        raise CommandError(csv_import.error)
                    report = csv_import.report
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        for error in report["errors"]:
            self.stdout.write(f"row {error['row']}, {error['column'] or '-'}: {error['message']}")
        counts = ", ".join(f"{n} {action}" for action, n in report["counts"].items())
        self.stdout.write(self.style.SUCCESS(("Dry run: " if dry_run else "") + counts + "."))
