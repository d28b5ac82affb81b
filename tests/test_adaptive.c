/* test_adaptive.c: the adaptive softmax head (src/nn/adaptive.c).
 *
 *  - the cutoffs: a list not strictly increasing, a cutoff at or beyond V,
 *    none, too many, a malformed string, a divisor below 1 are refused with
 *    a message naming the option; a good list lays out the tensors
 *    contiguously with the shapes of the factorisation;
 *  - exactness: for 400 random contexts (fp32, the production instance), the
 *    probabilities of all V words sum to 1 within 1e-5; the target-only
 *    log-probability equals the whole distribution's entry, and the
 *    training loss equals minus the sum of those log-probabilities;
 *  - the gradient check: in double, every parameter of the head (head
 *    kernel and bias, each cluster's projection, kernel and bias) and the
 *    hidden input Y against central finite differences of the mean loss,
 *    with targets in every class and slices smaller than the batch (the
 *    error per tensor max |a - n| / max(|a|, |n|, 1e-7) <= 1e-6);
 *  - fp32 against fp64: the same loss and gradients to fp32 accuracy, on
 *    one worker and with the rows shared between three;
 *  - each of these for the tied head too (the embedding's rows as the
 *    output vectors: the embedding's gradient checked as well);
 *  - in a whole model (an LSTM and a GRU under the head, B = 2, T = 3): the
 *    double-precision gradient check of every tensor and of the initial
 *    state through model_loss_f64;
 *  - the checkpoint: an adaptive model saved and loaded has the same head
 *    (cutoffs, divisor) and bit-identical parameters;
 *  - inference through the library: rnnlm_feed's distribution sums to 1 at
 *    every step; rnnlm_score_batch (the cheap path: the head and one
 *    cluster per target) agrees with rnnlm_score_ids (the whole
 *    distribution) word by word, and both with the training forward pass
 *    (model_eval_batch) over the same sentence. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/rng.h"
#include "model/checkpoint.h"
#include "model/infer.h"
#include "model/model.h"
#include "nn/adaptive.h"

static double uni(rnnlm_rng *r) { return rnnlm_rng_double(r); }

static void refused(int V, const int *cut, int n, int div, const char *needle) {
    ada_layout a;
    rnnlm_err err = {0};
    assert_int_equal(ada_layout_init(&a, V, 8, cut, n, div, 0, &err), RNNLM_E_ARG);
    if (!strstr(err.msg, needle)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_cutoffs(void **state) {
    (void)state;
    refused(100, (int[]){20, 20}, 2, 4, "adaptive_cutoffs");
    refused(100, (int[]){30, 20}, 2, 4, "strictly increasing");
    refused(100, (int[]){20, 100}, 2, 4, "vocabulary's size 100");
    refused(100, (int[]){0}, 1, 4, "adaptive_cutoffs");
    refused(100, (int[]){20}, 0, 4, "adaptive_cutoffs");
    refused(100, (int[]){10}, 1, 0, "adaptive_div");
    refused(100, (int[]){1, 2, 3, 4, 5, 6, 7, 8, 9}, 9, 4, "adaptive_cutoffs");
    int cut[ADA_MAX_CLUSTERS], n = 0;
    rnnlm_err err = {0};
    const char *bad[] = {"", "2000,", "a,3", "2000;10000", "-5", "12x", ",3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ada_parse_cutoffs(bad[i], cut, &n, &err), RNNLM_E_ARG);
        assert_non_null(strstr(err.msg, "adaptive_cutoffs"));
    }
    assert_int_equal(ada_parse_cutoffs("2000,10000", cut, &n, &err), RNNLM_OK);
    assert_int_equal(n, 2);
    assert_int_equal(cut[0], 2000);
    assert_int_equal(cut[1], 10000);
    ada_layout a;
    assert_int_equal(ada_layout_init(&a, 20000, 64, cut, n, 4, 0, &err), RNNLM_OK);
    assert_int_equal(a.hs, 2002);
    assert_int_equal(a.d[1], 16);
    assert_int_equal(a.d[2], 4);
    size_t at = 0;
    for (int i = 0; i < 2 + 3 * a.n; i++) {
        char name[64];
        int ndim, shape[2];
        size_t off, count;
        ada_tensor(&a, i, name, sizeof name, &ndim, shape, &off, &count);
        assert_int_equal(off, at);
        at += count;
    }
    assert_int_equal(at, a.n_params);
    assert_int_equal(a.n_params, (size_t)64 * 2002 + 2002 + 64 * 16 + 16 * 8000 + 8000 +
                                     64 * 4 + 4 * 10000 + 10000);
    /* tied: the cluster tokens' vectors, the head's bias, a bias per cluster */
    assert_int_equal(ada_layout_init(&a, 20000, 64, cut, n, 4, 1, &err), RNNLM_OK);
    assert_int_equal(ada_n_tensors(&a), 4);
    at = 0;
    const char *names[4] = {"adaptive.head.clusters", "adaptive.head.bias", "adaptive.tail.1.bias",
                            "adaptive.tail.2.bias"};
    for (int i = 0; i < ada_n_tensors(&a); i++) {
        char name[64];
        int ndim, shape[2];
        size_t off, count;
        ada_tensor(&a, i, name, sizeof name, &ndim, shape, &off, &count);
        assert_string_equal(name, names[i]);
        assert_int_equal(off, at);
        at += count;
    }
    assert_int_equal(a.n_params, (size_t)64 * 2 + 2002 + 8000 + 10000);
    assert_int_equal(at, a.n_params);
}

