#!/usr/bin/env bash
# The adaptive softmax (--softmax adaptive) in a whole run: a model trained
# straight for two epochs, and the same run stopped inside its second epoch
# (--stop-at-step) and resumed from its last checkpoint, end with
# byte-identical last and best checkpoints (weights of the head and clusters,
# the optimiser's slots over them, everything) and the same figures. The
# checkpoint records the head (softmax, adaptive_cutoffs, adaptive_div), so
# `rnnlm eval` of it prints the perplexity the run printed for its test split
# (the tied head too, its rows shared between two workers);
# a full-softmax checkpoint carries none of those keys.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
R=${BUILD:-build}/rnnlm
dir=$(mktemp -d); [ -n "${KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT
tmp=$dir
# a small deterministic corpus: 3,000 sentences over a 400-word vocabulary
awk 'BEGIN { s = 7; for (i = 0; i < 3000; i++) { n = 5 + i % 9; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " w" int(s / 65536) % 400 }
  print line } }' > "$dir/corpus.txt"
args=(--corpus "$dir/corpus.txt" --vocab-size 300 --batch-size 8 --max-time 10 --threads 1 --dropout 0.2
      --hidden 32 --epochs 2 --softmax adaptive --adaptive-cutoffs 40,120 --adaptive-div 2)
figures() { grep -E '^(epoch [0-9]+/|best |test:)' "$1" | sed 's/ - [0-9]*s - [0-9]* tok\/s//; s/ [^ ]*best.safetensors//'; }

"$R" train "${args[@]}" --save-dir "$dir/straight" > "$dir/straight.log" || { echo "FAIL straight run"; exit 1; }
grep -q '^Adaptive softmax: head of 40 words + 2 clusters' "$dir/straight.log" || fail "no adaptive head in the summary"
"$R" train "${args[@]}" --save-dir "$dir/cut" --stop-at-step 450 > "$dir/cut.log" || fail "cut run"
grep -q "^epoch 2/2 cut after step" "$dir/cut.log" || fail "the run was not cut inside epoch 2"
"$R" train --resume "$dir/cut/last.safetensors" --save-dir "$dir/cut" > "$dir/resumed.log" || fail "resume"
cmp "$dir/straight/last.safetensors" "$dir/cut/last.safetensors" || fail "last checkpoints differ"
cmp "$dir/straight/best.safetensors" "$dir/cut/best.safetensors" || fail "best checkpoints differ"
diff <(figures "$dir/straight.log" | grep -v '^epoch 1/') <(figures "$dir/resumed.log") || fail "figures differ"

# the loaded model knows its head: eval of the test split gives the run's figure
# (within 0.2%: eval batches the split's last rows its own way)
ppl=$(sed -n 's/^best test perplexity \([0-9.]*\) .*/\1/p' "$dir/straight.log")
"$R" eval "$dir/straight/best.safetensors" --corpus "$dir/corpus.txt" > "$dir/eval.log" 2>&1 || fail "eval"
eval_ppl=$(sed -n 's/^perplexity \([0-9.]*\).*/\1/p' "$dir/eval.log")
awk -v a="$eval_ppl" -v b="$ppl" 'BEGIN { exit !(a > 0 && b > 0 && (a - b) / b < 2e-3 && (b - a) / b < 2e-3) }' ||
  fail "eval perplexity '$eval_ppl', the run's $ppl"

# score and generate on the loaded model; the Python module over the library:
# its batched scores (the head and one cluster per word) equal those of a
# state fed word by word (the whole distribution, which sums to 1)
head -n 20 "$dir/corpus.txt" > "$dir/some.txt"
"$R" score "$dir/straight/best.safetensors" "$dir/some.txt" > "$dir/score.txt" 2>/dev/null || fail "score"
[ "$(grep -c . "$dir/score.txt")" -ge 20 ] || fail "score printed $(grep -c . "$dir/score.txt") lines"
"$R" generate "$dir/straight/best.safetensors" --words 5 > "$dir/gen.txt" 2>&1 || fail "generate"
if [ -x /usr/bin/python3 ]; then
  RNNLM_LIB="${BUILD:-build}/librnnlm.so" PYTHONPATH=python /usr/bin/python3 - "$dir/straight/best.safetensors" \
      "$dir/some.txt" > "$dir/py.txt" <<'PY' || fail "python: $(tail -n 3 "$dir/py.txt")"
