"""The REST API under /api/: one router over every app's viewsets, the schema and its docs."""
from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
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
    # Swagger UI with its init script from a URL, not inline, so the site's CSP holds.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"), name="api-docs"),
    # Redoc writes its styles as <style> elements and parses the schema in a blob: worker
    # (style-src replaced: next to the policy's hashes a browser would ignore 'unsafe-inline').
    path("redoc/", csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
        SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")), name="api-redoc"),
]
