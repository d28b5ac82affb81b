/* infer.c: running a trained model (rnnlm.h, "using a model"): the model
 * handle, recurrent states fed one token at a time, sentence scoring (one
 * sentence per state, or many at once in lanes), and sampling.
 * The arithmetic is infer_step_f32 (nn/step.c), which runs the training
 * forward pass of each layer for one time step.
 *
 * Size letters as in model.h; B lanes (rows of a step). */
#include "model/infer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/checkpoint.h"
#include "model/embeddings.h"
#include "model/precision.h"

struct rnnlm_model {
    model *m;
    rnnlm_vocab *v;
    model_weights w;
    size_t lane_floats;   /* L*H: one lane's hidden state (and again its cell state, LSTM) */
    long train_B, train_T;   /* the training run's batch shape (100, 25 when not recorded) */
    rnnlm_err shape_err;     /* status non-zero: the recorded shape is malformed */
};

struct rnnlm_state {
    const rnnlm_model *m;
    float *h, *c;         /* (L, 1, H); c NULL unless LSTM */
    float *logits;        /* (V) after the last feed, bias added */
    double lse;           /* log-sum-exp of logits */
    float *ws;            /* infer_workspace_f32(1) */
    size_t len;           /* tokens fed since the reset */
    void *mem;            /* h, c, logits and ws in one block */
};

/* ------------------------------------------------------------------ model */

rnnlm_status infer_model_wrap(rnnlm_model **out, model *m, rnnlm_vocab *v, rnnlm_err *err) {
    *out = NULL;
    if (!m || !v) {
        model_free(m);
        rnnlm_vocab_free(v);
        return rnnlm_fail(err, RNNLM_E_ARG, "infer_model_wrap: model and vocabulary are required");
    }
    if (rnnlm_vocab_size(v) != (size_t)model_cfg(m)->V) {
        size_t vs = rnnlm_vocab_size(v);
        int V = model_cfg(m)->V;
        model_free(m);
        rnnlm_vocab_free(v);
        return rnnlm_fail(err, RNNLM_E_ARG, "vocabulary of %zu words for a model of V = %d", vs, V);
    }
    rnnlm_model *r = rnnlm_calloc(1, sizeof *r, "model handle", err);
    if (!r) {
        model_free(m);
        rnnlm_vocab_free(v);
        return RNNLM_E_NOMEM;
    }
    r->m = m;
    r->v = v;
    model_weights_bind(m, &r->w);
    r->lane_floats = (size_t)r->w.lay->L * (size_t)r->w.lay->H;
    r->train_B = 100;
    r->train_T = 25;
    *out = r;
    return RNNLM_OK;
}

const model *infer_model(const rnnlm_model *m) { return m->m; }

const model_weights *infer_weights(const rnnlm_model *m) { return &m->w; }

/* The batch shape of the training run that wrote the checkpoint (its
 * configuration keys, checkpoint.h), kept for rnnlm_model_train_shape; a malformed
 * value is kept as the error that call reports. */
static void read_train_shape(rnnlm_model *r, const st_file *f, const char *path) {
    const char *names[2] = {"batch", "max_time"}, *legacy[2] = {"batch-size", "max-time"};
    long *dst[2] = {&r->train_B, &r->train_T};
    for (int i = 0; i < 2; i++) {
        char key[80];
        long long x;
        if (!checkpoint_config_value(f, names[i], legacy[i], key, sizeof key)) continue;
        if (checkpoint_meta_int(f, key, 1, 100000, &x, path, &r->shape_err)) return;
        *dst[i] = (long)x;
    }
}

rnnlm_status rnnlm_model_train_shape(const rnnlm_model *m, long *B, long *T, rnnlm_err *err) {
    if (m->shape_err.status) {
        if (err) *err = m->shape_err;
        return m->shape_err.status;
    }
    if (B) *B = m->train_B;
    if (T) *T = m->train_T;
    return RNNLM_OK;
}

void rnnlm_model_info_get(const rnnlm_model *m, rnnlm_model_info *out) {
    const model_config *c = model_cfg(m->m);
    out->cell = (rnnlm_cell)c->cell;
    out->V = c->V;
    out->E = c->E;
    out->H = c->H;
    out->L = c->L;
    out->tied = c->tied;
}

