#!/usr/bin/env bash
# test_score_formats.sh: `rnnlm score` and `rnnlm eval` interpolated with an
# ARPA n-gram (--ngram, --lambda, --lambda auto), in SRILM's and Kaldi's
# formats, on the committed tiny model and tests/data/tiny.arpa.
#
# tests/data/tiny.arpa is a hand-written bigram model over the tiny model's
# words (canonicalisation none: "Mary", "The" as written), less "as" (which
# only the RNN has), plus "dog" and "cat" (which only the n-gram has), and
# no <unk>. tests/data/tiny_mix.txt holds the five test sentences.
#
# tests/data/tiny_mix_l0_debug2.ppl is `score --lambda 0 --format srilm
# --debug 2` of tiny_mix.txt from stdin: at L = 0 every figure is the
# n-gram's, worked out by hand from the ARPA file (log10; bo = back-off):
#   Mary had a little lamb .   <s> Mary -0.5, Mary had -0.3, had a -0.2,
#                              a little -0.4, little lamb -0.3,
#                              . | lamb = bo(lamb) + p(.) = -0.2 - 0.8 = -1,
#                              </s> | . -0.1: logprob -2.8 over 6 + 1:
#                              ppl 10^(2.8/7) = 2.51189, ppl1 10^(2.8/6) = 2.92864
#   The lamb was white as snow .  The|<s> -0.3-1.1, lamb|The -0.2-1.0,
#                              was|lamb -0.2-1.2, white|was -0.2-1.3, as: the
#                              n-gram lacks it, P = 0 at L = 0 (a zeroprob; the
#                              history is cut), snow -1.4 (unigram), .|snow
#                              -0.2-0.8, </s>|. -0.1: logprob -8, 1 zeroprob:
#                              ppl 10^(8/(7-1+1)) = 13.895, ppl1 10^(8/6) = 21.5443
#   Mary had a zebra           zebra is outside both (an OOV, not scored, cuts
#                              the history): -0.5-0.3-0.2, </s> -1 (unigram):
#                              logprob -2, ppl 10^(2/(4-1+1)) = 3.16228, ppl1 4.64159
#   a dog                      a|<s> -0.3-0.9, dog|a -0.3-1.5, </s>|dog
#                              -0.2-1.0: logprob -4.2, ppl 10^1.4 = 25.1189
#   (a blank line)             skipped, as SRILM skips it
#   file: 4 sentences, 19 words, 1 OOV, 1 zeroprob, logprob -17,
#         ppl 10^(17/(19-1-1+4)) = 6.44947, ppl1 10^(17/17) = 10
# tests/data/tiny_mix_l05_debug2.ppl is the same at L = 0.5 (the RNN's
# figures in it: compared with a relative tolerance, the products' rounding
# may differ across machines).
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
R="$BUILD/rnnlm"
M=tests/data/tiny.safetensors
A=tests/data/tiny.arpa
T=tests/data/tiny_mix.txt
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
command -v gawk > /dev/null || skip "gawk is missing (scripts/setup.sh installs it)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_score_formats.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }
score() { "$R" score "$M" "$@" --threads 1 2> "$tmp/stderr"; }

# numbers equal within a relative tolerance, every other token exactly
same_within() {   # same_within TOL FILE1 FILE2
  gawk -v tol="$1" 'FNR == NR { a[FNR] = $0; n = FNR; next }
    { if (!(FNR in a)) { print "extra line " FNR; bad = 1; exit }
      k = split(a[FNR], x, /[ \t]+/); m = split($0, y, /[ \t]+/)
      if (k != m) { print "line " FNR ": " a[FNR] " | " $0; bad = 1; exit }
      for (i = 1; i <= k; i++) {
        if (x[i] == y[i]) continue
        if (x[i] ~ /^-?[0-9.]+(e[-+][0-9]+)?$/ && y[i] ~ /^-?[0-9.]+(e[-+][0-9]+)?$/) {
          d = x[i] - y[i]; s = x[i] < 0 ? -x[i] : x[i]
          if (d * d <= tol * tol * s * s) continue
        }
        print "line " FNR ": " a[FNR] " | " $0; bad = 1; exit
      } }
    END { if (!bad && FNR != n) { print "lines: " n " vs " FNR; bad = 1 } exit bad }' "$2" "$3"
}

