"""REST API of the colorist's workflow: requests (202 to poll, cancel, bulk), variants (review,
annotations, history, files), the review queue. Each action parses input, calls one selector
or service, renders."""
from __future__ import annotations

import json
import tempfile

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes, renderer_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from apps.collections import selectors as archive
from apps.collections.access import AccessLevel, photograph_access, public_access_is_full
from apps.mlcore.colorizing import DOWNLOAD_FORMATS, write_variant_as
from apps.mlcore.models import ModelVersion
from archive_site.api import ERROR_SCHEMA, error_response, refusal_schema, requires

from . import selectors, services
from .models import ColorizationBatch, ColorizationRequest, Variant
from .serializers import (
    AnnotationCreateSerializer,
    AnnotationSerializer,
    BulkResultSerializer,
    ColorizationBatchDetailSerializer,
    ColorizationBatchSerializer,
    ColorizationBulkCreateSerializer,
    ColorizationRequestCreateSerializer,
    ColorizationRequestSerializer,
    RequestFilterSerializer,
    ReviewEventSerializer,
    ReviewNoteSerializer,
    ReviewQueueFilterSerializer,
    VariantFilterSerializer,
    VariantSerializer,
)

REFUSAL = refusal_schema("ColorizationRefusal", existing={"id": serializers.IntegerField(), "status": serializers.CharField(), "url": serializers.URLField()})
FILE = OpenApiResponse(response=OpenApiTypes.BINARY, description="The image, provenance embedded")


def refusal_response(refusal: services.ColorizationRefused, request) -> Response:
    response = error_response(status_code=status.HTTP_409_CONFLICT, code=refusal.code, message=refusal.message)
    existing = refusal.existing
    response.data["error"]["existing"] = (
        {"id": existing.pk, "status": existing.status, "url": request.build_absolute_uri(reverse("colorization-requests-detail", args=[existing.pk]))}
        if existing else None
    )
    return response


def _options(data: dict) -> dict:
    return {
        "n_variants": data.get("n_variants"),
        "seeds": data.get("seeds"),
        "model_version": data.get("model_version"),
        "working_size": data["working_size"],
    }


