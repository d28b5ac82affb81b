#!/usr/bin/env bash
# Sampled softmax against the full softmax, in one run, with rnnlm train on
# Brown (docs/RECIPE.md section 4):
#   1. the industrial configuration (V = 10000, H = 200, L = 2 LSTM, B = 100,
#      T = 25, Adam 0.01, clip 5, dropout 0.1), EPOCHS epochs of each loss:
#      sampled K = 1024 (lazy Adam) and full; test perplexity (always the full
#      softmax) and seconds per epoch. Targets: sampled within 10% of the full
#      run's test perplexity, each epoch >= 2.5x faster.
#   2. Brown's whole vocabulary (48,174 ids: every canonical word + 3
#      specials, a cap far above it): STEPS steps of each loss, seconds per
#      epoch extrapolated from them, and peak resident memory (GNU time).
#      Target: sampled >= 8x faster per epoch.
# usage: bench/bench_sampled.sh [BUILD_DIR] [EPOCHS] [STEPS] [THREADS]
# env PARTS: which parts to run (default "12")
set -euo pipefail
PARTS=${PARTS:-12}
cd "$(dirname "$0")/.."
B=${1:-build}; EPOCHS=${2:-2}; STEPS=${3:-30}; TH=${4:-2}
R="$B/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_sampled.XXXXXX"); trap 'rm -rf "$tmp"' EXIT

# run NAME ARGS...: rnnlm train under GNU time; the log in $tmp/NAME.log
run() {
  local name=$1; shift
  "$TIME" -v "$R" train --corpus brown --threads "$TH" "$@" >"$tmp/$name.log" 2>"$tmp/$name.time" \
    || { cat "$tmp/$name.log" "$tmp/$name.time" >&2; exit 1; }
}
# tokens/s of each epoch's training steps (the epoch line; evaluation not
# included), seconds per epoch of the recipe's split (EPOCH_STEPS steps of
# B T = 2500 tokens), the last test perplexity, peak RSS MB
epoch_tps() { tr '\r' '\n' <"$tmp/$1.log" | sed -n 's/^epoch [0-9]*\/[0-9]* - [0-9]*s - \([0-9.]*\) tok\/s.*/\1/p'; }
epoch_secs() { epoch_tps "$1" | awk -v e="$EPOCH_STEPS" '{printf "%.1f\n", e * 2500 / $1}'; }
test_ppl()  { sed -n 's/.*test_ppl \([0-9.]*\).*/\1/p' "$tmp/$1.log" | tail -n 1; }
rss_mb()    { awk '/Maximum resident set size/ {printf "%.0f", $NF / 1024}' "$tmp/$1.time"; }
mean()      { awk '{s += $1; n++} END {printf "%.1f", n ? s / n : 0}'; }

# steps of one epoch on the recipe's split (the same for every V: ids, not words)
EPOCH_STEPS=$("$R" data --corpus brown --batch-size 100 --max-time 25 2>/dev/null |
              sed -n 's/^stateful batches: \([0-9]*\) .*/\1/p')
[ -n "$EPOCH_STEPS" ] || { echo "rnnlm data: cannot read the number of batches"; exit 1; }

if [[ $PARTS == *1* ]]; then
echo "== 1. industrial configuration, V = 10000, $EPOCHS epoch(s) each, $TH thread(s)"
run sampled --epochs "$EPOCHS" --loss sampled --samples 1024
run full --epochs "$EPOCHS" --loss full
for n in sampled full; do
  printf '%-8s epochs: %s s; mean %s s/epoch; test perplexity %s; peak RSS %s MB\n' "$n" \
    "$(epoch_secs $n | tr '\n' ' ' | sed 's/ $//')" "$(epoch_secs $n | mean)" "$(test_ppl $n)" "$(rss_mb $n)"
done
awk -v ps="$(test_ppl sampled)" -v pf="$(test_ppl full)" -v ts="$(epoch_secs sampled | mean)" \
    -v tf="$(epoch_secs full | mean)" 'BEGIN {
  d = 100 * (ps - pf) / pf; x = tf / ts
  printf "sampled/full test perplexity: %+.1f%% (target within 10%%): %s\n", d, (d <= 10 ? "met" : "MISSED")
  printf "speed-up per epoch: %.2fx (target >= 2.5x): %s\n", x, (x >= 2.5 ? "met" : "MISSED")
}'

fi
[[ $PARTS == *2* ]] || exit 0
echo "== 2. whole vocabulary (--vocab-size 1000000), $STEPS steps each, $TH thread(s)"
# a small test split keeps the full-softmax evaluation short; the epoch
# length is the recipe's split's (EPOCH_STEPS)
run whole_sampled --vocab-size 1000000 --epochs 1 --max-steps "$STEPS" --loss sampled --samples 1024 --split 0.99
run whole_full --vocab-size 1000000 --epochs 1 --max-steps "$STEPS" --loss full --split 0.99
V=$(sed -n 's/.* V = \([0-9]*\).*/\1/p' "$tmp/whole_full.log" | head -n 1)
for n in whole_sampled whole_full; do
  awk -v t="$(epoch_tps $n | tail -n 1)" -v k="$STEPS" -v e="$EPOCH_STEPS" -v n="$n" -v m="$(rss_mb $n)" -v V="$V" 'BEGIN {
    printf "%-13s V = %s: %.3f s/step over %d steps -> %.0f s per epoch of %d steps; peak RSS %s MB\n", n, V, 2500 / t, k, 2500 / t * e, e, m }'
done
awk -v a="$(epoch_secs whole_sampled | tail -n 1)" -v b="$(epoch_secs whole_full | tail -n 1)" 'BEGIN {
  x = b / a; printf "whole vocabulary speed-up: %.1fx (target >= 8x): %s\n", x, (x >= 8 ? "met" : "MISSED") }'
