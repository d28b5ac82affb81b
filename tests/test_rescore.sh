#!/usr/bin/env bash
# test_rescore.sh: `rnnlm rescore` on the committed model tests/data/tiny.safetensors
# (the toy corpus's words, docs/NBEST.md for the layouts):
#  - the chosen hypotheses equal the best by an independent computation (the
#    combined score from `rnnlm score --exact` and the costs, in awk);
#  - prefix sharing, batched scoring without it and one hypothesis at a time
#    give the same model scores (to 1e-4 nats: fp32 rounding) and ranks;
#  - SRILM's three layouts (and a list of files) read with the scores in the
#    units docs/NBEST.md states; interpolation with L = 1 equals the model alone;
#  - bad input: malformed n-best and cost lines named by file and line, ids in
#    one file and not the other, invalid UTF-8, an over-long line; accepted:
#    empty hypotheses, hypotheses of only OOVs, one-hypothesis utterances, CRLF;
#    an output path that is a symlink is refused with its target untouched, and a
#    failing run leaves no --write-nbest file;
#  - a small synthetic 20-best set (bench/nbest_synth.py): the model's 1-best
#    beats the acoustic 1-best's WER (no timing).
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
BUILD=${BUILD:-build}
R="$BUILD/rnnlm"
M=tests/data/tiny.safetensors
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_rescore.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
rs() { "$R" rescore "$M" --threads 1 "$@"; }

# --- the chosen hypotheses against an independent computation --------------------------
cat > "$tmp/nb.txt" <<'EOF'
u1-1 Mary had a little lamb .
u1-2 Mary had a little lamb
u1-3 Mary had a lamb .
u1-4 little Mary had a lamb .
u1-5 Mary had a little little lamb .
u2-1 The lamb was white as snow .
u2-2 The lamb was white snow .
u2-3 The lamb was as white as snow .
u2-4
u3-1 Mary had a lamb
EOF
cat > "$tmp/ac" <<'EOF'
u1-1 10.0
u1-2 8.5
u1-3 9.0
u1-4 7.0
u1-5 9.5
u2-1 6.0
u2-2 4.0
u2-3 5.5
u2-4 30.0
u3-1 3.0
EOF
out=$(rs "$tmp/nb.txt" --acoustic-costs "$tmp/ac" --acoustic-scale 0.5 --word-penalty -0.3 \
  --write-nbest "$tmp/share.txt" 2> "$tmp/err") || fail "rescore exited $?: $(cat "$tmp/err")"
cut -d' ' -f2- "$tmp/nb.txt" > "$tmp/words.txt"
"$R" score "$M" "$tmp/words.txt" --exact --threads 1 2>/dev/null | cut -f1 > "$tmp/lp.txt"
want=$(paste -d' ' "$tmp/lp.txt" "$tmp/nb.txt" | awk 'NR == FNR { c[$1] = $2; next }
  { id = $2; u = id; sub(/-[0-9]+$/, "", u); n = NF - 2
    t = 0.5 * -c[id] + $1 - 0.3 * n
    if (!(u in best) || t > best[u]) { best[u] = t; w = ""; for (i = 3; i <= NF; i++) w = w " " $i; hyp[u] = u w }
    if (!(u in seen)) { seen[u] = 1; order[++k] = u } }
  END { for (i = 1; i <= k; i++) print hyp[order[i]] }' "$tmp/ac" -)
[ "$out" = "$want" ] || fail "chosen hypotheses: got [$out] want [$want]"
# u2's best is its empty hypothesis (the model's P(end | <s>) outweighs its acoustic cost): the id alone
grep -qx 'u2' <<< "$out" || fail "u2: the empty hypothesis is printed as its id alone: $out"
grep -q '10 hypotheses, 54 words' "$tmp/err" || fail "counts: $(cat "$tmp/err")"
# the rescored list: ranks 1..n per utterance, totals non-increasing
awk 'NR > 1 { u = $1; sub(/-[0-9]+$/, "", u); if (u == pu && ($2 != pr + 1 || $3 > pt + 1e-9)) bad = 1
  if (u != pu && $2 != 1) bad = 1; pu = u; pr = $2; pt = $3 } END { exit bad }' "$tmp/share.txt" \
  || fail "write-nbest: ranks or order: $(cat "$tmp/share.txt")"

# --- sharing, batched, one at a time: the same scores --------------------------------------
rs "$tmp/nb.txt" --acoustic-costs "$tmp/ac" --no-prefix-sharing --write-nbest "$tmp/batch.txt" 2>/dev/null > /dev/null \
  || fail "--no-prefix-sharing"
