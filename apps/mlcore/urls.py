"""Portal pages of this app."""
from django.urls import path  # noqa: F401

app_name = "mlcore"
urlpatterns: list = []
