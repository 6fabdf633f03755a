#!/usr/bin/env bash
# pose_load_bench.sh — loading a .pose dataset next to the same data as npz: `signstgcn
# inspect` on both folders and numpy's np.load of the npz files.
#
#   bash bench/pose_load_bench.sh [signstgcn binary] [work folder]
#
# Makes (once) N=200 npz files of T=300 frames (pose 33x4, hands 2x21x3, face 478x3, float32,
# np.savez; tools/make_bench_npz.py), converts them with `signstgcn convert --to pose` into
# <work>-pose/ (pose-format v0.2, XYZC, the same values), then times, each run once to warm
# the page cache and once measured, with one thread:
#   signstgcn inspect --include-hands --include-face on the npz folder
#   signstgcn inspect --include-hands --include-face on the .pose folder
#   np.load of every member of every npz file (bench/npz_load_numpy.py)
# and prints wall and CPU seconds (user+sys; on a shared machine the wall clock measures the
# neighbours too), the files' sizes on disk and signstgcn's peak resident memory. Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/signstgcn}
WORK=${2:-${TMPDIR:-/tmp}/signstgcn-pose-bench}
N=${N:-200}
T=${T:-300}
PY=/usr/bin/python3

echo "files: $N x $T frames in $WORK (npz) and $WORK-pose (.pose)"
$PY tools/make_bench_npz.py --out "$WORK" --files "$N" --frames "$T"
if [ ! -d "$WORK-pose" ] || [ "$(ls "$WORK-pose" | wc -l)" -ne "$N" ]; then
    rm -rf "$WORK-pose"
    "$BIN" convert "$WORK"/*.npz --to pose --out "$WORK-pose" --fps 25 >/dev/null
fi

# time_inspect DIR -> "wall cpu rss_kb"
time_inspect() {
    local dir=$1
    for _ in 1 2; do
        OMP_NUM_THREADS=1 /usr/bin/time -v "$BIN" inspect --data "$dir" --include-hands \
            --include-face >"$WORK.out" 2>"$WORK.time"
    done
    awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); s = 0;
        for (i = 1; i <= n; i++) s = s * 60 + a[i]; w = s}
        /User time|System time/ {c += $2}
        /Maximum resident set size/ {r = $2}
        END {print w, c, r}' "$WORK.time"
}
read -r npz_w npz_c npz_r < <(time_inspect "$WORK")
read -r pose_w pose_c pose_r < <(time_inspect "$WORK-pose")
$PY bench/npz_load_numpy.py "$WORK" >/dev/null
read -r py_w py_c py_bytes _ < <($PY bench/npz_load_numpy.py "$WORK")
npz_mb=$(du -sm "$WORK" | cut -f1)
pose_mb=$(du -sm "$WORK-pose" | cut -f1)

awk -v nw="$npz_w" -v nc="$npz_c" -v nr="$npz_r" -v pw="$pose_w" -v pc="$pose_c" \
    -v pr="$pose_r" -v yw="$py_w" -v yc="$py_c" -v yb="$py_bytes" -v nm="$npz_mb" \
    -v pm="$pose_mb" 'BEGIN {
    printf "                                   wall s   CPU s   peak RSS MB  on disk MB\n"
    printf "signstgcn inspect, npz (1 thread): %7.2f %7.2f %12.1f %11d\n", nw, nc, nr / 1024, nm
    printf "signstgcn inspect, .pose:          %7.2f %7.2f %12.1f %11d\n", pw, pc, pr / 1024, pm
    printf "numpy np.load, npz (loads only):   %7.2f %7.2f  (%.2f GB of float32)\n", yw, yc,
           yb / 1e9
    printf ".pose / npz (signstgcn):           %7.2f %7.2f\n", pw / nw, pc / nc
}'
