"""The REST API: 202 to poll, cancel, variants, review, annotations, queue, files, roles, visibility."""
from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from apps.colorize.models import ColorizationRequest, Variant
from apps.mlcore.colorizing import read_provenance

pytestmark = pytest.mark.django_db


def test_create_answers_202_with_the_request_to_poll_then_the_variants(tiny_model, photograph, colorist, api, rq_worker, django_capture_on_commit_callbacks):
    client = api(colorist)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/colorization-requests/", {"photograph": photograph.pk, "seeds": [4, 8, 15]}, format="json")
    assert response.status_code == 202, response.data
    body = response.json()
    assert body["status"] == "queued" and body["seeds"] == [4, 8, 15]
    assert body["model_version"]["id"] == tiny_model.pk and body["variants"] == []
    assert response["Location"] == body["url"]
    waiting = client.get(response["Location"]).json()
    assert waiting["queue_position"] == 1 and waiting["started_at"] is None and waiting["waited_seconds"] >= 0

    rq_worker()
    polled = client.get(response["Location"]).json()
    assert polled["status"] == "succeeded" and polled["progress"] == 1.0 and polled["elapsed_seconds"] is not None
    assert [v["seed"] for v in polled["variants"]] == [4, 8, 15]
    variant = client.get(polled["variants"][0]["url"]).json()
    assert variant["provenance"]["label"] == "AI-colorized" and variant["review_state"] == "pending"
    assert set(variant["files"]["downloads"]) == {"png", "tiff", "jpeg"}


def test_random_seeds_on_request_and_bad_input_refused(tiny_model, photograph, colorist, api):
    client = api(colorist)
    response = client.post("/api/colorization-requests/", {"photograph": photograph.pk, "n_variants": 2}, format="json")
    assert response.status_code == 202 and len(response.json()["seeds"]) == 2
    for bad in ({"photograph": photograph.pk}, {"photograph": photograph.pk, "n_variants": 2, "seeds": [1]},
                {"photograph": photograph.pk, "seeds": [1, 1]}, {"photograph": photograph.pk, "n_variants": 500}):
        response = client.post("/api/colorization-requests/", bad, format="json")
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "invalid"
    assert client.post("/api/colorization-requests/", {"photograph": 999999, "n_variants": 1}, format="json").status_code == 404


