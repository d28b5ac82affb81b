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
    mx = rnnlm.Mix(m, g, lam=0.5)             # interpolated: 0.5 p_rnn + 0.5 p_ngram
    print(mx.score("the cat sat").ppl)        # as `rnnlm score --ngram --format srilm`

The library is looked for, in order: the file named by the environment
variable RNNLM_LIB; librnnlm.so next to this module; the library directory
`make install` wrote into this module; the lib directory two levels above
it (PREFIX/lib for PREFIX/lib/pythonX.Y/dist-packages/rnnlm.py); then
ctypes.util.find_library("rnnlm").

Training is not offered here yet (the library's trainer, rnnlm_trainer_* in
rnnlm.h, is not wrapped): train with the `rnnlm train` program and load its
checkpoint.

Errors of the library raise rnnlm.Error (a RuntimeError) carrying its status
name and message; bad Python arguments raise TypeError (a wrong type: a str
where a list of sentences is expected, a float id) or ValueError (a wrong
value: an id outside [0, V), an integer outside the program's range, text the
program refuses). Text follows the rule of every reader of the program
(rnnlm_text_check_line): valid UTF-8, no NUL byte, lines of at most
max_line_bytes (default 1 MiB). Integers are checked, never wrapped to 32 bits.

A closed model (close(), or the end of its `with` block) refuses every use,
its states' included, with rnnlm.Error("rnnlm: model is closed"); the native
model is freed once the model is closed and its last state is gone.
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


class _AdaptOptions(ctypes.Structure):   # rnnlm_adapt_options
    _fields_ = [("dynamic_lr", ctypes.c_double), ("dynamic_decay", ctypes.c_double),
                ("dynamic_segment", ctypes.c_int), ("dynamic_clip", ctypes.c_double),
                ("cache_size", ctypes.c_int), ("cache_theta", ctypes.c_double),
                ("cache_lambda", ctypes.c_double), ("threads", ctypes.c_int)]


class _AdaptResult(ctypes.Structure):   # rnnlm_adapt_result
    _fields_ = [("loss_sum", ctypes.c_double), ("count", ctypes.c_int64), ("unk", ctypes.c_size_t),
                ("steps", ctypes.c_size_t), ("skipped", ctypes.c_size_t)]


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
_eval_adapt = _fn("rnnlm_eval_adapt", ctypes.c_int, _P, ctypes.POINTER(ctypes.c_int32),
                  ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t, ctypes.POINTER(_AdaptOptions),
                  ctypes.POINTER(_AdaptResult), ctypes.POINTER(ctypes.c_double), _ERR)
_check_line = _fn("rnnlm_text_check_line", ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                  ctypes.c_size_t, ctypes.c_size_t, _ERR)
_sample = _fn("rnnlm_sample", ctypes.c_int32, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t,
              ctypes.c_float, ctypes.c_int, ctypes.c_double)


def _check(status, err):
    if status:
        name = _STATUS[status] if 0 <= status < len(_STATUS) else "status %d" % status
        raise Error(name, err.msg.decode("utf-8", "replace") or name)


_MAX_LINE = 1 << 30      # the largest --max-line-bytes the program takes
_SPACE = b" \t\r\n\v\f"  # the white space that separates words (as the readers split)
_BOS, _UNK = 0, 2        # the ids of <s> and <unk> (RNNLM_BOS, RNNLM_UNK)


def _int(value, name, lo, hi):
    """value, an int (not a bool) in [lo, hi]: TypeError or ValueError otherwise.
    ctypes would wrap a larger one to its low 32 bits."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("rnnlm: %s must be an int, not %s" % (name, type(value).__name__))
    if not lo <= value <= hi:
        raise ValueError("rnnlm: %s %d is outside [%d, %d]" % (name, value, lo, hi))
    return value


def _real(value, name, lo, hi):
    """value, a real number (int or float, not a bool) in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("rnnlm: %s must be a number, not %s" % (name, type(value).__name__))
    if not lo <= value <= hi:   # NaN fails both comparisons
        raise ValueError("rnnlm: %s %r is outside [%r, %r]" % (name, value, lo, hi))
    return float(value)


