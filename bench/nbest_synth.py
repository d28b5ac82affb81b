#!/usr/bin/env python3
"""nbest_synth.py: synthetic n-best lists for `rnnlm rescore` (bench/bench_rescore.sh,
tests/test_rescore.sh), and the scoring of what a rescorer chose.

  nbest_synth.py make SENTENCES VOCAB OUTDIR [--n 20] [--sites 5] [--seed 1]
                      [--max-utts 500] [--min-len 4] [--max-len 30]
                      [--bonus 2.0] [--noise 2.0]
      SENTENCES: one reference sentence a line (whitespace-separated words);
      VOCAB: the words substitutions and insertions draw from, one a line (the
      first field of a line; lines starting with '#' and <s> </s> <unk> skipped).
      Writes OUTDIR/nbest.txt (Kaldi's "UTTID-N w1 ..."), OUTDIR/ac_cost
      ("UTTID-N COST", a negated natural-log score) and OUTDIR/ref.txt ("UTTID w1 ...").

  nbest_synth.py wer REF CHOSEN
      Prints "sentences S correct C accuracy A wer W" for the chosen
      hypotheses ("UTTID w1 ...") against the references.

How the lists are made, per reference sentence (a seeded generator):
a first pass confuses a few places of an utterance, so its n-best list is
combinations of a few local alternatives rather than unrelated sentences.
`sites` distinct positions are drawn; each gets one edit: the word replaced by
a vocabulary word, deleted, or a vocabulary word inserted before it (equally
likely). The hypotheses are the reference (no edit) and n - 1 distinct
non-empty sets of edits drawn at random, in shuffled order. The acoustic
score of a hypothesis with e edits is bonus * e + N(0, noise^2) (natural
log): it prefers wrong hypotheses a little, so the acoustic 1-best is rarely
the reference and a language model has to set it right.
"""
import argparse
import random
import sys


def read_vocab(path):
    words = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            w = line.split()[0]
            if w in ("<s>", "</s>", "<unk>"):
                continue
            words.append(w)
    if not words:
        sys.exit("nbest_synth.py: %s holds no word" % path)
    return words


def apply_edits(words, edits):
    """edits: (position, kind, word) sorted by position."""
    out = []
    by_pos = {p: (k, w) for p, k, w in edits}
    for i, w in enumerate(words):
        if i in by_pos:
            k, x = by_pos[i]
            if k == "sub":
                out.append(x)
                continue
            if k == "del":
                continue
            out.append(x)   # ins: before the word
        out.append(w)
    return out


def make(a):
    rng = random.Random(a.seed)
    vocab = read_vocab(a.vocab)
    refs = []
    with open(a.sentences, encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if a.min_len <= len(w) <= a.max_len:
                refs.append(w)
            if len(refs) >= a.max_utts:
                break
    import os
    os.makedirs(a.outdir, exist_ok=True)
    with open(os.path.join(a.outdir, "nbest.txt"), "w", encoding="utf-8") as nb, \
         open(os.path.join(a.outdir, "ac_cost"), "w", encoding="utf-8") as ac, \
         open(os.path.join(a.outdir, "ref.txt"), "w", encoding="utf-8") as ref:
        for u, words in enumerate(refs):
            utt = "utt%05d" % (u + 1)
            ref.write("%s %s\n" % (utt, " ".join(words)))
            k = min(a.sites, len(words))
            pos = sorted(rng.sample(range(len(words)), k))
            edits = []
            for p in pos:
                kind = rng.choice(("sub", "del", "ins"))
                x = rng.choice(vocab)
                while kind == "sub" and x == words[p]:
                    x = rng.choice(vocab)
                edits.append((p, kind, x))
            subsets = list(range(1, 1 << k))
            rng.shuffle(subsets)
            chosen = [0] + subsets[: a.n - 1]
            hyps = []
            for mask in chosen:
                e = [edits[i] for i in range(k) if mask >> i & 1]
                score = a.bonus * len(e) + rng.gauss(0.0, a.noise)
                hyps.append((apply_edits(words, e), score))
            rng.shuffle(hyps)
            for i, (h, score) in enumerate(hyps):
                hid = "%s-%d" % (utt, i + 1)
                nb.write("%s %s\n" % (hid, " ".join(h)) if h else "%s\n" % hid)
                ac.write("%s %.4f\n" % (hid, -score))
    print("nbest_synth.py: %d utterances" % len(refs), file=sys.stderr)


def edit_distance(r, h):
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)]


def read_table(path):
    t = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if w:
                t[w[0]] = w[1:]
    return t


def wer(a):
    ref, hyp = read_table(a.ref), read_table(a.chosen)
    if set(ref) != set(hyp):
        sys.exit("nbest_synth.py: the utterances of %s and %s differ" % (a.ref, a.chosen))
    errs = words = correct = 0
    for u, r in ref.items():
        e = edit_distance(r, hyp[u])
        errs += e
        words += len(r)
        correct += e == 0
    print("sentences %d correct %d accuracy %.4f wer %.4f" % (len(ref), correct, correct / len(ref), errs / words))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("sentences")
    m.add_argument("vocab")
    m.add_argument("outdir")
    m.add_argument("--n", type=int, default=20)
    m.add_argument("--sites", type=int, default=5)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--max-utts", type=int, default=500)
    m.add_argument("--min-len", type=int, default=4)
    m.add_argument("--max-len", type=int, default=30)
    m.add_argument("--bonus", type=float, default=2.0)
    m.add_argument("--noise", type=float, default=2.0)
    w = sub.add_parser("wer")
    w.add_argument("ref")
    w.add_argument("chosen")
    a = p.parse_args()
    make(a) if a.cmd == "make" else wer(a)


if __name__ == "__main__":
    main()