void rnnlm_model_summary(const rnnlm_model *m, char *buf, size_t cap) { model_summary(m->m, buf, cap); }

rnnlm_status rnnlm_embeddings_export(const rnnlm_model *m, const char *dir, rnnlm_err *err) {
    return embeddings_export(dir, m->w.p.emb, m->w.lay->V, m->w.lay->E, m->v, err);
}

int rnnlm_neighbors(const rnnlm_model *m, int32_t id, int k, int32_t *ids, float *sims) {
    if (!m || id < 0 || id >= m->w.lay->V || k < 0 || (k && (!ids || !sims))) return -1;
    return embeddings_neighbors(m->w.p.emb, m->w.lay->V, m->w.lay->E, id, k, ids, sims);
}

rnnlm_status rnnlm_model_load(rnnlm_model **out, const char *path, rnnlm_err *err) {
    return rnnlm_model_load_ex(out, path, 0, err);
}

rnnlm_status rnnlm_model_load_ex(rnnlm_model **out, const char *path, unsigned flags, rnnlm_err *err) {
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_model_load: out is NULL");
    *out = NULL;
    if (!path) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_model_load: the model path is NULL");
    if (flags & ~(unsigned)RNNLM_LOAD_ALLOW_NONFINITE)
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_model_load: unknown flags 0x%x", flags);
    model *m;
    rnnlm_vocab *v;
    st_file *f;
    rnnlm_status s = checkpoint_load_ex(path, flags, &m, &v, &f, err);
    if (s) return s;
    s = infer_model_wrap(out, m, v, err);
    if (!s) read_train_shape(*out, f, path);
    st_free(f);
    return s;
}

