#!/usr/bin/env bash
# test_kn_baseline.sh: `rnnlm data --write-ids` and the n-gram baseline
# dev/kn_baseline.py. On a small generated plain-text set: the written streams
# have the id counts `rnnlm data` reports and the vocabulary its V lines; every
# conditional distribution of the Kneser-Ney models (orders 1, 2, 3, 5) sums to
# 1 over the V ids (tests/kn_check.py norm); the script runs and prints finite
# perplexities. Env: BUILD (default build). Skips (tests/lib.sh) without
# /usr/bin/python3.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/lib.sh
need_python
[ -x "$BUILD/rnnlm" ] || { echo "no $BUILD/rnnlm (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_kn.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

awk 'BEGIN { s = 11; for (i = 0; i < 240; i++) { n = 2 + i % 7; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; r = int(s / 65536) % 1000;
    line = line " w" int(r * r / 20000) }
  print substr(line, 2) } }' > "$tmp/all.txt"
head -n 180 "$tmp/all.txt" > "$tmp/train.txt"
sed -n '181,210p' "$tmp/all.txt" > "$tmp/valid.txt"
tail -n 30 "$tmp/all.txt" > "$tmp/test.txt"

"$BUILD/rnnlm" data --train "$tmp/train.txt" --valid "$tmp/valid.txt" --test "$tmp/test.txt" --vocab-size 30 \
  --write-ids "$tmp/ids" > "$tmp/data.log" 2>&1 || { cat "$tmp/data.log"; fail "rnnlm data --write-ids"; }
for s in train valid test; do
  want=$(awk -v s=$s '$1 == s { for (i = 1; i < NF; i++) if ($(i + 1) == "ids") { print $i; exit } }' "$tmp/data.log")
  got=$(wc -w < "$tmp/ids/$s.ids" 2>/dev/null || echo none)
  [ -n "$want" ] && [ "$got" = "$want" ] || fail "$s.ids holds $got ids, rnnlm data reports '$want'"
done
lines=$(grep -vc '^#' "$tmp/ids/vocab.tsv" 2>/dev/null || echo none)
[ "$lines" = 30 ] || fail "vocab.tsv has $lines words, expected 30"
first=$(sed -n 's/^first 25 training ids: //p' "$tmp/data.log")
[ "$(cut -d' ' -f1-25 "$tmp/ids/train.ids")" = "$first" ] || fail "train.ids does not begin with the ids rnnlm data prints"
# an existing file in the way is an error
: > "$tmp/file"
"$BUILD/rnnlm" data --train "$tmp/train.txt" --vocab-size 30 --write-ids "$tmp/file" > /dev/null 2>&1 &&
  fail "--write-ids onto a file succeeded"

"$PY" tests/kn_check.py norm "$tmp/ids" || fail "tests/kn_check.py norm"
"$PY" dev/kn_baseline.py "$tmp/ids" --order 3 > "$tmp/kn.log" 2>&1 || { cat "$tmp/kn.log"; fail "dev/kn_baseline.py"; }
for s in valid test; do
  grep -Eq "^KN3 $s +perplexity [0-9]+\.[0-9]+ \([0-9]+ predictions\)" "$tmp/kn.log" || { cat "$tmp/kn.log"; fail "no KN3 $s line"; }
done
[ "$failures" = 0 ] || exit 1
echo "ok"
