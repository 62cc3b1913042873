"""Curated items as training images: which ones can serve, and the trainer's PhotoEntry lists.

The trainer (gan.train) reads any list of `PhotoEntry(key, open)`; here each item of a
frozen curated set becomes one, keyed by `CuratedItem.key` and opening its file from media
storage: a colour photograph's master, or an approved variant's image — which already is
the training pair, its luma the original scan's and its chroma the colorist's choice.

An item can stop serving after it was added (its variant un-approved, its file lost): the
run skips it and says so in its data summary, rather than learning from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from PIL import Image

from apps.collections.models import Photograph
from apps.colorize.models import Variant

from .gan.data import PhotoEntry
from .gan.imageio import open_image
from .models import CuratedItem, CuratedSet


def photograph_label(photograph: Photograph) -> str:
    return f"photograph #{photograph.pk} {photograph.identifier}"


def variant_label(variant: Variant) -> str:
    return f"variant #{variant.pk} of {variant.photograph.identifier}"


def _file_missing(field_file) -> bool:
    return not field_file or not field_file.name or not default_storage.exists(field_file.name)


def photograph_problem(photograph: Photograph, *, check_file: bool = True) -> str | None:
    """Why a photograph cannot serve as a colour training image, or None when it can."""
    if photograph.is_grayscale:
        return "it is grayscale: it teaches nothing about colour (add its approved colorization instead)"
    if check_file and _file_missing(photograph.master):
        return "its master file is missing from storage"
    return None


def variant_problem(variant: Variant, *, check_file: bool = True) -> str | None:
    """Why a variant cannot serve (only approved colorizations teach the model), or None when it can."""
    if variant.review_state != Variant.ReviewState.APPROVED:
        return f"it is not approved (it is {variant.get_review_state_display().lower()}); only approved variants can serve"
    if check_file and _file_missing(variant.image):
        return "its image file is missing from storage"
    return None


def item_problem(item: CuratedItem, *, check_file: bool = True) -> str | None:
    if item.kind == CuratedItem.Kind.PHOTOGRAPH:
        return photograph_problem(item.photograph, check_file=check_file)
    return variant_problem(item.variant, check_file=check_file)


def item_label(item: CuratedItem) -> str:
    return photograph_label(item.photograph) if item.kind == CuratedItem.Kind.PHOTOGRAPH else variant_label(item.variant)


def _open_stored(name: str, *, draft_size: tuple[int, int] | None = None, max_pixels: int | None = None):
    """Open a media-storage file as a decoded image (what `PhotoEntry.open` promises)."""
    with default_storage.open(name, "rb") as handle:
        return open_image(handle, max_pixels=max_pixels or settings.INGEST_MAX_PIXELS, draft_size=draft_size)


def item_entry(item: CuratedItem) -> PhotoEntry:
    """The trainer's view of an item: its key and how to open its training image."""
    field_file = item.photograph.master if item.kind == CuratedItem.Kind.PHOTOGRAPH else item.variant.image
    return PhotoEntry(item.key, partial(_open_stored, field_file.name))


def open_item_image(item: CuratedItem, *, draft_size: tuple[int, int] | None = None) -> Image.Image:
    return item_entry(item).open(draft_size=draft_size)


@dataclass
class SplitEntries:
    """A frozen set resolved for a run: entries per side and what was left out, and why."""

    train: list[PhotoEntry] = field(default_factory=list)
    holdout: list[PhotoEntry] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # key -> human label
    skipped: list[dict] = field(default_factory=list)  # {"item", "side", "reason"}

    def summary(self, curated_set: CuratedSet) -> dict:
        kinds = [key.split(":", 1)[0] for key in self.labels]
        return {
            "curated_set": curated_set.name,
            "curated_set_id": curated_set.pk,
            "frozen_at": curated_set.frozen_at.isoformat() if curated_set.frozen_at else None,
            "split_seed": curated_set.seed,
            "train": len(self.train),
            "holdout": len(self.holdout),
            "photographs": kinds.count(CuratedItem.Kind.PHOTOGRAPH),
            "variants": kinds.count(CuratedItem.Kind.VARIANT),
            "skipped": self.skipped,
        }


def split_entries_for(curated_set: CuratedSet, *, check_files: bool = True) -> SplitEntries:
    """Resolve a frozen set's split into PhotoEntry lists, skipping (with a reason) items that
    can no longer serve or were removed since the set was frozen."""
    items = {
        item.key: item
        for item in curated_set.items.select_related("photograph", "variant", "variant__photograph")
    }
    resolved = SplitEntries()
    for side in ("train", "holdout"):
        for key in curated_set.split.get(side, []):
            item = items.get(key)
            if item is None:
                resolved.skipped.append({"item": key, "side": side, "reason": "no longer in the set (its photograph or variant was deleted)"})
                continue
            problem = item_problem(item, check_file=check_files)
            if side == "holdout" and item.kind == CuratedItem.Kind.VARIANT:
                # Frozen before hold-outs were colour photographs only (issue 13).
                problem = "an approved variant never judges a run (it is a model's output); this split held it out, so it is not used"
            if problem:
                resolved.skipped.append({"item": key, "side": side, "reason": problem})
                continue
            getattr(resolved, side).append(item_entry(item))
            resolved.labels[key] = item_label(item)
    return resolved
