#!/usr/bin/env bash
# The adaptive softmax against the full softmax, in one run, with rnnlm train
# on Brown (V = 10000) in the industrial shape (H = 200, L = 2 LSTM, B = 100,
# T = 25, Adam 0.01, clip 5, dropout 0.1), 5% of the training sentences
# carved out as the validation split (the test split is not looked at):
#   1. equal steps: EPOCHS epochs of each head; validation perplexity after
#      each epoch, training tokens/s (the epoch lines: steps only);
#   2. equal time: the adaptive head for as long as the full run took (its
#      wall time, validations included), the validation perplexity of its
#      last finished epoch (a cut epoch is not validated).
# Prints the adaptive/full ratios of speed and perplexity.
# (Each run also tests its best weights at its end, as rnnlm train does; the
# figures here are the validation split's.)
# With SHAPE=hour: the `hour` preset's model instead (tied LSTM 2 x 400, its
# regularisers, B = 64, T = 35, precision auto), the tied full softmax
# against the tied adaptive one (no divisor: its clusters are full width),
# each run given EPOCHS epochs in place of the preset's hour.
# usage: bench/bench_adaptive.sh [BUILD_DIR] [EPOCHS] [THREADS]
# env CUTOFFS (default 2000,6000), DIV (default 4), SHAPE (industrial or hour)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}; EPOCHS=${2:-2}; TH=${3:-2}
CUTOFFS=${CUTOFFS:-2000,6000}; DIV=${DIV:-4}; SHAPE=${SHAPE:-industrial}
R="$B/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_adaptive.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
case $SHAPE in
  industrial) common=(--corpus brown --valid-split 0.05 --threads "$TH")
              adaptive=(--softmax adaptive --adaptive-cutoffs "$CUTOFFS" --adaptive-div "$DIV") ;;
  hour)       common=(--config hour --threads "$TH" --softmax full)
              adaptive=(--softmax adaptive --adaptive-cutoffs "$CUTOFFS"); DIV="none (tied)" ;;
  *) echo "SHAPE: industrial or hour, not '$SHAPE'"; exit 1 ;;
esac

# run NAME ARGS...: rnnlm train, its log in $tmp/NAME.log, its wall seconds in $tmp/NAME.secs
run() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$R" train "${common[@]}" "$@" --save-dir "$tmp/$name" >"$tmp/$name.log" 2>&1 \
    || { tail -n 20 "$tmp/$name.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f\n", b - a}' >"$tmp/$name.secs"
}
epochs()    { tr '\r' '\n' <"$tmp/$1.log" | grep -E '^epoch [0-9]+/[0-9]+ - '; }
valid_ppl() { epochs "$1" | sed -n 's/.*valid_ppl \([0-9.]*\).*/\1/p' | tail -n 1; }
tps()       { epochs "$1" | sed -n 's/^epoch [0-9]*\/[0-9]* - [0-9]*s - \([0-9.]*\) tok\/s.*/\1/p' |
              awk '{s += $1; n++} END {printf "%.0f", n ? s / n : 0}'; }
n_epochs()  { epochs "$1" | grep -c . || true; }

echo "== Brown V = 10000, $SHAPE shape, $TH thread(s); adaptive: cutoffs $CUTOFFS, div $DIV"
echo "-- 1. equal steps: $EPOCHS epoch(s) each"
run full --epochs "$EPOCHS"
run adaptive --epochs "$EPOCHS" "${adaptive[@]}"
grep -E '^(Output layer|Adaptive|Tail|Total|compute)' "$tmp/full.log" "$tmp/adaptive.log" | sed "s|^$tmp/||"
for n in full adaptive; do
  echo "$n:"
  epochs "$n" | sed 's/ - train_loss.*valid_loss [0-9.]* - / - /; s/^/  /'
  printf '  %s s wall, mean %s training tok/s, valid perplexity %s\n' "$(cat "$tmp/$n.secs")" "$(tps $n)" "$(valid_ppl $n)"
done
minutes=$(awk -v s="$(cat "$tmp/full.secs")" 'BEGIN {printf "%.3f", s / 60}')
echo "-- 2. equal time: the adaptive head for the full run's $(cat "$tmp/full.secs") s"
run adaptive_time --epochs 1000 --max-minutes "$minutes" "${adaptive[@]}"
printf 'adaptive: %s epoch(s) finished in %s s, valid perplexity %s\n' "$(n_epochs adaptive_time)" \
  "$(cat "$tmp/adaptive_time.secs")" "$(valid_ppl adaptive_time)"
awk -v tf="$(tps full)" -v ta="$(tps adaptive)" -v pf="$(valid_ppl full)" -v pa="$(valid_ppl adaptive)" \
    -v pt="$(valid_ppl adaptive_time)" 'BEGIN {
  printf "adaptive/full training tokens/s: %.2fx\n", ta / tf
  printf "adaptive/full valid perplexity at equal steps: %.3f (%+.1f%%)\n", pa / pf, 100 * (pa - pf) / pf
  printf "adaptive/full valid perplexity at equal time:  %.3f (%+.1f%%)\n", pt / pf, 100 * (pt - pf) / pf
}'
