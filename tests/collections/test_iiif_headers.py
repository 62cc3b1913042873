"""IIIF response headers and manifest HTML (issue 11, finding 9): JSON varies by Accept, an
If-Modified-Since copied from Last-Modified gives 304, and HTML from the catalogue reaches a
manifest only as the Presentation 3 subset."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils.cache import has_vary_header

from apps.collections import iiif_presentation
from tests.collections.test_iiif_views import ingest
from tests.support.collections import PhotographFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_photo(fonds, archivist):
    return ingest(fonds, archivist, "hd-001.jpg", title="Harbour")


@pytest.mark.parametrize("path", ["/iiif/3/photograph-{pk}/info.json", "/iiif/3/manifest/photograph-{pk}", "/iiif/3/collection/harbour"])
def test_iiif_json_varies_by_accept_and_by_who_asks(client, public_photo, path):
    url = path.format(pk=public_photo.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    for header in ("Accept", "Cookie"):
        assert has_vary_header(response, header), response.get("Vary")
    assert client.get(url, HTTP_ACCEPT="application/ld+json")["Content-Type"].startswith("application/ld+json")


def test_iiif_json_of_a_private_photograph_varies_by_credentials_too(client, hidden, archivist):
    photograph = ingest(hidden, archivist, "hd-002.jpg")
    client.force_login(archivist)
    response = client.get(f"/iiif/3/photograph-{photograph.pk}/info.json")
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    for header in ("Accept", "Cookie", "Authorization"):
        assert has_vary_header(response, header), response.get("Vary")


def test_if_modified_since_from_last_modified_gives_304(client, public_photo, settings, tmp_path):
    settings.IIIF_CACHE_ROOT = str(tmp_path / "cache")
    url = f"/iiif/3/photograph-{public_photo.pk}/full/100,/0/default.jpg"
    assert public_photo.updated_at.microsecond or public_photo.created_at.microsecond  # sub-second times, as stored
    first = client.get(url)
    assert first.status_code == 200
    second = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert second.status_code == 304
    assert second["Last-Modified"] == first["Last-Modified"]


@pytest.mark.parametrize(("value", "expected"), [
    ("Plain text with <angle> brackets inside", "Plain text with <angle> brackets inside"),
    ('<p>Glass <b>plate</b> <script>alert(1)</script><i onclick="x()">negative</i></p>', "<p>Glass <b>plate</b> <i>negative</i></p>"),
    ('<p><a href="https://example.org/" target="_blank" style="color:red">link</a> <a href="javascript:alert(1)">bad</a></p>',
     '<p><a href="https://example.org/">link</a> <a>bad</a></p>'),
    ('<p><img src="https://example.org/a.png" alt="A" onerror="x()" width="9"><u>cell</u></p>',
     '<p><img src="https://example.org/a.png" alt="A">cell</p>'),
    ("<p>one<br>two<sub>1</sub><sup>2</sup><small>s</small><span>t</span><!-- note --></p>", "<p>one<br>two<sub>1</sub><sup>2</sup><small>s</small><span>t</span></p>"),
    ('<div><style>p{}</style>kept</div>', "<span>kept</span>"),
])
def test_manifest_html_is_limited_to_the_presentation_3_subset(fonds, value, expected):
    photograph = PhotographFactory(collection=fonds, description=value, title=value)

    class Request:
        user = AnonymousUser()

        def build_absolute_uri(self, path):
            return "http://testserver" + path

    manifest = iiif_presentation.photograph_manifest(photograph, request=Request())
    assert manifest["summary"]["none"] == [expected]
    [description] = [entry["value"]["none"][0] for entry in manifest["metadata"] if entry["label"]["en"] == ["Description"]]
    assert description == expected
