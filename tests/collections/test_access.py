"""Rights- and embargo-based access: every route that serves pixels × every access level ×
anonymous visitor and archivist. The public gets what the level allows and is told why;
the archivist gets everything; nothing leaks through another route."""
from __future__ import annotations

import datetime as dt
import io
import zlib

import pytest
from django.test import Client
from PIL import Image

from apps.collections import services
from apps.collections.access import AccessLevel, photograph_access, rights_access_level
from apps.collections.models import RightsStatement
from tests.support import images
from tests.support.collections import CollectionFactory, upload

pytestmark = pytest.mark.django_db

DISPLAY_SIDE = 600
LEVELS = ("metadata", "thumbnail", "display", "master")


@pytest.fixture
def restricted(fonds, archivist, settings):
    """One 1200×800 photograph per access level: an embargo (metadata only), In Copyright
    (thumbnail), Copyright Not Evaluated (display copy, 600 px) and CC0 (master)."""
    settings.ACCESS_DISPLAY_MAX_SIDE = DISPLAY_SIDE
    embargoed = CollectionFactory(parent=fonds, slug="embargoed", embargo_until=dt.date.today() + dt.timedelta(days=30))
    placed = {
        "metadata": (embargoed, RightsStatement.CC0),
        "thumbnail": (fonds, RightsStatement.IN_COPYRIGHT),
        "display": (fonds, RightsStatement.COPYRIGHT_NOT_EVALUATED),
        "master": (fonds, RightsStatement.CC0),
    }
    photographs = {}
    for level, (collection, rights) in placed.items():
        name = f"{level}.jpg"
        data = images.jpeg_bytes(1200, 800, seed=zlib.crc32(name.encode()))
        photograph = services.photograph_ingest(collection=collection, file=upload(name, data), filename=name, metadata={"rights_uri": rights}, user=archivist).photograph
        services.photograph_build_derivatives(photograph_id=photograph.pk)
        photograph.refresh_from_db()
        photographs[level] = photograph
    return photographs


def _image_size(response) -> tuple[int, int]:
    return Image.open(io.BytesIO(b"".join(response.streaming_content))).size


def _client(who, request) -> Client:
    client = Client()
    if who == "archivist":
        client.force_login(request.getfixturevalue("archivist"))
    return client


# What the public may get, per level: (thumbnail file, display file, master file, longest side through IIIF)
PUBLIC = {
    "metadata": (False, False, False, 0),
    "thumbnail": (True, False, False, 400),
    "display": (True, False, False, DISPLAY_SIDE),  # the stored display copy (1200 px) is larger than 600
    "master": (True, True, True, 1200),
}


