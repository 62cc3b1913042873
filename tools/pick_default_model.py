"""Pick the shipped model among trained candidates by the acceptance bars of issue 4.

Reads an `evaluate_gan --json` report (candidates, the grayscale and L1-only baselines on
the hold-out split) and prints which candidate to ship and by how much each misses the
bars: colourfulness gap at most half the grayscale baseline's, PSNR at most 1 dB below
the grayscale baseline, mean pairwise ΔE2000 between seeds at least 3.
Usage: python tools/pick_default_model.py REPORT.json
"""
from __future__ import annotations

import json
import sys


def shortfalls(row: dict, grey: dict) -> dict:
    """How far a row misses each bar (0 where it meets it), in the bar's own units."""
    return {
        "colourfulness_gap": max(0.0, abs(row["colourfulness_gap"]) - 0.5 * abs(grey["colourfulness_gap"])),
        "psnr": max(0.0, (grey["psnr"] - 1.0) - row["psnr"]),
        "seed_diversity": max(0.0, 3.0 - (row["seed_diversity"] or 0.0)),
    }


def pick(report: dict) -> tuple[dict, list[tuple[dict, dict]]]:
    grey = next(r for r in report["rows"] if r["kind"] == "grayscale")
    candidates = [(row, shortfalls(row, grey)) for row in report["rows"] if row["kind"] == "model"]
    # Meets every bar first; then the smallest shortfall relative to each bar's scale; ties by ΔE2000.
    scale = {"colourfulness_gap": 0.5 * abs(grey["colourfulness_gap"]) or 1.0, "psnr": 1.0, "seed_diversity": 3.0}

    def key(item):
        row, short = item
        return (sum(short[k] / scale[k] for k in short), row["delta_e2000"])

    candidates.sort(key=key)
    return candidates[0][0], candidates


if __name__ == "__main__":
    report = json.loads(open(sys.argv[1]).read())
    best, ranked = pick(report)
    for row, short in ranked:
        misses = ", ".join(f"{k} short by {v:.2f}" for k, v in short.items() if v > 0) or "meets every bar"
        print(f"{row['model']:<32} ΔE {row['delta_e2000']:.2f}  PSNR {row['psnr']:.2f}  gap {row['colourfulness_gap']:.1f}  "
              f"diversity {row['seed_diversity']:.2f}: {misses}")
    print(f"PICK {best['weights_sha256']}")
