#!/usr/bin/env bash
# The GPU recipe of the shipped default model (chroma-unet 1.2.0 and later): the
# EfficientNet-Lite0 U-Net trained in DeOldify's "NoGAN" order, beside the thesis U-Net
# trained on the same data for the same time, the candidates chosen on the validation
# images (tools/select_snapshot.py, never the hold-out split), the choice scored once on
# the hold-out split, and the training throughput measured against the bare networks.
# Written for one lent GPU (H100/H200) within a 15-minute budget; runs on a CPU too, slowly.
# Usage: tools/train_default_model.sh OUT_DIR [MINUTES_PER_STAGE]
#   data: DATASET_DIR (default var/datasets/photos; built by python tools/build_dataset.py when missing)
# OUT_DIR receives default.pt, l1_baseline.pt, unet.pt and report.tar.gz (logs, metrics,
# validation and hold-out reports, samples, the throughput benchmark).
set -euo pipefail
out=${1:?output folder}; minutes=${2:-2}
data=${DATASET_DIR:-var/datasets/photos}
py=${PYTHON:-python3}
work=${WORK_DIR:-$(mktemp -d)}
mkdir -p "$out" "$work/runs"
[ -d "$data/train" ] || "$py" tools/build_dataset.py --doc ''
{ nvidia-smi -L 2>/dev/null || lscpu | grep 'Model name'; } | tee "$work/hardware.txt"
start=$(date +%s)

# Throughput of the real loop (batches cut on the device) against the bare networks.
(cd benchmarks && "$py" bench_gan_training.py --arch effunet-lite0 --device-data --batch-size 64 --crop 256 --msgan 0 \
   --images 256 --steps 30) | tee "$work/throughput.md" || echo "benchmark failed" | tee -a "$work/throughput.md"

common=(--steps 1000000 --batch-size "${BATCH:-64}" --crop 256 --load-size 288 --device-data --workers 0
        --checkpoint-every 200 --sample-every 1000 --val-folder "$data/val" --val-images 64 --seed 0 --name chroma-unet)
train() {  # name, minutes, extra options…
  local name=$1 mins=$2; shift 2
  "$py" -m apps.mlcore.gan.cli train "$data/train" --out "$work/runs/$name" --max-minutes "$mins" "${common[@]}" \
    --model-version "1.2.0-$name" "$@" >"$work/runs/$name.log" 2>&1 || echo "run $name failed" >>"$work/runs/$name.log"
}
# Stage 1: the decoder alone on the frozen ImageNet encoder (reconstruction loss), beside
# the thesis U-Net on the same data for the same total time.
train s1 "$minutes" --arch effunet-lite0 --freeze-encoder-steps 1000000 --no-adversarial --msgan 0 --lr-g 5e-4 --ema 0.999 &
train unet "$(( minutes * 3 ))" --arch unet --msgan 0.005 --ema 0.999 --diffaugment color,translation,cutout --r1 1 --spectral-norm &
wait %1
# Stage 2: all of it, with mode seeking so seeds choose palettes.
train s2 "$minutes" --base "$work/runs/s1/generator.pt" --no-adversarial --msgan 0.005 --lr-g 2e-4 --lr-encoder 2e-5 \
  --ema 0.999 --scale-jitter 0.15 --luma-noise 0.01
# Stage 3: a short adversarial stage, with and without the small-data stabilisers.
train s3a "$minutes" --base "$work/runs/s2/generator.pt" --msgan 0.005 --lr-g 1e-4 --lr-encoder 1e-5 --lr-d 2e-4 \
  --ema 0.999 --diffaugment color,translation,cutout --r1 1 --spectral-norm --d-warmup 100 --scale-jitter 0.15 &
train s3b "$minutes" --base "$work/runs/s2/generator.pt" --msgan 0.005 --lr-g 1e-4 --lr-encoder 1e-5 --lr-d 2e-4 --scale-jitter 0.15 &
wait
echo "training: $(( $(date +%s) - start )) s" | tee -a "$work/hardware.txt"
cp "$work/runs/s1/generator.pt" "$out/l1_baseline.pt"
cp "$work/runs/s2/generator.pt" "$out/default.pt"  # fallback should the selection not finish
[ -f "$work/runs/unet/generator.pt" ] && cp "$work/runs/unet/generator.pt" "$out/unet.pt"
models=(); for r in s2 s3a s3b unet; do [ -f "$work/runs/$r/generator.pt" ] && models+=("$work/runs/$r/generator.pt"); done
timeout "${EVAL_SECONDS:-240}" "$py" tools/select_snapshot.py --val-dir "$data/val" --json "$work/validation.json" "${models[@]}" \
  | tee "$work/pick.txt" || echo "selection did not finish"
pick=$(awk '/^PICK/{print $2}' "$work/pick.txt")
[ -n "$pick" ] && cp "$pick" "$out/default.pt" && echo "picked $pick" | tee -a "$work/pick.txt"
timeout "${EVAL_SECONDS:-240}" "$py" -m apps.mlcore.gan.cli evaluate --images "$data/holdout" --l1-baseline "$out/l1_baseline.pt" \
  --model "$out/default.pt" --seeds 0 1 2 --max-side 512 --json "$work/holdout.json" --markdown "$work/holdout.md" || echo "evaluation did not finish"
echo "total: $(( $(date +%s) - start )) s" | tee -a "$work/hardware.txt"
(cd "$work" && tar czf "$out/report.tar.gz" hardware.txt throughput.md runs/*.log runs/*/metrics.json runs/*/samples holdout.* validation.json pick.txt 2>/dev/null || true)
