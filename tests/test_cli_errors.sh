#!/usr/bin/env bash
# test_cli_errors.sh: `rnnlm data` on bad input. Every case must exit non-zero
# without crashing (status < 128: no signal, no sanitizer abort), write
# exactly one line to stderr, and name the cause (the file or the flag) in it.
# Inputs are made in a temporary directory, removed on exit.
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
RNNLM="${BUILD:-build}/rnnlm"
[ -x "$RNNLM" ] || { echo "no $RNNLM (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_cli_errors.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

failures=0
checked=0

# expect NAME NEEDLE ARGS...: runs rnnlm data ARGS and checks the rules above;
# NEEDLE must appear in the stderr line.
expect() {
  local name=$1 needle=$2
  shift 2
  "$RNNLM" data "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$? lines
  lines=$(wc -l <"$tmp/err")
  checked=$((checked + 1))
  local why=""
  if [ "$rc" -eq 0 ]; then why="exit status 0"
  elif [ "$rc" -ge 128 ]; then why="crashed (exit status $rc)"
  elif [ "$lines" -ne 1 ] || [ "$(tail -c 1 "$tmp/err" | od -An -c | tr -d ' ')" != '\n' ]; then
    why="$lines lines on stderr, expected exactly one"
  elif ! grep -qF -- "$needle" "$tmp/err"; then why="stderr does not name '$needle'"
  fi
  if [ -n "$why" ]; then
    failures=$((failures + 1))
    echo "FAIL $name: $why"
    echo "  command: rnnlm data $*"
    sed 's/^/  stderr: /' "$tmp/err" | head -n 5
  fi
}

# --- inputs ---------------------------------------------------------------------
ok="$tmp/ok.txt"
printf 'the cat sat on the mat\nthe dog ran\na b c d e\nmary had a lamb\n' >"$ok"
: >"$tmp/empty.txt"
printf '\n   \n\t\n\r\n' >"$tmp/blank.txt"
printf 'one line\nbinary\000file\n' >"$tmp/binary.txt"
printf 'fine\nbad \377 byte\n' >"$tmp/bad_utf8.txt"
printf 'fine\noverlong \300\257 slash\n' >"$tmp/overlong.txt"
printf 'fine\nsurrogate \355\240\200 half\n' >"$tmp/surrogate.txt"
head -c 10485760 /dev/zero | tr '\0' 'w' >"$tmp/long_line.txt"
printf '\n' >>"$tmp/long_line.txt"
mkdir "$tmp/dir" "$tmp/nobrown"

# --- files ----------------------------------------------------------------------
expect "missing file"   "$tmp/missing.txt"  --corpus "$tmp/missing.txt"
expect "empty file"     "$tmp/empty.txt"    --corpus "$tmp/empty.txt"
expect "no sentences"   "$tmp/blank.txt"    --corpus "$tmp/blank.txt"
expect "binary file"    "$tmp/binary.txt:2" --corpus "$tmp/binary.txt"
expect "invalid UTF-8"  "$tmp/bad_utf8.txt:2" --corpus "$tmp/bad_utf8.txt"
expect "overlong UTF-8" "$tmp/overlong.txt:2" --corpus "$tmp/overlong.txt"
expect "surrogate"      "$tmp/surrogate.txt:2" --corpus "$tmp/surrogate.txt"
expect "10 MB line"     "$tmp/long_line.txt:1" --corpus "$tmp/long_line.txt"
expect "directory"      "$tmp/dir"          --corpus "$tmp/dir"
expect "missing train"  "$tmp/missing.txt"  --train "$tmp/missing.txt"
expect "missing test"   "$tmp/missing.txt"  --train "$ok" --test "$tmp/missing.txt"
expect "missing vocab"  "$tmp/missing.vocab" --corpus "$ok" --vocab "$tmp/missing.vocab"
expect "bad vocab"      "$tmp/blank.txt:1"  --corpus "$ok" --vocab "$tmp/blank.txt"
expect "unwritable vocab" "$tmp/no/such/x.vocab" --corpus "$ok" --save-vocab "$tmp/no/such/x.vocab"
expect "missing --brown-dir" "$tmp/no_brown" --corpus brown --brown-dir "$tmp/no_brown"
expect "empty --brown-dir"   "$tmp/nobrown"  --corpus brown --brown-dir "$tmp/nobrown"
expect "--brown-dir without value" "--brown-dir" --brown-dir

# --- flags ----------------------------------------------------------------------
expect "--vocab-size 3"   "--vocab-size" --corpus "$ok" --vocab-size 3
expect "--vocab-size 0"   "--vocab-size" --corpus "$ok" --vocab-size 0
expect "--vocab-size 10k" "--vocab-size" --corpus "$ok" --vocab-size 10k
expect "--vocab-size huge" "--vocab-size" --corpus "$ok" --vocab-size 99999999999999999999
expect "--split 0"   "--split" --corpus "$ok" --split 0
expect "--split 1"   "--split" --corpus "$ok" --split 1
expect "--split 1.5" "--split" --corpus "$ok" --split 1.5
expect "--split -0.2" "--split" --corpus "$ok" --split -0.2
expect "--split abc" "--split" --corpus "$ok" --split abc
expect "--split nan" "--split" --corpus "$ok" --split nan
expect "--split empty" "--split" --corpus "$ok" --split=
expect "--split 0.8x" "--split" --corpus "$ok" --split 0.8x
expect "--split empty side" "--split" --corpus "$ok" --split 0.1
expect "--split before a missing Brown" "--split" --corpus brown --brown-dir "$tmp/no_brown" --split 0
expect "--seed x"    "--seed" --corpus "$ok" --seed x
expect "--seed -1"   "--seed" --corpus "$ok" --seed -1
expect "--seed 2^32" "--seed" --corpus "$ok" --seed 4294967296
expect "--seed 1.5"  "--seed" --corpus "$ok" --seed 1.5
expect "--batch-size too big" "--batch-size" --corpus "$ok" --batch-size 1000
expect "--max-time too big"   "--max-time" --corpus "$ok" --batch-size 1 --max-time 1000
expect "--max-time 0" "--max-time" --corpus "$ok" --batch-size 1 --max-time 0
expect "--max-line-bytes 0" "--max-line-bytes" --corpus "$ok" --max-line-bytes 0
expect "--max-line-bytes small" "$ok:1" --corpus "$ok" --max-line-bytes 5
expect "unknown flag"  "--bogus" --corpus "$ok" --bogus
expect "unknown short flag" "-x" --corpus "$ok" -x
expect "flag without value" "--seed" --corpus "$ok" --seed
expect "value for a switch" "--no-canon" --corpus "$ok" --no-canon=1
expect "stray argument" "stray" --corpus "$ok" stray
expect "--test without --train" "--train" --test "$ok"
expect "empty --corpus" "--corpus" --corpus ""

# --- the program itself ---------------------------------------------------------
"$RNNLM" frobnicate >"$tmp/out" 2>"$tmp/err"; rc=$?
checked=$((checked + 1))
if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q frobnicate "$tmp/err"; then
  failures=$((failures + 1)); echo "FAIL unknown command: status $rc"; cat "$tmp/err"
fi

# a good run must still succeed (so the failures above are not just any failure)
checked=$((checked + 1))
if ! "$RNNLM" data --corpus "$ok" --split 0.5 --vocab-size 10 --batch-size 1 --max-time 2 >"$tmp/out" 2>"$tmp/err" \
   || [ -s "$tmp/err" ]; then
  failures=$((failures + 1)); echo "FAIL good input: rejected"; cat "$tmp/err"
fi

echo "$checked cases, $failures failed"
[ "$failures" -eq 0 ]
