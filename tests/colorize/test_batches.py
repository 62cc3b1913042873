"""Batches: photographs ticked in the portal (or a collection, or a search through the API)
colorized together, one request each, followed as one."""
from __future__ import annotations

import pytest

from apps.colorize import services
from apps.colorize.models import ColorizationBatch, ColorizationRequest

pytestmark = pytest.mark.django_db



@pytest.fixture
def three(collection, ingest):
    return [ingest(collection, f"S-{n}") for n in range(3)]


def test_a_batch_records_its_requests_and_what_was_left_out(tiny_model, three, colorist, rq_worker, django_capture_on_commit_callbacks):
    services.colorization_request_create(photograph=three[0], user=colorist, seeds=[5])
    with django_capture_on_commit_callbacks(execute=True):
        result = services.colorization_request_create_many(photographs=three, user=colorist, seeds=[5], label="3 photographs selected in search")
    batch = result.batch
    assert batch.label == "3 photographs selected in search" and batch.requested_by == colorist
    assert sorted(r.photograph_id for r in batch.requests.all()) == [three[1].pk, three[2].pk]
    assert batch.refused == [{"photograph": three[0].pk, "message": result.refused[0][1]}]

    from apps.colorize import selectors

    waiting = selectors.colorization_batch_progress(requests=selectors.colorization_batch_requests(user=colorist, batch=batch))
    assert (waiting.total, waiting.done, waiting.counts["queued"], waiting.finished, waiting.progress) == (2, 0, 2, False, 0.0)
    rq_worker()
    done = selectors.colorization_batch_progress(requests=selectors.colorization_batch_requests(user=colorist, batch=batch))
    assert (done.done, done.counts["succeeded"], done.finished, done.progress, done.variants) == (2, 2, True, 1.0, 2)


def test_bad_options_refuse_the_whole_batch(tiny_model, three, colorist):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.colorization_request_create_many(photographs=three, user=colorist, n_variants=2, working_size=5)
    assert not ColorizationBatch.objects.exists() and not ColorizationRequest.objects.exists()


def test_ticked_photographs_from_the_portal_become_a_batch_with_a_progress_page(tiny_model, three, colorist, rq_worker, django_capture_on_commit_callbacks, portal):
    client = portal(colorist)
    search = client.get("/search/", {"q": ""}).content.decode()
    assert 'id="batch-colorize"' in search and f'name="photograph" value="{three[0].pk}" form="batch-colorize"' in search

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/colorize/batches/new/", {
            "photograph": [three[0].pk, three[2].pk], "n_variants": "2", "working_size": "256", "source": "in search results",
        })
    batch = ColorizationBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/colorize/batches/{batch.pk}/"
    assert batch.label == "2 photographs selected in search results"
    assert sorted(r.photograph_id for r in batch.requests.all()) == [three[0].pk, three[2].pk]
    assert all(len(r.seeds) == 2 for r in batch.requests.all())

    page = client.get(response["Location"]).content.decode()
    assert 'data-finished="false"' in page and "0</strong> of 2 requests finished" in page
    rq_worker()
    page = client.get(response["Location"]).content.decode()
    assert 'data-finished="true"' in page and "2</strong> of 2 requests finished" in page and "Compare 2 seeds" in page


def test_a_refused_selection_comes_back_explained(tiny_model, three, hidden_collection, ingest, colorist, viewer, portal):
    client = portal(colorist)
    nothing = client.post("/colorize/batches/new/", {"n_variants": "2", "working_size": "256"})
    assert nothing.status_code == 400 and "Tick at least one photograph." in nothing.content.decode()

    bad_options = client.post("/colorize/batches/new/", {"photograph": [three[0].pk], "n_variants": "0", "working_size": "256"})
    body = bad_options.content.decode()
    assert bad_options.status_code == 400 and "1 photograph selected" in body and f'value="{three[0].pk}"' in body

    unknown = client.post("/colorize/batches/new/", {"photograph": ["99999"], "n_variants": "1", "working_size": "256"})
    assert unknown.status_code == 400 and "is not one you can see" in unknown.content.decode()
    assert not ColorizationBatch.objects.exists()
    assert portal(viewer).post("/colorize/batches/new/", {"photograph": [three[0].pk], "n_variants": "1"}).status_code == 403
    assert "batch-colorize" not in portal(viewer).get("/search/").content.decode()


def test_the_collection_page_offers_the_same_selection(tiny_model, three, colorist, portal):
    page = portal(colorist).get("/collections/harbour/").content.decode()
    assert 'id="batch-colorize"' in page and 'value="in collection Harbour Board"' in page
    assert page.count('form="batch-colorize"') == 3


def test_batches_through_the_api(tiny_model, three, colorist, viewer, api, rq_worker, django_capture_on_commit_callbacks):
    client = api(colorist)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/colorization-requests/bulk/", {"collection": "harbour", "seeds": [3]}, format="json")
    assert response.status_code == 202
    batch = response.json()["batch"]
    assert batch["label"] == "collection Harbour Board" and batch["total"] == 3 and batch["counts"]["queued"] == 3 and not batch["finished"]

    rq_worker()
    detail = client.get(batch["url"]).json()
    assert detail["finished"] and detail["progress"] == 1.0 and detail["done"] == 3 and detail["variants"] == 3
    assert sorted(r["photograph"] for r in detail["requests"]) == sorted(p.pk for p in three)
    assert all(r["status"] == "succeeded" and r["variants"] == 1 for r in detail["requests"])
    assert [b["id"] for b in client.get("/api/colorization-batches/").json()["results"]] == [batch["id"]]

    assert api(viewer).get(batch["url"]).status_code == 404
    assert api().get("/api/colorization-batches/").status_code in (401, 403)
    assert client.get("/api/colorization-batches/abc/").status_code == 404
