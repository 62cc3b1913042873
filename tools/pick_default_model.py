"""Pick the shipped model among trained candidates by the targets of issue 10, never below the bars of issue 4.

Reads an `evaluate_gan --json` report (candidates and the grayscale baseline on the same
images) and prints which candidate to ship and by how much each misses.
- The bars (issue 4), which a shipped model must meet: colourfulness gap at most half
  the grayscale baseline's, PSNR at most 1 dB below the grayscale baseline, mean pairwise
  ΔE2000 between seeds at least 3.
- The targets (issue 10, chroma-unet 1.2.0): colourfulness gap within 12 of the ground
  truth, PSNR at or above the grayscale input's, ΔE2000 at most 1 above it, seed
  diversity at least 5, and, where the report has the column, chroma noise within 1.5×
  the ground truth's.
Candidates that meet the bars come first; among them the smallest total shortfall from
the targets (each relative to its own scale) wins; ties go to the lower ΔE2000.
Usage: python tools/pick_default_model.py REPORT.json
"""
from __future__ import annotations

import json
import sys

TARGET_SCALE = {"colourfulness_gap": 12.0, "psnr": 1.0, "delta_e2000": 1.0, "seed_diversity": 5.0, "chroma_noise": 1.5}


def shortfalls(row: dict, grey: dict) -> dict:
    """How far a row misses each bar of issue 4 (0 where it meets it), in the bar's own units."""
    return {
        "colourfulness_gap": max(0.0, abs(row["colourfulness_gap"]) - 0.5 * abs(grey["colourfulness_gap"])),
        "psnr": max(0.0, (grey["psnr"] - 1.0) - row["psnr"]),
        "seed_diversity": max(0.0, 3.0 - (row["seed_diversity"] or 0.0)),
    }


def target_shortfalls(row: dict, grey: dict) -> dict:
    """How far a row misses each target of issue 10 (0 where it meets it), in the target's own units."""
    short = {
        "colourfulness_gap": max(0.0, abs(row["colourfulness_gap"]) - 12.0),
        "psnr": max(0.0, grey["psnr"] - row["psnr"]),
        "delta_e2000": max(0.0, row["delta_e2000"] - (grey["delta_e2000"] + 1.0)),
        "seed_diversity": max(0.0, 5.0 - (row["seed_diversity"] or 0.0)),
    }
    if row.get("chroma_noise") is not None:
        short["chroma_noise"] = max(0.0, row["chroma_noise"] - 1.5)
    return short


def pick(report: dict) -> tuple[dict, list[tuple[dict, dict]]]:
    """The row to ship and every candidate with its target shortfalls, best first."""
    grey = next(r for r in report["rows"] if r["kind"] == "grayscale")
    candidates = [(row, target_shortfalls(row, grey)) for row in report["rows"] if row["kind"] == "model"]

    def key(item):
        row, short = item
        misses_bars = any(shortfalls(row, grey).values())
        return (misses_bars, sum(value / TARGET_SCALE[name] for name, value in short.items()), row["delta_e2000"])

    candidates.sort(key=key)
    return candidates[0][0], candidates


def describe(row: dict, short: dict, grey: dict) -> str:
    """One line: the row's figures and what it misses."""
    bars = "meets the issue-4 bars" if not any(shortfalls(row, grey).values()) else "MISSES the issue-4 bars"
    misses = ", ".join(f"{k} short by {v:.2f}" for k, v in short.items() if v > 0) or "meets every target"
    noise = f"  noise {row['chroma_noise']:.2f}" if row.get("chroma_noise") is not None else ""
    return (f"PSNR {row['psnr']:.2f}  ΔE {row['delta_e2000']:.2f}  gap {row['colourfulness_gap']:+.1f}  "
            f"diversity {row['seed_diversity'] or 0:.2f}{noise}: {bars}; {misses}")


if __name__ == "__main__":
    report = json.loads(open(sys.argv[1]).read())
    best, ranked = pick(report)
    grey = next(r for r in report["rows"] if r["kind"] == "grayscale")
    for row, short in ranked:
        print(f"{row['model']:<32} {describe(row, short, grey)}")
    print(f"PICK {best['weights_sha256']}")
