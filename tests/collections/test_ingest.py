"""Ingest: every entry point's one service — validation, fixity, duplicates, nothing left
behind on refusal, EXIF, derivatives on the default queue."""
from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from apps.collections import services
from apps.collections.models import Photograph
from apps.collections.services import IngestRefused
from tests.support import images
from tests.support.collections import upload

pytestmark = pytest.mark.django_db


def ingest(collection, name, data, user=None, **metadata):
    return services.photograph_ingest(collection=collection, file=upload(name, data), filename=name, metadata=metadata, user=user).photograph


def test_ingest_stores_the_master_byte_for_byte_and_reads_its_facts(fonds, archivist):
    data = images.jpeg_bytes(80, 60, exif={0x010F: "Kodak", 0x0132: "1921:05:03 10:00:00"})
    photograph = ingest(fonds, "harbour-001.jpg", data, archivist, title="The harbour", date="circa 1920")

    photograph.refresh_from_db()
    with photograph.master.open("rb") as stored:
        assert stored.read() == data
    assert photograph.identifier == "harbour-001"  # from the file name
    assert (photograph.width, photograph.height, photograph.mode, photograph.bit_depth) == (80, 60, "RGB", 8)
    assert photograph.is_grayscale is False
    assert photograph.format == "image/jpeg"
    assert photograph.file_size == len(data)
    assert photograph.sha256 == __import__("hashlib").sha256(data).hexdigest()
    assert photograph.date == "1920~" and photograph.date_lower.year == 1919 and photograph.date_upper.year == 1921
    assert photograph.extra_metadata["exif"]["Make"] == "Kodak"
    assert photograph.extra_metadata["exif"]["DateTime"] == "1921:05:03 10:00:00"
    assert photograph.created_by == archivist
    assert photograph.derivatives_status == Photograph.DerivativesStatus.PENDING


@pytest.mark.parametrize(
    ("name", "data", "mode", "bit_depth", "grayscale"),
    [
        ("gray.jpg", images.jpeg_bytes(colour=False), "L", 8, True),
        ("scan-rgb.jpg", images.gray_as_rgb_jpeg(), "RGB", 8, True),
        ("green.png", images.png_bytes(), "RGB", 8, False),
        ("deep.tif", images.tiff16_bytes(), "I;16", 16, True),
    ],
)
def test_ingest_reads_mode_depth_and_grayscale(fonds, name, data, mode, bit_depth, grayscale):
    photograph = ingest(fonds, name, data)
    assert (photograph.mode, photograph.bit_depth, photograph.is_grayscale) == (mode, bit_depth, grayscale)


def test_webp_is_accepted(fonds):
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 10, 10)).save(buffer, "WEBP")
    assert ingest(fonds, "w.webp", buffer.getvalue()).format == "image/webp"


def test_duplicate_in_the_collection_is_refused_naming_the_existing_photograph(fonds, media_files):
    data = images.jpeg_bytes(seed=7)
    first = ingest(fonds, "a.jpg", data, title="Quay at dawn")
    stored_before = media_files()

    with pytest.raises(IngestRefused) as refused:
        ingest(fonds, "copy-of-a.jpg", data)

    assert refused.value.code == IngestRefused.DUPLICATE
    assert refused.value.existing == first
    assert "a" in refused.value.message and "Quay at dawn" in refused.value.message
    assert Photograph.objects.count() == 1
    assert media_files() == stored_before


def test_the_same_file_may_live_in_two_collections(fonds, hidden):
    data = images.jpeg_bytes(seed=8)
    ingest(fonds, "a.jpg", data)
    ingest(hidden, "a.jpg", data)
    assert Photograph.objects.filter(sha256=Photograph.objects.first().sha256).count() == 2


