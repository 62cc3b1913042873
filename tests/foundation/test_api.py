"""The API conventions every app relies on: authentication, the error format, pagination,
the schema and its docs (served from the sidecar's static files, not a CDN)."""
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import include, path
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.generics import ListCreateAPIView
from rest_framework.test import APIClient

from archive_site.api_urls import urlpatterns as api_urlpatterns


class _ItemSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=10)


class _Items(ListCreateAPIView):
    """A stand-in resource: the real ones live in the apps."""

    serializer_class = _ItemSerializer

    def get_queryset(self):
        return [{"title": f"item {i}"} for i in range(120)]

    def perform_create(self, serializer):
        pass


class _StaffItems(_Items):
    permission_classes = [permissions.IsAdminUser]


urlpatterns = [
    path("api/items/", _Items.as_view()),
    path("api/staff-items/", _StaffItems.as_view()),
    path("api/", include(api_urlpatterns)),
]
handler404 = "archive_site.api.page_not_found"


def _assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["status"] == status
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


@pytest.mark.django_db
def test_unauthenticated_write_is_refused_in_the_error_format():
    response = APIClient().post("/api/", {"title": "x"}, format="json")
    _assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_signed_in_user_without_permission_gets_403_in_the_error_format(archivist):
    client = APIClient()
    client.force_authenticate(archivist)
    _assert_error(client.get("/api/staff-items/"), 403, "permission_denied")


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_validation_errors_name_the_fields(archivist):
    client = APIClient()
    client.force_authenticate(archivist)
    error = _assert_error(client.post("/api/items/", {"title": "far too long a title"}, format="json"), 400, "invalid")
    assert "title" in error["fields"]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_lists_are_paginated():
    body = APIClient().get("/api/items/").json()
    assert body["count"] == 120
    assert len(body["results"]) == 50
    assert body["next"].endswith("/api/items/?page=2")


@pytest.mark.django_db
def test_unknown_api_url_is_404_in_the_error_format():
    _assert_error(APIClient().get("/api/no-such-thing/"), 404, "not_found")


@pytest.mark.django_db
def test_token_from_credentials_works_and_bad_credentials_are_refused(archivist):
    client = APIClient()
    _assert_error(client.post("/api/auth/token/", {"username": "archie", "password": "wrong"}, format="json"), 400, "invalid")
    _assert_error(client.get("/api/auth/me/"), 401, "not_authenticated")

    token = client.post("/api/auth/token/", {"username": "archie", "password": "pw-archie"}, format="json").json()["token"]
    assert token == Token.objects.get(user=archivist).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/auth/me/")
    assert me.status_code == 200
    assert me.json() == {"username": "archie", "email": "archie@example.org", "roles": ["archivist"], "is_staff": False}

    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    _assert_error(client.get("/api/auth/me/"), 401, "authentication_failed")


@pytest.mark.django_db
def test_session_authentication_works(client, curator):
    client.force_login(curator)
    assert client.get("/api/auth/me/").json()["roles"] == ["curator"]


@pytest.mark.django_db
def test_api_root_lists_resources_as_json(client):
    response = client.get("/api/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert isinstance(response.json(), dict)


@pytest.mark.django_db
def test_openapi_schema_describes_the_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Chroma Archive API"
    assert "/api/auth/me/" in schema["paths"]
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_interactive_docs_load_nothing_from_a_cdn(client, url):
    html = client.get(url).content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
    # Every script/style the page needs is a static file we ship (drf-spectacular-sidecar).
    static = [a.removeprefix("/static/") for a in assets if a.startswith("/static/")]
    assert any(name.endswith(".js") for name in static)
    for name in static:
        assert finders.find(name), name
