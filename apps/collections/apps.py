from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "apps.collections"
    label = "collections"
    verbose_name = "Archive"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        # Pillow's own decompression-bomb guard follows the configured ingest limit, so a
        # legitimately large scan is not refused by Pillow's lower default (ingest checks
        # the exact limit itself, and treats Pillow's warning as an error).
        Image.MAX_IMAGE_PIXELS = settings.INGEST_MAX_PIXELS

        # Photographs' derivatives have no job row: their reconcile pass joins every pass.
        from archive_site.rqjobs import RECONCILE_EXTRAS

        from .services.derivatives import derivatives_reconcile

        if derivatives_reconcile not in RECONCILE_EXTRAS:
            RECONCILE_EXTRAS.append(derivatives_reconcile)
