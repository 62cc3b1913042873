"""Trim the IIIF derivative cache to its size cap, least recently used images first."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.collections.iiif_cache import cache_root, iiif_cache_trim


class Command(BaseCommand):
    help = "Delete the least recently used rendered IIIF images until the cache is within IIIF_CACHE_MAX_BYTES (or --max-bytes)."

    def add_arguments(self, parser):
        parser.add_argument("--max-bytes", type=int, help="Keep at most this many bytes (default: IIIF_CACHE_MAX_BYTES).")

    def handle(self, *args, max_bytes: int | None = None, **options):
        limit = settings.IIIF_CACHE_MAX_BYTES if max_bytes is None else max_bytes
        result = iiif_cache_trim(max_bytes=limit)
        self.stdout.write(
            f"{cache_root()}: removed {result.files_removed} files ({result.bytes_removed / 1e6:.1f} MB), "
            f"{result.bytes_kept / 1e6:.1f} MB kept (cap {limit / 1e6:.1f} MB)."
        )
