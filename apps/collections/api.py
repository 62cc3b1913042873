"""REST API of the archive: collections, photographs (search, facets, upload, edit, history,
export) and CSV imports. Each action parses input, calls one selector or service, renders."""
from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from functools import partial
from typing import IO

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from archive_site.api import ERROR_SCHEMA, ModelPermissions, WritePermissions, error_response, refusal_schema
from archive_site.pagination import ArchivePagination

from . import selectors, services
from .models import Collection, CsvImport, MetadataChange, Photograph, Tombstone
from .serializers import (
    CollectionSerializer,
    CollectionTreeSerializer,
    CollectionWriteSerializer,
    CsvImportCreateSerializer,
    CsvImportListSerializer,
    CsvImportSerializer,
    CsvReportSerializer,
    MetadataChangeSerializer,
    PhotographListSerializer,
    PhotographSearchPageSerializer,
    PhotographSearchSerializer,
    PhotographSerializer,
    PhotographUpdateSerializer,
    PhotographUploadSerializer,
    TombstoneQuerySerializer,
    TombstoneSerializer,
)
from .services import IngestRefused

REFUSAL_STATUS = {
    IngestRefused.DUPLICATE: status.HTTP_409_CONFLICT,
    IngestRefused.IDENTIFIER_TAKEN: status.HTTP_409_CONFLICT,
    IngestRefused.TOO_LARGE: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    IngestRefused.UNSUPPORTED_FORMAT: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    IngestRefused.CORRUPT: status.HTTP_400_BAD_REQUEST,
    IngestRefused.TOO_MANY_PIXELS: status.HTTP_400_BAD_REQUEST,
}
CSV_RESPONSE = OpenApiResponse(response=OpenApiTypes.BINARY, description="text/csv with Dublin Core column names")
REFUSAL = refusal_schema("IngestRefusal", codes=list(REFUSAL_STATUS), existing={
    "id": serializers.IntegerField(), "identifier": serializers.CharField(), "title": serializers.CharField(),
})


