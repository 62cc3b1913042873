"""Security headers (issue 11, finding 9): a Content-Security-Policy on every page, under
which the portal, the admin and the API docs still work in a real browser; no-store on
responses that show a secret."""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.collections import services
from tests.support import images
from tests.support.collections import CollectionFactory, upload


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/admin/login/", "/api/docs/", "/api/collections/"])
def test_every_response_carries_the_policy(url):
    policy = Client().get(url)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"].split()[0] == "'self'" and "unsafe-inline" not in directives["style-src"]
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in directives["default-src"]


@pytest.mark.django_db
def test_pages_and_responses_with_a_secret_are_not_stored(archivist):
    client = Client()
    client.force_login(archivist)
    client.post("/accounts/token/")
    response = client.get("/accounts/")
    assert response.status_code == 200 and archivist.auth_token.key in response.content.decode()
    assert "no-store" in response["Cache-Control"]

    token = APIClient().post("/api/auth/token/", {"username": archivist.username, "password": "pw-" + archivist.username})
    assert token.status_code == 200
    assert "no-store" in token["Cache-Control"]


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_policy_allows_exactly_the_fixed_inline_styles_of_vendored_code(settings):
    """The hashes in the policy are those of today's vendored <style> elements: an upgrade
    that changes one must update the policy, or that page loses the style."""
    import django_rq

    templates = Path(django_rq.__file__).parent / "templates" / "django_rq"
    styles = {match for path in templates.glob("*.html") for match in re.findall(r"<style>(.*?)</style>", path.read_text(), re.S)}
    openseadragon = Path(settings.BASE_DIR, "static/vendor/openseadragon/6.1.1/openseadragon.min.js").read_text()
    styles |= set(re.findall(r'data-openseadragon-mobile-css","true"\);\w+\.textContent="([^"]+)"', openseadragon))
    allowed = {source for source in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"] if source.startswith("'sha256-")}
    assert len(styles) == 4
    assert {_sha256(style) for style in styles} == allowed


def _pages(photograph_pk: int) -> list[tuple[str, str]]:
    """(URL, a selector that shows the page rendered, scripts included)."""
    return [
        ("/", "main"),
        ("/search/?q=harbour", "main"),
        (f"/photographs/{photograph_pk}/", "#deepzoom .openseadragon-container"),
        ("/upload/", "main"),
        ("/accounts/", "main"),
        ("/admin/", "#content-main"),
        ("/admin/collections/photograph/", "#result_list"),
        (f"/admin/collections/photograph/{photograph_pk}/change/", "#photograph_form"),
        ("/admin/rq/", "#content-main"),
        ("/api/docs/", ".swagger-ui .opblock"),
        ("/api/redoc/", "[data-section-id]"),
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_portal_admin_and_api_docs_work_under_the_policy(page, live_server, login, superuser):
    fonds = CollectionFactory(slug="harbour", title="Harbour")
    photograph = services.photograph_ingest(
        collection=fonds, file=upload("h.jpg", images.jpeg_bytes(800, 600)), filename="h.jpg", user=superuser, metadata={"title": "Harbour"},
    ).photograph
    violations: list[str] = []
    # Redoc's footer logo from its CDN is blocked, as everything from outside the site is.
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text and "https://cdn.redoc.ly/" not in message.text else None)
    login(page, live_server, superuser)
    for url, rendered in _pages(photograph.pk):
        page.goto(url)
        page.wait_for_selector(rendered, state="attached", timeout=30_000)  # Redoc parses the whole schema
    assert not violations, "\n".join(violations)
