"""Keep a generator from every training checkpoint of a running `train_gan` run.

The trainer overwrites RUN/checkpoints/last.pt every --checkpoint-every steps. This watches
it and exports each new state's generator as an inference checkpoint,
RUN/snapshots/step_NNNNNN.pt (the EMA weights where the run keeps them), so the one to ship can be chosen afterwards on validation
images (`tools/select_snapshot.py`), never on the hold-out split.
Usage: python tools/snapshot_generators.py RUN_DIR [RUN_DIR …] [--every SECONDS]
Stops when every run has written its generator.pt (the run is over).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from apps.mlcore.gan.checkpoint import build_generator, generator_config_from_dict, save_generator


def export_snapshot(run: Path) -> Path | None:
    """Export the generator of RUN/checkpoints/last.pt once per step; the path, or None if nothing new.
    Its summary has the keys of a finished run's (`Trainer._final_metrics`) that the
    training state holds: configs, data, base, steps, epochs, history and the latest metrics."""
    checkpoint = run / "checkpoints" / "last.pt"
    if not checkpoint.exists():
        return None
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    dest = run / "snapshots" / f"step_{state['step']:06d}.pt"
    if dest.exists():
        return None
    generator = build_generator(generator_config_from_dict(state["generator_config"]))
    generator.load_state_dict(state.get("generator_ema") or state["generator"])  # the EMA weights, as the run exports
    config = state["train_config"]
    last = state["history"][-1] if state["history"] else {}
    summary = {
        "name": config["model_name"], "version": config["model_version"], "train_config": config,
        "generator_config": state["generator_config"], "discriminator_config": state["discriminator_config"],
        "data": state.get("data") or _data_of(run), "base": state["base"], "steps": state["step"], "epochs": state["epoch"],
        "snapshot_of": f"{checkpoint} at step {state['step']}",
        "final": {"losses": last.get("losses", {}), "val": last.get("val", {})}, "history": state["history"],
    }
    dest.parent.mkdir(exist_ok=True)
    save_generator(dest, generator, name=config["model_name"], version=config["model_version"], summary=summary,
                   fp16=config.get("fp16_weights", True))
    return dest


def _data_of(run: Path) -> dict:
    """The data summary from the run's log (training states older than the `data` key lack it)."""
    log = run.with_suffix(".log")
    for line in (log.read_text(errors="replace").splitlines() if log.exists() else []):
        if line.endswith("unreadable") and "images found" in line:
            return {"report": line.strip()}
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--every", type=float, default=20.0, help="seconds between looks")
    options = parser.parse_args()
    while True:
        for run in options.runs:
            try:
                written = export_snapshot(run)
            except (OSError, RuntimeError, KeyError) as error:  # caught mid-write: next look
                print(f"{run}: {error}", flush=True)
                continue
            if written:
                print(f"wrote {written}", flush=True)
        if all((run / "generator.pt").exists() for run in options.runs):
            for run in options.runs:  # the final state too
                export_snapshot(run)
            return
        time.sleep(options.every)


if __name__ == "__main__":
    main()