class CSVRenderer(BaseRenderer):
    """Lets a client that asks for text/csv reach the export actions; errors come as JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, (bytes, str)) else json.dumps(data)


class _KnownCountPaginator(Paginator):
    def __init__(self, *args, known_count: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if known_count is not None:
            self.count = known_count  # fills the cached_property: no COUNT query


class SearchPagination(ArchivePagination):
    """Page numbers; when the facet pass has already counted the result, the paginator takes
    that total instead of running its own COUNT over the same rows."""

    known_count: int | None = None

    @property
    def django_paginator_class(self):
        return partial(_KnownCountPaginator, known_count=self.known_count)

    def paginate_queryset(self, queryset, request, view=None, known_count: int | None = None):
        self.known_count = known_count
        return super().paginate_queryset(queryset, request, view)


def csv_file_response(write: Callable[[IO[str]], object], filename: str) -> FileResponse:
    buffer = tempfile.TemporaryFile()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    write(text)
    text.flush()
    text.detach()
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=filename, content_type="text/csv; charset=utf-8")


def refusal_response(exc: IngestRefused) -> Response:
    response = error_response(status_code=REFUSAL_STATUS[exc.code], code=exc.code, message=exc.message)
    existing = exc.existing
    response.data["error"]["existing"] = (
        {"id": existing.pk, "identifier": existing.identifier, "title": existing.title} if existing else None
    )
    return response


def _search_params(request, *, user) -> tuple[dict, bool]:
    params = PhotographSearchSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = dict(params.validated_data)
    want_facets = data.pop("facets", True)
    slug = data.pop("collection", None)
    if slug:
        collection = selectors.collection_visible_to(user).filter(slug=slug).first()
        if collection is None:
            raise ValidationError({"collection": f'There is no collection "{slug}".'})
        data["collection"] = collection
    data["rights"] = sorted(data.get("rights") or [])
    return data, want_facets


SEARCH_PARAMETERS = [PhotographSearchSerializer]


@extend_schema_view(
    list=extend_schema(summary="Search photographs", parameters=SEARCH_PARAMETERS, responses=PhotographSearchPageSerializer, description=(
        "Ranked full-text search and filters. The paginated body also carries `facets` "
        "(collections with descendants, decades, grayscale/colour, approved colorization, rights) unless `facets=false`."
    )),
    retrieve=extend_schema(summary="A photograph with its full metadata"),
    destroy=extend_schema(summary="Delete a photograph, its master and derivatives"),
)
class PhotographViewSet(viewsets.GenericViewSet):
    queryset = Photograph.objects.none()
    permission_classes = [WritePermissions]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = PhotographSerializer
    pagination_class = SearchPagination

    def get_queryset(self):
        return selectors.photograph_visible_to(self.request.user)

    def get_object(self) -> Photograph:
        try:
            pk = int(self.kwargs["pk"])
        except ValueError:
            raise Http404 from None
        return selectors.photograph_get(user=self.request.user, pk=pk)

    def list(self, request):
        params, want_facets = _search_params(request, user=request.user)
        photographs = selectors.photograph_search(user=request.user, **params)
        facets = selectors.photograph_facets(user=request.user, photographs=photographs) if want_facets else None
        page = self.paginator.paginate_queryset(photographs, request, view=self, known_count=facets["total"] if facets else None)
        response = self.get_paginated_response(PhotographListSerializer(page, many=True, context={"request": request}).data)
        if facets is not None:
            response.data["facets"] = facets
        return response

    def retrieve(self, request, pk=None):
        return Response(PhotographSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(
        summary="Upload a master scan (ingest)",
        request={"multipart/form-data": PhotographUploadSerializer},
        responses={201: PhotographSerializer, 400: REFUSAL, 409: REFUSAL, 413: REFUSAL, 415: REFUSAL},
    )
    def create(self, request):
        upload = PhotographUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        metadata = dict(upload.validated_data)
        file, collection = metadata.pop("file"), metadata.pop("collection")
        try:
            result = services.photograph_ingest(
                collection=collection, file=file, filename=file.name, metadata=metadata,
                user=request.user, source=MetadataChange.Source.API,
            )
        except IngestRefused as exc:
            return refusal_response(exc)
        photograph = result.photograph
        body = PhotographSerializer(photograph, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": f"/api/photographs/{photograph.pk}/"})

    @extend_schema(summary="Edit metadata (history is kept)", request=PhotographUpdateSerializer, responses={200: PhotographSerializer, 400: ERROR_SCHEMA})
    def partial_update(self, request, pk=None):
        photograph = self.get_object()
        changes = PhotographUpdateSerializer(data=request.data, partial=True)
        changes.is_valid(raise_exception=True)
        services.photograph_update(photograph=photograph, data=dict(changes.validated_data), user=request.user, source=MetadataChange.Source.API)
        return Response(PhotographSerializer(photograph, context={"request": request}).data)

    def destroy(self, request, pk=None):
        services.photograph_delete(photograph=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Metadata edit history", responses={200: MetadataChangeSerializer(many=True), 403: ERROR_SCHEMA})
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        rows = selectors.photograph_history(user=request.user, photograph=self.get_object())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(MetadataChangeSerializer(page, many=True).data)

    @extend_schema(summary="Export a search result as CSV", parameters=SEARCH_PARAMETERS, responses={(200, "text/csv"): CSV_RESPONSE})
    @action(detail=False, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def export(self, request):
        params, _ = _search_params(request, user=request.user)
        photographs = selectors.photograph_search(user=request.user, **params)
        return csv_file_response(lambda out: services.csv_export(photographs=photographs, out=out), "photographs.csv")


@extend_schema_view(
    list=extend_schema(summary="Collections (flat, in tree order)"),
    retrieve=extend_schema(summary="A collection"),
    destroy=extend_schema(summary="Delete an empty collection"),
)
class CollectionViewSet(viewsets.GenericViewSet):
    queryset = Collection.objects.none()
    permission_classes = [WritePermissions]
    lookup_field = "slug"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = CollectionSerializer

    def get_queryset(self):
        return selectors.collection_visible_to(self.request.user).select_related("parent").order_by("path")

    def get_object(self) -> Collection:
        return selectors.collection_get(user=self.request.user, slug=self.kwargs["slug"])

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CollectionSerializer(page, many=True).data)

    def retrieve(self, request, slug=None):
        return Response(CollectionSerializer(self.get_object()).data)

    @extend_schema(summary="Create a collection", request=CollectionWriteSerializer, responses={201: CollectionSerializer, 400: ERROR_SCHEMA})
    def create(self, request):
        data = CollectionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        collection = services.collection_create(user=request.user, **data.validated_data)
        return Response(CollectionSerializer(collection).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Edit, move or (un)publish a collection", request=CollectionWriteSerializer, responses={200: CollectionSerializer, 400: ERROR_SCHEMA})
    def partial_update(self, request, slug=None):
        collection = self.get_object()
        data = CollectionWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.collection_update(collection=collection, data=dict(data.validated_data), user=request.user, source=MetadataChange.Source.API)
        collection.refresh_from_db()
        return Response(CollectionSerializer(collection).data)

    def destroy(self, request, slug=None):
        services.collection_delete(collection=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="The collection tree with photograph counts (descendants included)", responses=CollectionTreeSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def tree(self, request):
        return Response(CollectionTreeSerializer(selectors.collection_tree(user=request.user), many=True).data)

    @extend_schema(summary="Edit history of the collection record", responses={200: MetadataChangeSerializer(many=True), 403: ERROR_SCHEMA})
    @action(detail=True, methods=["get"])
    def history(self, request, slug=None):
        rows = selectors.collection_history(user=request.user, collection=self.get_object())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(MetadataChangeSerializer(page, many=True).data)

    @extend_schema(summary="Export the collection (with its descendants) as CSV", responses={(200, "text/csv"): CSV_RESPONSE})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def export(self, request, slug=None):
        collection = self.get_object()
        photographs = selectors.photograph_search(user=request.user, collection=collection)
        return csv_file_response(lambda out: services.csv_export(photographs=photographs, out=out), f"{collection.slug}.csv")


@extend_schema_view(list=extend_schema(
    summary="Photographs that left public view (deleted or withdrawn), oldest first",
    parameters=[TombstoneQuerySerializer],
    description="With `modified_since` on /api/photographs/, what an integrator needs to keep a copy in step.",
))
class DeletionViewSet(viewsets.GenericViewSet):
    queryset = Tombstone.objects.none()
    serializer_class = TombstoneSerializer

    def list(self, request):
        query = TombstoneQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.tombstone_list(since=query.validated_data.get("since")))
        return self.get_paginated_response(TombstoneSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="CSV imports, newest first", responses=CsvImportListSerializer(many=True)),
    retrieve=extend_schema(summary="A CSV import: poll its status, progress and report"),
)
class CsvImportViewSet(viewsets.GenericViewSet):
    queryset = CsvImport.objects.select_related("collection", "created_by")
    permission_classes = [ModelPermissions]
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = CsvImportSerializer
    http_method_names = ["get", "post", "head", "options"]

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset().defer("report"))
        return self.get_paginated_response(CsvImportListSerializer(page, many=True, context={"request": request}).data)

    def retrieve(self, request, pk=None):
        return Response(CsvImportSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(
        summary="Import a CSV: dry run (200, report) or background run (202, the import to poll)",
        request={"multipart/form-data": CsvImportCreateSerializer},
        responses={200: CsvReportSerializer, 202: CsvImportSerializer, 400: ERROR_SCHEMA},
    )
    def create(self, request):
        upload = CsvImportCreateSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        arguments = {"csv_file": data["csv_file"], "zip_file": data.get("zip_file"), "collection": data.get("collection"), "user": request.user}
        if data["dry_run"]:
            return Response(services.csv_import_plan(**arguments).as_dict())
        csv_import = services.csv_import_start(**arguments)
        body = CsvImportSerializer(csv_import, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": f"/api/csv-imports/{csv_import.pk}/"})

    @extend_schema(summary="The import's report as CSV (row, action, column, message)", responses={(200, "text/csv"): CSV_RESPONSE})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def report(self, request, pk=None):
        csv_import = self.get_object()
        return csv_file_response(lambda out: services.csv_report_write(report=csv_import.report, out=out), f"import-{csv_import.pk}-report.csv")
