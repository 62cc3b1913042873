"""Colorizing a scan of any size: chroma at a working resolution, luma at full resolution.

The pipeline for one image and N seeds:

1. reduce the scan to its luma (8- or 16-bit, full resolution, kept as it is);
2. resize the luma so its short side is ``working_size`` (aspect kept, the long side
   capped at ``MAX_WORKING_ASPECT`` times that), reflect-pad it to the network's multiple;
3. run the generator once on a batch of N copies with each seed's noise, crop the padding;
4. at working resolution, turn each variant's chroma into per-RGB-channel planes, through
   the edge-aware guided filter when the model's merge settings enable it (``chroma``);
5. per variant, upsample those planes bilinearly and merge them with the original luma
   in horizontal strips (``STRIP_PIXELS``), so a 100-megapixel scan never has a
   full-size float array. Numpy releases the GIL, so ``colorize_files`` merges and
   encodes several variants in parallel threads.

A variant is a pure function of (weights, image, seed, working size): the noise is drawn
on the CPU from ``torch.Generator().manual_seed(seed)``, so it is the same on every
device, and the network runs in eval mode (no dropout, fixed batch-norm statistics).
"""
from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .checkpoint import load_generator
from .chroma import ChromaFilter, channel_planes, merge_full
from .colorspace import denormalize_chroma, normalize_luma
from .imageio import DEFAULT_MAX_PIXELS, luma_image, open_image
from .networks import GeneratorConfig, UNetGenerator
from .provenance import AI_LABEL, FORMATS, SOFTWARE, save_variant

# Very long strips (panoramas, film strips) keep this aspect at most at working size;
# beyond it the short side shrinks instead of the network input growing without bound.
MAX_WORKING_ASPECT = 4
# Pixels per merge strip: large enough for numpy's per-call cost to vanish, small enough
# that the strip's float32 buffers (about 32 bytes per pixel) stay near the core's cache.
STRIP_PIXELS = 1 << 18
MAX_SEED = 2**63 - 1
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[1] / "weights" / "default.pt"

Progress = Callable[[float, str], None]


def usable_cores() -> int:
    """CPU cores this process may run on (containers often show the host's count elsewhere)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def select_device(device: str | torch.device = "auto") -> torch.device:
    """Resolve ``"auto"`` to CUDA when available, else the CPU; pass anything else to ``torch.device``."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@dataclass(frozen=True)
class WorkingGeometry:
    """Where a full-resolution image goes in the network: resized size, padding, padded size."""

    height: int
    width: int
    pad_top: int
    pad_left: int
    padded_height: int
    padded_width: int


