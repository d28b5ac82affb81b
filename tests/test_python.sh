#!/usr/bin/env bash
# test_python.sh: the Python module python/rnnlm.py with Debian's /usr/bin/python3.
# tests/test_python.py checks it over the in-tree $BUILD/librnnlm.so against the
# rnnlm program, on tests/data/tiny.safetensors (LSTM, 2 layers) and on a GRU
# trained here on a plain-text set; then `make install PREFIX=tmp` and a fresh
# python3 without RNNLM_LIB or LD_LIBRARY_PATH must import the installed module,
# load the installed library and score as `rnnlm score` does, to the last bit.
# Env: BUILD, the build directory (default build). Skips (tests/lib.sh) when
# /usr/bin/python3 is missing or BUILD is a sanitizer build (whose library a
# plain python3 cannot load).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/lib.sh
need_python
case "$BUILD" in *asan*) skip "$BUILD's librnnlm.so needs the sanitizer runtime" ;; esac
[ -x "$BUILD/rnnlm" ] && [ -f "$BUILD/librnnlm.so" ] || { echo "no $BUILD/rnnlm or librnnlm.so (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_python.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

awk 'BEGIN { s = 5; for (i = 0; i < 300; i++) { n = 3 + i % 8; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " w" int(s / 65536) % 80 }
  print substr(line, 2) } }' > "$tmp/all.txt"
head -n 250 "$tmp/all.txt" > "$tmp/train.txt"; tail -n 50 "$tmp/all.txt" > "$tmp/valid.txt"
"$BUILD/rnnlm" train --train "$tmp/train.txt" --valid "$tmp/valid.txt" --vocab-size 60 --cell gru --layers 1 --hidden 12 --batch-size 4 \
  --max-time 6 --epochs 1 --threads 1 --save-dir "$tmp/gru" > "$tmp/train.log" 2>&1 ||
  { cat "$tmp/train.log"; fail "training the GRU model"; }

RNNLM_LIB="$BUILD/librnnlm.so" "$PY" tests/test_python.py "$BUILD/rnnlm" tests/data/tiny.safetensors \
  "$tmp/gru/best.safetensors" "$tmp" || fail "tests/test_python.py"

# --- the installed module ---------------------------------------------------------
if make -s install PREFIX="$tmp/prefix" BUILD="$BUILD" > "$tmp/install.log" 2>&1; then
  pydir=$(ls -d "$tmp"/prefix/lib/python3*/dist-packages 2>/dev/null | head -n 1)
  if [ -f "$pydir/rnnlm.py" ]; then
    echo 'the man said .' > "$tmp/s.txt"
    want=$("$BUILD/rnnlm" score tests/data/tiny.safetensors "$tmp/s.txt" --exact | cut -f1)
    printed=$("$BUILD/rnnlm" score tests/data/tiny.safetensors "$tmp/s.txt" | cut -f1)
    got=$(cd "$tmp" && env -u RNNLM_LIB -u LD_LIBRARY_PATH PYTHONPATH="$pydir" "$PY" -c '
import sys, rnnlm
m = rnnlm.Model(sys.argv[1]); v = m.score("the man said .")
lib = [l.split()[-1] for l in open("/proc/self/maps") if "librnnlm.so" in l][0]
print(rnnlm.__file__, lib, repr(v), v == float(sys.argv[2]), "%.6f" % v)' "$OLDPWD/tests/data/tiny.safetensors" "$want") ||
      fail "the installed module: $got"
    set -- $got
    [ "${1:-}" = "$pydir/rnnlm.py" ] || fail "imported ${1:-nothing}, not the installed $pydir/rnnlm.py"
    [ "${2:-}" = "$tmp/prefix/lib/librnnlm.so" ] || fail "loaded ${2:-nothing}, not the installed library"
    [ "${4:-}" = True ] || fail "installed module: score ${3:-} != rnnlm score's $want"
    [ "${5:-}" = "$printed" ] || fail "installed module: printed ${5:-} != rnnlm score's $printed"
  else
    fail "make install wrote no rnnlm.py under $tmp/prefix/lib/python3*/dist-packages"
  fi
else
  fail "make install failed: $(tail -n 5 "$tmp/install.log")"
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "ok"
