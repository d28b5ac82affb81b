#!/usr/bin/env bash
# test_user_paths.sh: paths a user can type that once failed or misled:
#   - the toy corpus with the recipe's windowed pipeline trains end to end
#     (its 16 test pairs make one window: a smaller batch, not a refusal), and
#     a tiny training file trains in both pipelines;
#   - an error during training starts on a line of its own, never glued to an
#     unfinished progress bar or epoch summary;
#   - `rnnlm eval` of a file scores every prediction (the recipe's batching
#     drops the last n mod B; --recipe-batching keeps that figure);
#   - `rnnlm train --train A --valid B --test C` evaluates the best weights on C.
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
BUILD=${BUILD:-build}
R="$BUILD/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_user_paths.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }

# --- small data: a smaller batch, not a refusal ---------------------------------------
out=$("$R" train --config toy --pipeline windowed --threads 1 --epochs 3 2>&1) ||
  fail "train --config toy --pipeline windowed exited $?: $(echo "$out" | tail -n 3)"
[ "$(echo "$out" | grep -c '^epoch [0-9]*/3 .* - test_ppl [0-9.]* - test_acc ')" -eq 3 ] ||
  fail "toy windowed: not 3 validated epochs: $(echo "$out" | tail -n 3)"
printf 'the cat sat on the mat .\nthe dog sat .\n' > "$tmp/tiny.txt"
for pipe in stateful windowed; do
  out=$("$R" train --train "$tmp/tiny.txt" --valid "$tmp/tiny.txt" --pipeline $pipe --max-time 4 \
        --hidden 8 --layers 1 --epochs 2 --threads 1 2>&1) ||
    fail "train on a tiny file, $pipe: exited $?: $(echo "$out" | tail -n 3)"
  echo "$out" | grep -q '^note: the training data are too short for a batch of 100 x 4: batches of ' ||
    fail "train on a tiny file, $pipe: the smaller batch is not said: $out"
  [ "$(echo "$out" | grep -c '^epoch [0-9]*/2 .* - valid_ppl ')" -eq 2 ] ||
    fail "train on a tiny file, $pipe: not 2 validated epochs: $out"
done

# --- an error starts on its own line ---------------------------------------------------
# the epoch's summary is open when the log fails (a 2 KB file size limit): the
# error is the last line, after the ended summary, and the output ends its line
(trap '' XFSZ; ulimit -f 2; exec "$R" train --config toy --threads 1 --logdir "$tmp/lg" --log-every 1000000 \
   --epochs 50 2>&1) | cat > "$tmp/out"
tail -n 1 "$tmp/out" | grep -q '^rnnlm train: --logdir: .*File too large$' ||
  fail "log error: not the last line on its own: $(tail -n 2 "$tmp/out")"
tail -n 2 "$tmp/out" | head -n 1 | grep -q '^epoch [0-9]*/50 .* - train_acc [0-9.]*$' ||
  fail "log error: the summary before it is not ended: $(tail -n 2 "$tmp/out")"
[ "$(tail -c 1 "$tmp/out" | od -An -c | tr -d ' ')" = '\n' ] || fail "log error: the output does not end its line"
# on a terminal the progress bar is drawn in place: a failed save at step 3
# ends the bar's line before the error
if command -v script > /dev/null; then
  mkdir -p "$tmp/sd/last.safetensors/x"   # a directory where the checkpoint goes: the save fails
  script -qec "'$R' train --config toy --threads 1 --save-dir '$tmp/sd' --save-every 3" /dev/null \
    > "$tmp/pty" 2>&1 < /dev/null
  tr -d '\r' < "$tmp/pty" | grep -q '^rnnlm train: --save-dir: ' ||
    fail "save error on a terminal: glued to the progress bar: $(tr '\r\033' '|~' < "$tmp/pty" | tail -c 300)"
else
  # script(1) comes with bsdutils, an essential Debian package: never missing there
  fail "no script(1): the progress bar on a terminal cannot be checked"
fi