rs "$tmp/nb.txt" --acoustic-costs "$tmp/ac" --one-at-a-time --write-nbest "$tmp/one.txt" 2>/dev/null > /dev/null \
  || fail "--one-at-a-time"
rs "$tmp/nb.txt" --acoustic-costs "$tmp/ac" --write-nbest "$tmp/share1.txt" 2>/dev/null > /dev/null || fail "sharing"
for f in batch one; do
  paste -d' ' "$tmp/share1.txt" "$tmp/$f.txt" | awk -v f="$f" 'NR > 1 { n = NF / 2
    if ($1 != $(n + 1) || $2 != $(n + 2)) { print "order differs: " $0; bad = 1 }
    d = $6 - $(n + 6); if (d < 0) d = -d; if (d > 1e-4) { print "rnn score differs: " $0; bad = 1 } }
    END { exit bad }' || fail "prefix sharing vs $f"
done
# 36 = the root + one per distinct prefix (17 + 14 + 4); 64 = words + hypotheses
grep -q ' 36 recurrent steps' <(rs "$tmp/nb.txt" 2>&1 >/dev/null) || fail "sharing: steps"
grep -q ' 64 recurrent steps' <(rs "$tmp/nb.txt" --no-prefix-sharing 2>&1 >/dev/null) || fail "no sharing: steps"

# --- SRILM layouts -------------------------------------------------------------------------
printf 'NBestList1.0\n(-1000) <s> Mary had a lamb . </s>\n(-2000) Mary had a little lamb .\n' > "$tmp/s1.score"
printf 'NBestList2.0\n(-1000) Mary ( st: 0.00 et: 0.10 g: -10 a: -400 ) had ( st: 0.10 et: 0.20 g: -20 a: -500 )\n' > "$tmp/s2.score"
printf -- '-12.5 -3.25 3 Mary had a\n-11 -4 2 Mary had\n' > "$tmp/s3.nbest"
gzip -c "$tmp/s3.nbest" > "$tmp/s4.nbest.gz"
rs --format srilm "$tmp/s1.score" "$tmp/s2.score" "$tmp/s3.nbest" "$tmp/s4.nbest.gz" --lm-weight 0 \
  --write-nbest "$tmp/srilm.txt" > "$tmp/srilm.best" 2> "$tmp/err" || fail "srilm: $(cat "$tmp/err")"
printf 's1 Mary had a lamb .\ns2 Mary had\ns3 Mary had\ns4 Mary had\n' | cmp -s - "$tmp/srilm.best" \
  || fail "srilm best: $(cat "$tmp/srilm.best")"
# acoustic in natural log: bytelog * 1024 / 10000.5; log10 * ln 10
awk 'NR > 1 { a[$1] = $4; l[$1] = $5 } END {
  e = 0; if ((a["s1-1"] - (-1000 * 1024 / 10000.5))^2 > 1e-8) e = 1
  if ((a["s2-1"] - (-900 * 1024 / 10000.5))^2 > 1e-8 || (l["s2-1"] - (-30 * 1024 / 10000.5))^2 > 1e-8) e = 2
  if ((a["s3-1"] - (-12.5 * log(10)))^2 > 1e-8 || (l["s3-1"] - (-3.25 * log(10)))^2 > 1e-8) e = 3
  if ((a["s4-2"] - (-11 * log(10)))^2 > 1e-8) e = 4
  exit e }' "$tmp/srilm.txt" || fail "srilm scores (case $?): $(cat "$tmp/srilm.txt")"
grep -q '^s1-1 [0-9]* [^ ]* [^ ]* [^ ]* [^ ]* [^ ]* 5 Mary had a lamb \.$' "$tmp/srilm.txt" \
  || fail "srilm: <s> and </s> are dropped: $(cat "$tmp/srilm.txt")"
printf '%s\n\n%s\n' "$tmp/s1.score" "$tmp/s3.nbest" > "$tmp/list"
[ "$(rs --format srilm-list "$tmp/list" --lm-weight 0 2>/dev/null)" = "$(printf 's1 Mary had a lamb .\ns3 Mary had')" ] \
  || fail "srilm-list"

# --- interpolation: L = 1 is the model alone ------------------------------------------------
cat > "$tmp/toy.arpa" <<'EOF'
\data\
ngram 1=8

\1-grams:
-0.8 <s>
-0.9 </s>
-1.0 Mary
-1.0 had
-0.9 a
-1.1 little
-0.7 lamb
-0.9 .

\end\
EOF
rs "$tmp/nb.txt" --ngram "$tmp/toy.arpa" --lambda 1 --write-nbest "$tmp/l1.txt" > /dev/null 2> "$tmp/err" \
  || fail "--lambda 1: $(cat "$tmp/err")"
