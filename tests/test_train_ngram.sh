#!/usr/bin/env bash
# test_train_ngram.sh: a model interpolated with an n-gram on the id stream
# (docs/PIPELINE.md, "The stream"), from the command line:
#  - `rnnlm data --write-text DIR` writes each split one sentence a line in
#    the vocabulary's words: the corpus's own lines where the vocabulary
#    holds every word, "<unk>" for the words a cap leaves out;
#  - IRSTLM's tlm trains a 3-gram on the training split's text; `rnnlm train
#    --ngram` then fits the RNN's weight L by EM on the validation split and
#    scores the test split with it, for a lone run and for an ensemble;
#  - the `rnnlm eval ... --corpus C --ngram ARPA --lambda L` the run prints
#    gives the same test figure; --lambda 1 is the RNN's own figure and
#    --lambda 0 the n-gram's, which equals what `rnnlm ngram ppl` says of the
#    test text (its words and sentence ends are the stream's pairs); the
#    mixture at the fitted L lies below both;
#  - `eval --corpus C --valid-split F --ngram ARPA --lambda auto` fits the
#    same L on the validation split, and `--part valid` gives the run's
#    validation figure;
#  - `--ngram-order 3` builds the 3-gram itself (IRSTLM's build-lm.sh,
#    improved Kneser-Ney, no pruning) into DIR/kn3.arpa, the model that
#    build-lm.sh builds from `data --write-text`'s text by hand, leaves no
#    intermediate file, takes its time from --budget-minutes and then mixes
#    as --ngram does; without IRSTLM or with a --save-dir that has a blank it
#    is refused (exit 1), without --save-dir too (exit 2);
#  - refusals: --ngram without --save-dir (exit 2), a run without a
#    validation split, a file that is no ARPA model, before training (exit
#    1); eval's --lambda auto on --corpus without --valid-split or with
#    --mix-dev, --part valid without --valid-split, --ngram on --corpus with
#    an adaptation (exit 2); --write-text with --no-markers.
# Env: BUILD (default build). Skips without IRSTLM (Debian irstlm).
set -u
. tests/lib.sh
R="${BUILD:-build}/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
IRST=/usr/lib/irstlm/bin
[ -x "$IRST/tlm" ] && [ -x "$IRST/add-start-end.sh" ] || skip "no IRSTLM in $IRST (Debian irstlm)"
need_python
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_train_ngram.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# a corpus of 600 sentences from a small grammar over about 150 words of Zipf-like frequencies, lower
# case (the words as the vocabulary keeps them)
awk 'function w(p, k) { return p int(k * rand() ^ 2.5) }
  BEGIN { srand(11); split("the a one every this", d);
  for (i = 0; i < 600; i++) {
    s = d[int(rand() * 5) + 1] " " w("n", 80) " " w("v", 30) " " d[int(rand() * 5) + 1] " " w("n", 80)
    if (rand() < 0.5) s = s " " w("a", 20)
    print s } }' > "$tmp/c.txt"
C=(--corpus "$tmp/c.txt" --valid-split 0.1)
# the toy model on it, with the whole vocabulary (the toy preset's V is 15)
short=(--config toy --vocab-size 10000 "${C[@]}" --epochs 2 --max-steps 6 --threads 1)

# --- the splits as text -------------------------------------------------------------
"$R" data "${C[@]}" --write-text "$tmp/t" > "$tmp/data.out" 2>&1 || fail "data --write-text: $(tail -n 2 "$tmp/data.out")"
for p in train valid test; do [ -s "$tmp/t/$p.txt" ] || fail "no $p.txt"; done
n_all=$(cat "$tmp/t/train.txt" "$tmp/t/valid.txt" "$tmp/t/test.txt" | wc -l)
[ "$n_all" -eq 600 ] || fail "the three texts hold $n_all lines, the corpus 600"
# every line is a line of the corpus (the vocabulary holds every word)
sort -u "$tmp/c.txt" > "$tmp/c.sorted"
extra=$(sort -u "$tmp/t/train.txt" "$tmp/t/valid.txt" "$tmp/t/test.txt" | comm -23 - "$tmp/c.sorted" | head -n 1)
[ -z "$extra" ] || fail "a written line is no line of the corpus: '$extra'"
grep -q '^wrote the text of train valid test in' "$tmp/data.out" || fail "data does not say what it wrote"
# a cap: the words it leaves out are <unk> (V 10 = 3 specials + 7 words of the 16)
"$R" data "${C[@]}" --vocab-size 10 --write-text "$tmp/t10" > /dev/null 2>&1 || fail "data --vocab-size 10 --write-text"
nw=$(tr ' ' '\n' < "$tmp/t10/train.txt" | grep -v '^<unk>$' | sort -u | wc -l)
[ "$nw" -eq 7 ] || fail "with V 10 the training text has $nw distinct words beside <unk>, not 7"
grep -q '<unk>' "$tmp/t10/train.txt" || fail "with V 10 no <unk> in the training text"
expect_run 1 "no sentence boundaries" "$R" data "${C[@]}" --no-markers --write-text "$tmp/t2"

