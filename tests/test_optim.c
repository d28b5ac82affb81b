/* test_optim.c: the optimisers and the clipping of src/train/optim.c against the
 * update rules written out in double here, step by step, on a buffer of 37
 * parameters (two vectorised blocks of 16 and a scalar tail of 5). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "train/optim.h"

#define N 37
#define STEPS 4

/* deterministic test values: weights and gradients of mixed sign and scale,
 * including exact zeros (a parameter with no gradient must not move) */
static float w0(size_t i) { return (float)(0.1 * (double)((int)(i * 7 % 11) - 5)); }
static float grad_at(int step, size_t i) {
    if (i % 9 == 4) return 0.0f;
    double mag = (i % 3 == 0) ? 1e-3 : (i % 3 == 1) ? 0.5 : 3.0;
    double sign = ((i + (size_t)step) % 4 < 2) ? 1.0 : -1.0;
    return (float)(sign * mag * (1.0 + 0.1 * step + 0.01 * (double)i));
}

static void fill(float *w, float g[STEPS][N]) {
    for (size_t i = 0; i < N; i++) {
        w[i] = w0(i);
        for (int s = 0; s < STEPS; s++) g[s][i] = grad_at(s, i);
    }
}

/* max |a - b| / max |b| over the buffer (weights near zero make a relative
 * error per element meaningless; the float rounding scales with the largest) */
static double worst_rel(const float *a, const double *b, size_t n) {
    double worst = 0, scale = 1e-6;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs(b[i]));
    }
    return worst / scale;
}

static optim *make(const opt_config *c, size_t n) {
    optim *o = NULL;
    rnnlm_err err = {0};
    rnnlm_status s = optim_create(&o, c, n, &err);
    if (s) fail_msg("optim_create: %s", err.msg);
    return o;
}

/* Runs STEPS steps of cfg in float and of the reference rule in double and
 * compares the weights after each step. */
static void check_against_double(const opt_config *c) {
    float w[N], g[STEPS][N];
    double rw[N], m[N] = {0}, v[N] = {0};
    fill(w, g);
    for (size_t i = 0; i < N; i++) {
        rw[i] = w[i];
        v[i] = c->kind == OPT_ADAGRAD ? (double)c->adagrad_init : 0.0;
    }
    optim *o = make(c, N);
    for (int s = 0; s < STEPS; s++) {
        optim_step(o, w, g[s]);
        int t = s + 1;
        double lr = c->lr, b1 = c->beta1, b2 = c->beta2, eps = c->eps;
        for (size_t i = 0; i < N; i++) {
            double gi = g[s][i];
            switch (c->kind) {
            case OPT_ADAM:
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                if (c->eps_torch)
                    rw[i] -= lr / (1 - pow(b1, t)) * m[i] /
                             (sqrt(v[i]) / sqrt(1 - pow(b2, t)) + eps);
                else
                    rw[i] -= lr * sqrt(1 - pow(b2, t)) / (1 - pow(b1, t)) * m[i] /
                             (sqrt(v[i]) + eps);
                break;
            case OPT_ADAGRAD:
                v[i] += gi * gi;
                rw[i] -= lr * gi / (sqrt(v[i]) + eps);
                break;
            case OPT_SGD:
                rw[i] -= lr * gi;
                break;
            }
        }
        double e = worst_rel(w, rw, N);
        if (e > 2e-6) fail_msg("%s step %d: worst relative error %.3g", opt_kind_name(c->kind), t, e);
        assert_int_equal(optim_step_count(o), t);
    }
    /* a parameter whose gradient is always zero did not move */
    assert_true(w[4] == w0(4));
    optim_free(o);
}

static void test_adam_keras(void **st) {
    (void)st;
    opt_config c = opt_config_default(OPT_ADAM);
    assert_int_equal(c.eps_torch, 0);   /* Keras placement is the default */
    assert_true(c.lr == 0.01f && c.beta1 == 0.9f && c.beta2 == 0.999f && c.eps == 1e-7f);
    check_against_double(&c);
    c.eps = 1e-2f;   /* large enough to matter for the 1e-3 gradients */
    check_against_double(&c);
}

static void test_adam_torch(void **st) {
    (void)st;
    opt_config c = opt_config_default(OPT_ADAM);
    c.eps_torch = 1;
    check_against_double(&c);
    c.eps = 1e-2f;
    check_against_double(&c);
}

