"""Admin: requests with filters and a re-run action that goes through the service."""
from __future__ import annotations

import pytest
from django.test import Client

from apps.colorize import services
from apps.colorize.models import ColorizationRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def test_rerun_queues_a_failed_request_again_and_it_then_succeeds(tiny_model, photograph, colorist, admin_client_, rq_worker, rq_queues, django_capture_on_commit_callbacks):
    failed = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[1])
    ColorizationRequest.objects.filter(pk=failed.pk).update(status="failed", attempts=2, error="worker lost", stage="failed")
    succeeded = services.colorization_request_create(photograph=photograph, user=colorist, seeds=[2])
    ColorizationRequest.objects.filter(pk=succeeded.pk).update(status="succeeded")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            "/admin/colorize/colorizationrequest/",
            {"action": "rerun", "_selected_action": [failed.pk, succeeded.pk]},
            follow=True,
        )
    page = response.content.decode()
    assert "Queued again: 1." in page and "Only failed or cancelled requests can be re-run" in page
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error) == ("queued", 0, "")
    assert rq_queues["gpu"].fetch_job(failed.job_id) is not None
    rq_worker()
    failed.refresh_from_db()
    assert failed.status == "succeeded" and failed.variants.count() == 1


def test_the_request_list_filters_and_the_variant_pages_render(tiny_model, photograph, colorist, admin_client_, colorize):
    variant = colorize(photograph, [1]).variants.get()
    services.annotation_create(variant=variant, user=colorist, text="sky")
    assert "Succeeded" in admin_client_.get("/admin/colorize/colorizationrequest/?status__exact=succeeded").content.decode()
    assert "0 colorization requests" in admin_client_.get("/admin/colorize/colorizationrequest/?status__exact=failed").content.decode()
    for url in (f"/admin/colorize/colorizationrequest/{variant.request_id}/change/", "/admin/colorize/variant/",
                f"/admin/colorize/variant/{variant.pk}/change/", "/admin/colorize/annotation/", "/admin/colorize/reviewevent/"):
        assert admin_client_.get(url).status_code == 200, url
    admin_client_.post("/admin/colorize/variant/", {"action": "approve", "_selected_action": [variant.pk]})
    variant.refresh_from_db()
    assert variant.review_state == "approved"