def _text(data, name, lineno, max_line=0):
    """data (bytes) under the rule of the program's text readers
    (rnnlm_text_check_line): ValueError carrying the library's message."""
    err = _Err()
    if _check_line(name, lineno, data, len(data), max_line, ctypes.byref(err)):
        raise ValueError(err.msg.decode("utf-8", "replace"))


def _utf8(text):
    """A str or bytes as bytes: a str is encoded as UTF-8 (a lone surrogate,
    which has no UTF-8 form, is a ValueError: UnicodeEncodeError)."""
    return text.encode("utf-8") if isinstance(text, str) else bytes(text)


def _word(w, k=1, max_line=0):
    """One word (str or bytes) as bytes: valid text, not empty, no white space
    (a reader could never make such a word out of a line)."""
    if not isinstance(w, (str, bytes, bytearray)):
        raise TypeError("rnnlm: a word must be str or bytes, not %s" % type(w).__name__)
    w = _utf8(w)
    _text(w, b"word", k, max_line)
    if not w or any(c in _SPACE for c in w):
        raise ValueError("rnnlm: word %r is empty or holds white space" % (w,))
    return w


def _tokens(sentence, k=1, max_line=0):
    """A sentence as a list of byte strings: a str or bytes is checked as the
    program checks a line (k, its number in messages) and split at ASCII white
    space as `rnnlm score` splits it; a list or tuple is taken as its words."""
    if isinstance(sentence, (str, bytes, bytearray)):
        line = _utf8(sentence)
        _text(line, b"sentence", k, max_line)
        return line.split()
    if isinstance(sentence, (list, tuple)):
        return [_word(w, k, max_line) for w in sentence]
    raise TypeError("rnnlm: a sentence is a str, bytes or a list of words, not %s" % type(sentence).__name__)


def sample(logprobs, temperature=1.0, top_k=0, u=None, rng=None):
    """Draws an id from V log-probabilities (a State's logprobs) as rnnlm_sample
    does: temperature 0 is the arg-max; top_k > 0 keeps the K most probable ids.
    u, a number in [0, 1), defaults to rng.random() (rng: a random.Random, or
    the random module). temperature and top_k take what `rnnlm generate`
    takes: temperature in [0, 1000], top_k in [0, 2^30]."""
    temperature = _real(temperature, "temperature", 0, 1000)
    top_k = _int(top_k, "top_k", 0, 1 << 30)
    n = len(logprobs)
    if n == 0:
        raise ValueError("rnnlm.sample: no log-probabilities")
    buf = logprobs if isinstance(logprobs, ctypes.Array) else (ctypes.c_float * n)(*logprobs)
    if u is None:
        u = (rng or random).random()
    u = _real(u, "u", 0, 1)
    if u == 1.0:
        raise ValueError("rnnlm: u 1.0 is outside [0, 1)")
    token = _sample(buf, n, temperature, top_k, u)
    if token < 0:   # the arguments were checked: the memory of top_k ran out
        raise Error("RNNLM_E_NOMEM", "rnnlm.sample: out of memory (top_k %d)" % top_k)
    return token


class _Native:
    """The library's model, freed when the last holder lets go: the Model until
    close(), and each State of it (whose native state uses the model's weights
    until it is freed itself)."""

    def __init__(self, h):
        self.h = h

    def __del__(self, _free=_model_free):   # _free: still bound at interpreter exit
        if self.h:
            _free(self.h)
            self.h = None


