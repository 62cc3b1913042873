"""Training data: colour photographs as (luma, chroma) crops, from any source of images.

A source is a list of ``PhotoEntry`` (a stable key and a callable that opens the image),
so image folders today and database photographs later feed the same ``PhotoDataset``.
``ImageFolderSource`` finds images in folders, splits them into a fixed train and
validation set, and builds a dataset for each.

Images are decoded once, scaled so their short side is ``load_size`` (a little more than
the crop, as at inference the network sees the whole picture at about its working size),
and kept in RAM as 8-bit RGB up to ``cache_bytes``; the rest are re-decoded on demand.
Grayscale and toned (sepia, cyanotype) photographs teach nothing about colour and are
skipped and counted, as are unreadable files.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, Sampler

from .colorspace import U_MAX, V_MAX, rgb_to_yuv
from .imageio import ImageReadError, open_image

# Below this standard deviation of chroma (U, V units) an image is grayscale or toned.
MIN_CHROMA_STD = 0.012
# 8-bit RGB -> (2Y - 1, U / 0.436, V / 0.615): the YUV definition and the network's
# normalisation folded into one affine map (rows: from R, G, B), built from
# ``rgb_to_yuv`` itself (it is linear). Applied to contiguous planes it is 7x faster than
# converting channel-last pixels, which keeps the loader ahead of a GPU.
_RGB8_TO_NETWORK = (rgb_to_yuv(np.eye(3)) * [2.0, 1 / U_MAX, 1 / V_MAX] / 255.0).astype(np.float32)
_NETWORK_OFFSET = (-1.0, 0.0, 0.0)


@dataclass(frozen=True)
class PhotoEntry:
    """One training photograph: a stable ``key`` (path, database id …) and how to open it.

    ``open(draft_size=(w, h))`` returns the decoded, oriented image (``open_image`` does);
    the size is a hint that JPEG decoding may stop at a reduced scale no smaller than it.
    It raises ``ImageReadError`` for a file that cannot be read.
    """

    key: str
    open: Callable[..., Image.Image]


def folder_entries(folders: Sequence[str | os.PathLike]) -> list[PhotoEntry]:
    """Every file under ``folders`` (recursively) whose extension Pillow can read, sorted.

    Keys are paths relative to their folder, so the split does not change when the data
    set is moved or mounted elsewhere.
    """
    extensions = {ext.lower() for ext in Image.registered_extensions()}
    found = sorted(
        (str(path.relative_to(folder)), path)
        for folder in map(Path, folders)
        for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in extensions
    )
    return [PhotoEntry(key, partial(open_image, path)) for key, path in found]


def split_entries(entries: Sequence[PhotoEntry], val_fraction: float) -> tuple[list[PhotoEntry], list[PhotoEntry]]:
    """Split entries into (train, validation) by a hash of each key.

    The split depends on nothing but the key, so it is the same on every run and an
    image keeps its side when others are added. With a positive fraction and at least two
    entries, validation gets at least one.
    """
    def position(entry: PhotoEntry) -> float:
        return int.from_bytes(hashlib.sha256(entry.key.encode()).digest()[:8], "big") / 2**64

    val = [e for e in entries if position(e) < val_fraction]
    if not val and val_fraction > 0 and len(entries) >= 2:
        val = [min(entries, key=position)]
    chosen = {e.key for e in val}
    return [e for e in entries if e.key not in chosen], val


def chroma_std(rgb: np.ndarray) -> float:
    """Standard deviation of the chroma of an 8-bit RGB image, in YUV units (0 for grey)."""
    yuv = rgb_to_yuv(rgb.reshape(-1, 3).astype(np.float32) / 255.0)
    return float(np.sqrt(yuv[:, 1].var() + yuv[:, 2].var()))


def _load_rgb(entry: PhotoEntry, load_size: int) -> np.ndarray:
    """Open an entry and scale it so its short side is ``load_size``: (h, w, 3) uint8."""
    image = entry.open(draft_size=(load_size, load_size)).convert("RGB")
    scale = load_size / min(image.size)
    size = (max(load_size, round(image.width * scale)), max(load_size, round(image.height * scale)))
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0))


def crop_box(seed: int | None, height: int, width: int, crop: int, scale_jitter: float = 0.0) -> tuple[int, int, int, bool]:
    """Where to cut a training crop: ``(top, left, side, flip)``, drawn from ``seed``.

    ``None`` is the deterministic centre crop without flip (validation). ``side`` is the
    square cut from the image before it is resized to ``crop``: ``crop`` itself, or with
    ``scale_jitter`` j a size drawn from [crop·(1 - j), crop·(1 + j)], at most the short
    side. Both training pipelines (``PhotoDataset`` and ``DeviceCrops``) draw here, so
    they cut the same crops from the same seeds.
    """
    if seed is None:
        return (height - crop) // 2, (width - crop) // 2, crop, False
    rng = np.random.default_rng(seed)
    side = crop
    if scale_jitter:
        side = min(height, width, max(8, round(crop * rng.uniform(1 - scale_jitter, 1 + scale_jitter))))
    return int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1)), side, bool(rng.integers(0, 2))


class DeviceCrops:
    """The decoded training set held on the training device, cropped and augmented there.

    On a GPU the CPU loader (decode-free as it is) cannot keep up: numpy crops and YUV
    conversion fed an H200 about 120 images/s. Here every cached image of a
    ``PhotoDataset`` is copied once to ``device`` as uint8 (a few hundred MB for a few
    thousand images at 256 px); a batch is then cut, resized (``scale_jitter``), flipped,
    converted to the network's normalised Y, U, V and given luma grain (``luma_noise``,
    the σ of Gaussian noise on the normalised luma, like a scan's grain) without leaving
    the device. ``batch(keys)`` takes the ``(index, seed)`` pairs ``EpochSampler``
    yields, so a run is as reproducible as with the CPU loader, and with no jitter and no
    grain it gives the same crops as ``PhotoDataset``.
    """

    def __init__(self, dataset: PhotoDataset, device: torch.device | str, *, scale_jitter: float = 0.0, luma_noise: float = 0.0):
        self.crop_size = dataset.crop_size
        self.device = torch.device(device)
        self.scale_jitter, self.luma_noise = scale_jitter, luma_noise
        # (3, h, w) uint8 per image, channel-first so crops are contiguous slices per plane.
        self.images = [torch.from_numpy(np.ascontiguousarray(dataset._rgb(i).transpose(2, 0, 1))).to(self.device) for i in range(len(dataset))]
        self._matrix = torch.from_numpy(np.ascontiguousarray(_RGB8_TO_NETWORK.T)).to(self.device)  # (3 out, 3 in)
        self._offset = torch.tensor(_NETWORK_OFFSET, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def nbytes(self) -> int:
        """Device memory the images take."""
        return sum(image.numel() for image in self.images)

    def batch(self, keys: Sequence[tuple[int, int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 1, c, c) luma and (B, 2, c, c) chroma for ``(index, seed)`` keys, on the device."""
        c = self.crop_size
        crops = []
        for index, seed in keys:
            image = self.images[index]
            top, left, side, flip = crop_box(seed, image.shape[1], image.shape[2], c, self.scale_jitter)
            crop = image[:, top : top + side, left : left + side].float()  # (3, side, side) levels
            if side != c:
                crop = torch.nn.functional.interpolate(crop[None], size=(c, c), mode="bilinear", align_corners=False, antialias=side > c)[0]
            crops.append(crop.flip(-1) if flip else crop)
        rgb = torch.stack(crops)  # (B, 3, c, c)
        network = torch.einsum("oi,bihw->bohw", self._matrix, rgb) + self._offset  # (B, 3, c, c) normalised Y, U, V
        luma, chroma = network[:, :1], network[:, 1:]
        if self.luma_noise:
            generator = torch.Generator(device=self.device).manual_seed(int(keys[0][1]) % 2**63)
            luma = (luma + self.luma_noise * torch.randn(luma.shape, generator=generator, device=self.device)).clamp(-1, 1)
        return luma.contiguous(), chroma.contiguous()


