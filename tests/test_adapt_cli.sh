#!/usr/bin/env bash
# test_adapt_cli.sh: the adaptation flags of `rnnlm eval` and `rnnlm score`
# (docs/ADAPTATION.md) on the committed model tests/data/tiny.safetensors:
# eval prints the plain figures, then a line per adaptation; without effect
# (cache lambda 0) an adaptation is the one-stream figure, which is what
# `score --carry-state` gives; score's adapted lines keep the first
# segment's scores and say on stderr what ran; auto values are chosen on
# --adapt-dev; bad values and combinations are refused naming the flag.
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
R="$BUILD/rnnlm"
M=tests/data/tiny.safetensors
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_adapt_cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
printf 'Mary had a little lamb .\nThe lamb was white as snow .\nMary had a little lamb .\nThe lamb was white as snow .\n' \
  > "$tmp/t.txt"
printf 'The lamb had a little lamb .\nMary was white as snow .\n' > "$tmp/dev.txt"

# --- eval: the lines, and lambda 0 is the one stream -------------------------------
"$R" eval "$M" "$tmp/t.txt" --threads 1 --dynamic-lr 0.1 --dynamic-decay 0.01 --cache-size 20 --cache-lambda 0.2 \
  > "$tmp/eval" 2> "$tmp/err" || fail "eval with both adaptations exited $?: $(cat "$tmp/err")"
grep -q '^perplexity ' "$tmp/eval" || fail "eval: no plain perplexity: $(cat "$tmp/eval")"
grep -q '^one stream (B 1), no adaptation: ppl [0-9.]*$' "$tmp/eval" || fail "eval: no one-stream line"
grep -q '^dynamic evaluation (lr 0.1, decay 0.01, segment 20): ppl [0-9.]*$' "$tmp/eval" || fail "eval: no dynamic line"
grep -q '^continuous cache (N 20, theta 0.3, lambda 0.2): ppl [0-9.]*$' "$tmp/eval" || fail "eval: no cache line"
grep -q '^dynamic evaluation (.*) + continuous cache (.*): ppl [0-9.]*$' "$tmp/eval" || fail "eval: no combined line"
one=$(sed -n 's/^one stream (B 1), no adaptation: ppl //p' "$tmp/eval")
cache=$(sed -n 's/^continuous cache .*: ppl //p' "$tmp/eval")
awk -v a="$cache" -v b="$one" 'BEGIN { exit !(a < b) }' || fail "eval: the cache ($cache) does not help a repeated text ($one)"
"$R" eval "$M" "$tmp/t.txt" --threads 1 --cache-size 20 --cache-lambda 0 > "$tmp/eval0" || fail "eval lambda 0 exited $?"
c0=$(sed -n 's/^continuous cache .*: ppl //p' "$tmp/eval0")
[ -n "$c0" ] && [ "$c0" = "$one" ] || fail "eval: cache lambda 0 ($c0) is not the one stream ($one)"
# the one stream's figure is score --carry-state's: ppl over words and ends
"$R" score "$M" "$tmp/t.txt" --carry-state --exact > "$tmp/carried" 2>/dev/null || fail "score --carry-state exited $?"
awk -F'\t' -v want="$one" '{ lp += $1; n += $3 + 1 } END { p = exp(-lp / n); exit !((p - want) ^ 2 < 1e-6) }' \
  "$tmp/carried" || fail "eval: one stream ($one) is not score --carry-state's perplexity"

# --- score: adapted lines -------------------------------------------------------------
"$R" score "$M" "$tmp/t.txt" --cache-size 5 --cache-lambda 0 --exact > "$tmp/s0" 2> "$tmp/err" ||
  fail "score lambda 0 exited $?"
grep -q 'rnnlm score: adapted: continuous cache (N 5, theta 0.3, lambda 0), the text scored in order as one stream' \
  "$tmp/err" || fail "score: stderr does not name the adaptation: $(cat "$tmp/err")"
paste "$tmp/s0" "$tmp/carried" | awk -F'\t' '{ d = $1 - $6; if (d * d > 1e-10) exit 1 }' ||
  fail "score: cache lambda 0 differs from --carry-state"
"$R" score "$M" "$tmp/t.txt" --dynamic-lr 0.5 --dynamic-segment 16 --exact > "$tmp/sd" 2> "$tmp/err" ||
  fail "score --dynamic-lr exited $?"
