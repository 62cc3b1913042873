"""Restricted access in a real Chromium: a visitor opens an In Copyright photograph's page,
reads its record and why the image is restricted, the deep-zoom viewer opens on the reduced
IIIF image (no request for more than the thumbnail size succeeds or is even made), and the
master is refused through the portal's links and through IIIF."""
from __future__ import annotations

import pytest

from apps.collections import services
from apps.collections.models import RightsStatement
from tests.support import images
from tests.support.collections import upload

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_visitor_sees_the_record_and_only_the_allowed_derivative(page, live_server, fonds, archivist, settings, tmp_path):
    settings.IIIF_CACHE_ROOT = str(tmp_path / "iiif")
    photograph = services.photograph_ingest(
        collection=fonds, file=upload("inc-1.jpg", images.jpeg_bytes(1600, 1200, seed=7)), filename="inc-1.jpg", user=archivist,
        metadata={"title": "Regatta, 1962", "creator": "Harbour Studio", "rights_uri": RightsStatement.IN_COPYRIGHT},
    ).photograph
    services.photograph_build_derivatives(photograph_id=photograph.pk)

    images_served = []  # (url, status) of every IIIF image or media response the page gets
    page.on("response", lambda r: ("/iiif/3/" in r.url or "/api/media/" in r.url) and "info.json" not in r.url and images_served.append((r.url, r.status)))
    page.goto(f"{live_server.url}/photographs/{photograph.pk}/")
    assert page.locator("h1").inner_text() == "Regatta, 1962"
    assert "Harbour Studio" in page.locator("#record-title + *").inner_text() or "Harbour Studio" in page.content()
    note = page.get_by_test_id("restriction")
    assert "thumbnail only" in note.inner_text() and "In Copyright" in note.inner_text()
    assert page.get_by_role("link", name="Master file").count() == 0

    page.wait_for_selector('#deepzoom[data-state="open"]')
    page.wait_for_load_state("networkidle")
    assert images_served and all(status == 200 for _, status in images_served), images_served
    # Everything the viewer fetched fits in the thumbnail's 400 pixels of the full image.
    info = page.request.get(f"{live_server.url}/iiif/3/photograph-{photograph.pk}/info.json").json()
    assert (info["width"], info["height"]) == (400, 300) == (info["maxWidth"], info["maxHeight"])

    # Asking directly for more is refused, with the reason; the record stays readable.
    master = page.request.get(f"{live_server.url}/api/media/photographs/{photograph.pk}/master/")
    assert master.status == 403 and "In Copyright" in master.text()
    full = page.request.get(f"{live_server.url}/iiif/3/photograph-{photograph.pk}/full/1600,/0/default.jpg")
    assert full.status == 403
    thumbnail = page.request.get(f"{live_server.url}/iiif/3/photograph-{photograph.pk}/full/max/0/default.jpg")
    assert thumbnail.status == 200 and thumbnail.headers["content-type"] == "image/jpeg"
