#!/usr/bin/env bash
# Training speed of the industrial configuration: rnnlm against PyTorch
# (Debian's python3-torch) in the same run, each at 1 and 2 threads, with the
# fp32 sgemm peak measured now, and both peak resident memories.
# usage: bench/bench_train.sh [BUILD_DIR] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}; STEPS=${2:-30}
get() { sed -n "s/^$1 //p"; }
FLOP_PER_TOKEN=15.84e6   # 6 x 2.64 M multiply-adds (docs/RECIPE.md section 2)

peak1=$("$B/bench/bench_sgemm" 1 | get sgemm_2048_gflops)
peak2=$("$B/bench/bench_sgemm" 2 | get sgemm_2048_gflops)
echo "sgemm 2048^3 peak: ${peak1} GFLOP/s on 1 thread, ${peak2} on 2"

best_r=0; best_t=0; r_mem=0; t_mem=0; best_r_th=0; best_t_th=0
for th in 1 2; do
  out=$("$B/bench/bench_train" "$th" "$STEPS")
  r=$(echo "$out" | get tokens_per_s); m=$(echo "$out" | get peak_rss_mb)
  echo "rnnlm   train, $th thread(s): $r tokens/s, peak RSS $m MB"
  if awk "BEGIN{exit !($r > $best_r)}"; then best_r=$r; r_mem=$m; best_r_th=$th; fi
  if command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    out=$(/usr/bin/python3 bench/torch_train.py --threads "$th" --steps "$STEPS")
    t=$(echo "$out" | get tokens_per_s); m=$(echo "$out" | get peak_rss_mb)
    echo "PyTorch train, $th thread(s): $t tokens/s, peak RSS $m MB"
    if awk "BEGIN{exit !($t > $best_t)}"; then best_t=$t; t_mem=$m; best_t_th=$th; fi
  fi
done
peak=$([ "$best_r_th" = 1 ] && echo "$peak1" || echo "$peak2")
awk -v r="$best_r" -v t="$best_t" -v f="$FLOP_PER_TOKEN" -v p="$peak" -v rm="$r_mem" -v tm="$t_mem" \
    -v rth="$best_r_th" -v tth="$best_t_th" 'BEGIN {
  printf "rnnlm best (%d threads): %.0f tokens/s = %.1f GFLOP/s = %.0f%% of the %d-thread sgemm peak\n", rth, r, r*f/1e9, 100*r*f/1e9/p, rth
  if (t > 0) {
    printf "PyTorch best (%d threads): %.0f tokens/s\n", tth, t
    printf "ratio rnnlm/PyTorch tokens/s: %.2fx   peak memory rnnlm/PyTorch: %.2f (%.0f MB vs %.0f MB)\n", r/t, rm/tm, rm, tm
  } else print "PyTorch not available: install python3-torch for the peer"
}'
