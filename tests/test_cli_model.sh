#!/usr/bin/env bash
# test_cli_model.sh: `rnnlm eval`, `rnnlm score` and `rnnlm generate` on the
# committed model tests/data/tiny.safetensors, their error paths, and the
# installed library: `make install PREFIX=tmp`, examples/score_stdin built
# against it with pkg-config, compared with `rnnlm score`.
#
# tests/data/tiny.safetensors (10 KB: the toy configuration with 2 layers,
# V 15, E = H = 10, trained 2 epochs so that its distributions are not
# one-hot) was made by
#   build/rnnlm train --config toy --corpus toy --layers 2 --epochs 2 --threads 1 --save-dir /tmp/tiny
#   /usr/bin/python3 dev/torch_score.py --strip /tmp/tiny/last.safetensors tests/data/tiny.safetensors
# (the second command drops the trainer's train.* tensors). Its greedy
# generations are tests/data/golden_generate.txt, made by the three
# `generate ... --temperature 0` commands of this script (one sentence a
# line: each <s> the model generates ends a line).
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
BUILD=${BUILD:-build}
R="$BUILD/rnnlm"
M=tests/data/tiny.safetensors
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_cli_model.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }

# --- eval -------------------------------------------------------------------------
out=$("$R" eval "$M" --corpus toy --threads 1) || fail "eval --corpus toy exited $?"
# the figures `rnnlm train` printed for this model: test_ppl 2.76, test_acc 0.6875
echo "$out" | grep -q '^perplexity 2\.75[0-9]*$' || fail "eval --corpus toy: perplexity: $out"
echo "$out" | grep -q '^accuracy 0\.687500$' || fail "eval --corpus toy: accuracy: $out"
echo "$out" | grep -q '^cross-entropy 1\.01[0-9]* nats 1\.46[0-9]* bits$' || fail "eval: cross-entropy: $out"
echo "$out" | grep -q '^oov-rate 0\.062500 ' || fail "eval: oov-rate: $out"
printf 'Mary had a little lamb .\nThe lamb was white as snow .\n' > "$tmp/toy.txt"
out=$("$R" eval "$M" "$tmp/toy.txt" --batch-size 1) || fail "eval FILE exited $?"
echo "$out" | grep -q '15 predictions (B 1, T 8)' || fail "eval FILE: shape: $out"
echo "$out" | grep -q '^oov-rate 0\.000000 ' || fail "eval FILE: oov: $out"

# --- score ------------------------------------------------------------------------
printf 'Mary had a little lamb .\nThe lamb was white as snow .\n\nMary had a zebra\n' > "$tmp/s.txt"
"$R" score "$M" "$tmp/s.txt" > "$tmp/score_file" || fail "score FILE exited $?"
"$R" score "$M" - < "$tmp/s.txt" > "$tmp/score_from_stdin" || fail "score - exited $?"
cmp -s "$tmp/score_file" "$tmp/score_from_stdin" || fail "score: FILE and stdin differ"
[ "$(wc -l < "$tmp/score_file")" -eq 4 ] || fail "score: expected 4 lines"
awk -F'\t' 'NF != 5 { exit 1 }
  { if ($1 >= 0 || ($2 - $1 / log(10)) ^ 2 > 1e-10 || ($5 - exp(-$1 / ($3 + 1))) ^ 2 > 1e-6 * $5 * $5) exit 1 }' \
  "$tmp/score_file" || fail "score: columns inconsistent: $(cat "$tmp/score_file")"
[ "$(cut -f3,4 "$tmp/score_file" | tr '\t\n' ' ')" = "6 0 7 0 0 0 4 1 " ] ||
  fail "score: words/oovs: $(cut -f3,4 "$tmp/score_file" | tr '\t\n' ' ')"
# the batched scorer with one lane and with many give the same figures
"$R" score "$M" "$tmp/s.txt" --lanes 1 > "$tmp/score_1" || fail "score --lanes 1 exited $?"
paste "$tmp/score_file" "$tmp/score_1" | awk -F'\t' '{ d = $1 - $6; if (d * d > 1e-10) exit 1 }' ||
  fail "score: --lanes 1 differs"
# --per-word: a line per word and the end, whose log10 P add up to the sentence's
"$R" score "$M" "$tmp/s.txt" --per-word > "$tmp/per" || fail "score --per-word exited $?"
awk -F'\t' '/^\t/ { s += $4; n++; if ($3 <= 0 || $3 > 1) bad = 1; next }
  { if ((s - $2) ^ 2 > 1e-8 || n != $3 + 1) bad = 1; s = 0; n = 0 } END { exit bad }' "$tmp/per" ||
  fail "score --per-word: word lines do not add up"
