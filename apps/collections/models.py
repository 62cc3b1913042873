"""The archive's records: collections (nested), photographs with Dublin Core metadata and
their master files, the history of metadata edits and CSV import jobs.

Rules that are not visible in the fields:
- `Collection.path` is a materialised path of primary keys ("/1/5/12/"), maintained by the
  collection services; "collection with descendants" is `path__startswith`.
- `Photograph.search_vector` is written by a database trigger (migration 0001), so it is
  current after every write path: `save()`, `bulk_create()`, `QuerySet.update()`, raw SQL.
- `date_lower`/`date_upper` are derived from the EDTF `date` by `services.metadata`.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField, DateRangeField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Case, F, Func, Q, Value, When
from django.urls import reverse
from rq import Retry

from archive_site.jobrows import JobRow


class RightsStatement(models.TextChoices):
    """The twelve RightsStatements.org statements plus the two Creative Commons public-domain tools."""

    IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/", "In Copyright"
    IN_COPYRIGHT_ORPHAN_EU = "http://rightsstatements.org/vocab/InC-OW-EU/1.0/", "In Copyright - EU Orphan Work"
    IN_COPYRIGHT_EDUCATIONAL = "http://rightsstatements.org/vocab/InC-EDU/1.0/", "In Copyright - Educational Use Permitted"
    IN_COPYRIGHT_NON_COMMERCIAL = "http://rightsstatements.org/vocab/InC-NC/1.0/", "In Copyright - Non-Commercial Use Permitted"
    IN_COPYRIGHT_UNIDENTIFIABLE = "http://rightsstatements.org/vocab/InC-RUU/1.0/", "In Copyright - Rights-holder(s) Unlocatable or Unidentifiable"
    NO_COPYRIGHT_CONTRACTUAL = "http://rightsstatements.org/vocab/NoC-CR/1.0/", "No Copyright - Contractual Restrictions"
    NO_COPYRIGHT_NON_COMMERCIAL = "http://rightsstatements.org/vocab/NoC-NC/1.0/", "No Copyright - Non-Commercial Use Only"
    NO_COPYRIGHT_OTHER_LEGAL = "http://rightsstatements.org/vocab/NoC-OKLR/1.0/", "No Copyright - Other Known Legal Restrictions"
    NO_COPYRIGHT_US = "http://rightsstatements.org/vocab/NoC-US/1.0/", "No Copyright - United States"
    COPYRIGHT_NOT_EVALUATED = "http://rightsstatements.org/vocab/CNE/1.0/", "Copyright Not Evaluated"
    COPYRIGHT_UNDETERMINED = "http://rightsstatements.org/vocab/UND/1.0/", "Copyright Undetermined"
    NO_KNOWN_COPYRIGHT = "http://rightsstatements.org/vocab/NKC/1.0/", "No Known Copyright"
    CC0 = "https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0 Universal (Public Domain Dedication)"
    PUBLIC_DOMAIN_MARK = "https://creativecommons.org/publicdomain/mark/1.0/", "Public Domain Mark 1.0"


class Collection(models.Model):
    """A fonds, series, file… of photographs. Nested through `parent`; public only while it
    and every ancestor are published (see selectors.collection_visible_to)."""

    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # "/<root id>/…/<own id>/", kept by services.collections; indexed for prefix (descendant) queries.
    path = models.CharField(max_length=1000, editable=False, db_index=True, default="")
    is_published = models.BooleanField(default=False, db_index=True)
    embargo_until = models.DateField(
        null=True, blank=True, help_text="Until this day the public gets the metadata only of its photographs (and its descendants').",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        permissions = [("view_unpublished", "Can see unpublished collections and their photographs")]
        indexes = [models.Index(fields=["path"], name="collections_path_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.title

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    @property
    def ancestor_ids(self) -> list[int]:
        """Primary keys from the root down to the parent (empty for a root)."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    def descendants(self, *, include_self: bool = True) -> models.QuerySet[Collection]:
        queryset = Collection.objects.filter(path__startswith=self.path)
        return queryset if include_self else queryset.exclude(pk=self.pk)