import math, sys, rnnlm
m = rnnlm.Model(sys.argv[1])
lines = [l.split() for l in open(sys.argv[2])]
got = m.scores([" ".join(l) for l in lines])
for l, s in zip(lines, got):   # the batched scorer against a state fed word by word
    st = m.state()
    lp, tot = st.feed(0), 0.0
    assert abs(sum(math.exp(x) for x in lp) - 1) < 1e-5
    for w in l + [None]:
        i = 0 if w is None else m.id(w)
        tot += lp[i]
        if w is not None:
            lp = st.feed(i)
    assert abs(tot - s.logprob) < 1e-3, (tot, s.logprob)
print("python ok", len(got))
PY
  grep -q "python ok 20" "$dir/py.txt" || fail "python: $(cat "$dir/py.txt")"
fi

# a full-softmax checkpoint holds no head keys; an adaptive one refuses --loss sampled, and
# --adaptive-div with --tied (a tied head has no projections)
"$R" train "${args[@]:0:14}" --epochs 1 --save-dir "$dir/full" > /dev/null || fail "full run"
grep -a -q '"adaptive_cutoffs"' "$dir/full/last.safetensors" && fail "full checkpoint names adaptive_cutoffs"
grep -a -q '"adaptive_cutoffs":"40,120"' "$dir/straight/last.safetensors" || fail "no adaptive_cutoffs key"
expect_run 2 "no width to divide" "$R" train "${args[@]}" --save-dir "$dir/t" --tied --embed 32
expect_run 2 "needs --loss full" "$R" train "${args[@]}" --save-dir "$dir/s" --loss sampled
expect_run 2 '--adaptive-cutoffs "12x"' "$R" train "${args[@]}" --save-dir "$dir/c" --adaptive-cutoffs 12x
expect_run 1 "strictly increasing" "$R" train "${args[@]}" --save-dir "$dir/c" --adaptive-cutoffs 120,40
expect_run 1 "below the vocabulary's size 300" "$R" train "${args[@]}" --save-dir "$dir/c" --adaptive-cutoffs 40,300

# the tied head (the embedding's rows as output vectors), its rows shared
# between two workers: stopped and resumed, byte-identical; its checkpoint
# names the cluster tokens' vectors and no projection; eval agrees
targs=(--corpus "$dir/corpus.txt" --vocab-size 300 --batch-size 8 --max-time 10 --threads 2 --dropout 0.2
       --hidden 32 --epochs 2 --softmax adaptive --adaptive-cutoffs 40,120 --tied)
"$R" train "${targs[@]}" --save-dir "$dir/tstraight" > "$dir/tstraight.log" || fail "tied straight run"
grep -q '^Adaptive softmax tied to the embedding: head of 40 words' "$dir/tstraight.log" || fail "no tied head in the summary"
"$R" train "${targs[@]}" --save-dir "$dir/tcut" --stop-at-step 450 > "$dir/tcut.log" || fail "tied cut run"
"$R" train --resume "$dir/tcut/last.safetensors" --save-dir "$dir/tcut" > "$dir/tresumed.log" || fail "tied resume"
cmp "$dir/tstraight/last.safetensors" "$dir/tcut/last.safetensors" || fail "tied: last checkpoints differ"
grep -a -q '"adaptive.head.clusters"' "$dir/tstraight/last.safetensors" || fail "tied: no adaptive.head.clusters"
grep -a -q '"adaptive.tail.1.proj"' "$dir/tstraight/last.safetensors" && fail "tied: a projection in the file"
ppl=$(sed -n 's/^best test perplexity \([0-9.]*\) .*/\1/p' "$dir/tstraight.log")
"$R" eval "$dir/tstraight/best.safetensors" --corpus "$dir/corpus.txt" > "$dir/teval.log" 2>&1 || fail "tied eval"
eval_ppl=$(sed -n 's/^perplexity \([0-9.]*\).*/\1/p' "$dir/teval.log")
awk -v a="$eval_ppl" -v b="$ppl" 'BEGIN { exit !(a > 0 && b > 0 && (a - b) / b < 2e-3 && (b - a) / b < 2e-3) }' ||
  fail "tied: eval perplexity '$eval_ppl', the run's $ppl"
[ "$failures" = 0 ] || exit 1
echo "test_adaptive_resume: ok"
