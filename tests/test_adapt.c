/* test_adapt.c: rnnlm_eval_adapt (rnnlm.h, "adapting at evaluation") on
 * tiny models. Off, it is feeding one state to the bit; dynamic evaluation
 * scores a segment before it learns from it (the first segment is the plain
 * model's, a later token never changes an earlier score), its step is the
 * documented rule (recomputed here by hand), and it learns a repeated text;
 * the continuous cache is a distribution (sums to 1 over the vocabulary),
 * is the plain model at lambda 0, and matches a brute-force computation in
 * double; both work with the adaptive softmax; the loaded model is never
 * changed; bad options are refused naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/infer.h"
#include "model/model.h"
#include "train/optim.h"
#include "rnnlm.h"
#include "util.h"
#include "sharp_model.h"

#define V_TEST 17
#define N_PAIRS 61

/* A tiny model of kind cell with weights that make sharp predictions. */
static rnnlm_model *tiny(cell_kind cell, int adaptive) {
    model_config cfg = {.cell = cell, .V = V_TEST, .E = 8, .H = 8, .L = 2, .dropout = 0.3f,
                        .init = INIT_UNIFORM, .threads = 1};
    if (adaptive) {
        cfg.adaptive = 1;
        cfg.ada_n = 2;
        cfg.ada_cut[0] = 5;
        cfg.ada_cut[1] = 11;
        cfg.ada_div = 2;
    }
    model *m = sharp_model(&cfg, 11);
    rnnlm_err err;
    rnnlm_model *rm = NULL;
    assert_int_equal(infer_model_wrap(&rm, m, util_make_vocab(V_TEST), &err), RNNLM_OK);
    return rm;
}

/* A stream with some repetition, so that a cache finds matches. */
static void stream(int32_t *ids, size_t n) {
    for (size_t i = 0; i < n; i++) ids[i] = (int32_t)(i % 9 == 0 ? RNNLM_BOS : 3 + (i * 7 + i / 5) % (V_TEST - 3));
}

/* Each pair's log P by one state fed the stream (the plain model). */
static void feed_scores(const rnnlm_model *m, const int32_t *ids, size_t n, double *lp) {
    rnnlm_state *s = NULL;
    rnnlm_err err;
    float l[V_TEST];
    assert_int_equal(rnnlm_state_create(&s, m, &err), RNNLM_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rnnlm_feed(s, ids[i], l, &err), RNNLM_OK);
        lp[i] = l[ids[i + 1]];
    }
    rnnlm_state_free(s);
}

static rnnlm_adapt_options opts(double lr, int seg, int N, double theta, double lambda) {
    rnnlm_adapt_options o;
    rnnlm_adapt_options_default(&o);
    o.dynamic_lr = lr;
    o.dynamic_segment = seg;
    o.cache_size = N;
    o.cache_theta = theta;
    o.cache_lambda = lambda;
    return o;
}

static void adapt(const rnnlm_model *m, const int32_t *x, const int32_t *y, size_t n, const rnnlm_adapt_options *o,
                  rnnlm_adapt_result *r, double *lp) {
    rnnlm_err err;
    assert_int_equal(rnnlm_eval_adapt(m, x, y, n, o, r, lp, &err), RNNLM_OK);
    assert_int_equal(r->count, (int64_t)n);
}

/* Off (and lr 0, lambda 0 with a cache): each score is the one-state
 * feed's, bit for bit, and the total the B = 1 evaluation's to rounding. */
