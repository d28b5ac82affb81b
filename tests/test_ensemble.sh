#!/usr/bin/env bash
# test_ensemble.sh: `rnnlm train --members N` and `rnnlm eval --ensemble`
# (docs/ENSEMBLE.md):
#  - two members train side by side into DIR/member-1 and DIR/member-2,
#    member 2 printing into DIR/member-2.log; each is the lone run of its
#    seed at its threads (the same test figure as that run: member 1 with
#    --train-seed 1, member 2 with --train-seed 2), and their weights differ;
#  - the ensemble's test figure, printed at the end, is what `rnnlm eval
#    MEMBER1 --ensemble MEMBER2` gives, and lies below the mean of the two
#    members' cross-entropies;
#  - a member resumes as a lone run;
#  - refusals: --members without --save-dir, out of range, with --resume; a
#    member that fails (its directory holds another run) ends the command
#    with status 1 naming its log; --ensemble with --recipe-batching, with
#    an adaptation, and with a member of another vocabulary (eval and score);
#  - the sentence path: score's per-word probability is the mean of the
#    members' (lines independent, and with the state carried), and eval
#    --independent --ensemble scores the mixture.
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
. tests/lib.sh
R="${BUILD:-build}/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_ensemble.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
short=(--config toy --epochs 2 --max-steps 4 --threads 1)

# the test_ppl of the line starting with $2 in file $1
ppl_of() { grep "^$2" "$1" | grep -o 'test_ppl [0-9.]*' | head -n 1 | cut -d' ' -f2; }
# the best perplexity a run printed in file $1 (toy validates on its test sequence)
best_of() { grep -o '^best test perplexity [0-9.]*' "$1" | awk '{print $NF}'; }

# --- two members -------------------------------------------------------------------
if ! "$R" train "${short[@]}" --members 2 --save-dir "$tmp/e" > "$tmp/ens.out" 2> "$tmp/ens.err" < /dev/null; then
  fail "train --members 2: $(head -c 400 "$tmp/ens.err")"
fi
for k in 1 2; do
  [ -f "$tmp/e/member-$k/best.safetensors" ] || fail "no member-$k/best.safetensors"
done
grep -q "ensemble member 2 of 2: --train-seed 2, 1 thread" "$tmp/e/member-2.log" ||
  fail "member-2.log does not open with its seed: $(head -n 2 "$tmp/e/member-2.log")"
grep -q "ensemble member 1 of 2: --train-seed 1" "$tmp/ens.out" || fail "member 1 does not print on stdout"
cmp -s "$tmp/e/member-1/best.safetensors" "$tmp/e/member-2/best.safetensors" && fail "the members' weights are the same"
ens=$(ppl_of "$tmp/ens.out" "ensemble of 2: test")
[ -n "$ens" ] || fail "no ensemble test line: $(tail -n 5 "$tmp/ens.out")"

# each member is the lone run of its seed
for k in 1 2; do
  "$R" train "${short[@]}" --train-seed $k --save-dir "$tmp/lone$k" > "$tmp/lone$k.out" 2>&1 < /dev/null ||
    fail "lone run of seed $k: $(tail -n 2 "$tmp/lone$k.out")"
done
m1=$(best_of "$tmp/ens.out"); l1=$(best_of "$tmp/lone1.out")
m2=$(best_of "$tmp/e/member-2.log"); l2=$(best_of "$tmp/lone2.out")
[ -n "$m1" ] && [ "$m1" = "$l1" ] || fail "member 1's test ppl '$m1', the lone run's '$l1'"
[ -n "$m2" ] && [ "$m2" = "$l2" ] || fail "member 2's test ppl '$m2', the lone run's '$l2'"
[ "$m1" != "$m2" ] || fail "both members have test ppl $m1"

# the same figure from rnnlm eval (the command the run printed), below the members' mean cross-entropy
grep -qF "rnnlm eval $tmp/e/member-1/best.safetensors --ensemble $tmp/e/member-2/best.safetensors --corpus toy" \
  "$tmp/ens.out" || fail "the run does not print the eval command: $(tail -n 1 "$tmp/ens.out")"
if ! "$R" eval "$tmp/e/member-1/best.safetensors" --ensemble "$tmp/e/member-2/best.safetensors" --corpus toy \
    > "$tmp/eval.out" 2> "$tmp/eval.err" < /dev/null; then
  fail "eval --ensemble: $(head -c 400 "$tmp/eval.err")"
fi
again=$(grep -o 'ensemble of 2 (equal weights): perplexity [0-9.]*' "$tmp/eval.out" | awk '{print $NF}')
[ -n "$again" ] && awk -v a="$again" -v b="$ens" 'BEGIN { exit !(a - b < 0.006 && b - a < 0.006) }' ||
  fail "eval --ensemble gives '$again', train printed '$ens'"
