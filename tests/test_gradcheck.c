/* test_gradcheck.c: the hand-written backward pass against central finite
 * differences, in double precision (model_loss_f64 runs the same kernels as
 * production, compiled over double).
 *
 * For RNN, LSTM and GRU, L in {1, 2}, T in {1, 3, 7}, with every weight
 * (biases included) and the initial state random, every parameter's gradient
 * and the gradient into the initial state (h0, and c0 for LSTM) is compared
 * with (loss(p + eps) - loss(p - eps)) / (2 eps). Per tensor the error is
 * max |analytic - numeric| / max(max |analytic|, max |numeric|, 1e-7); the
 * worst over all tensors must be <= 1e-6. Extra cases: tied embeddings, and
 * dropout with a fixed mask (the generator reseeded before each evaluation).
 * Finally the fp32 production gradient must match the double one to fp32
 * accuracy. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"

#define TOL 1e-6
#define EPS 1e-5
#define FLOOR 1e-7

typedef struct {
    model *m;
    int B, T;
    int32_t *x, *y;      /* (B, T) */
    double *p;           /* (n_params) */
    double *s0;          /* (state_size) */
    size_t np, ns;
    int dropout;         /* reseed a generator for every evaluation */
} problem;

static double loss_at(problem *pr) {
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 99);
    double loss = 0;
    rnnlm_err err;
    rnnlm_status s = model_loss_f64(pr->m, pr->p, pr->s0, pr->x, pr->y, pr->B, pr->T,
                                    pr->dropout ? &r : NULL, &loss, NULL, NULL, &err);
    assert_int_equal(s, RNNLM_OK);
    return loss;
}

static double numeric(problem *pr, double *v) {
    double keep = *v;
    *v = keep + EPS;
    double lp = loss_at(pr);
    *v = keep - EPS;
    double lm = loss_at(pr);
    *v = keep;
    return (lp - lm) / (2 * EPS);
}

/* error of one tensor: analytic a (n), numeric over the values v (n) */
static double tensor_error(problem *pr, const double *a, double *v, size_t n) {
    double diff = 0, mag = FLOOR;
    for (size_t i = 0; i < n; i++) {
        double nu = numeric(pr, &v[i]);
        diff = fmax(diff, fabs(a[i] - nu));
        mag = fmax(mag, fmax(fabs(a[i]), fabs(nu)));
    }
    return diff / mag;
}

/* Any mask drawn: the generator is reseeded for each evaluation. */
static int draws_masks(const model_config *c) {
    return c->dropout > 0 || c->reg.out > 0 || c->reg.emb > 0 || c->reg.word > 0 || c->reg.weight > 0 ||
           c->reg.ar > 0 || c->reg.tar > 0;
}

/* The worst relative error over every tensor and the initial state of the
 * model cfg (V = 7, B = 2) on T steps, its masks fixed. */