static void test_off_is_plain(void **state) {
    (void)state;
    rnnlm_model *m = tiny(CELL_LSTM, 0);
    int32_t ids[N_PAIRS + 1];
    stream(ids, N_PAIRS + 1);
    double ref[N_PAIRS], lp[N_PAIRS];
    feed_scores(m, ids, N_PAIRS, ref);
    rnnlm_adapt_options off[3] = {opts(0, 20, 0, 0.3, 0.1), opts(0, 7, 5, 0.3, 0), opts(0, 1, 0, 1, 0.5)};
    for (int k = 0; k < 3; k++) {
        rnnlm_adapt_result r;
        adapt(m, ids, ids + 1, N_PAIRS, &off[k], &r, lp);
        double sum = 0;
        for (int i = 0; i < N_PAIRS; i++) {
            assert_true((float)lp[i] == (float)ref[i]);
            sum -= lp[i];
        }
        assert_true(r.loss_sum == sum);
        assert_int_equal(r.steps, 0);
    }
    rnnlm_eval_options eo = {.B = 1, .T = 20, .recipe = 0, .threads = 1};
    rnnlm_eval_stream_result es;
    rnnlm_err err;
    rnnlm_adapt_result r;
    adapt(m, ids, ids + 1, N_PAIRS, &off[0], &r, NULL);
    assert_int_equal(rnnlm_eval_stream(m, ids, ids + 1, N_PAIRS, &eo, &es, &err), RNNLM_OK);
    assert_true(fabs(es.r.loss_sum - r.loss_sum) < 1e-4 * fabs(r.loss_sum));
    rnnlm_model_free(m);
}

/* Dynamic evaluation: the first segment is scored by the trained weights;
 * later ones differ; a token changed at k changes no score before k. */
static void test_dynamic_scores_before_learning(void **state) {
    (void)state;
    rnnlm_model *m = tiny(CELL_GRU, 0);
    int32_t ids[N_PAIRS + 1], alt[N_PAIRS + 1];
    stream(ids, N_PAIRS + 1);
    double ref[N_PAIRS], lp[N_PAIRS], lp2[N_PAIRS];
    feed_scores(m, ids, N_PAIRS, ref);
    rnnlm_adapt_options o = opts(0.5, 10, 0, 0.3, 0.1);
    o.dynamic_decay = 0.1;
    rnnlm_adapt_result r;
    adapt(m, ids, ids + 1, N_PAIRS, &o, &r, lp);
    assert_int_equal(r.steps, (N_PAIRS + 9) / 10);
    for (int i = 0; i < 10; i++) assert_true((float)lp[i] == (float)ref[i]);
    int differ = 0;
    for (int i = 10; i < N_PAIRS; i++) differ += (float)lp[i] != (float)ref[i];
    assert_true(differ > 0);
    /* with the cache on as well: change token k (a target and the next input) */
    o.cache_size = 6;
    adapt(m, ids, ids + 1, N_PAIRS, &o, &r, lp);
    const int ks[] = {1, 10, 11, 25, 60};
    for (size_t j = 0; j < sizeof ks / sizeof *ks; j++) {
        int k = ks[j];
        memcpy(alt, ids, sizeof alt);
        alt[k] = (int32_t)(3 + (alt[k] + 1) % (V_TEST - 3));
        adapt(m, alt, alt + 1, N_PAIRS, &o, &r, lp2);
        for (int i = 0; i < k - 1; i++) assert_memory_equal(&lp[i], &lp2[i], sizeof lp[i]);
        assert_true(lp[k - 1] != lp2[k - 1]);   /* pair k-1 predicts token k */
    }
    rnnlm_model_free(m);
}

/* One state stepped with w over x (n), logprobs of y into lp (NULL: none). */
static void step_with(const model_weights *w, float *h, float *c, float *ws, const int32_t *x, const int32_t *y, int n,
                      double *lp) {
    float logits[V_TEST];
    double lse;
    for (int t = 0; t < n; t++) {
        infer_step_f32(w, x + t, 1, h, c, ws, logits, &lse);
        if (lp) lp[t] = (double)logits[y[t]] - lse;
    }
}

/* The second segment's scores are those of the weights after the rule
 * theta - lr clip(g) + decay (theta0 - theta), g the first segment's mean
 * loss gradient from the zero state, recomputed here. */
