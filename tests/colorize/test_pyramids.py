"""Variants get a pyramid (the IIIF tiles' source) from a derivative job once their rows
commit, and reconcile rebuilds a missing one. (It goes with its variant: test_run.py.)"""
from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from apps.collections import services as archive_services
from apps.colorize.services import pyramids
from apps.colorize.services.pyramids import variant_pyramid_name
from archive_site import rqjobs
from tests.support.images import pixels

pytestmark = pytest.mark.django_db(transaction=True)


def tile(client, variant, region="8,4,40,30", size="max") -> np.ndarray:
    response = client.get(f"/iiif/3/variant-{variant.pk}/{region}/{size}/0/default.png")
    assert response.status_code == 200, response.content[:200]
    return np.asarray(Image.open(io.BytesIO(b"".join(response.streaming_content))).convert("RGB"))


def test_a_variants_tiles_come_from_its_pyramid_not_its_image(tiny_model, photograph, colorist, colorize):
    request = colorize(photograph, [1, 2])  # the worker also runs the pyramid jobs the run enqueued on commit
    variants = list(request.variants.order_by("seed"))
    assert all(default_storage.exists(variant_pyramid_name(v.pk)) for v in variants)
    variant = variants[0]
    expected = pixels(variant.image)[4:34, 8:48]
    # Without its full-resolution image the variant's tiles still come, pixel for pixel:
    # the image service reads the pyramid and never opens the PNG.
    default_storage.delete(variant.image.name)
    client = Client()
    client.force_login(colorist)
    assert np.array_equal(tile(client, variant), expected)
    assert tile(client, variant, "full", "24,").shape[1] == 24


def test_reconcile_rebuilds_a_missing_pyramid(tiny_model, photograph, colorize, rq_queues, rq_worker):
    request = colorize(photograph, [5])
    variant = request.variants.get()
    name = variant_pyramid_name(variant.pk)
    assert rqjobs.reconcile(grace_seconds=0) == []  # every pyramid is there
    default_storage.delete(name)
    assert pyramids.variant_pyramids_reconcile(grace_seconds=3600) == []  # too young to count as lost
    [action] = pyramids.variant_pyramids_reconcile(grace_seconds=0)
    assert (action.label, action.row_id, action.action) == ("variant", variant.pk, "requeued")
    assert pyramids.variant_pyramids_reconcile(grace_seconds=0) == []  # queued again: left alone
    rq_worker()
    assert default_storage.exists(name)


def test_a_pyramid_job_of_a_variant_deleted_meanwhile_leaves_no_file(tiny_model, photograph, colorist, colorize, media_files, monkeypatch):
    request = colorize(photograph, [1])
    variant = request.variants.get()
    default_storage.delete(variant_pyramid_name(variant.pk))
    real_store = pyramids.pyramid_store

    def store_while_deleted(**kwargs):
        archive_services.photograph_delete(photograph=photograph, user=colorist)  # its files went before the pyramid was there
        return real_store(**kwargs)

    monkeypatch.setattr(pyramids, "pyramid_store", store_while_deleted)
    assert pyramids.variant_build_pyramid(variant_id=variant.pk) is None
    assert media_files() == []
    assert pyramids.variant_build_pyramid(variant_id=variant.pk) is None  # gone: nothing to do
