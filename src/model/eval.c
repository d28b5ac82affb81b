/* eval.c: evaluation of held-out pairs (eval.h) and rnnlm_eval_stream
 * (rnnlm.h, "evaluating a stream"), which runs on its own copy of the
 * loaded model so that the model's threads, workspace and carried state
 * stay as they were (a loaded model is read-only). */
#include "model/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/infer.h"

void eval_fit_shape(size_t n, int B, int T, int *rb, int *rt) {
    *rb = B;
    *rt = T;
    if ((size_t)B * (size_t)T <= n) return;
    size_t rows = n / (size_t)T;
    *rb = rows < 1 ? 1 : (int)rows;
    if (rows < 1) *rt = n < 1 ? 1 : (int)n;
}

static size_t count_unk(const int32_t *y, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += y[i] == RNNLM_UNK;
    return k;
}

static rnnlm_status eval_windows(model *m, const int32_t *x, const int32_t *y, size_t n, const eval_plan *p,
                                 batch_stats *out, size_t *unk, rnnlm_err *err) {
    rnnlm_window_batcher wb;
    memset(&wb, 0, sizeof wb);
    rnnlm_status st = rnnlm_window_batcher_init(&wb, x, y, n, p->B, p->T, 0, 1, err);
    size_t o = (size_t)p->r0 * (size_t)p->T, len = (size_t)p->rows * (size_t)p->T;
    for (size_t k = 0; !st && k < wb.n_batches; k++) {
        batch_stats bs;
        model_reset_state(m);   /* every window starts from zero */
        rnnlm_window_batch(&wb, k, p->xb, p->yb);
        if ((st = model_eval_batch(m, p->xb + o, p->yb + o, p->rows, p->T, &bs, err))) break;
        batch_stats_add(out, &bs);
        if (unk) *unk += count_unk(p->yb + o, len);
    }
    rnnlm_window_batcher_free(&wb);
    return st;
}

static rnnlm_status eval_rows(model *m, const int32_t *x, const int32_t *y, size_t n, const eval_plan *p,
                              batch_stats *out, size_t *unk, rnnlm_err *err) {
    rnnlm_stream_batcher sb;
    rnnlm_status st = rnnlm_stream_batcher_init(&sb, x, y, n, p->B, p->T, 0, err);
    double *lp = NULL;
    if (!st && p->lp) {
        lp = rnnlm_calloc((size_t)p->rows * (size_t)p->T, sizeof *lp, "log-probabilities", err);
        if (!lp) st = RNNLM_E_NOMEM;
    }
    for (size_t k = 0; !st && k < sb.n_batches; k++) {
        batch_stats bs;
        int w = rnnlm_stream_batch(&sb, k, p->xb, p->yb);
        size_t o = (size_t)p->r0 * (size_t)w;   /* rows w apart */
        if ((st = model_eval_batch_logp(m, p->xb + o, p->yb + o, p->rows, w, &bs, lp, err))) break;
        for (int r = 0; lp && r < p->rows; r++)   /* row r0 + r is the pairs from (r0 + r) * rows_len on */
            memcpy(p->lp + (size_t)(p->r0 + r) * sb.rows_len + k * (size_t)p->T, lp + (size_t)r * (size_t)w,
                   (size_t)w * sizeof *lp);
        batch_stats_add(out, &bs);
        if (unk) *unk += count_unk(p->yb + o, (size_t)p->rows * (size_t)w);
    }
    free(lp);
    return st;
}

rnnlm_status eval_pairs(model *m, const int32_t *x, const int32_t *y, size_t n, const eval_plan *p,
                        batch_stats *out, size_t *unk, rnnlm_err *err) {
    model_reset_state(m);
    if (p->rows < 1) return RNNLM_OK;   /* nothing here: the caller sums the others' */
    return p->windowed ? eval_windows(m, x, y, n, p, out, unk, err) : eval_rows(m, x, y, n, p, out, unk, err);
}

/* ------------------------------------------------------ stream evaluation */

/* Scores the n pairs x -> y that follow the last of the B rows just
 * evaluated, as that row's continuation: its final state (model_state's
 * layout, row B-1 of each layer's h and c) becomes the state of a one-row
 * batch, then up to T pairs a batch. Adds to *tot and *unk. */