/* V = 50 words: a head of 10, clusters [10, 25), [25, 50), H = 16, div 2 */
static void small_layout(ada_layout *a, int V, int H, int tied) {
    rnnlm_err err = {0};
    int cut[2] = {V / 5, V / 2};
    assert_int_equal(ada_layout_init(a, V, H, cut, 2, tied ? 4 : 2, tied, &err), RNNLM_OK);
}

static void sums_to_one(int tied) {
    ada_layout a;
    const int V = 50, H = 16, B = 8;
    small_layout(&a, V, H, tied);
    nn_compute cc;
    compute_init(&cc, 1);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 7);
    float *w = malloc(a.n_params * sizeof *w), *h = malloc((size_t)B * H * sizeof *h);
    float *logp = malloc((size_t)B * V * sizeof *logp);
    float *emb = tied ? malloc((size_t)V * H * sizeof *emb) : NULL;
    void *ws = aligned_alloc(64, ada_infer_bytes(&a, B));
    for (size_t i = 0; i < a.n_params; i++) w[i] = (float)(2 * uni(&r) - 1);
    for (int i = 0; tied && i < V * H; i++) emb[i] = (float)(uni(&r) - 0.5);
    int32_t tgt[B];
    double lp[B], worst = 0;
    for (int ctx = 0; ctx < 50; ctx++) {
        for (int i = 0; i < B * H; i++) h[i] = (float)(4 * uni(&r) - 2);
        for (int b = 0; b < B; b++) tgt[b] = (int32_t)(rnnlm_rng_next(&r) % V);
        ada_logprob_all_f32(&a, w, emb, &cc, h, B, ws, logp);
        ada_logprob_f32(&a, w, emb, &cc, h, B, tgt, ws, lp);
        for (int b = 0; b < B; b++) {
            double s = 0;
            for (int j = 0; j < V; j++) s += exp((double)logp[b * V + j]);
            worst = fmax(worst, fabs(s - 1));
            assert_true(fabs(lp[b] - logp[b * V + tgt[b]]) < 1e-5);
        }
        /* the training loss is minus the sum of the same log-probabilities */
        ada_ws_f32 *tw;
        rnnlm_err err = {0};
        assert_int_equal(ada_reserve_f32(&tw, &a, B, 3, &cc, &err), RNNLM_OK);
        double loss = 0, want = 0;
        int64_t cor = 0, cnt = 0;
        ada_head_f32(tw, &a, w, NULL, emb, NULL, &cc, h, tgt, B, 0, 1.0, &loss, &cor, &cnt, NULL);
        for (int b = 0; b < B; b++) want -= lp[b];
        assert_int_equal(cnt, B);
        assert_true(fabs(loss - want) < 1e-4 * fmax(1, fabs(want)));
        ada_free_f32(tw, &cc);
    }
    printf("%s400 contexts: worst |sum p - 1| = %.2e\n", tied ? "tied: " : "", worst);
    assert_true(worst <= 1e-5);
    free(w);
    free(h);
    free(logp);
    free(emb);
    free(ws);
}

