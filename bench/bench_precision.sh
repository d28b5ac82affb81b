#!/usr/bin/env bash
# bench_precision.sh [BUILD_DIR]: does `--precision auto` pick the faster
# precision? For the industrial model (LSTM, V 10000, E = H = 200, L = 2,
# B 100, T 25) and the medium preset's shape (H = E = 400 tied, B 64, T 35,
# its dropouts, locked masks and weight drop), in the same run: training
# tokens/s of `rnnlm train` in fp32 and in bf16 (STEPS steps each, taken in
# turn, ROUNDS rounds, the best of each), the precision `--precision auto`
# chooses (its compute line), and whether that is the faster one. On a CPU
# with native bf16 (AVX512-BF16 or AMX) the industrial model runs once more
# with oneDNN capped at AVX-512 without bf16 (DNNL_MAX_CPU_ISA=AVX512_CORE),
# where bf16 is emulated and slower: auto has to pick fp32 there. Data: a
# synthetic corpus of 12,000 word types (throughput does not depend on the
# words), trained without validation so that only the steps are timed.
# Timings are informative only.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-build}/rnnlm
[ -x "$R" ] || { echo "no $R (make first)"; exit 1; }
STEPS=${STEPS:-30}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-0}
dir=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_bench_precision.XXXXXX"); trap 'rm -rf "$dir"' EXIT
awk 'BEGIN { srand(5); for (i = 0; i < 12000; i++) { n = 5 + i % 30; line = "";
  for (j = 0; j < n; j++) line = line " w" int(rand() * 12000)
  print line } }' > "$dir/train.txt"
grep -m1 -o 'model name.*' /proc/cpuinfo | sed 's/model name[[:space:]]*: /cpu: /' || true
flags=$(grep -o -w -E 'avx512_bf16|amx_bf16|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ' || true)
echo "cpu bf16 flags: ${flags:-none (neither AVX512-BF16 nor AMX)}"

# train NAME PRECISION ARGS...: tokens/s of the run's one epoch of STEPS steps
train() {
  local name=$1 prec=$2; shift 2
  "$R" train --train "$dir/train.txt" --vocab-size 10000 --epochs 1 --max-steps "$STEPS" --threads "$THREADS" \
    --precision "$prec" "$@" > "$dir/$name.$prec.out" 2>&1 || { cat "$dir/$name.$prec.out"; exit 1; }
  sed -n 's/^epoch 1\/1 - [0-9]*s - \([0-9]*\) tok\/s.*/\1/p' "$dir/$name.$prec.out"
}

# bench NAME ARGS...: both precisions in turn, then auto's choice
bench() {
  local name=$1; shift
  local b32=0 b16=0 t
  for _ in $(seq "$ROUNDS"); do
    t=$(train "$name" fp32 "$@"); [ "$t" -gt "$b32" ] && b32=$t
    t=$(train "$name" bf16 "$@"); [ "$t" -gt "$b16" ] && b16=$t
  done
  STEPS=1 train "$name" auto "$@" > /dev/null
  local line pick faster
  line=$(sed -n 's/^compute: //p' "$dir/$name.auto.out")
  pick=$(printf '%s\n' "$line" | sed -n 's/.*precision auto: \([a-z0-9]*\) .*/\1/p')
  faster=$(awk -v a="$b32" -v b="$b16" 'BEGIN { print (b > a) ? "bf16" : "fp32" }')
  echo "$name: compute: $(printf '%s\n' "$line" | sed 's/; precision auto.*//')"
  printf '%s: training fp32 %s tokens/s, bf16 %s tokens/s (bf16/fp32 %s); faster: %s\n' "$name" "$b32" "$b16" \
    "$(awk -v a="$b32" -v b="$b16" 'BEGIN { printf "%.2fx", b / a }')" "$faster"
  echo "$name: auto picked $pick: $(printf '%s\n' "$line" | sed -n 's/.*precision auto: //p')"
  echo "$name: auto picked the faster: $([ "$pick" = "$faster" ] && echo yes || echo no)"
}

bench industrial --hidden 200 --layers 2 --batch-size 100 --max-time 25
bench medium --hidden 400 --layers 2 --tied --batch-size 64 --max-time 35 --dropout 0.25 --dropout-out 0.4 \
  --dropout-emb 0.3 --dropout-word 0.1 --weight-drop 0.3 --locked --lr 0.005 --clip 1
if [ -n "$flags" ]; then   # the machine without native bf16, emulated by capping oneDNN's ISA
  DNNL_MAX_CPU_ISA=AVX512_CORE bench industrial-isa-capped --hidden 200 --layers 2 --batch-size 100 --max-time 25
fi