awk 'NR > 1 { d = $3 - $6; if (d * d > 1e-12) bad = 1 } END { exit bad }' "$tmp/l1.txt" || fail "--lambda 1 != rnn"
rs "$tmp/nb.txt" --ngram "$tmp/toy.arpa" --lambda 0.5 > /dev/null 2> "$tmp/err" || fail "--lambda 0.5: $(cat "$tmp/err")"
rs "$tmp/nb.txt" --lm-weight 0 --ngram "$tmp/toy.arpa" --ngram-weight 1 --write-nbest "$tmp/ng.txt" > /dev/null 2>&1 \
  || fail "n-gram alone"
# u1-3 "Mary had a lamb ." as a unigram: (-0.8 excluded: <s> is context) -1 -1 -0.9 -0.7 -0.9 -0.9(</s>)
awk '$1 == "u1-3" { d = $7 - (-5.4 * log(10)); exit !(d * d < 1e-8) }' "$tmp/ng.txt" \
  || fail "n-gram score of u1-3: $(grep u1-3 "$tmp/ng.txt")"
rs "$tmp/nb.txt" --lambda 0.5 > /dev/null 2>&1 && fail "--lambda without --ngram accepted"

# --- bad input -------------------------------------------------------------------------------
bad() {   # WHAT PATTERN ARGS...: rescore must fail with PATTERN on stderr
  local what=$1 pat=$2; shift 2
  if rs "$@" > "$tmp/o" 2> "$tmp/e"; then fail "$what: accepted"; return; fi
  grep -q -- "$pat" "$tmp/e" || fail "$what: message: $(cat "$tmp/e")"
  [ -s "$tmp/o" ] && fail "$what: printed output on failure"
}
printf 'u1-1 Mary had\nnot-an-id Mary\n' > "$tmp/b1"
bad "id without -N" "b1:2: the first field 'not-an-id' is not a hypothesis id" "$tmp/b1"
printf 'u1-1 Mary\nu1-1 had\n' > "$tmp/b2"
bad "duplicate id" "b2:2: hypothesis id 'u1-1' appears twice" "$tmp/b2"
printf 'u1-1 Mary\nu2-1 had\nu1-2 a\n' > "$tmp/b3"
bad "split utterance" "b3:3: utterance 'u1' appears again" "$tmp/b3"
printf 'u1-1 Mary had\n' > "$tmp/one.txt"
printf 'u1-1 1.5 extra\n' > "$tmp/c1"
bad "cost line with three fields" "c1:1: expected two fields" "$tmp/one.txt" --acoustic-costs "$tmp/c1"
printf 'u1-1 abc\n' > "$tmp/c2"
bad "cost not a number" "c2:1: cost 'abc' is not a finite number" "$tmp/one.txt" --acoustic-costs "$tmp/c2"
printf 'u1-1 nan\n' > "$tmp/c2n"
bad "cost NaN" "c2n:1: cost 'nan' is not a finite number" "$tmp/one.txt" --acoustic-costs "$tmp/c2n"
printf 'u1-1 1\nu9-1 2\n' > "$tmp/c3"
bad "id only in the cost file" "c3:2: id 'u9-1' is not a hypothesis of" "$tmp/one.txt" --acoustic-costs "$tmp/c3"
printf 'u1-1 1\n' > "$tmp/c4"
bad "id only in the n-best" "c4: no cost for 'u1-2'" "$tmp/nb.txt" --ngram-costs "$tmp/c4" --acoustic-costs "$tmp/ac"
printf 'u1-1 1\nu1-1 2\n' > "$tmp/c5"
bad "two costs for an id" "c5:2: a second cost for 'u1-1'" "$tmp/one.txt" --acoustic-costs "$tmp/c5"
printf 'u1-1 Mary\nu1-2 M\xe9ry\n' > "$tmp/b4"
bad "invalid UTF-8" "b4:2: invalid UTF-8 byte 0xe9" "$tmp/b4"
printf 'u1-1 Mary\nu1-2 %s\n' "$(head -c 300 /dev/zero | tr '\0' a)" > "$tmp/b5"
bad "line over the limit" "b5:2: line.* longer than .*100 bytes" "$tmp/b5" --max-line-bytes 100
: > "$tmp/b6"
bad "empty file" "b6: no hypotheses" "$tmp/b6"
printf 'NBestList1.0\n-100 Mary had\n' > "$tmp/b7.score"
bad "srilm 1.0 without (score)" "b7.score:2: expected '(score)' first" --format srilm "$tmp/b7.score"
printf 'NBestList2.0\n(-100) Mary ( st: 0 et: 1 g: -1 a: -2 had\n' > "$tmp/b8.score"
bad "srilm 2.0 unclosed" "b8.score:2: after word 'Mary'" --format srilm "$tmp/b8.score"
printf -- '-1 -2 x Mary\n' > "$tmp/b9.nbest"
bad "srilm plain word count" "b9.nbest:1: the word count is not a whole number" --format srilm "$tmp/b9.nbest"
printf -- '1e308 -3.25 3 Mary had a\n' > "$tmp/b10.nbest"
bad "srilm log10 score overflowing in natural log" "b10.nbest:1: a score is out of range" --format srilm "$tmp/b10.nbest"
bad "missing n-best file" "cannot open" "$tmp/nothere"