size_t rnnlm_model_nonfinite(const rnnlm_model *m, char *where, size_t cap) {
    if (cap) where[0] = '\0';
    if (!m) return 0;
    const float *p = model_params(m->m);
    size_t bad = 0;
    for (int i = 0; i < model_n_tensors(m->m); i++) {
        const model_tensor *t = model_tensor_at(m->m, i);
        for (size_t j = 0; j < t->count; j++) {
            float x = p[t->offset + j];
            if (isfinite(x)) continue;
            if (!bad++ && cap)
                snprintf(where, cap, "%s[%zu] = %s", t->name, j, isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf");
        }
    }
    return bad;
}

void rnnlm_model_free(rnnlm_model *m) {
    if (!m) return;
    model_free(m->m);
    rnnlm_vocab_free(m->v);
    free(m);
}

const rnnlm_vocab *rnnlm_model_vocab(const rnnlm_model *m) { return m->v; }
size_t rnnlm_model_vocab_size(const rnnlm_model *m) { return (size_t)m->w.lay->V; }

rnnlm_status rnnlm_model_set_threads(rnnlm_model *m, int threads, rnnlm_err *err) {
    if (!m) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_model_set_threads: NULL model");
    rnnlm_status st = model_set_threads(m->m, threads, err);
    model_weights_bind(m->m, &m->w);
    return st;
}

rnnlm_status rnnlm_model_set_precision(rnnlm_model *m, int precision, rnnlm_err *err) {
    if (!m) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_model_set_precision: NULL model");
    if (precision != RNNLM_PRECISION_FP32 && precision != RNNLM_PRECISION_BF16 && precision != RNNLM_PRECISION_AUTO)
        return rnnlm_fail(err, RNNLM_E_ARG, "precision %d: expected RNNLM_PRECISION_FP32, _BF16 or _AUTO", precision);
    precision_choice pc = {.bf16 = precision == RNNLM_PRECISION_BF16};
    rnnlm_status st = precision == RNNLM_PRECISION_AUTO
                          ? precision_choose(model_cfg(m->m), PRECISION_SCORING_LANES, 1, 0, &pc, err)
                          : RNNLM_OK;
    if (st) return st;
    model_set_precision_note(m->m, precision == RNNLM_PRECISION_AUTO ? pc.why : NULL);
    st = model_set_bf16(m->m, pc.bf16, err);
    model_weights_bind(m->m, &m->w);
    return st;
}

void rnnlm_model_compute_path(const rnnlm_model *m, char *buf, size_t size) {
    if (size) buf[0] = 0;
    if (m && buf && size) model_compute_path(m->m, buf, size);
}

/* ------------------------------------------------------------------ states */

rnnlm_status rnnlm_state_create(rnnlm_state **out, const rnnlm_model *m, rnnlm_err *err) {
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_state_create: out is NULL");
    *out = NULL;
    if (!m) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_state_create: the model is NULL");
    const model_weights *w = &m->w;
    size_t nh = m->lane_floats, nc = w->lay->kind->has_c ? nh : 0;
    size_t total = nh + nc + (size_t)w->lay->V + infer_workspace_f32(w, 1);
    rnnlm_state *s = rnnlm_calloc(1, sizeof *s, "state", err);
    if (!s) return RNNLM_E_NOMEM;
    s->mem = rnnlm_calloc(total, sizeof(float), "state workspace", err);
    if (!s->mem) {
        free(s);
        return RNNLM_E_NOMEM;
    }
    s->m = m;
    s->h = s->mem;
    s->c = nc ? s->h + nh : NULL;
    s->logits = s->h + nh + nc;
    s->ws = s->logits + w->lay->V;
    *out = s;
    return RNNLM_OK;
}

rnnlm_status rnnlm_state_copy(rnnlm_state *dst, const rnnlm_state *src, rnnlm_err *err) {
    if (!dst || !src) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_state_copy: NULL state");
    if (dst->m != src->m)
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_state_copy: the states belong to different models");
    if (dst == src) return RNNLM_OK;
    size_t n = src->m->lane_floats * (src->c ? 2 : 1) + (size_t)src->m->w.lay->V;
    memcpy(dst->h, src->h, n * sizeof(float)); /* h, c, logits are contiguous */
    dst->lse = src->lse;
    dst->len = src->len;
    return RNNLM_OK;
}

rnnlm_status rnnlm_state_clone(rnnlm_state **out, const rnnlm_state *src, rnnlm_err *err) {
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_state_clone: out is NULL");
    *out = NULL;
    if (!src) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_state_clone: the state is NULL");
    rnnlm_status st = rnnlm_state_create(out, src->m, err);
    if (st) return st;
    return rnnlm_state_copy(*out, src, err);
}

void rnnlm_state_reset(rnnlm_state *s) {
    if (!s) return;
    size_t n = s->m->lane_floats * (s->c ? 2 : 1) + (size_t)s->m->w.lay->V;
    memset(s->h, 0, n * sizeof(float));
    s->lse = 0;
    s->len = 0;
}

void rnnlm_state_free(rnnlm_state *s) {
    if (!s) return;
    free(s->mem);
    free(s);
}

size_t rnnlm_state_length(const rnnlm_state *s) { return s ? s->len : 0; }

static void feed1(rnnlm_state *s, int32_t token) {
    infer_step_f32(&s->m->w, &token, 1, s->h, s->c, s->ws, s->logits, &s->lse);
    s->len++;
}

rnnlm_status rnnlm_feed(rnnlm_state *s, int32_t token, float *logprobs, rnnlm_err *err) {
    if (!s) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_feed: the state is NULL");
    int V = s->m->w.lay->V;
    if (token < 0 || token >= V)
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_feed: token id %d is outside the vocabulary [0, %d)",
                          (int)token, V);
    feed1(s, token);
    if (logprobs)
        for (int j = 0; j < V; j++) logprobs[j] = (float)((double)s->logits[j] - s->lse);
    return RNNLM_OK;
}

/* ----------------------------------------------------------------- scoring */

static void finish_score(rnnlm_sentence_score *out, double lp, size_t n, size_t oov) {
    out->logprob = lp;
    out->log10prob = lp / log(10.0);
    out->words = n;
    out->oovs = oov;
    out->ppl = exp(-lp / (double)(n + 1));
}

static rnnlm_status check_ids(const int32_t *ids, size_t n, int V, size_t sent, rnnlm_err *err) {
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V)
            return rnnlm_fail(err, RNNLM_E_ARG,
                              "sentence %zu word %zu: id %d is outside the vocabulary [0, %d)", sent,
                              i + 1, (int)ids[i], V);
    return RNNLM_OK;
}

