"""Collections in the portal, in a real Chromium: an archivist without staff status creates a
nested collection, edits its catalogue fields, publishes it and moves it to another fonds —
through the same services as the API and the admin."""
from __future__ import annotations

import pytest

from apps.collections.models import Collection, MetadataChange
from tests.support.collections import CollectionFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_archivist_creates_edits_publishes_and_moves_a_nested_collection(page, live_server, login, archivist, fonds):
    assert not archivist.is_staff
    other = CollectionFactory(title="Port Authority fonds", slug="port", is_published=True)
    login(page, live_server, archivist, next_url="/collections/harbour/")

    page.get_by_role("link", name="New series").click()
    page.fill("#id_title", "Dredging works")
    page.fill("#id_description", "Photographs of the 1930s dredging.")
    assert page.locator("#id_parent option:checked").inner_text().strip() == "Harbour Board fonds"
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/collections/dredging-works/")
    assert "Unpublished" in page.locator("h1").inner_text()
    series = Collection.objects.get(slug="dredging-works")
    assert series.parent == fonds and not series.is_published and series.path == f"{fonds.path}{series.pk}/"

    page.get_by_role("link", name="Edit collection").click()
    page.fill("#id_title", "Dredging works, 1931–1936")
    page.check("#id_is_published")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/collections/dredging-works/")
    assert page.locator("h1").inner_text().strip() == "Dredging works, 1931–1936"
    series.refresh_from_db()
    assert series.is_published and series.title == "Dredging works, 1931–1936"

    page.get_by_role("link", name="Edit collection").click()
    # It cannot be moved under itself: it is not among the parents offered.
    assert "Dredging works" not in page.locator("#id_parent").inner_text()
    page.select_option("#id_parent", label="Port Authority fonds")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/collections/dredging-works/")
    series.refresh_from_db()
    assert series.parent == other and series.path == f"{other.path}{series.pk}/"
    assert "Port Authority fonds" in page.locator("nav.breadcrumbs").inner_text()
    fields = set(MetadataChange.objects.filter(collection=series, source="portal").values_list("field", flat=True))
    assert fields == {"title", "is_published", "parent"}

    # An empty collection can be deleted; a fonds with a series cannot.
    page.goto(f"{live_server.url}/collections/port/edit/")
    page.get_by_role("button", name="Delete this collection").click()
    page.wait_for_url("**/collections/port/")
    assert "sub-collections" in page.content()
    page.goto(f"{live_server.url}/collections/dredging-works/edit/")
    page.get_by_role("button", name="Delete this collection").click()
    page.wait_for_url("**/collections/")
    assert not Collection.objects.filter(slug="dredging-works").exists()
