"""Test support of the archive: factories, uploads. `PhotographFactory` makes catalogue rows without real files
(for search, facets, CSV and visibility tests); tests that need a real master go through
`services.photograph_ingest` with the images from `images.py`."""
from __future__ import annotations

import hashlib
import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.collections import services
from apps.collections.models import Collection, Photograph
from tests.support import images


class CollectionFactory(factory.django.DjangoModelFactory):
    """Created through collection_create so the materialised path is right."""

    class Meta:
        model = Collection

    title = factory.Sequence(lambda n: f"Collection {n}")
    slug = factory.Sequence(lambda n: f"collection-{n}")
    description = ""
    parent = None
    is_published = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.pop("created_by", None)
        return services.collection_create(user=None, **kwargs)


class PhotographFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Photograph

    collection = factory.SubFactory(CollectionFactory)
    identifier = factory.Sequence(lambda n: f"PH-{n:05d}")
    title = factory.Sequence(lambda n: f"Photograph {n}")
    master = factory.LazyAttribute(lambda o: f"masters/test/{o.identifier}.jpg")
    sha256 = factory.Sequence(lambda n: hashlib.sha256(f"photograph-{n}".encode()).hexdigest())
    file_size = 1000
    width = 640
    height = 480
    mode = "L"
    bit_depth = 8
    is_grayscale = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Dates go through the same EDTF parsing as every write path.
        if "date" in kwargs:
            kwargs["date"], kwargs["date_lower"], kwargs["date_upper"] = services.edtf_normalize(kwargs["date"])
        return super()._create(model_class, *args, **kwargs)


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    """An uploaded file as a form or the API receives it."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def ingest_photograph(collection, identifier: str, data: bytes | None = None, *, user):
    """A Photograph made through the archive's own ingest (default: a grey scan)."""
    data = data if data is not None else images.grey_scan(seed=sum(map(ord, identifier)))
    return services.photograph_ingest(
        collection=collection, file=io.BytesIO(data), filename=f"{identifier}.jpg", metadata={"identifier": identifier}, user=user,
    ).photograph