def test_a_duplicate_is_refused_with_409_naming_the_request_in_the_way(tiny_model, photograph, colorist, api):
    client = api(colorist)
    first = client.post("/api/colorization-requests/", {"photograph": photograph.pk, "seeds": [1, 2]}, format="json").json()
    response = client.post("/api/colorization-requests/", {"photograph": photograph.pk, "seeds": [2, 1]}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate" and error["existing"]["id"] == first["id"]


def test_cancel_through_the_api(tiny_model, photograph, colorist, curator, api, colorize):
    queued = colorize(photograph, [1], run=False)
    assert api(curator).post(f"/api/colorization-requests/{queued.pk}/cancel/").status_code == 403
    response = api(colorist).post(f"/api/colorization-requests/{queued.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert api(colorist).post(f"/api/colorization-requests/{queued.pk}/cancel/").status_code == 400


@pytest.mark.parametrize(
    ("role", "create", "review", "annotate", "see_pending"),
    [
        ("colorist", 202, 200, 201, True),
        ("curator", 403, 403, 403, True),
        ("archivist", 403, 403, 403, True),
        ("viewer", 403, 403, 403, False),
        (None, 401, 401, 401, False),
    ],
)
def test_permissions_by_role(request, role, create, review, annotate, see_pending, tiny_model, photograph, colorize, api):
    variant = colorize(photograph, [1]).variants.get()
    client = api(request.getfixturevalue(role) if role else None)
    assert client.post("/api/colorization-requests/", {"photograph": photograph.pk, "seeds": [9]}, format="json").status_code == create
    assert client.post(f"/api/variants/{variant.pk}/annotations/", {"text": "sky"}, format="json").status_code == annotate
    assert client.get(f"/api/variants/{variant.pk}/").status_code == (200 if see_pending else 404)
    assert client.post(f"/api/variants/{variant.pk}/approve/").status_code == review
    assert client.get("/api/review-queue/").status_code == (200 if see_pending else (401 if role is None else 403))


def test_viewers_and_anonymous_users_see_only_approved_variants_of_published_photographs(
    tiny_model, photograph, hidden_collection, ingest, colorist, viewer, api, colorize,
):
    from apps.colorize import services

    public_request = colorize(photograph, [1, 2])
    hidden_photograph = ingest(hidden_collection, "UN-1")
    hidden_variant = colorize(hidden_photograph, [1]).variants.get()
    approved_variant, pending_variant = public_request.variants.order_by("seed")
    services.variant_approve(variant=approved_variant, user=colorist)
    services.variant_approve(variant=hidden_variant, user=colorist)
    # The colorization follows the photograph's access level: the full image needs the master level.
    from apps.collections import services as archive_services

    archive_services.photograph_update(photograph=photograph, data={"rights_uri": "http://rightsstatements.org/vocab/InC/1.0/"}, user=colorist)
    restricted = api(None).get(f"/api/media/variants/{approved_variant.pk}/image/")
    assert restricted.status_code == 403 and "thumbnail only" in restricted.json()["error"]["message"]
    assert api(None).get(f"/api/media/variants/{approved_variant.pk}/download/png/").status_code == 403
    assert api(None).get(f"/api/media/variants/{approved_variant.pk}/thumbnail/").status_code == 200
    info = api(None).get(f"/iiif/3/variant-{approved_variant.pk}/info.json").json()
    assert max(info["width"], info["height"]) <= 400
    assert api(colorist).get(f"/api/media/variants/{approved_variant.pk}/image/").status_code == 200
    archive_services.photograph_update(photograph=photograph, data={"rights_uri": "http://rightsstatements.org/vocab/NKC/1.0/"}, user=colorist)

    for user in (None, viewer):
        client = api(user)
        assert [v["id"] for v in client.get("/api/variants/").json()["results"]] == [approved_variant.pk]
        assert client.get(f"/api/variants/{pending_variant.pk}/").status_code == 404
        assert client.get(f"/api/variants/{hidden_variant.pk}/").status_code == 404
        assert client.get(f"/api/media/variants/{approved_variant.pk}/image/").status_code == 200
        assert client.get(f"/api/media/variants/{pending_variant.pk}/thumbnail/").status_code == 404
        assert client.get(f"/api/media/variants/{hidden_variant.pk}/download/png/").status_code == 404
        assert client.get(f"/iiif/3/variant-{approved_variant.pk}/info.json").status_code == 200
        assert client.get(f"/iiif/3/variant-{pending_variant.pk}/info.json").status_code == 404
        assert client.get(f"/api/variants/{approved_variant.pk}/annotations/").json() == []  # working notes stay internal
    client = Client()
    client.force_login(colorist)
    assert client.get(f"/iiif/3/variant-{pending_variant.pk}/info.json").status_code == 200
    assert len(api(colorist).get("/api/variants/").json()["results"]) == 3


def test_review_and_annotations_through_the_api(tiny_model, photograph, colorist, api, colorize):
    first, second = colorize(photograph, [1, 2]).variants.order_by("seed")
    client = api(colorist)
    assert client.post(f"/api/variants/{first.pk}/approve/", {"note": "warm light"}, format="json").json()["review_state"] == "approved"
    assert client.post(f"/api/variants/{second.pk}/approve/").json()["review_state"] == "approved"
    assert client.get(f"/api/variants/{first.pk}/").json()["review_state"] == "rejected"
    history = client.get(f"/api/variants/{first.pk}/history/").json()
    assert [(e["action"], e["note"]) for e in history] == [("approve", "warm light"), ("replace", f"Replaced by variant {second.pk}.")]
    assert client.post(f"/api/variants/{first.pk}/reopen/").json()["review_state"] == "pending"

    created = client.post(f"/api/variants/{first.pk}/annotations/", {"text": "sky too purple", "region": {"x": 0.1, "y": 0.05, "w": 0.5, "h": 0.25}}, format="json")
    assert created.status_code == 201
    client.post(f"/api/variants/{first.pk}/annotations/", {"text": "overall fine"}, format="json")
    listed = client.get(f"/api/variants/{first.pk}/annotations/").json()
    assert [(a["text"], a["region"], a["author"]) for a in listed] == [
        ("sky too purple", {"x": 0.1, "y": 0.05, "w": 0.5, "h": 0.25}, "cora"),
        ("overall fine", None, "cora"),
    ]
    bad = client.post(f"/api/variants/{first.pk}/annotations/", {"text": "x", "region": {"x": 2, "y": 0, "w": 1, "h": 1}}, format="json")
    assert bad.status_code == 400


def test_the_review_queue_filters_by_collection_and_model_version(tmp_path, tiny_model, collection, hidden_collection, ingest, colorist, api, colorize):
    from apps.colorize import services
    from tests.support.mlcore import register_tiny_model

    here = colorize(ingest(collection, "A-1"), [1, 2])
    there = colorize(ingest(hidden_collection, "B-1"), [3])
    services.variant_reject(variant=here.variants.first(), user=colorist)
    candidate = register_tiny_model(tmp_path / "candidate.pt", version="0.2.0", active=False)
    with_candidate = services.colorization_request_create(photograph=there.photograph, user=colorist, seeds=[3], model_version=candidate)
    from apps.colorize.services.runs import colorization_run

    colorization_run(request_id=with_candidate.pk)

    client = api(colorist)
    ids = lambda query="": [v["id"] for v in client.get(f"/api/review-queue/{query}").json()["results"]]  # noqa: E731
    pending_here = list(here.variants.filter(review_state="pending").values_list("pk", flat=True))
    assert ids() == pending_here + [there.variants.get().pk, with_candidate.variants.get().pk]
    assert ids("?collection=harbour") == pending_here
    assert ids(f"?model_version={candidate.pk}") == [with_candidate.variants.get().pk]
    assert client.get("/api/review-queue/?model_version=999999").status_code == 400


def test_downloads_in_png_tiff_and_jpeg_carry_the_provenance(tiny_model, photograph, colorist, api, colorize):
    variant = colorize(photograph, [21]).variants.get()
    client = api(colorist)
    for fmt, content_type, pil_format in (("png", "image/png", "PNG"), ("tiff", "image/tiff", "TIFF"), ("jpeg", "image/jpeg", "JPEG")):
        response = client.get(f"/api/media/variants/{variant.pk}/download/{fmt}/")
        assert response.status_code == 200 and response["Content-Type"] == content_type
        assert "attachment" in response["Content-Disposition"] and "seed21" in response["Content-Disposition"]
        data = b"".join(response.streaming_content)
        image = Image.open(io.BytesIO(data))
        assert image.format == pil_format and image.size == (photograph.width, photograph.height)
        provenance = read_provenance(io.BytesIO(data))
        assert provenance["label"] == "AI-colorized" and provenance["seed"] == 21 and provenance["request_id"] == variant.request_id
    assert client.get(f"/api/media/variants/{variant.pk}/download/gif/").status_code == 404


def test_the_manifest_offers_the_approved_colorization_as_a_choice(tiny_model, photograph, colorist, client, colorize):
    from apps.colorize import services

    variant = colorize(photograph, [1]).variants.get()
    painting = lambda: client.get(f"/iiif/3/manifest/photograph-{photograph.pk}").json()["items"][0]["items"][0]["items"][0]["body"]  # noqa: E731
    assert painting()["type"] == "Image"
    services.variant_approve(variant=variant, user=colorist)
    body = painting()
    assert body["type"] == "Choice"
    original, colorized = body["items"]
    assert f"photograph-{photograph.pk}" in original["id"] and f"variant-{variant.pk}" in colorized["id"]
    assert "AI colorization" in colorized["label"]["en"][0] and "seed 1" in colorized["label"]["en"][0]
    assert client.get(colorized["service"][0]["id"] + "/info.json").status_code == 200


def test_bulk_requests_for_a_collection(tiny_model, collection, ingest, colorist, api):
    photographs = [ingest(collection, f"HB-{n}") for n in range(3)]
    client = api(colorist)
    response = client.post("/api/colorization-requests/bulk/", {"collection": "harbour", "seeds": [5]}, format="json")
    assert response.status_code == 202
    assert sorted(r["photograph"] for r in response.json()["created"]) == sorted(p.pk for p in photographs)
    again = client.post("/api/colorization-requests/bulk/", {"collection": "harbour", "seeds": [5]}, format="json").json()
    assert again["created"] == [] and len(again["refused"]) == 3
    assert client.post("/api/colorization-requests/bulk/", {"seeds": [5]}, format="json").status_code == 400
    assert ColorizationRequest.objects.count() == 3


def test_the_openapi_schema_documents_the_colorize_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in ("/api/colorization-requests/", "/api/colorization-requests/{id}/cancel/", "/api/colorization-requests/bulk/",
                 "/api/variants/{id}/approve/", "/api/variants/{id}/annotations/", "/api/review-queue/",
                 "/api/media/variants/{id}/download/{fmt}/"):
        assert path in paths, path
    assert "202" in paths["/api/colorization-requests/"]["post"]["responses"]
    assert "409" in paths["/api/colorization-requests/"]["post"]["responses"]


def test_request_listing_is_for_colorize_roles_and_filters_by_photograph(tiny_model, photograph, colour_photograph, colorist, viewer, api, colorize):
    colorize(photograph, [1], run=False)
    colorize(colour_photograph, [1], run=False)
    listed = api(colorist).get(f"/api/colorization-requests/?photograph={photograph.pk}").json()["results"]
    assert [r["photograph"] for r in listed] == [photograph.pk]
    assert api(viewer).get("/api/colorization-requests/").json()["results"] == []
    assert api(None).get("/api/colorization-requests/").status_code == 401
    assert Variant.objects.count() == 0