# --- the SRILM format: hand-computed golden file (L = 0) and the L = 0.5 one -----
score - --ngram "$A" --lambda 0 --format srilm --debug 2 < "$T" > "$tmp/l0" || fail "srilm --lambda 0 exited $?"
cmp -s "$tmp/l0" tests/data/tiny_mix_l0_debug2.ppl ||
  { fail "srilm --debug 2 at L = 0 differs from the hand-computed golden file"; diff "$tmp/l0" tests/data/tiny_mix_l0_debug2.ppl; }
score - --ngram "$A" --lambda 0.5 --format srilm --debug 2 < "$T" > "$tmp/l05" || fail "srilm --lambda 0.5 exited $?"
same_within 2e-5 tests/data/tiny_mix_l05_debug2.ppl "$tmp/l05" || fail "srilm --debug 2 at L = 0.5 differs from its golden file"
# --debug 1 is --debug 2 without the word lines; --debug 0 the file summary alone
for l in 0 0.5; do
  g=tests/data/tiny_mix_l0_debug2.ppl; [ "$l" = 0 ] || g="$tmp/l05"
  score - --ngram "$A" --lambda $l --format srilm --debug 1 < "$T" > "$tmp/d1" || fail "srilm --debug 1 exited $?"
  grep -v '^	p( ' "$g" | cmp -s - "$tmp/d1" || fail "srilm --debug 1 (L $l) is not --debug 2 without the word lines"
  score - --ngram "$A" --lambda $l --format srilm < "$T" > "$tmp/d0" || fail "srilm --debug 0 exited $?"
  tail -n 2 "$g" | cmp -s - "$tmp/d0" || fail "srilm --debug 0 (L $l) is not the file summary: $(cat "$tmp/d0")"
done
[ "$(head -c 8 "$tmp/d0")" = "file -: " ] || fail "srilm: the summary does not name stdin as -: $(cat "$tmp/d0")"
# the per-word lines have field 10 the log10 probability, field 7 one tag token
gawk '$1 == "p(" { if (NF != 11 || $6 != "=" || $9 != "[" || $11 != "]" || ($7 != "[rnnlm]" && $7 != "[OOV]")) bad = 1 }
  END { exit bad }' "$tmp/l05" || fail "srilm: a word line is not p( w | h ...) = [tag] P [ L ]"
grep -q '	p( <unk> | a \.\.\.) 	= \[OOV\] 0 \[ -inf \]$' "$tmp/l05" || fail "srilm: the OOV line"
grep -q '	p( </s> | <unk> \.\.\.) 	= ' "$tmp/l05" || fail "srilm: the history after an OOV is not <unk>"

