"""Choose, among generator snapshots of one or more runs, the one to ship, on validation images.

The validation images are those the runs held out from training themselves: their
`--val-folder` (`--val-dir` here), or the `--val-fraction` split
(`gan.data.split_entries`) of the folders they trained on. The
hold-out split is never looked at here; it is for the final `evaluate_gan` report only.
Every snapshot is scored with `evaluate_gan`'s metrics against the grayscale baseline on
those images, and ranked by the targets of issue 10 above the bars of issue 4 (`tools/pick_default_model.py`).
Usage: python tools/select_snapshot.py (--folders DIR [DIR …] [--val-fraction 0.1] | --val-dir DIR) SNAPSHOT.pt [SNAPSHOT.pt …]
Prints one line per snapshot and `PICK path`; --json writes the evaluation report.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from apps.mlcore.gan.checkpoint import file_sha256
from apps.mlcore.gan.data import folder_entries, split_entries
from apps.mlcore.gan.evaluate import evaluate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pick_default_model import describe, pick  # noqa: E402


def validation_folder(folders: list[Path], val_fraction: float, dest: Path) -> int:
    """Link the validation images of `folders` into `dest`; returns how many."""
    _, val = split_entries(folder_entries(folders), val_fraction)
    for entry in val:
        source = next(folder / entry.key for folder in folders if (folder / entry.key).is_file())
        (dest / entry.key.replace("/", "__")).symlink_to(source.resolve())
    return len(val)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshots", nargs="+", type=Path)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--folders", nargs="+", type=Path, help="the folders the runs trained on (with --val-fraction)")
    where.add_argument("--val-dir", type=Path, help="the runs' own --val-folder")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="the runs' --val-fraction")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--max-side", type=int, default=512)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    paths = {file_sha256(path): path for path in options.snapshots}
    with tempfile.TemporaryDirectory() as tmp:
        if options.val_dir:
            images = options.val_dir
            print(f"validation images from {images}, {len(paths)} snapshots", flush=True)
        else:
            images = tmp
            count = validation_folder(options.folders, options.val_fraction, Path(tmp))
            print(f"{count} validation images, {len(paths)} snapshots", flush=True)
        report = evaluate(list(paths.values()), images, seeds=options.seeds, max_side=options.max_side, device="cpu")
    if options.json:
        options.json.write_text(json.dumps(report | {"snapshots": {sha: str(p) for sha, p in paths.items()}}, indent=2))
    best, ranked = pick(report)
    grey = next(r for r in report["rows"] if r["kind"] == "grayscale")
    for row, short in ranked:
        print(f"{paths[row['weights_sha256']]}: {describe(row, short, grey)}")
    print(f"grayscale: PSNR {grey['psnr']:.2f}  ΔE {grey['delta_e2000']:.2f}  gap {grey['colourfulness_gap']:+.1f}")
    print(f"PICK {paths[best['weights_sha256']]}")


if __name__ == "__main__":
    main()