rnnlm_status rnnlm_score_ids(rnnlm_state *s, const int32_t *ids, size_t n,
                             rnnlm_sentence_score *out, double *per_word, rnnlm_err *err) {
    if (!s || !out || (n && !ids)) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_score_ids: NULL argument");
    rnnlm_status st = check_ids(ids, n, s->m->w.lay->V, 1, err);
    if (st) return st;
    rnnlm_state_reset(s);
    feed1(s, RNNLM_BOS);
    double lp = 0.0;
    size_t oov = 0;
    for (size_t i = 0; i <= n; i++) {
        int32_t y = i < n ? ids[i] : RNNLM_BOS;
        double l = (double)s->logits[y] - s->lse;
        lp += l;
        if (per_word) per_word[i] = l;
        oov += i < n && y == RNNLM_UNK;
        feed1(s, y);
    }
    finish_score(out, lp, n, oov);
    return RNNLM_OK;
}

rnnlm_status rnnlm_score_sentence(rnnlm_state *s, const char *const *words, size_t n,
                                  rnnlm_sentence_score *out, double *per_word, rnnlm_err *err) {
    if (!s || !out || (n && !words))
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_score_sentence: NULL argument");
    int32_t small[256], *ids = n <= 256 ? small : rnnlm_calloc(n, sizeof *ids, "sentence ids", err);
    if (!ids) return RNNLM_E_NOMEM;
    rnnlm_status st = RNNLM_OK;
    for (size_t i = 0; i < n && !st; i++) {
        if (!words[i]) st = rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_score_sentence: word %zu is NULL", i + 1);
        else ids[i] = rnnlm_vocab_lookup(s->m->v, words[i], strlen(words[i]));
    }
    if (!st) st = rnnlm_score_ids(s, ids, n, out, per_word, err);
    if (ids != small) free(ids);
    return st;
}

/* Sentences are started longest first (then by index), so the lanes that
 * run last are short ones. Sorted as (length, index) pairs: qsort has no
 * context argument, and a global one would not be thread-safe. */
typedef struct {
    size_t len, idx;
} len_idx;

static int by_length_desc(const void *a, const void *b) {
    const len_idx *p = a, *q = b;
    if (p->len != q->len) return p->len > q->len ? -1 : 1;
    return p->idx < q->idx ? -1 : p->idx > q->idx;
}

/* Rows the output layer takes at once in rnnlm_score_batch: the states of
 * as many steps of a group's lanes as fit (at least one step). The output
 * product is the bulk of the work, and one of about this many rows runs
 * faster per row than one of a step's 32 or 64. */
#define SCORE_OUT_ROWS 128

/* The lanes of one group of rnnlm_score_batch: B sentences in flight and
 * their states. The recurrent layers run T steps ahead of the output layer
 * (their inputs are the sentences' words, never the outputs); each step
 * appends its live lanes' top-layer states to the rows, and the output
 * layer scores all rows at once. One block of floats holds h, c (L, B, H)
 * each, the rows (T B, H), their logits (T B, V) and the step's workspace;
 * B shrinks when idle lanes are dropped (the arrays keep their first size). */
typedef struct {
    int B, L, H, V, T;
    float *fl;                     /* the block */
    float *h, *c, *rows, *logits, *ws;   /* in fl; c NULL for kinds without a cell state */
    double *lse;                   /* (T B) the rows' log-sum-exp */
    int32_t *x;                    /* (B) the next input of each lane */
    size_t *lane;                  /* (2 B + 2 T B): sent, pos, rsent, rpos below */
    size_t *sent, *pos;            /* (B) each lane's sentence (SIZE_MAX: idle) and position */
    size_t *rsent, *rpos;          /* (T B) each row's sentence and position */
    int R;                         /* rows waiting for the output layer */
    int B0;                        /* B at the start: the rows the workspace was carved for */
    int32_t *y;                    /* (T B) the rows' targets */
} score_lanes;

/* What the groups of one rnnlm_score_batch share. The sentences are started
 * in one order (longest first), whichever group's lane frees first taking
 * the next: `next` is claimed atomically. Each sentence is written by the
 * one group that scores it. */
typedef struct {
    const int32_t *ids;
    const size_t *offsets;
    size_t n;
    len_idx *order;                /* (n) the sentences, longest first */
    size_t next;                   /* the next entry of order to start (may run past n) */
    rnnlm_sentence_score *out;
    double *per_word;
    model_weights w;               /* the model's, with the threads of one group */
    int groups;
    score_lanes *g;                /* (groups) */
} score_job;

static void lanes_free(score_lanes *s) {
    free(s->fl); free(s->lse); free(s->x); free(s->lane); free(s->y);
}

