#!/usr/bin/env bash
# test_cli_refusals.sh: small faults of the command line, each refused or
# reported in words instead of being clamped, ignored, misreported or fatal
# without a message:
#   - generate --prompt with a byte that is not UTF-8 (it was echoed);
#   - --vocab-size on the toy corpus (no cap applies: it printed "cap 8" with
#     15 ids); `data --corpus toy` says "no cap";
#   - --budget-steps planning more epochs than a run may have (cut to 100000);
#   - --average from an epoch after the last one (averaging never started);
#   - --patience, --lr-schedule plateau and --average auto without validation
#     data (ignored);
#   - a resume whose --budget-steps is already spent blames --budget-steps
#     (it blamed --epochs, which was not given);
#   - a vocabulary file declaring size=-1 (printed as 18446744073709551615);
#   - --dropout 0.9999999 quoted as given (it said "1 is outside [0, 0.99]");
#   - --layers: the option table's bound is the model's (it allowed 64, the
#     model 16);
#   - a diverged run's perplexity in %g form (it printed 22 digits);
#   - a checkpoint write past `ulimit -f` ends with the file named and status
#     1 (SIGXFSZ killed the process, status 153, without a word);
#   - a model loaded with --allow-nonfinite that holds an infinite embedding
#     value: eval, score and generate say so on stderr (the scores stay finite,
#     which the README now says).
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
. tests/lib.sh
BUILD=${BUILD:-build}
R="$BUILD/rnnlm"
M=tests/data/tiny.safetensors
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_cli_refusals.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# expect STATUS NEEDLE ARGS...: rnnlm ARGS exits STATUS with NEEDLE on stderr
expect() { expect_run "$1" "$2" "$R" "${@:3}"; }
T="--config toy --threads 1"

# --- the prompt ---------------------------------------------------------------------
expect 2 "--prompt:1: invalid UTF-8 byte 0xff at column 6" generate "$M" --prompt $'Mary \xff had'
[ -s "$tmp/out" ] && fail "generate echoed a bad prompt: $(od -c "$tmp/out" | head -2)"
"$R" generate "$M" --prompt "Mary had" --words 2 --temperature 0 > "$tmp/out" 2>/dev/null || fail "generate: a valid prompt refused"

# --- options that would do nothing ----------------------------------------------------
expect 2 "--vocab-size: the toy corpus keeps its whole vocabulary" data --corpus toy --vocab-size 8
expect 2 "--vocab-size: the toy corpus keeps its whole vocabulary" train $T --corpus toy --vocab-size 8
"$R" data --corpus toy > "$tmp/out" 2>&1 || fail "data --corpus toy: $(cat "$tmp/out")"
grep -q '^vocabulary: 15 ids (12 distinct words, no cap)$' "$tmp/out" || fail "data --corpus toy: $(head -2 "$tmp/out")"
expect 1 "--budget-steps 1000000000000: 10000000000 epochs of 100 steps, more than the 100000 a run may have" \
  train $T --corpus toy --budget-steps 1000000000000 --max-minutes 0.02   # (a bound, should it run)
expect 1 "--average 21: the run has 3 epochs, so averaging would never start" train $T --corpus toy --average 21 --epochs 3
printf 'the cat sat\nthe dog ran\na b c\n' > "$tmp/train.txt"
for opt in "--patience 2:--patience" "--lr-schedule plateau:--lr-schedule plateau" "--average auto:--average auto"; do
  # shellcheck disable=SC2086
  expect 1 "${opt#*:} needs validation data" train $T --train "$tmp/train.txt" ${opt%%:*}
done
"$R" train $T --train "$tmp/train.txt" --epochs 1 > "$tmp/out" 2>&1 || fail "train without validation: $(tail -2 "$tmp/out")"

# --- messages ---------------------------------------------------------------------------
"$R" train $T --corpus toy --budget-steps 200 --save-dir "$tmp/run" > "$tmp/out" 2>&1 ||
  fail "train --budget-steps 200: $(tail -2 "$tmp/out")"
