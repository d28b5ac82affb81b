/* adapt.c: evaluation-time adaptation (rnnlm.h, "adapting at evaluation";
 * docs/ADAPTATION.md). One stream scored in order as a single row on a copy
 * of the loaded model: segment by segment, the one-token inference step
 * (nn/net.h: infer_recur_f32, then the output layer over the segment's
 * rows) gives each pair's log-probability and the top layer's output with
 * the current weights; the continuous cache mixes its distribution into
 * those; then dynamic evaluation takes one gradient step on the segment
 * (model_train_batch from the segment's initial state, no dropout, the
 * global-norm clip of train/optim.h, plain SGD with the decay toward the
 * trained weights). Scoring always precedes the step that sees the pairs.
 *
 * Size letters as in model.h; S pairs of a segment, N the cache's size. */
#include "train/adapt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/infer.h"
#include "model/model.h"
#include "train/optim.h"

#define ADAPT_MAX_SEGMENT 10000
#define ADAPT_MAX_CACHE 100000
#define ADAPT_OUT_ROWS 64   /* rows of one output-layer product: logits (64, V) at most */

void rnnlm_adapt_options_default(rnnlm_adapt_options *o) {
    memset(o, 0, sizeof *o);
    o->dynamic_segment = 20;
    o->dynamic_clip = 5.0;
    o->cache_theta = 0.3;
    o->cache_lambda = 0.1;
}

rnnlm_status rnnlm_adapt_options_check(const rnnlm_adapt_options *o, rnnlm_err *err) {
    if (!o) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_adapt_options_check: NULL options");
    if (!(isfinite(o->dynamic_lr) && o->dynamic_lr >= 0))
        return rnnlm_fail(err, RNNLM_E_ARG, "dynamic_lr %g: must be a finite number >= 0 (0: off)", o->dynamic_lr);
    if (!(o->dynamic_decay >= 0 && o->dynamic_decay <= 1))
        return rnnlm_fail(err, RNNLM_E_ARG, "dynamic_decay %g: must be in [0, 1]", o->dynamic_decay);
    if (o->dynamic_segment < 1 || o->dynamic_segment > ADAPT_MAX_SEGMENT)
        return rnnlm_fail(err, RNNLM_E_ARG, "dynamic_segment %d: must be in [1, %d]", o->dynamic_segment,
                          ADAPT_MAX_SEGMENT);
    if (!(isfinite(o->dynamic_clip) && o->dynamic_clip >= 0))
        return rnnlm_fail(err, RNNLM_E_ARG, "dynamic_clip %g: must be a finite number >= 0 (0: none)",
                          o->dynamic_clip);
    if (o->cache_size < 0 || o->cache_size > ADAPT_MAX_CACHE)
        return rnnlm_fail(err, RNNLM_E_ARG, "cache_size %d: must be in [0, %d]", o->cache_size, ADAPT_MAX_CACHE);
    if (!(isfinite(o->cache_theta) && o->cache_theta >= 0))
        return rnnlm_fail(err, RNNLM_E_ARG, "cache_theta %g: must be a finite number >= 0", o->cache_theta);
    if (!(o->cache_lambda >= 0 && o->cache_lambda < 1))
        return rnnlm_fail(err, RNNLM_E_ARG, "cache_lambda %g: must be in [0, 1)", o->cache_lambda);
    if (o->threads < 0 || o->threads > 1024)
        return rnnlm_fail(err, RNNLM_E_ARG, "threads %d: must be in [0, 1024]", o->threads);
    return RNNLM_OK;
}

