"""API routes of this app: (prefix, viewset, basename) triples joined into one router in
archive_site/api_urls.py, plus any plain urlpatterns."""
from django.urls import path

from .api import CollectionViewSet, CsvImportViewSet, DeletionViewSet, PhotographViewSet
from .views_media import photograph_media

routes: list = [
    ("collections", CollectionViewSet, "collections"),
    ("photographs", PhotographViewSet, "photographs"),
    ("csv-imports", CsvImportViewSet, "csv-imports"),
    ("deletions", DeletionViewSet, "deletions"),
]
urlpatterns: list = [
    path("media/photographs/<int:pk>/<str:kind>/", photograph_media, name="photograph-media"),
]
