"""REST API of the model app: curated sets (items, freeze, sample), training runs (create →
202 with the run to poll, cancel, progress) and model versions (metrics, activate, retire).
Each action parses input, calls one selector or service, renders."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.collections import selectors as archive
from archive_site.api import ModelPermissions

from . import selectors, services
from .models import CuratedItem, CuratedSet, ModelVersion, ModelVersionEvent, TrainingProgress, TrainingRun


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


# --- model versions ------------------------------------------------------------------------------

class ModelVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    training_run = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = [
            "id", "name", "version", "status", "weights_sha256", "config", "metrics", "benchmark", "training_data", "base_version",
            "training_run", "notes", "created_by", "created_at", "activated_at",
        ]
        read_only_fields = fields

    def get_created_by(self, version) -> str | None:
        return _username(version.created_by)

    def get_training_run(self, version) -> int | None:
        run = getattr(version, "training_run", None)
        return run.pk if run is not None else None


class ModelVersionEventSerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersionEvent
        fields = ["kind", "user", "reason", "details", "created_at"]
        read_only_fields = fields

    def get_user(self, event) -> str | None:
        return _username(event.user)


class ActivateSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000,
        help_text="Why activate a version that is worse than the active one on the benchmark set; "
                  "required then (otherwise 409), and kept in the version's history.",
    )


BENCHMARK_COMPARISON = inline_serializer("BenchmarkComparisonRow", {
    "metric": serializers.CharField(), "title": serializers.CharField(), "better": serializers.CharField(),
    "candidate": serializers.FloatField(allow_null=True), "reference": serializers.FloatField(allow_null=True),
    "noise": serializers.FloatField(), "worse_by": serializers.FloatField(allow_null=True), "worse": serializers.BooleanField(),
}, many=True)
WORSE_THAN_ACTIVE = inline_serializer("WorseThanActive", {"error": inline_serializer("WorseThanActiveBody", {
    "status": serializers.IntegerField(),
    "code": serializers.ChoiceField(choices=["worse_than_active"]),
    "message": serializers.CharField(),
    "active": serializers.IntegerField(help_text="The active version."),
    "benchmark": serializers.CharField(help_text="The benchmark both were scored on."),
    "comparison": BENCHMARK_COMPARISON,
})})


class ModelVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Model versions with their metrics (hold-out of their training run beside the base's)
    and their scores on the benchmark set. `activate` makes one the default for new
    colorizations (a version worse than the active one on the benchmark needs an
    `override_reason`: 409 without it), `retire` takes one out of use, `benchmark` queues
    its scoring on the benchmark set, `history` lists what happened to it."""

    serializer_class = ModelVersionSerializer
    permission_classes = [ModelPermissions]
    action_permissions = {
        "activate": ["mlcore.change_modelversion"], "retire": ["mlcore.change_modelversion"], "benchmark": ["mlcore.change_modelversion"],
        "history": ["mlcore.view_modelversionevent"],
    }

    def get_queryset(self):
        versions = selectors.model_version_list()
        wanted = self.request.query_params.get("status")
        return versions.filter(status=wanted) if wanted else versions

    @extend_schema(request=ActivateSerializer, responses={200: ModelVersionSerializer, 409: WORSE_THAN_ACTIVE})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        params = ActivateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            version = services.model_version_activate(
                model_version=self.get_object(), user=request.user, override_reason=params.validated_data.get("override_reason", ""),
            )
        except services.ActivationNeedsReason as refusal:
            check = refusal.check
            body = {
                "status": 409, "code": "worse_than_active", "message": check.message(),
                "active": check.active.pk, "benchmark": check.benchmark_id, "comparison": check.rows,
            }
            return Response({"error": body}, status=status.HTTP_409_CONFLICT)
        return Response(ModelVersionSerializer(version).data)

    @extend_schema(request=None, responses=ModelVersionSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        version = services.model_version_retire(model_version=self.get_object(), user=request.user)
        return Response(ModelVersionSerializer(version).data)

    @extend_schema(request=None, responses={202: ModelVersionSerializer})
    @action(detail=True, methods=["post"])
    def benchmark(self, request, pk=None):
        """Queue the scoring of this version on the benchmark set (a job on the training
        queue); its `benchmark` field holds the result once the job has run."""
        version = self.get_object()
        services.model_version_benchmark_request(model_version=version, user=request.user)
        return Response(ModelVersionSerializer(version).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ModelVersionEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        return Response(ModelVersionEventSerializer(selectors.model_version_history(model_version=self.get_object()), many=True).data)


# --- curated sets --------------------------------------------------------------------------------

class CuratedItemSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = CuratedItem
        fields = ["id", "key", "kind", "photograph", "variant", "added_at", "thumbnail_url"]
        read_only_fields = fields

    def get_thumbnail_url(self, item) -> str:
        return reverse("mlcore:curated-item-thumbnail", args=[item.pk])


class CuratedSetSerializer(serializers.ModelSerializer):
    item_count = serializers.SerializerMethodField()
    usable_count = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = CuratedSet
        fields = [
            "id", "name", "description", "status", "seed", "holdout_fraction", "split", "frozen_at", "item_count", "usable_count",
            "created_by", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "status", "split", "frozen_at", "item_count", "usable_count", "created_by", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # the service says when a name is taken

    def get_item_count(self, curated_set) -> int:
        count = getattr(curated_set, "item_count", None)
        return count if count is not None else curated_set.items.count()

    def get_usable_count(self, curated_set) -> int:
        return len(selectors.curated_set_usable_keys(curated_set))

    def get_created_by(self, curated_set) -> str | None:
        return _username(curated_set.created_by)


class AddItemsSerializer(serializers.Serializer):
    photographs = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, help_text="Ids of colour photographs.")
    variants = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, help_text="Ids of approved variants.")
    search = serializers.CharField(required=False, allow_blank=True, help_text="A full-text search: its colour photographs and the approved colorizations of its grayscale ones.")
    collection = serializers.SlugField(required=False, help_text="A collection (slug) with its descendants, likewise.")


class RemoveItemsSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of curated items.")


ADD_RESULT = inline_serializer("CuratedItemsAdded", {
    "added": CuratedItemSerializer(many=True),
    "refused": inline_serializer("CuratedItemRefusal", {"item": serializers.CharField(), "reason": serializers.CharField()}, many=True),
})


class CuratedSetViewSet(viewsets.ModelViewSet):
    """Curated training sets. Add items by id, from a search or from a collection (what cannot
    serve is refused with a reason per item), `freeze` to fix the train/hold-out split."""

    serializer_class = CuratedSetSerializer
    permission_classes = [ModelPermissions]
    action_permissions = {
        "items": {"GET": ["mlcore.view_curatedset"], "POST": ["mlcore.change_curatedset"]},
        "remove_items": ["mlcore.change_curatedset"],
        "freeze": ["mlcore.change_curatedset"],
        "sample": ["mlcore.view_curatedset"],
    }

    def get_queryset(self):
        return selectors.curated_set_list()

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.curated_set_create(
            name=data["name"], description=data.get("description", ""), seed=data.get("seed", 0),
            holdout_fraction=data.get("holdout_fraction", 0.1), user=self.request.user,
        )

    def perform_update(self, serializer):
        serializer.instance = services.curated_set_update(curated_set=serializer.instance, data=serializer.validated_data, user=self.request.user)

    def perform_destroy(self, instance):
        services.curated_set_delete(curated_set=instance, user=self.request.user)

    @extend_schema(methods=["GET"], responses=CuratedItemSerializer(many=True))
    @extend_schema(methods=["POST"], request=AddItemsSerializer, responses=ADD_RESULT)
    @action(detail=True, methods=["get", "post"])
    def items(self, request, pk=None):
        curated_set = self.get_object()
        if request.method == "GET":
            items = curated_set.items.all()
            page = self.paginate_queryset(items)
            return self.get_paginated_response(CuratedItemSerializer(page, many=True).data)
        params = AddItemsSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        arguments = {"photograph_ids": data["photographs"], "variant_ids": data["variants"]}
        if data.get("search"):
            arguments["search"] = {"q": data["search"]}
        if data.get("collection"):
            collection = archive.collection_visible_to(request.user).filter(slug=data["collection"]).first()
            if collection is None:
                raise ValidationError({"collection": f'There is no collection "{data["collection"]}".'})
            arguments["collection"] = collection
        result = services.curated_set_add_items(curated_set=curated_set, user=request.user, **arguments)
        return Response({
            "added": CuratedItemSerializer(result.added, many=True).data,
            "refused": [refusal.as_dict() for refusal in result.refused],
        })

    @extend_schema(request=RemoveItemsSerializer, responses=inline_serializer("CuratedItemsRemoved", {"removed": serializers.IntegerField()}))
    @action(detail=True, methods=["post"], url_path="remove-items")
    def remove_items(self, request, pk=None):
        params = RemoveItemsSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        removed = services.curated_set_remove_items(curated_set=self.get_object(), item_ids=params.validated_data["items"], user=request.user)
        return Response({"removed": removed})

    @extend_schema(request=None, responses=CuratedSetSerializer)
    @action(detail=True, methods=["post"])
    def freeze(self, request, pk=None):
        curated_set = services.curated_set_freeze(curated_set=self.get_object(), user=request.user)
        return Response(CuratedSetSerializer(curated_set).data)

    @extend_schema(responses=CuratedItemSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole sample, not a page
    def sample(self, request, pk=None):
        return Response(CuratedItemSerializer(selectors.curated_set_sample(curated_set=self.get_object()), many=True).data)


# --- training runs -------------------------------------------------------------------------------

class TrainingProgressSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingProgress
        fields = ["epoch", "epochs", "step", "total_steps", "losses", "val", "elapsed_seconds", "eta_seconds", "attempt", "created_at"]
        read_only_fields = fields


class TrainingRunSerializer(serializers.ModelSerializer):
    requested_by = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = TrainingRun
        fields = [
            "id", "curated_set", "base_version", "hyperparameters", "status", "progress", "log_tail", "error", "result_version",
            "evaluation", "data_summary", "cancel_requested", "attempts", "max_attempts", "requested_by", "requested_at",
            "queued_at", "started_at", "finished_at", "page_url",
        ]
        read_only_fields = fields

    def get_requested_by(self, run) -> str | None:
        return _username(run.requested_by)

    def get_page_url(self, run) -> str:
        return reverse("mlcore:training-run", args=[run.pk])


class TrainingRunCreateSerializer(serializers.Serializer):
    curated_set = serializers.PrimaryKeyRelatedField(queryset=CuratedSet.objects.all())
    base_version = serializers.PrimaryKeyRelatedField(queryset=ModelVersion.objects.all(), required=False, allow_null=True, help_text="Default: the active version.")
    hyperparameters = serializers.DictField(required=False, default=dict, help_text="Overrides of the fine-tuning defaults.")


class TrainingRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Training runs. Creating one answers 202 with the run to poll (`progress` holds the
    latest epoch, `progress/` every epoch); `cancel` stops it."""

    serializer_class = TrainingRunSerializer
    permission_classes = [ModelPermissions]
    action_permissions = {"cancel": ["mlcore.change_trainingrun"], "rerun": ["mlcore.change_trainingrun"], "progress": ["mlcore.view_trainingrun"]}

    def get_queryset(self):
        return selectors.training_run_list(status=self.request.query_params.get("status") or None)

    @extend_schema(request=TrainingRunCreateSerializer, responses={202: TrainingRunSerializer})
    def create(self, request, *args, **kwargs):
        params = TrainingRunCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        run = services.training_run_create(
            curated_set=data["curated_set"], user=request.user, base_version=data.get("base_version"), hyperparameters=data["hyperparameters"],
        )
        location = reverse("training-runs-detail", args=[run.pk])
        return Response(TrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})

    @extend_schema(request=None, responses={202: TrainingRunSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = services.training_run_cancel(training_run=self.get_object(), user=request.user)
        return Response(TrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED if run.is_active else status.HTTP_200_OK)

    @extend_schema(request=None, responses={202: TrainingRunSerializer})
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        """Queue a failed or cancelled run again; it resumes from its last checkpoint where one was kept."""
        run = services.training_run_rerun(training_run=self.get_object(), user=request.user)
        return Response(TrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=TrainingProgressSerializer(many=True))
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        return Response(TrainingProgressSerializer(selectors.training_run_progress(training_run=self.get_object()), many=True).data)
