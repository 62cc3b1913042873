"""Reads of the colorist's workflow. Visibility builds on the archive's one rule
(`apps.collections.selectors.photograph_visible_to`): people with the colorize view
permissions see every variant of the photographs they may see; everyone else (viewers,
anonymous users) sees only approved variants of the photographs they may see, which for
them means published ones."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, QuerySet
from django.http import Http404
from django.utils import timezone

from apps.collections import selectors as archive
from apps.collections.models import Collection, Photograph
from apps.mlcore.models import ModelVersion
from archive_site.rqjobs import job_row_job, rq_queue

from .models import Annotation, ColorizationBatch, ColorizationRequest, ReviewEvent, Variant

REVIEW_PERMISSION = "colorize.review_variant"


def can_see_all_variants(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm("colorize.view_variant"))


def can_request(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm("colorize.add_colorizationrequest"))


def can_review(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(REVIEW_PERMISSION))


def can_annotate(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm("colorize.add_annotation"))


def can_cancel(user, colorization_request: ColorizationRequest) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return colorization_request.requested_by_id == user.pk or user.has_perm("colorize.change_colorizationrequest")


def variant_visible_to(user) -> QuerySet[Variant]:
    """THE variant visibility rule (module docstring)."""
    variants = Variant.objects.filter(photograph__in=archive.photograph_visible_to(user).values("pk"))
    if can_see_all_variants(user):
        return variants
    return variants.filter(review_state=Variant.ReviewState.APPROVED)


def variant_get(*, user, pk: int) -> Variant:
    variant = variant_visible_to(user).select_related("photograph", "photograph__collection", "request", "request__model_version", "reviewed_by").filter(pk=pk).first()
    if variant is None:
        raise Http404("No such variant.")
    return variant


def colorization_request_visible_to(user) -> QuerySet[ColorizationRequest]:
    """Requests are working records: only people who may view them (colorize roles) see any."""
    if user is None or not user.is_authenticated or not user.has_perm("colorize.view_colorizationrequest"):
        return ColorizationRequest.objects.none()
    return ColorizationRequest.objects.filter(photograph__in=archive.photograph_visible_to(user).values("pk"))


def colorization_request_get(*, user, pk: int) -> ColorizationRequest:
    found = colorization_request_visible_to(user).select_related("photograph", "model_version", "requested_by").filter(pk=pk).first()
    if found is None:
        raise Http404("No such colorization request.")
    return found


def colorization_request_list(*, user, photograph: Photograph | None = None, status: str | None = None) -> QuerySet[ColorizationRequest]:
    requests = colorization_request_visible_to(user).select_related("photograph", "model_version", "requested_by").prefetch_related("variants")
    if photograph is not None:
        requests = requests.filter(photograph=photograph)
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("-requested_at", "-pk")


@dataclass(frozen=True)
class RequestStatus:
    """What a colorist wants to know while waiting: state, progress, place in the queue, time spent."""

    status: str
    stage: str
    progress: float
    queue_position: int | None  # 1 = next; None when not waiting in the queue (or Redis does not know)
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    waited_seconds: float  # queued until started (or until now)
    elapsed_seconds: float | None  # started until finished (or until now)
    attempts: int
    max_attempts: int
    error: str


def colorization_request_status(*, colorization_request: ColorizationRequest, now: datetime | None = None) -> RequestStatus:
    now = now or timezone.now()
    row = colorization_request
    position = None
    if row.status == ColorizationRequest.Status.QUEUED:
        try:
            job = job_row_job(row)
            index = rq_queue(row.queue_name).get_job_position(job.id) if job is not None else None
        except Exception:  # Redis down: the status page still answers from the row
            index = None
        position = index + 1 if index is not None else None
    waited_until = row.started_at if row.started_at and row.started_at >= row.queued_at else (row.finished_at or now)
    elapsed = None
    if row.started_at:
        elapsed = ((row.finished_at if row.finished_at and row.finished_at >= row.started_at else now) - row.started_at).total_seconds()
    return RequestStatus(
        status=row.status,
        stage=row.stage,
        progress=row.progress,
        queue_position=position,
        queued_at=row.queued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        waited_seconds=max(0.0, (waited_until - row.queued_at).total_seconds()),
        elapsed_seconds=elapsed,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        error=row.error,
    )


def variant_list(*, user, photograph: Photograph | None = None, colorization_request: ColorizationRequest | None = None, review_state: str | None = None) -> QuerySet[Variant]:
    variants = variant_visible_to(user).select_related("photograph", "request", "request__model_version")
    if photograph is not None:
        variants = variants.filter(photograph=photograph)
    if colorization_request is not None:
        variants = variants.filter(request=colorization_request)
    if review_state:
        variants = variants.filter(review_state=review_state)
    return variants.order_by("-request__requested_at", "request_id", "pk")


def review_queue(
    *, user, collection: Collection | None = None, model_version: ModelVersion | None = None, requested_by=None,
    created_after: datetime | None = None, created_before: datetime | None = None,
) -> QuerySet[Variant]:
    """Variants waiting for review, oldest first; `collection` includes its sub-collections,
    `requested_by` is who asked for them, `created_after`/`_before` bound when they were made."""
    if not can_see_all_variants(user):
        return Variant.objects.none()
    variants = variant_visible_to(user).filter(review_state=Variant.ReviewState.PENDING)
    if collection is not None:
        variants = variants.filter(photograph__collection__in=collection.descendants(include_self=True))
    if model_version is not None:
        variants = variants.filter(request__model_version=model_version)
    if requested_by is not None:
        variants = variants.filter(request__requested_by=requested_by)
    if created_after is not None:
        variants = variants.filter(created_at__gte=created_after)
    if created_before is not None:
        variants = variants.filter(created_at__lt=created_before)
    return variants.select_related("photograph", "photograph__collection", "request", "request__model_version", "request__requested_by").order_by("created_at", "pk")


def review_queue_photographs(*, variants: QuerySet[Variant]) -> QuerySet:
    """The photographs of a review queue (`review_queue(...)`), the one waiting longest first:
    rows of `photograph_id`, `pending` (how many of its variants wait) and `oldest`."""
    return variants.order_by().values("photograph_id").annotate(pending=Count("pk"), oldest=Min("created_at")).order_by("oldest", "photograph_id")


@dataclass(frozen=True)
class ReviewGroup:
    """One photograph of the review queue with its variants waiting for review."""

    photograph: Photograph
    variants: list[Variant]
    oldest: datetime


def review_queue_groups(*, variants: QuerySet[Variant], rows) -> list[ReviewGroup]:
    """The groups of a page of `review_queue_photographs` rows, in the rows' order."""
    ids = [row["photograph_id"] for row in rows]
    by_photograph: dict[int, list[Variant]] = {pk: [] for pk in ids}
    for variant in variants.filter(photograph_id__in=ids):
        by_photograph[variant.photograph_id].append(variant)
    return [ReviewGroup(photograph=found[0].photograph, variants=found, oldest=found[0].created_at) for pk in ids if (found := by_photograph[pk])]