# --- SRILM's arithmetic: each summary recomputed from the word lines ---------
# (17 digits, so that the sums are exact to double rounding)
score - --ngram "$A" --lambda 0.5 --format srilm --debug 2 --digits 17 < "$T" > "$tmp/l05x" || fail "--digits 17 exited $?"
gawk 'function p10(x) { return exp(x * log(10)) }
  function check(what, lp, w, o, z, s, line1, line2,   d, e) {
    e = sprintf("%d sentences, %d words, %d OOVs", s, w, o)
    if (line1 !~ e "$") { print what ": " line1 " expected " e; bad = 1 }
    split(line2, f, " ")
    d = w - o - z + s
    if (f[1] != z || (f[4] - lp) ^ 2 > 1e-20 * lp * lp + 1e-24 ||
        (f[6] - p10(-lp / d)) ^ 2 > 1e-20 * f[6] * f[6] ||
        (w - o - z > 0 ? (f[8] - p10(-lp / (w - o - z))) ^ 2 > 1e-20 * f[8] * f[8] : f[8] != "undefined")) {
      print what ": " line2 " expected logprob " lp " ppl " p10(-lp / d); bad = 1 }
  }
  /^\tp\( / { if ($0 ~ /\[OOV\]/) oov++; else if ($0 ~ /\[ -inf/) zp++; else lp += $10
              if ($2 != "</s>") words++; next }
  /^[0-9]+ sentences,/ { l1 = $0; next }
  /^file / { fl1 = $0; getline fl2; check("file", LP, W, O, Z, S, fl1, fl2); next }
  /zeroprobs, logprob=/ { check("sentence " S + 1, lp, words, oov, zp, 1, l1, $0)
                          LP += lp; W += words; O += oov; Z += zp; S++; lp = words = oov = zp = 0; next }
  END { exit bad || S != 4 }' "$tmp/l05x" || fail "srilm: a summary line disagrees with its word lines"

# --- compute-best-mix over --debug 2 output ------------------------------------------
printf 'Mary had a little lamb .\nThe lamb was white as snow .\nMary had a little lamb .\nThe lamb was white .\nMary had a lamb .\na little lamb was white .\n' > "$tmp/dev.txt"
for l in 1 0 0.5; do
  score "$tmp/dev.txt" --ngram "$A" --lambda $l --format srilm --debug 2 --digits 17 > "$tmp/dev$l.ppl" ||
    fail "dev --lambda $l exited $?"
done
# the per-word probabilities: the L = 1 and L = 0 files mixed at 0.5 by the
# script give back rnnlm's L = 0.5 probabilities
gawk -v fixed=1 -v lambda="0.5 0.5" -f tests/compute_best_mix.awk "$tmp/dev1.ppl" "$tmp/dev0.ppl" > "$tmp/mixed" ||
  fail "compute_best_mix.awk (fixed) failed"
gawk '$1 == "p(" && $2 !~ /^<[^u\/]/ { print $2 "\t" ($0 ~ /\[ -inf/ ? "-inf" : $10) }' "$tmp/dev0.5.ppl" > "$tmp/direct"
[ "$(wc -l < "$tmp/mixed")" -eq 41 ] || fail "compute-best-mix read $(wc -l < "$tmp/mixed") words, expected 35 and 6 ends"
paste "$tmp/mixed" "$tmp/direct" | gawk -F'\t' '
  { if ($1 != $3) { print "word " NR ": " $1 " vs " $3; bad = 1 }
    r = exp(($2 - $4) * log(10)) - 1; r = r < 0 ? -r : r; if (r > max) max = r }
  END { printf "compute-best-mix: per-word probabilities, max relative error %.3g (digits 17)\n", max
        exit bad || max > 1e-6 }' || fail "compute-best-mix: the mixed probabilities differ"
# the same read from SRILM's own 6 digits: within what 6 digits carry
score "$tmp/dev.txt" --ngram "$A" --lambda 0.5 --format srilm --debug 2 > "$tmp/dev0.5.6" || fail "6 digits exited $?"
gawk '$1 == "p(" { print $10 }' "$tmp/dev0.5.6" | paste - "$tmp/direct" | gawk -F'\t' '
  { r = exp(($1 - $3) * log(10)) - 1; r = r < 0 ? -r : r; if (r > max) max = r }
  END { printf "compute-best-mix: per-word probabilities, max relative error %.3g (SRILM'"'"'s 6 digits)\n", max
        exit max > 1.2e-5 }' || fail "6-digit field 10 is further from the probability than 6 digits allow"
# the weight: the script's EM agrees with --lambda auto
gawk -v precision=1e-9 -f tests/compute_best_mix.awk "$tmp/dev1.ppl" "$tmp/dev0.ppl" > "$tmp/cbm" || fail "compute_best_mix.awk failed"
cbm=$(sed -n 's/.*best lambda (\([^ ]*\) .*/\1/p' "$tmp/cbm")
score "$T" --ngram "$A" --lambda auto --mix-dev "$tmp/dev.txt" > /dev/null || fail "--lambda auto exited $?"
auto=$(sed -n 's/^rnnlm score: lambda \([0-9.]*\) (EM on .*/\1/p' "$tmp/stderr")
[ -n "$auto" ] && [ -n "$cbm" ] || fail "no lambda: auto '$auto', compute-best-mix '$cbm'"
echo "lambda: --lambda auto $auto, compute-best-mix $cbm"
gawk -v a="$auto" -v b="$cbm" 'BEGIN { d = a - b; exit !(d * d < 1e-10 && a > 0.01 && a < 0.99) }' ||
  fail "--lambda auto $auto differs from compute-best-mix $cbm (or lies on a boundary)"

# --- --lambda auto minimises the held-out perplexity: a grid of 0.05 ----------
: > "$tmp/grid"
for i in $(seq 0 20); do
  l=$(gawk -v i="$i" 'BEGIN { printf "%.2f", i * 0.05 }')
  score "$tmp/dev.txt" --ngram "$A" --lambda "$l" --format srilm --digits 17 | tail -n 1 |
    gawk -v l="$l" '{ print l, $6 }' >> "$tmp/grid"
done
score "$tmp/dev.txt" --ngram "$A" --lambda "$auto" --format srilm --digits 17 | tail -n 1 | gawk '{ print $6 }' > "$tmp/at_auto"
gawk -v a="$auto" -v pa="$(cat "$tmp/at_auto")" 'NR == 1 || $2 < best { best = $2; arg = $1 }
  END { printf "grid: minimum perplexity %.6f at lambda %.2f; EM lambda %s: perplexity %.6f\n", best, arg, a, pa
        d = a - arg; exit !(d * d <= 0.05 * 0.05 + 1e-12 && pa <= best * (1 + 1e-12)) }' "$tmp/grid" ||
  fail "--lambda auto $auto is not where the grid's minimum is: $(tr '\n' ' ' < "$tmp/grid")"

# --- Kaldi: UTTID COST, ids in any format, never scored -------------------------------
printf 'utt-1_a Mary had a little lamb .\nspk1/utt#2 The lamb was white as snow .\n\303\274tt.3\tMary had a zebra\n<s> a dog\n-\n123 Mary\n' > "$tmp/kaldi.txt"
printf 'Mary had a little lamb .\nThe lamb was white as snow .\nMary had a zebra\na dog\n\nMary\n' > "$tmp/kaldi_words.txt"
score "$tmp/kaldi.txt" --format kaldi --exact > "$tmp/k" || fail "kaldi exited $?"
[ "$(cut -d' ' -f1 "$tmp/k" | tr '\n' ' ')" = "utt-1_a spk1/utt#2 $(printf '\303\274')tt.3 <s> - 123 " ] ||
  fail "kaldi: ids: $(cut -d' ' -f1 "$tmp/k" | tr '\n' ' ')"
score "$tmp/kaldi_words.txt" --exact > "$tmp/kd" || fail "score (words only) exited $?"
paste -d' ' "$tmp/k" "$tmp/kd" | gawk '{ split($3, f, "\t"); d = $2 + f[1]; if (d * d > 1e-20 * f[1] * f[1]) bad = 1 }
  END { exit bad }' || fail "kaldi: COST is not -ln P of the words without the id: $(paste "$tmp/k" "$tmp/kd")"
# --utt-ids in the default format: the id first, then the same figures
score "$tmp/kaldi.txt" --utt-ids > "$tmp/ku" || fail "--utt-ids exited $?"
score "$tmp/kaldi_words.txt" > "$tmp/kw" || fail "score exited $?"
[ "$(cut -f2- "$tmp/ku")" = "$(cat "$tmp/kw")" ] || fail "--utt-ids: the figures differ from the words' alone"
[ "$(cut -f4 "$tmp/ku" | tr '\n' ' ')" = "6 7 4 2 0 1 " ] || fail "--utt-ids: a word was lost or the id scored: $(cut -f4 "$tmp/ku")"
# with the n-gram: the mixture's cost; OOVs not scored
score "$tmp/kaldi.txt" --format kaldi --ngram "$A" --lambda 0 > "$tmp/kn" || fail "kaldi --ngram exited $?"
gawk 'NR == 1 { d = $2 - 2.8 * log(10); exit !(d * d < 1e-10) }' "$tmp/kn" || fail "kaldi --ngram --lambda 0: $(head -n 1 "$tmp/kn")"
sed -n 3p "$tmp/kn" | gawk '{ d = $2 - 2 * log(10); exit !(d * d < 1e-10) }' || fail "kaldi: an OOV was scored: $(sed -n 3p "$tmp/kn")"
sed -n 2p "$tmp/kn" | grep -q ' inf$' || fail "kaldi: a zero probability is not an infinite cost: $(sed -n 2p "$tmp/kn")"

# --- --carry-state against --independent ----------------------------------------
score "$tmp/dev.txt" --exact > "$tmp/ind" || fail "independent exited $?"
score "$tmp/dev.txt" --exact --independent | cmp -s - "$tmp/ind" || fail "--independent is not the default"
score "$tmp/dev.txt" --exact --carry-state > "$tmp/car" || fail "--carry-state exited $?"
paste "$tmp/ind" "$tmp/car" | gawk -F'\t' 'NR == 1 { d = $1 - $6; if (d * d > 1e-8) bad = 1 }
  NR > 1 { d = $1 - $6; if (d * d > 1e-4) diff++ } END { exit bad || diff < 3 }' ||
  fail "--carry-state: the first line should agree and later ones differ: $(paste "$tmp/ind" "$tmp/car")"
# the carried state over the whole file is the id stream rnnlm eval scores in one row
ppl=$(gawk -F'\t' '{ lp += $1; n += $3 + 1 } END { printf "%.4f", exp(-lp / n) }' "$tmp/car")
"$R" eval "$M" "$tmp/dev.txt" --batch-size 1 --threads 1 | grep -qx "perplexity $ppl" ||
  fail "--carry-state: perplexity $ppl is not eval --batch-size 1's"
"$R" eval "$M" "$tmp/dev.txt" --carry-state --threads 1 | grep -qx "perplexity $ppl" || fail "eval --carry-state: not $ppl"

# --- OOVs and the <unk> rules ----------------------------------------------------
printf 'a dog\na cat\na zebra\n' > "$tmp/unk.txt"
score "$tmp/unk.txt" --per-word --exact > "$tmp/rnn_alone" || fail "score exited $?"
punk=$(sed -n 2p "$tmp/rnn_alone" | cut -f3)   # P_rnn(<unk> | <s> a)
for mode in split whole ngram; do
  score "$tmp/unk.txt" --ngram "$A" --lambda 1 --rnn-unk $mode --per-word --exact > "$tmp/u_$mode" ||
    fail "--rnn-unk $mode exited $?"
done
gawk -v p="$punk" -F'\t' 'FNR == 2 { v[FILENAME] = $3 }
  END { for (f in v) n++; if (n != 3) exit 1 }' "$tmp/u_split" "$tmp/u_whole" "$tmp/u_ngram" || fail "--rnn-unk: no dog line"
d=$(sed -n 2p "$tmp/u_split" | cut -f3); w=$(sed -n 2p "$tmp/u_whole" | cut -f3); g=$(sed -n 2p "$tmp/u_ngram" | cut -f3)
gawk -v d="$d" -v w="$w" -v g="$g" -v p="$punk" 'BEGIN {
  r1 = d / (p / 2) - 1; r2 = w / p - 1; r3 = g / exp(-1.8 * log(10)) - 1
  exit !(r1 * r1 < 1e-12 && r2 * r2 < 1e-12 && r3 * r3 < 1e-12) }' ||
  fail "--rnn-unk: dog should get P(<unk>)/2 = $punk/2 (split: $d), P(<unk>) (whole: $w), 10^-1.8 (ngram: $g)"
