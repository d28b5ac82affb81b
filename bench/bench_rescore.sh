#!/usr/bin/env bash
# bench_rescore.sh: `rnnlm rescore` on synthetic 20-best lists of Brown's
# test sentences: how often the rescored 1-best is the true sentence and the
# word error rate of the chosen hypotheses, for the acoustic score alone, a
# trigram alone, the RNN alone and their interpolation; and the hypotheses
# per second with and without prefix sharing (same run, same lists), with
# their ratio.
#
#   bench/bench_rescore.sh [BUILD]      (default build; about 3 minutes on 2 cores)
#
# Steps: Brown's recipe split with V = 5000 as text (canonical words, <unk>
# for the rest: `rnnlm data --write-ids`); an LSTM (H = E = 128, one layer)
# trained for one epoch of at most 90 s on the training split; a trigram
# (IRSTLM `tlm`, modified shift-beta) estimated from the same training text;
# 500 test sentences of 4 to 30 words made into 20-best lists by
# bench/nbest_synth.py (5 confused places per utterance, the acoustic score
# preferring wrong hypotheses slightly); then the rescoring runs.
# Env: THREADS (2), UTTS (500), EPOCH_MINUTES (1.5), KEEP (a directory to keep the files in).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
R="$BUILD/rnnlm"
PY=/usr/bin/python3
IRST=/usr/lib/irstlm/bin
THREADS=${THREADS:-2}
UTTS=${UTTS:-500}
EPOCH_MINUTES=${EPOCH_MINUTES:-1.5}
[ -x "$R" ] || { echo "bench_rescore: no $R (make first)"; exit 1; }
[ -x "$IRST/tlm" ] || { echo "bench_rescore: SKIP: no IRSTLM in $IRST (scripts/setup.sh installs it)"; exit 0; }
if [ -n "${KEEP:-}" ]; then tmp=$KEEP; mkdir -p "$tmp"; else
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_bench_rescore.XXXXXX"); trap 'rm -rf "$tmp"' EXIT; fi

# --- data: the recipe's split as text ------------------------------------------------
"$R" data --corpus brown --vocab-size 5000 --write-ids "$tmp/ids" --show 0 > /dev/null
"$PY" - "$tmp/ids" "$tmp" <<'EOF'
import sys
ids, out = sys.argv[1], sys.argv[2]
with open(ids + "/vocab.tsv", encoding="utf-8") as f:
    next(f)
    words = [line.split("\t")[0] for line in f]
for split in ("train", "test"):
    with open("%s/%s.ids" % (ids, split)) as f:
        stream = [int(x) for x in f.read().split()]
    with open("%s/%s.txt" % (out, split), "w", encoding="utf-8") as o:
        sent = []
        for i in stream:
            if i == 0:
                if sent:
                    o.write(" ".join(sent) + "\n")
                sent = []
            else:
                sent.append(words[i])
        if sent:
            o.write(" ".join(sent) + "\n")
EOF
head -n 500 "$tmp/test.txt" > "$tmp/valid.txt"
tail -n +501 "$tmp/test.txt" > "$tmp/heldout.txt"
echo "data: $(wc -l < "$tmp/train.txt") training sentences, $(wc -l < "$tmp/heldout.txt") held-out (V 5000, <unk> a word)"

# --- models ---------------------------------------------------------------------------
t0=$(date +%s)
"$R" train --train "$tmp/train.txt" --valid "$tmp/valid.txt" --no-canon --vocab-size 5001 \
  --hidden 128 --embed 128 --layers 1 --epochs 1 --max-minutes "$EPOCH_MINUTES" --threads "$THREADS" \
  --save-dir "$tmp/run" > "$tmp/train.log" 2>&1 || { cat "$tmp/train.log"; exit 1; }
echo "rnn: LSTM H 128, $(grep -o 'valid[^|]*ppl [0-9.]*' "$tmp/train.log" | tail -n 1 || true) ($(($(date +%s) - t0)) s)"
tail -n 2 "$tmp/train.log" | sed 's/^/  /'
"$IRST/add-start-end.sh" < "$tmp/train.txt" > "$tmp/train.se"
(cd "$tmp" && "$IRST/tlm" -tr=train.se -n=3 -lm=msb -o=tri.arpa > tlm.log 2>&1) || { cat "$tmp/tlm.log"; exit 1; }
M="$tmp/run/best.safetensors"
G="$tmp/tri.arpa"

