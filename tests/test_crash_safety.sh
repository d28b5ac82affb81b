#!/usr/bin/env bash
# Crash safety of checkpoints: training that writes a checkpoint every step is
# killed with SIGKILL 50 times at random moments (most of its time is spent
# writing); after every kill the newest checkpoint on disk loads completely,
# and no temporary file is mistaken for it.
set -euo pipefail
R=${BUILD:-build}/rnnlm
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
awk 'BEGIN { s = 11; for (i = 0; i < 2000; i++) { n = 4 + i % 7; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " w" int(s / 65536) % 300 }
  print line } }' > "$dir/corpus.txt"
kills=0; loads=0
for i in $(seq 50); do
  "$R" train --corpus "$dir/corpus.txt" --vocab-size 250 --hidden 96 --layers 2 --batch-size 4 --max-time 8 \
      --epochs 100 --threads 1 --save-dir "$dir/ck" --save-every 1 > /dev/null 2>&1 &
  pid=$!
  # the first kill waits for a first checkpoint; later ones land anywhere
  if [ "$i" = 1 ]; then for _ in $(seq 500); do [ -f "$dir/ck/last.safetensors" ] && break; sleep 0.01; done; fi
  sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1)) || true
  wait "$pid" 2>/dev/null || true
  "$R" summary --model "$dir/ck/last.safetensors" > /dev/null
  loads=$((loads + 1))
done
echo "NOTE: $kills kills, the newest checkpoint loaded $loads times of 50"
[ "$loads" = 50 ]
