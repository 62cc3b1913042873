"""Admin for the archive. Writes go through the services: new photographs through ingest,
metadata edits through photograph_update (so history is kept), publishing through
collection_publish."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.forms import SimpleArrayField
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import format_html

from archive_site.admin_actions import ReadOnlyAdmin

from . import services
from .models import Collection, CsvImport, MetadataChange, Photograph, Tombstone
from .services import IngestRefused
from .services.collections import COLLECTION_EDITABLE_FIELDS
from .services.metadata import EDITABLE_FIELDS, photograph_metadata_clean

SOURCE = MetadataChange.Source.ADMIN


class MetadataChangeInline(admin.TabularInline):
    model = MetadataChange
    fields = ["changed_at", "user", "field", "old_value", "new_value", "source"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-changed_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "parent", "is_published", "updated_at"]
    list_filter = ["is_published"]
    search_fields = ["title", "slug", "description"]
    fields = ["title", "slug", "description", "parent", "is_published", "path", "created_by", "created_at", "updated_at"]
    readonly_fields = ["path", "created_by", "created_at", "updated_at"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["parent"]
    inlines = [MetadataChangeInline]
    actions = ["publish", "unpublish"]
    ordering = ["path"]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in COLLECTION_EDITABLE_FIELDS if name in form.cleaned_data}
        if change:
            changed = {k: v for k, v in data.items() if k in form.changed_data}
            services.collection_update(collection=Collection.objects.get(pk=obj.pk), data=changed, user=request.user, source=SOURCE)
            obj.refresh_from_db()
        else:
            created = services.collection_create(user=request.user, **data)
            obj.pk, obj.path = created.pk, created.path

    def delete_model(self, request, obj):
        services.collection_delete(collection=obj, user=request.user)

    @admin.action(description="Publish the selected collections", permissions=["change"])
    def publish(self, request, queryset):
        self._publish(request, queryset, True)

    @admin.action(description="Unpublish the selected collections", permissions=["change"])
    def unpublish(self, request, queryset):
        self._publish(request, queryset, False)

    def _publish(self, request, queryset, is_published: bool) -> None:
        with transaction.atomic():
            for collection in queryset:
                services.collection_publish(collection=collection, is_published=is_published, user=request.user, source=SOURCE)
        self.message_user(request, f"{queryset.count()} collection(s) {'published' if is_published else 'unpublished'}.", messages.SUCCESS)


class _MetadataValidation:
    """Runs the services' metadata rules in clean(), so a bad date or a taken identifier is
    a form error, not a failed save."""

    def _validate_metadata(self, cleaned: dict, *, collection, exclude_pk=None) -> None:
        data = {name: cleaned[name] for name in EDITABLE_FIELDS if name in cleaned and name in self.changed_data}
        try:
            photograph_metadata_clean(data)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        identifier = cleaned.get("identifier")
        if identifier and collection is not None and "identifier" in self.changed_data:
            if Photograph.objects.filter(collection=collection, identifier=identifier).exclude(pk=exclude_pk).exists():
                self.add_error("identifier", f"The identifier {identifier} is already used in this collection.")


class PhotographAddForm(_MetadataValidation, forms.ModelForm):
    """A new photograph is a master file plus metadata; ingest validates and stores it."""

    upload = forms.FileField(label="Master file", help_text="JPEG, PNG, TIFF (8 or 16 bit) or WebP.")

    class Meta:
        model = Photograph
        fields = ["collection", *EDITABLE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identifier"].required = False
        self.fields["identifier"].help_text = "Defaults to the file name without extension."

    def clean(self):
        cleaned = super().clean()
        upload, collection = cleaned.get("upload"), cleaned.get("collection")
        self._validate_metadata(cleaned, collection=collection)
        if upload and collection:
            try:
                services.photograph_ingest_check(collection=collection, file=upload, filename=upload.name, identifier=cleaned.get("identifier") or "")
            except IngestRefused as exc:
                self.add_error("upload", exc.message)
        return cleaned

    def _post_clean(self):
        # Model validation would demand the master and fixity fields that ingest fills in.
        pass


class PhotographChangeForm(_MetadataValidation, forms.ModelForm):
    class Meta:
        model = Photograph
        fields = list(EDITABLE_FIELDS)

    def clean(self):
        cleaned = super().clean()
        self._validate_metadata(cleaned, collection=self.instance.collection, exclude_pk=self.instance.pk)
        return cleaned


@admin.register(Photograph)
class PhotographAdmin(admin.ModelAdmin):
    list_display = ["identifier", "title", "collection", "date", "is_grayscale", "has_approved_colorization", "derivatives_status", "thumbnail_preview"]
    list_filter = ["collection", "is_grayscale", "has_approved_colorization", "derivatives_status", "rights_uri"]
    search_fields = ["identifier", "title", "creator", "place", "description", "sha256"]
    list_select_related = ["collection"]
    autocomplete_fields = ["collection"]
    inlines = [MetadataChangeInline]
    readonly_fields = [
        "collection", "master", "original_filename", "sha256", "file_size", "width", "height", "mode", "bit_depth",
        "is_grayscale", "thumbnail_preview", "display", "thumbnail", "derivatives_status", "derivatives_error",
        "date_lower", "date_upper", "has_approved_colorization", "created_by", "created_at", "updated_at",
    ]
    fieldsets = [
        ("Dublin Core", {"fields": [
            "collection", "identifier", "title", "creator", "date", ("date_lower", "date_upper"), "description", "subjects",
            "place", "source", "language", "format", "rights_uri", "rights_note", "extra_metadata",
        ]}),
        ("Master and fixity", {"fields": ["master", "original_filename", "sha256", "file_size", ("width", "height"), ("mode", "bit_depth"), "is_grayscale"]}),
        ("Derivatives", {"fields": ["thumbnail_preview", "derivatives_status", "derivatives_error", "display", "thumbnail"]}),
        ("Record", {"fields": ["has_approved_colorization", "created_by", "created_at", "updated_at"]}),
    ]
    actions = ["rebuild_derivatives"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = PhotographAddForm if obj is None else PhotographChangeForm
        return super().get_form(request, obj, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "subjects":
            # Terms may contain commas ("Ships, sailing"); "|" separates them, as in CSV.
            return SimpleArrayField(forms.CharField(max_length=200), delimiter="|", required=False, help_text="Terms separated by “|”.")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["upload", "collection", "identifier", *[f for f in EDITABLE_FIELDS if f != "identifier"]]})]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.changed_data}
            services.photograph_update(photograph=Photograph.objects.get(pk=obj.pk), data=data, user=request.user, source=SOURCE)
            obj.refresh_from_db()
            return
        metadata = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if form.cleaned_data.get(name) not in (None, "", [], {})}
        upload = form.cleaned_data["upload"]
        photograph = services.photograph_ingest(
            collection=form.cleaned_data["collection"], file=upload, filename=upload.name, metadata=metadata, user=request.user, source=SOURCE,
        ).photograph
        obj.pk = photograph.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.photograph_delete(photograph=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for photograph in queryset:
            services.photograph_delete(photograph=photograph, user=request.user)

    @admin.display(description="Thumbnail")
    def thumbnail_preview(self, obj):
        if not obj.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="" style="max-height:64px">', obj.media_url("thumbnail"))

    @admin.action(description="Rebuild derivatives", permissions=["change"])
    def rebuild_derivatives(self, request, queryset):
        count = services.photographs_rebuild_derivatives(photograph_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Derivatives queued for {count} photograph(s).", messages.SUCCESS)


@admin.register(MetadataChange)
class MetadataChangeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["changed_at", "photograph", "collection", "field", "user", "source"]
    list_filter = ["source", "field"]
    search_fields = ["photograph__identifier", "collection__slug", "field", "old_value", "new_value", "user__username"]
    list_select_related = ["photograph", "collection", "user"]
    readonly_fields = ["photograph", "collection", "user", "changed_at", "field", "old_value", "new_value", "source"]


@admin.register(Tombstone)
class TombstoneAdmin(admin.ModelAdmin):
    """Read-only: tombstones are written by the collection and photograph services."""

    list_display = ["datestamp", "photograph_id", "identifier", "set_spec", "reason"]
    list_filter = ["reason"]
    search_fields = ["identifier", "set_spec"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CsvImport)
class CsvImportAdmin(admin.ModelAdmin):
    list_display = ["pk", "collection", "status", "processed_rows", "total_rows", "created_count", "updated_count", "error_count", "created_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["collection", "created_by"]
    readonly_fields = [
        "collection", "csv_file", "zip_file", "status", "total_rows", "processed_rows", "created_count", "updated_count",
        "unchanged_count", "error_count", "error", "report", "job_id", "attempts", "max_attempts", "created_by", "created_at", "started_at", "finished_at",
    ]

    def has_add_permission(self, request):
        return False  # imports start from the portal or the API, which offer the dry run first

    def has_change_permission(self, request, obj=None):
        return False
