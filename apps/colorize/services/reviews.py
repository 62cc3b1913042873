"""Reviewing variants: approve (one per photograph; its pending siblings become not chosen),
reject, reopen, annotate. Every change leaves a ReviewEvent."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.collections.models import Photograph

from ..models import Annotation, ReviewEvent, Variant

State = Variant.ReviewState
Action = ReviewEvent.Action
MAX_ANNOTATION_LENGTH = 5000


def _lock(variant: Variant) -> Variant:
    """Lock the variant's photograph (so reviews of one photograph take turns), then re-read the variant."""
    Photograph.objects.select_for_update().only("pk").get(pk=variant.photograph_id)
    return Variant.objects.select_for_update().get(pk=variant.pk)


def _set_state(variant: Variant, *, to_state: str, action: str, user, note: str = "", replaced_by: Variant | None = None) -> None:
    ReviewEvent.objects.create(
        variant=variant, photograph_id=variant.photograph_id, action=action, from_state=variant.review_state,
        to_state=to_state, replaced_by=replaced_by, note=note, actor=user,
    )
    variant.review_state = to_state
    variant.reviewed_by = user
    variant.reviewed_at = timezone.now()
    variant.save(update_fields=["review_state", "reviewed_by", "reviewed_at"])


def _sync_photograph(photograph_id: int) -> None:
    approved = Variant.objects.filter(photograph_id=photograph_id, review_state=State.APPROVED).exists()
    Photograph.objects.filter(pk=photograph_id).update(has_approved_colorization=approved)


@transaction.atomic
def variant_approve(*, variant: Variant, user, note: str = "") -> Variant:
    """Approve `variant` as its photograph's colorization; the one approved before, if any,
    is replaced (it becomes rejected, with a `replace` event naming its successor), and the
    photograph's other pending variants leave the queue as `not_chosen` (a `not_chosen`
    event naming the approved one; reopen or approve brings any of them back).

    Approvals of one photograph are serialised on the photograph's row, and the partial
    unique constraint makes two approved variants of one photograph impossible whatever
    the path taken."""
    variant = _lock(variant)
    if variant.review_state == State.APPROVED:
        return variant
    for previous in Variant.objects.select_for_update().filter(photograph_id=variant.photograph_id, review_state=State.APPROVED):
        _set_state(previous, to_state=State.REJECTED, action=Action.REPLACE, user=user, note=f"Replaced by variant {variant.pk}.", replaced_by=variant)
    _set_state(variant, to_state=State.APPROVED, action=Action.APPROVE, user=user, note=note)
    siblings = Variant.objects.select_for_update().filter(photograph_id=variant.photograph_id, review_state=State.PENDING).exclude(pk=variant.pk)
    for sibling in siblings.order_by("pk"):
        _set_state(sibling, to_state=State.NOT_CHOSEN, action=Action.NOT_CHOSEN, user=user, note=f"Variant {variant.pk} was approved instead.", replaced_by=variant)
    _sync_photograph(variant.photograph_id)
    return variant


@transaction.atomic
def variant_reject(*, variant: Variant, user, note: str = "") -> Variant:
    """Reject a variant (an approved one stops being the photograph's colorization)."""
    variant = _lock(variant)
    if variant.review_state == State.REJECTED:
        return variant
    _set_state(variant, to_state=State.REJECTED, action=Action.REJECT, user=user, note=note)
    _sync_photograph(variant.photograph_id)
    return variant


@transaction.atomic
def variant_reopen(*, variant: Variant, user, note: str = "") -> Variant:
    """Put an approved, rejected or not chosen variant back in the review queue."""
    variant = _lock(variant)
    if variant.review_state == State.PENDING:
        raise ValidationError("This variant is already waiting for review.")
    _set_state(variant, to_state=State.PENDING, action=Action.REOPEN, user=user, note=note)
    _sync_photograph(variant.photograph_id)
    return variant


def _clean_region(region: dict | None) -> tuple[float | None, ...]:
    if region is None:
        return (None, None, None, None)
    try:
        x, y, w, h = (float(region[key]) for key in ("x", "y", "w", "h"))
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationError({"region": "A region needs numbers x, y, w and h (fractions of the image, 0 to 1)."}) from error
    if not (0 <= x < 1 and 0 <= y < 1 and w > 0 and h > 0):
        raise ValidationError({"region": "x and y are from 0 to 1, w and h above 0 (fractions of the image)."})
    # A box drawn past the edge is clipped to the image rather than refused.
    return (round(x, 6), round(y, 6), round(min(w, 1 - x), 6), round(min(h, 1 - y), 6))


def annotation_create(*, variant: Variant, user, text: str, region: dict | None = None) -> Annotation:
    """A remark on a variant, optionally about a rectangle of it (`region`: x, y, w, h as fractions of the image)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write what is wrong or right about the colours."})
    if len(text) > MAX_ANNOTATION_LENGTH:
        raise ValidationError({"text": f"Keep a remark under {MAX_ANNOTATION_LENGTH} characters."})
    x, y, w, h = _clean_region(region)
    return Annotation.objects.create(variant=variant, author=user, text=text, x=x, y=y, w=w, h=h)