sed -n 's/^rnnlm score: words: //p' "$tmp/stderr" | grep -q '3 sentences, 6 words, 1 OOVs' ||
  fail "OOV count: $(cat "$tmp/stderr")"
grep -q '^	zebra	OOV	OOV$' "$tmp/u_split" || fail "--per-word: the OOV line: $(grep zebra "$tmp/u_split")"

# --- eval --ngram: the same figures as score's, SRILM's text identical ------------
"$R" eval "$M" "$T" --ngram "$A" --lambda 0.5 --threads 1 > "$tmp/ev" || fail "eval --ngram exited $?"
score "$T" --ngram "$A" --lambda 0.5 > /dev/null
for v in rnn ngram mixture; do
  a=$(grep "^perplexity $v " "$tmp/ev" | cut -d' ' -f3); b=$(grep "perplexity $v " "$tmp/stderr" | cut -d' ' -f5)
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "eval --ngram: perplexity $v '$a', score's '$b'"
done
grep -q '^perplexity ngram 6\.4495 (1 zeroprobs)$' "$tmp/ev" || fail "eval --ngram: the n-gram's perplexity: $(cat "$tmp/ev")"
# the n-gram's perplexity is `rnnlm ngram ppl`'s (which counts "as" as its OOV, not a zeroprob)
"$R" ngram ppl "$A" "$T" | grep -q ' ppl= 6\.44947 ppl1= 10$' || fail "the n-gram's perplexity is not rnnlm ngram ppl's"
"$R" eval "$M" - --ngram "$A" --lambda 0.5 --format srilm --debug 2 --threads 1 < "$T" 2> /dev/null | cmp -s - "$tmp/l05" ||
  fail "eval --format srilm differs from score --format srilm"

