"""Reviewing in a real Chromium: the comparison grid zooms and pans as one, a four-seed request
reviewed from the queue to approval with the keyboard alone, a batch asked for from search
results and followed live, with real workers."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.colorize.models import Annotation, ColorizationBatch, ReviewEvent, Variant
from tests.support.images import grey_scan

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SLOW = 60_000  # the machine running the suite may be busy with other work


def view(text: str) -> tuple[float, float, float]:
    zoom, x, y = (float(part) for part in text.split(","))
    return zoom, x, y


def settled_view(page) -> str:
    """The grid's view once the leading viewer has stopped moving, every cell showing it."""
    grid = page.locator("#compare-grid")
    expect(grid).to_have_attribute("data-moving", "false", timeout=SLOW)
    shown = grid.get_attribute("data-view")
    cells = page.locator("#compare-grid [data-info-url]")
    for index in range(cells.count()):
        expect(cells.nth(index)).to_have_attribute("data-view", shown, timeout=SLOW)
    return shown


def on_screen(locator) -> dict:
    """The element's box once it is scrolled into the window (mouse events land there)."""
    locator.scroll_into_view_if_needed()
    return locator.bounding_box()


def test_zoom_and_pan_in_one_cell_move_every_cell(page, live_server, login, colorist, tiny_model, collection, ingest, colorize):
    # Large enough to zoom into: a viewer stops at 3 screen pixels per image pixel.
    colorization = colorize(ingest(collection, "WIDE-1", grey_scan(960, 640)), [1, 2, 3])
    login(page, live_server, colorist, next_url=f"/colorize/requests/{colorization.pk}/")
    page.get_by_role("link", name="Compare its 3 seeds").click()
    grid = page.locator("#compare-grid")
    expect(grid).to_have_attribute("data-state", "open", timeout=SLOW)
    cells = grid.locator("[data-info-url]")
    expect(cells).to_have_count(4)  # the original and three seeds
    home = settled_view(page)

    # Scroll to zoom in the second seed's cell: every cell zooms with it.
    box = on_screen(cells.nth(2).locator(".compare-cell__canvas"))
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    expect(grid).not_to_have_attribute("data-view", home, timeout=SLOW)
    zoomed = settled_view(page)
    assert view(zoomed)[0] > view(home)[0]

    # Drag in the third seed's cell: every cell pans with it.
    box = on_screen(cells.nth(3).locator(".compare-cell__canvas"))
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 30, box["y"] + box["height"] / 2, steps=6)
    page.mouse.up()
    expect(grid).not_to_have_attribute("data-view", zoomed, timeout=SLOW)
    panned = settled_view(page)
    assert view(panned)[1] > view(zoomed)[1] and view(panned)[0] == pytest.approx(view(zoomed)[0], abs=0.002)

    # The keyboard: back to the whole image everywhere.
    page.keyboard.press("0")
    expect(grid).to_have_attribute("data-view", home, timeout=SLOW)
    assert settled_view(page) == home


def test_a_four_seed_request_reviewed_with_the_keyboard_from_the_queue_to_approval(page, live_server, login, colorist, tiny_model, photograph, colorize):
    variants = list(colorize(photograph, [11, 22, 33, 44]).variants.order_by("seed"))
    login(page, live_server, colorist, next_url="/colorize/review/")
    queue = page.locator("[data-review-keys]")
    expect(queue).to_have_attribute("data-keys", "on", timeout=SLOW)
    expect(queue).to_have_attribute("data-current-variant", str(variants[0].pk))

    page.keyboard.press("?")
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_be_visible()
    expect(shortcuts).to_contain_text("Approve the current variant")
    page.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(queue).to_have_attribute("data-current-variant", str(variants[1].pk))
    expect(page.locator(f"#variant-{variants[1].pk}")).to_be_focused()
    expect(page.locator(f"#variant-{variants[1].pk}")).to_have_attribute("aria-current", "true")

    page.keyboard.press("o")  # the current photograph's seeds side by side
    page.wait_for_url(f"**/colorize/photographs/{photograph.pk}/compare/**", timeout=SLOW)
    grid = page.locator("#compare-grid")
    expect(grid).to_have_attribute("data-keys", "on", timeout=SLOW)
    expect(grid.locator("[data-review-item]")).to_have_count(4)

    page.keyboard.press("r")  # the first seed is not worth keeping
    cell = page.locator(f"#cell-{variants[0].pk}")
    expect(cell.locator('[data-field="review-state"]')).to_have_text("Rejected", timeout=SLOW)
    expect(grid).to_have_attribute("data-current-variant", str(variants[0].pk), timeout=SLOW)  # the page came back to it

    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(grid).to_have_attribute("data-current-variant", str(variants[2].pk))
    page.keyboard.press("c")
    remark = page.get_by_label(f"Remark on seed {variants[2].seed}")
    expect(remark).to_be_focused()
    page.keyboard.type("sky a little too warm")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Annotation added", timeout=SLOW)
    expect(grid).to_have_attribute("data-current-variant", str(variants[2].pk), timeout=SLOW)

    page.keyboard.press("a")
    approved = page.locator(f"#cell-{variants[2].pk}")
    expect(approved.locator('[data-field="review-state"]')).to_have_text("Approved", timeout=SLOW)
    for sibling in (variants[1], variants[3]):
        expect(page.locator(f"#cell-{sibling.pk} [data-field='review-state']")).to_have_text("Not chosen")

    assert {v.seed: Variant.objects.get(pk=v.pk).review_state for v in variants} == {11: "rejected", 22: "not_chosen", 33: "approved", 44: "not_chosen"}
    assert sorted(ReviewEvent.objects.filter(action="not_chosen").values_list("variant_id", flat=True)) == [variants[1].pk, variants[3].pk]
    assert Annotation.objects.get().variant_id == variants[2].pk
    page.goto("/colorize/review/", timeout=SLOW)
    expect(page.get_by_text("Nothing waits for review.")).to_be_visible()


def test_a_batch_from_search_results_followed_live(page, live_server, login, colorist, tiny_model, collection, ingest, worker_process):
    photographs = [ingest(collection, f"SR-{n}") for n in range(3)]
    login(page, live_server, colorist, next_url="/search/?q=SR")
    form = page.locator("#batch-colorize")
    form.get_by_label("Select every photograph on this page").check()
    expect(form.get_by_role("button", name="Colorize the selected photographs (3)")).to_be_visible()
    page.get_by_label(f"Select {photographs[1].identifier}").uncheck()
    expect(form.get_by_role("button", name="Colorize the selected photographs (2)")).to_be_visible()
    form.get_by_label("Variants per photograph").fill("2")
    form.get_by_role("button", name="Colorize the selected photographs (2)").click()

    page.wait_for_url("**/colorize/batches/*/", timeout=SLOW)
    batch = ColorizationBatch.objects.get()
    assert sorted(r.photograph_id for r in batch.requests.all()) == [photographs[0].pk, photographs[2].pk]
    summary = page.locator("#batch-summary")
    expect(summary.locator('[data-field="state"]')).to_have_text("Working")
    page.evaluate("window.stillTheSamePage = true")
    worker_process()
    expect(summary.locator('[data-field="state"]')).to_have_text("Finished", timeout=150_000)
    expect(summary.locator('[data-field="done"]')).to_have_text("2")
    expect(summary.locator('[data-field="variants"]')).to_have_text("4")
    expect(page.get_by_role("link", name="Compare 2 seeds")).to_have_count(2)
    assert page.evaluate("window.stillTheSamePage") is True  # followed without a reload
