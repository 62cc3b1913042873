"""API input parsing and output shapes of the colorist's workflow. Input serializers only
parse; the services check the rules (seeds, sizes, duplicates) and their errors come back
as 400/409."""
from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.mlcore.colorizing import DOWNLOAD_FORMATS
from apps.mlcore.models import ModelVersion

from . import selectors
from .models import Annotation, ColorizationBatch, ColorizationRequest, ReviewEvent, Variant
from .services.requests import DEFAULT_WORKING_SIZE, MAX_SEED


def _absolute(context: dict, url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


def variant_urls(variant: Variant) -> dict:
    """Access-checked file URLs of a variant (relative)."""
    return {
        "image": reverse("variant-media", args=[variant.pk, "image"]),
        "thumbnail": reverse("variant-media", args=[variant.pk, "thumbnail"]),
        "iiif_info": reverse("collections:iiif-info", args=[variant.image_identifier]),
        "downloads": {fmt: reverse("variant-download", args=[variant.pk, fmt]) for fmt in DOWNLOAD_FORMATS},
    }


class ModelVersionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = ["id", "name", "version", "status"]


class ColorizationRequestSerializer(serializers.ModelSerializer):
    """A request with what a waiting client polls for: status, stage, progress, queue position, times."""

    model_version = ModelVersionRefSerializer(read_only=True)
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True, default=None)
    queue_position = serializers.SerializerMethodField(help_text="1 = next; null when not waiting or unknown.")
    waited_seconds = serializers.SerializerMethodField()
    elapsed_seconds = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ColorizationRequest
        fields = [
            "id", "url", "photograph", "model_version", "seeds", "working_size", "params", "status", "stage", "progress",
            "queue_position", "waited_seconds", "elapsed_seconds", "error", "attempts", "max_attempts", "timeout",
            "cancel_requested", "requested_by", "requested_at", "queued_at", "started_at", "finished_at", "timings", "variants",
        ]

    def _status(self, obj: ColorizationRequest) -> selectors.RequestStatus:
        cache = self.context.setdefault("_status", {})
        if obj.pk not in cache:
            cache[obj.pk] = selectors.colorization_request_status(colorization_request=obj)
        return cache[obj.pk]

    def get_queue_position(self, obj) -> int | None:
        return self._status(obj).queue_position

    def get_waited_seconds(self, obj) -> float:
        return round(self._status(obj).waited_seconds, 1)

    def get_elapsed_seconds(self, obj) -> float | None:
        elapsed = self._status(obj).elapsed_seconds
        return None if elapsed is None else round(elapsed, 1)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_variants(self, obj) -> list:
        if obj.status != ColorizationRequest.Status.SUCCEEDED:
            return []
        return [
            {
                "id": v.pk,
                "seed": v.seed,
                "review_state": v.review_state,
                "url": _absolute(self.context, reverse("variants-detail", args=[v.pk])),
                "thumbnail": _absolute(self.context, reverse("variant-media", args=[v.pk, "thumbnail"])),
                "page": _absolute(self.context, reverse("colorize:variant", args=[v.pk])),
            }
            for v in sorted(obj.variants.all(), key=lambda v: v.pk)
        ]

    def get_url(self, obj) -> str:
        return _absolute(self.context, reverse("colorization-requests-detail", args=[obj.pk]))


class ColorizationOptionsSerializer(serializers.Serializer):
    n_variants = serializers.IntegerField(required=False, min_value=1, help_text="Random seeds are chosen (and stored); or give `seeds`.")
    seeds = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=MAX_SEED), required=False, allow_empty=False)
    model_version = serializers.PrimaryKeyRelatedField(queryset=ModelVersion.objects.all(), required=False, allow_null=True, help_text="Default: the active version.")
    working_size = serializers.IntegerField(required=False, default=DEFAULT_WORKING_SIZE, help_text="Short side (px) the chroma is predicted at.")

    def validate(self, data):
        if ("n_variants" in data) == ("seeds" in data):
            raise serializers.ValidationError("Give either n_variants or seeds.")
        return data


class ColorizationRequestCreateSerializer(ColorizationOptionsSerializer):
    photograph = serializers.IntegerField()


class ColorizationBulkCreateSerializer(ColorizationOptionsSerializer):
    collection = serializers.CharField(required=False, help_text="Slug: every visible photograph of it and its sub-collections.")
    q = serializers.CharField(required=False, help_text="A search (as /api/photographs/?q=); combined with `collection` when both are given.")
    grayscale = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate(self, data):
        data = super().validate(data)
        if not data.get("collection") and not data.get("q"):
            raise serializers.ValidationError("Give a collection, a search (q), or both.")
        return data


class RefusedPhotographSerializer(serializers.Serializer):
    photograph = serializers.IntegerField()
    message = serializers.CharField()


