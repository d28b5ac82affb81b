/* test_sampled.c: the sampled softmax (docs/RECIPE.md section 4) and its sparse
 * updates.
 *
 *  - the log-uniform sampler: sum of P is 1; empirical frequencies of single
 *    draws against P(k) by a chi-square test at a fixed seed; unique sampling
 *    gives K distinct ids and counts its tries; the expected counts
 *    -expm1(tries log1p(-P(k))) against the formula written out here and
 *    against the observed frequency of "k drawn at least once in tries draws";
 *  - reduction to the full softmax: every class as a candidate (K = V, in a
 *    shuffled order), no correction (tries = 0). The target's logit sits in
 *    slot 0 and its candidate copy is masked, so the sampled logits are the V
 *    full ones, once each: loss, every parameter gradient and the state
 *    gradient equal the full softmax's within 1e-6 in double (and to fp32
 *    accuracy in the production fp32 pass);
 *  - the correction: with all V candidates and tries > 0, the sampled loss
 *    is the full softmax loss of the same model with log Q(k) taken off
 *    every output bias;
 *  - accidental hits: adding a position's target to the candidates leaves
 *    the loss and gradients unchanged (its copy is masked), while adding any
 *    other class changes them;
 *  - the gradient check: central finite differences in double of the sampled
 *    loss with a fixed candidate set (with hits), every tensor and the
 *    initial state, RNN, LSTM, GRU, tied embeddings;
 *  - sparsity: after a sampled batch the gradient of the embedding, output
 *    kernel and bias is zero outside the rows model_touched lists, those lists
 *    are the inputs and the union of candidates and targets, and
 *    model_zero_grads_touched zeroes the whole gradient again;
 *  - the sparse optimiser step: norm equal to the dense norm; SGD and
 *    Adagrad sparse steps equal the dense ones; lazy Adam leaves untouched
 *    rows (weights and both moments) exactly as they were and updates touched
 *    rows as dense Adam does; --dense-adam is bit-identical to the dense step
 *    (untouched rows' moments decay and their weights move);
 *  - end to end: a trainer with the sampled loss lowers the full-softmax loss
 *    of a small model on a repetitive stream. */
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
#include "train/optim.h"
#include "core/sampler.h"
#include "train/step.h"

/* ------------------------------------------------------------------ sampler */

static void test_sampler_probabilities_sum_to_one(void **s) {
    (void)s;
    static const int Vs[] = {1, 2, 15, 10000, 48174};
    for (int i = 0; i < 5; i++) {
        double sum = 0;
        for (int k = 0; k < Vs[i]; k++) sum += logu_prob(Vs[i], k);
        assert_true(fabs(sum - 1.0) < 1e-12);
    }
    /* the formula as docs/RECIPE.md writes it */
    assert_true(fabs(logu_prob(100, 7) - (log(9.0) - log(8.0)) / log(101.0)) < 1e-15);
}

/* Pearson chi-square of 400000 single draws over V = 60 classes: 59 degrees
 * of freedom, critical value 95.0 at p = 0.002 (fixed seed: deterministic). */
static void test_sampler_chi_square(void **s) {
    (void)s;
    enum { V = 60, DRAWS = 400000 };
    logu_sampler smp;
    rnnlm_err err;
    assert_int_equal(logu_sampler_init(&smp, V, &err), RNNLM_OK);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 2024);
    static long count[V];
    for (int i = 0; i < DRAWS; i++) {
        int32_t k = logu_draw(&smp, &r);
        assert_true(k >= 0 && k < V);
        count[k]++;
    }
    double chi2 = 0;
    for (int k = 0; k < V; k++) {
        double e = DRAWS * logu_prob(V, k);
        chi2 += (count[k] - e) * (count[k] - e) / e;
    }
    printf("log-uniform sampler: chi-square %.1f over %d classes (critical 95.0)\n", chi2, V);
    assert_true(chi2 < 95.0);
    /* and a wrong distribution (uniform) is rejected by the same test */
    double chi2u = 0;
    for (int k = 0; k < V; k++) {
        double e = DRAWS / (double)V;
        chi2u += (count[k] - e) * (count[k] - e) / e;
    }
    assert_true(chi2u > 1000.0);
    logu_sampler_free(&smp);
}

