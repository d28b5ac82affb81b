/* step.c: the step engine (see step.h): one training step, its evaluation twin, its checkpoint state. */
#include "train/step.h"

#include "model/checkpoint.h"
#include "core/crc32c.h"
#include "core/elapsed.h"
#include "core/sampler.h"
#include "model/eval.h"
#include "data/reshuffle.h"

#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct step_engine {
    step_config cfg;
    model *m;
    optim *o;
    rnnlm_stream_batcher sb;
    rnnlm_window_batcher wb;
    sentence_shuffler shuf;    /* cfg.reshuffle: the epoch's stream, which sb reads */
    int B, T;                  /* the batches' shape: cfg's, smaller on data too short for one */
    int32_t *xb, *yb;          /* (cfg B, cfg T) the current batch */
    rnnlm_rng rng;             /* dropout masks */
    step_progress p;
    int bad_run;
    struct timespec t0;
    logu_sampler smp;          /* sampled loss: the candidate sampler */
    int32_t *cand;             /* (samples) this step's candidates */
    /* data parallelism (step.h): this rank of `size`, its rows [r0, r0 + rb) of each batch's B */
    comm *c;
    int rank, size, r0, rb;
    rnnlm_rng drop;            /* size > 1: this rank's dropout stream of the step */
    uint8_t *mask;             /* size > 1, sampled loss: (2 V) the touched embedding rows, then classes */
    int32_t *u_rows, *u_cls;   /* (V) each: the union of the ranks' touched rows and classes */
    int n_urows, n_ucls;
};

/* After this rank's forward and backward: the batch figures and the
 * gradient summed over the ranks, each rank's gradient (of its positions'
 * mean loss) weighted by its share of the positions, so that the sum is the
 * gradient of the global batch's mean loss; for the sampled loss also the
 * union of the touched rows and classes. */
static rnnlm_status allreduce_step(step_engine *t, batch_stats *bs, int sampled, rnnlm_err *err) {
    double fig[3] = {bs->loss_sum, (double)bs->correct, (double)bs->count};
    double w0 = comm_seconds(t->c);
    rnnlm_status st = comm_sum_f64(t->c, fig, 3, err);
    if (st) return st;
    t->p.wait_seconds += comm_seconds(t->c) - w0;   /* 24 bytes: the time is the slowest rank's lateness */
    float *g = model_grads(t->m);
    size_t n = model_n_params(t->m);
    float w = fig[2] > 0 ? (float)((double)bs->count / fig[2]) : 0.0f;
    if (w != 1.0f)
        for (size_t i = 0; i < n; i++) g[i] *= w;
    /* the gradient's all-reduce: the backend's hook (comm_allreduce_hook, set at trainer_create) */
    const nn_compute *cc = model_compute(t->m);
    if (cc->allreduce && (st = cc->allreduce(cc->allreduce_arg, g, n, err))) return st;
    bs->loss_sum = fig[0];
    bs->correct = (int64_t)fig[1];
    bs->count = (int64_t)fig[2];
    if (sampled) {
        const int32_t *rows, *cls;
        int nr, nc;
        size_t V = (size_t)model_cfg(t->m)->V;
        model_touched(t->m, &rows, &nr, &cls, &nc);
        memset(t->mask, 0, 2 * V);
        for (int i = 0; i < nr; i++) t->mask[rows[i]] = 1;
        for (int i = 0; i < nc; i++) t->mask[V + (size_t)cls[i]] = 1;
        if ((st = comm_max_u8(t->c, t->mask, 2 * V, err))) return st;
        t->n_urows = t->n_ucls = 0;
        for (size_t v = 0; v < V; v++) {
            if (t->mask[v]) t->u_rows[t->n_urows++] = (int32_t)v;
            if (t->mask[V + v]) t->u_cls[t->n_ucls++] = (int32_t)v;
        }
    }
    return RNNLM_OK;
}

/* Sampled loss: draws the candidates, runs the batch and the sparse update of
 * the embedding rows and output classes it touched (model_touched). */
