"""API routes of this app: (prefix, viewset, basename) triples joined into one router in
archive_site/api_urls.py, plus any plain urlpatterns."""
from .api import CuratedSetViewSet, ModelVersionViewSet, TrainingRunViewSet

routes: list = [
    ("model-versions", ModelVersionViewSet, "model-versions"),
    ("curated-sets", CuratedSetViewSet, "curated-sets"),
    ("training-runs", TrainingRunViewSet, "training-runs"),
]
urlpatterns: list = []