static void test_sample_unique_and_expected_counts(void **s) {
    (void)s;
    enum { V = 40, K = 12 };
    logu_sampler smp;
    rnnlm_err err;
    assert_int_equal(logu_sampler_init(&smp, V, &err), RNNLM_OK);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 7);
    int32_t c[K];
    int64_t tries = 0;
    assert_int_equal(logu_sample_unique(&smp, K, &r, c, &tries, &err), RNNLM_OK);
    assert_true(tries >= K);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < i; j++) assert_int_not_equal(c[i], c[j]);
    /* the marks are cleared: the next call finds K distinct ids again, and
     * all V when asked (V is small here) */
    int32_t every[V];
    assert_int_equal(logu_sample_unique(&smp, V, &r, every, &tries, &err), RNNLM_OK);
    int present[V] = {0};
    for (int i = 0; i < V; i++) present[every[i]]++;
    for (int k = 0; k < V; k++) assert_int_equal(present[k], 1);
    assert_int_equal(logu_sample_unique(&smp, V + 1, &r, c, &tries, &err), RNNLM_E_ARG);
    assert_int_equal(logu_sample_unique(&smp, 0, &r, c, &tries, &err), RNNLM_E_ARG);

    /* Q(k) = -expm1(tries log1p(-P(k))) written out, and observed: the
     * fraction of R runs of `tries` draws with replacement in which k
     * appears; within 4.5 standard deviations. */
    const int t = 20, R = 40000;
    int seen[V];
    long hits[V] = {0};
    for (int run = 0; run < R; run++) {
        memset(seen, 0, sizeof seen);
        for (int i = 0; i < t; i++) seen[logu_draw(&smp, &r)] = 1;
        for (int k = 0; k < V; k++) hits[k] += seen[k];
    }
    for (int k = 0; k < V; k++) {
        double p = (log(k + 2.0) - log(k + 1.0)) / log(V + 1.0);
        double q = 1.0 - pow(1.0 - p, t);
        assert_true(fabs(logu_expected_count(V, t, k) - q) < 1e-12);
        assert_true(fabs(logu_log_expected_count(V, t, k) - log(q)) < 1e-12);
        double sd = sqrt(q * (1 - q) / R);
        assert_true(fabs((double)hits[k] / R - q) < 4.5 * sd + 1e-9);
    }
    logu_sampler_free(&smp);
}

/* ------------------------------------------------------------ model helpers */

typedef struct {
    model *m;
    int B, T, V;
    int32_t *x, *y;   /* (B, T) */
    double *p, *s0;   /* (n_params), (state_size) */
    size_t np, ns;
    model_candidates c;
} problem;

static void problem_make(problem *pr, cell_kind cell, int V, int E, int H, int L, int B, int T,
                         int tied, uint64_t seed) {
    model_config cfg = {.cell = cell, .V = V, .E = E, .H = H, .L = L, .dropout = 0,
                        .tied = tied, .init = INIT_RECIPE};
    rnnlm_err err;
    memset(pr, 0, sizeof *pr);
    assert_int_equal(model_create(&pr->m, &cfg, &err), RNNLM_OK);
    assert_int_equal(model_set_softmax_chunk(pr->m, 3, &err), RNNLM_OK);  /* slices of 3 rows */
    pr->B = B;
    pr->T = T;
    pr->V = V;
    pr->np = model_n_params(pr->m);
    pr->ns = (size_t)L * B * H * (cell == CELL_LSTM ? 2 : 1);
    pr->x = calloc((size_t)B * T, sizeof *pr->x);
    pr->y = calloc((size_t)B * T, sizeof *pr->y);
    pr->p = calloc(pr->np, sizeof *pr->p);
    pr->s0 = calloc(pr->ns, sizeof *pr->s0);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, seed);
    for (size_t i = 0; i < pr->np; i++) pr->p[i] = rnnlm_rng_double(&r) - 0.5;
    for (size_t i = 0; i < pr->ns; i++) pr->s0[i] = rnnlm_rng_double(&r) - 0.5;
    for (int i = 0; i < B * T; i++) {
        pr->x[i] = (int32_t)rnnlm_rng_below(&r, (uint64_t)V);
        pr->y[i] = (int32_t)rnnlm_rng_below(&r, (uint64_t)V);
    }
}

static void problem_free(problem *pr) {
    free(pr->x);
    free(pr->y);
    free(pr->p);
    free(pr->s0);
    model_free(pr->m);
}