static rnnlm_status sampled_step(step_engine *t, const int32_t *x, const int32_t *y, int B, int T, rnnlm_rng *drop,
                                 batch_stats *bs, rnnlm_err *err) {
    int64_t tries;
    rnnlm_status st = logu_sample_unique(&t->smp, t->cfg.samples, &t->rng, t->cand, &tries, err);
    if (st) return st;
    model_candidates mc = {t->cfg.samples, t->cand, tries};
    /* across ranks the summed gradient fills the union of their touched rows:
     * all of it is zeroed */
    if (t->size > 1) model_zero_grads(t->m);
    else model_zero_grads_touched(t->m);
    return model_train_batch_sampled(t->m, x, y, B, T, &mc, drop, bs, err);
}

static rnnlm_status sparse_clip_step(step_engine *t, double *norm, rnnlm_err *err) {
    const model_config *mc = model_cfg(t->m);
    const int32_t *rows, *cls;
    int n_rows, n_cls;
    model_touched(t->m, &rows, &n_rows, &cls, &n_cls);
    if (t->size > 1) rows = t->u_rows, n_rows = t->n_urows, cls = t->u_cls, n_cls = t->n_ucls;
    opt_sparse_part parts[3];
    int np = 0;
    const nn_layout *lay = model_layout(t->m);
    parts[np++] = (opt_sparse_part){lay->emb.offset, (size_t)mc->V, (size_t)mc->E, 0, rows, (size_t)n_rows};
    if (!lay->tied)
        parts[np++] = (opt_sparse_part){lay->out_w.offset, (size_t)mc->H, (size_t)mc->V, 1, cls, (size_t)n_cls};
    parts[np++] = (opt_sparse_part){lay->out_b.offset, 1, (size_t)mc->V, 1, cls, (size_t)n_cls};
    return optim_clip_step_sparse(t->o, model_params(t->m), model_grads(t->m), parts, np, norm, err);
}


/* Windows of T the windowed pipeline cuts from n pairs (rnnlm.h). */
static size_t window_count(size_t n, int T) {
    return n + 1 >= (size_t)T ? (n + 1 - (size_t)T) / (size_t)T : 0;
}

/* The windowed shape for n pairs: B windows a batch, fewer when the data
 * makes fewer (then one batch of them all); no window keeps B (refused). */
static int window_rows(size_t n, int B, int T) {
    size_t w = window_count(n, T);
    return w && w < (size_t)B ? (int)w : B;
}

