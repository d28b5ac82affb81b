#!/usr/bin/env python3
"""kn_baseline.py: an interpolated modified Kneser-Ney n-gram baseline on
rnnlm's own id streams, evaluated the way rnnlm evaluates a split.

    build/rnnlm data [data options] --write-ids DIR
    dev/kn_baseline.py DIR --order 5 [--order 3 ...] [--write-arpa PREFIX] [--sentences]

DIR holds what `rnnlm data --write-ids` writes: vocab.tsv (V, the number of
ids, specials and <unk> included) and train.ids / valid.ids / test.ids (each
split's id stream, <s> between sentences). The model is trained on the
training stream and scores every prediction of each other stream: ids[i]
given ids[i-N+1 .. i-1] for every i >= 1 (a shorter context near the start),
so the perplexity is exp of the mean negative log-probability over the same
n_ids - 1 targets, <unk> and <s> included, as rnnlm's stream evaluation.
With --sentences the streams are cut into sentences <s> w1 .. wn </s>
instead: no n-gram spans two, each sentence's words and </s> are scored
with <s> as its first context (SRILM's convention, `rnnlm ngram ppl`'s and
`rnnlm eval --ngram`'s), and the ARPA file written is the one to
interpolate with a model sentence by sentence (docs/PIPELINE.md).

The model (Chen and Goodman 1998, "interpolated modified Kneser-Ney"):

    p_k(w | h) = max(c_k(h w) - D_k(c_k(h w)), 0) / c_k(h .)
                 + gamma_k(h) * p_{k-1}(w | h')          h' = h without its first word
    gamma_k(h) = (D_k1 N1(h .) + D_k2 N2(h .) + D_k3 N3+(h .)) / c_k(h .)
    p_0(w)     = 1 / V

c_N is the raw count of the N-gram; for k < N, c_k(g) is the continuation
count, the number of distinct words v such that v g occurs in the training
stream. N1, N2, N3+ count the words w with c_k(h w) equal to 1, 2, >= 3. A
context h never seen at order k (c_k(h .) = 0) gives p_k = p_{k-1}. The
discounts of each order come from its count-of-counts n1..n4 (of c_k):
Y = n1 / (n1 + 2 n2), D_k1 = 1 - 2Y n2/n1, D_k2 = 2 - 3Y n3/n2,
D_k3 = 3 - 4Y n4/n3 (a discount whose count-of-counts are zero falls back to
Y, and each is clamped to [0, its count]). `--discount D` fixes every
discount of every order to D instead. (NLTK's KneserNeyInterpolated is this
model with one fixed discount for orders >= 2 and none at order 1, so that
p_1 is the plain continuation-count estimate; tests/test_kn_nltk.sh compares
the two through the `discounts` argument of KneserNey.)

Plain python3, no third-party module: orders 3 and 5 on Brown take about
20 s and 0.9 GB together.
"""
import argparse
import math
import os
import sys
from collections import Counter


def ngrams(ids, n):
    return zip(*(ids[i:] for i in range(n)))


def seq_ngrams(seqs, n):
    """The n-grams of each sequence in turn (none spans two sequences)."""
    for s in seqs:
        yield from ngrams(s, n)


def sentences(ids, bos=0, eos=1):
    """A stream (bos between sentences) as sentences [bos, w1 .. wn, eos]."""
    out, cur = [], None
    for t in ids:
        if t == bos:
            if cur and len(cur) > 1:
                out.append(cur + [eos])
            cur = [bos]
        elif cur is not None:
            cur.append(t)
    return out


def _discounts(counts):
    """Modified KN discounts (D1, D2, D3+) from the count-of-counts of one order."""
    nc = Counter(c for c in counts.values() if c <= 4)
    n1, n2, n3, n4 = nc[1], nc[2], nc[3], nc[4]
    y = n1 / (n1 + 2 * n2) if n1 + 2 * n2 else 0.5
    d = [y, y, y]
    if n1:
        d[0] = 1 - 2 * y * n2 / n1
    if n2:
        d[1] = 2 - 3 * y * n3 / n2
    if n3:
        d[2] = 3 - 4 * y * n4 / n3
    return tuple(min(max(x, 0.0), float(i + 1)) for i, x in enumerate(d))


