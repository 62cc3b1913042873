"""Small helpers the archive's portal views share: thumbnails. (Permission checks and
pagination are every app's: archive_site.portal.)"""
from __future__ import annotations

from apps.collections.iiif_presentation import THUMBNAIL_BOX, photograph_image_path


def thumbnail_url(photograph) -> str:
    """The built thumbnail, or the IIIF service while the derivatives job has not run."""
    if photograph.thumbnail:
        return photograph.media_url("thumbnail")
    return photograph_image_path(photograph, THUMBNAIL_BOX)


def with_thumbnails(photographs) -> list:
    photographs = list(photographs)
    for photograph in photographs:
        photograph.thumbnail_url = thumbnail_url(photograph)
    return photographs
