"""The comparison grid and the review queue by photograph, as plain pages (no JavaScript)."""
from __future__ import annotations

import re

import pytest
from django.utils import timezone

from apps.colorize import services
from apps.colorize.models import Variant
from tests.support.mlcore import register_tiny_model

pytestmark = pytest.mark.django_db



def cells(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-review-item data-variant="(\d+)"', page)]


def test_the_grid_shows_a_request_or_the_chosen_variants_with_their_actions(
    tiny_model, photograph, colorist, colorize, tmp_path, rq_worker, django_capture_on_commit_callbacks, portal,
):
    first = colorize(photograph, [1, 2, 3])
    other_model = register_tiny_model(tmp_path / "other.pt", version="0.0.2", active=False)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[9], model_version=other_model)
    rq_worker()

    client = portal(colorist)
    by_request = client.get(f"/colorize/photographs/{photograph.pk}/compare/", {"request": first.pk})
    page = by_request.content.decode()
    assert by_request.status_code == 200
    assert cells(page) == [v.pk for v in first.variants.order_by("pk")]
    assert page.count("/iiif/") >= 4 and 'data-info-url="/iiif/' in page  # the original and three variants, tiled
    assert page.count('data-action="approve"') == 3 and page.count('data-action="annotate"') == 3
    assert "Keyboard shortcuts" in page and 'id="shortcuts"' in page

    # Across requests and model versions: the form offers every variant, grouped by request.
    assert f"Request #{first.pk} · tiny 0.0.1" in page and f"Request #{second.pk} · tiny 0.0.2" in page
    chosen = [first.variants.order_by("pk")[0].pk, second.variants.get().pk]
    picked = client.get(f"/colorize/photographs/{photograph.pk}/compare/", {"v": chosen}).content.decode()
    assert cells(picked) == chosen and "tiny 0.0.2 · request #" in picked
    # Without a choice: the variants waiting for review.
    everything = [v.pk for v in first.variants.order_by("pk")] + chosen[1:]
    assert cells(client.get(f"/colorize/photographs/{photograph.pk}/compare/").content.decode()) == everything


def test_a_grid_past_its_limit_or_of_another_photograph_is_refused(tiny_model, photograph, colour_photograph, colorist, colorize, portal):
    many = colorize(photograph, range(1, 10))
    elsewhere = colorize(colour_photograph, [1])
    client = portal(colorist)
    too_many = client.get(f"/colorize/photographs/{photograph.pk}/compare/", {"v": [v.pk for v in many.variants.all()]})
    assert too_many.status_code == 400 and "Compare at most 8 variants at once; 9 were ticked." in too_many.content.decode()
    assert len(cells(too_many.content.decode())) == 8  # the page still shows a grid
    assert client.get(f"/colorize/photographs/{photograph.pk}/compare/", {"request": elsewhere.pk}).status_code == 404
    assert client.get(f"/colorize/photographs/{photograph.pk}/compare/", {"v": ["x"]}).status_code == 400
    assert client.get(f"/colorize/photographs/{photograph.pk}/compare/", {"v": [elsewhere.variants.get().pk]}).status_code == 400


def test_approving_and_annotating_from_the_grid_come_back_to_it(tiny_model, photograph, colorist, colorize, portal):
    variants = list(colorize(photograph, [1, 2, 3, 4]).variants.order_by("pk"))
    client = portal(colorist)
    here = f"/colorize/photographs/{photograph.pk}/compare/?" + "&".join(f"v={v.pk}" for v in variants)
    page = client.get(here).content.decode()
    assert f'name="next" value="{here.replace("&", "&amp;")}#cell-{variants[2].pk}"' in page

    response = client.post(f"/colorize/variants/{variants[2].pk}/approve/", {"next": f"{here}#cell-{variants[2].pk}"})
    assert response.status_code == 302 and response["Location"] == f"{here}#cell-{variants[2].pk}"
    assert [Variant.objects.get(pk=v.pk).review_state for v in variants] == ["not_chosen", "not_chosen", "approved", "not_chosen"]
    page = client.get(here).content.decode()
    assert cells(page) == [v.pk for v in variants] and page.count(">Not chosen<") >= 3

    noted = client.post(f"/colorize/variants/{variants[0].pk}/annotations/", {"text": "sky too purple", "next": here})
    assert noted["Location"] == here and variants[0].annotations.get().text == "sky too purple"
    assert client.post(f"/colorize/variants/{variants[0].pk}/annotations/", {"text": "x", "next": "https://elsewhere.example/"})["Location"].startswith("/colorize/variants/")


def test_the_queue_groups_pending_seeds_by_photograph_and_filters(tiny_model, collection, hidden_collection, ingest, colorist, django_user_model, colorize, portal):
    from django.contrib.auth.models import Group

    other = django_user_model.objects.create_user(username="otto", password="pw-otto")
    other.groups.add(Group.objects.get(name="colorist"))
    old = colorize(ingest(collection, "A-1"), [1, 2, 3])
    new = colorize(ingest(hidden_collection, "B-1"), [4, 5], user=other)
    Variant.objects.filter(request=old).update(created_at=timezone.now() - timezone.timedelta(days=9))
    client = portal(colorist)

    def groups(query: dict | None = None) -> list[list[int]]:
        page = client.get("/colorize/review/", query or {}).content.decode()
        return [[int(pk) for pk in re.findall(r'data-variant="(\d+)"', chunk)] for chunk in page.split("data-review-group")[1:]]

    old_ids = [v.pk for v in old.variants.order_by("pk")]
    new_ids = [v.pk for v in new.variants.order_by("pk")]
    assert groups() == [old_ids, new_ids]  # the photograph waiting longest first
    assert groups({"collection": "harbour"}) == [old_ids]
    assert groups({"requested_by": "otto"}) == [new_ids]
    assert groups({"age": "older"}) == [old_ids]
    assert groups({"age": "day"}) == [new_ids]
    assert groups({"model_version": tiny_model.pk, "age": "week"}) == [new_ids]
    assert "5 variants of 2 photographs waiting" in client.get("/colorize/review/").content.decode()

    client.post(f"/colorize/variants/{old_ids[1]}/approve/", {"next": "/colorize/review/"})
    assert groups() == [new_ids]  # its siblings left the queue with it
    client.post(f"/colorize/variants/{old_ids[0]}/reopen/", {"next": "/colorize/review/"})
    assert groups() == [[old_ids[0]], new_ids]
