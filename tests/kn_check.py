#!/usr/bin/env python3
"""kn_check.py: checks of dev/kn_baseline.py, run by tests/test_kn_baseline.sh
and tests/test_kn_nltk.sh.

    kn_check.py norm DIR   every conditional distribution sums to 1 over the V ids
                           (KN orders 1, 2, 3 and 5 on the streams `rnnlm data
                           --write-ids` wrote into DIR), and the script's
                           perplexity is exp of the mean negative log-probability
    kn_check.py nltk       the same probabilities as NLTK's KneserNeyInterpolated
                           on a toy stream (one fixed discount, none at order 1)
Prints "ok ..." lines; exits 1 on the first mismatch.
"""
import math
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dev"))
import kn_baseline as kn  # noqa: E402


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def check_norm(d):
    V = kn.read_vocab_size(os.path.join(d, "vocab.tsv"))
    train = kn.read_ids(os.path.join(d, "train.ids"))
    test = kn.read_ids(os.path.join(d, "test.ids"))
    for N in (1, 2, 3, 5):
        m = kn.KneserNey(train, V, N)
        for k in range(1, N + 1):
            for x, c in zip(m.disc[k], (1, 2, 3)):
                if not 0 <= x <= c:
                    fail("KN%d order %d: discount %g outside [0, %d]" % (N, k, x, c))
        # every context of the training and test streams, and some never seen
        ctxs = {()}
        for ids in (train, test):
            for i in range(len(ids)):
                ctxs.add(tuple(ids[max(0, i - N + 1):i]))
        ctxs.add((V - 1,) * (N - 1))
        ctxs.add(tuple(range(N - 1)))
        worst = 0.0
        for h in ctxs:
            ps = [m.prob(w, h) for w in range(V)]
            if min(ps) <= 0:
                fail("KN%d: a zero probability after %s" % (N, h))
            worst = max(worst, abs(sum(ps) - 1))
        if worst > 1e-12:
            fail("KN%d: a distribution sums to 1 %+g" % (N, worst))
        lp, n = m.stream_logprob(test)
        direct = sum(math.log(m.prob(test[i], test[:i][-(N - 1):] if N > 1 else ())) for i in range(1, len(test)))
        if n != len(test) - 1 or abs(lp - direct) > 1e-9 * abs(direct):
            fail("KN%d: stream log-probability %r over %d, expected %r over %d" % (N, lp, n, direct, len(test) - 1))
        print("ok KN%d: %d contexts sum to 1 within %.1e over V = %d; test perplexity %.3f" % (
            N, len(ctxs), worst, V, math.exp(-lp / n)))


def check_nltk():
    from nltk.lm import KneserNeyInterpolated
    from nltk.util import everygrams
    rng = random.Random(7)
    # A Zipf-ish toy stream, repeated so that the n-grams at its start also
    # occur with a left neighbour (NLTK counts followers by raw counts, this
    # model by continuation counts; they differ only for an n-gram seen
    # nowhere but at the very start).
    part = [0] + [min(int(rng.paretovariate(1.1)), 24) for _ in range(400)]
    stream = part + part
    V = max(stream) + 1
    D = 0.75
    toks = ["w%d" % i for i in stream]
    for N in (2, 3, 4):
        ref = KneserNeyInterpolated(N, discount=D)
        ref.fit([list(everygrams(toks, max_len=N))], vocabulary_text=toks)
        disc = {k: (D, D, D) for k in range(2, N + 1)}
        disc[1] = (0.0, 0.0, 0.0)
        m = kn.KneserNey(stream, V, N, disc)
        seen = set(stream)
        worst, n = 0.0, 0
        ctxs = {tuple(stream[i:i + N - 1]) for i in range(len(stream) - N + 2)}
        ctxs.add((V + 5,) * (N - 1))   # a context NLTK maps to <UNK>, this model has not seen
        for h in sorted(ctxs):
            for w in sorted(seen):
                ours = m.prob(w, h)
                theirs = ref.score("w%d" % w, ["w%d" % x if x in seen else "<UNK>" for x in h])
                worst = max(worst, abs(ours - theirs))
                n += 1
        if worst > 1e-12:
            fail("KN%d: differs from NLTK by %g" % (N, worst))
        print("ok KN%d matches NLTK's KneserNeyInterpolated (discount %g) within %.1e on %d probabilities" % (
            N, D, worst, n))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "norm":
        check_norm(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "nltk":
        check_nltk()
    else:
        sys.exit(__doc__)
