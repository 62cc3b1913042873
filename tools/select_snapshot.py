"""Choose, among generator snapshots of one or more runs, the one to ship, on validation images.

The validation images are those the runs held out from training themselves: the
`--val-fraction` split (`gan.data.split_entries`) of the folders they trained on. The
hold-out split is never looked at here; it is for the final `evaluate_gan` report only.
Every snapshot is scored with `evaluate_gan`'s metrics against the grayscale baseline on
those images, and ranked by the acceptance bars of issue 4 (`tools/pick_default_model.py`).
Usage: python tools/select_snapshot.py --folders DIR [DIR …] [--val-fraction 0.1] SNAPSHOT.pt [SNAPSHOT.pt …]
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
from pick_default_model import pick  # noqa: E402


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
    parser.add_argument("--folders", nargs="+", type=Path, required=True, help="the folders the runs trained on")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="the runs' --val-fraction")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--max-side", type=int, default=512)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    paths = {file_sha256(path): path for path in options.snapshots}
    with tempfile.TemporaryDirectory() as tmp:
        count = validation_folder(options.folders, options.val_fraction, Path(tmp))
        print(f"{count} validation images, {len(paths)} snapshots", flush=True)
        report = evaluate(list(paths.values()), tmp, seeds=options.seeds, max_side=options.max_side, device="cpu")
    if options.json:
        options.json.write_text(json.dumps(report | {"snapshots": {sha: str(p) for sha, p in paths.items()}}, indent=2))
    best, ranked = pick(report)
    for row, short in ranked:
        misses = ", ".join(f"{k} short by {v:.2f}" for k, v in short.items() if v > 0) or "meets every bar"
        print(f"{paths[row['weights_sha256']]}: PSNR {row['psnr']:.2f}  ΔE {row['delta_e2000']:.2f}  "
              f"gap {row['colourfulness_gap']:+.1f}  diversity {row['seed_diversity']:.2f}: {misses}")
    grey = next(r for r in report["rows"] if r["kind"] == "grayscale")
    print(f"grayscale: PSNR {grey['psnr']:.2f}  gap {grey['colourfulness_gap']:+.1f}")
    print(f"PICK {paths[best['weights_sha256']]}")


if __name__ == "__main__":
    main()
