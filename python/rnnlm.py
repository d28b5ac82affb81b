"""rnnlm: recurrent neural network language models from Python.

A thin layer over librnnlm.so (its public API, include/rnnlm.h) through the
standard library's ctypes: nothing to build or install besides the library.

    import rnnlm
    m = rnnlm.Model("best.safetensors")
    print(m.score("the man said ."))          # natural-log P(sentence, end)
    s = m.state(); lp = s.feed("the")          # log P(next word | <s> the)
    print(m.generate("the man", words=10, temperature=0))
    g = rnnlm.Ngram("lm.arpa.gz")             # an ARPA back-off n-gram model
    print(g.logprob("sat", ["the", "cat"]))   # log10 P(sat | the cat)

The library is looked for, in order: the file named by the environment
variable RNNLM_LIB; librnnlm.so next to this module; the library directory
`make install` wrote into this module; the lib directory two levels above
it (PREFIX/lib for PREFIX/lib/pythonX.Y/dist-packages/rnnlm.py); then
ctypes.util.find_library("rnnlm").

Training is not offered here yet (the library's trainer, rnnlm_trainer_* in
rnnlm.h, is not wrapped): train with the `rnnlm train` program and load its
checkpoint.

Errors of the library raise rnnlm.Error (a RuntimeError) carrying its status
name and message; bad Python arguments raise TypeError or ValueError.
"""

import array
import collections
import ctypes
import ctypes.util
import math
import os
import random

__all__ = ["Error", "Model", "State", "Score", "BOS", "EOS", "UNK", "sample", "Ngram", "NgramScore"]

BOS, EOS, UNK = 0, 1, 2   # the ids of "<s>", "</s>", "<unk>"

_INSTALLED_LIBDIR = None  # set by `make install`


class Error(RuntimeError):
    """A failure reported by librnnlm: .status is its name (e.g. "RNNLM_E_IO"),
    .message the library's message."""

    def __init__(self, status, message):
        self.status = status
        self.message = message
        super().__init__(message)


Score = collections.namedtuple("Score", "logprob log10prob words oovs ppl")
Score.__doc__ = """The score of one sentence, as `rnnlm score` prints it: logprob, the
natural log of P(words, end | <s>); log10prob, the same in base 10; words; oovs,
the words that map to <unk>; ppl = exp(-logprob / (words + 1))."""


class _Err(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("msg", ctypes.c_char * 512)]


class _SentenceScore(ctypes.Structure):
    _fields_ = [("logprob", ctypes.c_double), ("log10prob", ctypes.c_double),
                ("words", ctypes.c_size_t), ("oovs", ctypes.c_size_t), ("ppl", ctypes.c_double)]


_STATUS = ["RNNLM_OK", "RNNLM_E_IO", "RNNLM_E_FORMAT", "RNNLM_E_ARG", "RNNLM_E_NOMEM",
           "RNNLM_E_NUMERIC", "RNNLM_E_STATE"]


def _candidates():
    env = os.environ.get("RNNLM_LIB")
    if env:
        return [env]   # an explicit choice: nothing else is tried
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.join(here, "librnnlm.so")]
    if _INSTALLED_LIBDIR:
        paths.append(os.path.join(_INSTALLED_LIBDIR, "librnnlm.so"))
    paths.append(os.path.normpath(os.path.join(here, "..", "..", "librnnlm.so")))
    found = ctypes.util.find_library("rnnlm")
    if found:
        paths.append(found)
    return paths


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("rnnlm: cannot load librnnlm.so (set RNNLM_LIB to its path); tried: " +
                      ("; ".join(tried) or "nothing (ctypes.util.find_library found no rnnlm)"))


_lib = _load()