/* One run's buffers and the model copy they belong to. */
typedef struct {
    const rnnlm_adapt_options *o;
    model *m;              /* the copy: its weights move under dynamic evaluation */
    model_weights w;       /* m's weights for the one-token steps */
    int V, H, L, S, has_c, adaptive;
    size_t LH;             /* floats of h (and of c) */
    float *theta0;         /* (n_params) the trained weights; decay > 0 only */
    float *h, *c;          /* (L, 1, H) the stream's state; c only with a cell state */
    float *h0;             /* (LH, or 2 LH with c) the state where the segment starts */
    float *rows;           /* (S, H) the top layer's output where each pair is predicted */
    float *logits;         /* (ADAPT_OUT_ROWS, V) full softmax */
    double *lse, *lp;      /* (S) each row's log-sum-exp; log P_model(target) */
    float *ws1, *wsB, *ex; /* the step's workspace for 1 and ADAPT_OUT_ROWS rows; (V) scratch */
    float *ch;             /* (N, H) the cache's states, a ring */
    int32_t *cy;           /* (N) their targets */
    double *cs;            /* (N) scratch: theta h_t . h_i */
    size_t cn, cnext;      /* entries held; the slot the next one takes */
} adapt_run;

static void adapt_run_free(adapt_run *r) {
    model_free(r->m);
    free(r->theta0);
    free(r->h);
    free(r->rows);
    free(r->logits);
    free(r->lse);
    free(r->lp);
    free(r->ws1);
    free(r->wsB);
    free(r->ex);
    free(r->ch);
    free(r->cy);
    free(r->cs);
}

/* The copy of src (its configuration without dropout, regularisers or
 * weight decay: the gradient is the plain loss's) and the buffers. */
static rnnlm_status adapt_run_init(adapt_run *r, const model *src, const rnnlm_adapt_options *o, rnnlm_err *err) {
    memset(r, 0, sizeof *r);
    r->o = o;
    model_config cfg = *model_cfg(src);
    if (o->threads > 0) cfg.threads = o->threads;
    cfg.dropout = 0;
    memset(&cfg.reg, 0, sizeof cfg.reg);
    cfg.weight_decay = 0;
    rnnlm_status st = model_create(&r->m, &cfg, err);
    if (st) return st;
    size_t np = model_n_params(src);
    /* model_params has no const form; src's weights are only read */
    memcpy(model_params(r->m), model_params((model *)src), np * sizeof(float));
    model_weights_bind(r->m, &r->w);
    r->V = cfg.V, r->H = cfg.H, r->L = cfg.L, r->adaptive = cfg.adaptive;
    r->has_c = cfg.cell == CELL_LSTM;
    r->S = o->dynamic_lr > 0 ? o->dynamic_segment : ADAPT_OUT_ROWS;
    r->LH = (size_t)cfg.L * (size_t)cfg.H;
    size_t parts = r->has_c ? 2 : 1, S = (size_t)r->S, N = (size_t)o->cache_size;
    r->h = rnnlm_calloc(2 * parts * r->LH, sizeof *r->h, "state", err);   /* h, c, then h0 */
    r->rows = rnnlm_calloc(S * (size_t)r->H, sizeof *r->rows, "segment rows", err);
    r->logits = rnnlm_calloc((size_t)ADAPT_OUT_ROWS * (size_t)r->V, sizeof *r->logits, "logits", err);
    r->lse = rnnlm_calloc(S, sizeof *r->lse, "log-sum-exp", err);
    r->lp = rnnlm_calloc(S, sizeof *r->lp, "log-probabilities", err);
    r->ws1 = rnnlm_calloc(infer_workspace_f32(&r->w, 1), sizeof(float), "step workspace", err);
    r->wsB = rnnlm_calloc(infer_workspace_f32(&r->w, ADAPT_OUT_ROWS), sizeof(float), "output workspace", err);
    r->ex = rnnlm_calloc((size_t)r->V, sizeof *r->ex, "scratch", err);
    if (!r->h || !r->rows || !r->logits || !r->lse || !r->lp || !r->ws1 || !r->wsB || !r->ex) return RNNLM_E_NOMEM;
    r->c = r->has_c ? r->h + r->LH : NULL;
    r->h0 = r->h + parts * r->LH;
    if (N) {
        r->ch = rnnlm_calloc(N, (size_t)r->H * sizeof *r->ch, "cache states", err);
        r->cy = r->ch ? rnnlm_calloc(N, sizeof *r->cy, "cache targets", err) : NULL;
        r->cs = r->cy ? rnnlm_calloc(N, sizeof *r->cs, "cache scores", err) : NULL;
        if (!r->cs) return RNNLM_E_NOMEM;
    }
    if (o->dynamic_lr > 0 && o->dynamic_decay > 0) {
        r->theta0 = rnnlm_calloc(np, sizeof *r->theta0, "trained weights", err);
        if (!r->theta0) return RNNLM_E_NOMEM;
        memcpy(r->theta0, model_params(r->m), np * sizeof(float));
    }
    if (o->dynamic_lr > 0 && (st = model_reserve(r->m, 1, r->S, err))) return st;
    return RNNLM_OK;
}

