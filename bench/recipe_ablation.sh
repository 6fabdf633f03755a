#!/usr/bin/env bash
# The recogniser's training recipe, component by component, on the demo data: every recipe
# below trained with seeds 0..SEEDS-1 at the demo's own settings (scripts/demo.sh:
# --include-hands --stride 10 --batch 16, signer-disjoint splits), EPOCHS epochs, one thread
# per run (so the runs are bit-reproducible and two run side by side on two cores). Writes
# OUT/table.md: validation balanced accuracy, accuracy and F1 of the last epoch and test
# balanced accuracy (`signstgcn eval --split test`, a split no choice used), mean ± sample
# std over the seeds. Not a timing benchmark: accuracy only.
#
#   bash bench/recipe_ablation.sh [BIN] [OUT] [EPOCHS] [SEEDS]
#   ONLY="none standard" bash bench/recipe_ablation.sh ...   # a subset of the recipes
# A run whose metrics.csv already has EPOCHS rows is not trained again (only evaluated), so
# an interrupted ablation resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/signstgcn}
OUT=${2:-runs/recipe_ablation}
EPOCHS=${3:-3}
SEEDS=${4:-3}
DATA="$OUT/data"
mkdir -p "$OUT"
if [ ! -f "$DATA/splits.json" ]; then
  "$BIN" synth --out "$DATA" --seed 0 >/dev/null
  "$BIN" splits --data "$DATA" --s-label s1 --stride 5 >/dev/null
fi

# name|flags (each recipe differs from `standard` or `none` in one component group)
RECIPES=(
  "none|--augment none"
  "standard|--augment standard"
  "standard+mirror|--augment standard --aug-mirror 0.5"
  "none+streams|--augment none --features joints,bones,motion"
  "standard-no-spatial|--augment standard --aug-rotate 0 --aug-scale 0 --aug-shear 0 --aug-translate 0 --aug-jitter 0"
  "standard-no-drops|--augment standard --aug-frame-drop 0 --aug-hand-drop 0"
  "standard+speed|--augment standard --aug-speed 0.8,1.25"
  "standard+cosine|--augment standard --lr-schedule cosine"
  "none+cosine|--augment none --lr-schedule cosine"
  "standard+cosine-no-spatial|--augment standard --lr-schedule cosine --aug-rotate 0 --aug-scale 0 --aug-shear 0 --aug-translate 0 --aug-jitter 0"
  "standard+cosine-no-drops|--augment standard --lr-schedule cosine --aug-frame-drop 0 --aug-hand-drop 0"
)
# ONLY="none standard ..." runs (and tabulates) just those recipes
if [ -n "${ONLY:-}" ]; then
  kept=()
  for r in "${RECIPES[@]}"; do
    case " $ONLY " in *" ${r%%|*} "*) kept+=("$r") ;; esac
  done
  RECIPES=("${kept[@]}")
fi

run_one() { # name flags seed
  local dir="$OUT/$1/seed$3"
  if [ ! -f "$dir/metrics.csv" ] || [ "$(tail -n +2 "$dir/metrics.csv" | wc -l)" -lt "$EPOCHS" ]; then
    # shellcheck disable=SC2086
    "$BIN" train --data "$DATA" --include-hands --stride 10 --splits-json "$DATA/splits.json" \
      --batch 16 --epochs "$EPOCHS" --seed "$3" --threads 1 --log-csv --out "$dir" $2 \
      >"$dir.log" 2>&1 || { echo "train failed: $dir.log" >&2; return 1; }
  fi
  "$BIN" eval --ckpt "$dir/last.safetensors" --data "$DATA" --splits-json "$DATA/splits.json" \
    --split test --json "$dir/test.json" --out-dir "$dir" --threads 1 >/dev/null 2>&1 ||
    { echo "eval failed: $dir" >&2; return 1; }
}

jobs_run=()
for r in "${RECIPES[@]}"; do
  name=${r%%|*}; flags=${r#*|}
  for ((s = 0; s < SEEDS; s++)); do
    mkdir -p "$OUT/$name"
    run_one "$name" "$flags" "$s" &
    jobs_run+=($!)
    # two at a time: one per core
    if [ $(( ${#jobs_run[@]} % 2 )) -eq 0 ]; then wait "${jobs_run[@]}"; jobs_run=(); fi
  done
done
[ ${#jobs_run[@]} -eq 0 ] || wait "${jobs_run[@]}"

stats() { # values... -> "mean ± std"
  printf '%s\n' "$@" | awk '{x[NR]=$1; s+=$1} END {m=s/NR; v=0; for(i=1;i<=NR;i++) v+=(x[i]-m)^2;
    sd = NR > 1 ? sqrt(v/(NR-1)) : 0; printf "%.3f ± %.3f", m, sd}'
}
{
  echo "| recipe | flags | val bal. acc (last epoch) | val acc | val F1 | test bal. acc | per seed (val / test) |"
  echo "|---|---|---|---|---|---|---|"
  for r in "${RECIPES[@]}"; do
    name=${r%%|*}; flags=${r#*|}
    vb=(); va=(); vf=(); tb=(); per=()
    for ((s = 0; s < SEEDS; s++)); do
      dir="$OUT/$name/seed$s"
      last=$(tail -n 1 "$dir/metrics.csv")
      vb+=("$(echo "$last" | cut -d, -f8)"); va+=("$(echo "$last" | cut -d, -f5)")
      vf+=("$(echo "$last" | cut -d, -f7)")
      t=$(grep -o '"balanced_acc":[[:space:]]*[0-9.eE+-]*' "$dir/test.json" | head -n 1 | sed 's/.*:[[:space:]]*//')
      tb+=("$t")
      per+=("$(printf '%.3f/%.3f' "${vb[-1]}" "$t")")
    done
    echo "| $name | \`$flags\` | $(stats "${vb[@]}") | $(stats "${va[@]}") | $(stats "${vf[@]}") | $(stats "${tb[@]}") | ${per[*]} |"
  done
} >"$OUT/table.md"
cat "$OUT/table.md"
