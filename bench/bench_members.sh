#!/usr/bin/env bash
# bench_members.sh [BUILD_DIR] [ROUNDS] [TOKENS] [B]: what `--members` costs in tokens
# a second on this machine (docs/ENSEMBLE.md). Each round trains the
# `hour` preset's model (tied LSTM 2 x 400, adaptive softmax, AR/TAR,
# --precision bf16 where the CPU has it, else fp32) for about TOKENS
# tokens (default 134,400: 60 steps of B = 64) in two ways, one after the
# other: one run with every core (`--threads 0`), then the cores' count of
# single-threaded runs side by side (what `--members N` starts). Prints each
# round's tokens a second (the training line of `epoch 1/1`), the sum of the
# members' and the ratio sum / lone run: the ensemble's tokens a second
# against one model's, and per member (ratio / N) the share of a lone run's
# epochs each member gets in the same hour. Timings are informative only.
# BUILD_DIR defaults to build; needs the Brown corpus (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${2:-3}; TOKENS=${3:-134400}; B=${4:-64}
R="${1:-build}/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
N=$(nproc)
[ "$N" -ge 2 ] || { echo "one core: nothing to share out"; exit 0; }
grep -qw avx512_bf16 /proc/cpuinfo && prec=bf16 || prec=fp32
steps=$(( (TOKENS + B * 35 - 1) / (B * 35) ))
dir=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_members.XXXXXX"); trap 'rm -rf "$dir"' EXIT
run=("$R" train --config medium --softmax adaptive --ar 2 --tar 1 --precision "$prec" --batch-size "$B"
     --budget-steps "$steps" --max-steps "$steps")
tok() { grep -h '^epoch 1/1' "$1" | grep -o '[0-9]* tok/s' | awk '{print $1}'; }

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $N cores, $prec products;" \
     "$steps steps of B = $B a run"
for r in $(seq "$ROUNDS"); do
  rm -rf "$dir"/*
  "${run[@]}" --threads 0 --save-dir "$dir/lone" > "$dir/lone.log" 2>&1
  for k in $(seq "$N"); do
    "${run[@]}" --threads 1 --train-seed "$k" --save-dir "$dir/m$k" > "$dir/m$k.log" 2>&1 &
  done
  wait
  lone=$(tok "$dir/lone.log"); sum=0; each=""
  for k in $(seq "$N"); do t=$(tok "$dir/m$k.log"); sum=$((sum + t)); each="$each $t"; done
  awk -v r="$r" -v l="$lone" -v s="$sum" -v e="$each" -v n="$N" 'BEGIN {
    printf "round %d: one run, %d threads: %d tok/s; %d single-threaded runs side by side:%s = %d tok/s; " \
           "ratio %.2f (each member %.2f of the lone run)\n", r, n, l, n, e, s, s / l, s / l / n }'
done