static rnnlm_status lanes_alloc(score_lanes *s, const model_weights *w, int B, rnnlm_err *err) {
    const int lstm = w->lay->kind->has_c;
    *s = (score_lanes){.B = B, .B0 = B, .L = w->lay->L, .H = w->lay->H, .V = w->lay->V};
    s->T = B < SCORE_OUT_ROWS ? SCORE_OUT_ROWS / B : 1;
    size_t LBH = (size_t)s->L * (size_t)B * (size_t)s->H, TB = (size_t)s->T * (size_t)B;
    size_t out = infer_output_scratch_f32(w, (int)TB);   /* the output layer's scratch: the logits' place */
    if (out < TB * (size_t)s->V) out = TB * (size_t)s->V;
    size_t nf = LBH * (lstm ? 2 : 1) + TB * (size_t)s->H + out + infer_workspace_f32(w, B);
    s->fl = rnnlm_calloc(nf, sizeof(float), "scoring workspace", err);
    s->lse = s->fl ? rnnlm_calloc(TB, sizeof(double), "scoring workspace", err) : NULL;
    s->x = s->lse ? rnnlm_calloc((size_t)B, sizeof(int32_t), "scoring workspace", err) : NULL;
    s->lane = s->x ? rnnlm_calloc(2 * ((size_t)B + TB), sizeof(size_t), "scoring workspace", err) : NULL;
    s->y = s->lane ? rnnlm_calloc(TB, sizeof(int32_t), "scoring workspace", err) : NULL;
    if (!s->y) {
        lanes_free(s);
        return RNNLM_E_NOMEM;
    }
    s->h = s->fl;
    s->c = lstm ? s->h + LBH : NULL;
    s->rows = s->h + LBH * (lstm ? 2 : 1);
    s->logits = s->rows + TB * (size_t)s->H;
    s->ws = s->logits + out;
    s->sent = s->lane;
    s->pos = s->lane + B;
    s->rsent = s->lane + 2 * (size_t)B;
    s->rpos = s->rsent + TB;
    return RNNLM_OK;
}

/* The next sentence to start, SIZE_MAX when all have been started. */
static size_t claim_sentence(score_job *j) {
    size_t k = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
    return k < j->n ? j->order[k].idx : SIZE_MAX;
}

static int all_started(score_job *j) { return __atomic_load_n(&j->next, __ATOMIC_RELAXED) >= j->n; }

/* After a recurrent step: each live lane's top-layer state becomes a row
 * (its sentence, its position); a lane whose sentence has ended clears its
 * state and takes the next sentence (claim_sentence), or goes idle; the
 * others take their next word. Returns the lanes still live. */
static int lanes_advance(score_lanes *s, score_job *j) {
    const int B = s->B, H = s->H;
    const float *top = s->h + (size_t)(s->L - 1) * (size_t)B * (size_t)H;
    int live = 0;
    for (int b = 0; b < B; b++) {
        if (s->sent[b] == SIZE_MAX) continue;
        size_t si = s->sent[b], len = j->offsets[si + 1] - j->offsets[si], p = s->pos[b];
        memcpy(s->rows + (size_t)s->R * H, top + (size_t)b * H, (size_t)H * sizeof(float));
        s->rsent[s->R] = si;
        s->rpos[s->R++] = p;
        if (p < len) {
            s->x[b] = j->ids[j->offsets[si] + p];
            s->pos[b] = p + 1;
            live++;
            continue;
        }
        s->x[b] = RNNLM_BOS;
        for (int l2 = 0; l2 < s->L; l2++) {
            size_t o = ((size_t)l2 * B + b) * H;
            memset(s->h + o, 0, (size_t)H * sizeof(float));
            if (s->c) memset(s->c + o, 0, (size_t)H * sizeof(float));
        }
        s->sent[b] = claim_sentence(j);
        s->pos[b] = 0;
        live += s->sent[b] != SIZE_MAX;
    }
    return live;
}

/* The output layer over the rows waiting: each adds its target's
 * log-probability to its sentence's sum (kept in out[].logprob, the rows of
 * a sentence coming in order); a sentence's last row finishes its score. */
