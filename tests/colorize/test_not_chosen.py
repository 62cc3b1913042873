"""Approving one seed sets its pending siblings aside as `not_chosen`: out of the queue, in the
history, and back with reopen or approve; the API knows the state."""
from __future__ import annotations

import pytest

from apps.colorize import selectors, services
from apps.colorize.models import ReviewEvent, Variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def four(tiny_model, photograph, colorize):
    return list(colorize(photograph, [1, 2, 3, 4]).variants.order_by("seed"))


def states(variants) -> list[str]:
    return [Variant.objects.get(pk=v.pk).review_state for v in variants]


def test_approving_one_seed_sets_its_pending_siblings_aside_with_a_history(four, photograph, colour_photograph, colorist, colorize):
    other_photograph = colorize(colour_photograph, [1]).variants.get()
    services.variant_reject(variant=four[3], user=colorist, note="too green")

    services.variant_approve(variant=four[1], user=colorist)

    assert states(four) == ["not_chosen", "approved", "not_chosen", "rejected"]  # a rejected one stays rejected
    assert Variant.objects.get(pk=other_photograph.pk).review_state == "pending"  # another photograph's seed is not a sibling
    events = ReviewEvent.objects.filter(action="not_chosen").order_by("variant_id")
    assert [(e.variant_id, e.from_state, e.to_state, e.replaced_by_id, e.actor) for e in events] == [
        (four[0].pk, "pending", "not_chosen", four[1].pk, colorist),
        (four[2].pk, "pending", "not_chosen", four[1].pk, colorist),
    ]
    assert list(selectors.review_queue(user=colorist)) == [other_photograph]


def test_a_variant_not_chosen_comes_back_by_reopen_or_approve(four, photograph, colorist):
    first, second, third, _ = four
    services.variant_approve(variant=first, user=colorist)

    services.variant_reopen(variant=second, user=colorist, note="look again")
    assert states(four) == ["approved", "pending", "not_chosen", "not_chosen"]
    assert ReviewEvent.objects.filter(variant=second).values_list("action", "from_state", "to_state").last() == ("reopen", "not_chosen", "pending")

    # Approving a set-aside seed replaces the approval; the pending one is set aside in its turn.
    services.variant_approve(variant=third, user=colorist)
    assert states(four) == ["rejected", "not_chosen", "approved", "not_chosen"]
    assert [e.action for e in ReviewEvent.objects.filter(variant=first)] == ["approve", "replace"]
    assert [e.action for e in ReviewEvent.objects.filter(variant=second)] == ["not_chosen", "reopen", "not_chosen"]
    assert photograph.variants.filter(review_state="approved").count() == 1

    services.variant_reject(variant=four[3], user=colorist)
    assert states(four)[3] == "rejected"


def test_the_api_reviews_and_filters_by_the_new_state(four, colorist, api):
    client = api(colorist)
    approved = client.post(f"/api/variants/{four[0].pk}/approve/", {"note": "best sky"}, format="json")
    assert approved.status_code == 200 and approved.json()["review_state"] == "approved"

    listed = client.get("/api/variants/", {"review_state": "not_chosen"}).json()["results"]
    assert sorted(v["id"] for v in listed) == [v.pk for v in four[1:]]
    history = client.get(f"/api/variants/{four[1].pk}/history/").json()
    assert [(e["action"], e["from_state"], e["to_state"], e["replaced_by"]) for e in history] == [("not_chosen", "pending", "not_chosen", four[0].pk)]
    assert client.get("/api/review-queue/").json()["count"] == 0

    reopened = client.post(f"/api/variants/{four[1].pk}/reopen/", {}, format="json")
    assert reopened.status_code == 200 and reopened.json()["review_state"] == "pending"
    assert [v["id"] for v in client.get("/api/review-queue/").json()["results"]] == [four[1].pk]

    bad = client.get("/api/variants/", {"review_state": "maybe"})
    assert bad.status_code == 400 and "review_state" in bad.json()["error"]["fields"]


def test_the_review_queue_api_filters_by_requester_and_age(tiny_model, photograph, colour_photograph, colorist, django_user_model, api, colorize):
    from django.contrib.auth.models import Group
    from django.utils import timezone

    other = django_user_model.objects.create_user(username="otto", password="pw-otto")
    other.groups.add(Group.objects.get(name="colorist"))
    mine = colorize(photograph, [1]).variants.get()
    theirs = colorize(colour_photograph, [2], user=other).variants.get()
    Variant.objects.filter(pk=theirs.pk).update(created_at=timezone.now() - timezone.timedelta(days=10))
    client = api(colorist)

    def ids(**params) -> list[int]:
        response = client.get("/api/review-queue/", params)
        assert response.status_code == 200, response.json()
        return [v["id"] for v in response.json()["results"]]

    assert ids() == [theirs.pk, mine.pk]  # oldest first
    assert ids(requested_by="otto") == [theirs.pk]
    assert ids(created_before=(timezone.now() - timezone.timedelta(days=7)).isoformat()) == [theirs.pk]
    assert ids(created_after=(timezone.now() - timezone.timedelta(days=1)).isoformat()) == [mine.pk]
    unknown = client.get("/api/review-queue/", {"requested_by": "nobody"})
    assert unknown.status_code == 400 and unknown.json()["error"]["fields"]["requested_by"]
    assert client.get("/api/review-queue/", {"created_after": "yesterday"}).status_code == 400
