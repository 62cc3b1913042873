"""Generator forward time at working sizes 256 and 512, N seeds batched against one by one,
and the architecture candidates for the CPU default (width, depth, size of the weights).

    python benchmarks/bench_gan_forward.py [--model PATH] [--device auto] [--candidates] [--append-to docs/BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import io

import torch
from bench_gan_common import add_common_arguments, generator, machine, ms, report, timed

from apps.mlcore.gan.checkpoint import save_generator
from apps.mlcore.gan.inference import seeded_noise, select_device, usable_cores
from apps.mlcore.gan.networks import GeneratorConfig, UNetGenerator

CANDIDATES = [
    GeneratorConfig(base_filters=16, depth=6, max_filters=128),
    GeneratorConfig(base_filters=16, depth=6, max_filters=256),
    GeneratorConfig(base_filters=24, depth=6, max_filters=192),
    GeneratorConfig(base_filters=24, depth=6, max_filters=256),
    GeneratorConfig(base_filters=32, depth=6, max_filters=256),
    GeneratorConfig(base_filters=32, depth=7, max_filters=256),
    GeneratorConfig(base_filters=32, depth=8, max_filters=256),
    GeneratorConfig(base_filters=64, depth=8, max_filters=512),  # pix2pix / the thesis
]


def forward_times(network: UNetGenerator, device: torch.device, height: int, width: int, seeds: int, repeats: int):
    """(batched seconds list, one-by-one seconds list) for ``seeds`` noise draws of one image."""
    network = network.to(device).eval()
    luma = torch.zeros(1, 1, height, width, device=device)
    noise = [n.to(device) for n in seeded_noise(network.noise_shapes(height, width), list(range(seeds)))]
    single = [[n[i : i + 1] for n in noise] for i in range(seeds)]
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)

    def batched():
        with torch.inference_mode(), autocast:
            network(luma.expand(seeds, 1, height, width), noise)

    def one_by_one():
        with torch.inference_mode(), autocast:
            for maps in single:
                network(luma, maps)

    return timed(batched, repeats, device=device), timed(one_by_one, repeats, device=device)


def weights_mb(network: UNetGenerator) -> float:
    buffer = io.BytesIO()
    save_generator(buffer, network, name="x", version="x", fp16=True)
    return len(buffer.getvalue()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--candidates", action="store_true", help="also time the architecture candidates at 256")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    elif torch.get_num_threads() > usable_cores():
        torch.set_num_threads(usable_cores())
    device = select_device(args.device)
    network, label = generator(args.model)
    params = sum(p.numel() for p in network.parameters())
    lines = [
        f"### Generator forward ({label})",
        "",
        f"{machine(device)}. {params / 1e6:.2f} M parameters, {weights_mb(network):.1f} MB as float16. "
        f"Median of {args.repeats} runs after 2 warm-ups; shapes are the padded working images of a 4:3 scan.",
        "",
        f"| working size | network input | 1 seed ms | {args.seeds} seeds batched ms | {args.seeds} seeds one by one ms | batched speed-up |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for size in (256, 512):
        multiple = network.config.multiple
        height, width = size, -(-round(size * 4 / 3) // multiple) * multiple
        one, _ = forward_times(network, device, height, width, 1, args.repeats)
        batched, separate = forward_times(network, device, height, width, args.seeds, args.repeats)
        speedup = float(ms(separate)) / float(ms(batched))
        lines.append(f"| {size} | {height}×{width} | {ms(one)} | {ms(batched)} | {ms(separate)} | {speedup:.2f}× |")
    if args.candidates:
        lines += [
            "",
            "Architecture candidates, one seed at 256×256:",
            "",
            "| base filters | depth | max filters | parameters (M) | weights fp16 (MB) | forward ms |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for config in CANDIDATES:
            torch.manual_seed(0)
            candidate = UNetGenerator(config)
            one, _ = forward_times(candidate, device, 256, 256, 1, args.repeats)
            count = sum(p.numel() for p in candidate.parameters()) / 1e6
            lines.append(f"| {config.base_filters} | {config.depth} | {config.max_filters} | {count:.2f} | "
                         f"{weights_mb(candidate):.1f} | {ms(one)} |")
    report("\n".join(lines) + "\n", args.append_to)


if __name__ == "__main__":
    main()
