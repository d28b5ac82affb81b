#!/usr/bin/env bash
# test_tb_reader.sh: the event files of src/io/tfevents.c read by an independent
# reader, protobuf's own Python decoder (tests/tb_reader.py with
# tests/tb_minimal.proto): test_tfevents writes a sample file
# (TFEVENTS_SAMPLE_DIR), the reader checks both CRCs of every record, the
# encoding and every value below; then damaged copies must be refused.
#
# usage: tests/test_tb_reader.sh [BUILD_DIR]   (or BUILD=BUILD_DIR, as tests/run.sh
# passes it; default build; run make tests first)
# Skips (tests/lib.sh: exit 77; a failure under CI=true) when protoc or
# python3-protobuf is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
BUILD=${1:-${BUILD:-build}}
PY=/usr/bin/python3   # Debian's python, where python3-protobuf lives

if [ ! -x "$PY" ]; then
  skip "test_tb_reader: $PY not found"
fi
if ! command -v protoc >/dev/null 2>&1; then
  skip "test_tb_reader: protoc not found (apt-get install protobuf-compiler)"
fi
if ! "$PY" -c "import google.protobuf" >/dev/null 2>&1; then
  skip "test_tb_reader: python3 protobuf not found (apt-get install python3-protobuf)"
fi
BIN="$BUILD/tests/test_tfevents"
if [ ! -x "$BIN" ]; then
  echo "test_tb_reader: $BIN not built (make tests BUILD=$BUILD)" >&2; exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_tb_reader.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

TFEVENTS_SAMPLE_DIR="$tmp/sample" "$BIN" >"$tmp/sample.log" 2>&1 || {
  cat "$tmp/sample.log" >&2; echo "test_tb_reader: $BIN failed writing the sample" >&2; exit 1; }
files=("$tmp"/sample/events.out.tfevents.*)
if [ "${#files[@]}" -ne 1 ] || [ ! -f "${files[0]}" ]; then
  echo "test_tb_reader: expected one event file in $tmp/sample" >&2; ls -la "$tmp/sample" >&2; exit 1
fi
ev=${files[0]}
if ! [[ "$(basename "$ev")" =~ ^events\.out\.tfevents\.[0-9]{10}\.[A-Za-z0-9._-]+\.[0-9]+\.[0-9]+\.v2$ ]]; then
  echo "test_tb_reader: unexpected file name $(basename "$ev")" >&2; exit 1
fi

# What test_sample_file in tests/test_tfevents.c writes, in order.
cat >"$tmp/expect.json" <<'JSON'
{
  "exact": true,
  "scalars": [
    {"tag": "loss/train", "step": 0,   "value": 6.0},
    {"tag": "ppl/valid",  "step": 0,   "value": 400.0},
    {"tag": "loss/train", "step": 100, "value": 5.5},
    {"tag": "ppl/valid",  "step": 100, "value": 368.0},
    {"tag": "loss/train", "step": 200, "value": 5.0},
    {"tag": "ppl/valid",  "step": 200, "value": 336.0},
    {"tag": "loss/train", "step": 300, "value": 4.5},
    {"tag": "ppl/valid",  "step": 300, "value": 304.0},
    {"tag": "loss/train", "step": 400, "value": 4.0},
    {"tag": "ppl/valid",  "step": 400, "value": 272.0},
    {"tag": "zero",       "step": 0,   "value": 0.0},
    {"tag": "big/step",   "step": 1099511627776, "value": -1.5},
    {"tag": "na\u00efve", "step": 3,   "value": 0.25}
  ],
  "texts": [
    {"tag": "config", "step": 0, "text": "hidden: 200\nlayers: 2\nna\u00efve: yes"}
  ]
}
JSON

fail=0
echo "test_tb_reader: reading $(basename "$ev")"
"$PY" tests/tb_reader.py "$ev" --expect "$tmp/expect.json" || fail=1

# The reader must be able to fail: a wrong expectation, a flipped data byte,
# a flipped length byte, a torn tail.
expect_failure() {
  local what=$1; shift
  if "$PY" tests/tb_reader.py --quiet "$@" >"$tmp/neg.log" 2>&1; then
    echo "test_tb_reader: the reader accepted $what" >&2; fail=1
  else
    echo "test_tb_reader: refused $what: $(tail -n 1 "$tmp/neg.log")"
  fi
}
expect_failure "a wrong value" "$ev" --scalar "loss/train:100:5.25"
expect_failure "a missing step" "$ev" --scalar "loss/train:500:3.5"
size=$(stat -c %s "$ev")
flip() {  # flip(src, dst, offset): copy with one byte inverted
  cp "$1" "$2"
  "$PY" - "$2" "$3" <<'PY'
import sys
path, at = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(at); b = f.read(1); f.seek(at); f.write(bytes([b[0] ^ 0xFF]))
PY
}
flip "$ev" "$tmp/data.bad" $((size - 20));   expect_failure "a flipped data byte" "$tmp/data.bad"
flip "$ev" "$tmp/len.bad" 40;                 expect_failure "a flipped length byte" "$tmp/len.bad"
head -c $((size - 3)) "$ev" >"$tmp/torn";     expect_failure "a torn last record" "$tmp/torn"
if ! "$PY" tests/tb_reader.py --quiet --allow-torn "$tmp/torn" >"$tmp/torn.log" 2>&1; then
  cat "$tmp/torn.log" >&2; echo "test_tb_reader: --allow-torn refused the records before the tear" >&2; fail=1
fi

# A short real training run: every record of both runs' event files, read back
# with both CRCs checked, holds exactly the scalars of the CSV log beside them
# (tags, steps and values), and the configuration text.
RNNLM="$BUILD/rnnlm"
if [ ! -x "$RNNLM" ]; then
  echo "test_tb_reader: $RNNLM not built (make BUILD=$BUILD)" >&2; exit 1
fi
"$RNNLM" train --config toy --epochs 2 --threads 1 --logdir "$tmp/run" >"$tmp/run.log" 2>&1 || {
  cat "$tmp/run.log" >&2; echo "test_tb_reader: training run failed" >&2; exit 1; }
for run in train validation; do
  evs=("$tmp/run/$run"/events.out.tfevents.*)
  "$RNNLM" summary --config toy >"$tmp/config.txt"
  "$PY" - "$tmp/run/log.csv" "$run" "$tmp/config.txt" >"$tmp/$run.json" <<'PY'
import csv, json, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["run"] == sys.argv[2]]
out = {"exact": True, "scalars": [{"tag": r["tag"], "step": int(r["step"]), "value": float(r["value"])} for r in rows]}
if sys.argv[2] == "train":
    out["texts"] = [{"tag": "config", "step": 0, "text": open(sys.argv[3]).read()}]
print(json.dumps(out))
PY
  n=$(grep -o '"tag"' "$tmp/$run.json" | wc -l)
  if "$PY" tests/tb_reader.py --quiet "${evs[0]}" --expect "$tmp/$run.json" >"$tmp/$run.check" 2>&1; then
    echo "test_tb_reader: real run, $run: $n events match the CSV log"
  else
    cat "$tmp/$run.check" >&2; echo "test_tb_reader: real run, $run: mismatch" >&2; fail=1
  fi
done

if [ "$fail" -ne 0 ]; then echo "test_tb_reader: FAILED" >&2; exit 1; fi
echo "test_tb_reader: OK"
