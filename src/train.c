/* train.c: the training loop (see train.h). */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct trainer {
    train_config cfg;
    model *m;
    optim *o;
    rnnlm_stream_batcher sb;
    rnnlm_window_batcher wb;
    int32_t *xb, *yb;          /* (B, T) the current batch */
    rnnlm_rng rng;             /* dropout masks */
    train_progress p;
    int bad_run;
    struct timespec t0;
};


rnnlm_status trainer_create(trainer **out, const train_config *cfg, const int32_t *x, const int32_t *y,
                            size_t n, rnnlm_err *err) {
    trainer *t = rnnlm_calloc(1, sizeof *t, "trainer", err);
    if (!t) return RNNLM_E_NOMEM;
    t->cfg = *cfg;
    if (t->cfg.max_bad_steps < 1) t->cfg.max_bad_steps = 1;
    rnnlm_status st;
    if (cfg->pipeline == PIPE_WINDOWED)
        st = rnnlm_window_batcher_init(&t->wb, x, y, n, cfg->B, cfg->T, (size_t)cfg->B * (size_t)cfg->T, 1, err);
    else
        st = rnnlm_stream_batcher_init(&t->sb, x, y, n, cfg->B, cfg->T, 0, err);
    if (!st) st = model_create(&t->m, &cfg->model, err);
    if (!st) st = model_reserve(t->m, cfg->B, cfg->T, err);
    if (!st) st = optim_create(&t->o, &cfg->opt, model_n_params(t->m), err);
    if (!st) {
        t->xb = rnnlm_calloc((size_t)cfg->B * (size_t)cfg->T, sizeof *t->xb, "batch", err);
        t->yb = rnnlm_calloc((size_t)cfg->B * (size_t)cfg->T, sizeof *t->yb, "batch", err);
        if (!t->xb || !t->yb) st = RNNLM_E_NOMEM;
    }
    if (st) { trainer_free(t); return st; }
    model_init_params(t->m, cfg->seed);
    rnnlm_rng_seed(&t->rng, cfg->seed ^ 0x5eed0d20u);
    *out = t;
    return RNNLM_OK;
}

void trainer_free(trainer *t) {
    if (!t) return;
    model_free(t->m);
    optim_free(t->o);
    rnnlm_window_batcher_free(&t->wb);
    free(t->xb); free(t->yb);
    free(t);
}

model *trainer_model(trainer *t) { return t->m; }

size_t trainer_steps_per_epoch(const trainer *t) {
    size_t n = t->cfg.pipeline == PIPE_WINDOWED ? t->wb.n_batches : t->sb.n_batches;
    return t->cfg.max_steps && t->cfg.max_steps < n ? t->cfg.max_steps : n;
}

void trainer_begin_epoch(trainer *t) {
    int epoch = t->p.epoch + 1;
    size_t skipped = t->p.skipped_total;
    memset(&t->p, 0, sizeof t->p);
    t->p.epoch = epoch;
    t->p.skipped_total = skipped;
    t->p.n_steps = trainer_steps_per_epoch(t);
    model_reset_state(t->m);
    if (t->cfg.pipeline == PIPE_WINDOWED)
        rnnlm_window_batcher_shuffle(&t->wb, t->cfg.seed * 1000003u + (uint64_t)epoch);
    t->bad_run = 0;
    clock_gettime(CLOCK_MONOTONIC, &t->t0);
}

rnnlm_status trainer_step(trainer *t, train_progress *p, int *done, rnnlm_err *err) {
    *done = 0;
    if (t->p.step >= t->p.n_steps) { *done = 1; *p = t->p; return RNNLM_OK; }
    int B = t->cfg.B, T;
    if (t->cfg.pipeline == PIPE_WINDOWED) {
        model_reset_state(t->m);   /* every window starts from zero */
        rnnlm_window_batch(&t->wb, t->p.step, t->xb, t->yb);
        T = t->cfg.T;
    } else {
        T = rnnlm_stream_batch(&t->sb, t->p.step, t->xb, t->yb);
    }
    model_zero_grads(t->m);
    batch_stats bs;
    rnnlm_status st = model_train_batch(t->m, t->xb, t->yb, B, T, &t->rng, &bs, err);
    if (st) return st;
    t->p.step++;
    t->p.batch = bs;
    double norm = NAN;
    int finite = isfinite(bs.loss_sum);
    if (finite) {
        rnnlm_err e2;
        finite = optim_clip_step(t->o, model_params(t->m), model_grads(t->m), &norm, &e2) == RNNLM_OK;
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
                              "%zu): stopping; try a lower --lr or --clip", t->bad_run, t->p.epoch, t->p.step);
        }
    } else {
        t->bad_run = 0;
        t->p.epoch_sum.loss_sum += bs.loss_sum;
        t->p.epoch_sum.correct += bs.correct;
        t->p.epoch_sum.count += bs.count;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t->p.seconds = (double)(ts.tv_sec - t->t0.tv_sec) + 1e-9 * (double)(ts.tv_nsec - t->t0.tv_nsec);
    *p = t->p;
    return RNNLM_OK;
}

rnnlm_status trainer_evaluate(trainer *t, const int32_t *x, const int32_t *y, size_t n, batch_stats *out,
                              rnnlm_err *err) {
    memset(out, 0, sizeof *out);
    int B = t->cfg.B;
    rnnlm_status st;
    model_reset_state(t->m);
    if (t->cfg.pipeline == PIPE_WINDOWED) {
        rnnlm_window_batcher wb;
        if ((st = rnnlm_window_batcher_init(&wb, x, y, n, B, t->cfg.T, 0, 1, err))) return st;
        for (size_t k = 0; !st && k < wb.n_batches; k++) {
            batch_stats bs;
            model_reset_state(t->m);
            rnnlm_window_batch(&wb, k, t->xb, t->yb);
            if (!(st = model_eval_batch(t->m, t->xb, t->yb, B, t->cfg.T, &bs, err))) {
                out->loss_sum += bs.loss_sum; out->correct += bs.correct; out->count += bs.count;
            }
        }
        rnnlm_window_batcher_free(&wb);
    } else {
        rnnlm_stream_batcher sb;
        if ((st = rnnlm_stream_batcher_init(&sb, x, y, n, B, t->cfg.T, 0, err))) return st;
        for (size_t k = 0; !st && k < sb.n_batches; k++) {
            batch_stats bs;
            int T = rnnlm_stream_batch(&sb, k, t->xb, t->yb);
            if (!(st = model_eval_batch(t->m, t->xb, t->yb, B, T, &bs, err))) {
                out->loss_sum += bs.loss_sum; out->correct += bs.correct; out->count += bs.count;
            }
        }
    }
    model_reset_state(t->m);
    return st;
}