static double sampled_loss(problem *pr, double *g, double *gs) {
    double loss;
    rnnlm_err err;
    assert_int_equal(model_loss_sampled_f64(pr->m, pr->p, pr->s0, pr->x, pr->y, pr->B, pr->T,
                                            &pr->c, &loss, g, gs, &err),
                     RNNLM_OK);
    return loss;
}

static double full_loss(problem *pr, double *g, double *gs) {
    double loss;
    rnnlm_err err;
    assert_int_equal(model_loss_f64(pr->m, pr->p, pr->s0, pr->x, pr->y, pr->B, pr->T, NULL, &loss,
                                    g, gs, &err),
                     RNNLM_OK);
    return loss;
}

static double max_abs_diff(const double *a, const double *b, size_t n) {
    double d = 0;
    for (size_t i = 0; i < n; i++) d = fmax(d, fabs(a[i] - b[i]));
    return d;
}

/* a shuffled list of all V ids */
static void all_ids(int32_t *ids, int V, uint64_t seed) {
    rnnlm_rng r;
    rnnlm_rng_seed(&r, seed);
    for (int i = 0; i < V; i++) ids[i] = i;
    for (int i = V - 1; i > 0; i--) {
        int j = (int)rnnlm_rng_below(&r, (uint64_t)i + 1);
        int32_t t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
    }
}

/* ------------------------------------------------ reduction to full softmax */

static void check_all_candidates(cell_kind cell, int tied) {
    problem pr;
    const int V = 11;
    problem_make(&pr, cell, V, 5, 5, 2, 2, 3, tied, 300 + 10 * cell + tied);
    int32_t ids[11];
    all_ids(ids, V, 5);
    pr.c = (model_candidates){V, ids, 0};
    double *gf = calloc(pr.np, sizeof *gf), *gsmp = calloc(pr.np, sizeof *gsmp);
    double *sf = calloc(pr.ns, sizeof *sf), *ssmp = calloc(pr.ns, sizeof *ssmp);
    double lf = full_loss(&pr, gf, sf), ls = sampled_loss(&pr, gsmp, ssmp);
    double dg = max_abs_diff(gf, gsmp, pr.np), ds = max_abs_diff(sf, ssmp, pr.ns);
    printf("all V candidates, no correction (%s%s): |loss diff| %.1e, grad %.1e, state grad %.1e\n",
           cell == CELL_LSTM ? "LSTM" : cell == CELL_GRU ? "GRU" : "RNN", tied ? " tied" : "",
           fabs(lf - ls), dg, ds);
    assert_true(fabs(lf - ls) <= 1e-6);
    assert_true(dg <= 1e-6);
    assert_true(ds <= 1e-6);

    /* the production fp32 pass: sampled against full on the same weights */
    rnnlm_err err;
    model *m = pr.m;
    assert_int_equal(model_reserve(m, pr.B, pr.T, &err), RNNLM_OK);
    float *p = model_params(m);
    for (size_t i = 0; i < pr.np; i++) p[i] = (float)pr.p[i];
    float *g32 = calloc(pr.np, sizeof *g32);
    batch_stats bf, bs;
    for (size_t i = 0; i < pr.ns; i++) model_state(m)[i] = (float)pr.s0[i];
    model_zero_grads(m);
    assert_int_equal(model_train_batch(m, pr.x, pr.y, pr.B, pr.T, NULL, &bf, &err), RNNLM_OK);
    memcpy(g32, model_grads(m), pr.np * sizeof *g32);
    for (size_t i = 0; i < pr.ns; i++) model_state(m)[i] = (float)pr.s0[i];
    model_zero_grads(m);
    assert_int_equal(model_train_batch_sampled(m, pr.x, pr.y, pr.B, pr.T, &pr.c, NULL, &bs, &err),
                     RNNLM_OK);
    double worst = 0, mag = 1e-3;
    for (size_t i = 0; i < pr.np; i++) {
        worst = fmax(worst, fabs((double)g32[i] - model_grads(m)[i]));
        mag = fmax(mag, fabs((double)g32[i]));
    }
    assert_true(fabs(bf.loss_sum - bs.loss_sum) <= 1e-5 * fabs(bf.loss_sum));
    assert_true(worst <= 1e-5 * mag);
    assert_int_equal(bs.count, pr.B * pr.T);
    free(g32);
    free(gf); free(gsmp); free(sf); free(ssmp);
    problem_free(&pr);
}