static void lanes_output(score_lanes *s, score_job *j) {
    if (s->R == 0) return;
    /* only the targets' log-probabilities (nn/net.h infer_output_target_f32) */
    for (int r = 0; r < s->R; r++) {
        size_t si = s->rsent[r], p = s->rpos[r], len = j->offsets[si + 1] - j->offsets[si];
        s->y[r] = p < len ? j->ids[j->offsets[si] + p] : RNNLM_BOS;
    }
    infer_output_target_f32(&j->w, s->rows, s->R, s->B0, s->y, s->lse, s->ws, s->logits);
    for (int r = 0; r < s->R; r++) {
        size_t si = s->rsent[r], p = s->rpos[r], len = j->offsets[si + 1] - j->offsets[si];
        const int32_t *sid = j->ids + j->offsets[si];
        double l = s->lse[r];
        double acc = (p ? j->out[si].logprob : 0.0) + l;
        j->out[si].logprob = acc;
        if (j->per_word) j->per_word[j->offsets[si] + si + p] = l;
        if (p < len) continue;
        size_t noov = 0;
        for (size_t k = 0; k < len; k++) noov += sid[k] == RNNLM_UNK;
        finish_score(&j->out[si], acc, len, noov);
    }
    s->R = 0;
}

/* No sentence left to start: drops the idle lanes, B becomes live. Live
 * lane b moves to nb <= b; rows move layer by layer in increasing order, so
 * a row is never overwritten before it is read. */
static void lanes_compact(score_lanes *s, int live) {
    const int B = s->B, H = s->H;
    for (int l2 = 0; l2 < s->L; l2++) {
        int nb = 0;
        for (int b = 0; b < B; b++) {
            if (s->sent[b] == SIZE_MAX) continue;
            size_t to = ((size_t)l2 * live + nb) * H, from = ((size_t)l2 * B + b) * H;
            memmove(s->h + to, s->h + from, (size_t)H * sizeof(float));
            if (s->c) memmove(s->c + to, s->c + from, (size_t)H * sizeof(float));
            nb++;
        }
    }
    int nb = 0;
    for (int b = 0; b < B; b++) {
        if (s->sent[b] == SIZE_MAX) continue;
        s->sent[nb] = s->sent[b];
        s->pos[nb] = s->pos[b];
        s->x[nb] = s->x[b];
        nb++;
    }
    s->B = nb;
}

/* Group gi scores sentences until none is left to start and its lanes
 * have finished: its lanes take the first sentences they can claim (a lane
 * that gets none is dropped), then one step after another. */
static void score_group(void *arg, int gi) {
    score_job *j = arg;
    score_lanes *s = &j->g[gi];
    int B = 0;
    while (B < s->B && (s->sent[B] = claim_sentence(j)) != SIZE_MAX) {
        s->pos[B] = 0;
        s->x[B++] = RNNLM_BOS;
    }
    s->B = B;   /* the state rows are laid out with B lanes: nothing is in them yet */
    const int rows_max = s->T * s->B;   /* B only shrinks */
    for (int active = s->B; active > 0;) {
        infer_recur_f32(&j->w, s->x, s->B, s->h, s->c, s->ws);
        active = lanes_advance(s, j);
        if (all_started(j) && active > 0 && active < s->B) lanes_compact(s, active);
        if (active == 0 || s->R + s->B > rows_max) lanes_output(s, j);
    }
}

static void job_free(score_job *j) {
    for (int g = 0; g < j->groups; g++) lanes_free(&j->g[g]);
    free(j->g);
    free(j->order);
}

/* The groups: one per thread (at most one per lane or sentence), the lanes
 * shared out evenly, each group's products on threads / groups threads.
 * One group (one thread) is the plain batched scorer. */
static rnnlm_status job_alloc(score_job *j, const model_weights *w, int lanes, size_t n, rnnlm_err *err) {
    int threads = w->cc.threads > 1 ? w->cc.threads : 1;
    size_t B = (size_t)lanes < n ? (size_t)lanes : n;
    int G = (size_t)threads < B ? threads : (int)B;
    j->w = *w;
    j->w.cc.threads = threads / G;
    j->order = rnnlm_calloc(n, sizeof *j->order, "sentence order", err);
    j->g = j->order ? rnnlm_calloc((size_t)G, sizeof *j->g, "scoring lanes", err) : NULL;
    if (!j->g) {
        job_free(j);
        return RNNLM_E_NOMEM;
    }
    for (int g = 0; g < G; g++) {
        int Bg = (int)(B * (size_t)(g + 1) / (size_t)G - B * (size_t)g / (size_t)G);
        rnnlm_status st = lanes_alloc(&j->g[g], w, Bg, err);
        if (st) {
            job_free(j);
            return st;
        }
        j->groups = g + 1;
    }
    return RNNLM_OK;
}

