#!/usr/bin/env bash
# Training speed of the industrial configuration: rnnlm (fp32 and bf16, each
# with its compute path) against PyTorch (Debian's python3-torch, fp32) in the
# same run, each at 1 and 2 threads, with the
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

best_r=0; best_t=0; r_mem=0; t_mem=0; best_r_th=0; best_t_th=0; best_h=0; best_h_th=0
for th in 1 2; do
  out=$("$B/bench/bench_train" "$th" "$STEPS")
  r=$(echo "$out" | get tokens_per_s); m=$(echo "$out" | get peak_rss_mb)
  echo "rnnlm   train fp32, $th thread(s): $r tokens/s, peak RSS $m MB ($(echo "$out" | get path))"
  if awk "BEGIN{exit !($r > $best_r)}"; then best_r=$r; r_mem=$m; best_r_th=$th; fi
  out=$("$B/bench/bench_train" "$th" "$STEPS" --bf16)
  h=$(echo "$out" | get tokens_per_s)
  echo "rnnlm   train bf16, $th thread(s): $h tokens/s ($(echo "$out" | get path))"
  if awk "BEGIN{exit !($h > $best_h)}"; then best_h=$h; best_h_th=$th; fi
  if command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    out=$(/usr/bin/python3 bench/torch_train.py --threads "$th" --steps "$STEPS")
    t=$(echo "$out" | get tokens_per_s); m=$(echo "$out" | get peak_rss_mb)
    echo "PyTorch train fp32, $th thread(s): $t tokens/s, peak RSS $m MB"
    if awk "BEGIN{exit !($t > $best_t)}"; then best_t=$t; t_mem=$m; best_t_th=$th; fi
  fi
done
peak=$([ "$best_r_th" = 1 ] && echo "$peak1" || echo "$peak2")
awk -v r="$best_r" -v t="$best_t" -v f="$FLOP_PER_TOKEN" -v p="$peak" -v rm="$r_mem" -v tm="$t_mem" \
    -v rth="$best_r_th" -v tth="$best_t_th" -v h="$best_h" -v hth="$best_h_th" 'BEGIN {
  printf "rnnlm best fp32 (%d threads): %.0f tokens/s = %.1f GFLOP/s = %.0f%% of the %d-thread OpenBLAS sgemm peak\n", rth, r, r*f/1e9, 100*r*f/1e9/p, rth
  printf "rnnlm best bf16 (%d threads): %.0f tokens/s = %.1f GFLOP/s; bf16/fp32 %.2fx\n", hth, h, h*f/1e9, h/r
  if (t > 0) {
    printf "PyTorch best fp32 (%d threads): %.0f tokens/s\n", tth, t
    printf "ratio rnnlm fp32/PyTorch tokens/s: %.2fx   rnnlm bf16/PyTorch: %.2fx   peak memory rnnlm/PyTorch: %.2f (%.0f MB vs %.0f MB)\n", r/t, h/t, rm/tm, rm, tm
  } else print "PyTorch not available: install python3-torch for the peer"
}'
