"""The approved colorization in the archive's CSV exports (read-only columns, ignored on import)."""
from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse

from .models import Variant


def _approved(field: str) -> Subquery:
    return Subquery(
        Variant.objects.filter(photograph=OuterRef("pk"), review_state=Variant.ReviewState.APPROVED).values(field)[:1]
    )


def annotate_approved(photographs: QuerySet) -> QuerySet:
    return photographs.annotate(
        approved_variant_id=_approved("pk"),
        approved_variant_seed=_approved("seed"),
        approved_variant_model=_approved("request__model_version__name"),
        approved_variant_model_version=_approved("request__model_version__version"),
    )


def approved_download(photograph) -> str:
    if photograph.approved_variant_id is None:
        return ""
    return reverse("variant-download", kwargs={"pk": photograph.approved_variant_id, "fmt": "png"})


def approved_provenance(photograph) -> str:
    if photograph.approved_variant_id is None:
        return ""
    return (f"AI-colorized: {photograph.approved_variant_model} {photograph.approved_variant_model_version}, "
            f"seed {photograph.approved_variant_seed}")