/* log P of pair t (state rows[t], target y) with the cache mixed in, then
 * the pair joins the cache. lambda 0 or an empty cache: lp itself. */
static double cache_mix(adapt_run *r, const float *ht, int32_t y, double lp) {
    const rnnlm_adapt_options *o = r->o;
    size_t H = (size_t)r->H, N = (size_t)o->cache_size;
    double out = lp;
    if (o->cache_lambda > 0 && r->cn > 0) {
        double mx = -INFINITY;
        for (size_t i = 0; i < r->cn; i++) {
            const float *hi = r->ch + i * H;
            double d = 0;
            for (size_t k = 0; k < H; k++) d += (double)ht[k] * (double)hi[k];
            r->cs[i] = o->cache_theta * d;
            if (r->cs[i] > mx) mx = r->cs[i];
        }
        double z = 0, num = 0;   /* P_cache(y) = num / z, each term scaled by exp(-mx) */
        for (size_t i = 0; i < r->cn; i++) {
            double e = exp(r->cs[i] - mx);
            z += e;
            if (r->cy[i] == y) num += e;
        }
        double a = log1p(-o->cache_lambda) + lp;   /* log of (1 - lambda) P_model(y) */
        if (num > 0) {   /* log(e^a + e^b), b = log(lambda P_cache(y)) */
            double b = log(o->cache_lambda) + log(num / z), hi = a > b ? a : b, lo = a > b ? b : a;
            out = hi + log1p(exp(lo - hi));
        } else {
            out = a;
        }
    }
    if (N) {
        memcpy(r->ch + r->cnext * H, ht, H * sizeof *ht);
        r->cy[r->cnext] = y;
        r->cnext = (r->cnext + 1) % N;
        if (r->cn < N) r->cn++;
    }
    return out;
}

/* The model's log P(y[t]) of the w rows of the segment, with the current
 * weights, in pieces of ADAPT_OUT_ROWS rows. */
static void segment_output(adapt_run *r, const int32_t *y, int w) {
    for (int r0 = 0; r0 < w; r0 += ADAPT_OUT_ROWS) {
        int k = w - r0 < ADAPT_OUT_ROWS ? w - r0 : ADAPT_OUT_ROWS;
        const float *X = r->rows + (size_t)r0 * (size_t)r->H;
        if (r->adaptive) {
            infer_output_target_f32(&r->w, X, k, ADAPT_OUT_ROWS, y + r0, r->lp + r0, r->wsB, NULL);
            continue;
        }
        infer_output_f32(&r->w, X, k, r->logits, r->lse + r0, r->ex);
        for (int t = 0; t < k; t++)
            r->lp[r0 + t] = (double)r->logits[(size_t)t * (size_t)r->V + (size_t)y[r0 + t]] - r->lse[r0 + t];
    }
}

/* Scores the w pairs x -> y of one segment from the current state, adding
 * to out and writing logprob (w) when not NULL; the state moves on. */