grep -c '^member [12]: ' "$tmp/eval.out" | grep -qx 2 || fail "eval does not print both members"
read -r p1 p2 < <(grep -o '^member [12]: .* perplexity [0-9.]*' "$tmp/eval.out" | awk '{print $NF}' | tr '\n' ' ')
awk -v e="$again" -v a="$p1" -v b="$p2" 'BEGIN { exit !(log(e) < (log(a) + log(b)) / 2) }' ||
  fail "the ensemble's $again is not below the members' mean cross-entropy ($p1, $p2)"

# the sentence path: score's per-word P is the mean of the members' own, lines
# independent and with the state carried; eval --independent prints the same perplexity
M1="$tmp/e/member-1/best.safetensors" M2="$tmp/e/member-2/best.safetensors"
printf 'a b c\nthe quick fox\n\nb a\n' > "$tmp/text.txt"
for mode in --independent --carry-state; do
  ok=1
  "$R" score "$M1" "$tmp/text.txt" --per-word --exact $mode > "$tmp/s1" 2>/dev/null || ok=0
  "$R" score "$M2" "$tmp/text.txt" --per-word --exact $mode > "$tmp/s2" 2>/dev/null || ok=0
  "$R" score "$M1" "$tmp/text.txt" --per-word --exact $mode --ensemble "$M2" > "$tmp/se" 2> "$tmp/se.err" || ok=0
  [ "$ok" -eq 1 ] || fail "score $mode: $(cat "$tmp/se.err")"
  grep -q "ensemble: .* and 1 more" "$tmp/se.err" || fail "score $mode does not say it scores an ensemble"
  paste "$tmp/s1" "$tmp/s2" "$tmp/se" | awk -F'\t' -v mode="$mode" '
    $1 == "" { n++; want = ($3 + $7) / 2; if ((want - $11) > 1e-9 * want || ($11 - want) > 1e-9 * want) bad++ }
    END { if (!n || bad) { printf "FAIL score %s: %d of %d words are not the mean of the members\n", mode, bad, n; exit 1 } }' ||
    failures=$((failures + 1))
done
"$R" eval "$M1" "$tmp/text.txt" --independent --ensemble "$M2" > "$tmp/ev" 2>&1 || fail "eval --independent --ensemble"
grep -q "^ensemble: " "$tmp/ev" && grep -q "^perplexity " "$tmp/ev" || fail "eval --independent --ensemble: $(cat "$tmp/ev")"

# a member resumes as a lone run (one epoch more)
"$R" train --resume "$tmp/e/member-2/last.safetensors" --epochs 3 --threads 1 > "$tmp/res.out" 2>&1 < /dev/null ||
  fail "resuming member 2: $(tail -n 2 "$tmp/res.out")"
grep -q "resumed from" "$tmp/res.out" || fail "member 2 did not resume: $(head -n 3 "$tmp/res.out")"

# --- refusals ----------------------------------------------------------------------
expect_run 2 "--save-dir" "$R" train "${short[@]}" --members 2
expect_run 2 "--members" "$R" train "${short[@]}" --members 0 --save-dir "$tmp/z"
expect_run 2 "--members" "$R" train "${short[@]}" --members 65 --save-dir "$tmp/z"
expect_run 2 "--members" "$R" train --resume "$tmp/e/member-1/last.safetensors" --members 2
mkdir -p "$tmp/f/member-2" && cp "$tmp/e/member-1/last.safetensors" "$tmp/f/member-2/"
expect_run 1 "member 2 failed" "$R" train "${short[@]}" --members 2 --save-dir "$tmp/f"
grep -q "member-2.log" "$tmp/err" || fail "the failed member's log is not named: $(cat "$tmp/err")"
grep -q "another run" "$tmp/f/member-2.log" || fail "member 2's log lacks the cause: $(tail -n 2 "$tmp/f/member-2.log")"
expect_run 2 "--ensemble" "$R" eval "$M1" --ensemble "$M2" --corpus toy --recipe-batching
expect_run 2 "--ensemble" "$R" eval "$M1" --ensemble "$M2" --corpus toy --dynamic-lr 0.1
expect_run 2 "--ensemble" "$R" score "$M1" "$tmp/text.txt" --ensemble "$M2" --dynamic-lr 0.1
for i in $(seq 60); do echo "the cat sat on the mat $((i % 7))"; done > "$tmp/small.txt"
"$R" train "${short[@]}" --train "$tmp/small.txt" --save-dir "$tmp/small" > /dev/null 2>&1 < /dev/null || fail "small-corpus run"
expect_run 1 "vocabulary" "$R" eval "$M1" --ensemble "$tmp/small/last.safetensors" --corpus toy
expect_run 1 "vocabulary" "$R" score "$M1" "$tmp/text.txt" --ensemble "$tmp/small/last.safetensors"
expect_run 1 "cannot" "$R" eval "$M1" --ensemble "$tmp/nothing.safetensors" --corpus toy

[ "$failures" -eq 0 ] && echo "test_ensemble.sh: ok" || exit 1
