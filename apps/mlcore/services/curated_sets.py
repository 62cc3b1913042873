"""Building curated training sets: create, add items (by hand, from a search, from a
collection), remove items, freeze (a deterministic train/hold-out split), delete."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.collections import selectors as archive
from apps.collections.models import Collection, Photograph
from apps.colorize.models import Variant

from ..models import CuratedItem, CuratedSet
from ..training_data import photograph_label, photograph_problem, variant_label, variant_problem

# One add may bring in a whole fonds, but not an unbounded one in a single request.
MAX_ITEMS_PER_ADD = 10_000


@dataclass(frozen=True)
class ItemRefusal:
    """An item that was not added, and why (a sentence a curator can act on)."""

    item: str
    reason: str

    def as_dict(self) -> dict:
        return {"item": self.item, "reason": self.reason}


@dataclass
class AddResult:
    added: list[CuratedItem] = field(default_factory=list)
    refused: list[ItemRefusal] = field(default_factory=list)


def _clean_fraction(holdout_fraction: float) -> float:
    if not isinstance(holdout_fraction, (int, float)) or not 0 < holdout_fraction < 1:
        raise ValidationError({"holdout_fraction": "The hold-out share is a number between 0 and 1 (e.g. 0.1)."})
    return float(holdout_fraction)


def _clean_name(name: str, *, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A curated set needs a name."})
    if CuratedSet.objects.filter(name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": f'A curated set named "{name}" already exists.'})
    return name


def curated_set_create(*, name: str, user, description: str = "", holdout_fraction: float = 0.1, seed: int = 0) -> CuratedSet:
    """A new, empty draft set."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValidationError({"seed": "The split seed is a whole number from 0."})
    curated_set = CuratedSet(
        name=_clean_name(name),
        description=description or "",
        holdout_fraction=_clean_fraction(holdout_fraction),
        seed=seed,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            curated_set.save()
    except IntegrityError as error:
        raise ValidationError({"name": f'A curated set named "{curated_set.name}" already exists.'}) from error
    return curated_set


def curated_set_update(*, curated_set: CuratedSet, data: dict, user) -> CuratedSet:
    """Rename or describe a set; its split settings (seed, hold-out share) only while it is a draft."""
    with transaction.atomic():
        locked = CuratedSet.objects.select_for_update().get(pk=curated_set.pk)
        if "name" in data:
            locked.name = _clean_name(data["name"], exclude_pk=locked.pk)
        if "description" in data:
            locked.description = data["description"] or ""
        for key in ("seed", "holdout_fraction"):
            if key in data and data[key] != getattr(locked, key):
                if locked.is_frozen:
                    raise ValidationError({key: "The split of a frozen set is fixed; create a new set to change it."})
                setattr(locked, key, _clean_fraction(data[key]) if key == "holdout_fraction" else int(data[key]))
        locked.save()
    return locked


def _lock_draft(curated_set: CuratedSet) -> CuratedSet:
    locked = CuratedSet.objects.select_for_update().get(pk=curated_set.pk)
    if locked.is_frozen:
        raise ValidationError(f'"{locked.name}" is frozen: its items are the record of its training runs. Create a new set to change them.')
    return locked


def _candidates_from_photographs(photographs: Iterable[Photograph], refused: list[ItemRefusal]) -> list[tuple[str, object]]:
    """A selection (search, collection) as candidates: colour photographs themselves, grayscale
    ones through their approved colorization, the rest refused with the reason."""
    photographs = list(photographs)
    grey_ids = [p.pk for p in photographs if p.is_grayscale]
    approved = {
        v.photograph_id: v
        for v in Variant.objects.filter(photograph_id__in=grey_ids, review_state=Variant.ReviewState.APPROVED).select_related("photograph")
    }
    candidates: list[tuple[str, object]] = []
    for photograph in photographs:
        if not photograph.is_grayscale:
            candidates.append((CuratedItem.Kind.PHOTOGRAPH, photograph))
        elif photograph.pk in approved:
            candidates.append((CuratedItem.Kind.VARIANT, approved[photograph.pk]))
        else:
            refused.append(ItemRefusal(photograph_label(photograph), "it is grayscale and has no approved colorization"))
    return candidates


def curated_set_add_items(
    *,
    curated_set: CuratedSet,
    user,
    photograph_ids: Iterable[int] = (),
    variant_ids: Iterable[int] = (),
    search: dict | None = None,
    collection: Collection | None = None,
) -> AddResult:
    """Add images to a draft set and say, item by item, what could not serve and why.

    - `photograph_ids`: colour photographs of the archive (their masters);
    - `variant_ids`: approved variants (their luma is the scan's, their chroma approved);
    - `search`: arguments of `collections.selectors.photograph_search` (q, collection,
      dates …), and `collection`: that collection with its descendants. From a selection,
      colour photographs are added as themselves and grayscale ones through their approved
      colorization, if any.

    Refused with a reason: grayscale photographs, missing files, variants that are not
    approved, anything already in the set (a photograph counts once, whether as itself or
    through its variant), unknown or invisible ids. A frozen set refuses everything.
    """
    refused: list[ItemRefusal] = []
    candidates: list[tuple[str, object]] = []
    visible = archive.photograph_visible_to(user) if user is not None else Photograph.objects.all()

    photograph_ids = list(dict.fromkeys(photograph_ids))
    found = visible.in_bulk(photograph_ids)
    for pk in photograph_ids:
        if pk in found:
            candidates.append((CuratedItem.Kind.PHOTOGRAPH, found[pk]))
        else:
            refused.append(ItemRefusal(f"photograph #{pk}", "there is no such photograph"))
    variant_ids = list(dict.fromkeys(variant_ids))
    variants = Variant.objects.filter(photograph__in=visible).select_related("photograph").in_bulk(variant_ids)
    for pk in variant_ids:
        if pk in variants:
            candidates.append((CuratedItem.Kind.VARIANT, variants[pk]))
        else:
            refused.append(ItemRefusal(f"variant #{pk}", "there is no such variant"))
    if search is not None:
        candidates += _candidates_from_photographs(archive.photograph_search(user=user, **search), refused)
    if collection is not None:
        candidates += _candidates_from_photographs(archive.photograph_search(user=user, collection=collection), refused)
    if len(candidates) > MAX_ITEMS_PER_ADD:
        raise ValidationError(f"That selection holds {len(candidates)} images; add at most {MAX_ITEMS_PER_ADD} at a time.")

    result = AddResult(refused=refused)
    with transaction.atomic():
        locked = _lock_draft(curated_set)
        # A photograph serves once: as itself or through its approved variant.
        covered: dict[int, str] = {}
        for item in locked.items.select_related("variant"):
            covered[item.photograph_id or item.variant.photograph_id] = item.key
        new_items = []
        for kind, obj in candidates:
            if kind == CuratedItem.Kind.PHOTOGRAPH:
                label, problem, photograph_id = photograph_label(obj), photograph_problem(obj), obj.pk
            else:
                label, problem, photograph_id = variant_label(obj), variant_problem(obj), obj.photograph_id
            if not problem and photograph_id in covered:
                problem = f"already in the set (as {covered[photograph_id]})"
            if problem:
                result.refused.append(ItemRefusal(label, problem))
                continue
            item = CuratedItem(curated_set=locked, kind=kind, added_by=user if user is not None and user.is_authenticated else None)
            setattr(item, kind, obj)
            covered[photograph_id] = item.key
            new_items.append(item)
        result.added = CuratedItem.objects.bulk_create(new_items)
        locked.save(update_fields=["updated_at"])
    return result


def curated_set_remove_items(*, curated_set: CuratedSet, item_ids: Iterable[int], user) -> int:
    """Remove items from a draft set; returns how many were removed."""
    with transaction.atomic():
        locked = _lock_draft(curated_set)
        removed, _ = locked.items.filter(pk__in=list(item_ids)).delete()
        locked.save(update_fields=["updated_at"])
    return removed


def split_keys(keys: Iterable[str], *, seed: int, holdout_fraction: float) -> dict[str, list[str]]:
    """The train/hold-out split of item keys: a function of (keys, seed, fraction) only.

    Only colour photographs ("photograph:…" keys) are held out: an approved variant is
    some model's output, so it teaches but never judges. The photograph keys are ranked by
    sha256 of "seed:key" and the first round(photographs × fraction) — at least one once
    the set has two items and a photograph, never the whole set — are held out. Unlike
    `gan.data.split_entries` (a hash threshold, right for large folders) the hold-out size
    is exact, which matters for the small sets curators build. A set without colour
    photographs holds nothing out: its runs are judged on the benchmark set alone.
    """
    keys = sorted(set(keys))
    photographs = [key for key in keys if key.startswith(f"{CuratedItem.Kind.PHOTOGRAPH}:")]
    ranked = sorted(photographs, key=lambda key: hashlib.sha256(f"{seed}:{key}".encode()).hexdigest())
    count = max(1, round(len(photographs) * holdout_fraction)) if photographs and len(keys) >= 2 else 0
    count = min(count, len(keys) - 1) if keys else 0
    holdout = set(ranked[:count])
    return {"train": [k for k in keys if k not in holdout], "holdout": [k for k in keys if k in holdout]}


def curated_set_freeze(*, curated_set: CuratedSet, user=None) -> CuratedSet:
    """Freeze a set for training: fix its split (recorded on the set) and stop its items from
    changing. Freezing a frozen set changes nothing."""
    with transaction.atomic():
        locked = CuratedSet.objects.select_for_update().get(pk=curated_set.pk)
        if locked.is_frozen:
            return locked
        keys = [item.key for item in locked.items.all()]
        if not keys:
            raise ValidationError(f'"{locked.name}" has no items; add colour photographs or approved variants before freezing it.')
        locked.split = split_keys(keys, seed=locked.seed, holdout_fraction=locked.holdout_fraction)
        locked.status = CuratedSet.Status.FROZEN
        locked.frozen_at = timezone.now()
        locked.save(update_fields=["split", "status", "frozen_at", "updated_at"])
    return locked


def curated_set_delete(*, curated_set: CuratedSet, user) -> None:
    """Delete a set that no training run used (a run's set is part of its provenance)."""
    with transaction.atomic():
        locked = CuratedSet.objects.select_for_update().get(pk=curated_set.pk)
        if locked.training_runs.exists():
            raise ValidationError(f'"{locked.name}" was used by training runs and is kept as their record.')
        locked.delete()
