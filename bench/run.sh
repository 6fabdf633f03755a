#!/usr/bin/env bash
# Benchmarks, side by side with the PyTorch reference on the same work and thread count.
# Never part of the tests; machines are shared and noisy, so read the ratios, not the times.
#
#   bash bench/run.sh [BUILD_DIR] [THREADS] [JOINTS]     (defaults: build 2 75,553)
#
# Model throughput: build/bench_model (C) and bench/bench_reference.py (PyTorch 1.13 from
# Debian's python3-torch, run with /usr/bin/python3), forward (eval) and training step
# (forward + backward + AdamW) windows per second and peak resident memory, window 25,
# batches 32 and 256 (CASES="J:B:mode ..." picks others).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${2:-2}
JOINTS=${3:-75,553}
OUT=bench/out
mkdir -p "$OUT"
if [ ! -x "$BUILD/bench_model" ]; then
  echo "build first: bash scripts/test.sh (or make build)" >&2
  exit 1
fi
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "the reference needs Debian's python3-torch: apt-get install -y python3-torch" >&2
  exit 1
fi
: > "$OUT/model.csv"
# One process per (joints, batch, mode), so each peak RSS (/usr/bin/time) is that work's
# alone: inference (forward, the inference arena in predict's chunks) at batch 32 and 256,
# training at batch 32, and at J=75 also 256 (J=553 training at 256 needs ~18 GB in C and
# more in PyTorch: not on a 24 GB machine).
CASES=${CASES:-"75:32:forward 75:256:forward 75:32:train 75:256:train 553:32:forward 553:256:forward 553:32:train"}
for case in $CASES; do
  IFS=: read -r J B MODE <<<"$case"
  case ",$JOINTS," in *",$J,"*) ;; *) continue ;; esac
  # one iteration at J=553 takes minutes on two threads (the reference): time one, no warm-up
  if [ "$J" = 553 ]; then ARGS=(--warmup 0 --min-iters 1 --min-time 0); else ARGS=(--min-time 10); fi
  for impl in c pytorch; do
    if [ $impl = c ]; then
      CMD=("$BUILD/bench_model" --threads "$THREADS" --joints "$J" --batch "$B" --mode "$MODE" "${ARGS[@]}")
    else
      CMD=(/usr/bin/python3 bench/bench_reference.py --threads "$THREADS" --joints "$J" --batch "$B" --mode "$MODE" "${ARGS[@]}")
    fi
    line=$(OMP_NUM_THREADS=$THREADS /usr/bin/time -f "%M" -o "$OUT/rss.txt" "${CMD[@]}" | tail -n 1)
    echo "$line,$(tail -n 1 "$OUT/rss.txt")" >> "$OUT/model.csv"
  done
done
/usr/bin/python3 - "$OUT/model.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
by = {}
for impl, J, B, T, th, mode, iters, sec, wps, rss in rows:
    by[(int(J), int(B), mode, "c" if impl == "c" else "torch")] = (float(wps), int(rss) / 1024.0)
print(f"{'joints':>6} {'batch':>5} {'mode':>8} {'C win/s':>9} {'PyTorch':>9} {'C/PyTorch':>10}"
      f" {'C RSS MiB':>10} {'PyTorch RSS':>12}")
for J, B, mode in sorted({k[:3] for k in by}):
    c, p = by.get((J, B, mode, "c")), by.get((J, B, mode, "torch"))
    ratio = f"{c[0] / p[0]:.2f}x" if c and p else "-"
    print(f"{J:>6} {B:>5} {mode:>8} {c[0] if c else 0:>9.1f} {p[0] if p else 0:>9.1f} {ratio:>10}"
          f" {c[1] if c else 0:>10.0f} {p[1] if p else 0:>12.0f}")
PY
