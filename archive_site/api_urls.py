"""The REST API under /api/: one router over every app's viewsets, the schema and its docs."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from apps.collections import api_urls as collections_api
from apps.colorize import api_urls as colorize_api
from apps.mlcore import api_urls as mlcore_api
from archive_site.api import CurrentUserView, TokenObtainView

router = DefaultRouter()
for module in (collections_api, colorize_api, mlcore_api):
    for prefix, viewset, basename in module.routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("", include(router.urls)),
    path("", include(collections_api.urlpatterns)),
    path("", include(colorize_api.urlpatterns)),
    path("", include(mlcore_api.urlpatterns)),
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("auth/me/", CurrentUserView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html"), name="api-redoc"),
]