class Model:
    """A trained model: a checkpoint of `rnnlm train` (docs/FORMAT.md)."""

    _native = None   # the open model; None once closed (or when loading failed)

    def __init__(self, path):
        p = os.fsencode(path)   # TypeError for what is not a path
        if b"\0" in p:
            raise ValueError("rnnlm: a path must not hold a NUL byte: %r" % (path,))
        err = _Err()
        h = _P()
        _check(_model_load(ctypes.byref(h), p, ctypes.byref(err)), err)
        self._native = _Native(h)
        self._vocab = _model_vocab(h)   # owned by the model: valid while _native lives
        self.path = path
        self.vocab_size = _model_vocab_size(h)

    def close(self):
        """Closes the model: every later use of it, or of its states, raises
        rnnlm.Error. The memory goes when the last of its states is gone too."""
        self._native = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _handle(self):
        if self._native is None:
            raise Error("RNNLM_E_STATE", "rnnlm: model is closed")
        return self._native.h

    def __len__(self):
        self._handle()
        return self.vocab_size

    def word(self, token):
        """The word of an id in [0, V)."""
        self._handle()
        token = _int(token, "id", 0, self.vocab_size - 1)
        return _vocab_word(self._vocab, token).decode("utf-8", "replace")

    def id(self, word):
        """The id of a word under the model's canonicalisation; UNK when absent.
        The word is text as the program reads it: valid UTF-8, no NUL, no white
        space, not empty (ValueError otherwise)."""
        self._handle()
        w = _word(word)
        return _vocab_lookup(self._vocab, w, len(w))

    def ids(self, sentence):
        """The ids of a sentence's words (a str is split at white space)."""
        self._handle()
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
        self._handle()
        return [self.word(i) for i in range(self.vocab_size)]

    def state(self):
        """A new, empty recurrent state."""
        return State(self)

    def scores(self, sentences, lanes=64, max_line_bytes=0):
        """Score of each sentence (str, bytes or list of words) of a list (any
        iterable but a str or bytes: TypeError) as a list of Score, computed by
        the library's batched scorer as `rnnlm score` does (the same lanes, the
        same figures). Each str or bytes sentence passes the program's rule of
        a line (max_line_bytes: 0 for the default, as --max-line-bytes)."""
        self._handle()
        if isinstance(sentences, (str, bytes, bytearray)):
            raise TypeError("rnnlm: scores() takes a list of sentences, not one %s (score() takes one)"
                            % type(sentences).__name__)
        lanes = _int(lanes, "lanes", 1, 65536)
        max_line_bytes = _int(max_line_bytes, "max_line_bytes", 0, _MAX_LINE)
        ids, offsets = [], [0]
        cache = {}
        for k, s in enumerate(sentences):
            for w in _tokens(s, k + 1, max_line_bytes):
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
        _check(_score_batch(self._handle(), c_ids, c_off, n, lanes, out, None, ctypes.byref(err)), err)
        return [Score(o.logprob, o.log10prob, o.words, o.oovs, o.ppl) for o in out]

    def adapted_scores(self, sentences, dynamic_lr=0.0, dynamic_decay=0.0, dynamic_segment=20, dynamic_clip=5.0,
                       cache_size=0, cache_theta=0.3, cache_lambda=0.1, max_line_bytes=0):
        """Score of each sentence with evaluation-time adaptation (docs/ADAPTATION.md):
        the sentences read in order as one stream (<s> before each and after the
        last), dynamic evaluation (dynamic_lr > 0) and the continuous cache
        (cache_size > 0) adapting to what came before; the figures `rnnlm score
        --dynamic-lr ... --cache-size ...` prints. A value the library refuses
        raises rnnlm.Error with its message."""
        self._handle()
        if isinstance(sentences, (str, bytes, bytearray)):
            raise TypeError("rnnlm: adapted_scores() takes a list of sentences, not one %s"
                            % type(sentences).__name__)
        o = _AdaptOptions()
        o.dynamic_lr = _real(dynamic_lr, "dynamic_lr", 0, math.inf)
        o.dynamic_decay = _real(dynamic_decay, "dynamic_decay", 0, 1)
        o.dynamic_segment = _int(dynamic_segment, "dynamic_segment", 1, 10000)
        o.dynamic_clip = _real(dynamic_clip, "dynamic_clip", 0, math.inf)
        o.cache_size = _int(cache_size, "cache_size", 0, 100000)
        o.cache_theta = _real(cache_theta, "cache_theta", 0, math.inf)
        o.cache_lambda = _real(cache_lambda, "cache_lambda", 0, 1)
        max_line_bytes = _int(max_line_bytes, "max_line_bytes", 0, _MAX_LINE)
        stream, lens, unk = [_BOS], [], []
        for k, s in enumerate(sentences):
            ids = [_vocab_lookup(self._vocab, w, len(w)) for w in _tokens(s, k + 1, max_line_bytes)]
            stream += ids + [_BOS]
            lens.append(len(ids))
            unk.append(sum(i == _UNK for i in ids))
        n = len(stream) - 1
        if not lens:
            return []
        c_ids = (ctypes.c_int32 * len(stream))(*stream)
        per = (ctypes.c_double * n)()
        res, err = _AdaptResult(), _Err()
        _check(_eval_adapt(self._handle(), c_ids, ctypes.cast(ctypes.byref(c_ids, 4), ctypes.POINTER(ctypes.c_int32)),
                           n, ctypes.byref(o), ctypes.byref(res), per, ctypes.byref(err)), err)
        out, at = [], 0
        for n_i, u in zip(lens, unk):   # each sentence's words and end, summed in order as the program sums
            lp = 0.0
            for v in per[at:at + n_i + 1]:
                lp += v
            at += n_i + 1
            out.append(Score(lp, lp / math.log(10.0), n_i, u, math.exp(-lp / (n_i + 1))))
        return out

    def score(self, sentence):
        """Natural log of P(sentence, end | <s>): the first column of `rnnlm score`
        for a file holding this one line."""
        return self.scores([sentence])[0].logprob

    def score_file(self, path, lanes=64, max_line_bytes=0):
        """A Score per line of a text file (blank lines are empty sentences), as
        `rnnlm score MODEL FILE` prints them; a line the program refuses raises
        rnnlm.Error with the program's message."""
        self._handle()
        lanes = _int(lanes, "lanes", 1, 65536)
        max_line_bytes = _int(max_line_bytes, "max_line_bytes", 0, _MAX_LINE)
        name = os.fsencode(path)
        if b"\0" in name:
            raise ValueError("rnnlm: a path must not hold a NUL byte: %r" % (path,))
        with open(path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        err = _Err()
        for k, line in enumerate(lines):   # the library's rule of every text reader
            _check(_check_line(name, k + 1, line, len(line), max_line_bytes, ctypes.byref(err)), err)
        return self.scores(lines, lanes, max_line_bytes)

    def generate(self, prompt="", words=20, temperature=1.0, top_k=0, seed=None, stop_at_eos=False):
        """Text from the model after <s> and the prompt's words: `words` tokens
        drawn by rnnlm_sample with random numbers of random.Random(seed) (the same
        seed, the same text; temperature 0 is greedy and, with the same prompt,
        picks what `rnnlm generate --temperature 0` picks). A sentence end (the
        model's <s>, or a word spelled "<s>") stops the text with stop_at_eos;
        otherwise it starts a new line. Returns the prompt and the generated text.
        words, temperature and top_k take what the program's options take."""
        self._handle()
        words = _int(words, "words", 0, 10000000)
        temperature = _real(temperature, "temperature", 0, 1000)
        top_k = _int(top_k, "top_k", 0, 1 << 30)
        prompt = _tokens(prompt)
        rng = random.Random(seed)
        # the sentence end: <s>, and a word spelled "<s>" (the toy corpus has one)
        ends = {i for i in range(3, self.vocab_size) if _vocab_word(self._vocab, i) == b"<s>"}
        s = self.state()
        s._step(BOS)
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
    """A recurrent state of a model: the history of the tokens fed to it. It
    keeps its model's native weights alive, and refuses every use once the
    model is closed."""

    _h = None

    def __init__(self, model, _handle=None):
        if not isinstance(model, Model):
            raise TypeError("rnnlm: State(model) takes a Model, not %s" % type(model).__name__)
        mh = model._handle()
        self.model = model
        self._native = model._native   # the native model outlives the native state
        err = _Err()
        h = _P()
        if _handle is None:
            _check(_state_create(ctypes.byref(h), mh, ctypes.byref(err)), err)
        else:
            _check(_state_clone(ctypes.byref(h), _handle, ctypes.byref(err)), err)
        self._h = h
        self._lp = (ctypes.c_float * model.vocab_size)()
        self._has_lp = False

    def __del__(self, _free=_state_free):   # _free: still bound at interpreter exit
        if self._h:
            _free(self._h)
            self._h = None

    def _handle(self):
        """The native state, once the model is known to be open."""
        self.model._handle()
        return self._h

    def __len__(self):
        """Tokens fed since the last reset."""
        return _state_length(self._handle())

    def feed(self, token):
        """Feeds one token (an id in [0, V), or a word mapped with the model's
        vocabulary) and returns the V natural-log probabilities of the next
        token, as an array.array('f') indexed by id."""
        self._handle()
        if isinstance(token, (str, bytes, bytearray)):
            token = self.model.id(token)
        else:
            token = _int(token, "id", 0, self.model.vocab_size - 1)
        self._step(token)
        return self.logprobs

    def _step(self, token):
        err = _Err()
        _check(_feed(self._handle(), token, self._lp, ctypes.byref(err)), err)
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
        self._handle()
        if not self._has_lp:
            return None
        a = array.array("f")
        a.frombytes(bytes(self._lp))
        return a

    def clone(self):
        """A new state with this history (fork a hypothesis in beam search)."""
        c = State(self.model, self._handle())
        ctypes.memmove(c._lp, self._lp, ctypes.sizeof(self._lp))
        c._has_lp = self._has_lp
        return c

    def copy_from(self, other):
        """Takes other's history (a state of the same model)."""
        if not isinstance(other, State):
            raise TypeError("rnnlm: copy_from() takes a State, not %s" % type(other).__name__)
        err = _Err()
        _check(_state_copy(self._handle(), other._handle(), ctypes.byref(err)), err)
        ctypes.memmove(self._lp, other._lp, ctypes.sizeof(self._lp))
        self._has_lp = other._has_lp

    def reset(self):
        """Back to the empty history."""
        _state_reset(self._handle())
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


class _Owned:
    """A library object this module owns, freed by close() (or the end of its
    `with` block, or garbage collection); every use after close() raises
    rnnlm.Error. Subclasses name it (_what) and give its free function (_free,
    a class attribute, so that it is still there at interpreter exit)."""

    _h = None
    _what = "object"

    def close(self):
        if self._h:
            type(self)._free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _handle(self):
        if not self._h:
            raise Error("RNNLM_E_STATE", "rnnlm: the %s is closed" % self._what)
        return self._h


class Ngram(_Owned):
    """An ARPA back-off n-gram model, plain or gzip (docs/NGRAM.md): log10
    probabilities by back-off, sentences scored as SRILM's `ngram -ppl`.

        g = rnnlm.Ngram("lm.arpa.gz")
        g.logprob("sat", ["the", "cat"])     # log10 P(sat | the cat)
        g.score("the cat sat")               # NgramScore(log10prob, ..., ppl, ppl1)

    Words are taken exactly as written (no canonicalisation)."""

    _what = "n-gram model"
    _free = _ngram_free

    def __init__(self, path):
        err = _Err()
        h = _P()
        _check(_ngram_load(ctypes.byref(h), os.fsencode(path), ctypes.byref(err)), err)
        self._h = h
        self.path = path
        self.order = _ngram_order(h)
        self.counts = [_ngram_count(h, k) for k in range(1, self.order + 1)]
        self.vocab_size = _ngram_vocab_size(h)

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


# ---- a model interpolated with an n-gram (rnnlm_mix_* of rnnlm.h) -------------------

class _MixWord(ctypes.Structure):
    _fields_ = [("p_rnn", ctypes.c_double), ("p_ngram", ctypes.c_double), ("rnn_id", ctypes.c_int32),
                ("ngram_id", ctypes.c_int32), ("order", ctypes.c_int), ("oov", ctypes.c_int)]


_mix_create = _fn("rnnlm_mix_create", ctypes.c_int, ctypes.POINTER(_P), _P, _P, ctypes.c_int, ctypes.c_uint, _ERR)
_mix_free = _fn("rnnlm_mix_free", None, _P)
_mix_unk_words = _fn("rnnlm_mix_unk_words", ctypes.c_size_t, _P)
_mix_sentence = _fn("rnnlm_mix_sentence", ctypes.c_int, _P, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t,
                    ctypes.POINTER(ctypes.c_double), ctypes.POINTER(_MixWord), _ERR)
_mix_em = _fn("rnnlm_mix_em", ctypes.c_int, ctypes.POINTER(_MixWord), ctypes.c_size_t, ctypes.c_double, ctypes.c_int,
              ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int), _ERR)