def test_an_identifier_already_used_is_refused(fonds):
    ingest(fonds, "a.jpg", images.jpeg_bytes(seed=1), identifier="ACC-1")
    with pytest.raises(IngestRefused) as refused:
        ingest(fonds, "b.jpg", images.jpeg_bytes(seed=2), identifier="ACC-1")
    assert refused.value.code == IngestRefused.IDENTIFIER_TAKEN


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("truncated.jpg", images.truncated_jpeg(), IngestRefused.CORRUPT),
        ("bomb.png", images.png_bomb(), IngestRefused.TOO_MANY_PIXELS),
        ("notes.jpg", b"These are my notes, not a photograph.\n" * 20, IngestRefused.UNSUPPORTED_FORMAT),
        ("anim.gif", images.gif_bytes(), IngestRefused.UNSUPPORTED_FORMAT),
        ("empty.jpg", b"", IngestRefused.CORRUPT),
    ],
)
def test_refused_files_leave_nothing_behind(fonds, media_files, name, data, code):
    with pytest.raises(IngestRefused) as refused:
        ingest(fonds, name, data)
    assert refused.value.code == code
    assert name in refused.value.message
    assert Photograph.objects.count() == 0
    assert media_files() == []


def test_too_large_and_too_many_pixels_follow_the_settings(fonds, settings, media_files):
    data = images.jpeg_bytes(100, 100)
    settings.INGEST_MAX_BYTES = len(data) - 1
    with pytest.raises(IngestRefused) as refused:
        ingest(fonds, "big.jpg", data)
    assert refused.value.code == IngestRefused.TOO_LARGE

    settings.INGEST_MAX_BYTES = 10_000_000
    settings.INGEST_MAX_PIXELS = 100 * 100 - 1
    with pytest.raises(IngestRefused) as refused:
        ingest(fonds, "big.jpg", data)
    assert refused.value.code == IngestRefused.TOO_MANY_PIXELS
    assert Photograph.objects.count() == 0 and media_files() == []


def test_bad_metadata_refuses_before_anything_is_stored(fonds, media_files):
    with pytest.raises(ValidationError) as invalid:
        ingest(fonds, "a.jpg", images.jpeg_bytes(), date="sometime", rights_uri="http://example.org/mine")
    assert set(invalid.value.message_dict) == {"date", "rights_uri"}
    assert Photograph.objects.count() == 0 and media_files() == []


def test_a_failure_after_storing_removes_the_stored_file(fonds, media_files, monkeypatch):
    def broken_create(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Photograph.objects, "create", broken_create)
    with pytest.raises(RuntimeError):
        ingest(fonds, "a.jpg", images.jpeg_bytes())
    assert media_files() == []


def test_derivatives_are_built_by_a_worker_after_commit(fonds, rq_queues, rq_worker, django_capture_on_commit_callbacks):
    data = images.jpeg_bytes(2400, 1200, seed=5)
    with django_capture_on_commit_callbacks(execute=True):
        photograph = ingest(fonds, "wide.jpg", data)
    assert rq_queues["default"].job_ids == [f"derivatives-{photograph.pk}"]

    rq_worker()

    photograph.refresh_from_db()
    assert photograph.derivatives_status == Photograph.DerivativesStatus.READY
    with photograph.display.open("rb") as f:
        display = Image.open(f)
        assert display.format == "JPEG" and display.size == (2000, 1000)
    with photograph.thumbnail.open("rb") as f:
        assert Image.open(f).size == (400, 200)
    with photograph.master.open("rb") as f:
        assert f.read() == data  # the master is never touched


def test_building_derivatives_is_idempotent_and_handles_16_bit(fonds):
    photograph = ingest(fonds, "deep.tif", images.tiff16_bytes(50, 40))
    first = services.photograph_build_derivatives(photograph_id=photograph.pk)
    names = (first.display.name, first.thumbnail.name)
    with first.display.open("rb") as f:
        display = Image.open(f)
        display.load()
    assert display.mode == "L" and display.getextrema() == (0, 255)  # full range kept, not crushed to black

    again = services.photograph_build_derivatives(photograph_id=photograph.pk)
    assert (again.display.name, again.thumbnail.name) == names