# --- --ngram-order: the run builds its own n-gram with IRSTLM ------------------------------
if ! "$R" train --config toy --vocab-size 10000 "${C[@]}" --max-steps 6 --threads 1 --save-dir "$tmp/o" --ngram-order 3 \
    --budget-minutes 5 --plan-max-epochs 2 > "$tmp/order.out" 2>&1 < /dev/null; then
  fail "train --ngram-order 3: $(tail -n 3 "$tmp/order.out")"
fi
grep -q "^ngram: a 3-gram of the training split (IRSTLM, improved Kneser-Ney) in [0-9.]* s: $tmp/o/kn3.arpa; [0-9.]* minutes of --budget-minutes left" \
  "$tmp/order.out" || fail "no n-gram line: $(grep -m2 '^ngram' "$tmp/order.out")"
grep -q "^model with the 3-gram $tmp/o/kn3.arpa: L = " "$tmp/order.out" || fail "--ngram-order: no fitted L"
[ -s "$tmp/o/kn3.arpa" ] && [ -s "$tmp/o/ngram.log" ] || fail "--ngram-order: no kn3.arpa or ngram.log"
left=$(ls "$tmp/o" | grep -E '^ngram-train|^ngram\.ilm|^ngram-tmp' | head -n 1)
[ -z "$left" ] || fail "--ngram-order left $left behind"
# the model is the one IRSTLM's build-lm.sh builds from the split's text by hand
"$IRST/add-start-end.sh" < "$tmp/t/train.txt" > "$tmp/hand.se"
IRSTLM=/usr/lib/irstlm PATH="$IRST:$PATH" "$IRST/build-lm.sh" -i "$tmp/hand.se" -n 3 -o "$tmp/hand.ilm.gz" -k 1 \
  -s improved-kneser-ney -t "$tmp/handtmp" > /dev/null 2>&1 &&
  "$IRST/compile-lm" "$tmp/hand.ilm.gz" --text=yes "$tmp/hand.arpa" > /dev/null 2>&1 || fail "build-lm.sh by hand"
for t in valid test; do
  a=$("$R" ngram ppl "$tmp/o/kn3.arpa" "$tmp/t/$t.txt" 2>/dev/null | grep -o 'ppl= [0-9.]*')
  b=$("$R" ngram ppl "$tmp/hand.arpa" "$tmp/t/$t.txt" 2>/dev/null | grep -o 'ppl= [0-9.]*')
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "$t: the run's n-gram '$a', built by hand '$b'"
done
# a capped vocabulary: the model's <unk> is a word of the n-gram, IRSTLM's own class <irstlm-oov>
if "$R" train "${short[@]}" --vocab-size 60 --save-dir "$tmp/o60" --ngram-order 3 > "$tmp/o60.out" 2>&1 < /dev/null; then
  grep -qP '^-[0-9.]+\t<unk>\t' "$tmp/o60/kn3.arpa" || fail "V 60: no <unk> unigram with a back-off weight in kn3.arpa"
  grep -qP '^-[0-9.]+\t<irstlm-oov>$' "$tmp/o60/kn3.arpa" || fail "V 60: no <irstlm-oov> unigram in kn3.arpa"
  grep -q 'rnnlm|unk' "$tmp/o60/kn3.arpa" && fail "V 60: the stand-in is left in kn3.arpa"
  "$R" data "${C[@]}" --vocab-size 60 --write-text "$tmp/t60" > /dev/null 2>&1
  a=$("$R" ngram ppl "$tmp/o60/kn3.arpa" "$tmp/t60/test.txt" --unk 2>/dev/null | grep -o 'ppl= [0-9.]*' | awk '{print $2}')
  b=$(grep '^model with the n-gram: test_ppl' "$tmp/o60.out" | grep -o 'the n-gram alone [0-9.]*' | awk '{print $4}')
  awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 0.0051 + 1e-5 * a) }' ||
    fail "V 60: the n-gram on the test text $a, on the stream $b"
