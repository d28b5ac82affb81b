#!/usr/bin/env bash
# test_matrix.sh: every path a user can type, end to end, at tiny sizes.
#
# For each cell (rnn, lstm, gru) x pipeline (stateful, windowed) x loss (full,
# sampled) x layers (1, 2) x corpus (toy; a small plain-text set with separate
# train/valid/test files) it trains one epoch with --save-dir and --logdir,
# resumes one more epoch, then runs eval, score, generate, summary, embeddings,
# neighbors and report on the result. Each command must exit 0 and print
# finite numbers only; besides, eval must count every prediction of its text,
# score must give one line per sentence, generate no more words than asked
# (and no <s> in the middle of the text), a run with --test must
# evaluate the test file, and resume must reach epoch 2.
#
# The full matrix (48 cells) runs with $BUILD/rnnlm. When an up-to-date
# address+undefined sanitizer build is there too (build-asan, as `make test`
# makes it), a slice of 6 cells that still takes every value of every axis
# runs under the sanitizers; otherwise a NOTE says it was skipped.
#
# usage: BUILD=build tests/test_matrix.sh   (run make first)
# Env: BUILD (default build), ASAN_BUILD (default build-asan; empty: no slice).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD-build-asan}
[ -x "$BUILD/rnnlm" ] || { echo "no $BUILD/rnnlm (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_matrix.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
failed_cells=""
start=$SECONDS

# --- the plain-text set: 260 deterministic sentences over 60 words ------------------
awk 'BEGIN { s = 11; for (i = 0; i < 260; i++) { n = 3 + i % 7; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " w" int(s / 65536) % 60 }
  print substr(line, 2) } }' > "$tmp/all.txt"
head -n 200 "$tmp/all.txt" > "$tmp/train.txt"
sed -n '201,230p' "$tmp/all.txt" > "$tmp/valid.txt"
sed -n '231,260p' "$tmp/all.txt" > "$tmp/test.txt"
printf 'Mary had a little lamb .\nThe lamb was white as snow .\nMary had a zebra\n' > "$tmp/toy.txt"

# A number that is not finite, anywhere in a file: nan, inf, infinity (any case, any sign).
nonfinite() { grep -Eiq '(^|[^[:alnum:]_])[-+]?(nan|inf|infinity)([^[:alnum:]_]|$)' "$@"; }