grep -q "^	</s>	" "$tmp/per" || fail "score --per-word: no </s> line"
"$R" score "$M" "$tmp/s.txt" --ids | cut -f6 > "$tmp/ids"
[ "$(head -n 1 "$tmp/ids")" = "6 7 8 9 4 5" ] || fail "score --ids: $(head -n 1 "$tmp/ids")"

# --- generate ---------------------------------------------------------------------
{ "$R" generate "$M" --prompt "Mary had" --words 20 --temperature 0
  "$R" generate "$M" --prompt "Mary had" --words 20 --temperature 0 --stop-at-eos
  "$R" generate "$M" --words 12 --temperature 0; } > "$tmp/greedy"
cmp -s "$tmp/greedy" tests/data/golden_generate.txt ||
  { fail "generate: greedy output differs from tests/data/golden_generate.txt"; diff "$tmp/greedy" tests/data/golden_generate.txt; }
# one sentence a line: no <s> in the text; --raw is the token stream on one
# line with the markers, the same tokens
grep -q '<s>' "$tmp/greedy" && fail "generate: <s> printed: $(cat "$tmp/greedy")"
"$R" generate "$M" --prompt "Mary had" --words 20 --temperature 0 --raw > "$tmp/raw"
[ "$(wc -l < "$tmp/raw")" -eq 1 ] && grep -q ' \. <s> ' "$tmp/raw" || fail "generate --raw: $(cat "$tmp/raw")"
[ "$(sed 's/ <s> /\n/g' "$tmp/raw")" = "$(head -n 3 tests/data/golden_generate.txt)" ] ||
  fail "generate: the lines are not the raw stream cut at <s>: $(cat "$tmp/raw")"
# greedy ignores the seed; top-k 1 is greedy at any temperature
a=$("$R" generate "$M" --prompt "Mary had" --words 20 --temperature 0 --seed 99)
[ "$a" = "$(head -n 3 tests/data/golden_generate.txt)" ] || fail "generate: greedy depends on the seed"
a=$("$R" generate "$M" --prompt "Mary had" --words 20 --temperature 2 --top-k 1 --seed 5)
[ "$a" = "$(head -n 3 tests/data/golden_generate.txt)" ] || fail "generate: --top-k 1 is not greedy"
a=$("$R" generate "$M" --words 30 --temperature 1.5 --seed 7 --raw)
b=$("$R" generate "$M" --words 30 --temperature 1.5 --seed 7 --raw)
c=$("$R" generate "$M" --words 30 --temperature 1.5 --seed 8 --raw)
[ "$a" = "$b" ] || fail "generate: the same seed gave different text"
[ "$a" != "$c" ] || fail "generate: seeds 7 and 8 gave the same text"
[ "$(echo "$a" | wc -w)" -eq 30 ] || fail "generate: expected 30 words: $a"
"$R" generate "$M" --words 30 --temperature 1.5 --seed 7 > "$tmp/lines"
[ "$(tr ' ' '\n' < "$tmp/lines")" = "$(echo "$a" | tr ' ' '\n' | grep -vx '<s>')" ] &&
  [ "$(wc -l < "$tmp/lines")" -gt 1 ] || fail "generate: sampled lines are not the raw stream cut at <s>"
a=$("$R" generate "$M" --words 500 --temperature 1 --seed 3 --stop-at-eos)
case " $a " in *" <s> "*) fail "generate --stop-at-eos printed <s>: $a" ;; esac
[ "$(echo "$a" | wc -w)" -lt 500 ] || fail "generate --stop-at-eos never stopped"

# --- errors: exit status, exactly one line on stderr naming the cause -------------
head -c 3000 "$M" > "$tmp/corrupt.safetensors"
printf 'not a model' > "$tmp/junk.safetensors"
expect() {   # expect STATUS NEEDLE ARGS...
  local want=$1 needle=$2; shift 2
  "$R" "$@" > /dev/null 2> "$tmp/err" < /dev/null
  local rc=$?
  if [ "$rc" -ne "$want" ]; then fail "rnnlm $*: exit $rc, expected $want"
  elif [ "$(wc -l < "$tmp/err")" -ne 1 ]; then fail "rnnlm $*: $(wc -l < "$tmp/err") lines on stderr"
  elif ! grep -qF -- "$needle" "$tmp/err"; then fail "rnnlm $*: stderr does not name '$needle': $(cat "$tmp/err")"
  fi
}
for cmd in eval score generate; do
  args=(); [ "$cmd" = generate ] || args=("$tmp/s.txt")
  expect 1 "$tmp/missing.safetensors" "$cmd" "$tmp/missing.safetensors" "${args[@]}"
  expect 1 "$tmp/corrupt.safetensors" "$cmd" "$tmp/corrupt.safetensors" "${args[@]}"
  expect 1 "$tmp/junk.safetensors" "$cmd" "$tmp/junk.safetensors" "${args[@]}"
  expect 2 "--bogus" "$cmd" "$M" "${args[@]}" --bogus
  expect 2 "rnnlm $cmd" "$cmd"
