#!/usr/bin/env python3
"""ids_text.py: the splits that `rnnlm data --write-ids DIR` wrote, as text.

    build/rnnlm data --corpus brown --write-ids DIR
    dev/ids_text.py DIR            # DIR/train.txt, DIR/test.txt (valid.txt when there)

Each id stream (<s> between sentences) becomes one sentence per line, its
words as the vocabulary spells them (canonical, <unk> for the words the cap
left out): the text `rnnlm eval --ngram` and `rnnlm ngram ppl` read, so that
a model and an n-gram trained on the split see the same words.
"""
import os
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    with open(os.path.join(d, "vocab.tsv"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    if not lines[0].startswith("#rnnlm-vocab"):
        sys.exit("ids_text: %s/vocab.tsv is not an rnnlm vocabulary" % d)
    words = [x.split("\t")[0] for x in lines[1:] if x]
    for part in ("train", "valid", "test"):
        src = os.path.join(d, part + ".ids")
        if not os.path.exists(src):
            continue
        with open(src) as f:
            ids = [int(x) for x in f.read().split()]
        out, cur = [], []
        for t in ids:
            if t == 0:
                if cur:
                    out.append(" ".join(cur))
                cur = []
            else:
                cur.append(words[t])
        if cur:
            out.append(" ".join(cur))
        with open(os.path.join(d, part + ".txt"), "w", encoding="utf-8") as f:
            f.write("".join(x + "\n" for x in out))
        print("%s: %d sentences" % (os.path.join(d, part + ".txt"), len(out)))


if __name__ == "__main__":
    main()