_P = ctypes.c_void_p
_ERR = ctypes.POINTER(_Err)


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_model_load = _fn("rnnlm_model_load", ctypes.c_int, ctypes.POINTER(_P), ctypes.c_char_p, _ERR)
_model_free = _fn("rnnlm_model_free", None, _P)
_model_vocab = _fn("rnnlm_model_vocab", _P, _P)
_model_vocab_size = _fn("rnnlm_model_vocab_size", ctypes.c_size_t, _P)
_vocab_word = _fn("rnnlm_vocab_word", ctypes.c_char_p, _P, ctypes.c_int32)
_vocab_lookup = _fn("rnnlm_vocab_lookup", ctypes.c_int32, _P, ctypes.c_char_p, ctypes.c_size_t)
_state_create = _fn("rnnlm_state_create", ctypes.c_int, ctypes.POINTER(_P), _P, _ERR)
_state_clone = _fn("rnnlm_state_clone", ctypes.c_int, ctypes.POINTER(_P), _P, _ERR)
_state_copy = _fn("rnnlm_state_copy", ctypes.c_int, _P, _P, _ERR)
_state_reset = _fn("rnnlm_state_reset", None, _P)
_state_free = _fn("rnnlm_state_free", None, _P)
_state_length = _fn("rnnlm_state_length", ctypes.c_size_t, _P)
_feed = _fn("rnnlm_feed", ctypes.c_int, _P, ctypes.c_int32, ctypes.POINTER(ctypes.c_float), _ERR)
_score_batch = _fn("rnnlm_score_batch", ctypes.c_int, _P, ctypes.POINTER(ctypes.c_int32),
                   ctypes.POINTER(ctypes.c_size_t), ctypes.c_size_t, ctypes.c_int,
                   ctypes.POINTER(_SentenceScore), ctypes.POINTER(ctypes.c_double), _ERR)
_check_line = _fn("rnnlm_text_check_line", ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                  ctypes.c_size_t, ctypes.c_size_t, _ERR)
_sample = _fn("rnnlm_sample", ctypes.c_int32, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t,
              ctypes.c_float, ctypes.c_int, ctypes.c_double)


def _check(status, err):
    if status:
        name = _STATUS[status] if 0 <= status < len(_STATUS) else "status %d" % status
        raise Error(name, err.msg.decode("utf-8", "replace") or name)


def _tokens(sentence):
    """A sentence as a list of byte strings: a str or bytes is split at ASCII
    white space (as `rnnlm score` splits a line); a list or tuple is taken as
    its words."""
    if isinstance(sentence, str):
        return sentence.encode("utf-8").split()
    if isinstance(sentence, (bytes, bytearray)):
        return bytes(sentence).split()
    if isinstance(sentence, (list, tuple)):
        out = []
        for w in sentence:
            if isinstance(w, str):
                w = w.encode("utf-8")
            elif not isinstance(w, (bytes, bytearray)):
                raise TypeError("rnnlm: a word must be str or bytes, not %s" % type(w).__name__)
            out.append(bytes(w))
        return out
    raise TypeError("rnnlm: a sentence is a str, bytes or a list of words, not %s" % type(sentence).__name__)


def sample(logprobs, temperature=1.0, top_k=0, u=None, rng=None):
    """Draws an id from V log-probabilities (a State's logprobs) as rnnlm_sample
    does: temperature 0 is the arg-max; top_k > 0 keeps the K most probable ids.
    u, a number in [0, 1), defaults to rng.random() (rng: a random.Random, or
    the random module)."""
    n = len(logprobs)
    buf = logprobs if isinstance(logprobs, ctypes.Array) else (ctypes.c_float * n)(*logprobs)
    if u is None:
        u = (rng or random).random()
    token = _sample(buf, n, temperature, top_k, u)
    if token < 0:
        raise ValueError("rnnlm.sample: bad arguments (V %d, temperature %r, top_k %r, u %r)"
                         % (n, temperature, top_k, u))
    return token


