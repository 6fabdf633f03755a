#!/usr/bin/env bash
# Whole training runs, data to checkpoint: `signstgcn train` and the PyTorch reference loop
# (tools/train_reference.py) on the same synthetic data, split, batch, epochs and thread count.
# Never part of the tests; machines are shared and noisy, so read the ratio, not the times.
#
#   bash bench/bench_train.sh [BUILD_DIR] [THREADS] [EPOCHS] [BATCH]   (build 2 2 32)
#
# Data: `signstgcn synth` defaults (36 videos x 300 frames), binary (--signing-labels
# s1,s2,s3,s4) with class weights, pose + hands (J=75), window 25, stride 5; the train/val
# videos come from one `signstgcn splits` file given to both. Each run is timed from the
# start of its process to its exit (reading the npz files, preparing windows, every epoch's
# training and evaluation, writing the checkpoint). Windows per second = training windows x
# epochs / wall time; the CPU seconds (user + system, /usr/bin/time) are printed beside it, as
# windows per CPU-second, which a busy shared machine disturbs less. VIDEOS=N (36) makes the
# synthetic dataset smaller. Writes bench/out/train.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${2:-2}
EPOCHS=${3:-2}
BATCH=${4:-32}
OUT=bench/out
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench_train.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
if [ ! -x "$BUILD/signstgcn" ]; then
  echo "build first: bash scripts/test.sh (or make build)" >&2
  exit 1
fi
if ! /usr/bin/python3 -c "import torch, sklearn" 2>/dev/null; then
  echo "the reference needs Debian's python3-torch and python3-sklearn" >&2
  exit 1
fi
DATA_FLAGS=(--window 25 --stride 5 --include-hands --binary --signing-labels s1,s2,s3,s4)
"$BUILD/signstgcn" synth --out "$WORK/data" --videos "${VIDEOS:-36}" \
  --signers "$(( ${VIDEOS:-36} < 6 ? ${VIDEOS:-36} : 6 ))" > /dev/null
"$BUILD/signstgcn" splits --data "$WORK/data" --window 25 --stride 5 --s-label s1 \
  --out "$WORK/splits.json" > /dev/null

TIME=(/usr/bin/time -f "%e %U %S")
OMP_NUM_THREADS=$THREADS "${TIME[@]}" -o "$WORK/c.time" "$BUILD/signstgcn" train --data "$WORK/data" "${DATA_FLAGS[@]}" \
  --splits-json "$WORK/splits.json" --batch "$BATCH" --epochs "$EPOCHS" --threads "$THREADS" \
  --out "$WORK/c" > "$WORK/c.log" 2>&1
OMP_NUM_THREADS=$THREADS "${TIME[@]}" -o "$WORK/ref.time" /usr/bin/python3 tools/train_reference.py --data "$WORK/data" \
  "${DATA_FLAGS[@]}" --splits-json "$WORK/splits.json" --batch "$BATCH" --epochs "$EPOCHS" \
  --threads "$THREADS" --out "$WORK/ref" > "$WORK/ref.log" 2>&1
test -s "$WORK/c/last.safetensors" && test -s "$WORK/ref/last.safetensors"
grep -E '^epoch' "$WORK/c.log" | sed 's/^/  C:       /'
grep -E '^epoch' "$WORK/ref.log" | sed 's/^/  PyTorch: /'

/usr/bin/python3 - "$WORK/c.log" "$WORK/ref.log" "$WORK/c.time" "$WORK/ref.time" "$EPOCHS" \
  "$BATCH" "$THREADS" "$OUT/train.csv" <<'PY'
import re, sys
clog, rlog, ctime, rtime, epochs, batch, threads, out = sys.argv[1:]
n_c = int(re.search(r"windows: (\d+) train, \d+ val", open(clog).read()).group(1))
n_r = int(re.search(r"(\d+) train / \d+ val windows", open(rlog).read()).group(1))
if n_c != n_r:
    sys.exit(f"the runs trained on different windows: C {n_c}, PyTorch {n_r}")
epochs = int(epochs)
def times(path):
    e, u, s = map(float, open(path).read().split()[-3:])
    return e, u + s
(tc, cc), (tr, cr) = times(ctime), times(rtime)
n = n_c * epochs
with open(out, "w") as f:
    f.write("impl,train_windows,epochs,batch,threads,seconds,cpu_seconds,windows_per_s,"
            "windows_per_cpu_s\n")
    for impl, t, c in (("c", tc, cc), ("pytorch", tr, cr)):
        f.write(f"{impl},{n_c},{epochs},{batch},{threads},{t:.2f},{c:.2f},{n / t:.2f},"
                f"{n / c:.2f}\n")
print(f"{n_c} training windows x {epochs} epochs, batch {batch}, {threads} threads, "
      "whole run (data to checkpoint)")
print(f"{'':>8} {'seconds':>9} {'windows/s':>10} {'CPU s':>9} {'win/CPU-s':>10}")
for impl, t, c in (("C", tc, cc), ("PyTorch", tr, cr)):
    print(f"{impl:>8} {t:9.1f} {n / t:10.2f} {c:9.1f} {n / c:10.2f}")
print(f"C / PyTorch: {tr / tc:.2f}x windows/s, {cr / cc:.2f}x windows per CPU-second")
PY