class Photograph(models.Model):
    """One catalogued photograph: Dublin Core metadata, the untouched master scan and its
    fixity, technical facts read at ingest, derivatives and the full-text vector."""

    class DerivativesStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="photographs")
    identifier = models.CharField(max_length=120, help_text="Accession number, unique within the collection (dc:identifier).")

    # Dublin Core
    title = models.CharField(max_length=500, blank=True)
    creator = models.CharField(max_length=255, blank=True)
    date = models.CharField(max_length=100, blank=True, help_text="EDTF, e.g. 1920~ (circa 1920), 192X, 1914/1918.")
    date_lower = models.DateField(null=True, blank=True, editable=False)
    date_upper = models.DateField(null=True, blank=True, editable=False)
    # [date_lower, date_upper] for overlap queries on a GiST index; open ends are unbounded,
    # an undated photograph has no range (NULL) and so matches no date filter.
    date_range = models.GeneratedField(
        expression=Case(
            When(date_lower__isnull=True, date_upper__isnull=True, then=Value(None)),
            default=Func(F("date_lower"), F("date_upper"), Value("[]"), function="daterange"),
            output_field=DateRangeField(),
        ),
        output_field=DateRangeField(),
        db_persist=True,
    )
    description = models.TextField(blank=True)
    subjects = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    place = models.CharField(max_length=255, blank=True, help_text="Spatial coverage (dc:coverage).")
    source = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=50, blank=True)
    format = models.CharField(max_length=100, blank=True, help_text="dc:format; the master's MIME type unless given.")
    rights_uri = models.CharField(max_length=120, choices=RightsStatement.choices, default=RightsStatement.COPYRIGHT_NOT_EVALUATED)
    rights_note = models.TextField(blank=True)
    embargo_until = models.DateField(null=True, blank=True, help_text="Until this day the public gets the metadata only.")
    extra_metadata = models.JSONField(default=dict, blank=True, help_text="Anything else; EXIF under 'exif'.")

    # The master and its fixity: written once by the ingest service, never modified.
    master = models.FileField(upload_to="masters/", max_length=255)
    original_filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    file_size = models.BigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    mode = models.CharField(max_length=16, help_text="Pillow mode, e.g. L, RGB, I;16.")
    bit_depth = models.PositiveSmallIntegerField(help_text="Bits per channel.")
    is_grayscale = models.BooleanField(db_index=True)

    # Derivatives, built by jobs.build_derivatives on the default queue.
    thumbnail = models.ImageField(upload_to="derivatives/", max_length=255, null=True, blank=True)
    display = models.ImageField(upload_to="derivatives/", max_length=255, null=True, blank=True)
    derivatives_status = models.CharField(max_length=10, choices=DerivativesStatus.choices, default=DerivativesStatus.PENDING)
    derivatives_error = models.TextField(blank=True)

    # Maintained by the colorize app when a variant is approved or the approval withdrawn.
    has_approved_colorization = models.BooleanField(default=False, db_index=True)

    # Written by the trigger collections_photograph_search_vector (migration 0001).
    search_vector = SearchVectorField(null=True, editable=False)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["collection_id", "identifier"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "identifier"], name="collections_photograph_identifier_unique"),
            models.UniqueConstraint(fields=["collection", "sha256"], name="collections_photograph_sha256_unique"),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="collections_photo_search_gin"),
            GinIndex(fields=["subjects"], name="collections_photo_subjects_gin"),
            models.Index(fields=["date_lower", "date_upper"], name="collections_photo_dates"),
            GistIndex(fields=["date_range"], name="collections_photo_date_range"),
            models.Index(fields=["date_upper"], name="collections_photo_date_upper"),
            models.Index(fields=["rights_uri"], name="collections_photo_rights"),
            models.Index(fields=["collection", "created_at"], name="collections_photo_coll_created"),
            # Browsing a collection with its descendants in identifier order (the portal's default).
            models.Index(fields=["identifier", "id"], name="collections_photo_identifier"),
            # Harvesting in change order (OAI-PMH keyset, modified_since).
            models.Index(fields=["updated_at", "id"], name="collections_photo_changes"),
        ]

    def __str__(self) -> str:
        return f"{self.identifier}: {self.title}" if self.title else self.identifier

    @property
    def display_title(self) -> str:
        return self.title or self.identifier

    def media_url(self, kind: str) -> str:
        """URL of the access-checked file view for `master`, `display` or `thumbnail`."""
        return reverse("photograph-media", kwargs={"pk": self.pk, "kind": kind})


