"""Bad input is a 400 in the usual error body, never a 500: NUL bytes and undecodable bytes in
a path, a query string or a body, and reversed date ranges (issue 11, finding 6)."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from tests.support.collections import CollectionFactory, PhotographFactory
from tests.support.images import png_bytes

pytestmark = pytest.mark.django_db


def _assert_api_error(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status and error["code"] and error["message"]
    return error


def _assert_portal_error(response, text: str) -> None:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Chroma Archive" in body and text in body


@pytest.mark.parametrize("url", [
    "/api/collections/%00/",
    "/api/collections/?parent=%00",
    "/api/photographs/?q=%00",
    "/api/photographs/?collection=a%00b",
    "/api/photographs/export/?collection=%00",
    "/api/photographs/?q=%FF%FE",
])
def test_api_nul_and_undecodable_query_or_path_is_400(url):
    CollectionFactory(slug="fonds")
    error = _assert_api_error(Client().get(url))
    assert "NUL" in error["message"] or "UTF-8" in error["message"]


@pytest.mark.parametrize("url", ["/search/?q=%00", "/search/?collection=%00", "/collections/%00/", "/search/?q=%C3%28"])
def test_portal_nul_and_undecodable_input_is_a_400_page(url):
    _assert_portal_error(Client().get(url), "Bad request")


@pytest.mark.parametrize("field", ["collection", "parent"])
@pytest.mark.parametrize("encoding", ["json", "multipart"])
def test_nul_in_a_posted_field_is_400(archivist, field, encoding):
    CollectionFactory(slug="fonds")
    client = APIClient()
    client.force_authenticate(archivist)
    if field == "parent":
        data = {"title": "New", "slug": "new", "parent": "fonds\x00"}
        url = "/api/collections/"
    else:
        data = {"collection": "\x00fonds", "identifier": "x"}
        url = "/api/photographs/"
    _assert_api_error(client.post(url, data, format=encoding))


def test_nul_in_a_portal_form_is_a_400_page(archivist):
    CollectionFactory(slug="fonds")
    client = Client()
    client.force_login(archivist)
    _assert_portal_error(client.post("/search/", {"q": "a\x00"}), "NUL")


def test_a_file_with_nul_bytes_is_still_accepted_as_an_upload(archivist):
    """Binary uploads are full of NUL bytes: only text fields are checked."""
    CollectionFactory(slug="fonds")
    client = APIClient()
    client.force_authenticate(archivist)
    upload = SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")
    assert b"\x00" in upload.read()
    upload.seek(0)
    response = client.post("/api/photographs/", {"collection": "fonds", "file": upload}, format="multipart")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("url", ["/api/photographs/", "/api/photographs/export/"])
def test_reversed_date_range_is_400_in_the_api(url):
    PhotographFactory(date="1950")
    error = _assert_api_error(APIClient().get(url, {"date_from": "2000", "date_to": "1900"}))
    assert "date_to" in error["fields"]


def test_reversed_date_range_is_a_400_page_in_the_portal():
    PhotographFactory(date="1950")
    _assert_portal_error(Client().get("/search/", {"date_from": "2000", "date_to": "1900"}), "before")
