from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from apps.collections import selectors as archive
from apps.colorize.models import Variant

from .gan.benchmark import Benchmark, BenchmarkError, compare, load_benchmark
from .models import CuratedItem, CuratedSet, ModelVersion, ModelVersionEvent, TrainingProgress, TrainingRun

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


def model_version_history(*, model_version: ModelVersion) -> QuerySet[ModelVersionEvent]:
    """What happened to a version, oldest first."""
    return model_version.events.select_related("user").order_by("created_at", "pk")


# --- the benchmark ------------------------------------------------------------------------------

def benchmark_current(*, verify: bool = False) -> Benchmark | None:
    """The benchmark set of settings.MLCORE_BENCHMARK_DIR, or None when none is configured.
    Raises BenchmarkError when the folder is configured but unusable (with `verify`: an
    image missing or changed)."""
    if not settings.MLCORE_BENCHMARK_DIR:
        return None
    return load_benchmark(settings.MLCORE_BENCHMARK_DIR, verify=verify)


def benchmark_current_id() -> str | None:
    """The id of the configured benchmark, or None (none configured, or unreadable)."""
    try:
        benchmark = benchmark_current()
    except BenchmarkError:
        return None
    return benchmark.id if benchmark is not None else None


def model_version_benchmark(model_version: ModelVersion, benchmark_id: str | None) -> dict | None:
    """The version's benchmark record if it was scored on `benchmark_id`, else None."""
    record = model_version.benchmark or {}
    return record if benchmark_id and record.get("id") == benchmark_id else None


@dataclass
class ActivationCheck:
    """Activating `candidate` in place of `active`, seen on the benchmark: the comparison
    rows of `gan.benchmark.compare` when both were scored on the same benchmark, else a
    note saying why they cannot be compared."""

    candidate: ModelVersion
    active: ModelVersion | None
    benchmark_id: str | None = None
    rows: list[dict] = field(default_factory=list)
    note: str = ""

    @property
    def worse(self) -> list[dict]:
        return [row for row in self.rows if row["worse"]]

    def message(self) -> str:
        if not self.worse:
            return self.note or f"{self.candidate} is not worse than {self.active} on the benchmark beyond the noise between seeds."
        parts = [
            f"{row['title']} {row['candidate']:.3f} against {row['reference']:.3f} (worse by {row['worse_by']:.3f}, noise between seeds {row['noise']:.3f})"
            for row in self.worse
        ]
        return (f"{self.candidate} is worse than the active {self.active} on the benchmark: {'; '.join(parts)}. "
                "Activating it needs a reason, which its history keeps.")

    def as_dict(self) -> dict:
        return {
            "active": {"id": self.active.pk, "version": str(self.active)} if self.active else None,
            "benchmark": self.benchmark_id,
            "comparison": self.rows,
            "worse": [row["metric"] for row in self.worse],
            "note": self.note,
        }


def activation_check(*, model_version: ModelVersion, active: ModelVersion | None = None) -> ActivationCheck:
    """How `model_version` compares with the active version (or `active`) on the benchmark
    both were scored on. No comparison (and so no objection) when there is no other active
    version, or when either has no score on the same benchmark; the note says which."""
    active = active if active is not None else model_version_active()
    check = ActivationCheck(candidate=model_version, active=active)
    if active is None or active.pk == model_version.pk:
        check.note = "No other version is active."
        return check
    new, old = model_version.benchmark or {}, active.benchmark or {}
    missing = [str(v) for v, record in ((model_version, new), (active, old)) if not record.get("id")]
    if missing:
        check.note = f"Not compared on the benchmark: {' and '.join(missing)} {'has' if len(missing) == 1 else 'have'} no benchmark score yet."
        return check
    if new["id"] != old["id"]:
        check.note = f"Not compared: {model_version} was scored on benchmark {new['id']}, {active} on {old['id']}."
        return check
    check.benchmark_id = new["id"]
    check.rows = compare(new, old)
    return check


def benchmark_table(versions: list[ModelVersion]) -> dict:
    """The comparable table of /models/: the versions scored on the configured benchmark
    (their scores and per-seed spreads), the grayscale input on the same images, and the
    versions without a score on it (not scored yet, or scored on another benchmark)."""
    benchmark_id = benchmark_current_id()
    scored, unscored, grayscale, record_of_any = [], [], None, None
    for version in versions:
        record = model_version_benchmark(version, benchmark_id)
        if record is None:
            unscored.append(version)
            continue
        scored.append((version, record))
        grayscale, record_of_any = record.get("grayscale"), record
    return {"id": benchmark_id, "scored": scored, "unscored": unscored, "grayscale": grayscale, "record": record_of_any}


def curated_set_list() -> QuerySet[CuratedSet]:
    return CuratedSet.objects.annotate(item_count=Count("items")).select_related("created_by")


def curated_set_usable_keys(curated_set: CuratedSet) -> set[str]:
    """Keys of the set's items that can serve now (database state; files are checked by the run)."""
    return {item.key for item in curated_set.items.filter(USABLE_ITEMS)}


def curated_set_items(*, curated_set: CuratedSet) -> QuerySet[CuratedItem]:
    """A set's items in the order they were added, with what their thumbnails and labels need."""
    return curated_set.items.select_related("photograph", "variant", "variant__photograph", "added_by").order_by("pk")


def approved_variants_outside(*, curated_set: CuratedSet, user) -> QuerySet[Variant]:
    """Approved variants the `user` may see whose photograph the set does not hold yet
    (neither as itself nor through a variant): what "add approved variants" offers."""
    held = CuratedItem.objects.filter(curated_set=curated_set).filter(
        Q(photograph_id=OuterRef("photograph_id")) | Q(variant__photograph_id=OuterRef("photograph_id"))
    )
    return (
        Variant.objects.filter(review_state=Variant.ReviewState.APPROVED, photograph__in=archive.photograph_visible_to(user))
        .exclude(Exists(held))
        .select_related("photograph", "photograph__collection")
        .order_by("-reviewed_at", "-pk")
    )


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
