"""Admin for the colorist's workflow. Changes of state go through the services (re-run, cancel,
approve, reject), so the admin obeys the same rules as the portal and the API."""
from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from archive_site.admin_actions import for_each_selected

from . import services
from .models import Annotation, ColorizationBatch, ColorizationRequest, ReviewEvent, Variant


class VariantInline(admin.TabularInline):
    model = Variant
    fields = ["seed", "review_state", "width", "height", "image", "metrics"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


def _each(modeladmin, request, queryset, call, done: str) -> None:
    for_each_selected(modeladmin, request, queryset, call, done, refusals=(ValidationError, services.ColorizationRefused))


@admin.register(ColorizationRequest)
class ColorizationRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "photograph", "model_version", "status", "progress_percent", "attempts", "requested_by", "requested_at", "finished_at"]
    list_filter = ["status", "model_version", "queue_name", "photograph__collection"]
    search_fields = ["photograph__identifier", "photograph__title", "job_id", "error"]
    date_hierarchy = "requested_at"
    list_select_related = ["photograph", "model_version", "requested_by"]
    readonly_fields = [
        "photograph", "model_version", "seeds", "working_size", "params", "fingerprint", "status", "progress", "stage", "error",
        "queue_name", "job_id", "attempts", "max_attempts", "timeout", "cancel_requested", "timings", "requested_by",
        "requested_at", "queued_at", "started_at", "heartbeat_at", "finished_at", "batch",
    ]
    inlines = [VariantInline]
    actions = ["rerun", "cancel"]

    def has_add_permission(self, request):
        return False  # requests are made in the portal or the API, where they are validated and enqueued

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, obj) -> str:
        return f"{round(obj.progress * 100)} %"

    @admin.action(description="Re-run the selected failed or cancelled requests", permissions=["change"])
    def rerun(self, request, queryset):
        _each(self, request, queryset, lambda obj: services.colorization_request_rerun(colorization_request=obj, user=request.user), "Queued again")

    @admin.action(description="Cancel the selected requests", permissions=["change"])
    def cancel(self, request, queryset):
        _each(self, request, queryset, lambda obj: services.colorization_request_cancel(colorization_request=obj, user=request.user), "Cancelled (or asked to stop)")


@admin.register(ColorizationBatch)
class ColorizationBatchAdmin(admin.ModelAdmin):
    """Batches are made in the portal or the API; here they are read (their page shows the progress)."""

    list_display = ["id", "label", "request_count", "requested_by", "requested_at"]
    search_fields = ["label"]
    date_hierarchy = "requested_at"
    list_select_related = ["requested_by"]
    readonly_fields = ["label", "refused", "requested_by", "requested_at", "progress_page"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(request_total=Count("requests"))

    @admin.display(description="requests", ordering="request_total")
    def request_count(self, obj) -> int:
        return obj.request_total

    @admin.display(description="progress")
    def progress_page(self, obj) -> str:
        return format_html('<a href="{}">the batch\'s page</a>', reverse("colorize:batch", args=[obj.pk]))


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["id", "thumbnail_preview", "photograph", "seed", "review_state", "model_version", "reviewed_by", "created_at"]
    list_filter = ["review_state", "request__model_version", "photograph__collection"]
    search_fields = ["photograph__identifier", "photograph__title", "seed"]
    list_select_related = ["photograph", "request__model_version", "reviewed_by"]
    readonly_fields = [
        "request", "photograph", "seed", "image", "image_sha256", "thumbnail", "width", "height", "provenance", "metrics",
        "review_state", "reviewed_by", "reviewed_at", "created_at",
    ]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="model version")
    def model_version(self, obj):
        return obj.request.model_version

    @admin.display(description="")
    def thumbnail_preview(self, obj):
        return format_html('<img src="{}" alt="" style="height:48px">', reverse("variant-media", args=[obj.pk, "thumbnail"]))

    @admin.action(description="Approve the selected variants (one per photograph)", permissions=["review"])
    def approve(self, request, queryset):
        _each(self, request, queryset, lambda obj: services.variant_approve(variant=obj, user=request.user), "Approved")

    @admin.action(description="Reject the selected variants", permissions=["review"])
    def reject(self, request, queryset):
        _each(self, request, queryset, lambda obj: services.variant_reject(variant=obj, user=request.user), "Rejected")

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("colorize.review_variant")


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["id", "variant", "author", "short_text", "has_region", "created_at"]
    list_filter = ["variant__photograph__collection"]
    search_fields = ["text", "author__username"]
    list_select_related = ["variant", "author"]
    readonly_fields = ["variant", "author", "created_at"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="text")
    def short_text(self, obj) -> str:
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"

    @admin.display(description="region", boolean=True)
    def has_region(self, obj) -> bool:
        return obj.region is not None


@admin.register(ReviewEvent)
class ReviewEventAdmin(admin.ModelAdmin):
    list_display = ["id", "variant", "action", "from_state", "to_state", "actor", "created_at"]
    list_filter = ["action"]
    list_select_related = ["variant", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the history is written by the review services only

    def has_delete_permission(self, request, obj=None):
        return False