static void test_all_candidates_is_full_softmax(void **s) {
    (void)s;
    for (int c = 0; c < 3; c++) check_all_candidates((cell_kind)c, 0);
    check_all_candidates(CELL_LSTM, 1);
}

/* With every class a candidate and tries > 0, each logit k gets log Q(k)
 * subtracted: the full softmax of the same model with bias b - log Q. */
static void test_log_expected_count_correction(void **s) {
    (void)s;
    problem pr;
    const int V = 9;
    const int64_t tries = 13;
    problem_make(&pr, CELL_LSTM, V, 4, 5, 1, 2, 3, 0, 77);
    int32_t ids[9];
    all_ids(ids, V, 3);
    pr.c = (model_candidates){V, ids, tries};
    double ls = sampled_loss(&pr, NULL, NULL);
    /* the correction is not a no-op here */
    pr.c.tries = 0;
    assert_true(fabs(sampled_loss(&pr, NULL, NULL) - ls) > 1e-3);
    pr.c.tries = tries;
    const model_tensor *tb = model_tensor_at(pr.m, model_n_tensors(pr.m) - 1);
    for (int k = 0; k < V; k++) pr.p[tb->offset + k] -= logu_log_expected_count(V, tries, k);
    double lf = full_loss(&pr, NULL, NULL);
    printf("log Q correction: sampled %.12f, full with shifted bias %.12f\n", ls, lf);
    assert_true(fabs(ls - lf) <= 1e-12);
    problem_free(&pr);
}

/* ----------------------------------------------------------- accidental hits */

static void test_accidental_hits_masked(void **s) {
    (void)s;
    problem pr;
    const int V = 20;
    problem_make(&pr, CELL_GRU, V, 4, 6, 1, 1, 1, 0, 91);   /* one position */
    int32_t y = pr.y[0];
    int32_t base[4], with_hit[5], with_other[5];
    int n = 0;
    for (int32_t k = 0; n < 4; k++)
        if (k != y) base[n++] = k;
    memcpy(with_hit, base, sizeof base);
    with_hit[4] = y;
    memcpy(with_other, base, sizeof base);
    with_other[4] = y == 19 ? 18 : 19;
    double *g0 = calloc(pr.np, sizeof *g0), *g1 = calloc(pr.np, sizeof *g1);
    pr.c = (model_candidates){4, base, 25};
    double l0 = sampled_loss(&pr, g0, NULL);
    pr.c = (model_candidates){5, with_hit, 25};
    double l1 = sampled_loss(&pr, g1, NULL);
    printf("accidental hit: loss %.12f without the target among candidates, %.12f with it\n", l0, l1);
    assert_true(fabs(l0 - l1) <= 1e-12);
    assert_true(max_abs_diff(g0, g1, pr.np) <= 1e-12);
    pr.c = (model_candidates){5, with_other, 25};
    assert_true(fabs(sampled_loss(&pr, NULL, NULL) - l0) > 1e-6);   /* the test can fail */
    free(g0);
    free(g1);
    problem_free(&pr);
}

/* ------------------------------------------------------------ gradient check */

#define GC_EPS 1e-5

static double tensor_error(problem *pr, const double *a, double *v, size_t n) {
    double diff = 0, mag = 1e-7;
    for (size_t i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + GC_EPS;
        double lp = sampled_loss(pr, NULL, NULL);
        v[i] = keep - GC_EPS;
        double lm = sampled_loss(pr, NULL, NULL);
        v[i] = keep;
        double nu = (lp - lm) / (2 * GC_EPS);
        diff = fmax(diff, fabs(a[i] - nu));
        mag = fmax(mag, fmax(fabs(a[i]), fabs(nu)));
    }
    return diff / mag;
}

