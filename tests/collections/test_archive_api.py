"""The REST API of the archive: search with facets, upload through ingest, edits with
history, collections, permissions per role, bounded query counts."""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from apps.collections.models import Collection, MetadataChange, Photograph
from tests.support import images
from tests.support.collections import CollectionFactory, PhotographFactory, upload

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_search_endpoint_returns_ranked_results_and_facets(fonds):
    PhotographFactory(collection=fonds, title="Lighthouse keeper", date="1921", subjects=["Lighthouses"])
    PhotographFactory(collection=fonds, title="Harbour", description="the lighthouse far away")
    PhotographFactory(collection=fonds, title="Unrelated")

    body = Client().get("/api/photographs/", {"q": "lighthouse", "date_from": "1900"}).json()

    assert body["count"] == 1
    assert body["results"][0]["title"] == "Lighthouse keeper"
    assert body["results"][0]["rank"] > 0
    assert body["results"][0]["files"]["master"].endswith(f"/api/media/photographs/{body['results'][0]['id']}/master/")
    assert body["facets"]["decades"] == [{"decade": 1920, "count": 1}]


def test_search_parameters_are_validated(fonds):
    response = Client().get("/api/photographs/", {"date_from": "the twenties", "collection": "nope"})
    assert response.status_code == 400
    assert "date_from" in response.json()["error"]["fields"]
    response = Client().get("/api/photographs/", {"collection": "nope"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["collection"]


@pytest.mark.parametrize("n", [3, 30])
def test_list_query_count_does_not_grow_with_the_page(fonds, n, django_assert_max_num_queries, archivist):
    series = CollectionFactory(parent=fonds)
    PhotographFactory.create_batch(n, collection=series, title="Street scene")
    client = client_for(archivist)
    # session, user, permissions (2), the collection, two facet queries (they count), page.
    with django_assert_max_num_queries(8):
        body = client.get("/api/photographs/", {"q": "street", "collection": fonds.slug}).json()
    assert body["count"] == n
    with django_assert_max_num_queries(7):  # without facets the paginator runs its own COUNT
        without_facets = client.get("/api/photographs/", {"q": "street", "facets": "false"}).json()
    assert without_facets["count"] == n and "facets" not in without_facets
    with django_assert_max_num_queries(6):
        assert client.get("/api/collections/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/api/collections/tree/").status_code == 200


def test_archivist_uploads_through_ingest_and_sees_refusals_with_codes(fonds, archivist, media_files):
    client = client_for(archivist)
    data = images.jpeg_bytes(seed=11)
    response = client.post("/api/photographs/", {"file": upload("HB-7.jpg", data), "collection": "harbour", "title": "Dock", "subjects": ["Docks", "Ships"], "date": "1914/1918"})
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["identifier"], created["title"], created["subjects"], created["date_lower"]) == ("HB-7", "Dock", ["Docks", "Ships"], "1914-01-01")

    duplicate = client.post("/api/photographs/", {"file": upload("again.jpg", data), "collection": "harbour"})
    assert duplicate.status_code == 409
    error = duplicate.json()["error"]
    assert error["code"] == "duplicate" and error["existing"]["identifier"] == "HB-7" and "Dock" in error["message"]

    not_image = client.post("/api/photographs/", {"file": upload("x.jpg", b"hello"), "collection": "harbour"})
    assert (not_image.status_code, not_image.json()["error"]["code"]) == (415, "unsupported_format")
    bomb = client.post("/api/photographs/", {"file": upload("bomb.png", images.png_bomb()), "collection": "harbour"})
    assert (bomb.status_code, bomb.json()["error"]["code"]) == (400, "too_many_pixels")
    bad_date = client.post("/api/photographs/", {"file": upload("y.jpg", images.jpeg_bytes(seed=12)), "collection": "harbour", "date": "someday"})
    assert bad_date.status_code == 400 and "date" in bad_date.json()["error"]["fields"]

    assert Photograph.objects.count() == 1
    assert len([f for f in media_files() if f.startswith("masters/")]) == 1


@pytest.mark.parametrize("role", ["viewer", "colorist", None])
def test_only_archivists_write(fonds, role, request):
    user = request.getfixturevalue(role) if role else None
    photograph = PhotographFactory(collection=fonds)
    client = client_for(user)
    expected = 401 if user is None else 403
    assert client.post("/api/photographs/", {"file": upload("a.jpg", images.jpeg_bytes()), "collection": "harbour"}).status_code == expected
    assert client.patch(f"/api/photographs/{photograph.pk}/", {"title": "x"}, content_type="application/json").status_code == expected
    assert client.delete(f"/api/photographs/{photograph.pk}/").status_code == expected
    assert client.post("/api/collections/", {"title": "New"}).status_code == expected
    assert client.get(f"/api/photographs/{photograph.pk}/").status_code == 200


def test_token_authentication_works_for_integrators(fonds, archivist):
    token = Token.objects.create(user=archivist)
    photograph = PhotographFactory(collection=fonds)
    response = Client().patch(
        f"/api/photographs/{photograph.pk}/", {"title": "Renamed"}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200 and response.json()["title"] == "Renamed"


def test_edits_keep_history_visible_to_staff_only(fonds, archivist, viewer):
    photograph = PhotographFactory(collection=fonds, title="Old title", subjects=["Ships"], date="1920")
    client = client_for(archivist)

    edit = {"title": "New title", "subjects": ["Ships", "Tugs"], "date": "circa 1921", "creator": ""}
    response = client.patch(f"/api/photographs/{photograph.pk}/", edit, content_type="application/json")

    assert response.status_code == 200, response.json()
    assert response.json()["date"] == "1921~"
    history = client.get(f"/api/photographs/{photograph.pk}/history/").json()["results"]
    assert {(h["field"], h["old_value"], h["new_value"], h["user"], h["source"]) for h in history} == {
        ("title", "Old title", "New title", "archie", "api"),
        ("subjects", "Ships", "Ships | Tugs", "archie", "api"),
        ("date", "1920", "1921~", "archie", "api"),
    }
    # an edit that changes nothing writes no history
    client.patch(f"/api/photographs/{photograph.pk}/", {"title": "New title"}, content_type="application/json")
    assert MetadataChange.objects.filter(photograph=photograph).count() == 3
    assert client_for(viewer).get(f"/api/photographs/{photograph.pk}/history/").status_code == 403
    assert client_for(None).get(f"/api/photographs/{photograph.pk}/history/").status_code == 403


def test_invalid_edit_changes_nothing(fonds, archivist):
    photograph = PhotographFactory(collection=fonds, title="Keep")
    other = PhotographFactory(collection=fonds, identifier="TAKEN")
    client = client_for(archivist)
    response = client.patch(f"/api/photographs/{photograph.pk}/", {"title": "Lost", "date": "1920-13-45"}, content_type="application/json")
    assert response.status_code == 400 and "date" in response.json()["error"]["fields"]
    response = client.patch(f"/api/photographs/{photograph.pk}/", {"identifier": other.identifier}, content_type="application/json")
    assert response.status_code == 400
    photograph.refresh_from_db()
    assert photograph.title == "Keep" and not MetadataChange.objects.exists()


def test_collections_crud_tree_and_publishing_with_history(archivist):
    client = client_for(archivist)
    fonds = client.post("/api/collections/", {"title": "City Photographer fonds"}).json()
    assert fonds["slug"] == "city-photographer-fonds" and fonds["is_published"] is False
    series = client.post("/api/collections/", {"title": "Streets", "parent": fonds["slug"]}).json()
    assert series["parent"] == fonds["slug"] and series["depth"] == 1

    assert client_for(None).get("/api/collections/tree/").json() == []
    client.patch(f"/api/collections/{fonds['slug']}/", {"is_published": True}, content_type="application/json")
    assert client_for(None).get("/api/collections/tree/").json()[0]["slug"] == fonds["slug"]
    # the series is still unpublished: invisible although its parent is published
    assert client_for(None).get(f"/api/collections/{series['slug']}/").status_code == 404
    history = client.get(f"/api/collections/{fonds['slug']}/history/").json()["results"]
    assert [(h["field"], h["old_value"], h["new_value"]) for h in history] == [("is_published", "False", "True")]

    assert client.delete(f"/api/collections/{fonds['slug']}/").status_code == 400  # has a series
    assert client.delete(f"/api/collections/{series['slug']}/").status_code == 204
    assert Collection.objects.count() == 1


def test_delete_removes_row_and_files(fonds, archivist, media_files, django_capture_on_commit_callbacks):
    client = client_for(archivist)
    created = client.post("/api/photographs/", {"file": upload("a.jpg", images.jpeg_bytes()), "collection": "harbour"}).json()
    assert media_files()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/photographs/{created['id']}/").status_code == 204
    assert not Photograph.objects.exists()
    assert media_files() == []


def test_openapi_schema_documents_the_archive(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "/api/photographs/" in paths and "/api/csv-imports/" in paths and "/api/collections/tree/" in paths
    names = {p["name"] for p in paths["/api/photographs/"]["get"]["parameters"]}
    assert {"q", "collection", "date_from", "date_to", "grayscale", "has_approved", "rights", "order"} <= names
    assert "multipart/form-data" in paths["/api/photographs/"]["post"]["requestBody"]["content"]