rnnlm_status step_create(step_engine **out, const step_config *cfg, const int32_t *x, const int32_t *y,
                         size_t n, rnnlm_err *err) {
    step_engine *t = rnnlm_calloc(1, sizeof *t, "step engine", err);
    if (!t) return RNNLM_E_NOMEM;
    t->cfg = *cfg;
    if (t->cfg.max_bad_steps < 1) t->cfg.max_bad_steps = 1;
    rnnlm_status st;
    t->c = cfg->comm;
    t->rank = comm_rank(t->c);
    t->size = comm_size(t->c);
    t->B = cfg->B;
    t->T = cfg->T;
    if (cfg->pipeline == PIPE_WINDOWED) {
        t->B = window_rows(n, cfg->B, cfg->T);
        st = rnnlm_window_batcher_init(&t->wb, x, y, n, t->B, t->T, (size_t)cfg->B * (size_t)cfg->T, 1, err);
    } else {
        eval_fit_shape(n, cfg->B, cfg->T, &t->B, &t->T);   /* (B, T) as the recipe when the data fill it */
        st = rnnlm_stream_batcher_init(&t->sb, x, y, n, t->B, t->T, 0, err);
        if (!st && cfg->reshuffle) st = sentence_shuffler_init(&t->shuf, x, y, n, RNNLM_BOS, err);
    }
    t->rb = t->B / t->size;
    t->r0 = t->rank * t->rb;
    if (!st && t->B % t->size)
        st = rnnlm_fail(err, RNNLM_E_ARG, "data parallelism: the batch of %d rows%s does not divide among %d ranks "
                        "(each takes B/N rows; choose a `batch` that N divides)", t->B,
                        t->B != cfg->B ? " (all the training data make)" : "", t->size);
    if (!st) st = model_create(&t->m, &cfg->model, err);
    if (!st && t->size > 1) model_set_allreduce(t->m, comm_allreduce_hook, t->c);
    if (!st) st = model_reserve(t->m, t->rb, t->T, err);
    if (!st) st = optim_create(&t->o, &cfg->opt, model_n_params(t->m), err);
    if (!st && cfg->loss == LOSS_SAMPLED && cfg->model.weight_decay > 0)
        st = rnnlm_fail(err, RNNLM_E_ARG, "weight decay is not available with the sampled loss "
                        "(its sparse updates leave untouched rows as they are)");
    if (!st && cfg->loss == LOSS_SAMPLED) {
        if (cfg->samples < 1 || cfg->samples > cfg->model.V)
            st = rnnlm_fail(err, RNNLM_E_ARG, "sampled softmax: %d samples, need 1 <= K <= V = %d",
                            cfg->samples, cfg->model.V);
        if (!st) st = logu_sampler_init(&t->smp, cfg->model.V, err);
        if (!st && !(t->cand = rnnlm_calloc((size_t)cfg->samples, sizeof *t->cand, "candidates", err)))
            st = RNNLM_E_NOMEM;
        if (!st && t->size > 1) {
            t->mask = rnnlm_calloc(2 * (size_t)cfg->model.V, 1, "touched rows", err);
            t->u_rows = rnnlm_calloc((size_t)cfg->model.V, sizeof *t->u_rows, "touched rows", err);
            t->u_cls = rnnlm_calloc((size_t)cfg->model.V, sizeof *t->u_cls, "touched rows", err);
            if (!t->mask || !t->u_rows || !t->u_cls) st = RNNLM_E_NOMEM;
        }
    }
    if (!st) {
        t->xb = rnnlm_calloc((size_t)cfg->B * (size_t)cfg->T, sizeof *t->xb, "batch", err);
        t->yb = rnnlm_calloc((size_t)cfg->B * (size_t)cfg->T, sizeof *t->yb, "batch", err);
        if (!t->xb || !t->yb) st = RNNLM_E_NOMEM;
    }
    if (st) { step_free(t); return st; }
    model_init_params(t->m, cfg->seed);
    rnnlm_rng_seed(&t->rng, cfg->seed ^ 0x5eed0d20u);
    *out = t;
    return RNNLM_OK;
}

void step_free(step_engine *t) {
    if (!t) return;
    model_free(t->m);
    optim_free(t->o);
    rnnlm_window_batcher_free(&t->wb);
    sentence_shuffler_free(&t->shuf);
    free(t->xb); free(t->yb);
    logu_sampler_free(&t->smp);
    free(t->cand);
    free(t->mask);
    free(t->u_rows);
    free(t->u_cls);
    free(t);
}

model *step_model(step_engine *t) { return t->m; }

void step_batch_shape(const step_engine *t, int *B, int *T) {   /* the global batch */
    *B = t->B;
    *T = t->T;
}

size_t step_steps_per_epoch(const step_engine *t) {
    size_t n = t->cfg.pipeline == PIPE_WINDOWED ? t->wb.n_batches : t->sb.n_batches;
    return t->cfg.max_steps && t->cfg.max_steps < n ? t->cfg.max_steps : n;
}

/* The epoch's order of the data: the windowed pipeline's windows, or with
 * `reshuffle` the stateful stream's sentences; each a function of (seed,
 * epoch) alone, so that a resumed run reads what the first would have. */
static void epoch_order(step_engine *t, int epoch) {
    uint64_t seed = t->cfg.seed * 1000003u + (uint64_t)epoch;
    if (t->cfg.pipeline == PIPE_WINDOWED) {
        rnnlm_window_batcher_shuffle(&t->wb, seed);
    } else if (t->cfg.reshuffle) {
        sentence_shuffler_epoch(&t->shuf, seed ^ 0x5e47e4ceu);
        t->sb.x = t->shuf.buf;
        t->sb.y = t->shuf.buf + 1;
    }
}

void step_begin_epoch(step_engine *t) {
    int epoch = t->p.epoch + 1;
    size_t skipped = t->p.skipped_total;
    memset(&t->p, 0, sizeof t->p);
    t->p.epoch = epoch;
    t->p.skipped_total = skipped;
    t->p.n_steps = step_steps_per_epoch(t);
    model_reset_state(t->m);
    epoch_order(t, epoch);
    t->bad_run = 0;
    elapsed_start(&t->t0);
}