static double gradcheck(cell_kind cell, int tied, int T) {
    problem pr;
    const int V = 13;
    problem_make(&pr, cell, V, 5, 5, 2, 2, T, tied, 500 + 10 * cell + T + tied);
    /* a fixed candidate set holding some of the targets (hits) */
    int32_t ids[6] = {0, 1, 2, pr.y[0], 7, 11};
    for (int i = 0; i < 3; i++)
        if (ids[i] == pr.y[0]) ids[i] = 12;   /* keep them distinct */
    if (ids[3] == 7 || ids[3] == 11) ids[3] = 9;
    pr.c = (model_candidates){6, ids, 17};
    double *g = calloc(pr.np, sizeof *g), *gs = calloc(pr.ns, sizeof *gs);
    sampled_loss(&pr, g, gs);
    double worst = 0;
    const char *wn = "";
    for (int k = 0; k < model_n_tensors(pr.m); k++) {
        const model_tensor *t = model_tensor_at(pr.m, k);
        double e = tensor_error(&pr, g + t->offset, pr.p + t->offset, t->count);
        if (e > worst) { worst = e; wn = t->name; }
    }
    double e = tensor_error(&pr, gs, pr.s0, pr.ns);
    if (e > worst) { worst = e; wn = "state"; }
    printf("gradcheck sampled %-4s T=%d%s: worst relative error %.2e (%s)\n",
           cell == CELL_LSTM ? "LSTM" : cell == CELL_GRU ? "GRU" : "RNN", T, tied ? " tied" : "",
           worst, wn);
    free(g);
    free(gs);
    problem_free(&pr);
    return worst;
}

static void test_gradcheck_sampled(void **s) {
    (void)s;
    for (int c = 0; c < 3; c++) assert_true(gradcheck((cell_kind)c, 0, 3) <= 1e-6);
    assert_true(gradcheck(CELL_LSTM, 0, 1) <= 1e-6);
    assert_true(gradcheck(CELL_LSTM, 1, 3) <= 1e-6);
}

/* ------------------------------------------------------------------ sparsity */

static int listed(const int32_t *a, int n, int32_t v) {
    for (int i = 0; i < n; i++)
        if (a[i] == v) return 1;
    return 0;
}

static void check_sparsity(int tied) {
    const int V = 300, H = 8, B = 3, T = 4, K = 10;
    model_config cfg = {.cell = CELL_LSTM, .V = V, .E = H, .H = H, .L = 1, .dropout = 0.2f,
                        .tied = tied, .init = INIT_RECIPE};
    model *m;
    rnnlm_err err;
    assert_int_equal(model_create(&m, &cfg, &err), RNNLM_OK);
    assert_int_equal(model_reserve(m, B, T, &err), RNNLM_OK);
    model_init_params(m, 3);
    int32_t x[12], y[12], cand[10];
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 11);
    for (int i = 0; i < B * T; i++) {
        x[i] = (int32_t)rnnlm_rng_below(&r, V);
        y[i] = (int32_t)rnnlm_rng_below(&r, V);
    }
    logu_sampler smp;
    int64_t tries;
    assert_int_equal(logu_sampler_init(&smp, V, &err), RNNLM_OK);
    assert_int_equal(logu_sample_unique(&smp, K, &r, cand, &tries, &err), RNNLM_OK);
    model_candidates mc = {K, cand, tries};
    model_zero_grads(m);
    assert_int_equal(model_train_batch_sampled(m, x, y, B, T, &mc, &r, NULL, &err), RNNLM_OK);
    const int32_t *rows, *cls;
    int nr, nc;
    model_touched(m, &rows, &nr, &cls, &nc);
    /* the lists: ascending, classes = candidates + targets, rows = inputs (+ classes if tied) */
    for (int i = 1; i < nr; i++) assert_true(rows[i - 1] < rows[i]);
    for (int i = 1; i < nc; i++) assert_true(cls[i - 1] < cls[i]);
    for (int k = 0; k < V; k++) {
        int is_cls = listed(cand, K, k) || listed(y, B * T, k);
        int is_row = listed(x, B * T, k) || (tied && is_cls);
        assert_int_equal(listed(cls, nc, k), is_cls);
        assert_int_equal(listed(rows, nr, k), is_row);
    }
    /* the gradient outside the lists is exactly zero; inside, not all zero */
    const float *g = model_grads(m);
    const model_tensor *te = model_tensor_at(m, 0), *tb = model_tensor_at(m, model_n_tensors(m) - 1);
    const model_tensor *tk = tied ? NULL : model_tensor_at(m, model_n_tensors(m) - 2);
    double inside = 0;
    for (int k = 0; k < V; k++) {
        int row_in = listed(rows, nr, k), cls_in = listed(cls, nc, k);
        for (int e = 0; e < H; e++) {
            float v = g[te->offset + (size_t)k * H + e];
            if (!row_in) assert_true(v == 0.0f);
            inside += fabs(v);
            if (tk) {
                float w = g[tk->offset + (size_t)e * V + k];
                if (!cls_in) assert_true(w == 0.0f);
                inside += fabs(w);
            }
        }
        if (!cls_in) assert_true(g[tb->offset + k] == 0.0f);
    }
    assert_true(inside > 0);
    model_zero_grads_touched(m);
    for (size_t i = 0; i < model_n_params(m); i++) assert_true(g[i] == 0.0f);
    logu_sampler_free(&smp);
    model_free(m);
}

