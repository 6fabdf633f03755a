#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds (CMake release build in
# build/), writes the synthetic demo dataset into demo/data with `signstgcn synth`, then
# looks at it with `signstgcn inspect` and writes its signer-disjoint splits with
# `signstgcn splits`.
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

echo "== signstgcn synth: demo dataset in $DATA =="
# demo/ belongs to this script: a fresh dataset every run (no stale files from other sizes)
rm -rf "$DATA"
mkdir -p "$DEMO"
"$BIN" synth --out "$DATA" --seed 0

echo "== signstgcn inspect --data $DATA --include-hands --stride 5 =="
"$BIN" inspect --data "$DATA" --include-hands --stride 5 | tail -n 20

# The demo's sign classes are s1..s4 between rest stretches labelled n: stratify the
# split on one sign class, signer-disjoint with the dataset's signers.txt.
echo "== signstgcn splits --data $DATA --s-label s1 =="
"$BIN" splits --data "$DATA" --s-label s1 --stride 5
echo "demo data in $DATA, splits in $DATA/splits.json"
