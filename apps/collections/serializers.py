"""API input parsing and output shapes. Input serializers only parse; services validate
the archive's rules (EDTF, rights URIs, duplicates) and their errors come back as 400s."""
from __future__ import annotations

import datetime as dt
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from .models import Collection, CsvImport, MetadataChange, Photograph, RightsStatement, Tombstone
from .selectors import ORDERINGS
from .services import edtf_range_note


class CollectionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    depth = serializers.IntegerField(read_only=True)

    class Meta:
        model = Collection
        fields = ["id", "slug", "title", "description", "parent", "depth", "is_published", "embargo_until", "created_at", "updated_at"]


class CollectionWriteSerializer(serializers.Serializer):
    """Create / partial update of a collection; `parent` is a slug (null for a root)."""

    title = serializers.CharField(max_length=255)
    slug = serializers.CharField(max_length=120, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    parent = serializers.SlugRelatedField(slug_field="slug", queryset=Collection.objects.all(), required=False, allow_null=True)
    is_published = serializers.BooleanField(required=False)
    embargo_until = serializers.DateField(required=False, allow_null=True, help_text="Until this day the public gets the metadata only of its photographs (descendants included).")


class CollectionTreeSerializer(serializers.Serializer):
    slug = serializers.CharField(source="collection.slug")
    title = serializers.CharField(source="collection.title")
    is_published = serializers.BooleanField(source="collection.is_published")
    photograph_count = serializers.IntegerField()
    children = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_children(self, node) -> list:
        return CollectionTreeSerializer(node.children, many=True).data


@extend_schema_field({"type": "object", "properties": {k: {"type": "string", "format": "uri", "nullable": True} for k in ("master", "display", "thumbnail")}})
class PhotographFilesField(serializers.Field):
    """Access-checked URLs of the master and its derivatives (null until built)."""

    def to_representation(self, photograph: Photograph) -> dict:
        request = self.context.get("request")
        urls = {"master": photograph.media_url("master")}
        for kind in ("display", "thumbnail"):
            urls[kind] = photograph.media_url(kind) if getattr(photograph, kind) else None
        return {kind: (request.build_absolute_uri(url) if request and url else url) for kind, url in urls.items()}


class PhotographListSerializer(serializers.ModelSerializer):
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    rights_label = serializers.CharField(source="get_rights_uri_display", read_only=True)
    files = PhotographFilesField(source="*", read_only=True)
    rank = serializers.FloatField(read_only=True, allow_null=True, help_text="Full-text relevance (null without q).")

    class Meta:
        model = Photograph
        fields = [
            "id", "collection", "identifier", "title", "creator", "date", "date_lower", "date_upper", "subjects",
            "place", "rights_uri", "rights_label", "width", "height", "is_grayscale", "has_approved_colorization",
            "derivatives_status", "files", "rank", "created_at", "updated_at",
        ]

    def to_representation(self, instance):
        if not hasattr(instance, "rank"):
            instance.rank = None  # always sent, so the schema can say it is there
        return super().to_representation(instance)


class PhotographSerializer(PhotographListSerializer):
    date_note = serializers.SerializerMethodField(help_text="Why a valid date has no date_lower/date_upper (empty when it has them).")

    class Meta(PhotographListSerializer.Meta):
        fields = [
            *PhotographListSerializer.Meta.fields[:-2],
            "date_note", "description", "source", "language", "format", "rights_note", "embargo_until", "extra_metadata", "original_filename",
            "sha256", "file_size", "mode", "bit_depth", "created_at", "updated_at",
        ]

    def get_date_note(self, photograph) -> str:
        return edtf_range_note(photograph.date)


class _MetadataFields(serializers.Serializer):
    identifier = serializers.CharField(required=False, max_length=120)
    title = serializers.CharField(required=False, allow_blank=True)
    creator = serializers.CharField(required=False, allow_blank=True)
    date = serializers.CharField(required=False, allow_blank=True, help_text="EDTF: 1920-05-03, 1920~, 192X, 1914/1918; 'circa 1920' is accepted.")
    description = serializers.CharField(required=False, allow_blank=True)
    subjects = serializers.ListField(child=serializers.CharField(), required=False, help_text="Subject terms.")
    place = serializers.CharField(required=False, allow_blank=True)
    source = serializers.CharField(required=False, allow_blank=True)
    language = serializers.CharField(required=False, allow_blank=True)
    format = serializers.CharField(required=False, allow_blank=True)
    rights_uri = serializers.ChoiceField(choices=RightsStatement.choices, required=False)
    rights_note = serializers.CharField(required=False, allow_blank=True)
    embargo_until = serializers.DateField(required=False, allow_null=True, help_text="Until this day the public gets the metadata only.")
    extra_metadata = serializers.JSONField(required=False)


class PhotographUpdateSerializer(_MetadataFields):
    """PATCH body: any subset of the metadata fields."""


class PhotographUploadSerializer(_MetadataFields):
    """multipart/form-data: one master file, its collection (slug) and optional metadata
    (the identifier defaults to the file name without extension)."""

    file = serializers.FileField()
    collection = serializers.SlugRelatedField(slug_field="slug", queryset=Collection.objects.all())
    extra_metadata = None  # not over multipart


@extend_schema_field(OpenApiTypes.STR)
class YearOrDateField(serializers.Field):
    """YYYY, YYYY-MM or YYYY-MM-DD."""

    def __init__(self, *, end: bool, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = str(data).strip()
        match = re.fullmatch(r"(\d{1,4})(?:-(\d{2}))?(?:-(\d{2}))?", text)
        if not match:
            raise serializers.ValidationError("Use a year (1920) or a date (1920-05-03).")
        year, month, day = (int(g) if g else None for g in match.groups())
        try:
            if day:
                return dt.date(year, month, day)
            if month:
                if self.end:
                    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
                    return next_month - dt.timedelta(days=1)
                return dt.date(year, month, 1)
            return dt.date(year, 12, 31) if self.end else dt.date(year, 1, 1)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value):
        return str(value)


class PhotographSearchSerializer(serializers.Serializer):
    """Query parameters of the photograph list and its CSV export."""

    q = serializers.CharField(required=False, allow_blank=True, help_text='Full text, web-search syntax: words, "a phrase", -not, or.')
    collection = serializers.CharField(required=False, help_text="Collection slug; its descendants are included.")
    date_from = YearOrDateField(end=False, required=False, help_text="Year or date; photographs whose date range reaches it.")
    date_to = YearOrDateField(end=True, required=False, help_text="Year or date.")
    grayscale = serializers.BooleanField(required=False, allow_null=True, default=None)
    has_approved = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="Has an approved colorization.")
    rights = serializers.MultipleChoiceField(choices=RightsStatement.choices, required=False)
    order = serializers.ChoiceField(choices=list(ORDERINGS), required=False)
    facets = serializers.BooleanField(required=False, default=True, help_text="Include facet counts (list only).")
    modified_since = serializers.DateTimeField(
        required=False, help_text="ISO 8601; photographs whose record changed at or after it (edited, or newly public). "
        "Photographs that left public view since are listed by /api/deletions/.",
    )


