"""test_python.py: python/rnnlm.py against the rnnlm program; run by tests/test_python.sh.

usage: RNNLM_LIB=build/librnnlm.so /usr/bin/python3 tests/test_python.py RNNLM MODEL... TMPDIR
Each MODEL is checked: scores of files and sentences equal `rnnlm score
--exact` to the last bit (and print as `rnnlm score` prints them), states
agree with the scores, clones and copies behave, greedy generation picks what
`rnnlm generate --temperature 0` picks, errors carry the library's messages.
Prints a line per failure and exits 1 if any.
"""
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import rnnlm  # noqa: E402

R, MODELS, TMP = sys.argv[1], sys.argv[2:-1], sys.argv[-1]
failures = 0


def check(ok, what):
    global failures
    if not ok:
        failures += 1
        print("FAIL", what)


def cli(*args, ok=True):
    p = subprocess.run([R] + list(args), capture_output=True, text=True)
    if ok:
        check(p.returncode == 0, "rnnlm %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def cli_scores(model, path, *extra):
    out = cli("score", model, path, "--exact", *extra).stdout
    return [(float(a), float(b), int(c), int(d), float(e))
            for a, b, c, d, e in (line.split("\t") for line in out.splitlines())]


for M in MODELS:
    m = rnnlm.Model(M)
    V = m.vocab_size
    words = m.words
    check(len(m) == V and len(words) == V and words[:3] == ["<s>", "</s>", "<unk>"],
          "%s: vocabulary: %d words, starting %r" % (M, V, words[:3]))
    check(all(m.id(w) == i for i, w in enumerate(words) if i > 2 and w != "<s>"), "%s: id(word(i)) != i" % M)
    # sentences of the model's words, one with an unknown word, an empty line, tabs, no final newline
    vw = [w for w in words[3:] if w != "<s>"]
    sents = [" ".join(vw[i % len(vw)] for i in range(k, k + 3 + k % 6)) for k in range(40)]
    sents[5] += " zzz-not-a-word"
    sents[9] = ""
    sents[11] = sents[11].replace(" ", "\t")
    text = write("sents.txt", "\n".join(sents))

    # files: every figure the same double as the program's, and the same printed line
    py = m.score_file(text)
    ref = cli_scores(M, text)
    check(len(py) == len(ref) == len(sents), "%s: score_file: %d scores, rnnlm score %d" % (M, len(py), len(ref)))
    check([tuple(s) for s in py] == ref, "%s: score_file differs from rnnlm score --exact:\n%s\n%s" % (M, py[:2], ref[:2]))
    check(py[5].oovs == 1 and py[9].words == 0, "%s: oovs or empty line: %s %s" % (M, py[5], py[9]))
    printed = cli("score", M, text).stdout.splitlines()
    mine = ["%.6f\t%.6f\t%d\t%d\t%.6g" % tuple(s) for s in py]
    check(mine == printed, "%s: printed scores differ: %s / %s" % (M, mine[:1], printed[:1]))
    check([tuple(s) for s in m.scores(sents, lanes=3)] == cli_scores(M, text, "--lanes", "3"),
          "%s: scores(lanes=3) differs from rnnlm score --lanes 3" % M)
    check(m.scores([s.split() for s in sents]) == py, "%s: lists of words score differently from lines" % M)

    # one sentence: the program's figure for a file of that one line
    for k in (0, 5, 9, 17):
        one = write("one.txt", sents[k] + "\n")
        got, want = m.score(sents[k]), cli_scores(M, one)[0][0]
        check(got == want, "%s: score(%r) = %r, rnnlm score: %r" % (M, sents[k], got, want))
        check(repr(got) == repr(float(cli("score", M, one, "--exact").stdout.split("\t")[0])),
              "%s: printed %r" % (M, got))

    # states: feeding the words gives the sentence's figure, log-probabilities sum to 1
    s = m.state()
    check(s.logprobs is None and len(s) == 0, "%s: a new state is not empty" % M)
    lp = s.feed(rnnlm.BOS)
    check(len(lp) == V and abs(sum(math.exp(x) for x in lp) - 1) < 1e-4, "%s: feed: %d probabilities" % (M, len(lp)))
    total = 0.0
    for i in m.ids(sents[3]) + [rnnlm.BOS]:
        total += s.logprobs[i]
        s.feed(i)
    check(abs(total - py[3].logprob) < 1e-4 * abs(py[3].logprob), "%s: state sum %r, score %r" % (M, total, py[3].logprob))
    check(len(s) == len(sents[3].split()) + 2, "%s: state length %d" % (M, len(s)))

    # clones: a fork continues exactly as the original, and leaves it alone
    s.reset()
    check(len(s) == 0 and s.logprobs is None, "%s: reset" % M)
    s.feed(rnnlm.BOS)
    s.feed_words(sents[0].split()[:2])
    c = s.clone()
    check(list(c.logprobs) == list(s.logprobs) and len(c) == len(s), "%s: clone has other figures" % M)
    a, b = list(s.feed(vw[0])), list(c.feed(vw[0]))
    check(a == b, "%s: clone and original disagree on the same word" % M)
    c2 = s.clone()
    c.feed(vw[1])
    check(list(s.feed(vw[2])) == list(c2.feed(vw[2])), "%s: feeding a clone changed the original" % M)
    c.copy_from(s)
    check(list(c.logprobs) == list(s.logprobs) and len(c) == len(s), "%s: copy_from" % M)
    check(list(c.feed(vw[3])) == list(s.feed(vw[3])), "%s: a copy continues differently" % M)

    # sampling and generation: greedy is the arg-max and is what the program writes
    arg = max(range(V), key=lambda j: (lp[j], -j))
    check(rnnlm.sample(lp, temperature=0) == arg, "%s: sample(temperature 0) is not the arg-max" % M)
    check(rnnlm.sample(lp, top_k=1, u=0.99) == arg, "%s: sample(top_k 1) is not the arg-max" % M)
    prompt = " ".join(vw[:2])
    for kw, flags in (({}, []), ({"stop_at_eos": True}, ["--stop-at-eos"]), ({"prompt": prompt}, ["--prompt", prompt])):
        g = m.generate(words=15, temperature=0, **kw)
        want = cli("generate", M, "--words", "15", "--temperature", "0", *flags).stdout.rstrip("\n")
        if "\n" not in g and " <s> " not in " %s " % want.replace("\n", " "):
            check(g == want, "%s: generate(%s): %r, rnnlm generate: %r" % (M, kw, g, want))
        else:   # a sentence end: the program's way of showing it may differ; the words agree
            strip = lambda t: [w for w in t.split() if w not in ("<s>", "</s>")]
            check(strip(g) == strip(want)[:len(strip(g))], "%s: generate(%s): %r, rnnlm: %r" % (M, kw, g, want))
    g1 = m.generate(words=30, seed=7)
    check(g1 == m.generate(words=30, seed=7), "%s: generate: the same seed gave another text" % M)
    check(g1 != m.generate(words=30, seed=8) or g1 != m.generate(words=30, seed=9), "%s: generate ignores the seed" % M)
    check(len(g1.split()) <= 30, "%s: generate: more words than asked" % M)

    # errors: the library's status and message (as the program prints it)
    try:
        s.feed(V)
        check(False, "%s: feed(V) raised nothing" % M)
    except rnnlm.Error as e:
        check(e.status == "RNNLM_E_ARG" and str(V) in str(e), "%s: feed(V): %s %s" % (M, e.status, e))
    m.close()
    try:
        m.score("a b")
        check(False, "%s: a closed model scored" % M)
    except rnnlm.Error as e:
        check(e.status == "RNNLM_E_STATE", "%s: closed model: %s" % (M, e.status))

missing = os.path.join(TMP, "missing.safetensors")
with open(MODELS[0], "rb") as f:
    corrupt = write("corrupt.safetensors", "")
    with open(corrupt, "wb") as g:
        g.write(f.read()[:3000])
junk = write("junk.safetensors", "not a model")
for path, status in ((missing, "RNNLM_E_IO"), (corrupt, "RNNLM_E_FORMAT"), (junk, "RNNLM_E_FORMAT")):
    msg = cli("score", path, junk, ok=False).stderr.strip()
    try:
        rnnlm.Model(path)
        check(False, "Model(%s) raised nothing" % path)
    except rnnlm.Error as e:
        check(e.status == status and "rnnlm score: " + str(e) == msg,
              "Model(%s): %s %r; rnnlm score says %r" % (path, e.status, str(e), msg))
m = rnnlm.Model(MODELS[0])
nul = write("nul.txt", "a b\nc\0d\n")
try:
    m.score_file(nul)
    check(False, "score_file of a NUL byte raised nothing")
except rnnlm.Error as e:
    check("rnnlm score: " + str(e) == cli("score", MODELS[0], nul, ok=False).stderr.strip(), "score_file NUL: %s" % e)
for bad in (3, [1, 2], None):
    try:
        m.score(bad)
        check(False, "score(%r) raised nothing" % (bad,))
    except TypeError:
        pass
try:
    rnnlm.sample([0.0, -1.0], temperature=-1)
    check(False, "sample(temperature -1) raised nothing")
except ValueError:
    pass
# a library that cannot be loaded: ImportError naming what was tried
p = subprocess.run([sys.executable, "-c", "import rnnlm"], capture_output=True, text=True,
                   env=dict(os.environ, RNNLM_LIB=missing, PYTHONPATH=os.path.dirname(rnnlm.__file__)))
check(p.returncode != 0 and "ImportError" in p.stderr and missing in p.stderr, "RNNLM_LIB missing: %s" % p.stderr)

# ---- rnnlm.Ngram: an ARPA model, against `rnnlm ngram ppl` and numbers worked out by hand
arpa = write("hand.arpa", "\\data\\\nngram 1=5\nngram 2=2\n\n\\1-grams:\n-99 <s> -0.5\n-0.6 </s>\n"
             "-1.5 <unk>\n-0.7 a -0.3\n-0.8 b\n\n\\2-grams:\n-0.4 <s> a\n-0.3 a b\n\n\\end\\\n")
g = rnnlm.Ngram(arpa)
check(g.order == 2 and g.counts == [5, 2] and len(g) == 5 and g.word(3) == "a" and g.id("b") == 4 and g.id("x") == -1,
      "Ngram: order %d counts %r" % (g.order, g.counts))
near = lambda a, b: a is not None and abs(a - b) < 1e-6  # noqa: E731
check(near(g.logprob("b", ["a"]), -0.3), "Ngram.logprob(b | a)")
check(near(g.logprob("a", "b <s> a"), -0.3 - 0.7), "Ngram.logprob(a | ... a): bow(a) + p(a)")
check(near(g.logprob("b", "a b"), -0.8), "Ngram.logprob(b | a b): the last word only, no bow for b")
check(near(g.logprob("a", ["x"]), -0.7) and g.logprob("x") is None, "Ngram.logprob with an OOV")
check(near(g.logprob("x", ["a"], unk=True), -0.3 - 1.5), "Ngram.logprob(x | a, unk=True): bow(a) + p(<unk>)")
# "a b": -0.4 - 0.3 + P(</s> | b) = -0.6; "a x": -0.4, x an OOV, P(</s>) = -0.6
sc = g.score("a b")
check(near(sc.log10prob, -1.3) and sc.words == 2 and sc.oovs == 0 and near(sc.ppl, 10 ** (1.3 / 3))
      and near(sc.ppl1, 10 ** (1.3 / 2)), "Ngram.score: %r" % (sc,))
check(g.score("a x").oovs == 1 and near(g.score("a x").log10prob, -1.0), "Ngram.score with an OOV")
ws = g.word_scores("a x")
check([w for w, _ in ws] == ["a", "x", "</s>"] and ws[1][1] is None and near(ws[2][1], -0.6), "word_scores %r" % ws)
zs = g.score("<s>")
check(zs.zeroprobs == 1 and g.word_scores("<s>")[0][1] == float("-inf"), "Ngram zeroprob: %r" % (zs,))
text = ["a b", "", "b a x", "x x", "<s> a"]
txt = write("ngram.txt", "\n".join(text) + "\n")
for flag in ([], ["--unk"]):
    tot = g.score_sentences(text, unk=bool(flag))
    out = cli("ngram", "ppl", arpa, txt, *flag).stdout
    want = "file %s: %d sentences, %d words, %d OOVs\n%d zeroprobs, logprob= %g ppl= %g ppl1= %g\n" % (
        txt, 4, tot.words, tot.oovs, tot.zeroprobs, tot.log10prob, tot.ppl, tot.ppl1)
    check(out == want, "Ngram.score_sentences%s: %r, rnnlm ngram ppl: %r" % (flag, want, out))
g.close()
try:
    g.score("a b")
    check(False, "a closed Ngram raised nothing")
except rnnlm.Error as e:
    check(e.status == "RNNLM_E_STATE", "closed Ngram: %s" % e.status)
bad = write("bad.arpa", "\\data\\\nngram 1=2\n\\1-grams:\n-1 a\n\\end\\\n")
try:
    rnnlm.Ngram(bad)
    check(False, "Ngram(bad.arpa) raised nothing")
except rnnlm.Error as e:
    check(e.status == "RNNLM_E_FORMAT" and "bad.arpa:5:" in str(e) and "rnnlm ngram info: " + str(e) ==
          cli("ngram", "info", bad, ok=False).stderr.strip(), "Ngram(bad.arpa): %s" % e)

print("%d failure(s)" % failures if failures else "ok")
sys.exit(1 if failures else 0)