else
  fail "train --vocab-size 60 --ngram-order 3: $(tail -n 3 "$tmp/o60.out")"
fi
expect_run 1 "IRSTLM" env IRSTLM=/nonexistent "$R" train "${short[@]}" --save-dir "$tmp/o2" --ngram-order 3
mkdir -p "$tmp/with space"
expect_run 1 "without blanks" "$R" train "${short[@]}" --save-dir "$tmp/with space/o" --ngram-order 3
expect_run 2 "--ngram-order (the hour preset's)" "$R" train "${short[@]}" --ngram-order 3

# --- the n-gram, the lone run, its figures ------------------------------------------------
cp "$tmp/o/kn3.arpa" "$tmp/kn3.arpa" || fail "no n-gram from --ngram-order to go on with"
if ! "$R" train "${short[@]}" --save-dir "$tmp/m" --ngram "$tmp/kn3.arpa" > "$tmp/train.out" 2> "$tmp/train.err" < /dev/null; then
  fail "train --ngram: $(head -c 400 "$tmp/train.err")"
fi
grep -q "^model with the 3-gram $tmp/kn3.arpa: L = 0\.[0-9]*, the RNN's weight, fitted by EM on the validation split" \
  "$tmp/train.out" || fail "no fitted L: $(tail -n 6 "$tmp/train.out")"
L=$(grep -o 'L = [0-9.]*, the RNN' "$tmp/train.out" | awk '{print $3}' | tr -d ,)
mix=$(grep '^model with the n-gram: test_ppl' "$tmp/train.out" | awk '{print $6}')
rnn=$(grep '^model: test_loss' "$tmp/train.out" | awk '{print $6}')
[ -n "$mix" ] && [ -n "$rnn" ] || fail "no test figures: $(tail -n 6 "$tmp/train.out")"
again=$(grep -o "rnnlm eval $tmp/m/best.safetensors --ngram $tmp/kn3.arpa --lambda [0-9.]* --corpus $tmp/c.txt" \
  "$tmp/train.out")
[ -n "$again" ] || fail "the run does not print the eval command: $(tail -n 1 "$tmp/train.out")"

# the eval command gives the figure again; L 1 and L 0 are the two components
ev() { "$R" eval "$tmp/m/best.safetensors" --corpus "$tmp/c.txt" --ngram "$tmp/kn3.arpa" --lambda "$1" \
  2>&1 < /dev/null; }
e_mix=$(ev "$L" | grep '^interpolated' | grep -o 'perplexity [0-9.]*' | awk '{print $2}')
e_one=$(ev 1 | grep '^interpolated' | grep -o 'perplexity [0-9.]*' | awk '{print $2}')
e_ngr=$(ev 0 | grep '^interpolated' | grep -o 'perplexity [0-9.]*' | awk '{print $2}')
e_own=$(ev 0.5 | grep -o 'the n-gram alone [0-9.]*' | awk '{print $4}')
plain=$("$R" eval "$tmp/m/best.safetensors" --corpus "$tmp/c.txt" 2>&1 | grep '^perplexity' | awk '{print $2}')
srilm=$("$R" ngram ppl "$tmp/kn3.arpa" "$tmp/t/test.txt" 2>&1 | grep -o 'ppl= [0-9.]*' | awk '{print $2}')
"$PY" - "$mix" "$e_mix" "$rnn" "$e_one" "$plain" "$e_ngr" "$e_own" "$srilm" <<'EOF' || fail "the figures disagree (above)"
import sys
mix, e_mix, rnn, e_one, plain, e_ngr, e_own, srilm = map(float, sys.argv[1:])
bad = 0
def near(a, b, tol, what, absolute=0.0):
    global bad
    if abs(a - b) > tol * b + absolute:
        print(f"FAIL {what}: {a} against {b}"); bad = 1
near(e_mix, mix, 1e-6, "eval's mixture against the run's", 0.0051)   # the run prints 2 decimals
near(e_one, plain, 1e-6, "--lambda 1 against the plain figure")
near(e_one, rnn, 1e-6, "--lambda 1 against the run's RNN figure", 0.0051)
near(e_ngr, e_own, 1e-6, "--lambda 0 against 'the n-gram alone'")
near(e_ngr, srilm, 2e-5, "the n-gram on the stream against rnnlm ngram ppl on the test text")
if not (mix < rnn and mix < e_ngr):
    print(f"FAIL the mixture {mix} is not below the RNN {rnn} and the n-gram {e_ngr}"); bad = 1