_MIX_UNK = {"split": 0, "whole": 1, "ngram": 2}
_MIX_NGRAM_CANON = 1

MixWord = collections.namedtuple("MixWord", "word p_rnn p_ngram oov")
MixWord.__doc__ = """One word (or "</s>", the end) of an interpolated sentence: the RNN's
and the n-gram's probabilities as the mixture uses them (Mix's <unk> rule
applied; p_ngram 0 for a word the n-gram lacks), oov True for a word outside
both vocabularies (counted, not scored; both probabilities 0)."""

__all__ += ["Mix", "MixWord"]


class Mix(_Owned):
    """A Model interpolated with an Ngram, as `rnnlm score --ngram` does
    (docs/PIPELINE.md): each word scored as lam * p_rnn + (1 - lam) * p_ngram,
    lam the RNN's weight; a word only the n-gram has takes the RNN's <unk>
    probability by rnn_unk ("split": shared evenly among the n-gram's words
    the RNN lacks; "whole"; "ngram": the n-gram's probability alone); a word
    outside both is an OOV. The n-gram sees a word's exact bytes, or its
    RNN form with ngram_canon=True. Each sentence is scored from <s> with an
    empty state.

        mx = rnnlm.Mix(m, g, lam=0.5)
        mx.score("the cat sat")              # NgramScore of the mixture (log10)
        mx.estimate(heldout)                 # lam by EM, as --lambda auto
        mx.perplexities(test)                # {"rnn": ..., "ngram": ..., "mixture": ...}

    The model and the n-gram must stay open while the Mix is used."""

    _what = "mixture"
    _free = _mix_free

    def __init__(self, model, ngram, lam=0.5, rnn_unk="split", ngram_canon=False):
        if rnn_unk not in _MIX_UNK:
            raise ValueError("rnnlm: rnn_unk must be split, whole or ngram, not %r" % (rnn_unk,))
        self.lam = lam   # checked by the setter
        self.model, self.ngram = model, ngram
        h = _P()
        err = _Err()
        model._handle()   # raises when closed
        _check(_mix_create(ctypes.byref(h), model._vocab, ngram._handle(), _MIX_UNK[rnn_unk],
                           _MIX_NGRAM_CANON if ngram_canon else 0, ctypes.byref(err)), err)
        self._h = h
        self.rnn_unk = rnn_unk
        self.unk_words = _mix_unk_words(h)

    @property
    def lam(self):
        return self._lam

    @lam.setter
    def lam(self, value):
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise ValueError("rnnlm: lam %r is outside [0, 1] (the RNN's weight)" % (value,))
        self._lam = value

    def _components(self, sentences, lanes=64):
        """[(words, [_MixWord] * (n + 1))] for each sentence: the RNN's per-word
        probabilities from the batched scorer, then the library's mixture rules."""
        h = self._handle()
        m = self.model
        m._handle()
        self.ngram._handle()
        toks = [_tokens(s) for s in sentences]
        if not toks:
            return []
        ids, offsets = [], [0]
        for t in toks:
            ids.extend(_vocab_lookup(m._vocab, w, len(w)) for w in t)
            offsets.append(len(ids))
        n = len(toks)
        c_ids = (ctypes.c_int32 * max(1, len(ids)))(*ids)
        c_off = (ctypes.c_size_t * (n + 1))(*offsets)
        out = (_SentenceScore * n)()
        per = (ctypes.c_double * (len(ids) + n))()
        err = _Err()
        _check(_score_batch(m._handle(), c_ids, c_off, n, lanes, out, per, ctypes.byref(err)), err)
        res = []
        for i, t in enumerate(toks):
            k = offsets[i] + i
            c_words = (ctypes.c_char_p * max(1, len(t)))(*t)
            c_per = (ctypes.c_double * (len(t) + 1))(*per[k:k + len(t) + 1])
            mw = (_MixWord * (len(t) + 1))()
            _check(_mix_sentence(h, c_words, len(t), c_per, mw, ctypes.byref(err)), err)
            res.append((t, mw))
        return res

    @staticmethod
    def _prob(w, view, lam):
        if view == "rnn":
            return w.p_rnn
        if view == "ngram":
            return w.p_ngram
        return lam * w.p_rnn + (1.0 - lam) * w.p_ngram

    def _total(self, comps, view, lam, skip_blank):
        lp, words, oovs, zp, n = 0.0, 0, 0, 0, 0
        for t, mw in comps:
            if skip_blank and not t:
                continue
            n += 1
            words += len(t)
            for w in mw:
                p = self._prob(w, view, lam)
                if w.oov:
                    oovs += 1
                elif p > 0:
                    lp += math.log10(p)
                else:
                    zp += 1
        return _srilm_ppl(lp, words, oovs, zp, n)

    def word_scores(self, sentence):
        """[MixWord] for each word of the sentence and "</s>"."""
        t, mw = self._components([sentence])[0]
        names = [x.decode("utf-8", "replace") for x in t] + ["</s>"]
        return [MixWord(name, w.p_rnn, w.p_ngram, bool(w.oov)) for name, w in zip(names, mw)]

    def logprobs(self, sentence):
        """log10 of the mixture's probability of each word and the end: None for
        an OOV, -inf for a zero probability (the figures of field 10 of
        `rnnlm score --ngram --format srilm --debug 2`)."""
        out = []
        for w in self._components([sentence])[0][1]:
            p = self._prob(w, "mix", self.lam)
            out.append(None if w.oov else (math.log10(p) if p > 0 else float("-inf")))
        return out

    def score(self, sentence):
        """The sentence under the mixture, as SRILM counts it: an NgramScore
        (log10prob over the scored words and the end; OOVs and zeroprobs
        counted, not summed; ppl, ppl1)."""
        return self._total(self._components([sentence]), "mix", self.lam, False)

    def score_sentences(self, sentences, lanes=64):
        """The total over sentences (blank ones skipped, as SRILM's -ppl and
        `rnnlm score --format srilm` skip them): an NgramScore."""
        return self._total(self._components(sentences, lanes), "mix", self.lam, True)

    def perplexities(self, sentences, lanes=64):
        """{"rnn", "ngram", "mixture"}: the NgramScore of each over the same
        sentences (each model's probabilities as the mixture uses them), as
        `rnnlm eval --ngram` prints them."""
        comps = self._components(sentences, lanes)
        return {"rnn": self._total(comps, "rnn", 1.0, True), "ngram": self._total(comps, "ngram", 0.0, True),
                "mixture": self._total(comps, "mix", self.lam, True)}

    def estimate(self, sentences, lanes=64, tol=0.0, max_iter=0):
        """Sets lam to the weight that maximises the likelihood of the held-out
        sentences (EM from 0.5, as `--lambda auto` and SRILM's compute-best-mix
        do; blank sentences skipped) and returns it."""
        comps = [c for c in self._components(sentences, lanes) if c[0]]
        n = sum(len(mw) for _, mw in comps)
        flat = (_MixWord * max(1, n))()
        k = 0
        for _, mw in comps:
            for w in mw:
                flat[k] = w
                k += 1
        lam = ctypes.c_double()
        err = _Err()
        _check(_mix_em(flat, n, tol, max_iter, ctypes.byref(lam), None, ctypes.byref(err)), err)
        self.lam = lam.value
        return self.lam