def test_derivatives_whose_job_vanished_are_reenqueued_by_reconcile(fonds, rq_queues, rq_worker, django_capture_on_commit_callbacks):
    from apps.collections.services import derivatives_reconcile

    with django_capture_on_commit_callbacks(execute=True):
        photograph = ingest(fonds, "lost.jpg", images.jpeg_bytes(300, 200, seed=9))
    rq_queues["default"].empty()  # Redis lost the job
    assert derivatives_reconcile(grace_seconds=3600) == []  # still within its grace period
    assert [action.row_id for action in derivatives_reconcile(grace_seconds=0)] == [photograph.pk]
    assert derivatives_reconcile(grace_seconds=0) == []  # queued again: left alone
    rq_worker()
    photograph.refresh_from_db()
    assert photograph.derivatives_status == Photograph.DerivativesStatus.READY


def test_files_that_can_only_be_decoded_whole_must_fit_the_decode_budget(fonds, settings, media_files):
    import pyvips

    picture = pyvips.Image.black(400, 300, bands=3).copy(interpretation="srgb") + [90, 120, 200]
    interlaced = io.BytesIO(picture.cast("uchar").pngsave_buffer(interlace=True))
    plain = io.BytesIO(picture.cast("uchar").pngsave_buffer())
    settings.INGEST_MAX_DECODE_BYTES = 400 * 300 * 3 - 1  # less than the whole decoded image
    with pytest.raises(IngestRefused) as refused:
        ingest(fonds, "interlaced.png", interlaced.getvalue())
    assert refused.value.code == IngestRefused.TOO_MANY_PIXELS
    assert "interlaced PNG" in refused.value.message and "MB" in refused.value.message
    assert Photograph.objects.count() == 0 and media_files() == []
    # The same pixels stored by rows are decoded a few rows at a time: accepted.
    assert ingest(fonds, "plain.png", plain.getvalue()).width == 400


MEMORY_PROBE = """
import os, resource, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.files import File
from django.test import Client
from apps.collections import services
from apps.collections.models import Collection, Photograph, RightsStatement
collection = Collection.objects.get(pk=int(sys.argv[2]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "rb") as handle:
    photo = services.photograph_ingest(collection=collection, file=File(handle, name="big.png"), filename="big.png", user=None).photograph
# Full-resolution tiles are for everyone only where the rights allow it (docs/ARCHIVE.md).
Photograph.objects.filter(pk=photo.pk).update(rights_uri=RightsStatement.NO_COPYRIGHT_US)
photo = services.photograph_build_derivatives(photograph_id=photo.pk)
for path in ("7168,7168,512,512/512,/0/default.jpg", "0,0,512,512/512,/0/default.jpg", "full/512,/0/default.jpg"):
    response = Client().get(f"/iiif/3/photograph-{photo.pk}/{path}", HTTP_HOST="localhost")
    assert response.status_code == 200, (path, response.status_code)
print(photo.pk, photo.derivatives_status, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_small_file_of_many_pixels_is_ingested_and_tiled_with_bounded_memory(fonds, tmp_path, settings, test_database_url):
    """Finding 2 of issue 11: a 15000×15000 PNG of under 1 MB decodes to 675 MB. Ingest, its
    derivatives and its tiles read it by strips and from the pyramid, never whole."""
    import os
    import subprocess
    import sys

    import pyvips

    big = tmp_path / "big.png"
    pyvips.Image.black(15000, 15000, bands=3).copy(interpretation="srgb").pngsave(str(big), compression=9)
    assert big.stat().st_size < 1_000_000
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "IIIF_CACHE_ROOT": str(tmp_path / "cache"),
    }
    result = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(big), str(fonds.pk)], capture_output=True, text=True, env=env, cwd=settings.BASE_DIR)
    assert result.returncode == 0, result.stderr[-3000:]
    pk, status, grown_kb = result.stdout.split()[-3:]
    assert status == Photograph.DerivativesStatus.READY
    assert int(grown_kb) < 300 * 1024, f"peak memory grew by {int(grown_kb) // 1024} MB"  # decoded whole: 675 MB
