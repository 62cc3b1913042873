"""Harvesting: OAI-PMH and the per-record Dublin Core XML / JSON-LD."""
from django.urls import path

from . import views

app_name = "harvest"

urlpatterns = [
    path("oai", views.oai_endpoint, name="oai"),
    path("records/photograph-<int:pk>", views.photograph_record, name="photograph-record"),
    path("records/photograph-<int:pk>.<str:extension>", views.photograph_record_format, name="photograph-record-format"),
    path("records/collection-<slug:slug>", views.collection_record, name="collection-record"),
    path("records/collection-<slug:slug>.<str:extension>", views.collection_record_format, name="collection-record-format"),
]
