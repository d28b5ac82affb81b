#!/usr/bin/env bash
# test_io_limits.sh: the command line's readers of text stop at the line limit
# without reading the line whole, and a failed read is an error (status 1 and
# the file named), never the end of the input:
#   - `rnnlm score MODEL /dev/zero` (an endless line) ends with
#     "/dev/zero:1: line longer than 1048576 bytes" and status 1 under a 1 GB
#     address-space limit (`ulimit -v`), where a getline() loop ran out of
#     memory and exited 0 after scoring nothing; the same from standard input;
#   - with --max-line-bytes: a line of
#     exactly the limit is scored, one byte more is refused;
#   - a directory as the input (read() fails with EISDIR): score FILE, score -,
#     data --corpus and report (its log.csv a directory).
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
. tests/lib.sh
BUILD=${BUILD:-build}
R="$BUILD/rnnlm"
M=tests/data/tiny.safetensors
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_io_limits.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# expect STATUS NEEDLE CMD...: CMD exits STATUS and its stderr holds NEEDLE
expect() { expect_run "$@"; }

# --- an endless line ----------------------------------------------------------------
# Every run on an endless input is bounded, so that a reader that does not
# stop cannot take the machine's memory: under a 1 GB address-space limit in
# the normal build; in the sanitizer build (its shadow memory needs more
# address space than any such limit) a finite stream of 64 MiB of zeros.
if ldd "$R" 2>/dev/null | grep -q libasan; then
  zeros() { head -c 67108864 /dev/zero; }
  bounded() { "$@"; }
  echo "note: sanitizer build: 64 MiB of zeros through a pipe instead of /dev/zero under ulimit -v"
  zeros | bounded "$R" score "$M" - > "$tmp/out" 2> "$tmp/err"
  rc=$?
else
  bounded() ( ulimit -v 1000000; exec "$@" )
  bounded "$R" score "$M" /dev/zero > "$tmp/out" 2> "$tmp/err"
  rc=$?
  [ $rc -eq 1 ] && grep -qF "/dev/zero:1: line longer than 1048576 bytes" "$tmp/err" ||
    fail "score /dev/zero under ulimit -v 1000000: status $rc: $(head -c 300 "$tmp/err")"
  [ -s "$tmp/out" ] && fail "score /dev/zero wrote scores"
  bounded "$R" score "$M" - < /dev/zero > "$tmp/out" 2> "$tmp/err"
  rc=$?
fi
[ $rc -eq 1 ] && grep -qF "<stdin>:1: line longer than 1048576 bytes" "$tmp/err" ||
  fail "score - < endless zeros: status $rc: $(head -c 300 "$tmp/err")"

# --- the limit, byte-exact -------------------------------------------------------------
printf 'Mary had a\nMary had a little lamb\n' > "$tmp/two.txt"
expect 1 "$tmp/two.txt:2: line longer than 21 bytes" "$R" score "$M" "$tmp/two.txt" --max-line-bytes 21
"$R" score "$M" "$tmp/two.txt" --max-line-bytes 22 > "$tmp/out" 2>/dev/null ||
  fail "score: a line of exactly --max-line-bytes refused"
[ "$(wc -l < "$tmp/out")" -eq 2 ] || fail "score --max-line-bytes 22: $(cat "$tmp/out")"
expect 1 "$tmp/two.txt:2: line longer than 21 bytes" "$R" data --corpus "$tmp/two.txt" --max-line-bytes 21

# --- read errors ----------------------------------------------------------------------
mkdir "$tmp/dir" "$tmp/run" "$tmp/run/log.csv"
expect 1 "$tmp/dir:1: read error: Is a directory" "$R" score "$M" "$tmp/dir"
"$R" score "$M" - < "$tmp/dir" > "$tmp/out" 2> "$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -qF "<stdin>:1: read error: Is a directory" "$tmp/err" ||
  fail "score - < DIR: status $rc: $(cat "$tmp/err")"
expect 1 "$tmp/dir: not a regular file" "$R" data --corpus "$tmp/dir"
expect 1 "$tmp/run/log.csv: read failed: Is a directory" "$R" report "$tmp/run"

if [ "$failures" -ne 0 ]; then
  echo "$failures failed"
  exit 1
fi
echo ok
