#!/usr/bin/env bash
# test_legacy_resume.sh: a checkpoint written before the run configuration
# had its own "config." keys (tests/data/legacy_cli_toy.safetensors: the toy
# configuration after 2 of its epochs, with the options as "cli.<flag>"
# keys, and no data.* fingerprints) still loads and resumes, with a note that
# its data are not checked: one more epoch prints the figures the
# program that wrote it printed for the same resume, and the checkpoint it
# writes holds the "config." keys (docs/FORMAT.md) and no "cli." ones.
set -euo pipefail
R=${BUILD:-build}/rnnlm
D=$(dirname "$0")/data
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cp "$D/legacy_cli_toy.safetensors" "$tmp/legacy.safetensors"

"$R" train --resume "$tmp/legacy.safetensors" --epochs 3 --save-dir "$tmp/run" > "$tmp/out" 2>&1 ||
  fail "resume exited $?: $(tail -n 3 "$tmp/out")"
grep -q '^resumed from .* at epoch 2, step 100$' "$tmp/out" || fail "no resume line: $(cat "$tmp/out")"
# it holds no fingerprint of its data (data.* keys): resumed with a note that says so
grep -q '^note: .* records no fingerprint of its data' "$tmp/out" || fail "no note on the unchecked data: $(grep note "$tmp/out")"
want="epoch 3/3 - train_loss 0.0486 - train_ppl 1.05 - train_acc 1.0000 - test_loss 0.0454 - test_ppl 1.05 - test_acc 1.0000"
got=$(grep '^epoch 3/3' "$tmp/out" | sed 's/ - [0-9]*s - [0-9]* tok\/s//')
[ "$got" = "$want" ] || fail "epoch 3: '$got', expected '$want'"

# the new checkpoint: config.* keys, no cli.* keys; eval reads its batch shape
keys=$(head -c 65536 "$tmp/run/last.safetensors" | tr ',{' '\n\n' | sed -n 's/^ *"\(c[a-z]*\.[a-z_-]*\)".*/\1/p')
echo "$keys" | grep -q '^config\.batch$' || fail "no config.batch key in the new checkpoint"
echo "$keys" | grep -q '^config\.max_time$' || fail "no config.max_time key in the new checkpoint"
! echo "$keys" | grep -q '^cli\.' || fail "the new checkpoint still writes cli.* keys"
for f in "$tmp/legacy.safetensors" "$tmp/run/last.safetensors"; do
  "$R" eval "$f" --corpus toy > "$tmp/eval" 2>&1 || fail "eval $f: $(cat "$tmp/eval")"
  grep -q '(B 2, T 8)' "$tmp/eval" || fail "eval $f did not use the training shape 2 x 8: $(grep '^data' "$tmp/eval")"
done
# and the new one resumes too
"$R" train --resume "$tmp/run/last.safetensors" --epochs 4 > "$tmp/out2" 2>&1 || fail "second resume exited $?"
grep -q '^epoch 4/4' "$tmp/out2" || fail "no epoch 4 after the second resume"
echo "test_legacy_resume: ok"