# --- CRLF line ends: the same output --------------------------------------------------
sed 's/$/\r/' "$T" > "$tmp/crlf.txt"
score - --ngram "$A" --lambda 0.5 --format srilm --debug 2 < "$tmp/crlf.txt" | cmp -s - "$tmp/l05" || fail "CRLF input scores differently"

# --- bad input: exit status and one line naming the cause ----------------------------
expect() {   # expect STATUS NEEDLE ARGS...
  local want=$1 needle=$2; shift 2
  "$R" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
  local rc=$?
  grep -v '^rnnlm [a-z]*: compute: ' "$tmp/err" > "$tmp/err1"
  if [ "$rc" -ne "$want" ]; then fail "rnnlm $*: exit $rc, expected $want"
  elif [ "$(wc -l < "$tmp/err1")" -ne 1 ]; then fail "rnnlm $*: $(wc -l < "$tmp/err1") lines on stderr: $(cat "$tmp/err1")"
  elif ! grep -qF -- "$needle" "$tmp/err1"; then fail "rnnlm $*: stderr does not name '$needle': $(cat "$tmp/err1")"
  fi
}
for cmd in score eval; do
  expect 1 "$tmp/missing.arpa" $cmd "$M" "$T" --ngram "$tmp/missing.arpa"
  expect 2 "outside [0, 1]" $cmd "$M" "$T" --ngram "$A" --lambda 1.5
  expect 2 "outside [0, 1]" $cmd "$M" "$T" --ngram "$A" --lambda -0.1
  expect 2 "neither a number nor auto" $cmd "$M" "$T" --ngram "$A" --lambda half
  expect 2 "--mix-dev" $cmd "$M" "$T" --ngram "$A" --lambda auto
  expect 2 "--ngram" $cmd "$M" "$T" --lambda 0.5
  expect 2 "--lambda auto" $cmd "$M" "$T" --ngram "$A" --mix-dev "$tmp/dev.txt"
  expect 2 "exclude each other" $cmd "$M" "$T" --independent --carry-state
  expect 2 "--debug" $cmd "$M" "$T" --debug 2
  expect 2 "--rnn-unk" $cmd "$M" "$T" --rnn-unk half
  expect 1 "$tmp/missing_dev.txt" $cmd "$M" "$T" --ngram "$A" --lambda auto --mix-dev "$tmp/missing_dev.txt"