static void test_sums_to_one(void **state) {
    (void)state;
    sums_to_one(0);
    sums_to_one(1);
}

typedef struct {
    ada_layout a;
    nn_compute cc;
    ada_ws_f64 *ws;
    int N;
    int32_t tgt[12];
    double *w, *Y, *emb;   /* emb (V, H): tied only, else NULL */
} problem;

static double loss_at(problem *p) {
    double loss = 0;
    int64_t cor = 0, cnt = 0;
    ada_head_f64(p->ws, &p->a, p->w, NULL, p->emb, NULL, &p->cc, p->Y, p->tgt, p->N, 0, 0, &loss, &cor, &cnt,
                 NULL);
    return loss / p->N;
}

static double numeric(problem *p, double *v) {
    const double eps = 1e-5, keep = *v;
    *v = keep + eps;
    double lp = loss_at(p);
    *v = keep - eps;
    double lm = loss_at(p);
    *v = keep;
    return (lp - lm) / (2 * eps);
}

static double error_of(problem *p, const double *an, double *v, size_t n) {
    double diff = 0, mag = 1e-7;
    for (size_t i = 0; i < n; i++) {
        double nu = numeric(p, &v[i]);
        diff = fmax(diff, fabs(an[i] - nu));
        mag = fmax(mag, fmax(fabs(an[i]), fabs(nu)));
    }
    return diff / mag;
}

