#!/usr/bin/env bash
# compare_builds.sh OLD_BUILD NEW_BUILD [ROUNDS] [STEPS]: the same benchmarks on two
# builds of rnnlm (for example main before and after a change, each built
# from its own checkout), interleaved in one run so that both see the same
# machine: training tokens/s of the industrial configuration (bench_train,
# STEPS steps, 1 and 2 threads, ROUNDS alternating rounds, the median of
# each) and scoring tokens/s (`rnnlm score`, 64 lanes, 1,500 sentences of
# an industrial-size model, best of ROUNDS). Prints the ratio new / old of
# each. Timings are informative only.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/compare_builds.sh OLD_BUILD NEW_BUILD [ROUNDS] [STEPS]}
NEW=${2:?usage: bench/compare_builds.sh OLD_BUILD NEW_BUILD [ROUNDS] [STEPS]}
ROUNDS=${3:-5}; STEPS=${4:-20}
# extra arguments of the new build's bench_train and rnnlm score (for example
# NEW_ARGS=--bf16 and NEW_SCORE_ARGS="--precision bf16": bf16 against the old fp32),
# and of the old build's (OLD_ARGS=--bf16 OLD_SCORE_ARGS="--precision bf16" with
# the same for the new: bf16 against bf16); OLD_ARGS="--hour --bf16" NEW_ARGS="--hour --bf16"
# compares the `hour` preset's model instead of the industrial one
NEW_ARGS=${NEW_ARGS:-}; NEW_SCORE_ARGS=${NEW_SCORE_ARGS:-}
OLD_ARGS=${OLD_ARGS:-}; OLD_SCORE_ARGS=${OLD_SCORE_ARGS:-}
for b in "$OLD" "$NEW"; do
  [ -x "$b/rnnlm" ] && [ -x "$b/bench/bench_train" ] || { echo "no $b/rnnlm or $b/bench/bench_train (make bench)"; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_compare.XXXXXX"); trap 'rm -rf "$dir"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

for th in 1 2; do
  : > "$dir/old.$th"; : > "$dir/new.$th"
  for r in $(seq "$ROUNDS"); do
    o=$("$OLD/bench/bench_train" "$th" "$STEPS" $OLD_ARGS | sed -n 's/^tokens_per_s //p')
    n=$("$NEW/bench/bench_train" "$th" "$STEPS" $NEW_ARGS | sed -n 's/^tokens_per_s //p')
    echo "$o" >> "$dir/old.$th"; echo "$n" >> "$dir/new.$th"
    echo "train, $th thread(s), round $r: old $o, new $n tokens/s"
  done
  o=$(median < "$dir/old.$th"); n=$(median < "$dir/new.$th")
  echo "train, $th thread(s): median old $o, new $n tokens/s; new/old $(ratio "$n" "$o")"
done

awk 'BEGIN { srand(3); for (i = 0; i < 8000; i++) { n = 5 + i % 30; line = "";
  for (j = 0; j < n; j++) line = line " w" int(rand() * 12000)
  print line } }' > "$dir/corpus.txt"
head -n 1500 "$dir/corpus.txt" > "$dir/sents.txt"
"$OLD/rnnlm" train --corpus "$dir/corpus.txt" --vocab-size 10000 --hidden 200 --layers 2 --cell lstm \
  --batch-size 100 --max-time 25 --epochs 1 --max-steps 1 --split 0.95 --threads 2 --save-dir "$dir/m" > /dev/null
M="$dir/m/last.safetensors"
tokens=$("$NEW/rnnlm" score "$M" "$dir/sents.txt" | awk -F'\t' '{ n += $3 + 1 } END { print n }')
time_score() {   # BUILD THREADS [ARGS]: best of ROUNDS, seconds
  local best="" t0 t1
  for _ in $(seq "$ROUNDS"); do
    t0=$(date +%s.%N); "$1/rnnlm" score "$M" "$dir/sents.txt" --threads "$2" --lanes 64 ${3:-} > "$dir/out" 2>/dev/null; t1=$(date +%s.%N)
    best=$(awk -v a="$t0" -v b="$t1" -v m="$best" 'BEGIN { d = b - a; if (m == "" || d < m) m = d; print m }')
  done
  echo "$best"
}
"$OLD/rnnlm" score "$M" "$dir/sents.txt" --threads 1 $OLD_SCORE_ARGS > "$dir/old.scores"
"$NEW/rnnlm" score "$M" "$dir/sents.txt" --threads 1 $NEW_SCORE_ARGS > "$dir/new.scores"
if cmp -s "$dir/old.scores" "$dir/new.scores"; then same="identical"; else
  same="different: largest per-sentence ln P difference $(paste "$dir/old.scores" "$dir/new.scores" |
    awk -F'\t' '{ d = $1 - $6; if (d < 0) d = -d; if (d > m) m = d } END { printf "%.3g", m }')"; fi
echo "score: $tokens predicted tokens; the two builds' scores are $same"
for th in 1 2; do
  o=$(time_score "$OLD" "$th" "$OLD_SCORE_ARGS"); n=$(time_score "$NEW" "$th" "$NEW_SCORE_ARGS")
  ot=$(awk -v t="$tokens" -v s="$o" 'BEGIN { printf "%.0f", t / s }')
  nt=$(awk -v t="$tokens" -v s="$n" 'BEGIN { printf "%.0f", t / s }')
  echo "score, $th thread(s): old $ot, new $nt tokens/s; new/old $(ratio "$nt" "$ot")"
done