static double check_config(model_config cfg, int T, const char *what, int quiet) {
    const cell_kind cell = cfg.cell;
    const int L = cfg.L, H = cfg.H;
    cfg.V = 7;
    cfg.init = INIT_RECIPE;
    problem pr = {0};
    rnnlm_err err;
    assert_int_equal(model_create(&pr.m, &cfg, &err), RNNLM_OK);
    /* slices of 3 rows, so that the softmax of N = B*T > 3 positions is chunked */
    assert_int_equal(model_set_softmax_chunk(pr.m, 3, &err), RNNLM_OK);
    pr.B = 2;
    pr.T = T;
    pr.dropout = draws_masks(&cfg);
    pr.np = model_n_params(pr.m);
    pr.ns = (size_t)L * pr.B * H * (nn_cell_of(cell)->has_c ? 2 : 1);
    pr.x = calloc((size_t)pr.B * T, sizeof *pr.x);
    pr.y = calloc((size_t)pr.B * T, sizeof *pr.y);
    pr.p = calloc(pr.np, sizeof *pr.p);
    pr.s0 = calloc(pr.ns, sizeof *pr.s0);
    double *g = calloc(pr.np, sizeof *g), *gs = calloc(pr.ns, sizeof *gs);
    assert_non_null(g);
    assert_non_null(gs);

    rnnlm_rng r;
    rnnlm_rng_seed(&r, 1000 + 100 * cell + 10 * L + T);
    for (size_t i = 0; i < pr.np; i++) pr.p[i] = rnnlm_rng_double(&r) - 0.5;
    for (size_t i = 0; i < pr.ns; i++) pr.s0[i] = rnnlm_rng_double(&r) - 0.5;
    for (int i = 0; i < pr.B * T; i++) {
        pr.x[i] = (int32_t)rnnlm_rng_below(&r, 7);
        pr.y[i] = (int32_t)rnnlm_rng_below(&r, 7);
    }

    rnnlm_rng dr;
    rnnlm_rng_seed(&dr, 99);
    double loss;
    assert_int_equal(model_loss_f64(pr.m, pr.p, pr.s0, pr.x, pr.y, pr.B, T,
                                    pr.dropout ? &dr : NULL, &loss, g, gs, &err),
                     RNNLM_OK);
    assert_true(isfinite(loss));

    double worst = 0;
    const char *worst_name = "";
    for (int k = 0; k < model_n_tensors(pr.m); k++) {
        const model_tensor *t = model_tensor_at(pr.m, k);
        double e = tensor_error(&pr, g + t->offset, pr.p + t->offset, t->count);
        if (e > worst) {
            worst = e;
            worst_name = t->name;
        }
    }
    size_t LBH = (size_t)L * pr.B * H;
    double e = tensor_error(&pr, gs, pr.s0, LBH);
    if (e > worst) { worst = e; worst_name = "h0"; }
    if (nn_cell_of(cell)->has_c) {
        e = tensor_error(&pr, gs + LBH, pr.s0 + LBH, LBH);
        if (e > worst) { worst = e; worst_name = "c0"; }
    }
    if (!quiet)
        printf("gradcheck %-4s L=%d T=%d E=%d H=%d%s %s: worst relative error %.2e (%s)\n",
               nn_cell_of(cell)->name, L, T, cfg.E, H,
               cfg.tied ? " tied" : "", what, worst, worst_name);
    free(pr.x);
    free(pr.y);
    free(pr.p);
    free(pr.s0);
    free(g);
    free(gs);
    model_free(pr.m);
    return worst;
}

static double run_check(cell_kind cell, int L, int T, int E, int H, int tied, float dropout,
                        int quiet) {
    model_config cfg = {.cell = cell, .E = E, .H = H, .L = L, .dropout = dropout, .tied = tied};
    return check_config(cfg, T, dropout > 0 ? "dropout" : "", quiet);
}

static void check_cell(cell_kind cell) {
    static const int Ts[] = {1, 3, 7};
    double worst = 0;
    for (int L = 1; L <= 2; L++)
        for (int i = 0; i < 3; i++) worst = fmax(worst, run_check(cell, L, Ts[i], 4, 5, 0, 0, 0));
    assert_true(worst <= TOL);
}

static void test_rnn(void **s) { (void)s; check_cell(CELL_RNN); }
static void test_lstm(void **s) { (void)s; check_cell(CELL_LSTM); }
static void test_gru(void **s) { (void)s; check_cell(CELL_GRU); }

static void test_tied(void **s) {
    (void)s;
    for (int c = 0; c < CELL_COUNT; c++) assert_true(run_check((cell_kind)c, 2, 3, 5, 5, 1, 0, 0) <= TOL);
}

/* Each regulariser beyond the recipe (nn/net.h nn_reg, weight decay) with
 * its masks fixed, alone and all together, on every cell kind, untied and
 * tied, over two layers and T = 3 steps. */
static void test_regularisers(void **s) {
    (void)s;
    const struct { const char *what; float dropout; nn_reg reg; float wd; } cases[] = {
        {"locked dropout 0.3, last layer 0.5", 0.3f, {.out = 0.5f, .locked = 1}, 0},
        {"embedding dropout 0.4", 0, {.emb = 0.4f}, 0},
        {"locked embedding dropout 0.4", 0, {.emb = 0.4f, .locked = 1}, 0},
        {"word dropout 0.4", 0, {.word = 0.4f}, 0},
        {"weight drop 0.5", 0, {.weight = 0.5f}, 0},
        {"weight decay 0.05", 0, {.out = 0}, 0.05f},
        {"AR 2", 0, {.ar = 2}, 0},
        {"TAR 3", 0, {.tar = 3}, 0},
        {"AR 2 and TAR 1 beside locked dropout 0.4", 0.2f, {.out = 0.4f, .locked = 1, .ar = 2, .tar = 1}, 0},
        {"all of them", 0.2f,
         {.out = 0.4f, .emb = 0.3f, .word = 0.2f, .weight = 0.4f, .locked = 1, .ar = 1, .tar = 2}, 0.01f},
    };
    double worst = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int c = 0; c < CELL_COUNT; c++)
            for (int tied = 0; tied <= 1; tied++) {
                model_config cfg = {.cell = (cell_kind)c, .E = 5, .H = 5, .L = 2,
                                    .dropout = cases[i].dropout, .reg = cases[i].reg,
                                    .weight_decay = cases[i].wd, .tied = tied};
                double e = check_config(cfg, 3, cases[i].what, 0);
                if (e > TOL) print_error("%s: relative error %.2e\n", cases[i].what, e);
                worst = fmax(worst, e);
            }
    assert_true(worst <= TOL);
}