# run_cell R CELL PIPELINE LOSS LAYERS CORPUS: one cell; prints its failures.
run_cell() {
  local R=$1 cell=$2 pipe=$3 loss=$4 layers=$5 corpus=$6
  local name="$cell/$pipe/$loss/L$layers/$corpus"
  local d="$tmp/$(echo "$name" | tr '/' '_')_$(basename "$(dirname "$R")")"
  local bad=0 data text word n
  mkdir -p "$d"
  cf() { bad=$((bad + 1)); echo "FAIL [$name, $R] $*"; }
  # cmd LOG ARGS...: runs rnnlm ARGS with stdout and stderr in $d/LOG; fails on a
  # non-zero exit or a non-finite number in its output.
  cmd() {
    local log=$1; shift
    "$R" "$@" > "$d/$log" 2>&1
    local rc=$?
    if [ "$rc" -ne 0 ]; then cf "rnnlm $* exited $rc: $(tail -n 2 "$d/$log" | tr '\n' ' ')"; return 1; fi
    if nonfinite "$d/$log"; then cf "rnnlm $*: a non-finite number: $(grep -Ei 'nan|inf' "$d/$log" | head -n 2)"; return 1; fi
    return 0
  }
  if [ "$corpus" = toy ]; then
    data=(--config toy --corpus toy); text="$tmp/toy.txt"; word=lamb
  else
    data=(--train "$tmp/train.txt" --valid "$tmp/valid.txt" --test "$tmp/test.txt" --hidden 8 --embed 6
          --batch-size 4 --max-time 6)
    text="$tmp/test.txt"; word=w7
  fi
  # train, then resume one more epoch
  cmd train.log train "${data[@]}" --cell "$cell" --pipeline "$pipe" --loss "$loss" --layers "$layers" \
      --epochs 1 --threads 1 --save-dir "$d/run" --logdir "$d/log" || { echo "$bad"; return; }
  for f in last best; do [ -s "$d/run/$f.safetensors" ] || cf "train: no $f.safetensors"; done
  [ -s "$d/log/log.csv" ] || cf "train: no log.csv"
  ls "$d/log/train/"*tfevents* > /dev/null 2>&1 || cf "train: no TensorBoard events in $d/log/train"
  grep -q '^epoch 1/1 ' "$d/train.log" || cf "train: no epoch line: $(tail -n 1 "$d/train.log")"
  if [ "$corpus" = text ]; then   # a run given --test reports the test file's figures
    grep -Eq 'test[_ ]?(ppl|perplexity)' "$d/train.log" ||
      cf "train --test: the test file was not evaluated: $(tail -n 2 "$d/train.log" | tr '\n' ' ')"
  fi
  cmd resume.log train --resume "$d/run/last.safetensors" --epochs 2 --threads 1 --save-dir "$d/run" \
      --logdir "$d/log" &&
    { grep -q '^epoch 2/2 ' "$d/resume.log" || cf "resume: no epoch 2/2 line: $(tail -n 1 "$d/resume.log")"; }
  local M="$d/run/best.safetensors"

  # eval: every target of the text is predicted (none dropped at the tail)
  local want ev
  if [ "$corpus" = toy ]; then
    cmd eval.log eval "$M" --corpus toy --threads 1; ev=$?; want=16
  else
    cmd eval.log eval "$M" "$text" --threads 1; ev=$?
    want=$(awk '{ n += NF + 1 } END { print n }' "$text")   # words, and the <s> after each sentence
  fi
  if [ "$ev" -eq 0 ]; then
    grep -Eq "^perplexity [0-9]" "$d/eval.log" || cf "eval: no perplexity: $(cat "$d/eval.log")"
    grep -q " $want predictions " "$d/eval.log" ||
      cf "eval: expected $want predictions: $(grep predictions "$d/eval.log")"
  fi
  # score: one line of 5 numbers per sentence, log P < 0
  if cmd score.log score "$M" "$text" --threads 1; then
    # the compute path goes to stderr (here in the same log), the scores to stdout
    grep -q '^rnnlm score: compute: ' "$d/score.log" || cf "score: no compute path line"
    sed -i '/^rnnlm score: compute: /d' "$d/score.log"
    [ "$(wc -l < "$d/score.log")" -eq "$(wc -l < "$text")" ] || cf "score: $(wc -l < "$d/score.log") lines"
    awk -F'\t' 'NF != 5 || $1 >= 0 || $5 < 1 { exit 1 }' "$d/score.log" || cf "score: bad line: $(head -n 2 "$d/score.log")"
  fi
  # generate: as many words as asked, sampled and greedy, with and without a prompt
  if cmd gen.log generate "$M" --words 25 --seed 3 && cmd gen0.log generate "$M" --words 25 --temperature 0 --prompt "$word"; then
    for g in gen gen0; do
      n=$(tr -s ' \t' '\n\n' < "$d/$g.log" | grep -cvx -e '' -e '</s>')   # words, sentence ends aside
      [ "$n" -ge 2 ] && [ "$n" -le 26 ] || cf "generate: $n words, asked 25 (and a prompt): $(cat "$d/$g.log")"
      # (the toy corpus spells "<s>" in its text, so its vocabulary has a word "<s>" besides id 0)
      [ "$corpus" = toy ] || case " $(tr '\n' ' ' < "$d/$g.log") " in
        *" <s> "*) cf "generate: a <s> in the text: $(cat "$d/$g.log")" ;;
      esac
    done
  fi
  # summary of the checkpoint: its cell and layers
  if cmd summary.log summary --model "$M"; then
    [ "$(grep -ci "^Hidden ($cell) layer" "$d/summary.log")" -eq "$layers" ] ||
      cf "summary: expected $layers $cell layers: $(cat "$d/summary.log")"
  fi
  # embeddings: vectors.tsv and metadata.tsv with a row per word, finite
  if cmd emb.log embeddings "$M" --out "$d/emb"; then
    [ -s "$d/emb/vectors.tsv" ] && [ -s "$d/emb/metadata.tsv" ] || cf "embeddings: files missing"
    nonfinite "$d/emb/vectors.tsv" && cf "embeddings: a non-finite value"
  fi
  # neighbors of a word of the vocabulary: k lines with a cosine in [-1, 1]
  if cmd nb.log neighbors "$M" "$word" --k 3; then
    [ "$(awk 'NR > 1 && ($3 < -1.0001 || $3 > 1.0001) { bad = 1 } END { print (NR == 4 && !bad) }' "$d/nb.log")" = 1 ] ||
      cf "neighbors: $(cat "$d/nb.log")"
  fi
  # report: an SVG of both runs' curves
  if cmd report.log report "$d/log"; then
    [ -s "$d/log/report.svg" ] || cf "report: no report.svg"
    nonfinite "$d/log/report.svg" && cf "report: a non-finite number in the SVG"
    nonfinite "$d/log/log.csv" && cf "log.csv: a non-finite value"
  fi
  echo "$bad"
}

# run_matrix R SLICE: SLICE "all" or "slice" (6 cells that take every value of every axis).
run_matrix() {
  local R=$1 which=$2 n=0 i=0
  local cell pipe loss layers corpus
  for corpus in toy text; do for cell in rnn lstm gru; do for pipe in stateful windowed; do
    for loss in full sampled; do for layers in 1 2; do
      i=$((i + 1))
      if [ "$which" = slice ]; then   # one cell per (corpus, cell), the other axes rotating
        case "$corpus/$cell/$pipe/$loss/$layers" in
          toy/rnn/stateful/full/1 | toy/lstm/windowed/sampled/2 | toy/gru/stateful/sampled/2 | \
          text/rnn/windowed/sampled/2 | text/lstm/stateful/full/1 | text/gru/windowed/full/1) ;;
          *) continue ;;
        esac
      fi
      n=$((n + 1))
      local out bad
      out=$(run_cell "$R" "$cell" "$pipe" "$loss" "$layers" "$corpus")
      bad=$(printf '%s\n' "$out" | tail -n 1)
      printf '%s\n' "$out" | sed '$d'
      if [ "$bad" != 0 ]; then
        failures=$((failures + bad)); failed_cells="$failed_cells $cell/$pipe/$loss/L$layers/$corpus($R)"
      fi
    done; done
  done; done; done
  echo "NOTE: $R: $n cells in $((SECONDS - start)) s"
}

run_matrix "$BUILD/rnnlm" all
if [ -n "$ASAN_BUILD" ] && [ "$ASAN_BUILD" != "$BUILD" ]; then
  if [ -x "$ASAN_BUILD/rnnlm" ] && make -q BUILD="$ASAN_BUILD" "$ASAN_BUILD/rnnlm" 2> /dev/null; then
    start=$SECONDS
    run_matrix "$ASAN_BUILD/rnnlm" slice
  else
    echo "NOTE: no up-to-date $ASAN_BUILD/rnnlm: the sanitizer slice of the matrix did not run"
    [ "${CI:-}" != true ] || { echo "FAIL: CI=true and the sanitizer build is missing"; failures=$((failures + 1)); }
  fi
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s) in:$failed_cells"
  exit 1
fi
echo "ok"