@extend_schema_view(
    list=extend_schema(summary="Colorization requests, newest first", parameters=[RequestFilterSerializer]),
    retrieve=extend_schema(summary="A request: poll its status, progress, queue position and variants"),
)
class ColorizationRequestViewSet(viewsets.GenericViewSet):
    queryset = ColorizationRequest.objects.none()
    serializer_class = ColorizationRequestSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_permissions(self):
        if self.action in ("create", "bulk"):
            return [requires("colorize.add_colorizationrequest")()]
        return [IsAuthenticated()]

    def get_object(self) -> ColorizationRequest:
        try:
            pk = int(self.kwargs["pk"])
        except ValueError:
            raise Http404 from None
        return selectors.colorization_request_get(user=self.request.user, pk=pk)

    def list(self, request):
        filters = RequestFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        photograph = None
        if "photograph" in filters.validated_data:
            photograph = archive.photograph_get(user=request.user, pk=filters.validated_data["photograph"])
        rows = selectors.colorization_request_list(user=request.user, photograph=photograph, status=filters.validated_data.get("status"))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ColorizationRequestSerializer(page, many=True, context={"request": request}).data)

    def retrieve(self, request, pk=None):
        return Response(ColorizationRequestSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(
        summary="Ask for variants of a photograph (202: the request to poll)",
        description="Either `n_variants` (random seeds, stored) or explicit `seeds`. An identical request still queued or running answers 409 with it.",
        request=ColorizationRequestCreateSerializer,
        responses={202: ColorizationRequestSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 409: REFUSAL},
    )
    def create(self, request):
        data = ColorizationRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        photograph = archive.photograph_get(user=request.user, pk=data.validated_data["photograph"])
        try:
            created = services.colorization_request_create(photograph=photograph, user=request.user, **_options(data.validated_data))
        except services.ColorizationRefused as refusal:
            return refusal_response(refusal, request)
        body = ColorizationRequestSerializer(created, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(
        summary="Ask for variants of every photograph of a collection or search result (202)",
        description=(
            "One request per photograph, recorded together as a batch (`batch`: follow its progress at its `url`). "
            "Photographs with an identical request still queued or running are listed in `refused`."
        ),
        request=ColorizationBulkCreateSerializer,
        responses={202: BulkResultSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        data = ColorizationBulkCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        collection = None
        if params.get("collection"):
            collection = archive.collection_visible_to(request.user).filter(slug=params["collection"]).first()
            if collection is None:
                raise ValidationError({"collection": f'There is no collection "{params["collection"]}".'})
        photographs = archive.photograph_search(user=request.user, q=params.get("q", ""), collection=collection, grayscale=params.get("grayscale"))
        label = " and ".join(part for part in (
            f"collection {collection.title}" if collection else "", f"search “{params['q']}”" if params.get("q") else "",
        ) if part)
        result = services.colorization_request_create_many(photographs=photographs, user=request.user, label=label, **_options(params))
        body = {
            "batch": ColorizationBatchSerializer(result.batch, context={"request": request}).data,
            "created": ColorizationRequestSerializer(result.created, many=True, context={"request": request}).data,
            "refused": [{"photograph": photograph.pk, "message": message} for photograph, message in result.refused],
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Cancel: at once while queued, at the next stage while running", request=None,
                   responses={200: ColorizationRequestSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        colorization_request = self.get_object()
        if not selectors.can_cancel(request.user, colorization_request):
            return error_response(status_code=403, code="permission_denied", message="Only its requester or a colorist may cancel this request.")
        colorization_request = services.colorization_request_cancel(colorization_request=colorization_request, user=request.user)
        return Response(ColorizationRequestSerializer(colorization_request, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(summary="Colorization batches (requests asked for together), newest first"),
    retrieve=extend_schema(summary="A batch: its progress as one, and each of its requests", responses=ColorizationBatchDetailSerializer),
)
class ColorizationBatchViewSet(viewsets.GenericViewSet):
    queryset = ColorizationBatch.objects.none()
    serializer_class = ColorizationBatchSerializer
    http_method_names = ["get", "head", "options"]
    permission_classes = [IsAuthenticated]

    def list(self, request):
        page = self.paginate_queryset(selectors.colorization_batch_list(user=request.user))
        return self.get_paginated_response(ColorizationBatchSerializer(page, many=True, context={"request": request}).data)

    def retrieve(self, request, pk=None):
        try:
            batch = selectors.colorization_batch_get(user=request.user, pk=int(pk))
        except ValueError:
            raise Http404 from None
        return Response(ColorizationBatchDetailSerializer(batch, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(summary="Variants (approved ones only, for viewers and anonymous users)", parameters=[VariantFilterSerializer]),
    retrieve=extend_schema(summary="A variant with its metrics, provenance and files"),
)
class VariantViewSet(viewsets.GenericViewSet):
    queryset = Variant.objects.none()
    serializer_class = VariantSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_permissions(self):
        if self.action in ("approve", "reject", "reopen"):
            return [requires(selectors.REVIEW_PERMISSION)()]
        if self.action == "annotations" and self.request.method == "POST":
            return [requires("colorize.add_annotation")()]
        return [AllowAny()]

    def get_object(self) -> Variant:
        try:
            pk = int(self.kwargs["pk"])
        except ValueError:
            raise Http404 from None
        return selectors.variant_get(user=self.request.user, pk=pk)

    def list(self, request):
        filters = VariantFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = filters.validated_data
        photograph = archive.photograph_get(user=request.user, pk=params["photograph"]) if "photograph" in params else None
        colorization_request = selectors.colorization_request_get(user=request.user, pk=params["request"]) if "request" in params else None
        rows = selectors.variant_list(user=request.user, photograph=photograph, colorization_request=colorization_request, review_state=params.get("review_state"))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(VariantSerializer(page, many=True, context={"request": request}).data)

    def retrieve(self, request, pk=None):
        return Response(VariantSerializer(self.get_object(), context={"request": request}).data)

    def _review(self, request, service):
        note = ReviewNoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        variant = service(variant=self.get_object(), user=request.user, note=note.validated_data["note"])
        variant.refresh_from_db()
        return Response(VariantSerializer(variant, context={"request": request}).data)

    @extend_schema(
        summary="Approve: the photograph's colorization",
        description="Replaces the variant approved before (it becomes rejected); the photograph's other pending variants become `not_chosen`.",
        request=ReviewNoteSerializer, responses={200: VariantSerializer, 403: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._review(request, services.variant_approve)

    @extend_schema(summary="Reject", request=ReviewNoteSerializer, responses={200: VariantSerializer, 403: ERROR_SCHEMA})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._review(request, services.variant_reject)

    @extend_schema(summary="Reopen: back to the review queue (from approved, rejected or not_chosen)", request=ReviewNoteSerializer,
                   responses={200: VariantSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._review(request, services.variant_reopen)

    @extend_schema(methods=["GET"], summary="Annotations of a variant, oldest first", responses=AnnotationSerializer(many=True))
    @extend_schema(methods=["POST"], summary="Annotate a variant (optionally a rectangle of it)", request=AnnotationCreateSerializer,
                   responses={201: AnnotationSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def annotations(self, request, pk=None):
        variant = self.get_object()
        if request.method == "POST":
            data = AnnotationCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            annotation = services.annotation_create(variant=variant, user=request.user, text=data.validated_data["text"], region=data.validated_data.get("region"))
            return Response(AnnotationSerializer(annotation).data, status=status.HTTP_201_CREATED)
        return Response(AnnotationSerializer(selectors.annotation_list(user=request.user, variant=variant), many=True).data)

    @extend_schema(summary="Review history (approve, reject, reopen, replace, not_chosen)", responses=ReviewEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        variant = self.get_object()
        if not selectors.can_see_all_variants(request.user):
            return Response([])
        return Response(ReviewEventSerializer(selectors.review_history(variant=variant), many=True).data)


@extend_schema_view(list=extend_schema(summary="Variants waiting for review, oldest first", parameters=[ReviewQueueFilterSerializer]))
class ReviewQueueViewSet(viewsets.GenericViewSet):
    queryset = Variant.objects.none()
    serializer_class = VariantSerializer
    permission_classes = [requires("colorize.view_variant")]

    def list(self, request):
        filters = ReviewQueueFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = filters.validated_data
        collection = archive.collection_get(user=request.user, slug=params["collection"]) if params.get("collection") else None
        model_version = ModelVersion.objects.filter(pk=params["model_version"]).first() if "model_version" in params else None
        if "model_version" in params and model_version is None:
            raise ValidationError({"model_version": "No such model version."})
        requested_by = get_user_model().objects.filter(username=params["requested_by"]).first() if "requested_by" in params else None
        if "requested_by" in params and requested_by is None:
            raise ValidationError({"requested_by": "No such user."})
        variants = selectors.review_queue(
            user=request.user, collection=collection, model_version=model_version, requested_by=requested_by,
            created_after=params.get("created_after"), created_before=params.get("created_before"),
        )
        page = self.paginate_queryset(variants)
        return self.get_paginated_response(VariantSerializer(page, many=True, context={"request": request}).data)


class ImageRenderer(BaseRenderer):
    """Lets a client that asks only for images reach the file views; errors come as JSON text."""

    media_type = "image/*"
    format = "image"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


def _access_refusal(request, variant: Variant, kind: str):
    """A colorization shows the photograph: its thumbnail needs the thumbnail level, the
    full image and downloads the master level (apps.collections.access)."""
    access = photograph_access(variant.photograph, request.user)
    if access.allows(AccessLevel.THUMBNAIL if kind == "thumbnail" else AccessLevel.MASTER):
        return None
    return error_response(status_code=status.HTTP_403_FORBIDDEN, code="restricted", message=access.reason)


def _file_response(request, variant: Variant, opened, *, content_type: str, etag: str, filename: str | None = None):
    response = FileResponse(opened, content_type=content_type, as_attachment=filename is not None, filename=filename)
    response["ETag"] = etag
    # Public only while approved and published (and the same for everyone); an hour, so a
    # withdrawn approval does not linger.
    shared = selectors.variant_is_public(variant) and (not request.user.is_authenticated or public_access_is_full(variant.photograph))
    response["Cache-Control"] = ("public" if shared else "private") + ", max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@extend_schema(summary="A variant's full-resolution PNG or its thumbnail (JPEG)", responses={200: FILE, 404: ERROR_SCHEMA})
@api_view(["GET", "HEAD"])
@permission_classes([AllowAny])
@renderer_classes([JSONRenderer, ImageRenderer])
def variant_media(request, pk: int, kind: str):
    if kind not in ("image", "thumbnail"):
        raise Http404("No such file kind.")
    variant = selectors.variant_get(user=request.user, pk=pk)
    if (refusal := _access_refusal(request, variant, kind)) is not None:
        return refusal
    etag = f'"{variant.image_sha256}-{kind}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    file = getattr(variant, kind)
    content_type = "image/png" if kind == "image" else "image/jpeg"
    return _file_response(request, variant, file.open("rb"), content_type=content_type, etag=etag)


@extend_schema(summary="Download a variant as PNG, TIFF or JPEG, provenance embedded", responses={200: FILE, 404: ERROR_SCHEMA})
@api_view(["GET", "HEAD"])
@permission_classes([AllowAny])
@renderer_classes([JSONRenderer, ImageRenderer])
def variant_download(request, pk: int, fmt: str):
    if fmt not in DOWNLOAD_FORMATS:
        raise Http404("Formats: png, tiff, jpeg.")
    variant = selectors.variant_get(user=request.user, pk=pk)
    if (refusal := _access_refusal(request, variant, "download")) is not None:
        return refusal
    extension, content_type = DOWNLOAD_FORMATS[fmt]
    filename = f"{variant.photograph.identifier}-colorized-seed{variant.seed}{extension}"
    etag = f'"{variant.image_sha256}-{fmt}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    if fmt == "png":  # the stored file already is the PNG, provenance embedded
        return _file_response(request, variant, variant.image.open("rb"), content_type=content_type, etag=etag, filename=filename)
    converted = tempfile.TemporaryFile()
    with variant.image.open("rb") as source:
        write_variant_as(source, converted, format=fmt, provenance=variant.provenance)
    converted.seek(0)
    return _file_response(request, variant, converted, content_type=content_type, etag=etag, filename=filename)