static void test_dynamic_step_rule(void **state) {
    (void)state;
    rnnlm_model *m = tiny(CELL_LSTM, 0);
    enum { S = 8 };
    int32_t ids[2 * S + 1];
    stream(ids, 2 * S + 1);
    rnnlm_adapt_options o = opts(0.3, S, 0, 0.3, 0.1);
    o.dynamic_decay = 0.25;
    o.dynamic_clip = 0.5;   /* the gradient of these sharp weights is larger: the clip acts */
    double lp[2 * S], want[S];
    rnnlm_adapt_result r;
    adapt(m, ids, ids + 1, 2 * S, &o, &r, lp);

    const model *src = infer_model(m);
    model_config cfg = *model_cfg(src);
    cfg.dropout = 0;
    model *c = NULL;
    rnnlm_err err;
    assert_int_equal(model_create(&c, &cfg, &err), RNNLM_OK);
    size_t np = model_n_params(c);
    float *p = model_params(c), *p0 = malloc(np * sizeof *p0);
    memcpy(p, model_params((model *)src), np * sizeof *p);
    memcpy(p0, p, np * sizeof *p);
    assert_int_equal(model_reserve(c, 1, S, &err), RNNLM_OK);
    model_zero_grads(c);
    batch_stats bs;
    assert_int_equal(model_train_batch(c, ids, ids + 1, 1, S, NULL, &bs, &err), RNNLM_OK);
    const float *g = model_grads(c);
    double norm = grad_global_norm(g, np);
    assert_true(norm > o.dynamic_clip);
    float a = (float)(o.dynamic_lr * (o.dynamic_clip / norm)), d = (float)o.dynamic_decay;
    float *p1 = malloc(np * sizeof *p1);
    for (size_t i = 0; i < np; i++) p1[i] = p[i] - a * g[i] + d * (p0[i] - p[i]);
    /* the state after segment 1 comes from the trained weights */
    model_weights w0, w1;
    model_weights_bind((model *)src, &w0);
    size_t LH = (size_t)cfg.L * (size_t)cfg.H;
    float *h = calloc(2 * LH, sizeof *h), *ws = calloc(infer_workspace_f32(&w0, 1), sizeof *ws);
    step_with(&w0, h, h + LH, ws, ids, ids + 1, S, NULL);
    memcpy(p, p1, np * sizeof *p);
    model_weights_bind(c, &w1);
    step_with(&w1, h, h + LH, ws, ids + S, ids + S + 1, S, want);
    for (int t = 0; t < S; t++) assert_true(fabs(lp[S + t] - want[t]) < 1e-5);
    assert_int_equal(r.steps, 2);
    free(h);
    free(ws);
    free(p0);
    free(p1);
    model_free(c);
    rnnlm_model_free(m);
}

/* On a text that repeats, dynamic evaluation lowers the loss. */
static void test_dynamic_learns_repetition(void **state) {
    (void)state;
    rnnlm_model *m = tiny(CELL_LSTM, 0);
    enum { N = 240 };
    int32_t ids[N + 1];
    for (int i = 0; i <= N; i++) ids[i] = (int32_t)(3 + (i % 12) * 5 % (V_TEST - 3));
    rnnlm_adapt_options plain = opts(0, 20, 0, 0.3, 0.1), dyn = opts(5.0, 12, 0, 0.3, 0.1);
    rnnlm_adapt_result a, b;
    adapt(m, ids, ids + 1, N, &plain, &a, NULL);
    adapt(m, ids, ids + 1, N, &dyn, &b, NULL);
    assert_true(b.loss_sum < 0.8 * a.loss_sum);
    rnnlm_model_free(m);
}

/* Sum over every word w of P(w) at pair t: the target of pair t set to w
 * (the rest of the stream as it is). */
static double mass_at(const rnnlm_model *m, const int32_t *ids, size_t n, size_t t, const rnnlm_adapt_options *o) {
    int32_t *y = malloc(n * sizeof *y);
    double *lp = malloc(n * sizeof *lp), sum = 0;
    memcpy(y, ids + 1, n * sizeof *y);
    for (int w = 0; w < V_TEST; w++) {
        rnnlm_adapt_result r;
        y[t] = w;
        adapt(m, ids, y, n, o, &r, lp);
        sum += exp(lp[t]);
    }
    free(y);
    free(lp);
    return sum;
}

