"""Contact sheet of hold-out results: original, grayscale input, and three seeded variants per row.

Usage: python tools/contact_sheet.py --model apps/mlcore/weights/default.pt \
           --images var/datasets/photos/holdout --out docs/model/contact_sheet.jpg [--rows 8]
Rows are the first images of the folder in name order (content hashes), so the sheet is
the same on every machine.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

from apps.mlcore.gan.data import folder_entries
from apps.mlcore.gan.inference import Colorizer

CELL = 192
LABELS = ("original", "grayscale input", "seed 1", "seed 2", "seed 3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=8)
    options = parser.parse_args()
    colorizer = Colorizer.from_checkpoint(options.model, device="cpu")
    entries = sorted(folder_entries([options.images]), key=lambda e: str(e.key))[: options.rows]
    header = 18
    sheet = Image.new("RGB", (CELL * len(LABELS), header + CELL * len(entries)), "white")
    draw = ImageDraw.Draw(sheet)
    for column, label in enumerate(LABELS):
        draw.text((column * CELL + 4, 3), label, fill="black")
    for row, entry in enumerate(entries):
        original = entry.open().convert("RGB")
        original.thumbnail((CELL * 2, CELL * 2))
        grey = original.convert("L").convert("RGB")
        variants = colorizer.colorize(original, seeds=[1, 2, 3], working_size=256)
        for column, image in enumerate([original, grey, *variants]):
            cell = image.copy()
            cell.thumbnail((CELL, CELL))
            sheet.paste(cell, (column * CELL + (CELL - cell.width) // 2, header + row * CELL + (CELL - cell.height) // 2))
    options.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(options.out, quality=88)
    print(f"wrote {options.out} ({len(entries)} rows)")


if __name__ == "__main__":
    main()