static void test_sparse_gradient_touches_gathered_rows_only(void **s) {
    (void)s;
    check_sparsity(0);
    check_sparsity(1);
}

/* ------------------------------------------------------- sparse optimiser */

/* A flat buffer: a dense block of 5, a "embedding" part (6 rows of 4, by
 * row), 3 dense, an "output kernel" part (3 rows x 6 columns, by column). */
enum { D0 = 5, ER = 6, EC = 4, D1 = 3, KR = 3, KC = 6 };
#define NP (D0 + ER * EC + D1 + KR * KC)
#define OFF_E D0
#define OFF_K (D0 + ER * EC + D1)

/* gradient of step s: dense everywhere outside the parts; in the parts only
 * on the listed rows/columns */
static void sparse_grad(float *g, int step, const int32_t *rows, int nr, const int32_t *cols,
                        int nc) {
    memset(g, 0, NP * sizeof *g);
    for (int i = 0; i < NP; i++) {
        int in_e = i >= OFF_E && i < OFF_E + ER * EC, in_k = i >= OFF_K;
        float v = (float)(0.3 * sin(1.7 * i + step) + 0.05 * step);
        if (in_e && !listed(rows, nr, (i - OFF_E) / EC)) v = 0;
        if (in_k && !listed(cols, nc, (i - OFF_K) % KC)) v = 0;
        g[i] = v;
    }
}

static void parts_of(opt_sparse_part *p, const int32_t *rows, int nr, const int32_t *cols, int nc) {
    p[0] = (opt_sparse_part){OFF_E, ER, EC, 0, rows, (size_t)nr};
    p[1] = (opt_sparse_part){OFF_K, KR, KC, 1, cols, (size_t)nc};
}

static int in_untouched(int i, const int32_t *rows, int nr, const int32_t *cols, int nc) {
    if (i >= OFF_E && i < OFF_E + ER * EC) return !listed(rows, nr, (i - OFF_E) / EC);
    if (i >= OFF_K) return !listed(cols, nc, (i - OFF_K) % KC);
    return 0;
}

static void run_two_steps(opt_kind kind, int dense_adam, float clip, int sparse, float *w,
                          float *slots_out) {
    opt_config c = opt_config_default(kind);
    c.dense_adam = dense_adam;
    c.clip = clip;
    optim *o;
    rnnlm_err err;
    assert_int_equal(optim_create(&o, &c, NP, &err), RNNLM_OK);
    for (int i = 0; i < NP; i++) w[i] = (float)(0.1 * cos(0.9 * i));
    static const int32_t all_r[ER] = {0, 1, 2, 3, 4, 5}, all_c[KC] = {0, 1, 2, 3, 4, 5};
    static const int32_t some_r[2] = {1, 4}, some_c[3] = {0, 2, 5};
    float g[NP];
    opt_sparse_part p[2];
    double n1, n2;
    /* step 1: every row touched; step 2: some */
    for (int step = 0; step < 2; step++) {
        const int32_t *r = step ? some_r : all_r, *cc = step ? some_c : all_c;
        int nr = step ? 2 : ER, nc = step ? 3 : KC;
        sparse_grad(g, step, r, nr, cc, nc);
        parts_of(p, r, nr, cc, nc);
        if (sparse) {
            assert_int_equal(optim_clip_step_sparse(o, w, g, p, 2, &n1, &err), RNNLM_OK);
            n2 = grad_global_norm(g, NP);
            assert_true(fabs(n1 - n2) <= 1e-12 * n2);   /* the dense norm */
        } else {
            assert_int_equal(optim_clip_step(o, w, g, &n1, &err), RNNLM_OK);
        }
    }
    if (slots_out) memcpy(slots_out, optim_slots(o), optim_n_slots(o) * sizeof(float));
    optim_free(o);
}

