#!/usr/bin/env bash
# load_bench.sh — loading landmark files: `signstgcn inspect` next to numpy's np.load.
#
#   bash bench/load_bench.sh [signstgcn binary] [work folder]
#
# Makes (once) N=1000 files of T=300 frames (pose 33x4, hands 2x21x3, face 478x3, float32,
# np.savez) with tools/make_bench_npz.py, then times
#   signstgcn inspect --include-hands --include-face     (one thread: OMP_NUM_THREADS=1)
#   np.load of every member of every file                 (bench/npz_load_numpy.py)
# on the same files, each run once to warm the page cache and once timed, and reports both
# times, their ratio, and the C process's peak resident memory next to the dataset's float32
# landmark size. CPU time (user+sys) is printed beside wall time: on a shared machine the
# wall clock measures the neighbours as much as the program. Not a test: it needs ~2 GB of
# disk and ~2 GB of memory.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/signstgcn}
WORK=${2:-${TMPDIR:-/tmp}/signstgcn-load-bench}
N=${N:-1000}
T=${T:-300}
PY=/usr/bin/python3

echo "files: $N x $T frames in $WORK"
$PY tools/make_bench_npz.py --out "$WORK" --files "$N" --frames "$T"

run_c() {
    OMP_NUM_THREADS=1 /usr/bin/time -v "$BIN" inspect --data "$WORK" --include-hands \
        --include-face >"$WORK.out" 2>"$WORK.time"
}
run_c
run_c
c_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); s = 0;
      for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s}' "$WORK.time")
c_cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$WORK.time")
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK.time")
land=$(awk '/landmark bytes/ {print $3}' "$WORK.out")

$PY bench/npz_load_numpy.py "$WORK" >/dev/null
read -r py_s py_cpu py_bytes py_files < <($PY bench/npz_load_numpy.py "$WORK")

awk -v c="$c_s" -v p="$py_s" -v cc="$c_cpu" -v pc="$py_cpu" -v rss="$rss_kb" -v land="$land" \
    -v pb="$py_bytes" 'BEGIN {
    printf "                              wall s    CPU s (user+sys)\n"
    printf "signstgcn inspect (1 thread): %8.2f %8.2f  (whole process)\n", c, cc
    printf "numpy np.load (1 thread):     %8.2f %8.2f  (loads only; %.2f GB of float32)\n",
           p, pc, pb / 1e9
    printf "ratio numpy / signstgcn:      %8.2f %8.2f\n", p / c, pc / cc
    printf "peak RSS of signstgcn:        %8.1f MB\n", rss / 1024
    printf "float32 landmarks held:       %8.1f MB  (RSS / landmarks = %.3f)\n",
           land / 1048576, rss * 1024 / land
}'