def working_geometry(height: int, width: int, working_size: int, multiple: int) -> WorkingGeometry:
    """Size an H×W image for the network: short side ``working_size``, padded to ``multiple``.

    The aspect ratio is kept; when it exceeds ``MAX_WORKING_ASPECT`` the long side is
    capped at ``MAX_WORKING_ASPECT * working_size`` instead. Small images are upscaled
    (the network learned colours at that scale). Padding is split evenly on both sides.
    """
    if working_size < multiple:
        raise ValueError(f"working size must be at least the network multiple ({multiple})")
    scale = working_size / min(height, width)
    scale = min(scale, MAX_WORKING_ASPECT * working_size / max(height, width))
    h, w = max(1, round(height * scale)), max(1, round(width * scale))
    ph, pw = -(-h // multiple) * multiple, -(-w // multiple) * multiple
    return WorkingGeometry(h, w, (ph - h) // 2, (pw - w) // 2, ph, pw)


def seeded_noise(shapes: Sequence[tuple[int, ...]], seeds: Sequence[int]) -> list[torch.Tensor]:
    """Draw the generator's noise maps for each seed on the CPU: one (N, *shape) tensor per shape.

    Each seed has its own ``torch.Generator``, which draws its maps in ``shapes`` order,
    so a seed's noise does not depend on the other seeds in the batch or on the device.
    """
    per_seed = []
    for seed in seeds:
        rng = torch.Generator().manual_seed(seed)
        per_seed.append([torch.randn(shape, generator=rng) for shape in shapes])
    return [torch.stack([maps[i] for maps in per_seed]) for i in range(len(shapes))]


@dataclass(frozen=True)
class ChromaPrediction:
    """The network's output for one image, ready to merge at full resolution.

    ``luma``: (H, W) uint8/uint16, the scan's own luma; ``chroma``: (N, 2, h, w) float32
    U, V at working resolution; ``guide``: (h, w) float32 the working luma in [0, 1], which
    the network saw; ``chroma_filter``: the merge's guided filter.
    """

    seeds: tuple[int, ...]
    luma: np.ndarray
    chroma: np.ndarray
    guide: np.ndarray
    chroma_filter: ChromaFilter

    def merge(self, index: int) -> Image.Image:
        """Variant ``index`` at full resolution: chroma filtered, upsampled and merged with the luma.

        The guided filter's low-resolution half runs here too, so that it runs in the
        variant's thread; the full-resolution part goes in strips of about
        ``STRIP_PIXELS``, which keep the float temporaries small whatever the scan's size.
        Numpy releases the GIL, so several variants merge in parallel threads
        (``colorize_files`` does).
        """
        gain, base = channel_planes(self.chroma[index : index + 1], self.guide, self.chroma_filter)  # (1, 3, h, w)
        return merge_full(self.luma, None if gain is None else gain[0], base[0], strip_pixels=STRIP_PIXELS)


def _check_seeds(seeds: Sequence[int]) -> list[int]:
    seeds = list(seeds)
    if not seeds:
        raise ValueError("at least one seed is needed")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seeds must be integers between 0 and 2**63 - 1, not {seed!r}")
    return seeds


class Colorizer:
    """A loaded generator ready to colorize, with what provenance needs to know about it.

    Build one with ``Colorizer.from_checkpoint(path)`` and keep it: loading costs far more
    than a colorization. Attributes: ``name``, ``version``, ``weights_sha256``,
    ``config`` (the ``GeneratorConfig``), ``device``, ``merge`` (the model's merge
    settings, e.g. ``{"chroma_filter": {"radius": 4, "eps": 1e-3}}``; {} is plain bilinear
    upsampling) and ``chroma_filter`` (the ``ChromaFilter`` they give). On the CPU, torch's
    thread pool is limited to the cores this process may run on (containers often report
    the host's).
    """

    def __init__(
        self,
        generator: UNetGenerator,
        *,
        name: str,
        version: str,
        weights_sha256: str,
        device: str | torch.device = "auto",
        num_threads: int | None = None,
        merge: dict | None = None,
    ):
        self.chroma_filter = ChromaFilter.from_merge(merge)
        self.merge = self.chroma_filter.to_merge()
        self.device = select_device(device)
        self.generator = generator.to(self.device).eval()
        self.name = name
        self.version = version
        self.weights_sha256 = weights_sha256
        if self.device.type == "cpu":
            threads = num_threads or min(torch.get_num_threads(), usable_cores())
            if threads != torch.get_num_threads():
                torch.set_num_threads(threads)

    @classmethod
    def from_checkpoint(
        cls,
        path: str | os.PathLike,
        device: str | torch.device = "auto",
        num_threads: int | None = None,
        merge: dict | None = None,
    ) -> Colorizer:
        """Load a generator checkpoint (see ``checkpoint``) onto ``device`` ("auto", "cpu", "cuda:1" …).

        The merge settings are the checkpoint's own unless ``merge`` overrides them (an
        ablation: ``{}`` turns the chroma filter off).
        """
        generator, meta = load_generator(path)
        return cls(
            generator,
            name=meta["name"],
            version=meta["version"],
            weights_sha256=meta["sha256"],
            device=device,
            num_threads=num_threads,
            merge=meta["merge"] if merge is None else merge,
        )

    @property
    def config(self) -> GeneratorConfig:
        """The generator's architecture config."""
        return self.generator.config

    def provenance(self, seed: int, *, working_size: int, **extra) -> dict:
        """The provenance record of one variant: label, model, weights sha256, seed, parameters, plus ``extra``.

        ``parameters`` holds the working size and, when set, the merge settings.
        """
        parameters = {"working_size": working_size, **({"merge": self.merge} if self.merge else {})}
        return {
            "label": AI_LABEL,
            "software": SOFTWARE,
            "model_name": self.name,
            "model_version": self.version,
            "weights_sha256": self.weights_sha256,
            "seed": seed,
            "parameters": parameters,
            **extra,
        }

    def predict_chroma(self, luma: np.ndarray, seeds: Sequence[int]) -> np.ndarray:
        """Run the generator once on a working-resolution luma for all seeds.

        ``luma`` is (h, w) float32 in [0, 1], already padded to the network multiple;
        returns (N, 2, h, w) float32 chroma, U in ±0.436 and V in ±0.615.
        """
        seeds = _check_seeds(seeds)
        h, w = luma.shape
        noise = [n.to(self.device) for n in seeded_noise(self.generator.noise_shapes(h, w), seeds)]
        x = torch.from_numpy(normalize_luma(luma)).to(self.device)
        x = x.expand(len(seeds), 1, h, w)  # (N, 1, h, w): one luma, N noise draws
        if self.device.type == "cuda":
            half = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            autocast = torch.autocast("cuda", dtype=half)
        else:
            autocast = contextlib.nullcontext()
        with torch.inference_mode(), autocast:
            chroma = self.generator(x, noise)  # (N, 2, h, w) in [-1, 1]
        chroma = chroma.float().cpu().numpy()
        return np.ascontiguousarray(denormalize_chroma(chroma.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2))

    def predict(
        self,
        image: Image.Image,
        *,
        seeds: Sequence[int],
        working_size: int = 256,
        timings: dict | None = None,
    ) -> ChromaPrediction:
        """Run the network once for all seeds on ``image`` at the working size.

        Reduces the image to its luma, resizes and reflect-pads it, predicts the chroma of
        every seed in one batch and crops the padding. ``timings``, when given, receives
        seconds in ``prepare`` and ``network``.
        """
        seeds = _check_seeds(seeds)
        timings = {} if timings is None else timings
        started = time.perf_counter()
        luma = luma_image(image)
        full = np.asarray(luma)  # (H, W) uint8 or uint16, the luma kept in the output
        height, width = full.shape
        g = working_geometry(height, width, working_size, self.config.multiple)
        small = luma.resize(
            (g.width, g.height),
            Image.Resampling.LANCZOS,
            reducing_gap=2.0 if luma.mode == "L" else None,  # Pillow cannot box-reduce 16-bit
        )
        small = np.asarray(small, dtype=np.float32) / np.iinfo(full.dtype).max  # (h, w) in [0, 1]
        padded = np.pad(
            small,
            ((g.pad_top, g.padded_height - g.height - g.pad_top), (g.pad_left, g.padded_width - g.width - g.pad_left)),
            mode="symmetric",  # mirror, so the network sees plausible context, even for 1-px sides
        )
        timings["prepare"] = time.perf_counter() - started

        started = time.perf_counter()
        chroma = self.predict_chroma(padded, seeds)  # (N, 2, ph, pw)
        chroma = chroma[:, :, g.pad_top : g.pad_top + g.height, g.pad_left : g.pad_left + g.width]
        timings["network"] = time.perf_counter() - started
        return ChromaPrediction(tuple(seeds), full, np.ascontiguousarray(chroma), small, self.chroma_filter)

    def iter_colorize(
        self,
        image: Image.Image,
        *,
        seeds: Sequence[int],
        working_size: int = 256,
        progress: Progress | None = None,
        timings: dict | None = None,
    ) -> Iterator[tuple[int, Image.Image]]:
        """Colorize ``image`` for every seed, yielding ``(seed, RGB image)`` one variant at a time.

        The network runs once, for all seeds, before the first variant is yielded; each
        variant is then merged at full resolution when asked for, so a caller that saves
        and drops each one holds a single full-size output at a time. ``progress`` is
        called with (fraction done, stage). ``timings``, when given, receives seconds
        spent in ``prepare``, ``network`` and ``merge``.
        """
        timings = {} if timings is None else timings
        report = progress or (lambda fraction, stage: None)
        report(0.0, "prepare")
        prediction = self.predict(image, seeds=seeds, working_size=working_size, timings=timings)
        report(0.5, "merge")
        timings["merge"] = 0.0
        for index, seed in enumerate(prediction.seeds):
            started = time.perf_counter()
            variant = prediction.merge(index)
            timings["merge"] += time.perf_counter() - started
            report(0.5 + 0.5 * (index + 1) / len(prediction.seeds), "merge")
            yield seed, variant

    def colorize(
        self,
        image: Image.Image,
        *,
        seeds: Sequence[int],
        working_size: int = 256,
        progress: Progress | None = None,
    ) -> list[Image.Image]:
        """Colorize ``image`` (any mode ``luma_image`` accepts) once per seed, in one batched forward pass.

        Returns full-resolution 8-bit RGB images, one per seed in order, each with the
        input's size and luma (up to rounding). ``working_size`` is the short side the
        chroma is predicted at. Holds all variants in memory: for very large scans prefer
        ``iter_colorize`` or ``colorize_files``.
        """
        return [variant for _, variant in self.iter_colorize(image, seeds=seeds, working_size=working_size, progress=progress)]


def colorize_files(
    colorizer: Colorizer,
    sources: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    seeds: Sequence[int],
    working_size: int = 256,
    format: str = "png",
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    extra_provenance: dict | None = None,
    workers: int | None = None,
    timings: dict | None = None,
) -> list[Path]:
    """Colorize image files into ``out_dir`` as ``<stem>_seed<seed>.<ext>``, provenance embedded.

    Each source is opened with ``open_image`` (an unreadable one raises
    ``ImageReadError`` before anything is written for it) and colorized for all
    ``seeds`` in one batch; then ``workers`` threads (default: usable cores) each merge
    and encode one variant at a time, so at most ``workers`` full-size outputs are in
    memory and the encoders, the slowest part, run in parallel. ``timings``, when given,
    accumulates seconds of ``decode``, ``prepare``, ``network`` and the summed per-thread
    ``merge`` and ``encode``. Returns the written paths, in source and seed order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = {} if timings is None else timings
    for key in ("decode", "prepare", "network", "merge", "encode"):
        timings.setdefault(key, 0.0)
    workers = workers or usable_cores()
    written: list[Path] = []
    for source in map(Path, sources):
        started = time.perf_counter()
        image = open_image(source, max_pixels=max_pixels)
        timings["decode"] += time.perf_counter() - started
        steps: dict = {}
        prediction = colorizer.predict(image, seeds=seeds, working_size=working_size, timings=steps)
        del image  # the prediction keeps the luma, which is all the merge needs
        timings["prepare"] += steps["prepare"]
        timings["network"] += steps["network"]

        def merge_and_save(index: int) -> tuple[Path, float, float]:
            seed = prediction.seeds[index]
            begin = time.perf_counter()
            variant = prediction.merge(index)
            merged = time.perf_counter()
            dest = out_dir / f"{source.stem}_seed{seed}{FORMATS[format]}"
            record = colorizer.provenance(seed, working_size=working_size, source=source.name, **(extra_provenance or {}))
            save_variant(variant, dest, format=format, provenance=record)
            return dest, merged - begin, time.perf_counter() - merged

        with ThreadPoolExecutor(min(workers, len(prediction.seeds))) as pool:
            for dest, merge_seconds, encode_seconds in pool.map(merge_and_save, range(len(prediction.seeds))):
                written.append(dest)
                timings["merge"] += merge_seconds
                timings["encode"] += encode_seconds
    return written