expect 2 "--budget-steps 150 plans 2 epochs, and the checkpoint has already finished epoch 2" \
  train --resume "$tmp/run/last.safetensors" --budget-steps 150 --threads 1
grep -qF -- "--epochs 2" "$tmp/err" && fail "resume with --budget-steps blames --epochs: $(cat "$tmp/err")"
expect 2 "--epochs 1: the checkpoint has already finished epoch 2" train --resume "$tmp/run/last.safetensors" --epochs 1
printf '#rnnlm-vocab 1 canon=none size=-1 distinct=4\n' > "$tmp/v.txt"
expect 1 "vocabulary size '-1' is not a count" data --corpus toy --vocab "$tmp/v.txt"
grep -q 18446744073709551615 "$tmp/err" && fail "size=-1 printed as SIZE_MAX: $(cat "$tmp/err")"
expect 2 "--dropout: 0.9999999 is outside [0, 0.99]" train $T --dropout 0.9999999
expect 2 "--layers: 17 is outside [1, 16]" summary --layers 17
"$R" summary --layers 16 --hidden 4 > "$tmp/out" 2>&1 || fail "summary --layers 16 refused: $(cat "$tmp/out")"

# --- a diverged run's perplexity --------------------------------------------------------
"$R" train $T --corpus toy --optimizer sgd --lr 100 --clip 0 --init uniform --hidden 50 --epochs 1 > "$tmp/out" 2>&1
loss=$(sed -n 's/.* train_loss \([0-9.]*\) .*/\1/p' "$tmp/out" | tail -1)
if ! awk -v l="${loss:-0}" 'BEGIN { exit !(l > 20.8) }'; then
  fail "the diverging run did not diverge past perplexity 1e9 (train_loss '$loss'): the case is not exercised"
fi
grep -qE '[0-9]{13}' "$tmp/out" && fail "a number of 13 or more digits: $(grep -oE '[^ ]*[0-9]{13}[^ ]*' "$tmp/out" | head -2)"
grep -qE 'train_ppl [0-9.]+e\+[0-9]+ ' "$tmp/out" || fail "train_ppl not in %g form: $(tail -2 "$tmp/out")"

# --- SIGXFSZ ----------------------------------------------------------------------------
( ulimit -f 8; exec "$R" train $T --corpus toy --epochs 1 --save-dir "$tmp/xf" ) > /dev/null 2> "$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -qF "$tmp/xf/last.safetensors: write failed: File too large" "$tmp/err" ||
  fail "train under ulimit -f 8: status $rc (153: killed by SIGXFSZ): $(cat "$tmp/err")"

# --- --allow-nonfinite on an infinite embedding -----------------------------------------
need_python
"$PY" - "$M" "$tmp/inf.safetensors" <<'PY' || fail "could not write the model with an infinite weight"
import json, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
struct.pack_into("<f", b, 8 + n + h["embedding.weight"]["data_offsets"][0] + 4 * 37, float("inf"))
open(sys.argv[2], "wb").write(b)
PY
printf 'Mary had a little lamb .\n' > "$tmp/s.txt"
expect 1 "'embedding.weight' holds a non-finite value (+Inf at element 37)" score "$tmp/inf.safetensors" "$tmp/s.txt"
want="warning: $tmp/inf.safetensors holds 1 non-finite weight (the first: embedding[37] = +Inf)"
expect 0 "$want" score "$tmp/inf.safetensors" "$tmp/s.txt" --allow-nonfinite
expect 0 "$want" eval "$tmp/inf.safetensors" "$tmp/s.txt" --allow-nonfinite
expect 0 "$want" generate "$tmp/inf.safetensors" --words 3 --allow-nonfinite
expect 0 "compute:" score "$M" "$tmp/s.txt"
grep -q "warning" "$tmp/err" && fail "a warning for a finite model: $(cat "$tmp/err")"

if [ "$failures" -ne 0 ]; then
  echo "$failures failed"
  exit 1
fi
echo ok
