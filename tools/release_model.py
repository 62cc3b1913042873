"""Turn a training run's generator into a release: its name and version, and the merge settings chosen on validation images.

    python tools/release_model.py RUN/generator.pt --out apps/mlcore/weights/default.pt \\
        --version 1.2.0 [--name chroma-unet] [--chroma-filter RADIUS,EPS | --chroma-filter off] [--note TEXT]

The weights are copied as they are (float16 stays float16); the run's summary is kept and
gains `released_from` (the source file's sha256 and path) and the note, so the release
still names the data, hyperparameters and history it came from.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from apps.mlcore.gan.checkpoint import load_generator, save_generator
from apps.mlcore.gan.cli import chroma_filter_merge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--name", default="chroma-unet")
    parser.add_argument("--chroma-filter", help="RADIUS,EPS or off (default: keep the source's)")
    parser.add_argument("--note", default="")
    options = parser.parse_args()
    generator, meta = load_generator(options.source)
    merge = dict(meta["merge"])
    if options.chroma_filter:
        merge = chroma_filter_merge(options.chroma_filter)
    summary = {**meta["summary"], "released_from": {"path": str(options.source), "sha256": meta["sha256"]}}
    if options.note:
        summary["release_note"] = options.note
    save_generator(options.out, generator, name=options.name, version=options.version, summary=summary, merge=merge)
    print(f"wrote {options.out}: {options.name} {options.version}, merge {merge or 'bilinear'}")


if __name__ == "__main__":
    main()
