"""Harvesting: OAI-PMH and the per-record Dublin Core XML / JSON-LD."""
from django.urls import path

from . import views

app_name = "harvest"

urlpatterns = [
    path("oai", views.oai_endpoint, name="oai"),
]