rnnlm_status step_run(step_engine *t, step_progress *p, int *done, rnnlm_err *err) {
    *done = 0;
    if (t->p.step >= t->p.n_steps) { *done = 1; *p = t->p; return RNNLM_OK; }
    int T;
    if (t->cfg.pipeline == PIPE_WINDOWED) {
        model_reset_state(t->m);   /* every window starts from zero */
        rnnlm_window_batch(&t->wb, t->p.step, t->xb, t->yb);
        T = t->T;
    } else {
        T = rnnlm_stream_batch(&t->sb, t->p.step, t->xb, t->yb);
    }
    batch_stats bs;
    rnnlm_status st;
    const int sampled = t->cfg.loss == LOSS_SAMPLED;
    /* this rank's rows of the (B, T) batch; one process: all of them, and the
     * one generator for candidates and dropout as always */
    const int32_t *x = t->xb + (size_t)t->r0 * (size_t)T, *y = t->yb + (size_t)t->r0 * (size_t)T;
    rnnlm_rng *drop = &t->rng;
    if (t->size > 1) {   /* a stream of (seed, rank, epoch, step): exact on resume, whatever ran before */
        rnnlm_rng_seed(&t->drop, (t->cfg.seed ^ 0x5eed0d20u) * 0x9e3779b97f4a7c15u ^
                                     ((uint64_t)t->rank << 48 ^ (uint64_t)t->p.epoch << 32 ^ (uint64_t)t->p.step));
        drop = &t->drop;
    }
    if (sampled) {
        st = sampled_step(t, x, y, t->rb, T, drop, &bs, err);
    } else {
        model_zero_grads(t->m);
        st = model_train_batch(t->m, x, y, t->rb, T, drop, &bs, err);
    }
    if (!st && t->size > 1) {
        double c0 = comm_seconds(t->c);
        st = allreduce_step(t, &bs, sampled, err);
        t->p.comm_seconds += comm_seconds(t->c) - c0;
    }
    if (st) return st;
    t->p.step++;
    t->p.steps_run++;
    t->p.batch = bs;
    double norm = NAN;
    int finite = isfinite(bs.loss_sum);
    if (finite) {
        rnnlm_err e2;
        finite = (sampled ? sparse_clip_step(t, &norm, &e2)
                          : optim_clip_step(t->o, model_params(t->m), model_grads(t->m), &norm, &e2)) ==
                 RNNLM_OK;
    }
    t->p.grad_norm = norm;
    t->p.skipped = !finite;
    if (!finite) {
        /* the weights were not touched; the carried state may hold the
         * non-finite values, so it starts again from zero */
        model_reset_state(t->m);
        t->p.skipped_total++;
        if (++t->bad_run >= t->cfg.max_bad_steps) {
            *p = t->p;
            return rnnlm_fail(err, RNNLM_E_NUMERIC,
                              "%d consecutive steps with a non-finite loss or gradient norm (epoch %d, step "
                              "%zu): stopping; try a lower `lr` or `clip`", t->bad_run, t->p.epoch, t->p.step);
        }
    } else {
        t->bad_run = 0;
        batch_stats_add(&t->p.epoch_sum, &bs);
    }
    t->p.seconds = elapsed_seconds(&t->t0);
    *p = t->p;
    return RNNLM_OK;
}

