"""Unpublished collections and their photographs are invisible to anonymous users and plain
viewers everywhere: search, detail, collections, tree, export, media files."""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from apps.collections import services
from tests.support import images
from tests.support.collections import CollectionFactory, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(fonds, hidden):
    """A public photograph, one in an unpublished collection, and one in a *published*
    series under that unpublished collection (hidden by its ancestor)."""
    series_under_hidden = CollectionFactory(parent=hidden, slug="hidden-series", is_published=True)

    def ingest(collection, name, seed, title):
        return services.photograph_ingest(
            collection=collection, file=upload(name, images.jpeg_bytes(seed=seed)), filename=name,
            metadata={"title": title, "rights_uri": "http://rightsstatements.org/vocab/NKC/1.0/"}, user=None,
        ).photograph

    public = ingest(fonds, "p.jpg", 1, "Public pier")
    secret = ingest(hidden, "s.jpg", 2, "Secret pier")
    nested = ingest(series_under_hidden, "n.jpg", 3, "Nested pier")
    for photograph in (public, secret, nested):
        services.photograph_build_derivatives(photograph_id=photograph.pk)
    return public, secret, nested


def _ids(response):
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.parametrize("role", [None, "viewer"])
def test_public_sees_only_published(archive, role, request):
    public, secret, nested = archive
    client = Client()
    if role:
        client.force_login(request.getfixturevalue(role))

    assert _ids(client.get("/api/photographs/", {"q": "pier"})) == {public.pk}
    assert client.get("/api/photographs/", {"collection": "unsorted"}).status_code == 400
    for hidden_photograph in (secret, nested):
        assert client.get(f"/api/photographs/{hidden_photograph.pk}/").status_code == 404
        for kind in ("master", "display", "thumbnail"):
            assert client.get(f"/api/media/photographs/{hidden_photograph.pk}/{kind}/").status_code == 404
    assert {c["slug"] for c in client.get("/api/collections/").json()["results"]} == {"harbour"}
    assert client.get("/api/collections/hidden-series/").status_code == 404
    assert [n["slug"] for n in client.get("/api/collections/tree/").json()] == ["harbour"]
    export = b"".join(client.get("/api/photographs/export/").streaming_content).decode()
    assert "Public pier" in export and "Secret pier" not in export and "Nested pier" not in export
    facets = client.get("/api/photographs/").json()["facets"]
    assert [c["slug"] for c in facets["collections"]] == ["harbour"]


@pytest.mark.parametrize("role", ["archivist", "colorist", "curator", "superuser"])
def test_staff_roles_see_unpublished(archive, role, request):
    client = Client()
    client.force_login(request.getfixturevalue(role))
    assert _ids(client.get("/api/photographs/", {"q": "pier"})) == {p.pk for p in archive}
    _, secret, _ = archive
    assert client.get(f"/api/media/photographs/{secret.pk}/thumbnail/").status_code == 200


def test_media_streams_the_untouched_master_and_derivatives(archive):
    public, _, _ = archive
    client = Client()
    response = client.get(f"/api/media/photographs/{public.pk}/master/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    with public.master.open("rb") as f:
        assert b"".join(response.streaming_content) == f.read()
    assert client.get(f"/api/media/photographs/{public.pk}/display/").status_code == 200
    not_modified = client.get(f"/api/media/photographs/{public.pk}/master/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert not_modified.status_code == 304
    assert client.get(f"/api/media/photographs/{public.pk}/original/").status_code == 404


def test_every_route_accepts_api_tokens_as_the_api_does(archive, archivist):
    """One authentication: a token opens media, IIIF and the API alike; a bad one is 401
    with `WWW-Authenticate: Token` everywhere, as the API answers it."""
    _, secret, _ = archive
    token = Token.objects.create(user=archivist)
    urls = [
        f"/api/media/photographs/{secret.pk}/master/",
        f"/iiif/3/photograph-{secret.pk}/info.json",
        f"/iiif/3/photograph-{secret.pk}/full/64,/0/default.jpg",
        f"/iiif/3/manifest/photograph-{secret.pk}",
        f"/photographs/{secret.pk}/",
        f"/api/photographs/{secret.pk}/",
    ]
    for url in urls:
        assert Client().get(url).status_code == 404, url
        with_token = Client().get(url, HTTP_AUTHORIZATION=f"Token {token.key}")
        assert with_token.status_code == 200, url
        if url.startswith(("/iiif/", "/api/media/")):
            assert "private" in with_token["Cache-Control"], url  # never kept by a shared cache
        bad = Client().get(url, HTTP_AUTHORIZATION="Token wrong")
        assert bad.status_code == 401 and bad["WWW-Authenticate"] == "Token", url
        assert bad.json()["error"]["code"] == "authentication_failed"


def test_publishing_the_ancestor_reveals_the_subtree(archive, hidden, archivist):
    _, secret, nested = archive
    services.collection_publish(collection=hidden, is_published=True, user=archivist)
    assert _ids(Client().get("/api/photographs/", {"q": "pier"})) == {p.pk for p in archive}