def review_queue_next_photograph(*, user, after: Photograph | None = None) -> Photograph | None:
    """The photograph waiting longest for review, other than `after`."""
    rows = review_queue_photographs(variants=review_queue(user=user))
    if after is not None:
        rows = rows.exclude(photograph_id=after.pk)
    row = rows.first()
    return Photograph.objects.select_related("collection").get(pk=row["photograph_id"]) if row else None


def compare_variants(*, user, photograph: Photograph, ids: list[int] | None = None,
                     colorization_request: ColorizationRequest | None = None, limit: int = 8) -> list[Variant]:
    """The variants a comparison grid shows: the `ids` asked for, else those of
    `colorization_request`, else the photograph's variants waiting for review, else its
    latest ones; at most `limit`, in the order of their requests and seeds."""
    variants = variant_list(user=user, photograph=photograph)
    if ids:
        chosen = variants.filter(pk__in=ids)
    elif colorization_request is not None:
        chosen = variants.filter(request=colorization_request)
    else:
        pending = variants.filter(review_state=Variant.ReviewState.PENDING)
        chosen = pending if pending.exists() else variants
    return sorted(chosen[:limit], key=lambda variant: (variant.request_id, variant.pk))


def approved_variant_for(*, photograph: Photograph) -> Variant | None:
    """The photograph's approved colorization (at most one, by constraint)."""
    return Variant.objects.select_related("request__model_version").filter(photograph=photograph, review_state=Variant.ReviewState.APPROVED).first()


