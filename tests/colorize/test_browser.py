"""The colorist's round trip in a real Chromium, with a real worker process."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.colorize.models import Annotation, Variant

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
# Generous: the machine running the suite may be busy with other work.
SLOW = 30_000


def test_request_watch_compare_annotate_and_approve(page, live_server, login, colorist, tiny_model, photograph, worker_process):
    login(page, live_server, colorist, next_url=f"/photographs/{photograph.pk}/")
    panel = page.locator(".colorize-panel")
    panel.get_by_label("Variants").fill("3")
    panel.get_by_role("button", name="Colorize").click()
    page.wait_for_url(f"{live_server.url}/photographs/{photograph.pk}/", timeout=SLOW)

    status = panel.locator(".request-status").first
    expect(status.locator('[data-field="status"]')).to_have_text("Queued", timeout=SLOW)
    page.evaluate("window.stillTheSamePage = true")
    worker_process()
    expect(status.locator('[data-field="status"]')).to_have_text("Succeeded", timeout=150_000)
    assert page.evaluate("window.stillTheSamePage") is True  # the status changed without a reload
    thumbnails = status.locator('[data-field="variants"] a')
    expect(thumbnails).to_have_count(3, timeout=SLOW)
    expect(panel.locator("[data-variant-count]")).to_have_text("3")  # "All variants (3)" counted live, not "(0)" until a reload

    thumbnails.first.click()
    compare = page.locator("#compare")
    expect(compare).to_have_attribute("data-state", "open", timeout=60_000)
    page.locator("#swipe").fill("20")
    expect(compare).to_have_attribute("data-split", "20", timeout=SLOW)
    expect(page.locator("#side-by-side img")).to_have_count(2)

    image = page.locator("#annotate img")
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    box = image.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.6, steps=8)
    page.mouse.up()
    expect(page.locator("#id_w")).not_to_have_value("", timeout=SLOW)
    page.get_by_label("Remark").fill("sky too purple")
    page.get_by_role("button", name="Add annotation").click()
    expect(page.locator(".annotation-list")).to_contain_text("sky too purple", timeout=SLOW)
    expect(page.locator("#annotate .annotate__box:not(.annotate__box--draft)")).to_have_count(1)

    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#review-state")).to_have_text("Approved", timeout=SLOW)

    annotation = Annotation.objects.get()
    assert annotation.author == colorist
    assert annotation.x == pytest.approx(0.1, abs=0.02) and annotation.y == pytest.approx(0.2, abs=0.02)
    assert annotation.w == pytest.approx(0.4, abs=0.02) and annotation.h == pytest.approx(0.4, abs=0.02)
    assert list(Variant.objects.filter(review_state="approved").values_list("pk", flat=True)) == [annotation.variant_id]