class ColorizationBatchSerializer(serializers.ModelSerializer):
    """Requests asked for together, as one: how many are in each status, the whole's progress."""

    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True, default=None, allow_null=True)
    refused = RefusedPhotographSerializer(many=True, read_only=True)
    total = serializers.SerializerMethodField()
    done = serializers.SerializerMethodField(help_text="Requests no longer queued or running.")
    counts = serializers.SerializerMethodField(help_text="Requests per status (every status, zeros included).")
    progress = serializers.SerializerMethodField(help_text="0–1: the mean of the requests' progress, a finished request counting 1.")
    finished = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField(help_text="Variants made so far.")
    url = serializers.SerializerMethodField()
    page = serializers.SerializerMethodField(help_text="The batch's page in the portal.")

    class Meta:
        model = ColorizationBatch
        fields = ["id", "url", "page", "label", "requested_by", "requested_at", "refused", "total", "done", "counts", "progress", "finished", "variants"]

    def _progress(self, obj) -> selectors.BatchProgress:
        cache = self.context.setdefault("_progress", {})
        if obj.pk not in cache:
            user = self.context["request"].user
            cache[obj.pk] = selectors.colorization_batch_progress(requests=selectors.colorization_batch_requests(user=user, batch=obj))
        return cache[obj.pk]

    def get_total(self, obj) -> int:
        return self._progress(obj).total

    def get_done(self, obj) -> int:
        return self._progress(obj).done

    @extend_schema_field({"type": "object", "properties": {status: {"type": "integer"} for status in ColorizationRequest.Status.values}})
    def get_counts(self, obj) -> dict:
        return self._progress(obj).counts

    def get_progress(self, obj) -> float:
        return self._progress(obj).progress

    def get_finished(self, obj) -> bool:
        return self._progress(obj).finished

    def get_variants(self, obj) -> int:
        return self._progress(obj).variants

    def get_url(self, obj) -> str:
        return _absolute(self.context, reverse("colorization-batches-detail", args=[obj.pk]))

    def get_page(self, obj) -> str:
        return _absolute(self.context, reverse("colorize:batch", args=[obj.pk]))


class BatchRequestSerializer(serializers.ModelSerializer):
    """A request of a batch, as the batch's page follows it (rows annotated with `variant_count`)."""

    url = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField(help_text="How many variants it made.")

    class Meta:
        model = ColorizationRequest
        fields = ["id", "url", "photograph", "status", "stage", "progress", "error", "variants"]

    def get_url(self, obj) -> str:
        return _absolute(self.context, reverse("colorization-requests-detail", args=[obj.pk]))

    def get_variants(self, obj) -> int:
        return obj.variant_count


class ColorizationBatchDetailSerializer(ColorizationBatchSerializer):
    requests = serializers.SerializerMethodField()

    class Meta(ColorizationBatchSerializer.Meta):
        fields = [*ColorizationBatchSerializer.Meta.fields, "requests"]

    @extend_schema_field(BatchRequestSerializer(many=True))
    def get_requests(self, obj) -> list:
        rows = selectors.colorization_batch_requests(user=self.context["request"].user, batch=obj).annotate(variant_count=Count("variants"))
        return BatchRequestSerializer(rows, many=True, context=self.context).data


class BulkResultSerializer(serializers.Serializer):
    batch = ColorizationBatchSerializer()
    created = ColorizationRequestSerializer(many=True)
    refused = RefusedPhotographSerializer(many=True)


class VariantSerializer(serializers.ModelSerializer):
    request = serializers.PrimaryKeyRelatedField(read_only=True)
    model_version = ModelVersionRefSerializer(source="request.model_version", read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.get_username", read_only=True, default=None, allow_null=True)
    files = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = [
            "id", "url", "photograph", "request", "model_version", "seed", "width", "height", "review_state",
            "reviewed_by", "reviewed_at", "metrics", "provenance", "image_sha256", "files", "created_at",
        ]

    @extend_schema_field({"type": "object", "properties": {
        "image": {"type": "string", "format": "uri"}, "thumbnail": {"type": "string", "format": "uri"},
        "iiif_info": {"type": "string", "format": "uri"},
        "downloads": {"type": "object", "properties": {fmt: {"type": "string", "format": "uri"} for fmt in DOWNLOAD_FORMATS}},
    }})
    def get_files(self, obj) -> dict:
        urls = variant_urls(obj)
        urls["downloads"] = {fmt: _absolute(self.context, url) for fmt, url in urls["downloads"].items()}
        return {key: (value if isinstance(value, dict) else _absolute(self.context, value)) for key, value in urls.items()}

    def get_url(self, obj) -> str:
        return _absolute(self.context, reverse("variants-detail", args=[obj.pk]))


class ReviewNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RegionSerializer(serializers.Serializer):
    x = serializers.FloatField(min_value=0, max_value=1)
    y = serializers.FloatField(min_value=0, max_value=1)
    w = serializers.FloatField(min_value=0, max_value=1)
    h = serializers.FloatField(min_value=0, max_value=1)


class AnnotationSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username", read_only=True, default=None)
    region = RegionSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Annotation
        fields = ["id", "variant", "author", "text", "region", "created_at"]


class AnnotationCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    region = RegionSerializer(required=False, allow_null=True, help_text="Fractions of the image: x, y from the top left, w, h.")


class ReviewEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", read_only=True, default=None)

    class Meta:
        model = ReviewEvent
        fields = ["id", "variant", "action", "from_state", "to_state", "replaced_by", "note", "actor", "created_at"]


class ReviewQueueFilterSerializer(serializers.Serializer):
    collection = serializers.CharField(required=False, help_text="Slug; sub-collections included.")
    model_version = serializers.IntegerField(required=False)
    requested_by = serializers.CharField(required=False, help_text="Username of who asked for the variants.")
    created_after = serializers.DateTimeField(required=False, help_text="Only variants made at or after this time.")
    created_before = serializers.DateTimeField(required=False, help_text="Only variants made before this time (waiting since then).")


class VariantFilterSerializer(serializers.Serializer):
    photograph = serializers.IntegerField(required=False)
    request = serializers.IntegerField(required=False)
    review_state = serializers.ChoiceField(choices=Variant.ReviewState.choices, required=False)


class RequestFilterSerializer(serializers.Serializer):
    photograph = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=ColorizationRequest.Status.choices, required=False)