/* The two placements of eps must really differ where eps is not negligible:
 * one step with g = 1e-3 and eps = 1e-2, both rules written out. */
static void test_adam_eps_placement_differs(void **st) {
    (void)st;
    opt_config c = opt_config_default(OPT_ADAM);
    c.eps = 1e-2f;
    float wk = 0, wt = 0, g = 1e-3f;
    optim *ok = make(&c, 1);
    c.eps_torch = 1;
    optim *ot = make(&c, 1);
    optim_step(ok, &wk, &g);
    optim_step(ot, &wt, &g);
    /* t = 1: m = (1-b1) g, v = (1-b2) g^2, with the float values of the
     * constants (1 - 0.999f is 0.00099998713..., not 0.001) */
    double lr = c.lr, b1 = c.beta1, b2 = c.beta2, eps = c.eps, gd = g;
    double m = (1 - b1) * gd, v = (1 - b2) * gd * gd;
    double keras = -lr * sqrt(1 - b2) / (1 - b1) * m / (sqrt(v) + eps);
    double torch = -lr / (1 - b1) * m / (sqrt(v) / sqrt(1 - b2) + eps);
    assert_true(fabs(wk - keras) <= 1e-6 * fabs(keras));
    assert_true(fabs(wt - torch) <= 1e-6 * fabs(torch));
    assert_true(fabs(keras - torch) > 0.5 * fabs(torch));   /* they really differ */
    optim_free(ok);
    optim_free(ot);
}

static void test_adagrad(void **st) {
    (void)st;
    opt_config c = opt_config_default(OPT_ADAGRAD);
    assert_true(c.lr == 0.1f && c.adagrad_init == 0.1f && c.eps == 1e-7f);
    check_against_double(&c);   /* Keras: accumulator starts at 0.1 */
    c.adagrad_init = 0;
    c.eps = 1e-10f;             /* PyTorch's defaults */
    check_against_double(&c);
}

static void test_sgd(void **st) {
    (void)st;
    opt_config c = opt_config_default(OPT_SGD);
    assert_true(c.lr == 0.1f);
    check_against_double(&c);
}

static void test_global_norm(void **st) {
    (void)st;
    /* odd length: vector body and tail; 0.5 is exact, so is the sum */
    size_t n = 100003;
    float *g = malloc(n * sizeof *g);
    assert_non_null(g);
    for (size_t i = 0; i < n; i++) g[i] = (i % 2) ? 0.5f : -0.5f;
    double norm = grad_global_norm(g, n);
    assert_true(fabs(norm - 0.5 * sqrt((double)n)) <= 1e-12 * norm);
    /* 3-4-5 in the tail only */
    float h[3] = {3, 4, 0};
    assert_true(grad_global_norm(h, 3) == 5.0);
    assert_true(grad_global_norm(h, 0) == 0.0);
    /* squares that overflow float but not double */
    float big[2] = {3e38f, -3e38f};
    double want = sqrt(2.0) * (double)3e38f;
    assert_true(fabs(grad_global_norm(big, 2) - want) <= 1e-12 * want);
    free(g);
}

static void test_clip_scales_to_clip_norm(void **st) {
    (void)st;
    float w[N], g[STEPS][N];
    fill(w, g);
    double norm = grad_global_norm(g[0], N);
    float clip = (float)(norm / 3);
    float f = grad_clip_factor(norm, clip);
    assert_true(fabs(f - 1.0 / 3) < 1e-6);
    grad_scale(g[0], N, f);
    double after = grad_global_norm(g[0], N);
    assert_true(fabs(after - clip) <= 1e-6 * clip);
    /* direction unchanged */
    for (size_t i = 0; i < N; i++) assert_true(fabsf(g[0][i] - grad_at(0, i) * f) <= 0);
}