# --- eval: every prediction ------------------------------------------------------------
M=tests/data/tiny.safetensors
# A: 7 pairs, C: 8 pairs; together 15: B 2 rows of 7 and one pair left over,
# which continues row 2 (C's stream from its <s>): so the whole file's loss is
# A's plus C's, each evaluated alone as one stream
printf 'Mary had a little lamb .\n' > "$tmp/a.txt"
printf 'The lamb was white as snow .\n' > "$tmp/c.txt"
cat "$tmp/a.txt" "$tmp/c.txt" > "$tmp/ac.txt"
ev() { "$R" eval "$M" "$@" --threads 1; }
out=$(ev "$tmp/ac.txt" --batch-size 2 --max-time 4) || fail "eval exited $?"
echo "$out" | grep -q ' 15 predictions (B 2, T 4; the last 1 as one more row)$' || fail "eval: not every prediction: $out"
rec=$(ev "$tmp/ac.txt" --batch-size 2 --max-time 4 --recipe-batching) || fail "eval --recipe-batching exited $?"
echo "$rec" | grep -q ' 14 predictions (B 2, T 4; the last 1 dropped)$' || fail "eval --recipe-batching: $rec"
nats() { echo "$1" | sed -n 's/^cross-entropy \([0-9.]*\) nats.*/\1/p'; }
a=$(nats "$(ev "$tmp/a.txt" --batch-size 1)"); c=$(nats "$(ev "$tmp/c.txt" --batch-size 1)"); ac=$(nats "$out")
awk -v a="$a" -v c="$c" -v ac="$ac" 'BEGIN { d = 15 * ac - (7 * a + 8 * c); exit !(d * d < 1e-8) }' ||
  fail "eval: the last pair does not continue the last row: 15 x $ac != 7 x $a + 8 x $c"

# --- train --train A --valid B --test C: the best weights on C --------------------------
# sentences of 3..9 words from 14, by a fixed linear congruential generator
gen() { awk -v n="$1" -v s="$2" 'BEGIN { split("the a cat dog sat ran on under mat rug house big small red", w, " ")
  for (i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; k = 3 + s % 7; line = ""
    for (j = 0; j < k; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line w[1 + int(s / 65536) % 14] " " }
    print line "." } }'; }
gen 300 1 > "$tmp/tr.txt"; gen 40 2 > "$tmp/va.txt"; gen 40 3 > "$tmp/te.txt"
targs=(train --train "$tmp/tr.txt" --valid "$tmp/va.txt" --test "$tmp/te.txt" --hidden 16 --layers 1 --batch-size 4
       --max-time 10 --epochs 3 --threads 1)
out=$("$R" "${targs[@]}" --save-dir "$tmp/run" --logdir "$tmp/run" 2>&1) || fail "train --test exited $?: $out"
best=$(echo "$out" | sed -n 's/^best valid perplexity [0-9.]* at epoch \([0-9]*\)$/\1/p')
line=$(echo "$out" | grep '^test: ')
echo "$line" | grep -q "^test: the best checkpoint $tmp/run/best.safetensors, epoch $best - test_loss [0-9.]* - test_ppl [0-9.]* - test_acc [0-9.]*$" ||
  fail "train --test: no test line for the best checkpoint (epoch '$best'): $(echo "$out" | tail -n 3)"
# the figure is rnnlm eval's of the best checkpoint on C (the recipe's batching, as validation)
ppl=$("$R" eval "$tmp/run/best.safetensors" "$tmp/te.txt" --recipe-batching | sed -n 's/^perplexity //p')
echo "$line" | grep -q " - test_ppl $(printf '%.2f' "$ppl") - " || fail "train --test: test_ppl is not eval's $ppl: $line"
[ "$(grep -c ",test,$best,epoch_" "$tmp/run/log.csv")" -eq 3 ] || fail "train --test: no test rows in log.csv"
ls "$tmp/run/test/"events.out.tfevents.* > /dev/null 2>&1 || fail "train --test: no TensorBoard events in LOGDIR/test"
# without --save-dir: the best weights kept in memory, the same figures
out2=$("$R" "${targs[@]}" 2>&1) || fail "train --test without --save-dir exited $?"
[ "$(echo "$out2" | grep '^test: ')" = "test: the best weights (kept in memory), epoch $best${line#*epoch $best}" ] ||
  fail "train --test without --save-dir: $(echo "$out2" | grep '^test: ') vs $line"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "ok"
