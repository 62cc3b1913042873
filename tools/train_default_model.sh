#!/usr/bin/env bash
# Train the shipped default model and its L1-only baseline, evaluate every candidate on the
# validation images the runs held out, pick the one to ship by the bars
# (tools/select_snapshot.py), and evaluate that one on the hold-out split. Written for one
# GPU (the candidates train side by side on it); runs on a CPU too, slowly.
# Usage: tools/train_default_model.sh OUT_DIR [MINUTES]   (data: python tools/build_dataset.py)
# OUT_DIR receives default.pt, l1_baseline.pt and report.tar.gz (logs, metrics, evaluation, samples).
set -euo pipefail
out=${1:?output folder}; minutes=${2:-5}
data=${DATASET_DIR:-var/datasets/photos}
py=${PYTHON:-python3}
work=${WORK_DIR:-$(mktemp -d)}
mkdir -p "$out" "$work/runs"
common=(--steps 1000000 --max-minutes "$minutes" --batch-size 16 --workers 3 --checkpoint-every 0 --sample-every 2000
        --val-fraction 0.1 --seed 0 --name chroma-unet)
# shellcheck disable=SC2206 # a smoke test shrinks the runs: TRAIN_EXTRA="--crop 64 --base-filters 4 --depth 3"
common+=(${TRAIN_EXTRA:-})
train() {  # name, extra options…
  local name=$1; shift
  "$py" -m apps.mlcore.gan.cli train "$data/train" "$data/val" --out "$work/runs/$name" "${common[@]}" \
    --model-version "1.0.0-$name" "$@" >"$work/runs/$name.log" 2>&1 || echo "run $name failed" >>"$work/runs/$name.log"
}
{ nvidia-smi -L 2>/dev/null || lscpu | grep 'Model name'; } | tee "$work/hardware.txt"
start=$(date +%s)
train a --lambda-l1 5 --lambda-l2 5 --msgan 0.1 &
train b --lambda-l1 5 --lambda-l2 5 --msgan 1.0 &
train c --lambda-l1 1 --lambda-l2 1 --msgan 1.0 &
train d --lambda-l1 2 --lambda-l2 0 --msgan 0.5 &
train l1 --no-adversarial --lambda-l2 0 --msgan 0 &
wait
echo "training: $(( $(date +%s) - start )) s" | tee -a "$work/hardware.txt"
cp "$work/runs/l1/generator.pt" "$out/l1_baseline.pt"
cp "$work/runs/b/generator.pt" "$out/default.pt"  # fallback should the evaluation not finish
# Choose on the runs' own validation images (never the hold-out split), then report the
# choice on the hold-out split.
models=(); for r in a b c d; do [ -f "$work/runs/$r/generator.pt" ] && models+=("$work/runs/$r/generator.pt"); done
timeout "${EVAL_SECONDS:-200}" "$py" tools/select_snapshot.py --folders "$data/train" "$data/val" --val-fraction 0.1 \
  --json "$work/validation.json" "${models[@]}" | tee "$work/pick.txt" || echo "selection did not finish"
pick=$(awk '/^PICK/{print $2}' "$work/pick.txt")
[ -n "$pick" ] && cp "$pick" "$out/default.pt" && echo "picked $pick" | tee -a "$work/pick.txt"
timeout "${EVAL_SECONDS:-200}" "$py" -m apps.mlcore.gan.cli evaluate --images "$data/holdout" --l1-baseline "$out/l1_baseline.pt" \
  --model "$out/default.pt" --seeds 0 1 2 --max-side 512 --json "$work/holdout.json" --markdown "$work/holdout.md" || echo "evaluation did not finish"
echo "total: $(( $(date +%s) - start )) s" | tee -a "$work/hardware.txt"
(cd "$work" && tar czf "$out/report.tar.gz" hardware.txt runs/*.log runs/*/metrics.json runs/*/samples holdout.* validation.json pick.txt 2>/dev/null || true)