static void test_clip_leaves_small_gradients(void **st) {
    (void)st;
    float w[N], g[STEPS][N], copy[N];
    fill(w, g);
    memcpy(copy, g[1], sizeof copy);
    double norm = grad_global_norm(g[1], N);
    assert_true(grad_clip_factor(norm, (float)norm * 2) == 1.0f);
    assert_true(grad_clip_factor(norm, (float)norm + 1) == 1.0f);
    assert_true(grad_clip_factor(norm, 0) == 1.0f);    /* clip off */
    assert_true(grad_clip_factor(norm, -1) == 1.0f);
    /* through optim_clip_step: a step with small gradients equals an
     * unclipped step bit for bit */
    opt_config c = opt_config_default(OPT_ADAM);
    c.clip = (float)norm * 2;
    float wa[N], wb[N];
    memcpy(wa, w, sizeof wa);
    memcpy(wb, w, sizeof wb);
    optim *a = make(&c, N), *b = make(&c, N);
    double got;
    assert_int_equal(optim_clip_step(a, wa, g[1], &got, NULL), RNNLM_OK);
    assert_true(got == norm);
    optim_step(b, wb, g[1]);
    assert_memory_equal(wa, wb, sizeof wa);
    assert_memory_equal(g[1], copy, sizeof copy);   /* grads are never written */
    optim_free(a);
    optim_free(b);
}

/* optim_clip_step with a large gradient equals scaling the gradient by
 * clip / norm first and stepping, bit for bit, for every optimiser */
static void test_clip_step_equals_scale_then_step(void **st) {
    (void)st;
    for (int k = 0; k < 3; k++) {
        opt_config c = opt_config_default((opt_kind)k);
        float w[N], g[STEPS][N], wa[N], wb[N], gs[N];
        fill(w, g);
        memcpy(wa, w, sizeof wa);
        memcpy(wb, w, sizeof wb);
        c.clip = (float)(grad_global_norm(g[0], N) / 4);   /* clips every step */
        optim *a = make(&c, N), *b = make(&c, N);
        for (int s = 0; s < STEPS; s++) {
            double norm;
            assert_int_equal(optim_clip_step(a, wa, g[s], &norm, NULL), RNNLM_OK);
            assert_true(norm > c.clip);
            memcpy(gs, g[s], sizeof gs);
            grad_scale(gs, N, (float)(c.clip / norm));
            optim_step(b, wb, gs);
            assert_memory_equal(wa, wb, sizeof wa);
        }
        optim_free(a);
        optim_free(b);
    }
}

/* a NaN or an infinity anywhere in the gradient: reported, weights, moments
 * and step count untouched */
static void test_nonfinite_norm_skips_step(void **st) {
    (void)st;
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 3; k++) {
        for (int b = 0; b < 3; b++) {
            opt_config c = opt_config_default((opt_kind)k);
            float w[N], g[STEPS][N], wcopy[N];
            fill(w, g);
            optim *o = make(&c, N);
            optim_step(o, w, g[0]);   /* non-trivial state first */
            memcpy(wcopy, w, sizeof w);
            size_t bytes = optim_state_bytes(o);
            unsigned char *scopy = malloc(bytes);
            assert_non_null(scopy);
            memcpy(scopy, optim_state(o), bytes);

            g[1][N - 1 - (size_t)b * 13] = bad[b];   /* tail, body */
            assert_false(isfinite(grad_global_norm(g[1], N)));
            rnnlm_err err = {0};
            double norm = 0;
            assert_int_equal(optim_clip_step(o, w, g[1], &norm, &err), RNNLM_E_NUMERIC);
            assert_int_equal(err.status, RNNLM_E_NUMERIC);
            assert_non_null(strstr(err.msg, "skipped"));
            assert_false(isfinite(norm));
            assert_memory_equal(w, wcopy, sizeof w);
            assert_memory_equal(optim_state(o), scopy, bytes);
            assert_int_equal(optim_step_count(o), 1);
            /* the next good step proceeds as step 2 */
            assert_int_equal(optim_clip_step(o, w, g[2], NULL, NULL), RNNLM_OK);
            assert_int_equal(optim_step_count(o), 2);
            free(scopy);
            optim_free(o);
        }
    }
}

/* save the state after two steps, restore it into a fresh optimiser: the third
 * step is the same bit for bit */