static void gradcheck(int tied) {
    problem p;
    const int V = 20, H = 6;
    rnnlm_err err = {0};
    assert_int_equal(ada_layout_init(&p.a, V, H, (int[]){5, 9, 14}, 3, tied ? 4 : 2, tied, &err), RNNLM_OK);
    compute_init(&p.cc, 1);
    p.N = 12;
    /* every class: head words, each cluster, the edges of the ranges */
    const int32_t t[12] = {0, 4, 5, 8, 9, 13, 14, 19, 2, 11, 17, 6};
    memcpy(p.tgt, t, sizeof t);
    assert_int_equal(ada_reserve_f64(&p.ws, &p.a, p.N, 5, &p.cc, &err), RNNLM_OK);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 3);
    p.w = malloc(p.a.n_params * sizeof *p.w);
    p.Y = malloc((size_t)p.N * H * sizeof *p.Y);
    double *g = calloc(p.a.n_params, sizeof *g), *dY = malloc((size_t)p.N * H * sizeof *dY);
    p.emb = tied ? malloc((size_t)V * H * sizeof *p.emb) : NULL;
    double *gemb = tied ? calloc((size_t)V * H, sizeof *gemb) : NULL;
    for (size_t i = 0; i < p.a.n_params; i++) p.w[i] = uni(&r) - 0.5;
    for (int i = 0; i < p.N * H; i++) p.Y[i] = 2 * uni(&r) - 1;
    for (int i = 0; tied && i < V * H; i++) p.emb[i] = uni(&r) - 0.5;
    double loss = 0;
    int64_t cor = 0, cnt = 0;
    ada_head_f64(p.ws, &p.a, p.w, g, p.emb, gemb, &p.cc, p.Y, p.tgt, p.N, 1, 1.0 / p.N, &loss, &cor, &cnt, dY);
    double worst = 0;
    if (tied) {   /* every row of the embedding: head words' and each cluster's */
        double e = error_of(&p, gemb, p.emb, (size_t)V * H);
        printf("%-24s error %.2e\n", "tied: embedding", e);
        worst = fmax(worst, e);
    }
    for (int i = 0; i < ada_n_tensors(&p.a); i++) {
        char name[64];
        int ndim, shape[2];
        size_t off, count;
        ada_tensor(&p.a, i, name, sizeof name, &ndim, shape, &off, &count);
        double e = error_of(&p, g + off, p.w + off, count);
        printf("%-24s error %.2e\n", name, e);
        worst = fmax(worst, e);
    }
    double e = error_of(&p, dY, p.Y, (size_t)p.N * H);
    printf("%-24s error %.2e\n", "hidden input Y", e);
    worst = fmax(worst, e);
    assert_true(worst <= 1e-6);

    /* fp32 against fp64 */
    float *w32 = malloc(p.a.n_params * sizeof *w32), *Y32 = malloc((size_t)p.N * H * sizeof *Y32);
    float *g32 = calloc(p.a.n_params, sizeof *g32), *dY32 = malloc((size_t)p.N * H * sizeof *dY32);
    float *emb32 = tied ? malloc((size_t)V * H * sizeof *emb32) : NULL;
    float *gemb32 = tied ? calloc((size_t)V * H, sizeof *gemb32) : NULL;
    for (size_t i = 0; i < p.a.n_params; i++) w32[i] = (float)p.w[i];
    for (int i = 0; i < p.N * H; i++) Y32[i] = (float)p.Y[i];
    for (int i = 0; tied && i < V * H; i++) emb32[i] = (float)p.emb[i];
    /* on one worker, then with the rows shared between 3 (the helpers'
     * private gradients added after): the same loss, hits and gradients */
    for (int workers = 1; workers <= 3; workers += 2) {
        nn_compute cw;
        compute_init(&cw, workers);
        ada_ws_f32 *ws32;
        assert_int_equal(ada_reserve_f32(&ws32, &p.a, p.N, workers == 1 ? 5 : 2, &cw, &err), RNNLM_OK);
        memset(g32, 0, p.a.n_params * sizeof *g32);
        if (tied) memset(gemb32, 0, (size_t)V * H * sizeof *gemb32);
        double l32 = 0;
        int64_t c32 = 0, n32 = 0;
        ada_head_f32(ws32, &p.a, w32, g32, emb32, gemb32, &cw, Y32, p.tgt, p.N, 1, 1.0 / p.N, &l32, &c32, &n32,
                     dY32);
        assert_true(fabs(l32 - loss) < 1e-5 * fabs(loss));
        assert_int_equal(c32, cor);
        for (size_t i = 0; i < p.a.n_params; i++) assert_true(fabs(g32[i] - g[i]) < 1e-6);
        for (int i = 0; i < p.N * H; i++) assert_true(fabs(dY32[i] - dY[i]) < 1e-6);
        for (int i = 0; tied && i < V * H; i++) assert_true(fabs(gemb32[i] - gemb[i]) < 1e-6);
        ada_free_f32(ws32, &cw);
    }
    ada_free_f64(p.ws, &p.cc);
    free(w32);
    free(Y32);
    free(g32);
    free(dY32);
    free(emb32);
    free(gemb32);
    free(p.w);
    free(p.Y);
    free(p.emb);
    free(g);
    free(gemb);
    free(dY);
}

static void test_gradcheck(void **state) {
    (void)state;
    gradcheck(0);
    gradcheck(1);
}

static model *adaptive_model(cell_kind cell, int V, int tied) {
    model_config c = {.cell = cell, .V = V, .E = tied ? 6 : 5, .H = 6, .L = 1, .init = INIT_UNIFORM,
                      .tied = tied, .adaptive = 1, .ada_n = 2, .ada_cut = {4, 8}, .ada_div = tied ? 4 : 2};
    model *m = NULL;
    rnnlm_err err = {0};
    if (model_create(&m, &c, &err)) fail_msg("model_create: %s", err.msg);
    model_init_params(m, 5);
    return m;
}

static double model_loss_at(const model *m, const double *p, const double *s0, const int32_t *x,
                            const int32_t *y) {
    double loss = 0;
    rnnlm_err err = {0};
    assert_int_equal(model_loss_f64(m, p, s0, x, y, 2, 3, NULL, &loss, NULL, NULL, &err), RNNLM_OK);
    return loss;
}

