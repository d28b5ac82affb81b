#!/usr/bin/env bash
# test_precision_cli.sh: `--precision auto` on the command line. `rnnlm
# train` names its choice and reason on the compute line and stores
# config.precision=auto with run.precision=<the choice>; `--resume` continues
# in the recorded precision ("the resumed run's") and says so; an explicit
# precision prints no auto note and stores no run.precision; `score`, `eval`
# and `generate` take auto and `score`/`eval` name the choice; an unknown
# value is refused. Which precision the measurement picks depends on the
# machine: only that one is named, and kept, is asserted.
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
. "$(dirname "$0")/lib.sh"
R="${BUILD:-build}/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_precision_cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
toy=(--config toy --threads 1)
# meta FILE KEY: the value of metadata KEY in a safetensors FILE's header ("" when absent)
meta() {
  python3 - "$1" "$2" <<'EOF' 2>/dev/null || true
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    print(json.loads(f.read(n)).get("__metadata__", {}).get(sys.argv[2], ""))
EOF
}
command -v python3 > /dev/null || skip "no python3 to read the checkpoint's header"

"$R" train "${toy[@]}" --epochs 1 --precision auto --save-dir "$tmp/a" > "$tmp/out1" 2> "$tmp/err1" < /dev/null ||
  fail "train --precision auto: exit $?: $(head -c 300 "$tmp/err1")"
line=$(grep '^compute: ' "$tmp/out1")
pick=$(printf '%s\n' "$line" | sed -n 's/.*; precision auto: \(fp32\|bf16\) (bf16 products [0-9.]*x as fast as fp32 at this model.s training shapes.*/\1/p')
[ -n "$pick" ] || fail "the compute line does not name auto's choice and reason: $line"
if [ "$pick" = bf16 ]; then
  printf '%s\n' "$line" | grep -q 'bf16 inputs' || fail "auto chose bf16 but the products are not: $line"
else
  printf '%s\n' "$line" | grep -q 'bf16 inputs' && fail "auto chose fp32 but the products are bf16: $line"
fi
[ "$(meta "$tmp/a/last.safetensors" config.precision)" = auto ] || fail "config.precision is not auto"
[ "$(meta "$tmp/a/last.safetensors" run.precision)" = "$pick" ] ||
  fail "run.precision '$(meta "$tmp/a/last.safetensors" run.precision)', the run chose '$pick'"

# resume: the recorded choice, not a new measurement
"$R" train --resume "$tmp/a/last.safetensors" --epochs 2 --threads 1 > "$tmp/out2" 2> "$tmp/err2" < /dev/null ||
  fail "resume: exit $?: $(head -c 300 "$tmp/err2")"
grep -q "^compute: .*; precision auto: $pick (the resumed run's, run.precision in its checkpoint)" "$tmp/out2" ||
  fail "the resumed run does not keep '$pick': $(grep '^compute: ' "$tmp/out2")"
[ "$(meta "$tmp/a/last.safetensors" run.precision)" = "$pick" ] || fail "the resumed run's checkpoint changed run.precision"

# explicit precisions: no note, no run.precision
for p in fp32 bf16; do
  "$R" train "${toy[@]}" --epochs 1 --precision "$p" --save-dir "$tmp/$p" > "$tmp/out" 2>&1 < /dev/null ||
    fail "train --precision $p: exit $?"
  grep -q 'precision auto' "$tmp/out" && fail "--precision $p prints an auto note"
  [ "$(meta "$tmp/$p/last.safetensors" config.precision)" = "$p" ] || fail "--precision $p: config.precision"
  [ -z "$(meta "$tmp/$p/last.safetensors" run.precision)" ] || fail "--precision $p stores run.precision"
done

# the scoring commands
M="$tmp/a/last.safetensors"
printf 'a b c\nb c d\n' > "$tmp/sents.txt"
"$R" score "$M" "$tmp/sents.txt" --precision auto --threads 1 > /dev/null 2> "$tmp/err" ||
  fail "score --precision auto: exit $?: $(head -c 300 "$tmp/err")"
grep -q 'precision auto: \(fp32\|bf16\) (bf16 products [0-9.]*x as fast as fp32 at this model.s scoring shapes' "$tmp/err" ||
  fail "score does not name auto's choice: $(cat "$tmp/err")"
"$R" eval "$M" "$tmp/sents.txt" --precision auto > "$tmp/out" 2>&1 || fail "eval --precision auto: exit $?: $(head -c 300 "$tmp/out")"
grep -q 'precision auto: \(fp32\|bf16\) (' "$tmp/out" || fail "eval does not name auto's choice: $(head -c 400 "$tmp/out")"
"$R" generate "$M" --words 3 --precision auto > /dev/null 2> "$tmp/err" || fail "generate --precision auto: exit $?: $(cat "$tmp/err")"
expect_run 2 "--precision" "$R" score "$M" "$tmp/sents.txt" --precision fp16
expect_run 2 "--precision" "$R" train "${toy[@]}" --epochs 1 --precision fast

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