rnnlm_status step_evaluate(step_engine *t, const int32_t *x, const int32_t *y, size_t n, batch_stats *out,
                           rnnlm_err *err) {
    memset(out, 0, sizeof *out);
    /* the training pipeline's batching with cfg's B and T, as the recipe
     * (full batches only for windows); on data too short for one such batch,
     * fewer rows: a smaller batch rather than a refusal, and pairs too few
     * for one window are one stream */
    eval_plan p = {t->cfg.B, t->cfg.T, 0, 0, 0, t->xb, t->yb, NULL};
    p.windowed = t->cfg.pipeline == PIPE_WINDOWED && window_count(n, p.T) > 0;
    if (p.windowed) p.B = window_rows(n, p.B, p.T);
    else eval_fit_shape(n, p.B, p.T, &p.B, &p.T);
    /* this rank's rows of each batch (some ranks none when B < N) */
    p.r0 = (int)((int64_t)t->rank * p.B / t->size);
    p.rows = (int)((int64_t)(t->rank + 1) * p.B / t->size) - p.r0;
    int reshaped = p.rows != t->rb || p.T > t->T;
    rnnlm_status st = RNNLM_OK;
    if (reshaped && p.rows > 0 && (st = model_reserve(t->m, p.rows, t->cfg.T, err))) return st;
    st = eval_pairs(t->m, x, y, n, &p, out, NULL, err);
    rnnlm_status back = reshaped ? model_reserve(t->m, t->rb, t->T, err) : RNNLM_OK;   /* the training shape */
    model_reset_state(t->m);
    if (st || back) return st ? st : back;
    if (t->size > 1) {   /* every rank's figures, summed */
        double fig[3] = {out->loss_sum, (double)out->correct, (double)out->count};
        if ((st = comm_sum_f64(t->c, fig, 3, err))) return st;
        out->loss_sum = fig[0];
        out->correct = (int64_t)fig[1];
        out->count = (int64_t)fig[2];
    }
    return RNNLM_OK;
}

int step_epoch(const step_engine *t) { return t->p.epoch; }
size_t step_epoch_step(const step_engine *t) { return t->p.step; }
const step_progress *step_get_progress(const step_engine *t) { return &t->p; }

/* The optimiser's flat state: an int64 step, 7 reserved int64, then the slots
 * (optim.h); the slots travel as a tensor, the step as metadata. */
#define OPTIM_HEADER 64

void step_set_lr(step_engine *t, float lr) { optim_set_lr(t->o, lr); }

rnnlm_status step_save(const step_engine *t, const char *path, const rnnlm_vocab *v, const char *const *extra_kv,
                       size_t n_extra, rnnlm_err *err) {
    return step_save_ex(t, path, v, extra_kv, n_extra, NULL, 0, err);
}