rnnlm_status rnnlm_score_batch(const rnnlm_model *m, const int32_t *ids, const size_t *offsets,
                               size_t n, int lanes, rnnlm_sentence_score *out, double *per_word,
                               rnnlm_err *err) {
    if (!m || !offsets || (n && (!out || !ids)))
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_score_batch: NULL argument");
    const model_weights *w = &m->w;
    for (size_t i = 0; i < n; i++) {
        if (offsets[i + 1] < offsets[i])
            return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_score_batch: offsets decrease at sentence %zu",
                              i + 1);
        rnnlm_status st = check_ids(ids + offsets[i], offsets[i + 1] - offsets[i], w->lay->V, i + 1, err);
        if (st) return st;
    }
    if (n == 0) return RNNLM_OK;
    if (lanes <= 0) lanes = 64;
    score_job j = {.ids = ids, .offsets = offsets, .n = n, .out = out, .per_word = per_word};
    rnnlm_status st = job_alloc(&j, w, lanes, n, err);
    if (st) return st;
    /* the longest sentences first, so that the lanes finish together */
    for (size_t i = 0; i < n; i++) j.order[i] = (len_idx){offsets[i + 1] - offsets[i], i};
    qsort(j.order, n, sizeof *j.order, by_length_desc);
    backend_of(&w->cc)->parallel_for(&w->cc, j.groups, score_group, &j);
    job_free(&j);
    return RNNLM_OK;
}

/* ---------------------------------------------------------------- sampling */

typedef struct {
    float v;    /* log-probability, NaN read as -inf */
    int32_t id;
} val_id;

static int by_prob_desc(const void *a, const void *b) {
    const val_id *p = a, *q = b;
    if (p->v != q->v) return p->v > q->v ? -1 : 1;
    return p->id < q->id ? -1 : p->id > q->id;
}

static int by_id(const void *a, const void *b) {
    const val_id *p = a, *q = b;
    return p->id < q->id ? -1 : p->id > q->id;
}

int32_t rnnlm_sample(const float *logprobs, size_t V, float temperature, int top_k, double u) {
    if (!logprobs || V == 0 || V > INT32_MAX || !(temperature >= 0.0f) || !isfinite(temperature) ||
        !(u >= 0.0 && u < 1.0))
        return -1;
    /* the arg-max, ties to the lowest id; NaN never wins */
    int32_t best = 0;
    float bv = -INFINITY;
    int found = 0;
    for (size_t j = 0; j < V; j++)
        if (!isnan(logprobs[j]) && (!found || logprobs[j] > bv)) {
            best = (int32_t)j;
            bv = logprobs[j];
            found = 1;
        }
    if (temperature == 0.0f || top_k == 1 || !isfinite(bv)) return best;
    val_id *cand = NULL;
    size_t k = V;
    if (top_k > 0 && (size_t)top_k < V) {
        cand = malloc(V * sizeof *cand);
        if (!cand) return -1;
        for (size_t j = 0; j < V; j++)
            cand[j] = (val_id){isnan(logprobs[j]) ? -INFINITY : logprobs[j], (int32_t)j};
        qsort(cand, V, sizeof *cand, by_prob_desc);
        k = (size_t)top_k;
        qsort(cand, k, sizeof *cand, by_id);
    }
    double total = 0.0, inv_t = 1.0 / (double)temperature;
    for (size_t i = 0; i < k; i++) {
        float v = logprobs[cand ? (size_t)cand[i].id : i];
        if (!isnan(v)) total += exp(((double)v - (double)bv) * inv_t);
    }
    double target = u * total, cum = 0.0;
    int32_t pick = best;
    for (size_t i = 0; i < k; i++) {
        size_t j = cand ? (size_t)cand[i].id : i;
        float v = logprobs[j];
        if (isnan(v)) continue;
        double p = exp(((double)v - (double)bv) * inv_t);
        if (p <= 0.0) continue;
        cum += p;
        pick = (int32_t)j;
        if (cum > target) break;
    }
    free(cand);
    return pick;
}