def variant_is_public(variant: Variant) -> bool:
    """Whether anonymous visitors may see it: approved, and its photograph published."""
    from django.contrib.auth.models import AnonymousUser

    return variant.review_state == Variant.ReviewState.APPROVED and archive.photograph_visible_to(AnonymousUser()).filter(pk=variant.photograph_id).exists()


def annotation_list(*, user, variant: Variant) -> QuerySet[Annotation]:
    """Annotations of a variant the user can see; working notes, so only for colorize roles."""
    if not (user is not None and user.is_authenticated and user.has_perm("colorize.view_annotation")):
        return Annotation.objects.none()
    return variant.annotations.select_related("author").order_by("created_at", "pk")


def review_history(*, variant: Variant) -> QuerySet[ReviewEvent]:
    return variant.review_events.select_related("actor", "replaced_by").order_by("created_at", "pk")


def photograph_colorization_summary(*, user, photograph: Photograph, recent: int = 10) -> dict:
    """What the photograph page's colorize panel shows."""
    return {
        "approved": variant_visible_to(user).filter(photograph=photograph, review_state=Variant.ReviewState.APPROVED).select_related("request__model_version").first(),
        "requests": list(colorization_request_list(user=user, photograph=photograph)[:recent]),
        "variant_count": variant_visible_to(user).filter(photograph=photograph).count(),
    }


def colorization_batch_list(*, user) -> QuerySet[ColorizationBatch]:
    """Batches, newest first: working records, like their requests (colorize roles only)."""
    if user is None or not user.is_authenticated or not user.has_perm("colorize.view_colorizationrequest"):
        return ColorizationBatch.objects.none()
    return ColorizationBatch.objects.select_related("requested_by").order_by("-requested_at", "-pk")


def colorization_batch_get(*, user, pk: int) -> ColorizationBatch:
    found = colorization_batch_list(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such colorization batch.")
    return found


def colorization_batch_requests(*, user, batch: ColorizationBatch) -> QuerySet[ColorizationRequest]:
    """The batch's requests the user may see (their photographs visible to them), in the order they were made."""
    return colorization_request_visible_to(user).filter(batch=batch).select_related("photograph", "model_version").order_by("pk")


@dataclass(frozen=True)
class BatchProgress:
    """A batch as one: how many of its requests are in each status, and the whole's progress."""

    total: int
    done: int  # requests no longer queued or running
    counts: dict[str, int]  # every status, zeros included
    progress: float  # 0–1: the mean of the requests' progress (a finished request counts 1)
    finished: bool  # nothing queued or running any more
    variants: int  # variants made so far


def colorization_batch_progress(*, requests: QuerySet[ColorizationRequest]) -> BatchProgress:
    """The progress of a batch's `requests` (`colorization_batch_requests`)."""
    counts = dict.fromkeys(ColorizationRequest.Status.values, 0)
    completed = 0.0
    for status, progress in requests.values_list("status", "progress"):
        counts[status] += 1
        completed += progress if status in ColorizationRequest.ACTIVE_STATUSES else 1.0
    total = sum(counts.values())
    active = sum(counts[status] for status in ColorizationRequest.ACTIVE_STATUSES)
    return BatchProgress(
        total=total,
        done=total - active,
        counts=counts,
        progress=round(completed / total, 4) if total else 1.0,
        finished=active == 0,
        variants=Variant.objects.filter(request__in=requests.values("pk")).count(),
    )