static void test_sparse_sgd_adagrad_exact(void **s) {
    (void)s;
    float wd[NP], ws[NP];
    for (int k = 1; k <= 2; k++) {
        for (int ci = 0; ci < 2; ci++) {
            float clip = ci ? 0.5f : 0.0f;   /* clipped and not */
            run_two_steps((opt_kind)k, 0, clip, 0, wd, NULL);
            run_two_steps((opt_kind)k, 0, clip, 1, ws, NULL);
            assert_memory_equal(wd, ws, sizeof wd);
        }
    }
}

static void test_lazy_and_dense_adam(void **s) {
    (void)s;
    static const int32_t some_r[2] = {1, 4}, some_c[3] = {0, 2, 5};
    float wd[NP], wl[NP], wx[NP], md[2 * NP], ml[2 * NP], mx[2 * NP];
    float w1[NP], m1[2 * NP];
    for (int ci = 0; ci < 2; ci++) {
        float clip = ci ? 0.5f : 0.0f;
        run_two_steps(OPT_ADAM, 0, clip, 0, wd, md);   /* the dense reference */
        run_two_steps(OPT_ADAM, 0, clip, 1, wl, ml);   /* lazy */
        run_two_steps(OPT_ADAM, 1, clip, 1, wx, mx);   /* --dense-adam */
        /* dense-adam: bit-identical to the dense step */
        assert_memory_equal(wd, wx, sizeof wd);
        assert_memory_equal(md, mx, sizeof md);
        /* the state after step 1 alone (every row touched: lazy = dense) */
        {
            opt_config c = opt_config_default(OPT_ADAM);
            c.clip = clip;
            optim *o;
            rnnlm_err err;
            assert_int_equal(optim_create(&o, &c, NP, &err), RNNLM_OK);
            for (int i = 0; i < NP; i++) w1[i] = (float)(0.1 * cos(0.9 * i));
            float g[NP];
            static const int32_t all[6] = {0, 1, 2, 3, 4, 5};
            sparse_grad(g, 0, all, 6, all, 6);
            assert_int_equal(optim_clip_step(o, w1, g, NULL, &err), RNNLM_OK);
            memcpy(m1, optim_slots(o), sizeof m1);
            optim_free(o);
        }
        int moved = 0;
        for (int i = 0; i < NP; i++) {
            if (in_untouched(i, some_r, 2, some_c, 3)) {
                /* lazy: weights and moments as after step 1 */
                assert_true(wl[i] == w1[i]);
                assert_true(ml[i] == m1[i] && ml[NP + i] == m1[NP + i]);
                /* dense: the moments decayed (m = b1 m), the weight moved */
                assert_true(fabs(md[i] - 0.9f * m1[i]) <= 1e-7f * fabsf(m1[i]) + 1e-12f);
                moved += wd[i] != w1[i];
            } else {
                /* touched rows and dense tensors: the same rule in both */
                assert_true(wl[i] == wd[i]);
                assert_true(ml[i] == md[i] && ml[NP + i] == md[NP + i]);
            }
        }
        assert_true(moved > 0);
    }
}

static void test_sparse_parts_checked(void **s) {
    (void)s;
    opt_config c = opt_config_default(OPT_ADAM);
    optim *o;
    rnnlm_err err;
    assert_int_equal(optim_create(&o, &c, NP, &err), RNNLM_OK);
    float w[NP] = {0}, g[NP] = {0};
    int32_t bad = ER;   /* one past the rows */
    opt_sparse_part p[2];
    parts_of(p, &bad, 1, NULL, 0);
    assert_int_equal(optim_clip_step_sparse(o, w, g, p, 2, NULL, &err), RNNLM_E_ARG);
    parts_of(p, NULL, 0, NULL, 0);
    opt_sparse_part swapped[2] = {p[1], p[0]};
    assert_int_equal(optim_clip_step_sparse(o, w, g, swapped, 2, NULL, &err), RNNLM_E_ARG);
    assert_int_equal(optim_step_count(o), 0);
    g[OFF_E] = NAN;
    static const int32_t r0 = 0;
    parts_of(p, &r0, 1, NULL, 0);
    assert_int_equal(optim_clip_step_sparse(o, w, g, p, 2, NULL, &err), RNNLM_E_NUMERIC);
    assert_int_equal(optim_step_count(o), 0);
    optim_free(o);
}

/* ---------------------------------------------------------------- end to end */

