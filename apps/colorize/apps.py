from django.apps import AppConfig


class ColorizeConfig(AppConfig):
    name = "apps.colorize"
    label = "colorize"
    verbose_name = "Colorization"

    def ready(self):
        # Hooks the archive's IIIF code offers to this app: variants as images of the Image
        # API, and the approved colorization as a choice in each photograph's Manifest.
        from django.db.models.signals import post_delete

        from apps.collections import iiif_presentation
        from apps.collections.iiif_sources import register_image_source
        from apps.collections.services.csv_columns import register_export_column
        from archive_site.rqjobs import RECONCILE_EXTRAS, job_row_abandoned

        from .exports import annotate_approved, approved_download, approved_provenance
        from .iiif import approved_colorization_for, variant_image_source
        from .models import ColorizationRequest, Variant
        from .receivers import request_files_discard, variant_files_delete
        from .services.pyramids import variant_pyramids_reconcile

        register_image_source("variant-", variant_image_source)
        register_export_column("ai_colorization", annotate=annotate_approved, cell=approved_download)
        register_export_column("ai_colorization_provenance", annotate=annotate_approved, cell=approved_provenance)
        iiif_presentation.approved_colorization_for = approved_colorization_for
        post_delete.connect(variant_files_delete, sender=Variant, dispatch_uid="colorize-variant-files")
        job_row_abandoned.connect(request_files_discard, sender=ColorizationRequest, dispatch_uid="colorize-request-files")
        # Variants' pyramids have no job row: their reconcile pass joins every pass.
        if variant_pyramids_reconcile not in RECONCILE_EXTRAS:
            RECONCILE_EXTRAS.append(variant_pyramids_reconcile)
