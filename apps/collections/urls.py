"""Portal pages of the archive and its IIIF services."""
from django.urls import path, re_path

from apps.collections import iiif_views, views_portal

app_name = "collections"

iiif_patterns = [
    path("iiif/3/manifest/photograph-<int:pk>", iiif_views.photograph_manifest, name="iiif-manifest"),
    path("iiif/3/collection/<slug:slug>", iiif_views.collection_manifest, name="iiif-collection"),
    path("iiif/3/collection/<slug:slug>/part/<int:part>", iiif_views.collection_manifest, name="iiif-collection-part"),
    path("iiif/3/<str:identifier>", iiif_views.image_base, name="iiif-image-base"),
    path("iiif/3/<str:identifier>/info.json", iiif_views.image_info, name="iiif-info"),
    re_path(
        r"^iiif/3/(?P<identifier>[^/]+)/(?P<region>[^/]+)/(?P<size>[^/]+)/(?P<rotation>[^/]+)/(?P<quality_format>[^/]+)$",
        iiif_views.image_request,
        name="iiif-image",
    ),
]

portal_patterns = [
    path("", views_portal.home, name="home"),
    path("collections/", views_portal.collection_tree, name="collection-tree"),
    path("collections/new/", views_portal.collection_create, name="collection-create"),
    path("collections/<slug:slug>/", views_portal.collection_detail, name="collection"),
    path("collections/<slug:slug>/edit/", views_portal.collection_edit, name="collection-edit"),
    path("collections/<slug:slug>/delete/", views_portal.collection_delete, name="collection-delete"),
    path("search/", views_portal.search, name="search"),
    path("photographs/<int:pk>/", views_portal.photograph_detail, name="photograph"),
    path("photographs/<int:pk>/edit/", views_portal.photograph_edit, name="photograph-edit"),
    path("upload/", views_portal.upload, name="upload"),
    path("import/", views_portal.csv_import, name="csv-import"),
    path("import/<int:pk>/", views_portal.csv_import_detail, name="csv-import-detail"),
]

urlpatterns = iiif_patterns + portal_patterns
