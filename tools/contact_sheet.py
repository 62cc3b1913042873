"""Contact sheets for the model card: ground-truth photographs or real black-and-white ones.

    python tools/contact_sheet.py --model NEW.pt [--compare OLD.pt] --images DIR --out SHEET.jpg [--rows 12]
    python tools/contact_sheet.py --model NEW.pt --compare OLD.pt --images BW_DIR --black-and-white --out SHEET.jpg

With colour photographs (the hold-out split) a row is: the original, its grayscale input,
the ``--compare`` model with seed 1, and the ``--model`` with seeds 1, 2, 3. With
``--black-and-white`` there is no original to show: the scan itself, then the same
colorizations. Rows are the first images of the folder in name order (content hashes for
the data set), so a sheet is the same on every machine.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

from apps.mlcore.gan.data import folder_entries
from apps.mlcore.gan.inference import Colorizer

CELL = 192
SEEDS = (1, 2, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="shown with seeds 1, 2, 3")
    parser.add_argument("--compare", type=Path, help="an earlier model, shown with seed 1")
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=12)
    parser.add_argument("--black-and-white", action="store_true", help="the images are black-and-white scans (no ground truth)")
    options = parser.parse_args()
    model = Colorizer.from_checkpoint(options.model, device="cpu")
    compare = Colorizer.from_checkpoint(options.compare, device="cpu") if options.compare else None
    labels = ["scan"] if options.black_and_white else ["original", "grayscale input"]
    if compare:
        labels.append(f"{compare.version} seed 1")
    labels += [f"{model.version} seed {seed}" for seed in SEEDS]
    entries = sorted(folder_entries([options.images]), key=lambda e: str(e.key))[: options.rows]
    header = 18
    sheet = Image.new("RGB", (CELL * len(labels), header + CELL * len(entries)), "white")
    draw = ImageDraw.Draw(sheet)
    for column, label in enumerate(labels):
        draw.text((column * CELL + 4, 3), label, fill="black")
    for row, entry in enumerate(entries):
        original = entry.open().convert("RGB")
        original.thumbnail((CELL * 2, CELL * 2))
        grey = original.convert("L").convert("RGB")
        cells = [grey] if options.black_and_white else [original, grey]
        if compare:
            cells += compare.colorize(grey, seeds=[1], working_size=256)
        cells += model.colorize(grey, seeds=list(SEEDS), working_size=256)
        for column, image in enumerate(cells):
            cell = image.copy()
            cell.thumbnail((CELL, CELL))
            sheet.paste(cell, (column * CELL + (CELL - cell.width) // 2, header + row * CELL + (CELL - cell.height) // 2))
    options.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(options.out, quality=88)
    print(f"wrote {options.out} ({len(entries)} rows)")


if __name__ == "__main__":
    main()