/* The cache's mixture is a distribution (full and adaptive softmax, with
 * and without dynamic evaluation under it), and lambda 0 is the model. */
static void test_cache_is_distribution(void **state) {
    (void)state;
    int32_t ids[N_PAIRS + 1];
    stream(ids, N_PAIRS + 1);
    for (int adaptive = 0; adaptive < 2; adaptive++) {
        rnnlm_model *m = tiny(CELL_LSTM, adaptive);
        rnnlm_adapt_options o = opts(0, 20, 10, 0.7, 0.3), od = opts(0.2, 9, 10, 0.7, 0.3);
        const size_t ts[] = {1, 9, 30, N_PAIRS - 1};
        for (size_t j = 0; j < sizeof ts / sizeof *ts; j++) {
            assert_true(fabs(mass_at(m, ids, N_PAIRS, ts[j], &o) - 1.0) < 1e-5);
            assert_true(fabs(mass_at(m, ids, N_PAIRS, ts[j], &od) - 1.0) < 1e-5);
        }
        double ref[N_PAIRS], lp[N_PAIRS];
        rnnlm_adapt_result r;
        rnnlm_adapt_options off = opts(0, 20, 0, 0.3, 0.1), zero = opts(0, 20, 10, 0.7, 0);
        adapt(m, ids, ids + 1, N_PAIRS, &off, &r, ref);
        adapt(m, ids, ids + 1, N_PAIRS, &zero, &r, lp);
        assert_memory_equal(ref, lp, sizeof ref);
        if (!adaptive) {   /* the full softmax's scores are the one-state feed's */
            double fed[N_PAIRS];
            feed_scores(m, ids, N_PAIRS, fed);
            for (int i = 0; i < N_PAIRS; i++) assert_true((float)fed[i] == (float)ref[i]);
        } else {           /* the adaptive head scores the target alone: rounding apart */
            double fed[N_PAIRS];
            feed_scores(m, ids, N_PAIRS, fed);
            for (int i = 0; i < N_PAIRS; i++) assert_true(fabs(fed[i] - ref[i]) < 1e-5);
        }
        rnnlm_model_free(m);
    }
}

/* P_cache by brute force, in double, from the states of the stream
 * stepped here: the library's mixture agrees at every pair. */
static void test_cache_brute_force(void **state) {
    (void)state;
    rnnlm_model *m = tiny(CELL_RNN, 0);
    int32_t ids[N_PAIRS + 1];
    stream(ids, N_PAIRS + 1);
    enum { NC = 7 };
    const double theta = 0.9, lambda = 0.35;
    rnnlm_adapt_options o = opts(0, 20, NC, theta, lambda);
    double lp[N_PAIRS], model_lp[N_PAIRS];
    rnnlm_adapt_result r;
    adapt(m, ids, ids + 1, N_PAIRS, &o, &r, lp);
    const model *src = infer_model(m);
    const model_config *cfg = model_cfg(src);
    size_t H = (size_t)cfg->H, LH = (size_t)cfg->L * H;
    model_weights w;
    model_weights_bind((model *)src, &w);
    float *h = calloc(LH, sizeof *h), *ws = calloc(infer_workspace_f32(&w, 1), sizeof *ws);
    double(*hs)[8] = calloc(N_PAIRS, sizeof *hs);
    assert_int_equal(H, 8);
    for (int t = 0; t < N_PAIRS; t++) {
        step_with(&w, h, NULL, ws, ids + t, ids + t + 1, 1, &model_lp[t]);
        for (size_t k = 0; k < H; k++) hs[t][k] = h[(LH - H) + k];   /* the top layer */
    }
    int mixed = 0;
    for (int t = 0; t < N_PAIRS; t++) {
        double want = model_lp[t];
        if (t > 0) {
            double z = 0, num = 0;
            for (int i = t - 1; i >= 0 && i >= t - NC; i--) {
                double d = 0;
                for (size_t k = 0; k < H; k++) d += hs[t][k] * hs[i][k];
                double e = exp(theta * d);
                z += e;
                if (ids[i + 1] == ids[t + 1]) num += e;
            }
            want = log((1 - lambda) * exp(model_lp[t]) + lambda * num / z);
            mixed += num > 0;
        }
        assert_true(fabs(lp[t] - want) < 1e-6 * (1 + fabs(want)));
    }
    assert_true(mixed > 10);   /* the stream repeats: the cache matched often */
    free(hs);
    free(h);
    free(ws);
    rnnlm_model_free(m);
}