static rnnlm_status eval_tail(model *m, const int32_t *x, const int32_t *y, size_t n, int B, int T,
                              batch_stats *tot, size_t *unk, double *lp, rnnlm_err *err) {
    const model_config *cfg = model_cfg(m);
    size_t H = (size_t)cfg->H, L = (size_t)cfg->L, parts = cfg->cell == CELL_LSTM ? 2 : 1;
    float *row = rnnlm_calloc(parts * L * H, sizeof *row, "state row", err);
    if (!row) return RNNLM_E_NOMEM;
    for (size_t p = 0; p < parts; p++)   /* (L, B, H): layer l, row B-1 */
        for (size_t l = 0; l < L; l++)
            memcpy(row + (p * L + l) * H, model_state(m) + (p * L + l) * (size_t)B * H + (size_t)(B - 1) * H,
                   H * sizeof *row);
    rnnlm_status st = model_reserve(m, 1, T, err);
    if (!st) memcpy(model_state(m), row, parts * L * H * sizeof *row);   /* (L, 1, H) */
    free(row);
    for (size_t c = 0; !st && c < n; c += (size_t)T) {
        int w = n - c < (size_t)T ? (int)(n - c) : T;
        batch_stats bs;
        if ((st = model_eval_batch_logp(m, x + c, y + c, 1, w, &bs, lp ? lp + c : NULL, err))) break;
        batch_stats_add(tot, &bs);
        *unk += count_unk(y + c, (size_t)w);
    }
    return st;
}

/* A model of src's configuration (threads: the given ones when > 0) holding
 * a copy of its weights, with a workspace and carried state of its own. */
static rnnlm_status eval_copy(model **out, const model *src, int threads, rnnlm_err *err) {
    model_config cfg = *model_cfg(src);
    if (threads > 0) cfg.threads = threads;
    rnnlm_status st = model_create(out, &cfg, err);
    if (st) return st;
    /* model_params has no const form; src's weights are only read */
    memcpy(model_params(*out), model_params((model *)src), model_n_params(src) * sizeof(float));
    return RNNLM_OK;
}

/* The pairs as B rows carried across batches of T steps, on the copy m,
 * then the rows' leftover (unless recipe). */
static rnnlm_status eval_stream_on(model *m, const int32_t *x, const int32_t *y, size_t n, int B, int T,
                                   int recipe, batch_stats *tot, size_t *unk, size_t *tail, double *lp,
                                   rnnlm_err *err) {
    rnnlm_status st = model_reserve(m, B, T, err);
    if (st) return st;
    eval_plan p = {B, T, 0, 0, B, NULL, NULL, lp};
    p.xb = rnnlm_calloc((size_t)B * (size_t)T, sizeof *p.xb, "batch", err);
    p.yb = p.xb ? rnnlm_calloc((size_t)B * (size_t)T, sizeof *p.yb, "batch", err) : NULL;
    if (!p.xb || !p.yb) { free(p.xb); return RNNLM_E_NOMEM; }
    st = eval_pairs(m, x, y, n, &p, tot, unk, err);
    free(p.xb);
    free(p.yb);
    *tail = n - (size_t)B * (n / (size_t)B);   /* what the B rows of n / B pairs leave over */
    if (lp && recipe)   /* the pairs the recipe drops have no figure */
        for (size_t i = n - *tail; i < n; i++) lp[i] = NAN;
    if (!st && !recipe && *tail)
        st = eval_tail(m, x + (n - *tail), y + (n - *tail), *tail, B, T, tot, unk, lp ? lp + (n - *tail) : NULL, err);
    return st;
}

rnnlm_status rnnlm_eval_stream(const rnnlm_model *rm, const int32_t *x, const int32_t *y, size_t n,
                               const rnnlm_eval_options *o, rnnlm_eval_stream_result *out, rnnlm_err *err) {
    memset(out, 0, sizeof *out);
    if (!rm || !o || (n && (!x || !y))) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_eval_stream: NULL argument");
    if (n < 1) return rnnlm_fail(err, RNNLM_E_ARG, "nothing to evaluate");
    long bb = o->B, tt = o->T;
    rnnlm_status st;
    if ((!bb || !tt) && (st = rnnlm_model_train_shape(rm, bb ? NULL : &bb, tt ? NULL : &tt, err))) return st;
    int B, T;   /* B rows of at least T pairs each when the text allows it */
    eval_fit_shape(n, (int)bb, (int)tt, &B, &T);
    model *m;
    if ((st = eval_copy(&m, infer_model(rm), o->threads, err))) return st;
    batch_stats tot = {0, 0, 0};
    size_t unk = 0, tail = 0;
    st = eval_stream_on(m, x, y, n, B, T, o->recipe, &tot, &unk, &tail, o->logprob, err);
    model_free(m);
    if (st) return st;
    out->r = (rnnlm_eval_result){tot.loss_sum, tot.correct, tot.count};
    out->unk = unk;
    out->B = B;
    out->T = T;
    out->tail = tail;
    return RNNLM_OK;
}
