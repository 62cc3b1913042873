"""Training the colorization GAN: alternating D/G updates, resumable, cancellable, observable.

One step (k = 1, as in the thesis):

1. the generator colours the batch, twice with independent noise when mode seeking is on;
2. the discriminator learns real (Y, UV) from generated (Y, UV), both with annealed
   instance noise, with optional label flipping;
3. the generator learns from adversarial + λ1·L1 + λ2·L2 (+ λms·mode seeking).

With ``adversarial=False`` step 2 and the adversarial term disappear: that is the
"L1-only regression" baseline (set ``lambda_l2=0`` and ``lambda_ms=0`` for the pure one).

Everything random comes from torch's generator seeded by ``TrainConfig.seed`` (noise,
dropout, label flips, instance noise) or from the epoch sampler (order, crops, flips),
and a training checkpoint stores both, so a resumed run continues where it stopped.
"""
from __future__ import annotations

import contextlib
import copy
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm import tqdm

from .augment import diff_augment, parse_policy
from .checkpoint import atomic_torch_save, build_generator, generator_config_from_dict, load_generator, save_generator
from .colorspace import U_MAX, V_MAX, yuv_to_rgb8
from .data import DeviceCrops, EpochSampler
from .inference import seeded_noise, select_device
from .losses import (
    discriminator_loss,
    generator_adversarial_loss,
    instance_noise_sigma,
    mode_seeking_loss,
    reconstruction_loss,
)
from .metrics import mean_delta_e2000, psnr
from .networks import DiscriminatorConfig, GeneratorConfig, PatchDiscriminator

TRAINING_FORMAT_VERSION = 1
# Validation noise seeds: fixed, so validation numbers compare across epochs and runs.
VAL_SEEDS = (0, 1)
SAMPLE_COUNT = 4


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of a training run; stored in checkpoints and in the metrics JSON.

    ``steps``, when set, ends the run after that many generator updates whatever
    ``epochs`` says; ``max_seconds`` ends it (normally, with the generator exported) once
    that much training time has passed, for runs sized by a time budget. Adam with ``betas`` (0.5, 0.999) and 2e-4 as in the thesis's code.
    ``lambda_l1``/``lambda_l2`` weight the reconstruction terms (the thesis text: 5 and
    5). ``lambda_ms`` weights the MSGAN mode-seeking term (0 turns it off and halves the
    generator's work). ``label_flip_prob`` and ``instance_noise`` (initial σ on the
    discriminator's chroma inputs, annealed linearly to 0 over the run) are the thesis's
    stabilisers. ``checkpoint_every``/``sample_every`` are in steps (0: only at the end).
    ``val_images`` caps the validation images scored after each epoch (the first of the
    fixed split; ΔE2000 on the CPU is the cost). ``amp`` uses bfloat16 autocast on CUDA. ``fp16_weights`` stores the exported
    generator in float16.

    ``device_data`` keeps the decoded training set on the training device and cuts,
    augments and converts batches there (``data.DeviceCrops``): what keeps a GPU fed, and
    on the CPU the way to ``scale_jitter`` (crop size drawn within ±j before resizing)
    and ``luma_noise`` (grain on the input luma, σ in normalised units).

    For a generator with a pretrained encoder (``EffUNetConfig``): ``encoder_weights`` is
    the ImageNet state dict file loaded before a fresh run (the trainer reads it; model
    files do no I/O); ``freeze_encoder_steps`` keeps the encoder fixed (eval-mode batch
    norm, no gradients) for that many steps, so the decoder learns first (DeOldify's
    order); after that it trains at ``lr_encoder`` (None: a tenth of ``lr_g``).
    Stabilisers for adversarial training on small data: ``ema_decay`` keeps an
    exponential moving average of the generator's weights (decay warmed up as
    ``min(ema_decay, (1 + step) / (10 + step))``), which validation, samples and the
    exported checkpoint use (0: off); ``r1_gamma`` weights the R1 gradient penalty on
    real inputs (Mescheder et al. 2018; 0: off); ``diffaugment`` names the DiffAugment
    policies applied to everything the discriminator sees ("": none); ``d_warmup_steps``
    trains a fresh discriminator alone for that many steps before its verdict reaches the
    generator, so the generator is not steered by a discriminator that knows nothing yet.
    """

    epochs: int = 100
    steps: int | None = None
    max_seconds: float | None = None
    batch_size: int = 4
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    lambda_l1: float = 5.0
    lambda_l2: float = 5.0
    adversarial: bool = True
    lambda_ms: float = 0.1
    label_flip_prob: float = 0.05
    instance_noise: float = 0.1
    crop_size: int = 256
    load_size: int | None = None  # short side images are scaled to before cropping (None: 1.125 × crop)
    seed: int = 0
    device: str = "auto"
    checkpoint_every: int = 1000
    sample_every: int = 500
    val_images: int = 64
    num_workers: int = 0
    amp: bool = True
    fp16_weights: bool = True
    model_name: str = "chroma-unet"
    model_version: str = "0.1.0"
    device_data: bool = False
    scale_jitter: float = 0.0
    luma_noise: float = 0.0
    encoder_weights: str | None = None
    freeze_encoder_steps: int = 0
    lr_encoder: float | None = None
    ema_decay: float = 0.0
    r1_gamma: float = 0.0
    diffaugment: str = ""
    d_warmup_steps: int = 0

    def to_dict(self) -> dict:
        """The config as plain JSON-able values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Rebuild from ``to_dict`` output (betas come back as a tuple); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown TrainConfig fields: {', '.join(sorted(unknown))}")
        return cls(**{**values, "betas": tuple(values.get("betas", cls.betas))})


