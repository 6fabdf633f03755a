#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds (CMake release build in
# build/), writes the synthetic demo dataset into demo/data with `signstgcn synth`, then
# looks at it with `signstgcn inspect` and writes its splits with `signstgcn splits`
# (each run only when the binary has that command).
#
#   bash scripts/demo.sh                 # everything, as above
#   bash scripts/demo.sh BIN [DEMO_DIR]  # use an already built binary (make demo does)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
DEMO=${2:-demo}
if [ -z "$BIN" ]; then
  bash scripts/install-deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNSTGCN_WERROR=ON >/dev/null
  cmake --build build -j "$(nproc)"
  BIN=build/signstgcn
fi
DATA="$DEMO/data"

has_command() { "$BIN" --help | grep -qE "^  $1 "; }

echo "== signstgcn synth: demo dataset in $DATA =="
# demo/ belongs to this script: a fresh dataset every run (no stale files from other sizes)
rm -rf "$DATA"
mkdir -p "$DEMO"
"$BIN" synth --out "$DATA" --seed 0

for cmd in inspect splits; do
  if has_command "$cmd"; then
    echo "== signstgcn $cmd --data $DATA =="
    "$BIN" "$cmd" --data "$DATA"
  else
    echo "== signstgcn $cmd: not in this build yet, skipped =="
  fi
done
echo "demo data in $DATA"