/* The loaded model stays as it was: its scores after an adapted run are
 * those before, to the bit. */
static void test_model_untouched(void **state) {
    (void)state;
    rnnlm_model *m = tiny(CELL_LSTM, 1);
    int32_t ids[N_PAIRS + 1];
    stream(ids, N_PAIRS + 1);
    double before[N_PAIRS], after[N_PAIRS];
    feed_scores(m, ids, N_PAIRS, before);
    rnnlm_adapt_options o = opts(1.0, 5, 20, 0.5, 0.2);
    o.dynamic_decay = 0.05;
    rnnlm_adapt_result r;
    adapt(m, ids, ids + 1, N_PAIRS, &o, &r, NULL);
    assert_true(r.steps > 0);
    feed_scores(m, ids, N_PAIRS, after);
    assert_memory_equal(before, after, sizeof before);
    rnnlm_model_free(m);
}

static void refused(const rnnlm_model *m, const rnnlm_adapt_options *o, const char *field) {
    int32_t ids[4] = {0, 3, 4, 0};
    rnnlm_adapt_result r;
    rnnlm_err err;
    assert_int_equal(rnnlm_adapt_options_check(o, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, field));
    assert_int_equal(rnnlm_eval_adapt(m, ids, ids + 1, 3, o, &r, NULL, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, field));
}

static void test_refusals(void **state) {
    (void)state;
    rnnlm_model *m = tiny(CELL_RNN, 0);
    rnnlm_adapt_options o = opts(-0.1, 20, 0, 0.3, 0.1);
    refused(m, &o, "dynamic_lr");
    o = opts(NAN, 20, 0, 0.3, 0.1);
    refused(m, &o, "dynamic_lr");
    o = opts(0.1, 0, 0, 0.3, 0.1);
    refused(m, &o, "dynamic_segment");
    o = opts(0.1, 20, 0, 0.3, 0.1);
    o.dynamic_decay = 1.5;
    refused(m, &o, "dynamic_decay");
    o = opts(0, 20, 100001, 0.3, 0.1);
    refused(m, &o, "cache_size");
    o = opts(0, 20, 10, 0.3, 1.0);
    refused(m, &o, "cache_lambda");
    o = opts(0, 20, 10, -1, 0.1);
    refused(m, &o, "cache_theta");
    int32_t bad[3] = {0, V_TEST, 0};
    rnnlm_adapt_result r;
    rnnlm_err err;
    o = opts(0, 20, 0, 0.3, 0.1);
    assert_int_equal(rnnlm_eval_adapt(m, bad, bad + 1, 2, &o, &r, NULL, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_eval_adapt(m, bad, bad + 1, 0, &o, &r, NULL, &err), RNNLM_E_ARG);
    rnnlm_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_is_plain),
        cmocka_unit_test(test_dynamic_scores_before_learning),
        cmocka_unit_test(test_dynamic_step_rule),
        cmocka_unit_test(test_dynamic_learns_repetition),
        cmocka_unit_test(test_cache_is_distribution),
        cmocka_unit_test(test_cache_brute_force),
        cmocka_unit_test(test_model_untouched),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