# --- n-best lists ----------------------------------------------------------------------
"$PY" bench/nbest_synth.py make "$tmp/heldout.txt" "$tmp/ids/vocab.tsv" "$tmp/nb" --n 20 --sites 5 \
  --seed 7 --max-utts "$UTTS" 2> /dev/null
NB=("$tmp/nb/nbest.txt" --acoustic-costs "$tmp/nb/ac_cost" --threads "$THREADS")
echo "lists: $(wc -l < "$tmp/nb/ref.txt") utterances, $(wc -l < "$tmp/nb/nbest.txt") hypotheses"

# --- rescoring: 1-best accuracy and WER ------------------------------------------------
run() {   # NAME ARGS...: rescore, score the 1-best
  local name=$1; shift
  "$R" rescore "$M" "${NB[@]}" "$@" > "$tmp/best.$name" 2> "$tmp/log.$name" || { cat "$tmp/log.$name"; exit 1; }
  printf '%-28s %s\n' "$name" "$("$PY" bench/nbest_synth.py wer "$tmp/nb/ref.txt" "$tmp/best.$name")"
}
echo
echo "1-best of 20 (accuracy: the true sentence chosen; wer: of the chosen hypotheses)"
run acoustic-only --lm-weight 0
run ngram-alone --lm-weight 0 --ngram "$G" --ngram-weight 1
run rnn-alone
run interpolated-0.5 --ngram "$G" --lambda 0.5

# --- speed: the same RNN scoring with and without prefix sharing --------------------------
rate() {   # FILE COSTS ARGS...: the best hypotheses/s of REPS runs
  local f=$1 c=$2 best=0 r; shift 2
  for _ in $(seq "${REPS:-2}"); do
    "$R" rescore "$M" "$f" --acoustic-costs "$c" --threads "$THREADS" "$@" > /dev/null 2> "$tmp/speed.log"
    r=$(sed -n 's/.* \([0-9.]*\) hypotheses\/s$/\1/p' "$tmp/speed.log")
    best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
  done
  echo "$best"
}
steps() { "$R" rescore "$M" "${NB[@]}" "$@" 2>&1 > /dev/null | sed -n 's/.*; \([0-9]*\) recurrent steps.*/\1/p'; }
"$R" rescore "$M" "${NB[@]}" > "$tmp/b.share" 2>/dev/null
"$R" rescore "$M" "${NB[@]}" --no-prefix-sharing > "$tmp/b.plain" 2>/dev/null
cmp -s "$tmp/b.share" "$tmp/b.plain" && same=yes || same=NO
share=$(rate "$tmp/nb/nbest.txt" "$tmp/nb/ac_cost")
batch=$(rate "$tmp/nb/nbest.txt" "$tmp/nb/ac_cost" --no-prefix-sharing)
# one at a time is slow: its rate is measured on the first 100 utterances, once
head -n 2000 "$tmp/nb/nbest.txt" > "$tmp/nb100.txt"
head -n 2000 "$tmp/nb/ac_cost" > "$tmp/ac100"
one=$(REPS=1 rate "$tmp/nb100.txt" "$tmp/ac100" --one-at-a-time)
echo
echo "RNN scoring of the 20-best lists ($THREADS threads, $(grep -o 'ISA [a-z0-9_]*' "$tmp/log.rnn-alone" | head -n 1)):"
printf '  prefix sharing, batched          %9.1f hypotheses/s  %7s recurrent steps\n' "$share" "$(steps)"
printf '  no sharing, batched (64 lanes)   %9.1f hypotheses/s  %7s recurrent steps\n' "$batch" "$(steps --no-prefix-sharing)"
printf '  one at a time (100 utterances)   %9.1f hypotheses/s\n' "$one"
awk -v a="$share" -v b="$batch" -v c="$one" 'BEGIN {
  printf "  sharing vs no sharing (both batched)  %.2fx\n  sharing vs one at a time              %.2fx\n", a / b, a / c }'
echo "  same 1-best with and without sharing: $same"
