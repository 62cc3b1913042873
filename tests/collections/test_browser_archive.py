"""The archive in a real Chromium: an archivist drops scans on the upload page and sees each
file's result, the derivatives are built by a worker, the archivist catalogues one through
the edit form, finds it by search, and its page opens the deep-zoom viewer on the IIIF
image service.

Screenshots of the upload page and the photograph page go to $BROWSER_SCREENSHOTS when it
is set (a folder), else to the test's temporary folder.

A second test runs a CSV import: the dry run's report, then the progress page that follows
the background job until it is done.
"""
from __future__ import annotations

import base64
import io
import os
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from skimage import data as sample_images

from apps.collections import services
from apps.collections.models import Photograph
from tests.support import images
from tests.support.collections import upload

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Build a DataTransfer holding the given files (name, type, base64) and drop it on the zone,
# as a browser does when files are dragged from the desktop.
DROP_FILES = """
([selector, files]) => {
  const transfer = new DataTransfer();
  for (const file of files) {
    const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], file.name, { type: file.type }));
  }
  const zone = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }
  return transfer.files.length;
}
"""


def jpeg(pixels, scale: int = 1) -> bytes:
    image = Image.fromarray(pixels)
    if scale != 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def as_drop(name: str, data: bytes, media_type: str) -> dict:
    return {"name": name, "type": media_type, "data": base64.b64encode(data).decode()}


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_upload_by_drag_and_drop_then_search_and_deep_zoom(page, live_server, login, archivist, fonds, rq_worker, screenshots):
    coffee = jpeg(sample_images.coffee())
    existing = services.photograph_ingest(collection=fonds, file=upload("hb-coffee.jpg", coffee), filename="hb-coffee.jpg", user=archivist,
                                          metadata={"title": "Coffee on the quay"}).photograph
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, archivist, next_url="/upload/")
    page.select_option("#id_collection", label="Harbour Board fonds")

    dropped = page.evaluate(DROP_FILES, ["#dropzone", [
        as_drop("cameraman-1951.jpg", jpeg(sample_images.camera(), scale=4), "image/jpeg"),
        as_drop("coffee-copy.jpg", coffee, "image/jpeg"),
        as_drop("broken-scan.jpg", images.truncated_jpeg(), "image/jpeg"),
    ]])
    assert dropped == 3
    results = page.locator("#upload-results")
    results.locator(".upload-result--stored").wait_for()
    results.locator(".upload-result--duplicate").wait_for()
    results.locator(".upload-result--refused").wait_for()
    assert page.locator("#upload-summary").inner_text() == "1 stored · 1 duplicate · 1 refused"
    duplicate = results.locator(".upload-result--duplicate")
    assert "coffee-copy.jpg" in duplicate.inner_text()
    assert duplicate.get_by_role("link", name="Coffee on the quay").get_attribute("href") == f"/photographs/{existing.pk}/"
    refused = results.locator(".upload-result--refused")
    assert "broken-scan.jpg" in refused.inner_text() and len(refused.locator(".upload-result__message").inner_text()) > 10

    # The file picker goes through the same per-file uploads.
    page.set_input_files("#id_files", files=[{"name": "rocket-1969.jpg", "mimeType": "image/jpeg", "buffer": jpeg(sample_images.rocket())}])
    # Locators, not wait_for_function: the page's CSP forbids the string evaluation that needs.
    expect(page.locator("#upload-results .upload-result--stored")).to_have_count(2)
    assert page.locator("#upload-summary").inner_text() == "2 stored · 1 duplicate · 1 refused"
    page.screenshot(path=str(screenshots / "upload.png"), full_page=True)

    cameraman = Photograph.objects.get(identifier="cameraman-1951")
    assert (cameraman.width, cameraman.height, cameraman.is_grayscale) == (2048, 2048, True)
    rq_worker()  # the derivatives jobs the uploads enqueued
    cameraman.refresh_from_db()
    assert cameraman.derivatives_status == "ready"

    # Catalogue it through the edit form.
    page.goto(f"/photographs/{cameraman.pk}/edit/")
    page.fill("#id_title", "Cameraman on the parade ground")
    page.fill("#id_creator", "Unknown press photographer")
    page.fill("#id_date", "circa 1951")
    page.fill("#id_subjects", "Cameras | Photographers | Tripods")
    page.fill("#id_place", "Parade ground, north campus")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/photographs/{cameraman.pk}/")
    assert "Saved 5 changes" in page.locator(".messages").inner_text()

    iiif_failures = []
    page.on("response", lambda response: "/iiif/3/" in response.url and response.status >= 400 and iiif_failures.append(response.url))
    page.goto("/")
    page.fill("#search-q", "cameraman")
    page.press("#search-q", "Enter")
    page.wait_for_url("**/search/?q=cameraman")
    assert page.locator(".results-count").inner_text().startswith("1 photograph")
    page.screenshot(path=str(screenshots / "search.png"), full_page=True)
    def is_tile(response) -> bool:
        return f"/iiif/3/photograph-{cameraman.pk}/" in response.url and response.url.endswith("/default.jpg") and "info.json" not in response.url

    with page.expect_response(is_tile) as tile:
        page.get_by_role("link", name="Cameraman on the parade ground").first.click()
        page.wait_for_url(f"**/photographs/{cameraman.pk}/")
    assert tile.value.status == 200 and tile.value.headers["content-type"] == "image/jpeg"
    page.wait_for_selector('#deepzoom[data-state="open"]')
    assert page.locator("#deepzoom .viewer__fallback").count() == 0
    assert page.locator("#deepzoom canvas").count() >= 1
    assert "1951~" in page.locator(".history").inner_text()
    page.mouse.move(400, 500)
    page.mouse.wheel(0, -600)  # zoom in: deeper tiles of the same service
    page.wait_for_load_state("networkidle")
    assert iiif_failures == []
    page.screenshot(path=str(screenshots / "photograph.png"), full_page=True)


def test_csv_import_dry_run_then_live_progress(page, live_server, login, archivist, fonds, rq_worker):
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, archivist, next_url="/import/")
    csv_text = (
        "collection,dc:identifier,file,dc:title,dc:date\n"
        "harbour,hb-020,hb-020.jpg,Steam crane,1931\n"
        "harbour,hb-021,hb-021.jpg,Dredger,1920-13-45\n"
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as scans:
        scans.writestr("hb-020.jpg", images.jpeg_bytes(seed=20))
        scans.writestr("hb-021.jpg", images.jpeg_bytes(seed=21))
    page.set_input_files("#id_csv_file", files=[{"name": "photos.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}])
    page.set_input_files("#id_zip_file", files=[{"name": "scans.zip", "mimeType": "application/zip", "buffer": archive.getvalue()}])
    page.get_by_role("button", name="Check (dry run)").click()
    errors = page.locator("table.csv-errors tbody tr")
    errors.first.wait_for()
    assert errors.count() == 1 and errors.first.inner_text().split("\t")[:2] == ["3", "dc:date"]

    page.get_by_role("button", name="Run the import").click()
    page.wait_for_url("**/import/*/")
    assert page.locator('[data-field="status"]').inner_text() == "Queued"
    rq_worker()  # the page's script polls the import and reloads with the report once it is done
    page.locator('[data-field="status"]', has_text="Succeeded").wait_for()
    assert page.locator('[data-field="created_count"]').inner_text() == "1"
    assert page.locator('[data-field="error_count"]').inner_text() == "1"
    assert page.locator("table.csv-rows tbody tr").count() == 2