class Model:
    """A trained model: a checkpoint of `rnnlm train` (docs/FORMAT.md)."""

    def __init__(self, path):
        err = _Err()
        h = _P()
        _check(_model_load(ctypes.byref(h), os.fsencode(path), ctypes.byref(err)), err)
        self._h = h
        self._vocab = _model_vocab(h)
        self.path = path
        self.vocab_size = _model_vocab_size(h)

    def close(self):
        """Frees the model (its states must not be used afterwards)."""
        if getattr(self, "_h", None):
            _model_free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _handle(self):
        if not self._h:
            raise Error("RNNLM_E_STATE", "rnnlm: the model is closed")
        return self._h

    def __len__(self):
        return self.vocab_size

    def word(self, token):
        """The word of an id in [0, V)."""
        if not 0 <= token < self.vocab_size:
            raise ValueError("rnnlm: id %r outside [0, %d)" % (token, self.vocab_size))
        return _vocab_word(self._vocab, token).decode("utf-8", "replace")

    def id(self, word):
        """The id of a word under the model's canonicalisation; UNK when absent."""
        w = word.encode("utf-8") if isinstance(word, str) else bytes(word)
        return _vocab_lookup(self._vocab, w, len(w))

    def ids(self, sentence):
        """The ids of a sentence's words (a str is split at white space)."""
        cache = {}
        out = []
        for w in _tokens(sentence):
            i = cache.get(w)
            if i is None:
                i = cache[w] = _vocab_lookup(self._vocab, w, len(w))
            out.append(i)
        return out

    @property
    def words(self):
        """The vocabulary, in id order."""
        return [self.word(i) for i in range(self.vocab_size)]

    def state(self):
        """A new, empty recurrent state."""
        return State(self)

    def scores(self, sentences, lanes=64):
        """Score of each sentence (str, bytes or list of words) as a list of
        Score, computed by the library's batched scorer as `rnnlm score` does
        (the same lanes, the same figures)."""
        self._handle()
        ids, offsets = [], [0]
        cache = {}
        for s in sentences:
            for w in _tokens(s):
                i = cache.get(w)
                if i is None:
                    i = cache[w] = _vocab_lookup(self._vocab, w, len(w))
                ids.append(i)
            offsets.append(len(ids))
        n = len(offsets) - 1
        if n == 0:
            return []
        c_ids = (ctypes.c_int32 * max(1, len(ids)))(*ids)
        c_off = (ctypes.c_size_t * (n + 1))(*offsets)
        out = (_SentenceScore * n)()
        err = _Err()
        _check(_score_batch(self._h, c_ids, c_off, n, lanes, out, None, ctypes.byref(err)), err)
        return [Score(o.logprob, o.log10prob, o.words, o.oovs, o.ppl) for o in out]

    def score(self, sentence):
        """Natural log of P(sentence, end | <s>): the first column of `rnnlm score`
        for a file holding this one line."""
        return self.scores([sentence])[0].logprob

    def score_file(self, path, lanes=64, max_line_bytes=0):
        """A Score per line of a text file (blank lines are empty sentences), as
        `rnnlm score MODEL FILE` prints them."""
        with open(path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        err = _Err()
        name = os.fsencode(path)
        for k, line in enumerate(lines):   # the library's rule of every text reader
            _check(_check_line(name, k + 1, line, len(line), max_line_bytes, ctypes.byref(err)), err)
        return self.scores(lines, lanes)

    def generate(self, prompt="", words=20, temperature=1.0, top_k=0, seed=None, stop_at_eos=False):
        """Text from the model after <s> and the prompt's words: `words` tokens
        drawn by rnnlm_sample with random numbers of random.Random(seed) (the same
        seed, the same text; temperature 0 is greedy and, with the same prompt,
        picks what `rnnlm generate --temperature 0` picks). A sentence end (the
        model's <s>, or a word spelled "<s>") stops the text with stop_at_eos;
        otherwise it starts a new line. Returns the prompt and the generated text."""
        rng = random.Random(seed)
        # the sentence end: <s>, and a word spelled "<s>" (the toy corpus has one)
        ends = {i for i in range(3, self.vocab_size) if _vocab_word(self._vocab, i) == b"<s>"}
        s = self.state()
        s._step(BOS)
        prompt = _tokens(prompt)
        for w in prompt:
            s._step(_vocab_lookup(self._vocab, w, len(w)))
        text = b" ".join(prompt).decode("utf-8", "replace")
        for _ in range(words):
            token = sample(s._lp, temperature, top_k, rng.random())
            if token == BOS or token in ends:
                if stop_at_eos:
                    break
                text += "\n"
            else:
                w = self.word(token)
                text += w if not text or text.endswith("\n") else " " + w
            s._step(token)
        return text


class State:
    """A recurrent state of a model: the history of the tokens fed to it."""

    def __init__(self, model, _handle=None):
        self.model = model   # keeps the model alive while the state is
        err = _Err()
        h = _P()
        if _handle is None:
            _check(_state_create(ctypes.byref(h), model._handle(), ctypes.byref(err)), err)
        else:
            _check(_state_clone(ctypes.byref(h), _handle, ctypes.byref(err)), err)
        self._h = h
        self._lp = (ctypes.c_float * model.vocab_size)()
        self._has_lp = False

    def __del__(self):
        if getattr(self, "_h", None):
            _state_free(self._h)
            self._h = None

    def __len__(self):
        """Tokens fed since the last reset."""
        return _state_length(self._h)

    def feed(self, token):
        """Feeds one token (an id, or a word mapped with the model's vocabulary)
        and returns the V natural-log probabilities of the next token, as an
        array.array('f') indexed by id."""
        if isinstance(token, (str, bytes)):
            token = self.model.id(token)
        self._step(token)
        return self.logprobs

    def _step(self, token):
        err = _Err()
        _check(_feed(self._h, token, self._lp, ctypes.byref(err)), err)
        self._has_lp = True

    def feed_words(self, sentence):
        """Feeds each word of a sentence; returns the log-probabilities after the last."""
        lp = None
        for i in self.model.ids(sentence):
            lp = self.feed(i)
        return lp

    @property
    def logprobs(self):
        """The next-token log-probabilities after the last token fed (None before
        any token)."""
        if not self._has_lp:
            return None
        a = array.array("f")
        a.frombytes(bytes(self._lp))
        return a

    def clone(self):
        """A new state with this history (fork a hypothesis in beam search)."""
        c = State(self.model, self._h)
        ctypes.memmove(c._lp, self._lp, ctypes.sizeof(self._lp))
        c._has_lp = self._has_lp
        return c

    def copy_from(self, other):
        """Takes other's history (a state of the same model)."""
        err = _Err()
        _check(_state_copy(self._h, other._h, ctypes.byref(err)), err)
        ctypes.memmove(self._lp, other._lp, ctypes.sizeof(self._lp))
        self._has_lp = other._has_lp

    def reset(self):
        """Back to the empty history."""
        _state_reset(self._h)
        self._has_lp = False


# ---- n-gram models (ARPA back-off files) -------------------------------------------

NgramScore = collections.namedtuple("NgramScore", "log10prob words oovs zeroprobs ppl ppl1")
NgramScore.__doc__ = """A sentence (or text) scored as SRILM's `ngram -ppl` scores it:
log10prob, the sum over the scored words and the end (</s>); words; oovs, the
words the model lacks (counted, not scored); zeroprobs, words of probability 0
(counted, not summed); ppl = 10^(-log10prob / (words - oovs - zeroprobs +
sentences)) and ppl1 = 10^(-log10prob / (words - oovs - zeroprobs)), NaN where
the denominator is 0."""


class _NgramScore(ctypes.Structure):
    _fields_ = [("log10prob", ctypes.c_double), ("words", ctypes.c_size_t), ("oovs", ctypes.c_size_t),
                ("zeroprobs", ctypes.c_size_t)]


_ngram_load = _fn("rnnlm_ngram_load", ctypes.c_int, ctypes.POINTER(_P), ctypes.c_char_p, _ERR)
_ngram_free = _fn("rnnlm_ngram_free", None, _P)
_ngram_order = _fn("rnnlm_ngram_order", ctypes.c_int, _P)
_ngram_count = _fn("rnnlm_ngram_count", ctypes.c_size_t, _P, ctypes.c_int)
_ngram_vocab_size = _fn("rnnlm_ngram_vocab_size", ctypes.c_size_t, _P)
_ngram_word = _fn("rnnlm_ngram_word", ctypes.c_char_p, _P, ctypes.c_int32)
_ngram_lookup = _fn("rnnlm_ngram_lookup", ctypes.c_int32, _P, ctypes.c_char_p, ctypes.c_size_t)
_ngram_unk = _fn("rnnlm_ngram_unk", ctypes.c_int32, _P)
_ngram_logprob = _fn("rnnlm_ngram_logprob", ctypes.c_double, _P, ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t,
                     ctypes.c_int32, ctypes.POINTER(ctypes.c_int))
_ngram_score = _fn("rnnlm_ngram_score_sentence", ctypes.c_int, _P, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t,
                   ctypes.c_uint, ctypes.POINTER(_NgramScore), ctypes.POINTER(ctypes.c_double), _ERR)
_NGRAM_OPEN_VOCAB = 1


def _srilm_ppl(log10prob, words, oovs, zeroprobs, sentences):
    scored = words - oovs - zeroprobs
    ppl = 10.0 ** (-log10prob / (scored + sentences)) if scored + sentences > 0 else float("nan")
    ppl1 = 10.0 ** (-log10prob / scored) if scored > 0 else float("nan")
    return NgramScore(log10prob, words, oovs, zeroprobs, ppl, ppl1)


class Ngram:
    """An ARPA back-off n-gram model, plain or gzip (docs/NGRAM.md): log10
    probabilities by back-off, sentences scored as SRILM's `ngram -ppl`.

        g = rnnlm.Ngram("lm.arpa.gz")
        g.logprob("sat", ["the", "cat"])     # log10 P(sat | the cat)
        g.score("the cat sat")               # NgramScore(log10prob, ..., ppl, ppl1)

    Words are taken exactly as written (no canonicalisation)."""

    def __init__(self, path):
        err = _Err()
        h = _P()
        _check(_ngram_load(ctypes.byref(h), os.fsencode(path), ctypes.byref(err)), err)
        self._h = h
        self.path = path
        self.order = _ngram_order(h)
        self.counts = [_ngram_count(h, k) for k in range(1, self.order + 1)]
        self.vocab_size = _ngram_vocab_size(h)

    def close(self):
        if getattr(self, "_h", None):
            _ngram_free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _handle(self):
        if not getattr(self, "_h", None):
            raise Error("RNNLM_E_STATE", "rnnlm: the n-gram model is closed")
        return self._h

    def __len__(self):
        return self.vocab_size

    def word(self, token):
        """The word of an id in [0, vocab_size) (unigram order of the file)."""
        h = self._handle()
        if not 0 <= token < self.vocab_size:
            raise ValueError("rnnlm: id %r outside [0, %d)" % (token, self.vocab_size))
        return _ngram_word(h, token).decode("utf-8", "replace")

    def id(self, word):
        """The id of a word, -1 when the model lacks it."""
        h = self._handle()
        w = word.encode("utf-8") if isinstance(word, str) else bytes(word)
        return _ngram_lookup(h, w, len(w))

    def logprob(self, word, history=(), unk=False):
        """log10 P(word | history) by back-off: history is a list of words or a
        str (only the last order-1 words count; a word the model lacks cuts it
        there, or is <unk> with unk=True). None when word itself is not in the
        model (an OOV; with unk=True, only when the model has no <unk>)."""
        h = self._handle()
        unk_id = _ngram_unk(h) if unk else -1

        def lookup(w):
            i = _ngram_lookup(h, w, len(w))
            return unk_id if i < 0 else i

        w = _tokens([word])[0]
        wid = lookup(w)
        if wid < 0:
            return None
        ctx = [lookup(x) for x in _tokens(history)]
        c_ctx = (ctypes.c_int32 * max(1, len(ctx)))(*ctx)
        return _ngram_logprob(h, c_ctx, len(ctx), wid, None)

    def word_scores(self, sentence, unk=False):
        """[(word, log10 P)] for each word of the sentence and "</s>", as
        score() computes them: None for an OOV, -inf for a zero probability."""
        words = _tokens(sentence)
        per = (ctypes.c_double * (len(words) + 1))()
        self._score(words, unk, per)
        out = []
        for w, p in zip([x.decode("utf-8", "replace") for x in words] + ["</s>"], per):
            out.append((w, None if math.isnan(p) else p))
        return out

    def _score(self, words, unk, per=None):
        h = self._handle()
        c_words = (ctypes.c_char_p * max(1, len(words)))(*words)
        out = _NgramScore()
        err = _Err()
        _check(_ngram_score(h, c_words, len(words), _NGRAM_OPEN_VOCAB if unk else 0, ctypes.byref(out), per,
                            ctypes.byref(err)), err)
        return out

    def score(self, sentence, unk=False):
        """The sentence (a str split at white space, or a list of words) as SRILM's
        `ngram -ppl` scores it: <s> starts the history, then the words and </s>;
        unk=True is SRILM's -unk (open vocabulary). An NgramScore."""
        o = self._score(_tokens(sentence), unk)
        return _srilm_ppl(o.log10prob, o.words, o.oovs, o.zeroprobs, 1)

    def score_sentences(self, sentences, unk=False):
        """The total over sentences (blank ones skipped), as `rnnlm ngram ppl`
        prints it: an NgramScore whose ppl counts one end per sentence."""
        lp, words, oovs, zp, n = 0.0, 0, 0, 0, 0
        for s in sentences:
            t = _tokens(s)
            if not t:
                continue
            o = self._score(t, unk)
            lp += o.log10prob
            words += o.words
            oovs += o.oovs
            zp += o.zeroprobs
            n += 1
        return _srilm_ppl(lp, words, oovs, zp, n)
