"""Collection management pages: who may use them, moves that would make a cycle, deleting
only what is empty, and what unpublishing does to what is below."""
from __future__ import annotations

import pytest
from django.test import Client

from apps.collections.models import Collection, Tombstone
from tests.support.collections import CollectionFactory, PhotographFactory

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_only_archivists_manage_collections(fonds, viewer, colorist):
    assert _as(None).get("/collections/new/").status_code == 302  # to the login page
    for user in (viewer, colorist):
        assert _as(user).get("/collections/new/").status_code == 403
        assert _as(user).get("/collections/harbour/edit/").status_code == 403
        assert _as(user).post("/collections/harbour/delete/").status_code == 403
    assert "Edit collection" not in _as(viewer).get("/collections/harbour/").content.decode()


def test_a_collection_cannot_move_under_its_own_descendant(fonds, archivist):
    series = CollectionFactory(parent=fonds, slug="series")
    response = _as(archivist).post("/collections/harbour/edit/", {"title": fonds.title, "slug": "harbour", "parent": series.pk, "is_published": "on"})
    assert response.status_code == 200 and "parent" in response.context["form"].errors
    fonds.refresh_from_db()
    assert fonds.parent is None


def test_unpublishing_hides_the_subtree_and_tells_harvesters(fonds, archivist):
    series = CollectionFactory(parent=fonds, slug="series", is_published=True)
    photograph = PhotographFactory(collection=series)
    response = _as(archivist).post("/collections/harbour/edit/", {"title": fonds.title, "slug": "harbour", "description": ""})
    assert response.status_code == 302
    assert _as(None).get("/collections/series/").status_code == 404  # published itself, hidden by its fonds
    assert Tombstone.objects.get().photograph_id == photograph.pk
    assert Collection.objects.get(slug="series").is_published  # kept, so publishing the fonds restores it


def test_only_an_empty_collection_is_deleted(fonds, archivist):
    PhotographFactory(collection=fonds)
    empty = CollectionFactory(slug="empty")
    client = _as(archivist)
    refused = client.post("/collections/harbour/delete/", follow=True)
    assert "still holds photographs" in refused.content.decode() and Collection.objects.filter(slug="harbour").exists()
    assert client.post(f"/collections/{empty.slug}/delete/").status_code == 302
    assert not Collection.objects.filter(slug="empty").exists()