static void segment_score(adapt_run *r, const int32_t *x, const int32_t *y, int w, rnnlm_adapt_result *out,
                          double *logprob) {
    size_t H = (size_t)r->H;
    memcpy(r->h0, r->h, r->LH * sizeof *r->h);
    if (r->has_c) memcpy(r->h0 + r->LH, r->c, r->LH * sizeof *r->c);
    for (int t = 0; t < w; t++) {
        infer_recur_f32(&r->w, x + t, 1, r->h, r->c, r->ws1);
        memcpy(r->rows + (size_t)t * H, r->h + (size_t)(r->L - 1) * H, H * sizeof *r->rows);
    }
    segment_output(r, y, w);
    for (int t = 0; t < w; t++) {
        double l = r->o->cache_size ? cache_mix(r, r->rows + (size_t)t * H, y[t], r->lp[t]) : r->lp[t];
        if (logprob) logprob[t] = l;
        out->loss_sum -= l;
        out->unk += y[t] == RNNLM_UNK;
    }
    out->count += w;
}

/* One step of dynamic evaluation on the segment just scored: the gradient
 * of its mean loss from its initial state h0 with the weights that scored
 * it, clipped, then theta <- theta - lr g + decay (theta0 - theta). A
 * non-finite loss or norm leaves the weights as they are. */
static rnnlm_status segment_step(adapt_run *r, const int32_t *x, const int32_t *y, int w, rnnlm_adapt_result *out,
                                 rnnlm_err *err) {
    const rnnlm_adapt_options *o = r->o;
    memcpy(model_state(r->m), r->h0, model_state_size(r->m) * sizeof(float));
    model_zero_grads(r->m);
    batch_stats bs;
    rnnlm_status st = model_train_batch(r->m, x, y, 1, w, NULL, &bs, err);
    if (st) return st;
    size_t np = model_n_params(r->m);
    float *p = model_params(r->m);
    const float *g = model_grads(r->m);
    double norm = grad_global_norm(g, np);
    if (!isfinite(norm) || !isfinite(bs.loss_sum)) {
        out->skipped++;
        return RNNLM_OK;
    }
    float a = (float)(o->dynamic_lr * grad_clip_factor(norm, (float)o->dynamic_clip)), d = (float)o->dynamic_decay;
    if (r->theta0)
        for (size_t i = 0; i < np; i++) p[i] = p[i] - a * g[i] + d * (r->theta0[i] - p[i]);
    else
        for (size_t i = 0; i < np; i++) p[i] -= a * g[i];
    out->steps++;
    return model_cfg(r->m)->bf16 ? model_set_bf16(r->m, 1, err) : RNNLM_OK;   /* the bf16 mirror follows */
}

rnnlm_status rnnlm_eval_adapt(const rnnlm_model *rm, const int32_t *x, const int32_t *y, size_t n,
                              const rnnlm_adapt_options *o, rnnlm_adapt_result *out, double *logprob,
                              rnnlm_err *err) {
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_eval_adapt: NULL result");
    memset(out, 0, sizeof *out);
    if (!rm || !o || (n && (!x || !y))) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_eval_adapt: NULL argument");
    if (n < 1) return rnnlm_fail(err, RNNLM_E_ARG, "nothing to evaluate");
    rnnlm_status st = rnnlm_adapt_options_check(o, err);
    if (st) return st;
    const model *src = infer_model(rm);
    int V = model_cfg(src)->V;
    for (size_t i = 0; i < n; i++)
        if (x[i] < 0 || x[i] >= V || y[i] < 0 || y[i] >= V)
            return rnnlm_fail(err, RNNLM_E_ARG, "pair %zu: id %d -> %d is outside the vocabulary [0, %d)", i,
                              (int)x[i], (int)y[i], V);
    adapt_run r;
    if ((st = adapt_run_init(&r, src, o, err))) {
        adapt_run_free(&r);
        return st;
    }
    for (size_t s = 0; !st && s < n; s += (size_t)r.S) {
        int w = n - s < (size_t)r.S ? (int)(n - s) : r.S;
        segment_score(&r, x + s, y + s, w, out, logprob ? logprob + s : NULL);
        if (o->dynamic_lr > 0) st = segment_step(&r, x + s, y + s, w, out, err);
    }
    adapt_run_free(&r);
    if (st) memset(out, 0, sizeof *out);
    return st;
}