# accepted: CRLF, one hypothesis, only OOVs, empty hypotheses
sed 's/$/\r/' "$tmp/nb.txt" > "$tmp/crlf.txt"
sed 's/$/\r/' "$tmp/ac" > "$tmp/ac.crlf"
[ "$(rs "$tmp/crlf.txt" --acoustic-costs "$tmp/ac.crlf" 2>/dev/null)" = "$(rs "$tmp/nb.txt" --acoustic-costs "$tmp/ac" 2>/dev/null)" ] \
  || fail "CRLF lines do not read as LF lines"
printf 'u1-1 zebra giraffe\nu1-2 Mary had a lamb\nu2-1 okapi\nu3-1\nu3-2\n' > "$tmp/oov.txt"
out=$(rs "$tmp/oov.txt" --write-nbest "$tmp/oov.out" 2>/dev/null) || fail "OOV-only / empty / single hypotheses refused"
[ "$(echo "$out" | cut -d' ' -f1 | tr '\n' ' ')" = "u1 u2 u3 " ] || fail "OOV/empty: utterances: $out"
grep -q '^u2 okapi$' <<< "$out" || fail "a one-hypothesis utterance of OOVs: $out"
grep -q '^u3-1 1 ' "$tmp/oov.out" && grep -q '^u3-2 2 ' "$tmp/oov.out" || fail "equal empty hypotheses: first wins"

# output paths: a symlink is refused and its target untouched; failure leaves no file
echo "keep me" > "$tmp/target"
ln -s "$tmp/target" "$tmp/link"
bad "symlink output" "is a symbolic link" "$tmp/nb.txt" --write-nbest "$tmp/link"
[ "$(cat "$tmp/target")" = "keep me" ] || fail "the symlink's target was changed"
bad "failing run" "no cost for" "$tmp/nb.txt" --acoustic-costs "$tmp/c4" --write-nbest "$tmp/never.txt"
[ -e "$tmp/never.txt" ] && fail "a failing run left its --write-nbest file"
ls "$tmp" | grep -q '\.tmp\.' && fail "a temporary file was left behind"

# --- a small synthetic 20-best set ------------------------------------------------------------
need_python
printf 'Mary had a little lamb .\nThe lamb was white as snow .\nMary had a lamb .\nThe lamb was white .\n' > "$tmp/refs.txt"
# the vocabulary the edits draw from: the toy words
printf 'Mary\nhad\na\nlittle\nlamb\n.\nThe\nwas\nwhite\nas\nsnow\n' > "$tmp/toy.words"
"$PY" bench/nbest_synth.py make "$tmp/refs.txt" "$tmp/toy.words" "$tmp/syn" --n 12 --sites 4 --seed 3 \
  --max-utts 4 --bonus 1.0 --noise 0.5 2>/dev/null || fail "nbest_synth.py make"
[ "$(wc -l < "$tmp/syn/nbest.txt")" -eq 48 ] || fail "synthetic lists: $(wc -l < "$tmp/syn/nbest.txt") hypotheses, want 48"
rs "$tmp/syn/nbest.txt" --acoustic-costs "$tmp/syn/ac_cost" --lm-weight 0 > "$tmp/syn/ac.best" 2>/dev/null || fail "acoustic 1-best"
rs "$tmp/syn/nbest.txt" --acoustic-costs "$tmp/syn/ac_cost" > "$tmp/syn/rnn.best" 2>/dev/null || fail "rnn 1-best"
wa=$("$PY" bench/nbest_synth.py wer "$tmp/syn/ref.txt" "$tmp/syn/ac.best" | awk '{ print $NF }')
wr=$("$PY" bench/nbest_synth.py wer "$tmp/syn/ref.txt" "$tmp/syn/rnn.best" | awk '{ print $NF }')
awk -v a="$wa" -v r="$wr" 'BEGIN { exit !(r < a) }' || fail "synthetic: rnn WER $wr not below acoustic WER $wa"
echo "synthetic: acoustic WER $wa, rnn WER $wr"

[ "$failures" -eq 0 ] && echo "PASS test_rescore" || { echo "FAIL test_rescore: $failures"; exit 1; }