sys.exit(bad)
EOF

# eval fits the same L on the validation split (--lambda auto, --valid-split as the run's), and
# --part valid gives the run's validation figure
auto=$("$R" eval "$tmp/m/best.safetensors" --corpus "$tmp/c.txt" --valid-split 0.1 --ngram "$tmp/kn3.arpa" --lambda auto \
  2>&1 < /dev/null)
aL=$(printf '%s\n' "$auto" | grep -o '^lambda: L = [0-9.]*' | awk '{print $4}')
[ -n "$aL" ] && [ "$aL" = "$L" ] || fail "eval --lambda auto fitted L '$aL', the run '$L'"
amix=$(printf '%s\n' "$auto" | grep '^interpolated' | grep -o 'perplexity [0-9.]*' | awk '{print $2}')
[ -n "$amix" ] && [ "$amix" = "$e_mix" ] || fail "eval --lambda auto: perplexity '$amix', at the run's L '$e_mix'"
vrun=$(grep '^model: valid_loss' "$tmp/train.out" | awk '{print $6}')
vev=$("$R" eval "$tmp/m/best.safetensors" --corpus "$tmp/c.txt" --valid-split 0.1 --part valid 2>&1 | grep '^perplexity' |
  awk '{printf "%.2f", $2}')
[ -n "$vev" ] && [ "$vev" = "$vrun" ] || fail "eval --part valid: '$vev', the run's validation figure '$vrun'"

# --- an ensemble ------------------------------------------------------------------------
if ! "$R" train "${short[@]}" --members 2 --save-dir "$tmp/e" --ngram "$tmp/kn3.arpa" > "$tmp/ens.out" 2>&1 < /dev/null; then
  fail "train --members 2 --ngram: $(tail -n 3 "$tmp/ens.out")"
fi
grep -q '^ensemble with the 3-gram' "$tmp/ens.out" || fail "no ensemble L: $(tail -n 5 "$tmp/ens.out")"
eL=$(grep -o 'L = [0-9.]*, the RNN' "$tmp/ens.out" | awk '{print $3}' | tr -d ,)
emix=$(grep '^ensemble with the n-gram: test_ppl' "$tmp/ens.out" | awk '{print $6}')
ee=$("$R" eval "$tmp/e/member-1/best.safetensors" --ensemble "$tmp/e/member-2/best.safetensors" --corpus "$tmp/c.txt" \
  --ngram "$tmp/kn3.arpa" --lambda "$eL" 2>&1 | grep '^interpolated' | grep -o 'perplexity [0-9.]*' |
  awk '{print $2}')
awk -v a="$emix" -v b="$ee" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 0.0051) }' ||
  fail "the ensemble's mixture: run $emix, eval $ee"

# --- refusals -----------------------------------------------------------------------------
expect_run 2 "give --save-dir DIR" "$R" train "${short[@]}" --ngram "$tmp/kn3.arpa"
expect_run 1 "has none" "$R" train --config toy --epochs 1 --max-steps 2 --threads 1 --save-dir "$tmp/toy" \
  --ngram "$tmp/kn3.arpa"
printf 'not an arpa file\n' > "$tmp/bad.arpa"   # refused before any training
expect_run 1 "--ngram $tmp/bad.arpa" "$R" train "${short[@]}" --save-dir "$tmp/b" --ngram "$tmp/bad.arpa"
[ -e "$tmp/b/last.safetensors" ] && fail "a run with a bad --ngram trained before refusing it"
expect_run 2 "give --valid-split F" "$R" eval "$tmp/m/best.safetensors" --corpus "$tmp/c.txt" --ngram "$tmp/kn3.arpa" \
  --lambda auto
expect_run 2 "not on --mix-dev" "$R" eval "$tmp/m/best.safetensors" --corpus "$tmp/c.txt" --valid-split 0.1 \
  --ngram "$tmp/kn3.arpa" --lambda auto --mix-dev "$tmp/t/valid.txt"
expect_run 2 "give --valid-split F" "$R" eval "$tmp/m/best.safetensors" --corpus "$tmp/c.txt" --part valid
expect_run 2 "adaptations" "$R" eval "$tmp/m/best.safetensors" --corpus "$tmp/c.txt" --ngram "$tmp/kn3.arpa" \
  --cache-size 10
[ "$failures" -eq 0 ]