@dataclass
class TrainResult:
    """What a finished (or stopped) run produced."""

    generator_path: Path | None
    checkpoint_path: Path
    metrics_path: Path | None
    step: int
    epoch: int
    stopped: bool
    metrics: dict = field(default_factory=dict)


def _state_on_cpu(module_or_optimizer) -> dict:
    state = module_or_optimizer.state_dict()

    def move(value):
        if isinstance(value, torch.Tensor):
            return value.detach().cpu()
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    return move(state)


class Trainer:
    """Trains a generator (and its discriminator) on any dataset of ``(luma, chroma)`` crops.

    ``train_data``/``val_data``: datasets such as ``PhotoDataset`` (train items indexed
    by ``(index, seed)`` pairs from ``EpochSampler``, validation items by ``int``).
    ``base_checkpoint`` fine-tunes an existing generator (its config wins);
    ``resume_from`` continues a training checkpoint (``out_dir/checkpoints/last.pt``).
    ``on_progress(dict)`` is called after every epoch with epoch, step, total_steps,
    losses, val metrics, elapsed and eta seconds; ``should_stop()`` is polled before every
    step and, when true, the run saves a resumable checkpoint and returns ``stopped``.
    ``progress_bar`` shows a tqdm bar with the losses (for the command line).
    Outputs in ``out_dir``: ``checkpoints/last.pt``, ``samples/step_*.png``,
    ``generator.pt`` (inference checkpoint) and ``metrics.json``.
    """

    def __init__(
        self,
        config: TrainConfig,
        *,
        train_data: Dataset,
        out_dir: str | Path,
        val_data: Dataset | None = None,
        generator_config: GeneratorConfig | None = None,
        discriminator_config: DiscriminatorConfig | None = None,
        base_checkpoint: str | Path | None = None,
        resume_from: str | Path | None = None,
        data_summary: dict | None = None,
        on_progress: Callable[[dict], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        progress_bar: bool = False,
    ):
        self.config = config
        self.train_data = train_data
        self.val_data = val_data if val_data is not None and len(val_data) else None
        self.out_dir = Path(out_dir)
        self.data_summary = data_summary or {}
        self.on_progress = on_progress or (lambda info: None)
        self.should_stop = should_stop or (lambda: False)
        self.progress_bar = progress_bar
        self.device = select_device(config.device)
        self.step = self.epoch = self.step_in_epoch = 0
        self.history: list[dict] = []
        self.base = {}

        resume = torch.load(resume_from, map_location="cpu", weights_only=True) if resume_from else None
        if resume is not None and resume.get("format_version") != TRAINING_FORMAT_VERSION:
            raise ValueError(f"{resume_from}: not a training checkpoint of format {TRAINING_FORMAT_VERSION}")
        if resume is not None:
            generator_config = generator_config_from_dict(resume["generator_config"])
            discriminator_config = DiscriminatorConfig.from_dict(resume["discriminator_config"])
            self.base = resume.get("base", {})
        elif base_checkpoint:
            base_generator, meta = load_generator(base_checkpoint)
            generator_config = base_generator.config
            self.base = {"name": meta["name"], "version": meta["version"], "sha256": meta.get("sha256"), "merge": meta["merge"]}
        else:
            torch.manual_seed(config.seed)
        self.generator = build_generator(generator_config or GeneratorConfig())
        self.discriminator = PatchDiscriminator(discriminator_config or DiscriminatorConfig())
        if resume is None and base_checkpoint:
            self.generator.load_state_dict(base_generator.state_dict())
        elif resume is None and config.encoder_weights:
            self.generator.load_imagenet_weights(torch.load(config.encoder_weights, map_location="cpu", weights_only=True))
        # Channels-last is what tensor cores want for convolutions; the CPU keeps NCHW.
        self.memory_format = torch.channels_last if self.device.type == "cuda" else torch.contiguous_format
        self.generator.to(self.device, memory_format=self.memory_format)
        self.discriminator.to(self.device, memory_format=self.memory_format)
        self.augment = parse_policy(config.diffaugment)
        self.generator_ema = None
        if config.ema_decay > 0:
            self.generator_ema = copy.deepcopy(self.generator).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self._generator_param_groups(), lr=config.lr_g, betas=config.betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr_d, betas=config.betas)
        if resume is not None:
            self._restore(resume)

        self.sampler = EpochSampler(len(train_data), config.batch_size, config.seed)
        self.steps_per_epoch = self.sampler.length // config.batch_size
        self.total_steps = config.steps if config.steps is not None else config.epochs * self.steps_per_epoch

    def _generator_param_groups(self) -> list[dict]:
        encoder = getattr(self.generator, "encoder", None)
        if encoder is None:
            return [{"params": list(self.generator.parameters())}]
        mine = {id(p) for p in encoder.parameters()}
        lr_encoder = self.config.lr_encoder if self.config.lr_encoder is not None else self.config.lr_g / 10
        return [
            {"params": [p for p in self.generator.parameters() if id(p) not in mine]},
            {"params": list(encoder.parameters()), "lr": lr_encoder},
        ]

    @property
    def encoder_frozen(self) -> bool:
        """Whether this step leaves the pretrained encoder as it is (the first training stage)."""
        return hasattr(self.generator, "encoder") and self.step < self.config.freeze_encoder_steps

    @property
    def inference_generator(self) -> torch.nn.Module:
        """What validation, samples and the exported checkpoint use: the EMA weights when kept."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    @torch.no_grad()
    def _update_ema(self) -> None:
        # Warm-up (as TensorFlow's ExponentialMovingAverage with num_updates): early on the
        # average would otherwise be mostly the untrained initial weights.
        decay = min(self.config.ema_decay, (1 + self.step) / (10 + self.step))
        for average, current in zip(self.generator_ema.parameters(), self.generator.parameters()):
            average.lerp_(current, 1.0 - decay)
        for average, current in zip(self.generator_ema.buffers(), self.generator.buffers()):
            average.copy_(current)

    # -- checkpoints -------------------------------------------------------------------

    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / "checkpoints" / "last.pt"

    def save_checkpoint(self) -> Path:
        """Write the resumable training state to ``checkpoints/last.pt`` (atomically) and return its path."""
        payload = {
            "format_version": TRAINING_FORMAT_VERSION,
            "train_config": self.config.to_dict(),
            "generator_config": self.generator.config.to_dict(),
            "discriminator_config": self.discriminator.config.to_dict(),
            "generator": _state_on_cpu(self.generator),
            "generator_ema": _state_on_cpu(self.generator_ema) if self.generator_ema is not None else None,
            "discriminator": _state_on_cpu(self.discriminator),
            "opt_g": _state_on_cpu(self.opt_g),
            "opt_d": _state_on_cpu(self.opt_d),
            "step": self.step,
            "epoch": self.epoch,
            "step_in_epoch": self.step_in_epoch,
            "history": self.history,
            "base": self.base,
            "data": self.data_summary,
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if self.device.type == "cuda" else [],
        }
        atomic_torch_save(payload, self.checkpoint_path)
        return self.checkpoint_path

    def _restore(self, state: dict) -> None:
        self.generator.load_state_dict(state["generator"])
        if self.generator_ema is not None:
            self.generator_ema.load_state_dict(state.get("generator_ema") or state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.step, self.epoch, self.step_in_epoch = state["step"], state["epoch"], state["step_in_epoch"]
        self.history = list(state["history"])
        torch.set_rng_state(state["rng_cpu"])
        if self.device.type == "cuda" and state["rng_cuda"]:
            torch.cuda.set_rng_state_all(state["rng_cuda"])

    def export_generator(self, path: Path, summary: dict) -> Path:
        """Save the generator as an inference checkpoint (``checkpoint.save_generator``).

        A fine-tuned generator keeps its base's merge settings (the chroma filter), which
        are part of how the model colours, not of its weights.
        """
        save_generator(
            path,
            self.inference_generator,
            name=self.config.model_name,
            version=self.config.model_version,
            summary=summary,
            fp16=self.config.fp16_weights,
            merge=self.base.get("merge"),
        )
        return path

    # -- one step ----------------------------------------------------------------------

    def _autocast(self):
        if self.device.type == "cuda" and self.config.amp:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _noise(self, batch: int, height: int, width: int) -> list[torch.Tensor]:
        return [torch.randn((batch, *shape), device=self.device) for shape in self.generator.noise_shapes(height, width)]

    def train_step(self, luma: torch.Tensor, chroma: torch.Tensor) -> dict:
        """One alternating update on a batch of (B, 1, c, c) luma and (B, 2, c, c) chroma; returns the losses."""
        cfg = self.config
        batch, _, height, width = luma.shape
        luma = luma.contiguous(memory_format=self.memory_format)
        chroma = chroma.contiguous(memory_format=self.memory_format)
        seeking = cfg.lambda_ms > 0 and self.generator.config.noise_channels > 0
        copies = 2 if seeking else 1
        noise = self._noise(batch * copies, height, width)
        luma_in = luma.repeat(copies, 1, 1, 1)  # (copies*B, 1, c, c): same photos, fresh noise
        real = chroma.repeat(copies, 1, 1, 1)
        losses = {}
        self.generator.train()
        frozen = self.encoder_frozen
        if hasattr(self.generator, "encoder"):
            self.generator.encoder.requires_grad_(not frozen)
            if frozen:
                self.generator.encoder.eval()  # keep the ImageNet batch-norm statistics
        with self._autocast():
            fake = self.generator(luma_in, noise)  # (copies*B, 2, c, c)

        sigma = instance_noise_sigma(self.step, self.total_steps, cfg.instance_noise)
        if cfg.adversarial:
            self.discriminator.train()
            with self._autocast():
                real_chroma = chroma + sigma * torch.randn_like(chroma)
                if cfg.r1_gamma > 0:
                    real_chroma = real_chroma.detach().requires_grad_(True)
                real_logits = self._judge(luma, real_chroma)
                fake_logits = self._judge(luma_in, fake.detach() + sigma * torch.randn_like(fake))
                loss_d = discriminator_loss(real_logits.float(), fake_logits.float(), flip_prob=cfg.label_flip_prob)
            if cfg.r1_gamma > 0:
                (gradient,) = torch.autograd.grad(real_logits.float().sum(), real_chroma, create_graph=True)
                r1 = gradient.float().pow(2).flatten(1).sum(1).mean()
                loss_d = loss_d + cfg.r1_gamma / 2 * r1
                losses["r1"] = r1.item()
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            losses["d"] = loss_d.item()

        with self._autocast():
            loss_rec, l1, l2 = reconstruction_loss(fake.float(), real, lambda_l1=cfg.lambda_l1, lambda_l2=cfg.lambda_l2)
            loss_g = loss_rec
            if cfg.adversarial and self.step >= cfg.d_warmup_steps:
                # The discriminator's weights are not stepped here; its gradients are
                # cleared at its next update.
                adv = generator_adversarial_loss(self._judge(luma_in, fake + sigma * torch.randn_like(fake)).float())
                loss_g = loss_g + adv
                losses["g_adv"] = adv.item()
            if seeking:
                half = [n.chunk(2) for n in noise]
                fake_a, fake_b = fake.float().chunk(2)
                ms, ratio = mode_seeking_loss(fake_a, fake_b, [h[0] for h in half], [h[1] for h in half])
                loss_g = loss_g + cfg.lambda_ms * ms
                losses["ms_ratio"] = ratio.item()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        if self.generator_ema is not None:
            self._update_ema()
        losses.update(g=loss_g.item(), l1=l1.item(), l2=l2.item())
        return losses

    def _judge(self, luma: torch.Tensor, chroma: torch.Tensor) -> torch.Tensor:
        """The discriminator's logits for (luma, chroma), through DiffAugment when configured."""
        if not self.augment:
            return self.discriminator(luma, chroma)
        x = diff_augment(torch.cat([luma, chroma], dim=1), self.augment)  # (B, 3, c, c) Y, U, V
        return self.discriminator(x[:, :1], x[:, 1:])

    # -- validation and samples -------------------------------------------------------

    @torch.inference_mode()
    def _colorize_crops(self, luma: torch.Tensor, seed: int) -> torch.Tensor:
        """Chroma for a batch of luma crops with one fixed noise seed for all: (B, 2, c, c) on the CPU."""
        generator = self.inference_generator
        generator.eval()
        batch, _, height, width = luma.shape
        noise = [n.to(self.device) for n in seeded_noise(generator.noise_shapes(height, width), [seed] * batch)]
        with self._autocast():
            return generator(luma.to(self.device), noise).float().cpu()

    @staticmethod
    def _to_rgb8(luma: torch.Tensor, chroma: torch.Tensor) -> np.ndarray:
        """Normalised (B, 1, c, c) luma and (B, 2, c, c) chroma to (B, c, c, 3) uint8 RGB."""
        levels = ((luma[:, 0] + 1) * 127.5).numpy()
        return yuv_to_rgb8(levels, (chroma[:, 0] * U_MAX).numpy(), (chroma[:, 1] * V_MAX).numpy())

    def validate(self) -> dict:
        """Validation metrics on centre crops: chroma L1, RGB PSNR, mean ΔE2000 and seed diversity (mean ΔE2000 between two seeds)."""
        if self.val_data is None:
            return {}
        subset = Subset(self.val_data, range(min(len(self.val_data), self.config.val_images)))
        loader = DataLoader(subset, batch_size=self.config.batch_size, shuffle=False)
        l1, psnrs, delta_es, diversities = [], [], [], []
        for luma, chroma in loader:
            first, second = (self._colorize_crops(luma, seed) for seed in VAL_SEEDS)
            l1.append((first - chroma).abs().mean().item())
            truth, a, b = self._to_rgb8(luma, chroma), self._to_rgb8(luma, first), self._to_rgb8(luma, second)
            for t, x, y in zip(truth, a, b):
                psnrs.append(psnr(x, t))
                delta_es.append(mean_delta_e2000(x, t))
                diversities.append(mean_delta_e2000(x, y))
        return {
            "l1": float(np.mean(l1)),
            "psnr": float(np.mean(psnrs)),
            "delta_e2000": float(np.mean(delta_es)),
            "seed_diversity": float(np.mean(diversities)),
        }

    def save_samples(self) -> Path:
        """Write a sample grid PNG: per row the luma, two seeds' colorizations and the truth."""
        source = self.val_data if self.val_data is not None else self.train_data
        items = [source[i] for i in range(min(SAMPLE_COUNT, len(source)))]
        luma = torch.stack([item[0] for item in items])
        chroma = torch.stack([item[1] for item in items])
        grey = self._to_rgb8(luma, torch.zeros_like(chroma))
        columns = [grey] + [self._to_rgb8(luma, self._colorize_crops(luma, s)) for s in VAL_SEEDS]
        columns.append(self._to_rgb8(luma, chroma))
        grid = np.concatenate([np.concatenate(list(row), axis=1) for row in zip(*columns)], axis=0)
        path = self.out_dir / "samples" / f"step_{self.step:07d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(grid).save(path)
        return path

    # -- the loop ----------------------------------------------------------------------

    def _device_batches(self):
        """An iterable over one epoch's batches cut on the device (``DeviceCrops``), in the sampler's order."""
        crops = DeviceCrops(self.train_data, self.device, scale_jitter=self.config.scale_jitter, luma_noise=self.config.luma_noise)
        size = self.config.batch_size

        class Epoch:
            def __iter__(inner):
                keys = list(self.sampler)  # what is left of this epoch: (index, seed) pairs
                for start in range(0, len(keys) - size + 1, size):
                    yield crops.batch(keys[start : start + size])

        return Epoch()

    def fit(self) -> TrainResult:
        """Train until ``steps``/``epochs`` are done or ``should_stop()`` says so.

        Returns a ``TrainResult``; the generator and metrics JSON are written only when the
        run completes, while a stopped run leaves a resumable checkpoint.
        """
        cfg = self.config
        self.out_dir.mkdir(parents=True, exist_ok=True)
        loader = self._device_batches() if cfg.device_data else DataLoader(
            self.train_data,
            batch_size=cfg.batch_size,
            sampler=self.sampler,
            num_workers=cfg.num_workers,
            persistent_workers=cfg.num_workers > 0,
            pin_memory=self.device.type == "cuda",
            drop_last=True,
            # Its own generator: otherwise each epoch's iterator draws from the global one
            # and a resumed run's noise would drift from the uninterrupted run's.
            generator=torch.Generator().manual_seed(cfg.seed),
        )
        bar = None
        if self.progress_bar:
            bar = tqdm(total=self.total_steps, initial=self.step, unit="step", dynamic_ncols=True)
        started = time.perf_counter()
        first_step = self.step
        stopped = False
        epoch_losses: dict[str, list[float]] = {}
        try:
            while self.step < self.total_steps and not stopped:
                self.sampler.set_epoch(self.epoch, self.step_in_epoch * cfg.batch_size)
                for luma, chroma in loader:
                    if self.should_stop():
                        stopped = True
                        break
                    losses = self.train_step(luma.to(self.device, non_blocking=True), chroma.to(self.device, non_blocking=True))
                    self.step += 1
                    self.step_in_epoch += 1
                    for key, value in losses.items():
                        epoch_losses.setdefault(key, []).append(value)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()}, refresh=False)
                    if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                        self.save_checkpoint()
                    if cfg.sample_every and self.step % cfg.sample_every == 0:
                        self.save_samples()
                    if cfg.max_seconds and time.perf_counter() - started >= cfg.max_seconds:
                        self.total_steps = self.step  # the time budget is spent: finish as if planned
                    if self.step >= self.total_steps:
                        break
                if stopped:
                    break
                if self.step_in_epoch >= self.steps_per_epoch:
                    self.epoch += 1
                    self.step_in_epoch = 0
                self._end_of_epoch(epoch_losses, started, first_step)
                epoch_losses = {}
        finally:
            if bar is not None:
                bar.close()

        checkpoint = self.save_checkpoint()
        if stopped:
            return TrainResult(None, checkpoint, None, self.step, self.epoch, True, {"history": self.history})
        self.save_samples()
        metrics = self._final_metrics(time.perf_counter() - started, self.step - first_step)
        metrics_path = self.out_dir / "metrics.json"
        metrics_path.write_text(json.dumps(metrics, indent=2, sort_keys=True))
        generator_path = self.export_generator(self.out_dir / "generator.pt", metrics)
        return TrainResult(generator_path, checkpoint, metrics_path, self.step, self.epoch, False, metrics)

    def _end_of_epoch(self, epoch_losses: dict, started: float, first_step: int) -> None:
        elapsed = time.perf_counter() - started
        done = self.step - first_step
        info = {
            "epoch": self.epoch,
            "epochs": math.ceil(self.total_steps / self.steps_per_epoch),
            "step": self.step,
            "total_steps": self.total_steps,
            "losses": {k: float(np.mean(v)) for k, v in epoch_losses.items()},
            "val": self.validate(),
            "elapsed_seconds": elapsed,
            "eta_seconds": elapsed / done * (self.total_steps - self.step) if done else None,
        }
        self.history.append({k: info[k] for k in ("epoch", "step", "losses", "val")})
        self.on_progress(info)

    def _final_metrics(self, seconds: float, steps: int) -> dict:
        last = self.history[-1] if self.history else {}
        return {
            "name": self.config.model_name,
            "version": self.config.model_version,
            "train_config": self.config.to_dict(),
            "generator_config": self.generator.config.to_dict(),
            "discriminator_config": self.discriminator.config.to_dict(),
            "data": self.data_summary,
            "base": self.base,
            "steps": self.step,
            "epochs": self.epoch,
            "seconds": seconds,
            "images_per_second": steps * self.config.batch_size / seconds if seconds > 0 else None,
            "final": {"losses": last.get("losses", {}), "val": last.get("val", {})},
            "history": self.history,
        }
