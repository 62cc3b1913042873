from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from apps.colorize.models import Variant

from .models import CuratedItem, CuratedSet, ModelVersion, TrainingProgress, TrainingRun

# Items that can serve, as far as the database knows (files are checked when added and
# again when a run reads them).
USABLE_ITEMS = Q(kind=CuratedItem.Kind.PHOTOGRAPH, photograph__is_grayscale=False) | Q(
    kind=CuratedItem.Kind.VARIANT, variant__review_state=Variant.ReviewState.APPROVED
)


def model_version_active() -> ModelVersion | None:
    """The version new colorization requests use by default, or None before one is registered."""
    return ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()


def model_version_list() -> QuerySet[ModelVersion]:
    """Every version, active first, then candidates, then retired; newest first within each."""
    order = {ModelVersion.Status.ACTIVE: 0, ModelVersion.Status.CANDIDATE: 1, ModelVersion.Status.RETIRED: 2}
    rank = Case(*[When(status=s, then=Value(n)) for s, n in order.items()], output_field=IntegerField())
    return (
        ModelVersion.objects.select_related("base_version", "training_run", "training_run__curated_set", "created_by")
        .annotate(status_rank=rank)
        .order_by("status_rank", "-created_at", "-pk")
    )


def curated_set_list() -> QuerySet[CuratedSet]:
    return CuratedSet.objects.annotate(item_count=Count("items")).select_related("created_by")


def curated_set_usable_keys(curated_set: CuratedSet) -> set[str]:
    """Keys of the set's items that can serve now (database state; files are checked by the run)."""
    return {item.key for item in curated_set.items.filter(USABLE_ITEMS)}


def curated_set_sample(*, curated_set: CuratedSet, size: int = 8) -> list[CuratedItem]:
    """Up to `size` items spread evenly over the set (by order of addition), for a glance at it."""
    ids = list(curated_set.items.order_by("pk").values_list("pk", flat=True))
    if len(ids) > size:
        step = len(ids) / size
        ids = [ids[int(i * step)] for i in range(size)]
    return list(CuratedItem.objects.filter(pk__in=ids).select_related("photograph", "variant", "variant__photograph").order_by("pk"))


def training_run_list(*, curated_set: CuratedSet | None = None, status: str | None = None) -> QuerySet[TrainingRun]:
    runs = TrainingRun.objects.select_related("curated_set", "base_version", "result_version", "requested_by")
    if curated_set is not None:
        runs = runs.filter(curated_set=curated_set)
    if status:
        runs = runs.filter(status=status)
    return runs


def training_run_progress(*, training_run: TrainingRun) -> QuerySet[TrainingProgress]:
    """One row per finished epoch, in order."""
    return training_run.progress_events.order_by("epoch")
