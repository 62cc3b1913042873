"""What an integrator keeping a copy of the archive relies on: page sizes, RFC 8288 Link
headers, `modified_since`, the deletions list (tombstones), CORS on public reads, and
conditional requests on IIIF documents."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from apps.collections import services
from apps.collections.models import Photograph, Tombstone
from tests.support.collections import CollectionFactory, PhotographFactory

pytestmark = pytest.mark.django_db


def test_page_size_is_chosen_by_the_client_within_a_bound_and_links_are_in_headers(fonds):
    PhotographFactory.create_batch(7, collection=fonds)
    response = Client().get("/api/photographs/", {"page_size": 3, "page": 2, "facets": "false"})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 3 and body["count"] == 7
    links = dict((rel, url) for url, rel in (
        (part.split(";")[0].strip(" <>"), part.split('rel="')[1].rstrip('"')) for part in response["Link"].split(", ")
    ))
    assert set(links) == {"first", "prev", "next", "last"}
    assert "page=3" in links["next"] and "page_size=3" in links["next"] and "page=3" in links["last"]
    assert "page=" not in links["first"] and links["prev"] == body["previous"]
    # Following the headers alone walks every photograph once.
    seen, url = [], links["first"]
    while url:
        page = Client().get(url)
        seen += [item["id"] for item in page.json()["results"]]
        url = next((part.split(";")[0].strip(" <>") for part in page["Link"].split(", ") if 'rel="next"' in part), None)
    assert sorted(seen) == sorted(Photograph.objects.values_list("pk", flat=True))
    # Bounded: asking for more than the maximum gets the maximum.
    assert Client().get("/api/collections/", {"page_size": 100000}).status_code == 200
    from archive_site.pagination import ArchivePagination
    PhotographFactory.create_batch(ArchivePagination.max_page_size - 7 + 1, collection=fonds)
    big = Client().get("/api/photographs/", {"page_size": 100000, "facets": "false"}).json()
    assert len(big["results"]) == ArchivePagination.max_page_size


def test_modified_since_and_the_deletions_list_keep_a_copy_in_step(fonds, archivist):
    series = CollectionFactory(parent=fonds, slug="series", is_published=True)
    edited, deleted, withdrawn, untouched = (PhotographFactory(collection=c) for c in (fonds, fonds, series, fonds))
    Photograph.objects.update(updated_at=timezone.now() - dt.timedelta(days=1))
    since = timezone.now()
    deleted_pk = deleted.pk

    services.photograph_update(photograph=edited, data={"title": "Retitled"}, user=archivist)
    services.photograph_delete(photograph=deleted, user=archivist)
    services.collection_publish(collection=series, is_published=False, user=archivist)

    client = Client()
    changed = client.get("/api/photographs/", {"modified_since": since.isoformat(), "order": "modified"}).json()
    assert [item["id"] for item in changed["results"]] == [edited.pk]
    gone = client.get("/api/deletions/", {"since": since.isoformat()}).json()["results"]
    assert {(item["id"], item["reason"], item["collection"]) for item in gone} == {
        (deleted_pk, "deleted", "harbour"), (withdrawn.pk, "withdrawn", "series"),
    }
    assert {item["set_spec"] for item in gone} == {"harbour", "harbour:series"}
    assert client.get("/api/deletions/", {"since": timezone.now().isoformat()}).json()["results"] == []

    # Publishing again: the tombstone goes and the photograph counts as changed.
    republished_at = timezone.now()
    services.collection_publish(collection=series, is_published=True, user=archivist)
    assert not Tombstone.objects.filter(photograph_id=withdrawn.pk).exists()
    again = client.get("/api/photographs/", {"modified_since": republished_at.isoformat()}).json()
    assert [item["id"] for item in again["results"]] == [withdrawn.pk]
    assert untouched.pk not in [item["id"] for item in changed["results"] + again["results"]]


def test_a_never_public_photograph_leaves_no_tombstone(hidden, archivist):
    photograph = PhotographFactory(collection=hidden)
    services.photograph_delete(photograph=photograph, user=archivist)
    assert not Tombstone.objects.exists()


def test_moving_a_collection_changes_the_set_of_its_public_photographs(fonds, archivist):
    other = CollectionFactory(slug="other", is_published=True)
    series = CollectionFactory(parent=fonds, slug="series", is_published=True)
    photograph = PhotographFactory(collection=series)
    Photograph.objects.update(updated_at=timezone.now() - dt.timedelta(days=1))
    before = timezone.now()
    services.collection_update(collection=series, data={"parent": other}, user=archivist)
    photograph.refresh_from_db()
    assert photograph.updated_at >= before and not Tombstone.objects.exists()
    hidden_parent = CollectionFactory(slug="closed", is_published=False)
    services.collection_update(collection=series, data={"parent": hidden_parent}, user=archivist)
    assert Tombstone.objects.get().set_spec == "other:series"


def test_public_reads_carry_cors_headers_without_credentials(fonds):
    PhotographFactory(collection=fonds)
    response = Client().get("/api/photographs/", HTTP_ORIGIN="https://aggregator.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert "Link" in response["Access-Control-Expose-Headers"]
    preflight = Client().options("/api/photographs/", HTTP_ORIGIN="https://aggregator.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert preflight.status_code == 200 and "GET" in preflight["Access-Control-Allow-Methods"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    # Portal pages are not for other sites.
    assert "Access-Control-Allow-Origin" not in Client().get("/", HTTP_ORIGIN="https://aggregator.example")


def test_manifests_and_info_json_answer_conditional_requests(fonds, archivist):
    from tests.collections.test_iiif_views import ingest

    photograph = ingest(fonds, archivist, "cond-1.jpg", title="Conditional")
    client = Client()
    for url in (f"/iiif/3/manifest/photograph-{photograph.pk}", f"/iiif/3/photograph-{photograph.pk}/info.json", "/iiif/3/collection/harbour"):
        response = client.get(url)
        assert response.status_code == 200 and response["ETag"], url
        assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304, url
        if "Last-Modified" in response:
            assert client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304, url
    manifest = f"/iiif/3/manifest/photograph-{photograph.pk}"
    etag = client.get(manifest)["ETag"]
    services.photograph_update(photograph=photograph, data={"title": "Changed"}, user=archivist)
    changed = client.get(manifest, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Last-Modified" in client.get(f"/iiif/3/photograph-{photograph.pk}/info.json")
