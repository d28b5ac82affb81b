"""test_python.py: python/rnnlm.py against the rnnlm program; run by tests/test_python.sh.

usage: RNNLM_LIB=build/librnnlm.so /usr/bin/python3 tests/test_python.py RNNLM MODEL... TMPDIR
Each MODEL is checked: scores of files and sentences equal `rnnlm score
--exact` to the last bit (and print as `rnnlm score` prints them), states
agree with the scores, clones and copies behave, greedy generation picks what
`rnnlm generate --temperature 0` picks, errors carry the library's messages.
A closed model refuses every use, its states' too (rnnlm.Error, never a
crash); integers are range-checked, never wrapped; text follows the program's
rule (rnnlm_text_check_line); bad arguments are TypeError or ValueError.
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

    # adapted scores: the program's `score` with the same adaptation, to the bit
    adapt = ["--dynamic-lr", "0.3", "--dynamic-segment", "7", "--cache-size", "10", "--cache-lambda", "0.2"]
    py_ad = m.adapted_scores(sents, dynamic_lr=0.3, dynamic_segment=7, cache_size=10, cache_lambda=0.2)
    check([tuple(s) for s in py_ad] == cli_scores(M, text, *adapt),
          "%s: adapted_scores differs from rnnlm score %s" % (M, " ".join(adapt)))
    check(py_ad != py, "%s: adapted_scores changed nothing" % M)

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

    # errors: an id outside [0, V) is a bad argument
    try:
        s.feed(V)
        check(False, "%s: feed(V) raised nothing" % M)
    except ValueError as e:
        check(str(V - 1) in str(e), "%s: feed(V): %s" % (M, e))
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

# --- a closed model: every use raises rnnlm.Error("... model is closed"), never a crash ---
def refused(what, f, exc=rnnlm.Error, text=None):
    """f() must raise exc (and its message hold text)."""
    try:
        f()
        check(False, "%s raised nothing" % what)
    except exc as e:
        check(text is None or text in str(e), "%s: %s %r" % (what, type(e).__name__, str(e)))
    except Exception as e:
        check(False, "%s raised %s (%s), not %s" % (what, type(e).__name__, e, exc.__name__))


M0 = MODELS[0]
one = write("closed.txt", "the man said .\n")
with rnnlm.Model(M0) as m:
    s = m.state()
    s.feed(rnnlm.BOS)
    other = m.state()
    s.feed("the")
closed_calls = [
    ("state.feed(3)", lambda: s.feed(3)), ("state.feed('man')", lambda: s.feed("man")),
    ("state.clone()", lambda: s.clone()), ("state.copy_from()", lambda: other.copy_from(s)),
    ("state.reset()", lambda: s.reset()), ("len(state)", lambda: len(s)),
    ("state.logprobs", lambda: s.logprobs), ("state.feed_words()", lambda: s.feed_words("the man")),
    ("m.word(3)", lambda: m.word(3)), ("m.words", lambda: m.words), ("m.generate()", lambda: m.generate()),
    ("m.id('lamb')", lambda: m.id("lamb")), ("m.ids()", lambda: m.ids("the man")),
    ("m.score()", lambda: m.score("the man")), ("m.scores()", lambda: m.scores(["the man"])),
    ("m.score_file()", lambda: m.score_file(one)), ("m.state()", lambda: m.state()),
    ("len(m)", lambda: len(m)), ("rnnlm.State(m)", lambda: rnnlm.State(m)),
]
for what, f in closed_calls:
    refused("after the with block, " + what, f, rnnlm.Error, "model is closed")
m.close()   # closing twice is harmless
# states keep the native model alive: with every Python reference to the model
# gone but the states', they still refuse, then free cleanly
del m, other
import gc  # noqa: E402
gc.collect()
refused("a state of a closed, dropped model: feed", lambda: s.feed(3), rnnlm.Error, "model is closed")
del s
gc.collect()
# a state outlives a model that was never closed: it keeps the model
s = rnnlm.Model(M0).state()
gc.collect()
check(len(s.feed(rnnlm.BOS)) > 3, "a state of a dropped (not closed) model stopped working")
del s

# --- integers: checked against the program's ranges, never wrapped to 32 bits ---
m = rnnlm.Model(M0)
V = m.vocab_size
s = m.state()
lp = s.feed(rnnlm.BOS)
for bad, exc in ((2**32 + 5, ValueError), (-1, ValueError), (V, ValueError), (2**64, ValueError),
                 (1.0, TypeError), (True, TypeError), (None, TypeError)):
    refused("feed(%r)" % (bad,), lambda: s.feed(bad), exc)
    refused("word(%r)" % (bad,), lambda: m.word(bad), exc)
check(len(s) == 1, "refused feeds changed the state: length %d" % len(s))
for kw, exc in (({"top_k": 2**32 + 1}, ValueError), ({"top_k": -1}, ValueError), ({"top_k": 2**30 + 1}, ValueError),
                ({"top_k": 1.5}, TypeError), ({"words": -1}, ValueError), ({"words": 2**32 + 3}, ValueError),
                ({"temperature": -1}, ValueError), ({"temperature": float("nan")}, ValueError),
                ({"temperature": float("inf")}, ValueError), ({"temperature": "1"}, TypeError)):
    refused("generate(%s)" % kw, lambda: m.generate(**kw), exc)
    if "words" not in kw:
        refused("sample(%s)" % kw, lambda: rnnlm.sample(lp, **kw), exc)
# the program refuses --top-k -1 too, and takes the largest top_k both accept
check(cli("generate", M0, "--top-k", "-1", ok=False).returncode != 0, "rnnlm generate --top-k -1 accepted")
check(len(m.generate(words=3, top_k=2**30, seed=1).split()) <= 3, "generate(top_k=2^30)")
refused("sample(u=1)", lambda: rnnlm.sample(lp, u=1.0), ValueError)
refused("sample(u=2**32)", lambda: rnnlm.sample(lp, u=2**32), ValueError)
for kw in ({"lanes": 0}, {"lanes": 2**32 + 3}, {"max_line_bytes": -1}):
    refused("scores(%s)" % kw, lambda: m.scores(["a b"], **kw), ValueError)

# --- text: the program's rule (no NUL, valid UTF-8, the line limit), the same messages ---
def cli_message(line, *extra):
    """What `rnnlm score` says of a file of this one line, after its "FILE:1: "."""
    path = os.path.join(TMP, "bad.txt")
    with open(path, "wb") as f:
        f.write(line + b"\n")
    msg = cli("score", M0, path, *extra, ok=False).stderr.strip()
    return msg.split(path + ":1: ", 1)[-1]


for line in (b"the \xff man", b"the\0man", b"a \xc0\xaf b", b"a \xed\xa0\x80", b"a \xf4\x90\x80\x80", b"a \xe2\x82"):
    want = cli_message(line)
    check(want and "rnnlm score" not in want, "rnnlm score accepted %r: %r" % (line, want))
    refused("score(%r)" % line, lambda: m.score(line), ValueError, want)
    refused("scores([ok, %r])" % line, lambda: m.scores([b"a", line]), ValueError, "sentence:2: " + want)
    refused("score(str %r)" % line, lambda: m.score(line.decode("utf-8", "surrogateescape")), ValueError)
    word = [w for w in line.split() if not w.isascii() or b"\0" in w][0]
    refused("score(words with %r)" % word, lambda: m.score([b"a", word]), ValueError)
    refused("generate(prompt=%r)" % line, lambda: m.generate(prompt=line), ValueError)
refused("max_line_bytes", lambda: m.scores(["a bb c"], max_line_bytes=5), ValueError,
        cli_message(b"a bb c", "--max-line-bytes", "5"))
check(len(m.scores(["a bb c"], max_line_bytes=6)) == 1, "a line of the limit's length refused")
for w in ("a\0b", b"\xff", "", "a b", "a\tb"):
    refused("id(%r)" % (w,), lambda: m.id(w), ValueError)
    refused("feed(%r)" % (w,), lambda: s.feed(w), ValueError)
    refused("score([%r])" % (w,), lambda: m.score(["a", w]), ValueError)
refused("id(3)", lambda: m.id(3), TypeError)
check(m.score("caf\u00e9 \U0001f600 \u4e2d") == m.score("caf\u00e9 \U0001f600 \u4e2d".encode("utf-8")),
      "valid UTF-8 scores differently as str and bytes")
# a single str or bytes where a list of sentences is expected
refused("scores('Mary had')", lambda: m.scores("Mary had"), TypeError)
refused("scores(b'Mary had')", lambda: m.scores(b"Mary had"), TypeError)
# paths: a NUL byte is refused, not cut short
refused("Model(path + NUL)", lambda: rnnlm.Model(M0 + "\0junk"), ValueError)
refused("Model(bytes path + NUL)", lambda: rnnlm.Model(os.fsencode(M0) + b"\0junk"), ValueError)
refused("Model(3.5)", lambda: rnnlm.Model(3.5), TypeError)
refused("score_file(path + NUL)", lambda: m.score_file(one + "\0junk"), ValueError)
refused("copy_from(3)", lambda: s.copy_from(3), TypeError)
m.close()

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

# ---- rnnlm.Mix: the tiny model interpolated with tests/data/tiny.arpa, against `rnnlm score --ngram`
m = rnnlm.Model("tests/data/tiny.safetensors")
g = rnnlm.Ngram("tests/data/tiny.arpa")
mix_txt = "tests/data/tiny_mix.txt"
with open(mix_txt) as f:
    lines = f.read().split("\n")[:-1]
rel = lambda a, b, tol=1e-9: a is not None and abs(a - b) <= tol * abs(b)  # noqa: E731
for lam in (0.0, 0.5, 1.0):
    mx = rnnlm.Mix(m, g, lam=lam)
    tot = mx.score_sentences(lines)
    out = cli("score", "tests/data/tiny.safetensors", mix_txt, "--ngram", "tests/data/tiny.arpa", "--lambda", str(lam),
              "--format", "srilm", "--digits", "17", "--threads", "1").stdout.split("\n")
    f1, f2 = out[0].split(), out[1].split()
    check([int(f1[2]), int(f1[4]), int(f1[6]), int(f2[0])] == [4, tot.words, tot.oovs, tot.zeroprobs]
          and rel(tot.log10prob, float(f2[3]), 1e-6) and rel(tot.ppl, float(f2[5]), 1e-6),
          "Mix(lam %g).score_sentences %r, rnnlm score: %r" % (lam, tot, out[:2]))
mx = rnnlm.Mix(m, g, lam=0.5)
dbg = cli("score", "tests/data/tiny.safetensors", mix_txt, "--ngram", "tests/data/tiny.arpa", "--lambda", "0.5",
          "--format", "srilm", "--debug", "2", "--digits", "17", "--threads", "1")
field10 = []
for line in dbg.stdout.split("\n"):
    f = line.split()
    if f and f[0] == "p(":
        field10.append(None if f[7] == "[OOV]" else float("-inf") if "[ -inf" in line else float(f[9]))
    if line.startswith("1 sentences"):
        break
want = field10
got = mx.logprobs(lines[0])
check(len(got) == len(want) and all(rel(a, b, 1e-6) for a, b in zip(got, want)),
      "Mix.logprobs %r, field 10 %r" % (got, want))
ws = mx.word_scores("a dog zebra")
check([w.word for w in ws] == ["a", "dog", "zebra", "</s>"] and ws[2].oov and not ws[1].oov
      and rel(ws[1].p_ngram, 10 ** -1.8, 1e-6), "Mix.word_scores %r" % (ws,))
whole = rnnlm.Mix(m, g, rnn_unk="whole").word_scores("a dog")[1].p_rnn
check(mx.unk_words == 2 and rel(whole, 2 * ws[1].p_rnn), "Mix rnn_unk: split %r whole %r" % (ws[1].p_rnn, whole))
dev = ["Mary had a little lamb .", "The lamb was white as snow .", "Mary had a lamb .", "a little lamb was white ."]
dev_txt = write("mixdev.txt", "\n".join(dev) + "\n")
lam = mx.estimate(dev)
err = cli("score", "tests/data/tiny.safetensors", mix_txt, "--ngram", "tests/data/tiny.arpa", "--lambda", "auto",
          "--mix-dev", dev_txt, "--threads", "1").stderr
want = [ln for ln in err.split("\n") if ln.startswith("rnnlm score: lambda ")]
check(want and abs(lam - float(want[0].split()[3])) < 1e-6, "Mix.estimate %r, --lambda auto: %r" % (lam, want))
pp = mx.perplexities(lines)
ev = cli("eval", "tests/data/tiny.safetensors", mix_txt, "--ngram", "tests/data/tiny.arpa", "--lambda", repr(lam),
         "--threads", "1").stdout
for k in ("rnn", "ngram", "mixture"):
    line = [ln for ln in ev.split("\n") if ln.startswith("perplexity %s " % k)]
    check(line and "%.4f" % pp[k].ppl == line[0].split()[2], "Mix.perplexities[%s] %r, eval: %r" % (k, pp[k], line))
for bad in (-0.1, 1.5):
    try:
        rnnlm.Mix(m, g, lam=bad)
        check(False, "Mix(lam=%g) raised nothing" % bad)
    except ValueError:
        pass
try:
    rnnlm.Mix(m, g, rnn_unk="half")
    check(False, "Mix(rnn_unk='half') raised nothing")
except ValueError:
    pass
mx.close()
try:
    mx.score("a b")
    check(False, "a closed Mix raised nothing")
except rnnlm.Error as e:
    check(e.status == "RNNLM_E_STATE", "closed Mix: %s" % e.status)

print("%d failure(s)" % failures if failures else "ok")
sys.exit(1 if failures else 0)