/* worst relative error of the analytic gradient a (n) over the values v (n) */
static double model_error(const model *m, double *p, double *s0, const int32_t *x, const int32_t *y,
                          const double *a, double *v, size_t n) {
    double diff = 0, mag = 1e-7;
    for (size_t i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + 1e-5;
        double lp = model_loss_at(m, p, s0, x, y);
        v[i] = keep - 1e-5;
        double lm = model_loss_at(m, p, s0, x, y);
        v[i] = keep;
        double nu = (lp - lm) / 2e-5;
        diff = fmax(diff, fabs(a[i] - nu));
        mag = fmax(mag, fmax(fabs(a[i]), fabs(nu)));
    }
    return diff / mag;
}

static void test_model_gradcheck(void **state) {
    (void)state;
    const cell_kind cells[2] = {CELL_LSTM, CELL_GRU};
    const int32_t x[6] = {1, 5, 9, 2, 11, 7}, y[6] = {5, 9, 3, 11, 0, 8};   /* every class */
    for (int c = 0; c < 4; c++) {
        int tied = c >= 2;
        model *m = adaptive_model(cells[c % 2], 12, tied);
        size_t np = model_n_params(m), ns = (size_t)2 * 1 * 6 * (cells[c % 2] == CELL_LSTM ? 2 : 1);
        double *p = malloc(np * sizeof *p), *g = calloc(np, sizeof *g);
        double *s0 = malloc(ns * sizeof *s0), *gs = calloc(ns, sizeof *gs);
        rnnlm_rng r;
        rnnlm_rng_seed(&r, 11);
        for (size_t i = 0; i < np; i++) p[i] = rnnlm_rng_double(&r) - 0.5;
        for (size_t i = 0; i < ns; i++) s0[i] = rnnlm_rng_double(&r) - 0.5;
        double loss = 0;
        rnnlm_err err = {0};
        assert_int_equal(model_loss_f64(m, p, s0, x, y, 2, 3, NULL, &loss, g, gs, &err), RNNLM_OK);
        double worst = 0;
        for (int k = 0; k < model_n_tensors(m); k++) {
            const model_tensor *t = model_tensor_at(m, k);
            worst = fmax(worst, model_error(m, p, s0, x, y, g + t->offset, p + t->offset, t->count));
        }
        worst = fmax(worst, model_error(m, p, s0, x, y, gs, s0, ns));
        printf("%s under the %sadaptive head: %d tensors, worst gradient error %.2e\n",
               cells[c % 2] == CELL_LSTM ? "LSTM" : "GRU", tied ? "tied " : "", model_n_tensors(m), worst);
        assert_int_equal(model_n_tensors(m), 3 + 1 + 2 + (tied ? 1 : 3) * 2);
        assert_true(worst <= 1e-6);
        free(p);
        free(g);
        free(s0);
        free(gs);
        model_free(m);
    }
}

static rnnlm_vocab *small_vocab(int V) {
    static char store[12][8];
    const char *words[12];
    uint64_t counts[12];
    for (int i = 0; i < V; i++) {
        snprintf(store[i], sizeof store[i], i == 0 ? "<s>" : i == 1 ? "</s>" : i == 2 ? "<unk>" : "w%d", i);
        words[i] = store[i];
        counts[i] = i < 3 ? 0 : (uint64_t)(100 - i);
    }
    rnnlm_vocab *v = NULL;
    rnnlm_err err = {0};
    assert_int_equal(rnnlm_vocab_from_words(&v, words, counts, (size_t)V, RNNLM_CANON_NONE, 12, &err), RNNLM_OK);
    return v;
}