class PhotoDataset(Dataset):
    """Colour photographs as ``(luma, chroma)`` crops: (1, c, c) and (2, c, c) float32, normalised.

    Index with an ``int`` for the deterministic centre crop (validation, samples) or with
    ``(index, augmentation_seed)`` for a random crop and horizontal flip drawn from that
    seed (``EpochSampler`` yields these), which keeps augmentation reproducible whatever
    the number of loader workers. ``skipped`` counts grayscale and unreadable entries.
    """

    def __init__(
        self,
        entries: Sequence[PhotoEntry],
        *,
        crop_size: int = 256,
        load_size: int | None = None,
        cache_bytes: int = 2 << 30,
        min_chroma_std: float = MIN_CHROMA_STD,
        threads: int | None = None,
    ):
        self.crop_size = crop_size
        self.load_size = load_size or round(crop_size * 1.125)
        self.entries: list[PhotoEntry] = []
        self.skipped = {"grayscale": 0, "unreadable": 0}
        self._cache: list[np.ndarray | None] = []
        budget = cache_bytes

        def scan(entry: PhotoEntry):
            try:
                rgb = _load_rgb(entry, self.load_size)
            except ImageReadError:
                return entry, None, "unreadable"
            return entry, rgb, ("grayscale" if chroma_std(rgb) < min_chroma_std else None)

        # Pillow decodes with the GIL released, so threads scale over cores.
        with ThreadPoolExecutor(threads or os.cpu_count() or 1) as pool:
            for entry, rgb, skip in pool.map(scan, entries):
                if skip:
                    self.skipped[skip] += 1
                    continue
                self.entries.append(entry)
                keep = rgb.nbytes <= budget
                budget -= rgb.nbytes if keep else 0
                self._cache.append(rgb if keep else None)

    def __len__(self) -> int:
        return len(self.entries)

    def _rgb(self, index: int) -> np.ndarray:
        cached = self._cache[index]
        return cached if cached is not None else _load_rgb(self.entries[index], self.load_size)

    def __getitem__(self, key: int | tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        index, seed = (key, None) if isinstance(key, int) else key
        rgb = self._rgb(index)
        c = self.crop_size
        top, left, _, flip = crop_box(seed, rgb.shape[0], rgb.shape[1], c)
        crop = rgb[top : top + c, left : left + c]
        if flip:
            crop = crop[:, ::-1]
        r, g, b = np.ascontiguousarray(crop.transpose(2, 0, 1), dtype=np.float32)  # (c, c) planes in levels
        out = np.empty((3, c, c), dtype=np.float32)
        for channel, (kr, kg, kb) in enumerate(_RGB8_TO_NETWORK.T):
            np.multiply(r, kr, out=out[channel])
            out[channel] += kg * g
            out[channel] += kb * b
            out[channel] += _NETWORK_OFFSET[channel]
        network = torch.from_numpy(out)
        return network[:1], network[1:]  # (1, c, c) luma, (2, c, c) chroma


class EpochSampler(Sampler):
    """Yields ``(index, augmentation_seed)`` for one epoch, reproducible from (seed, epoch).

    The order is a permutation drawn from ``seed`` and the epoch, tiled when the dataset
    is smaller than a batch and cut to whole batches; ``set_epoch(epoch, start)`` moves
    to another epoch, ``start`` items in (how a resumed run skips what it already did).
    """

    def __init__(self, size: int, batch_size: int, seed: int):
        if size == 0:
            raise ValueError("no training images")
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self.length = max(size, batch_size) // batch_size * batch_size
        self.epoch, self.start = 0, 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        self.epoch, self.start = epoch, start

    def __len__(self) -> int:
        return self.length - self.start

    def __iter__(self):
        rng = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        order = torch.cat([torch.randperm(self.size, generator=rng) for _ in range(-(-self.length // self.size))])
        seeds = torch.randint(0, 2**62, (self.length,), generator=rng)
        for position in range(self.start, self.length):
            yield int(order[position]), int(seeds[position])


class ImageFolderSource:
    """Training and validation datasets from image folders, with a report of what was used.

    Finds every image under ``folders`` (recursively, any format Pillow reads), splits
    them by ``split_entries`` (or, given ``val_folders``, validates on every image there
    and trains on all of ``folders``) and builds a ``PhotoDataset`` for each side, sharing the
    RAM budget in proportion. ``report`` holds the counts a training run records: found,
    train, val, and the grayscale and unreadable files skipped.
    """

    def __init__(
        self,
        folders: Sequence[str | os.PathLike],
        *,
        crop_size: int = 256,
        load_size: int | None = None,
        val_fraction: float = 0.05,
        cache_bytes: int = 2 << 30,
        min_chroma_std: float = MIN_CHROMA_STD,
        threads: int | None = None,
        val_folders: Sequence[str | os.PathLike] | None = None,
    ):
        entries = folder_entries(folders)
        if val_folders:
            train, val = entries, folder_entries(val_folders)
            entries = train + val
        else:
            train, val = split_entries(entries, val_fraction)
        share = len(train) / max(1, len(entries))
        common = {"crop_size": crop_size, "load_size": load_size, "min_chroma_std": min_chroma_std, "threads": threads}
        self.train = PhotoDataset(train, cache_bytes=int(cache_bytes * share), **common)
        self.val = PhotoDataset(val, cache_bytes=cache_bytes - int(cache_bytes * share), **common)
        self.report = {
            "folders": [str(f) for f in folders],
            "val_folders": [str(f) for f in val_folders or []],
            "found": len(entries),
            "train": len(self.train),
            "val": len(self.val),
            "skipped_grayscale": self.train.skipped["grayscale"] + self.val.skipped["grayscale"],
            "skipped_unreadable": self.train.skipped["unreadable"] + self.val.skipped["unreadable"],
        }