static void test_trainer_sampled_learns(void **s) {
    (void)s;
    enum { V = 40, NTOK = 4000 };
    static int32_t ids[NTOK + 1];
    for (int i = 0; i <= NTOK; i++) ids[i] = (int32_t)((i * 7 + (i / 5) % 3) % V);
    for (int dense = 0; dense < 2; dense++) {
        step_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.model = (model_config){.cell = CELL_LSTM, .V = V, .E = 16, .H = 16, .L = 1,
                                   .dropout = 0, .init = INIT_RECIPE};
        cfg.opt = opt_config_default(OPT_ADAM);
        cfg.opt.dense_adam = dense;
        cfg.B = 8;
        cfg.T = 10;
        cfg.seed = 5;
        cfg.max_bad_steps = 3;
        cfg.loss = LOSS_SAMPLED;
        cfg.samples = 8;
        step_engine *t;
        rnnlm_err err;
        assert_int_equal(step_create(&t, &cfg, ids, ids + 1, NTOK, &err), RNNLM_OK);
        batch_stats before, after;
        assert_int_equal(step_evaluate(t, ids, ids + 1, NTOK, &before, &err), RNNLM_OK);
        for (int e = 0; e < 4; e++) {
            step_begin_epoch(t);
            step_progress p;
            int done = 0;
            while (!done) {
                assert_int_equal(step_run(t, &p, &done, &err), RNNLM_OK);
                if (!done) assert_int_equal(p.skipped, 0);
            }
        }
        assert_int_equal(step_evaluate(t, ids, ids + 1, NTOK, &after, &err), RNNLM_OK);
        double lb = before.loss_sum / before.count, la = after.loss_sum / after.count;
        printf("sampled training (%s Adam): full-softmax loss %.3f -> %.3f\n",
               dense ? "dense" : "lazy", lb, la);
        assert_true(la < 0.5 * lb);
        step_free(t);
    }
    /* K > V is refused */
    step_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.model = (model_config){.cell = CELL_LSTM, .V = V, .E = 4, .H = 4, .L = 1};
    cfg.opt = opt_config_default(OPT_ADAM);
    cfg.B = 2;
    cfg.T = 3;
    cfg.loss = LOSS_SAMPLED;
    cfg.samples = V + 1;
    step_engine *t;
    rnnlm_err err;
    assert_int_equal(step_create(&t, &cfg, ids, ids + 1, NTOK, &err), RNNLM_E_ARG);
}

static void test_candidates_checked(void **s) {
    (void)s;
    problem pr;
    problem_make(&pr, CELL_RNN, 10, 3, 3, 1, 1, 2, 0, 1);
    rnnlm_err err;
    double loss;
    int32_t rep[3] = {1, 2, 1}, out[2] = {3, 10};
    model_candidates c = {3, rep, 5};
    assert_int_equal(model_loss_sampled_f64(pr.m, pr.p, pr.s0, pr.x, pr.y, 1, 2, &c, &loss, NULL,
                                            NULL, &err),
                     RNNLM_E_ARG);
    c = (model_candidates){2, out, 5};
    assert_int_equal(model_loss_sampled_f64(pr.m, pr.p, pr.s0, pr.x, pr.y, 1, 2, &c, &loss, NULL,
                                            NULL, &err),
                     RNNLM_E_ARG);
    assert_int_equal(model_reserve(pr.m, 1, 2, &err), RNNLM_OK);
    c = (model_candidates){3, rep, 5};
    assert_int_equal(model_train_batch_sampled(pr.m, pr.x, pr.y, 1, 2, &c, NULL, NULL, &err),
                     RNNLM_E_ARG);
    problem_free(&pr);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sampler_probabilities_sum_to_one),
        cmocka_unit_test(test_sampler_chi_square),
        cmocka_unit_test(test_sample_unique_and_expected_counts),
        cmocka_unit_test(test_all_candidates_is_full_softmax),
        cmocka_unit_test(test_log_expected_count_correction),
        cmocka_unit_test(test_accidental_hits_masked),
        cmocka_unit_test(test_gradcheck_sampled),
        cmocka_unit_test(test_sparse_gradient_touches_gathered_rows_only),
        cmocka_unit_test(test_sparse_sgd_adagrad_exact),
        cmocka_unit_test(test_lazy_and_dense_adam),
        cmocka_unit_test(test_sparse_parts_checked),
        cmocka_unit_test(test_trainer_sampled_learns),
        cmocka_unit_test(test_candidates_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