class Tombstone(models.Model):
    """What remains of a photograph the public could see once it no longer can: deleted, or
    withdrawn (its collection or an ancestor unpublished, or moved under an unpublished one).
    Harvesters learn of it through OAI-PMH (`<header status="deleted">`) and
    /api/deletions/. Kept for good (OAI `deletedRecord` persistent); removed only when the
    photograph becomes public again. Written by the collection and photograph services."""

    class Reason(models.TextChoices):
        DELETED = "deleted", "Deleted"
        WITHDRAWN = "withdrawn", "Withdrawn from public view"

    photograph_id = models.BigIntegerField(unique=True, help_text="The photograph's id (the row may be gone).")
    identifier = models.CharField(max_length=120, help_text="Its accession number.")
    collection = models.ForeignKey(Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    set_spec = models.CharField(max_length=1000, help_text="Its OAI-PMH set when it was last public (parent:child slugs).")
    datestamp = models.DateTimeField(help_text="When it left public view.")
    reason = models.CharField(max_length=10, choices=Reason.choices)

    class Meta:
        ordering = ["datestamp", "photograph_id"]
        indexes = [models.Index(fields=["datestamp", "photograph_id"], name="collections_tombstone_keyset")]

    def __str__(self) -> str:
        return f"{self.identifier} ({self.reason} {self.datestamp:%Y-%m-%d})"


class MetadataChange(models.Model):
    """One changed field of a photograph or a collection: who, when, old → new, through what."""

    class Source(models.TextChoices):
        API = "api", "API"
        PORTAL = "portal", "Portal"
        ADMIN = "admin", "Admin"
        CSV = "csv", "CSV import"
        COMMAND = "command", "Management command"
        SYSTEM = "system", "System"

    photograph = models.ForeignKey(Photograph, null=True, blank=True, on_delete=models.CASCADE, related_name="history")
    collection = models.ForeignKey(Collection, null=True, blank=True, on_delete=models.CASCADE, related_name="history")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    field = models.CharField(max_length=64)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(photograph__isnull=False, collection__isnull=True) | Q(photograph__isnull=True, collection__isnull=False),
                name="collections_metadatachange_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value!r} → {self.new_value!r}"


class CsvImport(JobRow):
    """A CSV import run in the background: the uploaded files, progress and the per-row report."""

    JOB_FUNCTION = "apps.collections.jobs.run_csv_import"
    JOB_LABEL = "CSV import"
    SETTINGS_PREFIX = "CSV_IMPORT"
    LOST_HINT = "Rows imported before that stay; importing the same file again reports them unchanged and imports the rest."
    queue_name = "default"

    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="csv_imports",
        help_text="Used for rows without a collection column.",
    )
    csv_file = models.FileField(upload_to="imports/", max_length=255)
    zip_file = models.FileField(upload_to="imports/", max_length=255, null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True, help_text="{'rows': [...], 'errors': [...]}")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"CSV import #{self.pk} ({self.status})"

    def job_options(self) -> dict:
        retries = self.max_attempts - self.attempts - 1
        return {"retry": Retry(max=retries) if retries > 0 else None, "description": f"CSV import {self.pk}"}
