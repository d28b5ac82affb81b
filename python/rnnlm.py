"""rnnlm: recurrent neural network language models from Python.

A thin layer over librnnlm.so (its public API, include/rnnlm.h) through the
standard library's ctypes: nothing to build or install besides the library.

    import rnnlm
    m = rnnlm.Model("best.safetensors")
    print(m.score("the man said ."))          # natural-log P(sentence, end)
    s = m.state(); lp = s.feed("the")          # log P(next word | <s> the)
    print(m.generate("the man", words=10, temperature=0))

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
import os
import random

__all__ = ["Error", "Model", "State", "Score", "BOS", "EOS", "UNK", "sample"]

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


_MAX_LINE = 1 << 30      # the largest --max-line-bytes the program takes
_SPACE = b" \t\r\n\v\f"  # the white space that separates words (as the readers split)


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
