"""Portal pages, without JavaScript: every action works with plain forms and links."""
from __future__ import annotations

import pytest

from apps.colorize import services
from apps.colorize.models import Annotation, ColorizationRequest

pytestmark = pytest.mark.django_db



def test_the_photograph_page_shows_the_colorize_panel_to_colorists_and_the_approved_colorization_to_everyone(tiny_model, photograph, colorist, colorize, portal):
    page = portal(colorist).get(f"/photographs/{photograph.pk}/").content.decode()
    assert 'id="colorize-title"' in page and f'action="/colorize/photographs/{photograph.pk}/request/"' in page
    anonymous = portal().get(f"/photographs/{photograph.pk}/").content.decode()
    assert "request/" not in anonymous and "No approved colorization yet." in anonymous

    variant = colorize(photograph, [3]).variants.get()
    services.variant_approve(variant=variant, user=colorist)
    anonymous = portal().get(f"/photographs/{photograph.pk}/").content.decode()
    assert f"/api/media/variants/{variant.pk}/thumbnail/" in anonymous and "AI-colorized" in anonymous
    assert f"/colorize/variants/{variant.pk}/" in anonymous


def test_requesting_through_the_form_and_following_it_without_javascript(tiny_model, photograph, colorist, rq_worker, django_capture_on_commit_callbacks, portal):
    client = portal(colorist)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/colorize/photographs/{photograph.pk}/request/", {"n_variants": "", "seeds": "7, 42 9", "working_size": "256"})
    assert response.status_code == 302 and response["Location"] == f"/colorize/photographs/{photograph.pk}/"
    request = ColorizationRequest.objects.get()
    assert request.seeds == [7, 42, 9]
    page = client.get(f"/colorize/requests/{request.pk}/").content.decode()
    assert "Queued" in page and "number 1 in the queue" in page and 'http-equiv="refresh"' in page

    rq_worker()
    page = client.get(f"/colorize/requests/{request.pk}/").content.decode()
    assert "Succeeded" in page and 'http-equiv="refresh"' not in page
    gallery = client.get(f"/colorize/photographs/{photograph.pk}/").content.decode()
    for variant in request.variants.all():
        assert f"/colorize/variants/{variant.pk}/" in gallery
    assert "Original scan" in gallery


def test_a_refused_or_invalid_request_is_explained(tiny_model, photograph, colorist, portal):
    client = portal(colorist)
    client.post(f"/colorize/photographs/{photograph.pk}/request/", {"seeds": "1", "working_size": "256"})
    again = client.post(f"/colorize/photographs/{photograph.pk}/request/", {"seeds": "1", "working_size": "256"}, follow=True)
    assert "already queued" in again.content.decode()
    invalid = client.post(f"/colorize/photographs/{photograph.pk}/request/", {"seeds": "one, two", "working_size": "256"})
    assert invalid.status_code == 400 and "Seeds are whole numbers" in invalid.content.decode()
    assert ColorizationRequest.objects.count() == 1


def test_cancel_from_the_request_page(tiny_model, photograph, colorist, colorize, portal):
    request = colorize(photograph, [1], run=False)
    client = portal(colorist)
    response = client.post(f"/colorize/requests/{request.pk}/cancel/", follow=True)
    assert "Cancelled." in response.content.decode()
    request.refresh_from_db()
    assert request.status == "cancelled"


def test_the_variant_page_reviews_and_annotates_with_plain_forms(tiny_model, colour_photograph, colorist, colorize, portal):
    variant = colorize(colour_photograph, [1, 2]).variants.order_by("seed").first()
    client = portal(colorist)
    page = client.get(f"/colorize/variants/{variant.pk}/").content.decode()
    for expected in ('id="swipe"', 'data-variant-info="/iiif/3/variant-', "Original — its true colours", "ΔE2000 to the true colours",
                     f"/api/media/variants/{variant.pk}/download/tiff/", ">Approve<", 'name="x"', "Other seeds of this request"):
        assert expected in page, expected

    response = client.post(f"/colorize/variants/{variant.pk}/annotations/", {"text": "sky too purple", "x": "0.1", "y": "0.2", "w": "0.3", "h": "0.25"})
    assert response.status_code == 302
    annotation = Annotation.objects.get()
    assert (annotation.text, annotation.region) == ("sky too purple", {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.25})
    page = client.get(f"/colorize/variants/{variant.pk}/").content.decode()
    assert "sky too purple" in page and "left: 10.000%; top: 20.000%; width: 30.000%; height: 25.000%" in page

    client.post(f"/colorize/variants/{variant.pk}/approve/", {"note": "lovely"})
    variant.refresh_from_db()
    assert variant.review_state == "approved"
    page = client.get(f"/colorize/variants/{variant.pk}/").content.decode()
    assert ">Approve<" not in page and ">Reopen<" in page and "lovely" in page
    client.post(f"/colorize/variants/{variant.pk}/reject/")
    variant.refresh_from_db()
    assert variant.review_state == "rejected"


def test_viewers_see_approved_variants_only_and_cannot_review(tiny_model, photograph, colorist, viewer, colorize, portal):
    approved, pending = colorize(photograph, [1, 2]).variants.order_by("seed")
    services.variant_approve(variant=approved, user=colorist)
    for client in (portal(viewer), portal()):
        page = client.get(f"/colorize/variants/{approved.pk}/")
        assert page.status_code == 200
        assert ">Approve<" not in page.content.decode() and "Annotations" not in page.content.decode()
        assert client.get(f"/colorize/variants/{pending.pk}/").status_code == 404
    assert portal(viewer).post(f"/colorize/variants/{pending.pk}/approve/").status_code == 403
    assert portal(viewer).get("/colorize/review/").status_code == 403
    assert portal().get("/colorize/review/").status_code == 302  # to the login page


def test_the_review_queue_page_filters_and_approves_in_place(tiny_model, collection, hidden_collection, ingest, colorist, colorize, portal):
    here = colorize(ingest(collection, "A-1"), [1])
    there = colorize(ingest(hidden_collection, "B-1"), [2])
    client = portal(colorist)
    page = client.get("/colorize/review/").content.decode()
    assert f"/colorize/variants/{here.variants.get().pk}/" in page and f"/colorize/variants/{there.variants.get().pk}/" in page
    page = client.get("/colorize/review/?collection=harbour").content.decode()
    assert f"/colorize/variants/{here.variants.get().pk}/" in page and f"/colorize/variants/{there.variants.get().pk}/" not in page

    response = client.post(f"/colorize/variants/{here.variants.get().pk}/approve/", {"next": "/colorize/review/?collection=harbour"})
    assert response["Location"] == "/colorize/review/?collection=harbour"
    assert "Nothing waits for review." in client.get("/colorize/review/?collection=harbour").content.decode()


def test_a_whole_collection_from_the_bulk_page(tiny_model, collection, ingest, colorist, colour_photograph, portal):
    grey = [ingest(collection, f"G-{n}") for n in range(2)]
    response = portal(colorist).post("/colorize/bulk/", {"collection": "harbour", "grayscale_only": "on", "n_variants": "2", "working_size": "256"})
    assert response.status_code == 302
    assert sorted(ColorizationRequest.objects.values_list("photograph_id", flat=True)) == sorted(p.pk for p in grey)
