#!/usr/bin/env bash
# Training speed under contention: the training-step benchmark (build/bench_model,
# J=75, batch 32, window 25) with 1 and 2 threads, first quiet, then with a busy process of the
# same priority pinned to core 1 (`taskset -c 1 sh -c 'while :; do :; done'`), as a user's
# laptop with something else running. Never part of the tests; on a shared machine the quiet
# figures are only as quiet as the machine: the load average is printed beside each.
#
#   bash bench/contention.sh [BUILD_DIR] [MIN_TIME]      (defaults: build 10)
#
# Each condition also runs 2 threads under the thread governor (train/thread_gov.h, what
# `signstgcn train` does unless --fixed-threads: one thread when that measures faster),
# condition names ending in _governor. Environment passes through, so
# OMP_WAIT_POLICY=passive bash bench/contention.sh compares a wait policy. Writes
# bench/out/contention.csv (condition,threads,windows_per_s,load).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MIN_TIME=${2:-10}
OUT=bench/out
mkdir -p "$OUT"
if [ ! -x "$BUILD/bench_model" ]; then
  echo "build first: bash scripts/test.sh (or make build)" >&2
  exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
  echo "contention.sh needs at least two cores" >&2
  exit 1
fi
BUSY=
cleanup() { if [ -n "$BUSY" ]; then kill "$BUSY" 2>/dev/null || true; fi; }
trap cleanup EXIT
run() { # condition threads [governor]
  local line
  # the governor's rows warm up for 12 steps, time enough to find its count (it needs about
  # 8 after a change), so they report the steady state a long run sees
  line=$(OMP_NUM_THREADS=$2 "$BUILD/bench_model" --threads "$2" --joints 75 \
           --warmup "$([ "${3:-0}" = 1 ] && echo 12 || echo 1)" \
           --min-time "$MIN_TIME" --mode train --governor "${3:-0}" | grep ',train,')
  printf '%s,%s,%s,%s\n' "$1" "$2" "$(cut -d, -f9 <<<"$line")" "$(cut -d' ' -f1 /proc/loadavg)"
}
{
  echo "condition,threads,windows_per_s,load"
  run quiet 1
  run quiet 2
  run quiet_governor 2 1
  taskset -c 1 sh -c 'while :; do :; done' &
  BUSY=$!
  sleep 1
  run busy_core1 1
  run busy_core1 2
  run busy_core1_governor 2 1
  kill "$BUSY"
  BUSY=
} | tee "$OUT/contention.csv"