static void checkpoint_roundtrip(int tied) {
    const int V = 12;
    rnnlm_err err = {0};
    rnnlm_vocab *v = small_vocab(V);
    model *m = adaptive_model(CELL_LSTM, V, tied);
    char path[] = "/tmp/test_adaptive_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    assert_int_equal(checkpoint_save(path, m, v, NULL, 0, NULL, 0, &err), RNNLM_OK);
    model *m2 = NULL;
    rnnlm_vocab *v2 = NULL;
    if (checkpoint_load(path, &m2, &v2, NULL, &err)) fail_msg("checkpoint_load: %s", err.msg);
    const model_config *c = model_cfg(m2);
    assert_int_equal(c->adaptive, 1);
    assert_int_equal(c->tied, tied);
    assert_int_equal(c->ada_n, 2);
    assert_int_equal(c->ada_cut[0], 4);
    assert_int_equal(c->ada_cut[1], 8);
    assert_int_equal(c->ada_div, tied ? 4 : 2);
    assert_int_equal(model_n_params(m2), model_n_params(m));
    assert_memory_equal(model_params(m2), model_params(m), model_n_params(m) * sizeof(float));
    unlink(path);
    model_free(m);
    model_free(m2);
    rnnlm_vocab_free(v);
    rnnlm_vocab_free(v2);
}

static void test_checkpoint_roundtrip(void **state) {
    (void)state;
    checkpoint_roundtrip(0);
    checkpoint_roundtrip(1);
}

static void inference(int tied) {
    const int V = 12;
    rnnlm_err err = {0};
    model *m = adaptive_model(CELL_LSTM, V, tied);
    /* weights large enough that the distributions are far from uniform */
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 9);
    for (size_t i = 0; i < model_n_params(m); i++) model_params(m)[i] = (float)(2 * rnnlm_rng_double(&r) - 1);
    rnnlm_model *rm = NULL;
    assert_int_equal(infer_model_wrap(&rm, m, small_vocab(V), &err), RNNLM_OK);
    const int32_t ids[9] = {3, 9, 11, 4, 7, 2, 10, 5, 8};   /* two sentences: 5 and 4 words */
    const size_t offsets[3] = {0, 5, 9};
    rnnlm_sentence_score out[2], one;
    double pw_batch[11], pw_one[6];
    assert_int_equal(rnnlm_score_batch(rm, ids, offsets, 2, 2, out, pw_batch, &err), RNNLM_OK);
    rnnlm_state *st = NULL;
    assert_int_equal(rnnlm_state_create(&st, rm, &err), RNNLM_OK);
    for (int s = 0; s < 2; s++) {
        size_t n = offsets[s + 1] - offsets[s];
        assert_int_equal(rnnlm_score_ids(st, ids + offsets[s], n, &one, pw_one, &err), RNNLM_OK);
        for (size_t i = 0; i <= n; i++) assert_true(fabs(pw_one[i] - pw_batch[offsets[s] + s + i]) < 1e-5);
        assert_true(fabs(one.logprob - out[s].logprob) < 1e-4);
    }
    /* the training forward pass over sentence 1: <s> w... -> w... </s> (id 0 ends it) */
    int32_t x[6] = {0, 3, 9, 11, 4, 7}, y[6] = {3, 9, 11, 4, 7, 0};
    model *mm = (model *)infer_model(rm);
    assert_int_equal(model_reserve(mm, 1, 6, &err), RNNLM_OK);
    model_reset_state(mm);
    batch_stats bs = {0, 0, 0};
    assert_int_equal(model_eval_batch(mm, x, y, 1, 6, &bs, &err), RNNLM_OK);
    assert_true(fabs(-bs.loss_sum - out[0].logprob) < 1e-4);
    /* rnnlm_feed: the whole distribution, summing to 1 */
    float lp[12];
    rnnlm_state_reset(st);
    for (int t = 0; t < 6; t++) {
        assert_int_equal(rnnlm_feed(st, x[t], lp, &err), RNNLM_OK);
        double sum = 0;
        for (int j = 0; j < V; j++) sum += exp((double)lp[j]);
        assert_true(fabs(sum - 1) < 1e-5);
        assert_true(fabs(lp[y[t]] - pw_batch[t]) < 1e-5);
    }
    rnnlm_state_free(st);
    rnnlm_model_free(rm);
}

static void test_inference(void **state) {
    (void)state;
    inference(0);
    inference(1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cutoffs),
        cmocka_unit_test(test_sums_to_one),
        cmocka_unit_test(test_gradcheck),
        cmocka_unit_test(test_model_gradcheck),
        cmocka_unit_test(test_checkpoint_roundtrip),
        cmocka_unit_test(test_inference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