class KneserNey:
    """Interpolated modified Kneser-Ney of order N over ids 0 .. V-1."""

    def __init__(self, ids, V, order, discounts=None, sents=False):
        """discounts: None (estimated), one number for every order and count,
        or a dict order -> (D1, D2, D3+) for the orders it names (the others
        estimated). sents: ids is a list of sentences [<s>, w1 .. wn, </s>]
        and no n-gram spans two of them; a lower-order n-gram that starts with
        <s> has no left neighbour, so it keeps its raw count (as ARPA tools
        count it) beside the continuation counts."""
        if order < 1:
            raise ValueError("order must be >= 1")
        if discounts is not None and not isinstance(discounts, dict):
            discounts = {k: (float(discounts),) * 3 for k in range(1, order + 1)}
        self.V, self.N = V, order
        seqs = [list(x) for x in ids] if sents else [list(ids)]
        flat = [t for x in seqs for t in x]
        if flat and (min(flat) < 0 or max(flat) >= V):
            raise ValueError("an id outside 0 .. V-1")
        self.counts = [None] * (order + 1)   # counts[k]: k-gram tuple -> c_k
        self.stats = [None] * (order + 1)    # stats[k]: context -> (c_k(h .), N1, N2, N3+)
        self.disc = [None] * (order + 1)     # disc[k]: (D1, D2, D3+)
        for k in range(1, order + 1):
            if k == order:
                c = Counter(seq_ngrams(seqs, k))
            else:
                c = Counter(g[1:] for g in set(seq_ngrams(seqs, k + 1)))
                if sents:
                    c.update(g for g in seq_ngrams(seqs, k) if g[0] == seqs[0][0])
            self.counts[k] = c
            self.disc[k] = tuple(discounts[k]) if discounts and k in discounts else _discounts(c)
            st = {}
            for g, n in c.items():
                s = st.get(g[:-1])
                if s is None:
                    s = st[g[:-1]] = [0, 0, 0, 0]
                s[0] += n
                s[min(n, 3)] += 1
            self.stats[k] = st

    def prob(self, w, ctx=()):
        """p(w | ctx), ctx the preceding ids (only the last N-1 are used)."""
        ctx = tuple(ctx[max(0, len(ctx) - self.N + 1):]) if self.N > 1 else ()   # a shorter ctx whole
        p = 1.0 / self.V
        for k in range(1, len(ctx) + 2):
            h = ctx[len(ctx) - k + 1:] if k > 1 else ()
            s = self.stats[k].get(h)
            if s is None:
                continue
            c = self.counts[k].get(h + (w,), 0)
            d1, d2, d3 = self.disc[k]
            d = 0.0 if c == 0 else (d1 if c == 1 else d2 if c == 2 else d3)
            gamma = (d1 * s[1] + d2 * s[2] + d3 * s[3]) / s[0]
            p = max(c - d, 0.0) / s[0] + gamma * p
        return p

    def sentence_logprob(self, sent):
        """(sum of log p(w | history) over the words and </s> of one sentence
        [<s>, w1 .. wn, </s>], the words scored): SRILM's -ppl convention."""
        total = 0.0
        for i in range(1, len(sent)):
            total += math.log(self.prob(sent[i], sent[max(0, i - self.N + 1):i]))
        return total, len(sent) - 1

    def stream_logprob(self, ids):
        """(sum of log p(ids[i] | ids[..i]) over i >= 1, number of predictions)."""
        total, n = 0.0, 0
        for i in range(1, len(ids)):
            total += math.log(self.prob(ids[i], ids[max(0, i - self.N + 1):i]))
            n += 1
        return total, n


