#!/usr/bin/env bash
# Exact resume: a run of 2 epochs straight, and the same run killed with
# SIGKILL at a random step of epoch 2 and resumed from its last checkpoint,
# end with byte-identical checkpoints (weights, optimiser state, everything).
set -euo pipefail
R=${BUILD:-build}/rnnlm
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
# a small deterministic corpus: 3,000 sentences over a 400-word vocabulary
awk 'BEGIN { s = 7; for (i = 0; i < 3000; i++) { n = 5 + i % 9; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " w" int(s / 65536) % 400 }
  print line } }' > "$dir/corpus.txt"
args=(--corpus "$dir/corpus.txt" --vocab-size 300 --hidden 32 --layers 2 --batch-size 8 --max-time 10
      --epochs 2 --threads 1 --dropout 0.2)

"$R" train "${args[@]}" --save-dir "$dir/straight" > "$dir/straight.log"

for attempt in 1 2 3; do
  rm -rf "$dir/killed"
  "$R" train "${args[@]}" --save-dir "$dir/killed" --save-every 1 > "$dir/killed.log" 2>&1 &
  pid=$!
  # wait until epoch 2 is under way, then kill at a random moment of it
  for _ in $(seq 600); do grep -q '^epoch 2 step' "$dir/killed.log" && break; sleep 0.02; done
  sleep "0.$((RANDOM % 20))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  grep -q '^epoch 2/2' "$dir/killed.log" || break   # killed before the end: a real test
  echo "NOTE: run finished before the kill (attempt $attempt); trying again"
done
test -f "$dir/killed/last.safetensors"
"$R" train --resume "$dir/killed/last.safetensors" --save-dir "$dir/killed" --epochs 2 > "$dir/resumed.log"
pos=$(sed -n 's/^resumed from .* at \(epoch [0-9]*, step [0-9]*\)/\1/p' "$dir/resumed.log")
echo "NOTE: resumed at $pos"
cmp "$dir/straight/last.safetensors" "$dir/killed/last.safetensors"
# the final epoch's figures printed by both runs agree as well
diff <(grep '^epoch 2/2' "$dir/straight.log" | sed 's/ - [0-9]*s - [0-9]* tok\/s//') \
     <(grep '^epoch 2/2' "$dir/resumed.log" | sed 's/ - [0-9]*s - [0-9]* tok\/s//')