done
expect 2 "--format kaldi" eval "$M" "$T" --format kaldi
expect 2 "not --corpus" eval "$M" --corpus toy --ngram "$A" --carry-state
printf 'Mary had\nbad \377 byte\n' > "$tmp/bad_utf8.txt"
expect 1 "$tmp/bad_utf8.txt:2: invalid UTF-8" score "$M" "$tmp/bad_utf8.txt" --ngram "$A" --format srilm
[ -s "$tmp/out" ] && fail "invalid UTF-8: output written before the error: $(cat "$tmp/out")"
expect 1 "$tmp/bad_utf8.txt:2: invalid UTF-8" score "$M" "$T" --ngram "$A" --lambda auto --mix-dev "$tmp/bad_utf8.txt"
printf 'u1 Mary had\n\nu3 a lamb\n' > "$tmp/blank.txt"
expect 1 "$tmp/blank.txt:2: no utterance id" score "$M" "$tmp/blank.txt" --format kaldi
printf '\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n\\end\\\n' > "$tmp/short.arpa"
expect 1 "$tmp/short.arpa" score "$M" "$T" --ngram "$tmp/short.arpa"
[ -s "$tmp/out" ] && fail "a bad ARPA file: output written before the error"
# a sentence of OOVs only: counted, nothing but its end scored (</s> as a
# unigram: the OOV cut the history)
printf 'zebra giraffe\n' > "$tmp/allout.txt"
score "$tmp/allout.txt" --ngram "$A" --lambda 0 --format srilm > "$tmp/out" || fail "all-OOV sentence exited $?"
[ "$(cat "$tmp/out")" = "file $tmp/allout.txt: 1 sentences, 2 words, 2 OOVs
0 zeroprobs, logprob= -1 ppl= 10 ppl1= undefined" ] || fail "all-OOV sentence: $(cat "$tmp/out")"
# --lambda auto on an empty held-out text: nothing to estimate on
: > "$tmp/empty.txt"
expect 1 "nothing to estimate" score "$M" "$T" --ngram "$A" --lambda auto --mix-dev "$tmp/empty.txt"

[ "$failures" -eq 0 ] && echo ok || { echo "$failures failed"; exit 1; }
