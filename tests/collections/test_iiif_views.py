"""IIIF over HTTP: image service and manifests for photographs, access control, caching and
CORS headers, the Presentation 3 document shapes."""
from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from apps.collections import iiif_presentation, services
from tests.support import images
from tests.support.collections import upload

pytestmark = pytest.mark.django_db


def ingest(collection, user, name="scan-1.jpg", **metadata):
    seed = zlib.crc32(name.encode())  # a different picture per name, so none is a duplicate
    data = images.jpeg_bytes(1200, 800, seed=seed)
    return services.photograph_ingest(collection=collection, file=upload(name, data), filename=name, metadata=metadata, user=user).photograph


@pytest.fixture
def public_photo(fonds, archivist):
    return ingest(fonds, archivist, "hv-001.jpg", title="The lighthouse", creator="A. Photographer", date="1920~",
                  subjects="Lighthouses|Harbours", rights_uri="http://rightsstatements.org/vocab/NKC/1.0/")


@pytest.fixture
def hidden_photo(hidden, archivist):
    return ingest(hidden, archivist, "ud-001.jpg", title="Unseen")


def test_info_json_of_a_public_photograph(client, public_photo):
    response = client.get(f"/iiif/3/photograph-{public_photo.pk}/info.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    info = response.json()
    assert info["id"] == f"http://testserver/iiif/3/photograph-{public_photo.pk}"
    assert (info["width"], info["height"]) == (1200, 800)
    assert info["profile"] == "level2" and info["type"] == "ImageService3"
    assert info["rights"] == "http://rightsstatements.org/vocab/NKC/1.0/"
    ld = client.get(f"/iiif/3/photograph-{public_photo.pk}/info.json", HTTP_ACCEPT="application/ld+json")
    assert ld["Content-Type"] == 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'


def test_base_uri_redirects_to_info_json(client, public_photo):
    response = client.get(f"/iiif/3/photograph-{public_photo.pk}")
    assert response.status_code == 303
    assert response["Location"] == f"/iiif/3/photograph-{public_photo.pk}/info.json"


def test_image_request_is_rendered_cached_and_revalidated(client, public_photo, settings, tmp_path):
    settings.IIIF_CACHE_ROOT = str(tmp_path / "cache")
    url = f"/iiif/3/photograph-{public_photo.pk}/0,0,600,400/300,/0/gray.png"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "public" in response["Cache-Control"]
    assert 'rel="canonical"' in response["Link"] and "0,0,600,400/300,200/0/gray.png" in response["Link"]
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.size == (300, 200) and image.mode == "L"
    cached = list((tmp_path / "cache").rglob("*.png"))
    assert len(cached) == 1

    # Served from the cache: the master is not opened again.
    public_photo.master.storage.delete(public_photo.master.name)
    again = client.get(url)
    assert again.status_code == 200 and again["ETag"] == response["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_bad_parameters_are_400_and_unknown_identifiers_404(client, public_photo):
    base = f"/iiif/3/photograph-{public_photo.pk}"
    assert client.get(f"{base}/full/2000,/0/default.jpg").status_code == 400  # upscaling without ^
    assert client.get(f"{base}/full/max/0/default.gif").status_code == 400
    assert client.get(f"{base}/nonsense/max/0/default.jpg").status_code == 400
    assert client.get("/iiif/3/photograph-999999/info.json").status_code == 404
    assert client.get("/iiif/3/unknown-1/info.json").status_code == 404
    assert client.get("/iiif/3/photograph-01/info.json").status_code == 404


def test_unpublished_images_are_invisible_to_anonymous_users_and_viewers(client, hidden_photo, viewer, archivist):
    urls = [
        f"/iiif/3/photograph-{hidden_photo.pk}",
        f"/iiif/3/photograph-{hidden_photo.pk}/info.json",
        f"/iiif/3/photograph-{hidden_photo.pk}/full/max/0/default.jpg",
        f"/iiif/3/manifest/photograph-{hidden_photo.pk}",
        "/iiif/3/collection/unsorted",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.force_login(viewer)
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.force_login(archivist)
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 303), url
        assert "Access-Control-Allow-Origin" not in response, url
    info = client.get(urls[1])
    assert "private" in info["Cache-Control"]


def test_an_unpublished_parent_hides_its_published_series(client, hidden, archivist):
    series = services.collection_create(title="Series A", slug="series-a", parent=hidden, is_published=True, user=archivist)
    photo = ingest(series, archivist, "sa-001.jpg")
    assert client.get(f"/iiif/3/photograph-{photo.pk}/info.json").status_code == 404
    assert client.get("/iiif/3/collection/series-a").status_code == 404


def test_photograph_manifest_shape(client, public_photo):
    response = client.get(f"/iiif/3/manifest/photograph-{public_photo.pk}")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    manifest = response.json()
    manifest_id = f"http://testserver/iiif/3/manifest/photograph-{public_photo.pk}"
    assert manifest["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert manifest["id"] == manifest_id and manifest["type"] == "Manifest"
    assert manifest["label"] == {"none": ["The lighthouse"]}
    assert manifest["rights"] == "http://rightsstatements.org/vocab/NKC/1.0/"
    assert "Harbour Board fonds" in manifest["requiredStatement"]["value"]["en"][0]
    metadata = {entry["label"]["en"][0]: entry["value"]["none"][0] for entry in manifest["metadata"]}
    assert metadata["Creator"] == "A. Photographer" and metadata["Date"] == "1920~"
    assert metadata["Subject"] == "Lighthouses | Harbours" and metadata["Identifier"] == "hv-001"
    assert manifest["partOf"] == [{"id": "http://testserver/iiif/3/collection/harbour", "type": "Collection"}]

    (canvas,) = manifest["items"]
    assert canvas["type"] == "Canvas" and canvas["id"].startswith(manifest_id)
    assert (canvas["width"], canvas["height"]) == (1200, 800)
    (page,) = canvas["items"]
    assert page["type"] == "AnnotationPage"
    (annotation,) = page["items"]
    assert annotation["type"] == "Annotation" and annotation["motivation"] == "painting"
    assert annotation["target"] == canvas["id"]
    body = annotation["body"]
    assert body["type"] == "Image" and body["format"] == "image/jpeg"
    (service,) = body["service"]
    assert service == {"id": f"http://testserver/iiif/3/photograph-{public_photo.pk}", "type": "ImageService3", "profile": "level2"}
    # The body and the thumbnail are real, fetchable image requests.
    assert client.get(body["id"].removeprefix("http://testserver")).status_code == 200
    assert client.get(manifest["thumbnail"][0]["id"].removeprefix("http://testserver")).status_code == 200


def test_manifest_offers_an_approved_colorization_as_a_choice(client, public_photo, monkeypatch):
    alternative = iiif_presentation.AlternativeImage("variant-7", 1200, 800, "AI colorization — seed 42")
    monkeypatch.setattr(iiif_presentation, "approved_colorization_for", lambda photograph: alternative)
    body = client.get(f"/iiif/3/manifest/photograph-{public_photo.pk}").json()["items"][0]["items"][0]["items"][0]["body"]
    assert body["type"] == "Choice"
    original, colorized = body["items"]
    assert original["label"] == {"en": ["Original scan"]}
    assert colorized["service"][0]["id"] == "http://testserver/iiif/3/variant-7"
    assert colorized["label"] == {"en": ["AI colorization — seed 42"]}


def test_collection_document_lists_series_and_manifests(client, fonds, archivist, django_assert_max_num_queries):
    services.collection_create(title="Quay", slug="quay", parent=fonds, is_published=True, user=archivist)
    services.collection_create(title="Draft series", slug="draft", parent=fonds, is_published=False, user=archivist)
    photos = [ingest(fonds, archivist, f"hv-{n:03}.jpg") for n in range(3)]
    with django_assert_max_num_queries(8):
        response = client.get("/iiif/3/collection/harbour")
    document = response.json()
    assert document["type"] == "Collection" and document["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert document["items"][0] == {"id": "http://testserver/iiif/3/collection/quay", "type": "Collection", "label": {"none": ["Quay"]}}
    manifests = [item["id"] for item in document["items"] if item["type"] == "Manifest"]
    assert manifests == [f"http://testserver/iiif/3/manifest/photograph-{photo.pk}" for photo in photos]
    assert "draft" not in response.content.decode()
    assert client.get("/iiif/3/collection/quay").json()["partOf"][0]["id"] == "http://testserver/iiif/3/collection/harbour"


def test_large_collections_are_split_into_parts(client, fonds, archivist, monkeypatch):
    monkeypatch.setattr(iiif_presentation, "COLLECTION_PART_SIZE", 2)
    photos = [ingest(fonds, archivist, f"hv-{n:03}.jpg") for n in range(5)]
    document = client.get("/iiif/3/collection/harbour").json()
    parts = [item["id"] for item in document["items"]]
    assert parts == [f"http://testserver/iiif/3/collection/harbour/part/{n}" for n in (1, 2, 3)]
    listed = []
    for part in parts:
        listed += [item["id"].rsplit("-", 1)[1] for item in client.get(part.removeprefix("http://testserver")).json()["items"]]
    assert listed == [str(photo.pk) for photo in photos]
    assert client.get("/iiif/3/collection/harbour/part/4").status_code == 404


def test_exif_rotated_masters_are_served_upright(client, fonds, archivist):
    from tests.collections.test_iiif_image_api import sideways_jpeg

    photo = services.photograph_ingest(collection=fonds, file=upload("sideways.jpg", sideways_jpeg()), filename="sideways.jpg", user=archivist).photograph
    info = client.get(f"/iiif/3/photograph-{photo.pk}/info.json").json()
    assert (info["width"], info["height"]) == (100, 200)
    manifest = client.get(f"/iiif/3/manifest/photograph-{photo.pk}").json()
    assert (manifest["items"][0]["width"], manifest["items"][0]["height"]) == (100, 200)
    response = client.get(f"/iiif/3/photograph-{photo.pk}/full/max/0/default.png")
    image = Image.open(io.BytesIO(b"".join(response.streaming_content))).convert("RGB")
    assert image.size == (100, 200) and image.getpixel((50, 160))[2] > 150  # blue at the bottom


# --- Limits, encoders, the bounded cache, render slots, the pyramid (issue 11) ------------------


def test_info_json_declares_the_limits_and_they_are_enforced_after_rotation(client, public_photo, settings):
    settings.IIIF_MAX_WIDTH, settings.IIIF_MAX_HEIGHT, settings.IIIF_MAX_AREA = 3000, 2500, 5_000_000
    base = f"/iiif/3/photograph-{public_photo.pk}"
    info = client.get(f"{base}/info.json").json()
    assert (info["maxWidth"], info["maxHeight"], info["maxArea"]) == (3000, 2500, 5_000_000)
    assert client.get(f"{base}/full/^1900,1900/0/default.jpg").status_code == 200  # 1900×1267
    refused = client.get(f"{base}/full/^1900,1900/45/default.jpg")  # 2241×2241 once turned: 5.02 MP
    assert refused.status_code == 400
    assert "after rotation" in refused.content.decode() and "maxArea" in refused.content.decode()
    assert client.get(f"{base}/full/^2600,/90/default.jpg").status_code == 400  # 2600 high once turned
    assert client.get(f"{base}/full/^2600,/0/default.jpg").status_code == 200


def test_sizes_past_the_encoders_limits_are_400_not_500(client, public_photo, settings):
    settings.IIIF_MAX_WIDTH = settings.IIIF_MAX_HEIGHT = 10**6
    settings.IIIF_MAX_AREA = 10**9
    base = f"/iiif/3/photograph-{public_photo.pk}"
    for path, side in (("full/^1,66000/0/default.jpg", "65535"), ("full/^1,20000/0/default.webp", "16383")):
        response = client.get(f"{base}/{path}")
        assert response.status_code == 400 and side in response.content.decode()


def _cached_files(root) -> set:
    return {path for path in root.rglob("*") if path.is_file()}


def test_the_cache_is_trimmed_least_recently_used_first(client, public_photo, settings, tmp_path):
    import os

    from django.core.management import call_command

    root = tmp_path / "cache"
    settings.IIIF_CACHE_ROOT = str(root)
    base = f"/iiif/3/photograph-{public_photo.pk}"

    def fetch(region: str) -> set:
        before = _cached_files(root)
        assert client.get(f"{base}/{region}/max/0/default.png").status_code == 200
        return _cached_files(root) - before

    (first,), (second,) = fetch("0,0,400,400"), fetch("400,0,400,400")
    os.utime(first, (1, 1))  # the first was written long before the second …
    os.utime(second, (2, 2))
    assert fetch("0,0,400,400") == set()  # … but used again since: a hit, marked as used
    settings.IIIF_CACHE_MAX_BYTES = int(first.stat().st_size * 2.5)  # room for two such tiles
    settings.IIIF_CACHE_TRIM_INTERVAL_S = 0  # trim after every write
    (third,) = fetch("800,0,400,400")
    assert _cached_files(root) == {first, third}  # the least recently used one went

    call_command("trim_iiif_cache", "--max-bytes", "0")
    assert _cached_files(root) == set()


def test_a_render_waits_for_a_slot_and_answers_503_when_none_frees(client, public_photo, settings):
    from contextlib import ExitStack

    from apps.collections.iiif_views import render_slot

    settings.IIIF_RENDER_WAIT_S = 0
    url = f"/iiif/3/photograph-{public_photo.pk}/0,0,300,300/max/0/default.jpg"
    with ExitStack() as stack:
        for _ in range(settings.IIIF_RENDER_SLOTS):
            stack.enter_context(render_slot())  # every slot busy with another render
        busy = client.get(url)
        assert busy.status_code == 503 and int(busy["Retry-After"]) > 0 and busy["Cache-Control"] == "no-store"
        assert client.get(f"/iiif/3/photograph-{public_photo.pk}/info.json").status_code == 200  # no render: not held up
    assert client.get(url).status_code == 200


def test_tiles_come_from_the_pyramid_not_the_master(client, public_photo):
    from apps.collections.services.derivatives import photograph_pyramid_name

    services.photograph_build_derivatives(photograph_id=public_photo.pk)
    storage = public_photo.master.storage
    assert storage.exists(photograph_pyramid_name(public_photo))
    base = f"/iiif/3/photograph-{public_photo.pk}"
    from_master = Image.open(io.BytesIO(b"".join(client.get(f"{base}/600,400,512,400/256,/0/default.png").streaming_content))).convert("RGB")
    storage.delete(public_photo.master.name)  # not needed any more for any tile
    for path in ("full/max/0/default.jpg", "0,0,512,512/512,/0/default.jpg", "1024,512,176,288/88,/0/default.jpg", "full/300,/33/gray.webp"):
        assert client.get(f"{base}/{path}").status_code == 200, path
    tile = Image.open(io.BytesIO(b"".join(client.get(f"{base}/600,400,512,400/256,/0/color.png").streaming_content))).convert("RGB")
    assert tile.size == from_master.size
    difference = np.abs(np.asarray(tile, dtype=int) - np.asarray(from_master, dtype=int))
    assert difference.mean() < 4  # the same picture (the pyramid of a JPEG master has JPEG tiles)