@pytest.mark.parametrize("who", ["anonymous", "archivist"])
@pytest.mark.parametrize("level", LEVELS)
def test_every_pixel_route_follows_the_access_level(restricted, level, who, request, settings, tmp_path):
    settings.IIIF_CACHE_ROOT = str(tmp_path / "iiif")
    photograph = restricted[level]
    client = _client(who, request)
    thumbnail_ok, display_ok, master_ok, longest = PUBLIC[level] if who == "anonymous" else (True, True, True, 1200)

    # Media files: 403 with the reason when the level does not allow them.
    for kind, allowed in (("thumbnail", thumbnail_ok), ("display", display_ok), ("master", master_ok)):
        response = client.get(f"/api/media/photographs/{photograph.pk}/{kind}/")
        assert response.status_code == (200 if allowed else 403), (kind, response.status_code)
        if not allowed:
            assert "embargo" in response.content.decode() or "rights statement" in response.content.decode()

    base = f"/iiif/3/photograph-{photograph.pk}"
    info = client.get(f"{base}/info.json")
    full = client.get(f"{base}/full/max/0/default.jpg")
    explicit = client.get(f"{base}/full/1200,/0/default.jpg")
    tile = client.get(f"{base}/0,0,512,512/512,/0/default.jpg")  # a full-resolution tile of the master
    if longest == 0:
        assert {info.status_code, full.status_code, explicit.status_code, tile.status_code} == {403}
        assert "embargo" in info.content.decode()
    else:
        assert info.status_code == 200 and full.status_code == 200
        document = info.json()
        assert max(_image_size(full)) == longest
        if longest < 1200:
            # The reduced image is an image of its own: no region or size reaches more detail.
            reduced = (longest, round(longest * 2 / 3))
            assert (document["width"], document["height"]) == reduced == (document["maxWidth"], document["maxHeight"])
            assert explicit.status_code == 403
            assert tile.status_code == 403 or max(_image_size(tile)) <= longest  # a tile of the reduced image at most
            assert "rights statement" in explicit.content.decode()
            assert client.get(f"{base}/full/^{longest * 2},/0/default.jpg").status_code == 403  # no upscaling past it
            # A tile of the reduced image is served at the reduced resolution.
            quarter = client.get(f"{base}/0,0,{longest // 2},{longest // 3}/max/0/default.jpg")
            assert quarter.status_code == 200 and _image_size(quarter) == (longest // 2, longest // 3)
        else:
            assert (document["width"], document["height"]) == (photograph.width, photograph.height)
            assert document["maxWidth"] >= photograph.width  # only the service's own limit applies
            assert explicit.status_code == 200 and tile.status_code == 200

    # Manifests offer the master file only where it may be had.
    manifest = client.get(f"/iiif/3/manifest/photograph-{photograph.pk}").json()
    assert ("rendering" in manifest) == master_ok

    # The portal page: the record always; the image as allowed; the reason when restricted.
    page = client.get(f"/photographs/{photograph.pk}/").content.decode()
    assert (photograph.media_url("master") in page) == master_ok
    assert ("Restricted image." in page) == (who == "anonymous" and level != "master")
    assert ('id="deepzoom"' in page) == (longest > 0)


def test_restricted_responses_are_never_shared_between_users(restricted, archivist, settings, tmp_path):
    """An archivist's full-size tile of a restricted photograph must not land in a shared cache."""
    settings.IIIF_CACHE_ROOT = str(tmp_path / "iiif")
    client = Client()
    client.force_login(archivist)
    for level in ("thumbnail", "display"):
        photograph = restricted[level]
        response = client.get(f"/iiif/3/photograph-{photograph.pk}/full/max/0/default.jpg")
        assert "private" in response["Cache-Control"] and "Access-Control-Allow-Origin" not in response
        assert "private" in client.get(f"/iiif/3/manifest/photograph-{photograph.pk}")["Cache-Control"]
    public = Client().get(f"/iiif/3/photograph-{restricted['thumbnail'].pk}/full/max/0/default.jpg")
    assert "public" in public["Cache-Control"]  # the reduced image is the same for every visitor


def test_rights_levels_are_configurable(settings, fonds):
    assert rights_access_level(RightsStatement.IN_COPYRIGHT) == AccessLevel.THUMBNAIL
    assert rights_access_level(RightsStatement.PUBLIC_DOMAIN_MARK) == AccessLevel.MASTER
    settings.ACCESS_BY_RIGHTS = {RightsStatement.IN_COPYRIGHT.value: "metadata"}
    assert rights_access_level(RightsStatement.IN_COPYRIGHT) == AccessLevel.METADATA


def test_an_embargo_ends_on_its_date(restricted):
    photograph = restricted["master"]
    services.photograph_update(photograph=photograph, data={}, user=None)
    photograph.embargo_until = dt.date.today() + dt.timedelta(days=1)
    photograph.save(update_fields=["embargo_until"])
    from django.contrib.auth.models import AnonymousUser

    access = photograph_access(photograph, AnonymousUser())
    assert access.level == AccessLevel.METADATA and "embargo" in access.reason
    photograph.embargo_until = dt.date.today()
    assert photograph_access(photograph, AnonymousUser()).level == AccessLevel.MASTER
