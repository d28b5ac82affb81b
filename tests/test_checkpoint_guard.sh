#!/usr/bin/env bash
# test_checkpoint_guard.sh: what the commands do with damaged checkpoints
# and tiny models:
#  - the smallest widths (H = E = 1) train, then score and generate without
#    writing past a workspace (the one-step inference carving);
#  - a checkpoint holding NaN or Inf in a tensor is refused by score, eval,
#    generate, summary and train --resume, naming the tensor; with
#    --allow-nonfinite it loads and a NaN weight scores as nan, never as a
#    finite number;
#  - train --resume refuses a run history (run.best_ppl, run.best_epoch,
#    run.global_step) that does not parse, is NaN or is out of range, and
#    accepts the file the damage was made from.
# Checkpoints are edited with /usr/bin/python3 (json, struct); prints
# "SKIP: ..." and exits 77 without it (tests/lib.sh).
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
BUILD=${BUILD:-build}
R="$BUILD/rnnlm"
PY=/usr/bin/python3
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
if ! "$PY" -c 'import json, struct' 2>/dev/null; then
  . "$(dirname "$0")/lib.sh"; skip "test_checkpoint_guard: $PY with json and struct not found"
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_guard.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }

# edit IN OUT [meta KEY VALUE | poke TENSOR INDEX VALUE]...: a copy of a
# safetensors file with metadata values replaced and floats overwritten
# (VALUE nan, inf, -inf or a number).
edit() {
  "$PY" - "$@" <<'EOF'
import json, struct, sys
src, dst, ops = sys.argv[1], sys.argv[2], sys.argv[3:]
b = open(src, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
data = bytearray(b[8 + n:])
i = 0
while i < len(ops):
    if ops[i] == 'meta':
        h['__metadata__'][ops[i + 1]] = ops[i + 2]
        i += 3
    else:
        name, k, v = ops[i + 1], int(ops[i + 2]), float(ops[i + 3])
        off = h[name]['data_offsets'][0] + 4 * k
        data[off:off + 4] = struct.pack('<f', v)
        i += 4
s = json.dumps(h, sort_keys=True, separators=(',', ':')).encode()
s += b' ' * (-len(s) % 8)
open(dst, 'wb').write(struct.pack('<Q', len(s)) + s + bytes(data))
EOF
}

# --- the smallest widths: train, score, generate -----------------------------
"$R" train --config toy --cell lstm --hidden 1 --embed 1 --epochs 1 --threads 1 \
  --save-dir "$tmp/small" > "$tmp/small.log" 2>&1 || fail "train H=E=1 exited $?: $(tail -3 "$tmp/small.log")"
M="$tmp/small/last.safetensors"
out=$(printf 'Mary had\n' | "$R" score "$M" - 2>&1) || fail "score H=E=1 exited $?: $out"
echo "$out" | grep -Eq '^-[0-9]' || fail "score H=E=1: no log-probability: $out"
out=$("$R" generate "$M" --words 5 --seed 3 2>&1) || fail "generate H=E=1 exited $?: $out"

# --- non-finite weights ----------------------------------------------------------
"$R" train --config toy --epochs 1 --threads 1 --save-dir "$tmp/toy" > "$tmp/toy.log" 2>&1 ||
  fail "train toy exited $?"
G="$tmp/toy/last.safetensors"
edit "$G" "$tmp/nan_rec.st" poke rnn.weight_hh_l0 3 nan || fail "edit failed"
edit "$G" "$tmp/inf_out.st" poke output.weight 0 inf || fail "edit failed"
edit "$G" "$tmp/nan_train.st" poke train.optim_slots 1 nan || fail "edit failed"
printf 'Mary had a little lamb .\n' > "$tmp/s.txt"
for f in nan_rec:rnn.weight_hh_l0 inf_out:output.weight; do
  file="$tmp/${f%%:*}.st" name=${f#*:}
  for cmd in "score $file $tmp/s.txt" "eval $file $tmp/s.txt" "generate $file" "summary --model $file" \
             "train --resume $file --epochs 2"; do
    out=$("$R" $cmd 2>&1); rc=$?
    [ "$rc" -eq 1 ] || fail "$cmd: exit $rc, expected 1: $out"
    echo "$out" | grep -q "tensor '$name' holds a non-finite value" || fail "$cmd: message: $out"
  done
done
out=$("$R" train --resume "$tmp/nan_train.st" --epochs 2 2>&1); rc=$?
[ "$rc" -eq 1 ] && echo "$out" | grep -q "tensor 'train.optim_slots'" || fail "resume NaN slot: $rc: $out"
# allowed for inspection: one NaN in a recurrent matrix gives nan, not a wrong number
out=$("$R" score "$tmp/nan_rec.st" "$tmp/s.txt" --allow-nonfinite 2>&1) || fail "score --allow-nonfinite: $out"
echo "$out" | grep -Eiq '^-?nan' || fail "score --allow-nonfinite: a NaN weight scored finite: $out"
out=$("$R" eval "$tmp/nan_rec.st" "$tmp/s.txt" --allow-nonfinite 2>&1)
echo "$out" | grep -Eiq '^perplexity -?nan' || fail "eval --allow-nonfinite: a NaN weight scored finite: $out"
"$R" summary --model "$tmp/inf_out.st" --allow-nonfinite > /dev/null 2>&1 || fail "summary --allow-nonfinite"

# --- run history of a resumed run ------------------------------------------------
edit "$G" "$tmp/same.st" || fail "edit failed"
"$R" train --resume "$tmp/same.st" --epochs 2 --save-dir "$tmp/same" > "$tmp/same.log" 2>&1 ||
  fail "resume of the unchanged history exited $?: $(tail -3 "$tmp/same.log")"
for kv in run.best_ppl:nan run.best_ppl:-nan run.best_ppl:0.5 "run.best_ppl: 3" run.best_ppl:3x run.best_ppl:1e999 \
          run.best_ppl: run.best_epoch:1x run.best_epoch:-1 run.best_epoch:99 run.global_step:-3 \
          run.global_step:+4 run.best_ppl:inf; do
  edit "$G" "$tmp/bad.st" meta "${kv%%:*}" "${kv#*:}" || fail "edit failed"
  out=$("$R" train --resume "$tmp/bad.st" --epochs 2 --save-dir "$tmp/bad" 2>&1); rc=$?
  [ "$rc" -eq 1 ] || fail "resume with $kv: exit $rc, expected 1: $(echo "$out" | tail -2)"
  echo "$out" | grep -q "${kv%%:*}" || fail "resume with $kv: message does not name the key: $out"
done

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "test_checkpoint_guard: ok"