grep -q 'adapted: dynamic evaluation (lr 0.5, decay 0, segment 16)' "$tmp/err" || fail "score: dynamic not named"
[ "$(wc -l < "$tmp/sd")" -eq 4 ] || fail "score --dynamic-lr: expected 4 lines"
# the first two lines (15 pairs) lie in the first segment: the trained weights' scores
paste "$tmp/sd" "$tmp/carried" | head -n 2 | awk -F'\t' '{ d = $1 - $6; if (d * d > 1e-10) exit 1 }' ||
  fail "score --dynamic-lr: the first segment's lines differ from the plain model's"
paste "$tmp/sd" "$tmp/carried" | tail -n 2 | awk -F'\t' '{ d = $1 - $6; if (d * d > 1e-10) n++ } END { exit !n }' ||
  fail "score --dynamic-lr: no later line adapted"

# --- auto values on --adapt-dev ---------------------------------------------------------
"$R" eval "$M" "$tmp/t.txt" --threads 1 --dynamic-lr auto --cache-size 10 --cache-lambda auto --adapt-dev "$tmp/dev.txt" \
  > "$tmp/auto" 2> "$tmp/err" || fail "eval auto exited $?: $(cat "$tmp/err")"
[ "$(grep -c '^adapt-dev: dynamic evaluation' "$tmp/auto")" -eq 5 ] || fail "eval auto: not 5 rates: $(cat "$tmp/auto")"
[ "$(grep -c '^adapt-dev: continuous cache' "$tmp/auto")" -eq 4 ] || fail "eval auto: not 4 lambdas"
grep -q '^adapt-dev: chose --dynamic-lr ' "$tmp/auto" || fail "eval auto: no rate chosen"
grep -q '^adapt-dev: chosen: ' "$tmp/auto" || fail "eval auto: no choice line"
"$R" score "$M" "$tmp/t.txt" --cache-size 10 --cache-theta auto --adapt-dev "$tmp/dev.txt" > /dev/null 2> "$tmp/err" ||
  fail "score auto exited $?"
grep -q '^rnnlm score: adapt-dev: chose --cache-theta ' "$tmp/err" || fail "score auto: no choice on stderr"

# --- refusals: one line naming the flag, status 2 ----------------------------------------
expect_run 2 "--dynamic-lr" "$R" eval "$M" "$tmp/t.txt" --dynamic-lr -0.1
expect_run 2 "--dynamic-lr" "$R" score "$M" "$tmp/t.txt" --dynamic-lr fast
expect_run 2 "--dynamic-segment" "$R" eval "$M" "$tmp/t.txt" --dynamic-lr 0.1 --dynamic-segment 0
expect_run 2 "--dynamic-decay" "$R" eval "$M" "$tmp/t.txt" --dynamic-lr 0.1 --dynamic-decay 1.5
expect_run 2 "--cache-lambda" "$R" eval "$M" "$tmp/t.txt" --cache-size 10 --cache-lambda 1
expect_run 2 "--cache-lambda" "$R" score "$M" "$tmp/t.txt" --cache-size 10 --cache-lambda -0.1
expect_run 2 "--cache-size" "$R" eval "$M" "$tmp/t.txt" --cache-size 1000000000
expect_run 2 "--cache-theta" "$R" eval "$M" "$tmp/t.txt" --cache-size 10 --cache-theta -1
expect_run 2 "--adapt-dev" "$R" eval "$M" "$tmp/t.txt" --dynamic-lr auto
expect_run 2 "--adapt-dev" "$R" eval "$M" "$tmp/t.txt" --dynamic-lr 0.1 --adapt-dev "$tmp/dev.txt"
expect_run 2 "--cache-size" "$R" eval "$M" "$tmp/t.txt" --cache-lambda auto --adapt-dev "$tmp/dev.txt"
expect_run 2 "--ngram" "$R" eval "$M" "$tmp/t.txt" --cache-size 10 --carry-state
expect_run 2 "--independent" "$R" score "$M" "$tmp/t.txt" --dynamic-lr 0.1 --independent
expect_run 1 "$tmp/missing.txt" "$R" eval "$M" "$tmp/t.txt" --dynamic-lr auto --adapt-dev "$tmp/missing.txt"
[ "$failures" -eq 0 ] || exit 1
echo "test_adapt_cli: ok"