rnnlm_status step_save_ex(const step_engine *t, const char *path, const rnnlm_vocab *v, const char *const *extra_kv,
                          size_t n_extra, const st_tensor *more, size_t n_more, rnnlm_err *err) {
    enum { OWN = 10 };
    char val[OWN][80];
    const char *key[OWN] = {"train.format", "train.optim_step", "train.rng", "train.epoch", "train.step",
                            "train.epoch_loss_sum", "train.epoch_correct", "train.epoch_count",
                            "train.skipped_total", "train.n_params"};
    const step_progress *p = &t->p;
    snprintf(val[0], sizeof val[0], "1");
    snprintf(val[1], sizeof val[1], "%" PRId64, optim_step_count(t->o));
    snprintf(val[2], sizeof val[2], "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, t->rng.s[0], t->rng.s[1],
             t->rng.s[2], t->rng.s[3]);
    snprintf(val[3], sizeof val[3], "%d", p->epoch);
    snprintf(val[4], sizeof val[4], "%zu", p->step);
    snprintf(val[5], sizeof val[5], "%a", p->epoch_sum.loss_sum);   /* hex float: exact */
    snprintf(val[6], sizeof val[6], "%" PRId64, p->epoch_sum.correct);
    snprintf(val[7], sizeof val[7], "%" PRId64, p->epoch_sum.count);
    snprintf(val[8], sizeof val[8], "%zu", p->skipped_total);
    snprintf(val[9], sizeof val[9], "%zu", model_n_params(t->m));
    size_t n_kv = OWN + n_extra;
    const char **kv = rnnlm_calloc(2 * n_kv, sizeof *kv, "checkpoint metadata", err);
    if (!kv) return RNNLM_E_NOMEM;
    for (int i = 0; i < OWN; i++) { kv[2 * i] = key[i]; kv[2 * i + 1] = val[i]; }
    for (size_t i = 0; i < 2 * n_extra; i++) kv[2 * OWN + i] = extra_kv[i];
    if (n_more > 2) { free(kv); return rnnlm_fail(err, RNNLM_E_ARG, "step_save: %zu more tensors", n_more); }
    /* the carried state of every rank's rows, gathered at rank 0: (parts L, B, H) */
    float *state = model_state(t->m), *all = NULL;
    size_t ns = model_state_size(t->m);
    if (t->size > 1) {
        size_t H = (size_t)model_cfg(t->m)->H, rows = (size_t)t->rb, chunks = ns / (rows * H);
        float *got = NULL;   /* rank 0: (size, chunks, rows, H) as they arrive */
        if (t->rank == 0) {
            got = rnnlm_calloc(ns * (size_t)t->size, sizeof *got, "carried state", err);
            all = got ? rnnlm_calloc(ns * (size_t)t->size, sizeof *all, "carried state", err) : NULL;
        }
        rnnlm_status st = t->rank == 0 && !all ? RNNLM_E_NOMEM : comm_gather(t->c, state, ns * sizeof *state, got, err);
        if (!st && t->rank == 0)   /* (size, chunks, rows, H) -> (chunks, size rows, H) */
            for (size_t q = 0; q < (size_t)t->size; q++)
                for (size_t j = 0; j < chunks; j++)
                    memcpy(all + (j * (size_t)t->size + q) * rows * H, got + q * ns + j * rows * H,
                           rows * H * sizeof *all);
        free(got);
        if (st || t->rank != 0) { free(kv); free(all); return st; }   /* rank 0 alone writes */
        state = all;
        ns *= (size_t)t->size;
    }
    st_tensor extra[4];
    size_t n_tensors = 0;
    extra[n_tensors++] = (st_tensor){.name = "train.carried_state", .ndim = 1, .shape = {ns}, .data = state};
    if (optim_n_slots(t->o))
        extra[n_tensors++] = (st_tensor){.name = "train.optim_slots", .ndim = 1, .shape = {optim_n_slots(t->o)},
                                         .data = optim_slots(t->o)};
    for (size_t i = 0; i < n_more; i++) extra[n_tensors++] = more[i];
    rnnlm_status st = checkpoint_save(path, t->m, v, kv, n_kv, extra, n_tensors, err);
    free(kv);
    free(all);
    return st;
}

/* A training-state integer of the checkpoint in [0, LLONG_MAX]; -1 with err set
 * when absent or malformed. */
static int meta_u64(const st_file *f, const char *key, uint64_t *out, rnnlm_err *err) {
    long long x;
    if (checkpoint_meta_int(f, key, 0, LLONG_MAX, &x, "checkpoint (training state)", err)) return -1;
    *out = (uint64_t)x;
    return 0;
}

