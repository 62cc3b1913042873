"""The portal's main pages pass axe-core (vendored, tests/support/a11y.py) in Chromium with no
serious or critical violation: for a visitor and for a user who sees every control, with the
deep-zoom viewers and the keyboard-shortcut list open as a person would have them."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.colorize import services
from tests.support.a11y import axe_violations, describe
from tests.support.mlcore import register_tiny_model

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SLOW = 60_000  # the machine running the suite may be busy


@pytest.fixture
def archive(tmp_path, collection, ingest, superuser, rq_worker, django_capture_on_commit_callbacks):
    """A published photograph, colorized (three seeds) as one batch, derivatives built."""
    register_tiny_model(tmp_path / "tiny.pt")
    photograph = ingest(collection, "HB-001")
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.colorization_request_create_many(photographs=[photograph], user=superuser, seeds=[1, 2, 3], label="1 photograph selected").batch
    rq_worker()
    colorization = batch.requests.get()
    return {"photograph": photograph, "request": colorization, "variant": colorization.variants.order_by("pk").first(), "batch": batch}


def check(page, url: str, *, ready: str | None = None) -> list[str]:
    """Open `url`, wait for the `ready` element's data-state="open" (a viewer), run axe."""
    page.goto(url, timeout=SLOW)
    if ready:
        expect(page.locator(ready)).to_have_attribute("data-state", "open", timeout=SLOW)
    found = axe_violations(page)
    return [f"{url}\n{describe(found)}"] if found else []


def test_the_main_pages_have_no_serious_or_critical_violations(page, live_server, login, superuser, archive):
    photograph, variant = archive["photograph"], archive["variant"]
    problems = []
    for url in ("/", "/collections/", "/collections/harbour/", "/search/?q=harbour"):
        problems += check(page, url)
    problems += check(page, f"/photographs/{photograph.pk}/", ready="#deepzoom")

    login(page, live_server, superuser)
    pages = [
        ("/", None),
        ("/collections/", None),
        ("/collections/harbour/", None),
        (f"/photographs/{photograph.pk}/", "#deepzoom"),
        ("/search/?q=harbour", None),
        ("/upload/", None),
        ("/colorize/review/", None),
        (f"/colorize/photographs/{photograph.pk}/compare/", "#compare-grid"),
        (f"/colorize/photographs/{photograph.pk}/", None),
        (f"/colorize/requests/{archive['request'].pk}/", None),
        (f"/colorize/variants/{variant.pk}/", "#compare"),
        (f"/colorize/batches/{archive['batch'].pk}/", None),
        ("/colorize/batches/new/", None),
        ("/models/", None),
        ("/models/sets/", None),
        ("/accounts/", None),
    ]
    for url, ready in pages:
        problems += check(page, url, ready=ready)

    page.goto("/colorize/review/", timeout=SLOW)
    expect(page.locator("[data-review-keys]")).to_have_attribute("data-keys", "on", timeout=SLOW)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    found = axe_violations(page)
    problems += [f"review queue, shortcuts open\n{describe(found)}"] if found else []

    assert not problems, "\n\n".join(problems)


def test_the_check_reports_what_it_should(page, live_server):
    """The checker itself: axe runs under the portal's CSP and reports a field without a label."""
    page.goto("/", timeout=SLOW)
    assert axe_violations(page) == []
    page.evaluate("document.querySelector('main').append(Object.assign(document.createElement('input'), {type: 'text'}))")
    found = axe_violations(page)
    assert [violation["id"] for violation in found] == ["label"] and found[0]["impact"] == "critical"
