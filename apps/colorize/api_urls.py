"""API routes of this app: (prefix, viewset, basename) triples joined into one router in
archive_site/api_urls.py, plus the access-checked file views."""
from django.urls import path

from .api import ColorizationBatchViewSet, ColorizationRequestViewSet, ReviewQueueViewSet, VariantViewSet, variant_download, variant_media

routes: list = [
    ("colorization-requests", ColorizationRequestViewSet, "colorization-requests"),
    ("colorization-batches", ColorizationBatchViewSet, "colorization-batches"),
    ("variants", VariantViewSet, "variants"),
    ("review-queue", ReviewQueueViewSet, "review-queue"),
]
urlpatterns: list = [
    path("media/variants/<int:pk>/<str:kind>/", variant_media, name="variant-media"),
    path("media/variants/<int:pk>/download/<str:fmt>/", variant_download, name="variant-download"),
]