rnnlm_status step_restore(step_engine *t, const model *m, const st_file *f, rnnlm_err *err) {
    uint64_t fmt, ostep, epoch, step, correct, count, skipped, np;
    if (meta_u64(f, "train.format", &fmt, err) || meta_u64(f, "train.optim_step", &ostep, err) ||
        meta_u64(f, "train.epoch", &epoch, err) || meta_u64(f, "train.step", &step, err) ||
        meta_u64(f, "train.epoch_correct", &correct, err) || meta_u64(f, "train.epoch_count", &count, err) ||
        meta_u64(f, "train.skipped_total", &skipped, err) || meta_u64(f, "train.n_params", &np, err))
        return RNNLM_E_FORMAT;
    if (fmt != 1) return rnnlm_fail(err, RNNLM_E_FORMAT, "checkpoint: training state format %" PRIu64 " unknown", fmt);
    if (np != model_n_params(t->m) || model_n_params(m) != model_n_params(t->m))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "checkpoint: %" PRIu64 " parameters, this configuration has %zu", np,
                          model_n_params(t->m));
    if (epoch < 1 || epoch > INT32_MAX || step > step_steps_per_epoch(t))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "checkpoint: position epoch %" PRIu64 " step %" PRIu64
                          " does not fit this data (%zu steps an epoch)", epoch, step, step_steps_per_epoch(t));
    const char *rng = checkpoint_get_meta(f, "train.rng");
    rnnlm_rng r;
    if (!rng || strlen(rng) != 64 || strspn(rng, "0123456789abcdefABCDEF") != 64 ||
        sscanf(rng, "%16" SCNx64 "%16" SCNx64 "%16" SCNx64 "%16" SCNx64, &r.s[0], &r.s[1], &r.s[2], &r.s[3]) != 4)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "checkpoint: malformed 'train.rng'");
    double loss_sum;   /* a sum of cross-entropies: finite and >= 0 */
    if (checkpoint_meta_real(f, "train.epoch_loss_sum", 0.0, DBL_MAX, &loss_sum, "checkpoint (training state)", err))
        return RNNLM_E_FORMAT;
    if (correct > count)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "checkpoint: %" PRIu64 " correct of %" PRIu64 " positions", correct,
                          count);
    const st_entry *cs = st_find(f, "train.carried_state"), *sl = st_find(f, "train.optim_slots");
    size_t n_state = model_state_size(t->m) * (size_t)t->size;   /* every rank's rows */
    if (!cs || cs->count != n_state)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "checkpoint: train.carried_state missing or not %zu floats "
                          "(another batch size?)", n_state);
    size_t ns = optim_n_slots(t->o);
    if ((ns && (!sl || sl->count != ns)) || (!ns && sl))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "checkpoint: train.optim_slots does not fit the %s optimiser",
                          opt_kind_name(t->cfg.opt.kind));
    /* the optimiser's flat state, rebuilt and loaded through its own checks */
    size_t bytes = optim_state_bytes(t->o);
    unsigned char *buf = rnnlm_calloc(bytes, 1, "optimiser state", err);
    if (!buf) return RNNLM_E_NOMEM;
    int64_t s64 = (int64_t)ostep;
    memcpy(buf, &s64, sizeof s64);
    if (ns) memcpy(buf + OPTIM_HEADER, sl->data, ns * sizeof(float));
    rnnlm_status st = optim_state_load(t->o, buf, bytes, err);
    free(buf);
    if (st) return st;
    memcpy(model_params(t->m), model_params((model *)m), model_n_params(t->m) * sizeof(float));
    if (t->size > 1) {   /* this rank's rows [r0, r0 + rb) of each (B, H) chunk */
        size_t H = (size_t)model_cfg(t->m)->H, rows = (size_t)t->rb, B = rows * (size_t)t->size;
        size_t chunks = model_state_size(t->m) / (rows * H);
        for (size_t j = 0; j < chunks; j++)
            memcpy(model_state(t->m) + j * rows * H, cs->data + (j * B + (size_t)t->r0) * H, rows * H * sizeof(float));
    } else {
        memcpy(model_state(t->m), cs->data, cs->count * sizeof(float));
    }
    t->rng = r;
    memset(&t->p, 0, sizeof t->p);
    t->p.epoch = (int)epoch;
    t->p.step = step;
    t->p.n_steps = step_steps_per_epoch(t);
    t->p.epoch_sum.loss_sum = loss_sum;
    t->p.epoch_sum.correct = (int64_t)correct;
    t->p.epoch_sum.count = (int64_t)count;
    t->p.skipped_total = skipped;
    t->bad_run = 0;
    epoch_order(t, (int)epoch);
    elapsed_start(&t->t0);
    return RNNLM_OK;
}

rnnlm_status step_check_replicas(step_engine *t, rnnlm_err *err) {
    if (t->size < 2) return RNNLM_OK;
    uint32_t *all = rnnlm_calloc((size_t)t->size, sizeof *all, "checksums", err);
    if (!all) return RNNLM_E_NOMEM;
    uint32_t mine = crc32c(model_params(t->m), model_n_params(t->m) * sizeof(float));
    rnnlm_status st = comm_allgather_u32(t->c, mine, all, err);
    for (int r = 1; !st && r < t->size; r++)
        if (all[r] != all[0])
            st = rnnlm_fail(err, RNNLM_E_NUMERIC, "the ranks' weights differ after epoch %d step %zu: rank %d's "
                            "checksum (CRC-32C %08x) is not rank 0's (%08x); the run cannot continue (a rank "
                            "computed otherwise: another build, processor or library on that machine?)",
                            t->p.epoch, t->p.step, r, (unsigned)all[r], (unsigned)all[0]);
    free(all);
    return st;
}
