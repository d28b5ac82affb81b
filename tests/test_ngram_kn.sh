#!/usr/bin/env bash
# test_ngram_kn.sh: an ARPA file from a second tool. dev/kn_baseline.py
# --write-arpa writes its interpolated Kneser-Ney models (orders 2, 3, 5, on a
# small generated set's id streams) as back-off files; rnnlm reads them
# (rnnlm.Ngram, the library's reader and back-off) and gives, at every
# position of the test stream, the log10 probability the script's own model
# computes, within 1e-5 (the file holds 9 digits, rnnlm single precision);
# `rnnlm ngram info` reports the counts the file announces. Env: BUILD
# (default build). Skips (tests/lib.sh) without /usr/bin/python3 or when BUILD
# is a sanitizer build (whose library a plain python3 cannot load).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/lib.sh
need_python
case "$BUILD" in *asan*) skip "$BUILD's librnnlm.so needs the sanitizer runtime" ;; esac
[ -x "$BUILD/rnnlm" ] && [ -f "$BUILD/librnnlm.so" ] || { echo "no $BUILD/rnnlm or librnnlm.so (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_ngram_kn.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

awk 'BEGIN { s = 7; for (i = 0; i < 400; i++) { n = 2 + i % 9; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; r = int(s / 65536) % 1000;
    line = line " w" int(r * r / 8000) }
  print substr(line, 2) } }' > "$tmp/all.txt"
head -n 340 "$tmp/all.txt" > "$tmp/train.txt"
tail -n 60 "$tmp/all.txt" > "$tmp/test.txt"
"$BUILD/rnnlm" data --train "$tmp/train.txt" --test "$tmp/test.txt" --vocab-size 80 --write-ids "$tmp/ids" \
  > "$tmp/data.log" 2>&1 || { cat "$tmp/data.log"; fail "rnnlm data --write-ids"; }
"$PY" dev/kn_baseline.py "$tmp/ids" --order 2 --order 3 --order 5 --write-arpa "$tmp/kn" > "$tmp/kn.log" 2>&1 ||
  { cat "$tmp/kn.log"; fail "dev/kn_baseline.py --write-arpa"; }
for n in 2 3 5; do
  "$BUILD/rnnlm" ngram info "$tmp/kn$n.arpa" > "$tmp/info$n.txt" 2>&1 || { cat "$tmp/info$n.txt"; fail "ngram info kn$n"; continue; }
  diff <(grep '^ngram ' "$tmp/kn$n.arpa") <(grep '^ngram ' "$tmp/info$n.txt") > /dev/null ||
    fail "kn$n.arpa: rnnlm ngram info's counts differ from the file's \\data\\"
done
RNNLM_LIB="$BUILD/librnnlm.so" "$PY" - "$tmp" <<'PYEOF' || fail "rnnlm and kn_baseline.py disagree (above)"
import math, os, sys
sys.path.insert(0, "python"); sys.path.insert(0, "dev")
import rnnlm, kn_baseline as kn
d = sys.argv[1]
V = kn.read_vocab_size(os.path.join(d, "ids", "vocab.tsv"))
words = kn.read_words(os.path.join(d, "ids", "vocab.tsv"))
train = kn.read_ids(os.path.join(d, "ids", "train.ids"))
test = kn.read_ids(os.path.join(d, "ids", "test.ids"))
bad = 0
for N in (2, 3, 5):
    m = kn.KneserNey(train, V, N)
    g = rnnlm.Ngram(os.path.join(d, "kn%d.arpa" % N))
    assert g.order == N and len(g) == V, (g.order, len(g))
    worst = 0.0
    for i in range(1, len(test)):
        h = test[max(0, i - N + 1):i]
        want = math.log10(m.prob(test[i], h))
        got = g.logprob(words[test[i]], [words[x] for x in h])
        worst = max(worst, abs(got - want))
    print("order %d: %d positions, max |log10 diff| %.2e" % (N, len(test) - 1, worst))
    if worst > 1e-5:
        bad += 1
    g.close()
sys.exit(1 if bad else 0)
PYEOF
# --sentences: trained on sentences <s> .. </s>; `rnnlm ngram ppl` on the test
# text gives the script's own sentence perplexity (SRILM's convention: the
# words and </s> of each sentence scored, <s> as context)
"$PY" dev/kn_baseline.py "$tmp/ids" --order 3 --sentences --write-arpa "$tmp/sent" > "$tmp/sent.log" 2>&1 ||
  { cat "$tmp/sent.log"; fail "dev/kn_baseline.py --sentences --write-arpa"; }
want=$(sed -n 's/^KN3 test  *perplexity \([0-9.]*\).*/\1/p' "$tmp/sent.log")
"$PY" - "$tmp/ids/vocab.tsv" "$tmp/ids/test.ids" > "$tmp/test_words.txt" <<'PYEOF'
import sys
words = [l.split("\t")[0] for l in open(sys.argv[1], encoding="utf-8").read().split("\n")[1:] if l]
ids = [int(x) for x in open(sys.argv[2]).read().split()]
line = []
for t in ids[1:]:
    if t == 0:
        print(" ".join(line)); line = []
    else:
        line.append(words[t])
PYEOF
got=$("$BUILD/rnnlm" ngram ppl "$tmp/sent3.arpa" "$tmp/test_words.txt" --unk | sed -n 's/.* ppl= \([0-9.]*\) .*/\1/p')
awk -v a="$want" -v b="$got" 'BEGIN { exit !(a > 0 && b > 0 && (a - b) / a < 1e-4 && (b - a) / a < 1e-4) }' ||
  fail "--sentences: the script's sentence perplexity '$want', rnnlm ngram ppl's '$got'"
echo "--sentences: KN3 sentence perplexity $want (script), $got (rnnlm ngram ppl)"
[ "$failures" = 0 ] || exit 1
echo "ok"