static void test_dropout_fixed_mask(void **s) {
    (void)s;
    for (int c = 0; c < CELL_COUNT; c++)
        assert_true(run_check((cell_kind)c, 2, 3, 4, 5, 0, 0.3f, 0) <= TOL);
}

/* The fp32 production pass (fast exp/tanh, sgemm, chunked softmax) against
 * the double twin on the same parameters and state: loss, every gradient and
 * the state gradient agree to fp32 accuracy. */
static void test_f32_matches_f64(void **s) {
    (void)s;
    for (int c = 0; c < CELL_COUNT; c++) {
        model_config cfg = {.cell = (cell_kind)c, .V = 50, .E = 12, .H = 16, .L = 2,
                            .dropout = 0, .tied = 0, .init = INIT_RECIPE};
        model *m;
        rnnlm_err err;
        const int B = 3, T = 6;
        assert_int_equal(model_create(&m, &cfg, &err), RNNLM_OK);
        assert_int_equal(model_reserve(m, B, T, &err), RNNLM_OK);
        assert_int_equal(model_set_softmax_chunk(m, 5, &err), RNNLM_OK);
        model_init_params(m, 7);
        size_t np = model_n_params(m), ns = model_state_size(m);
        float *p = model_params(m), *st = model_state(m);
        double *pd = calloc(np, sizeof *pd), *gd = calloc(np, sizeof *gd);
        double *sd = calloc(ns, sizeof *sd), *gsd = calloc(ns, sizeof *gsd);
        rnnlm_rng r;
        rnnlm_rng_seed(&r, 5);
        for (size_t i = 0; i < np; i++) pd[i] = p[i];
        for (size_t i = 0; i < ns; i++) sd[i] = st[i] = (float)(rnnlm_rng_double(&r) - 0.5);
        int32_t x[18], y[18];
        for (int i = 0; i < B * T; i++) {
            x[i] = (int32_t)rnnlm_rng_below(&r, 50);
            y[i] = (int32_t)rnnlm_rng_below(&r, 50);
        }
        double loss;
        assert_int_equal(model_loss_f64(m, pd, sd, x, y, B, T, NULL, &loss, gd, gsd, &err),
                         RNNLM_OK);
        batch_stats bs;
        model_zero_grads(m);
        assert_int_equal(model_train_batch(m, x, y, B, T, NULL, &bs, &err), RNNLM_OK);
        assert_int_equal(bs.count, B * T);
        double l32 = bs.loss_sum / (double)bs.count;
        assert_true(fabs(l32 - loss) <= 1e-5 * fabs(loss));
        const float *g = model_grads(m);
        double worst = 0;
        for (int k = 0; k < model_n_tensors(m); k++) {
            const model_tensor *t = model_tensor_at(m, k);
            double diff = 0, mag = FLOOR;
            for (size_t i = t->offset; i < t->offset + t->count; i++) {
                diff = fmax(diff, fabs(g[i] - gd[i]));
                mag = fmax(mag, fabs(gd[i]));
            }
            worst = fmax(worst, diff / mag);
        }
        const float *gs = model_state_grad(m);
        double diff = 0, mag = FLOOR;
        for (size_t i = 0; i < ns; i++) {
            diff = fmax(diff, fabs(gs[i] - gsd[i]));
            mag = fmax(mag, fabs(gsd[i]));
        }
        worst = fmax(worst, diff / mag);
        printf("fp32 vs fp64 cell %d: loss %.9f vs %.9f, worst gradient error %.2e\n", c, l32,
               loss, worst);
        assert_true(worst <= 1e-4);
        free(pd);
        free(gd);
        free(sd);
        free(gsd);
        model_free(m);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rnn),
        cmocka_unit_test(test_lstm),
        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_tied),
        cmocka_unit_test(test_regularisers),
        cmocka_unit_test(test_dropout_fixed_mask),
        cmocka_unit_test(test_f32_matches_f64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
