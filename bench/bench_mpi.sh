#!/usr/bin/env bash
# bench_mpi.sh — data-parallel training on this machine: 1 rank x 2 threads against 2 ranks
# x 1 thread (`mpirun -np 2`), the same data, global --batch, seed and epochs; then the
# gradient all-reduce's cost and what it predicts for 8 machines on 10 Gbit/s Ethernet.
#
#   bash bench/bench_mpi.sh [BUILD_DIR] [EPOCHS] [BATCH]          (build 2 32)
#
# Data: `signstgcn synth --videos 16 --frames 200`, pose + hands (J=75), window 25,
# stride 5. Windows per second = training windows x epochs / the epochs' seconds in
# metrics.csv (training and the small validation of every epoch; loading not counted).
# The data-parallel run reports the bytes its all-reduce sums per step and the seconds rank
# 0 spends in it (the trainer's last "data-parallel:" line). Not a test: the machine is
# shared and noisy; read the ratio. Writes bench/out/mpi.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
EPOCHS=${2:-2}
BATCH=${3:-32}
OUT=bench/out
BIN=$BUILD/signstgcn
command -v mpirun >/dev/null || { echo "mpirun not found (Debian: openmpi-bin)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build first: bash scripts/test.sh" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench_mpi.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
"$BIN" synth --out "$WORK/data" --videos 16 --frames 200 --signers 4 --seed 0 >/dev/null
COMMON=(train --data "$WORK/data" --include-hands --stride 5 --epochs "$EPOCHS"
        --batch "$BATCH" --log-csv --seed 0)
MPI=(mpirun --oversubscribe --allow-run-as-root --bind-to none)

wps() { # windows/s of a run folder: training windows x epochs / seconds of the epochs
  local n; n=$(sed -n 's/^data: .* windows: \([0-9]*\) train.*/\1/p' "$1.log")
  awk -F, -v n="$n" 'NR > 1 { s += $NF; e++ } END { printf "%.1f", n * e / s }' "$1/metrics.csv"
}

"$BIN" "${COMMON[@]}" --threads 2 --out "$WORK/r1t2" >"$WORK/r1t2.log"
"${MPI[@]}" -np 2 "$BIN" "${COMMON[@]}" --threads 1 --out "$WORK/r2t1" >"$WORK/r2t1.log"
W1=$(wps "$WORK/r1t2"); W2=$(wps "$WORK/r2t1")
LINE=$(grep 'gradient all-reduce' "$WORK/r2t1.log")
BYTES=$(sed -n 's/.*all-reduce \([0-9]*\) bytes per step, \([0-9.]*\) ms.*/\1/p' <<<"$LINE")
MS=$(sed -n 's/.*all-reduce \([0-9]*\) bytes per step, \([0-9.]*\) ms.*/\2/p' <<<"$LINE")
PARAMS=$(sed -n 's/.*per rank, \([0-9]*\) trained parameters.*/\1/p' "$WORK/r2t1.log")
{
  echo "signstgcn data-parallel bench ($(date -u +%F), $(nproc) cores, $(mpirun --version | head -1))"
  echo "data: synth 16 videos x 200 frames, J=75, window 25, stride 5; --batch $BATCH (global), $EPOCHS epochs"
  echo "1 rank  x 2 threads: $W1 windows/s"
  echo "2 ranks x 1 thread : $W2 windows/s   (ratio $(awk -v a="$W2" -v b="$W1" 'BEGIN{printf "%.2f", a/b}'))"
  echo "all-reduce: $PARAMS float gradients = $BYTES bytes per step, $MS ms per step on rank 0 (shared-memory loopback)"
  # ring all-reduce: each rank sends and receives 2(N-1)/N of the buffer; 10 Gbit/s = 1.25e9 B/s;
  # plus 2(N-1) message latencies of ~50 us on TCP, and the synchronised BatchNorm's and the
  # losses' small sums (11 per step, latency-bound: 2 log2 N hops each)
  awk -v b="$BYTES" -v w="$W1" -v B="$BATCH" 'BEGIN {
    N = 8; bw = 1.25e9; lat = 50e-6;
    t = 2 * (N - 1) / N * b / bw + 2 * (N - 1) * lat + 11 * 2 * 3 * lat;
    step1 = B / w;               # seconds one machine (2 threads here) takes per global batch
    stepN = step1 / N + t;       # each of 8 machines computes B/8 windows, then communicates
    printf "8 machines on 10 Gbit/s (predicted): %.1f ms of communication per step;\n", 1e3 * t;
    printf "  at this model size a step of --batch %d takes %.0f ms on one machine here, %.0f ms on 8\n", B, 1e3 * step1, 1e3 * stepN;
    printf "  (speed-up %.1f of 8); communication is a fixed %.1f ms per step, so larger models (J=553:\n", step1 / stepN, 1e3 * t;
    printf "  ~7x the compute per window, the same bytes) or larger --batch bring the speed-up closer to 8\n";
  }'
} | tee "$OUT/mpi.txt"
