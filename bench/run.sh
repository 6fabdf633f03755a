#!/usr/bin/env bash
# Benchmarks, side by side with the PyTorch reference on the same work and thread count.
# Never part of the tests; machines are shared and noisy, so read the ratios, not the times.
#
#   bash bench/run.sh [BUILD_DIR] [THREADS] [JOINTS]     (defaults: build 2 75,553)
#
# Model throughput: build/bench_model (C) and bench/bench_reference.py (PyTorch 1.13 from
# Debian's python3-torch, run with /usr/bin/python3), forward (eval) and training step
# (forward + backward + AdamW) windows per second at batch 32, window 25.
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
for J in ${JOINTS//,/ }; do
  # one iteration at J=553 takes minutes on two threads (the reference): time one, no warm-up
  if [ "$J" = 553 ]; then ARGS=(--warmup 0 --min-iters 1 --min-time 0); else ARGS=(--min-time 10); fi
  OMP_NUM_THREADS=$THREADS "$BUILD/bench_model" --threads "$THREADS" --joints "$J" "${ARGS[@]}" \
    | tail -n +2 >> "$OUT/model.csv"
  /usr/bin/python3 bench/bench_reference.py --threads "$THREADS" --joints "$J" "${ARGS[@]}" \
    | tail -n +2 >> "$OUT/model.csv"
done
/usr/bin/python3 - "$OUT/model.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
by = {}
for impl, J, B, T, th, mode, iters, sec, wps in rows:
    by[(J, mode, impl)] = float(wps)
print(f"{'joints':>6} {'mode':>8} {'C win/s':>10} {'PyTorch win/s':>14} {'C / PyTorch':>12}")
for J, mode in sorted({(r[1], r[5]) for r in rows}, key=lambda k: (int(k[0]), k[1])):
    c, p = by.get((J, mode, "c")), by.get((J, mode, "torch")) or by.get((J, mode, "pytorch"))
    ratio = f"{c / p:.2f}x" if c and p else "-"
    print(f"{J:>6} {mode:>8} {c or 0:>10.1f} {p or 0:>14.1f} {ratio:>12}")
PY