done
expect 1 "$tmp/missing.txt" score "$M" "$tmp/missing.txt"
expect 1 "$tmp/missing.txt" eval "$M" "$tmp/missing.txt"
printf 'a\0b\n' > "$tmp/nul.txt"
expect 1 "$tmp/nul.txt:1" score "$M" "$tmp/nul.txt"
expect 2 "--lanes" score "$M" "$tmp/s.txt" --lanes 0
# one rule for every reader of text: score refuses what eval and train refuse, with the same message
printf 'the cat\nbad \377 byte\n' > "$tmp/bad_utf8.txt"
printf 'the cat\noverlong \300\257 slash\n' > "$tmp/overlong.txt"
printf 'the cat\nhalf \355\240\200 surrogate\n' > "$tmp/surrogate.txt"
for f in bad_utf8 overlong surrogate; do
  expect 1 "$tmp/$f.txt:2: invalid UTF-8" score "$M" "$tmp/$f.txt"
  sed 's/^rnnlm score: //' "$tmp/err" > "$tmp/err_score"
  expect 1 "$tmp/$f.txt:2: invalid UTF-8" eval "$M" "$tmp/$f.txt"
  sed 's/^rnnlm eval: //' "$tmp/err" | cmp -s - "$tmp/err_score" || fail "score and eval differ on $f.txt"
done
"$R" score "$M" - < "$tmp/bad_utf8.txt" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -qF "<stdin>:2: invalid UTF-8 byte 0xff at column 5" "$tmp/err" ||
  fail "score - on invalid UTF-8: $(cat "$tmp/err")"
expect 1 "$tmp/s.txt:1: line longer than 3 bytes" score "$M" "$tmp/s.txt" --max-line-bytes 3
expect 2 "--temperature" generate "$M" --temperature -1
expect 2 "--temperature" generate "$M" --temperature abc
expect 2 "--top-k" generate "$M" --top-k -3
expect 2 "--words" generate "$M" --words
expect 2 "--seed" generate "$M" --seed x
expect 2 "--part" eval "$M" --corpus toy --part dev
expect 2 "--batch-size" eval "$M" "$tmp/s.txt" --batch-size -1
expect 1 "$tmp/nobrown" eval "$M" --corpus brown --brown-dir "$tmp/nobrown"

# --- the installed library and examples/score_stdin ---------------------------------
mkdir -p "$tmp/ex"
ex_flags=""
case "$BUILD" in *asan*) ex_flags="-fsanitize=address,undefined" ;; esac
if make -s install PREFIX="$tmp/prefix" BUILD="$BUILD" > "$tmp/install.log" 2>&1; then
  for f in bin/rnnlm lib/librnnlm.a lib/librnnlm.so include/rnnlm.h lib/pkgconfig/rnnlm.pc; do
    [ -f "$tmp/prefix/$f" ] || fail "make install: no $f"
  done
  if PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" make -s -C examples O="$tmp/ex" \
       CFLAGS="-O1 -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE $ex_flags" > "$tmp/ex.log" 2>&1; then
    LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/ex/score_stdin" "$M" < "$tmp/s.txt" > "$tmp/ex_out" ||
      fail "score_stdin exited $?"
    LD_LIBRARY_PATH="$tmp/prefix/lib" ldd "$tmp/ex/score_stdin" | grep -q "$tmp/prefix/lib/librnnlm.so" || fail "score_stdin is not linked to the installed librnnlm.so"
    paste "$tmp/ex_out" "$tmp/score_file" | awk -F'\t' 'NF != 10 { exit 1 }
      { for (i = 1; i <= 5; i++) { d = $i - $(i + 5); if (d * d > 1e-10 * (1 + $(i + 5) ^ 2)) exit 1 } }' ||
      fail "score_stdin and rnnlm score differ: $(paste "$tmp/ex_out" "$tmp/score_file")"
  else
    fail "examples did not build against the installed library: $(tail -n 5 "$tmp/ex.log")"
  fi
else
  fail "make install failed: $(tail -n 5 "$tmp/install.log")"
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "ok"
