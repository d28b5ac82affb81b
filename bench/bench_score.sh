#!/usr/bin/env bash
# bench_score.sh [BUILD_DIR]: scoring throughput (predicted tokens per second)
# of `rnnlm score` (the batched scorer, 64 lanes) against PyTorch's forward
# pass (bench/torch_score_peer.py: float32, batches of 64 sorted by length) on
# the same industrial-size model (V 10000, E = H = 200, 2 LSTM layers) and
# the same 1,500 sentences (5-34 words), at 1 and 2 threads, in the same run; prints both
# and the ratio; rnnlm in fp32 and in bf16 (--precision bf16, with the largest
# per-sentence log-probability difference from fp32), each with its path. The model has random weights: `rnnlm train --max-steps 1`
# on a synthetic corpus of 12,000 word types (throughput does not depend on
# the weights). rnnlm's time is the whole process (loading included, best of
# 3); PyTorch's excludes loading. Timings are informative only.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-build}/rnnlm
[ -x "$R" ] || { echo "no $R (make first)"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_bench_score.XXXXXX"); trap 'rm -rf "$dir"' EXIT
awk 'BEGIN { srand(3); for (i = 0; i < 8000; i++) { n = 5 + i % 30; line = "";
  for (j = 0; j < n; j++) line = line " w" int(rand() * 12000)
  print line } }' > "$dir/corpus.txt"
head -n 1500 "$dir/corpus.txt" > "$dir/sents.txt"
"$R" train --corpus "$dir/corpus.txt" --vocab-size 10000 --hidden 200 --layers 2 --cell lstm \
  --batch-size 100 --max-time 25 --epochs 1 --max-steps 1 --split 0.95 --threads 2 --save-dir "$dir/m" > /dev/null
M="$dir/m/last.safetensors"
"$R" summary --model "$M" | grep -E "^(Vocabulary|Total)"
"$R" score "$M" "$dir/sents.txt" --ids --threads 1 2>"$dir/path32" > "$dir/sents.ids"
"$R" score "$M" "$dir/sents.txt" --threads 1 --precision bf16 2>"$dir/path16" > "$dir/sents.bf16"
sed 's/^rnnlm score: compute: /fp32 path: /' "$dir/path32"; sed 's/^rnnlm score: compute: /bf16 path: /' "$dir/path16"
echo "bf16 against fp32: largest per-sentence ln P difference $(paste "$dir/sents.ids" "$dir/sents.bf16" |
  awk -F'\t' '{ d = $1 - $7; if (d < 0) d = -d; if (d > m) m = d; if ($1 < 0) r = d / -$1; if (r > mr) mr = r }
  END { printf "%.4g nats (%.3g relative)", m, mr }')"
tokens=$(awk -F'\t' '{ n += $3 + 1 } END { print n }' "$dir/sents.ids")
ours_lp=$(awk -F'\t' '{ s += $1 } END { printf "%.1f", s }' "$dir/sents.ids")
echo "sentences 1500, predicted tokens $tokens (words + sentence ends), rnnlm total logprob $ours_lp"
score_time() {   # THREADS PRECISION: best of 3, seconds
  local best="" t0 t1
  for _ in 1 2 3; do
    t0=$(date +%s.%N)
    "$R" score "$M" "$dir/sents.txt" --threads "$1" --lanes 64 --precision "$2" > /dev/null 2>&1
    t1=$(date +%s.%N)
    best=$(awk -v a="$t0" -v b="$t1" -v m="$best" 'BEGIN { d = b - a; if (m == "" || d < m) m = d; print m }')
  done
  echo "$best"
}
for th in 1 2; do
  best=$(score_time "$th" fp32); best16=$(score_time "$th" bf16)
  ours=$(awk -v t="$tokens" -v s="$best" 'BEGIN { printf "%.0f", t / s }')
  ours16=$(awk -v t="$tokens" -v s="$best16" 'BEGIN { printf "%.0f", t / s }')
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    pout=$(/usr/bin/python3 bench/torch_score_peer.py "$M" "$dir/sents.ids" "$th")
    theirs=$(printf '%s\n' "$pout" | sed -n 's/^tokens_per_s //p')
    tlp=$(printf '%s\n' "$pout" | sed -n 's/^logprob //p')
    printf 'threads %d: rnnlm score fp32 %s tokens/s (%.3f s); pytorch fp32 %s tokens/s (logprob %s); ratio rnnlm/pytorch %s\n' \
      "$th" "$ours" "$best" "$theirs" "$tlp" "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2fx", a / b }')"
    printf 'threads %d: rnnlm score bf16 %s tokens/s (%.3f s); ratio rnnlm bf16/pytorch fp32 %s\n' \
      "$th" "$ours16" "$best16" "$(awk -v a="$ours16" -v b="$theirs" 'BEGIN { printf "%.2fx", a / b }')"
  else
    printf 'threads %d: rnnlm score fp32 %s tokens/s (%.3f s), bf16 %s tokens/s; pytorch: SKIP (no torch)\n' "$th" "$ours" "$best" "$ours16"
  fi
done
