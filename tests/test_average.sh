#!/usr/bin/env bash
# test_average.sh: while weight averaging is on, validation and the test
# evaluate the averaged weights, not the live ones. A small GRU trained 3
# epochs with --average 2 (the mean of the weights from epoch 2 on): each
# averaged epoch's printed valid_loss is `rnnlm eval` of that epoch's kept
# checkpoint (epoch-N.safetensors holds the weights it was validated with),
# and differs from the live weights' (last.safetensors); the printed test_loss
# is the averaged weights' whether they come from best.safetensors or from
# memory (no --save-dir), and so is the test file's loss when it validates
# each epoch (no --valid).
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
R="${BUILD:-build}/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_average.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }

awk 'BEGIN { s = 5; for (i = 0; i < 400; i++) { n = 3 + i % 8; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " w" int(s / 65536) % 80 }
  print substr(line, 2) } }' > "$tmp/all.txt"
head -n 300 "$tmp/all.txt" > "$tmp/train.txt"
sed -n 301,350p "$tmp/all.txt" > "$tmp/valid.txt"
tail -n 50 "$tmp/all.txt" > "$tmp/test.txt"
shape=(--batch-size 4 --max-time 6)
run=(--train "$tmp/train.txt" --vocab-size 60 --cell gru --layers 1 --hidden 12 "${shape[@]}" --epochs 3
     --average 2 --threads 1 --test "$tmp/test.txt")

# the cross-entropy of a checkpoint on a file, as training prints a loss (4 decimals)
eval_loss() {
  "$R" eval "$1" "$2" --recipe-batching "${shape[@]}" --threads 1 2>/dev/null |
    awk '/^cross-entropy/ { printf "%.4f\n", $2 }'
}
# field NAME of the line of epoch E/3 (or the test line when E is "test")
printed() {
  if [ "$2" = test ]; then grep '^test: ' "$1"; else grep "^epoch $2/3 " "$1"; fi |
    tr ' ' '\n' | grep -A1 -x "$3" | tail -n 1
}

"$R" train "${run[@]}" --valid "$tmp/valid.txt" --save-dir "$tmp/saved" --keep-epochs > "$tmp/saved.log" 2>&1 ||
  { tail -n 5 "$tmp/saved.log"; fail "training with --save-dir"; }
grep -q '^epoch 3/3 .*(averaged over [0-9]* steps)' "$tmp/saved.log" || fail "epoch 3 not averaged: $(grep '^epoch 3/3' "$tmp/saved.log")"
for e in 2 3; do
  got=$(printed "$tmp/saved.log" "$e" valid_loss)
  want=$(eval_loss "$tmp/saved/epoch-$e.safetensors" "$tmp/valid.txt")
  [ -n "$got" ] && [ "$got" = "$want" ] || fail "epoch $e: valid_loss $got, the averaged weights' $want"
done
live=$(eval_loss "$tmp/saved/last.safetensors" "$tmp/valid.txt")
[ "$live" != "$(printed "$tmp/saved.log" 3 valid_loss)" ] ||
  fail "the live weights' valid loss $live equals the averaged ones': the test cannot tell them apart"
averaged_test=$(eval_loss "$tmp/saved/epoch-3.safetensors" "$tmp/test.txt")
grep -q '^test: the best checkpoint .*, epoch 3 ' "$tmp/saved.log" || fail "the test did not use epoch 3's best checkpoint: $(grep '^test' "$tmp/saved.log")"
got=$(printed "$tmp/saved.log" test test_loss)
[ "$got" = "$averaged_test" ] || fail "test_loss $got (best checkpoint), the averaged weights' $averaged_test"
[ "$got" != "$(eval_loss "$tmp/saved/last.safetensors" "$tmp/test.txt")" ] || fail "test: live and averaged weights agree"

# no --save-dir: the best weights kept in memory
"$R" train "${run[@]}" --valid "$tmp/valid.txt" > "$tmp/kept.log" 2>&1 || { tail -n 5 "$tmp/kept.log"; fail "training in memory"; }
grep -q '^test: the best weights (kept in memory), epoch 3 ' "$tmp/kept.log" || fail "kept: $(grep '^test' "$tmp/kept.log")"
got=$(printed "$tmp/kept.log" test test_loss)
[ "$got" = "$averaged_test" ] || fail "test_loss $got (kept in memory), the averaged weights' $averaged_test"

# no --valid: the test file validates each epoch, averaged weights again
# (validation changes nothing in training: the same weights as above)
"$R" train "${run[@]}" > "$tmp/final.log" 2>&1 || { tail -n 5 "$tmp/final.log"; fail "training without --valid"; }
got=$(printed "$tmp/final.log" 3 test_loss)
[ "$got" = "$averaged_test" ] || fail "epoch 3 test_loss $got (no --valid), the averaged weights' $averaged_test"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "ok"