static void test_state_roundtrip(void **st) {
    (void)st;
    for (int k = 0; k < 3; k++) {
        opt_config c = opt_config_default((opt_kind)k);
        float w[N], g[STEPS][N];
        fill(w, g);
        optim *a = make(&c, N);
        assert_int_equal(optim_n_slots(a), (size_t)(k == OPT_ADAM ? 2 : k == OPT_ADAGRAD ? 1 : 0) * N);
        assert_int_equal(optim_state_bytes(a), 64 + optim_n_slots(a) * sizeof(float));
        assert_int_equal((uintptr_t)optim_slots(a) % 64, 0);
        optim_step(a, w, g[0]);
        optim_step(a, w, g[1]);
        size_t bytes = optim_state_bytes(a);
        unsigned char *saved = malloc(bytes);
        assert_non_null(saved);
        memcpy(saved, optim_state(a), bytes);
        float wsaved[N];
        memcpy(wsaved, w, sizeof w);
        optim_step(a, w, g[2]);

        optim *b = make(&c, N);
        rnnlm_err err = {0};
        assert_int_equal(optim_state_load(b, saved, bytes, &err), RNNLM_OK);
        assert_int_equal(optim_step_count(b), 2);
        optim_step(b, wsaved, g[2]);
        assert_memory_equal(w, wsaved, sizeof w);
        assert_memory_equal(optim_state(a), optim_state(b), bytes);

        /* a state of another size is refused with a reason */
        assert_int_equal(optim_state_load(b, saved, bytes - 4, &err), RNNLM_E_FORMAT);
        assert_non_null(strstr(err.msg, "expected"));
        /* a negative step count is refused */
        int64_t neg = -1;
        memcpy(saved, &neg, sizeof neg);
        assert_int_equal(optim_state_load(b, saved, bytes, &err), RNNLM_E_FORMAT);
        /* reset: back to step 0 and the initial accumulators */
        optim_reset(b);
        assert_int_equal(optim_step_count(b), 0);
        for (size_t i = 0; i < optim_n_slots(b); i++)
            assert_true(optim_slots(b)[i] == (k == OPT_ADAGRAD ? c.adagrad_init : 0.0f));
        free(saved);
        optim_free(a);
        optim_free(b);
    }
}

static void test_bad_config(void **st) {
    (void)st;
    struct { opt_kind kind; int field; float value; } cases[] = {
        {OPT_ADAM, 0, 0.0f},      {OPT_ADAM, 0, -1.0f},   {OPT_ADAM, 0, NAN},
        {OPT_ADAM, 1, 1.0f},      {OPT_ADAM, 2, -0.1f},   {OPT_ADAM, 3, 0.0f},
        {OPT_ADAGRAD, 3, -1e-7f}, {OPT_ADAGRAD, 4, -0.1f}, {OPT_SGD, 0, INFINITY},
        {OPT_SGD, 5, NAN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        opt_config c = opt_config_default(cases[i].kind);
        float *f[] = {&c.lr, &c.beta1, &c.beta2, &c.eps, &c.adagrad_init, &c.clip};
        *f[cases[i].field] = cases[i].value;
        optim *o = (optim *)&c;   /* must be set to NULL on failure */
        rnnlm_err err = {0};
        assert_int_equal(optim_create(&o, &c, 10, &err), RNNLM_E_ARG);
        assert_null(o);
        assert_true(err.msg[0] != 0);
    }
    /* Adagrad with eps 0 and accumulator 0 would divide 0 by 0 */
    opt_config c = opt_config_default(OPT_ADAGRAD);
    c.eps = 0;
    c.adagrad_init = 0;
    optim *o;
    assert_int_equal(optim_create(&o, &c, 10, NULL), RNNLM_E_ARG);
    c.adagrad_init = 0.1f;
    assert_int_equal(optim_create(&o, &c, 10, NULL), RNNLM_OK);
    optim_free(o);
    /* a size whose state overflows */
    c = opt_config_default(OPT_ADAM);
    assert_int_equal(optim_create(&o, &c, SIZE_MAX / 4, NULL), RNNLM_E_NOMEM);
    c.kind = (opt_kind)7;
    assert_int_equal(optim_create(&o, &c, 10, NULL), RNNLM_E_ARG);
    assert_null(opt_kind_name((opt_kind)7));
    assert_string_equal(opt_kind_name(OPT_ADAGRAD), "adagrad");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_keras),
        cmocka_unit_test(test_adam_torch),
        cmocka_unit_test(test_adam_eps_placement_differs),
        cmocka_unit_test(test_adagrad),
        cmocka_unit_test(test_sgd),
        cmocka_unit_test(test_global_norm),
        cmocka_unit_test(test_clip_scales_to_clip_norm),
        cmocka_unit_test(test_clip_leaves_small_gradients),
        cmocka_unit_test(test_clip_step_equals_scale_then_step),
        cmocka_unit_test(test_nonfinite_norm_skips_step),
        cmocka_unit_test(test_state_roundtrip),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