class _CollectionFacet(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField(help_text="Photographs in the result in this collection or its descendants.")


class _DecadeFacet(serializers.Serializer):
    decade = serializers.IntegerField(help_text="A decade, e.g. 1920; a photograph counts in every decade its date range covers (\"1920~\": the 1910s and the 1920s).")
    count = serializers.IntegerField()


class _RightsFacet(serializers.Serializer):
    uri = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class PhotographFacetsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    collections = _CollectionFacet(many=True)
    decades = _DecadeFacet(many=True)
    grayscale = serializers.DictField(child=serializers.IntegerField(), help_text='{"grayscale": n, "colour": n}')
    has_approved = serializers.DictField(child=serializers.IntegerField(), help_text='{"yes": n, "no": n}')
    rights = _RightsFacet(many=True)


@extend_schema_serializer(many=False)
class PhotographSearchPageSerializer(serializers.Serializer):
    """The search response: a page of results and, unless facets=false, facet counts."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PhotographListSerializer(many=True)
    facets = PhotographFacetsSerializer(required=False)


class MetadataChangeSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", default=None, read_only=True)

    class Meta:
        model = MetadataChange
        fields = ["id", "field", "old_value", "new_value", "source", "user", "changed_at"]


class CsvImportSerializer(serializers.ModelSerializer):
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    report_url = serializers.SerializerMethodField()
    error_message = serializers.CharField(source="error", read_only=True)  # the API's name, kept (CONTRACT.md)

    class Meta:
        model = CsvImport
        fields = [
            "id", "collection", "status", "total_rows", "processed_rows", "created_count", "updated_count",
            "unchanged_count", "error_count", "error_message", "report", "report_url", "created_by",
            "created_at", "started_at", "finished_at",
        ]

    def get_report_url(self, obj) -> str | None:
        if obj.status != CsvImport.Status.SUCCEEDED:
            return None
        request = self.context.get("request")
        url = f"/api/csv-imports/{obj.pk}/report/"
        return request.build_absolute_uri(url) if request else url


class CsvImportListSerializer(CsvImportSerializer):
    class Meta(CsvImportSerializer.Meta):
        fields = [name for name in CsvImportSerializer.Meta.fields if name != "report"]


class CsvImportCreateSerializer(serializers.Serializer):
    csv_file = serializers.FileField(help_text="UTF-8 CSV with Dublin Core column names (dc:identifier, dc:title, …, collection, file).")
    zip_file = serializers.FileField(required=False, help_text="Files named in the CSV's file column.")
    collection = serializers.SlugRelatedField(slug_field="slug", queryset=Collection.objects.all(), required=False, help_text="For rows without a collection.")
    dry_run = serializers.BooleanField(required=False, default=False)


class CsvReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = serializers.ListField(child=serializers.DictField())
    errors = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.DictField())


class TombstoneSerializer(serializers.ModelSerializer):
    """A photograph that left public view: deleted, or withdrawn (its collection unpublished)."""

    id = serializers.IntegerField(source="photograph_id", help_text="The photograph's id.")
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Tombstone
        fields = ["id", "identifier", "collection", "set_spec", "datestamp", "reason"]


class TombstoneQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="ISO 8601; tombstones written at or after it.")