def write_arpa(model, words, path):
    """The model as an ARPA back-off file (log10; words[i] names id i).

    The interpolated model is a back-off model with bow(h) = gamma_k(h): an
    n-gram h w is listed with its full p_k(w | h) when c_k(h w) > 0, and
    otherwise p_k(w | h) = gamma_k(h) p_{k-1}(w | h') is what ARPA's back-off
    gives. Every context h of order k is listed at order k - 1 (with its own
    probability) so that it can carry its bow; every id is a unigram."""
    N = model.N
    listed = [None] + [set(model.counts[k]) for k in range(1, N + 1)]
    listed[1] = {(i,) for i in range(model.V)}
    for k in range(2, N + 1):
        for h in model.stats[k]:
            listed[k - 1].add(h)
    lines = ["\\data\\"] + ["ngram %d=%d" % (k, len(listed[k])) for k in range(1, N + 1)]
    for k in range(1, N + 1):
        lines += ["", "\\%d-grams:" % k]
        for g in sorted(listed[k]):
            row = "%.9g\t%s" % (math.log10(model.prob(g[-1], g[:-1])), " ".join(words[i] for i in g))
            if k < N:
                s = model.stats[k + 1].get(g)
                if s is not None:
                    d1, d2, d3 = model.disc[k + 1]
                    row += "\t%.9g" % math.log10((d1 * s[1] + d2 * s[2] + d3 * s[3]) / s[0])
            lines.append(row)
    lines += ["", "\\end\\", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def read_words(path):
    with open(path, encoding="utf-8") as f:
        return [x.split("\t")[0] for x in f.read().split("\n")[1:] if x]


def read_ids(path):
    with open(path) as f:
        return [int(x) for x in f.read().split()]


def read_vocab_size(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if not lines[0].startswith("#rnnlm-vocab"):
        sys.exit("kn_baseline: %s is not an rnnlm vocabulary" % path)
    return sum(1 for x in lines[1:] if x)


def main():
    ap = argparse.ArgumentParser(description="Interpolated modified Kneser-Ney on rnnlm id streams.")
    ap.add_argument("dir", help="what `rnnlm data --write-ids DIR` wrote")
    ap.add_argument("--order", type=int, action="append", help="N (repeatable; default 3 and 5)")
    ap.add_argument("--discount", type=float, help="one fixed discount for every order and count")
    ap.add_argument("--write-arpa", metavar="PREFIX",
                    help="also write each model as an ARPA back-off file PREFIX<N>.arpa (log10)")
    ap.add_argument("--sentences", action="store_true",
                    help="train and evaluate on sentences <s> w1 .. wn </s> (no n-gram spans two; the "
                         "end is </s>), as ARPA tools and `rnnlm ngram ppl` count them")
    a = ap.parse_args()
    V = read_vocab_size(os.path.join(a.dir, "vocab.tsv"))
    train = read_ids(os.path.join(a.dir, "train.ids"))
    evals = [(s, read_ids(os.path.join(a.dir, s + ".ids"))) for s in ("valid", "test")
             if os.path.exists(os.path.join(a.dir, s + ".ids"))]
    print("V %d, train %d ids%s" % (V, len(train), "".join(", %s %d ids" % (s, len(x)) for s, x in evals)))
    for N in a.order or [3, 5]:
        m = KneserNey(sentences(train) if a.sentences else train, V, N, a.discount, sents=a.sentences)
        print("KN%d discounts (D1, D2, D3+) per order: %s" % (
            N, "  ".join("%d: %.3f %.3f %.3f" % ((k,) + m.disc[k]) for k in range(1, N + 1))))
        if a.write_arpa:
            write_arpa(m, read_words(os.path.join(a.dir, "vocab.tsv")), "%s%d.arpa" % (a.write_arpa, N))
        for s, ids in evals:
            if a.sentences:
                lp = n = 0
                for sent in sentences(ids):
                    x, k = m.sentence_logprob(sent)
                    lp, n = lp + x, n + k
            else:
                lp, n = m.stream_logprob(ids)
            print("KN%d %-5s perplexity %.2f (%d predictions)" % (N, s, math.exp(-lp / n), n))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
