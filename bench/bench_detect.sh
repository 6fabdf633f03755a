#!/usr/bin/env bash
# bench_detect.sh — detection on whole recordings and live.
#
#   bash bench/bench_detect.sh [signstgcn binary] [work folder]
#
# 1. Live: per-frame latency (p50, p99) of `detect --stream` at J=75 (pose + hands) and
#    J=553 (pose + hands + 478-point face), on 1 and 2 threads, and J=553 deciding every 3rd
#    frame (bench/stream_latency.py feeds one frame, waits for its answer, feeds the next).
#    Real time at 25 fps needs < 40 ms a frame on average.
# 2. Files: `detect` on one 30-minute recording at 25 fps (45,000 frames, J=75; a demo
#    recording repeated), at stride 1 and 5, 2 threads: frames per second of recording and peak
#    resident memory (/usr/bin/time -v).
# The checkpoints are one-epoch trainings on a small synthetic set: their weights do not
# change the cost. Not a test; times drift on a shared machine, so it prints CPU time too.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/signstgcn}
WORK=${2:-${TMPDIR:-/tmp}/signstgcn-detect-bench}
PY=/usr/bin/python3
mkdir -p "$WORK"
if [ ! -d "$WORK/data" ]; then
  "$BIN" synth --out "$WORK/data" --videos 4 --signers 2 --frames 300 --seed 0 >/dev/null
fi
for J in 75 553; do
  if [ ! -f "$WORK/ckpt$J/last.safetensors" ]; then
    FACE=(); [ "$J" = 553 ] && FACE=(--include-face)
    "$BIN" train --data "$WORK/data" --include-hands "${FACE[@]}" --binary \
      --signing-labels s1,s2,s3,s4 --stride 10 --epochs 1 --batch 8 --max-samples 16 \
      --out "$WORK/ckpt$J" >/dev/null
  fi
done

echo "== live: detect --stream, per-frame latency (window 25, stride 1) =="
for J in 75 553; do
  for TH in 1 2; do
    printf "J=%-4s " "$J"
    $PY bench/stream_latency.py --bin "$BIN" --ckpt "$WORK/ckpt$J/last.safetensors" \
      --npz "$WORK/data/v000.npz" --threads "$TH" --frames "${FRAMES:-400}"
  done
done
# deciding every 3rd frame: the cost per frame a third, the latency of a decision the same
printf "J=%-4s " 553
$PY bench/stream_latency.py --bin "$BIN" --ckpt "$WORK/ckpt553/last.safetensors" \
  --npz "$WORK/data/v000.npz" --threads 1 --stride 3 --frames "${FRAMES:-400}"

echo "== files: detect on a 30-minute recording (45,000 frames at 25 fps, J=75, 2 threads) =="
if [ ! -f "$WORK/long/long.npz" ]; then
  mkdir -p "$WORK/long"
  $PY - "$WORK/data/v000.npz" "$WORK/long/long.npz" <<'PY'
import sys
import numpy as np
z = np.load(sys.argv[1])
reps = -(-45000 // z["pose"].shape[0])
np.savez(sys.argv[2], **{k: np.concatenate([z[k]] * reps)[:45000] for k in z.files})
PY
fi
for S in 1 5; do
  /usr/bin/time -v "$BIN" detect --ckpt "$WORK/ckpt75/last.safetensors" --input "$WORK/long/long.npz" \
    --out-dir "$WORK/long/out$S" --stride "$S" --threads 2 >"$WORK/long/out$S.log" 2>"$WORK/long/time$S"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$WORK/long/time$S")
  rss=$(awk -F': ' '/Maximum resident/{print $2}' "$WORK/long/time$S")
  user=$(awk -F': ' '/User time/{print $2}' "$WORK/long/time$S")
  sys_=$(awk -F': ' '/System time/{print $2}' "$WORK/long/time$S")
  secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  echo "stride $S: wall ${wall} (user ${user}s sys ${sys_}s)  $(awk -v s="$secs" 'BEGIN{printf "%.0f", 45000/s}') frames/s" \
       " = $(awk -v s="$secs" 'BEGIN{printf "%.1f", 1800/s}')x real time  peak RSS $((rss / 1024)) MiB"
done
