/* test_planted.c: steps that a wrong but self-consistent implementation would
 * pass through the gradient check and the learning tests, each pinned by a
 * value worked out by hand:
 *
 *   - weight decay acts on the weight matrices only: the gradients at decay 0
 *     and 0.05 of one batch have bit-identical bias gradients and matrix
 *     gradients that differ by wd * W; the loss grows by 0.5 wd sum(W^2) over
 *     the matrices alone;
 *   - fp32 -> bf16 rounds to nearest, ties to even, on known bit patterns
 *     (the vectorised blocks and the scalar tail both), NaN stays NaN;
 *   - embedding dropout's mask (read back through the embedding's gradient)
 *     holds 0 or 1/(1-p), zeros at rate p, mean 1; locked, one mask for the
 *     T steps;
 *   - word dropout masks the input side only: a tied model and an untied
 *     copy whose output kernel is the embedding's transpose give one batch
 *     the same loss and gradients;
 *   - the two layers of a model draw different dropout masks;
 *   - the clipping norm is the norm of every gradient, the embedding's
 *     included, and the clipped step scales all of them by clip / norm
 *     (full and sampled softmax). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "nn/compute.h"
#include "train/step.h"

/* ------------------------------------------------------------------ helpers */

static void fill_uniform(float *p, size_t n, double lo, double hi, uint64_t seed) {
    rnnlm_rng r;
    rnnlm_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) p[i] = (float)(lo + (hi - lo) * rnnlm_rng_double(&r));
}

static model *make_model(const model_config *mc, int B, int T) {
    model *m;
    rnnlm_err err;
    if (model_create(&m, mc, &err)) fail_msg("model_create: %s", err.msg);
    if (model_reserve(m, B, T, &err)) fail_msg("model_reserve: %s", err.msg);
    return m;
}

static int is_matrix(const nn_layout *lay, const nn_tensor *t) {
    if (t == &lay->emb || t == &lay->out_w) return 1;
    for (int l = 0; l < lay->L; l++)
        if (t == &lay->layer[l].w_ih || t == &lay->layer[l].w_hh) return 1;
    return 0;
}

/* ------------------------------------------------------------- weight decay */

static void test_weight_decay_spares_biases(void **s) {
    (void)s;
    enum { V = 11, B = 2, T = 4 };
    const float wd = 0.05f;
    int32_t x[B * T], y[B * T];
    for (int i = 0; i < B * T; i++) { x[i] = (i * 5 + 1) % V; y[i] = (i * 7 + 2) % V; }
    for (int cell = CELL_RNN; cell <= CELL_GRU; cell++) {
        model *m[2];
        double loss[2];
        for (int k = 0; k < 2; k++) {
            model_config mc = {.cell = (cell_kind)cell, .V = V, .E = 6, .H = 5, .L = 2, .weight_decay = k ? wd : 0};
            m[k] = make_model(&mc, B, T);
            /* every parameter non-zero, biases included: decay of a zero bias would not show */
            fill_uniform(model_params(m[k]), model_n_params(m[k]), -0.5, 0.5, 17);
            model_zero_grads(m[k]);
            rnnlm_err err;
            assert_int_equal(model_train_batch(m[k], x, y, B, T, NULL, NULL, &err), RNNLM_OK);
            size_t n = model_n_params(m[k]);
            double *pd = malloc(n * sizeof *pd);
            assert_non_null(pd);
            for (size_t i = 0; i < n; i++) pd[i] = model_params(m[k])[i];
            assert_int_equal(model_loss_f64(m[k], pd, NULL, x, y, B, T, NULL, &loss[k], NULL, NULL, &err), RNNLM_OK);
            free(pd);
        }
        const nn_layout *lay = model_layout(m[0]);
        const float *w = model_params(m[0]), *g0 = model_grads(m[0]), *g1 = model_grads(m[1]);
        double sq = 0;
        int n_bias = 0;
        for (int i = 0; i < lay->n_tensors; i++) {
            const nn_tensor *t = nn_layout_tensor(lay, i);
            if (!is_matrix(lay, t)) {   /* a bias: the very same gradient */
                n_bias++;
                if (memcmp(g0 + t->offset, g1 + t->offset, t->count * sizeof(float)) != 0)
                    fail_msg("cell %d: %s: weight decay changed a bias gradient", cell, t->name);
                continue;
            }
            for (size_t j = t->offset; j < t->offset + t->count; j++) {
                double want = (double)wd * (double)w[j], got = (double)g1[j] - (double)g0[j];
                /* g1 = g0 + wd w in float: one or two roundings of the sum */
                double tol = 2 * 0x1p-24 * (fabs((double)g0[j]) + fabs(want)) + 1e-30;
                if (fabs(got - want) > tol)
                    fail_msg("cell %d: %s[%zu]: gradient moved by %.9g, wd * w = %.9g", cell, t->name,
                             j - t->offset, got, want);
                sq += (double)w[j] * (double)w[j];
            }
        }
        assert_int_equal(n_bias, 3);   /* two layers' biases and the output's */
        double term = loss[1] - loss[0], want = 0.5 * (double)wd * sq;
        if (fabs(term - want) > 1e-12 * (1 + fabs(want)))
            fail_msg("cell %d: decay term %.15g, 0.5 wd sum(W^2) over the matrices %.15g", cell, term, want);
        model_free(m[0]);
        model_free(m[1]);
    }
}

/* -------------------------------------------------------------------- bf16 */

static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void test_bf16_round_to_nearest_even(void **s) {
    (void)s;
    static const struct { uint32_t in; uint16_t out; } cases[] = {
        {0x3F800000u, 0x3F80}, /* 1: exact */
        {0x3F80C000u, 0x3F81}, /* above the half: up (truncation gives 0x3F80) */
        {0x3F808000u, 0x3F80}, /* a tie, even below: stays */
        {0x3F818000u, 0x3F82}, /* a tie, odd below: up to even */
        {0x3F80FFFFu, 0x3F81}, /* just under the next: up */
        {0x3F807FFFu, 0x3F80}, /* just under the half: down */
        {0xBF80C000u, 0xBF81}, /* negatives round in magnitude */
        {0xBF808000u, 0xBF80},
        {0xBF818000u, 0xBF82},
        {0x7F7FFFFFu, 0x7F80}, /* the largest float rounds up to infinity */
        {0x7F800000u, 0x7F80}, /* +Inf */
        {0xFF800000u, 0xFF80}, /* -Inf */
        {0x00000000u, 0x0000},
        {0x80000000u, 0x8000},
        {0x00018000u, 0x0000}, /* subnormals are zeros of their sign, as the AVX512_BF16 */
        {0x807FFFFFu, 0x8000}, /* instruction treats them, on every machine */
        {0x00800000u, 0x0080}, /* the smallest normal stays */
    };
    enum { NC = sizeof cases / sizeof cases[0], N = 3 * NC + 5 };
    /* each case at several positions: inside the blocks of 16 and in the tail */
    float in[N];
    uint16_t out[N], want[N];
    for (int i = 0; i < N; i++) {
        in[i] = from_bits(cases[i % NC].in);
        want[i] = cases[i % NC].out;
    }
    compute_bf16_mirror(out, in, N);
    for (int i = 0; i < N; i++)
        if (out[i] != want[i])
            fail_msg("fp32 0x%08X -> bf16 0x%04X, expected 0x%04X (position %d)", cases[i % NC].in, out[i], want[i], i);
    /* NaN stays NaN (quiet, sign kept) even where rounding up would carry into the exponent */
    static const uint32_t nans[] = {0x7FC00000u, 0x7F800001u, 0x7FFFFFFFu, 0xFF800001u, 0x7F80FFFFu, 0xFFFFFFFFu};
    for (size_t k = 0; k < sizeof nans / sizeof nans[0]; k++) {
        float f[20];
        uint16_t b[20];
        for (int i = 0; i < 20; i++) f[i] = from_bits(nans[k]);
        compute_bf16_mirror(b, f, 20);
        for (int i = 0; i < 20; i++) {
            uint32_t back = (uint32_t)b[i] << 16;
            if (!isnan(from_bits(back)) || (back >> 31) != (nans[k] >> 31))
                fail_msg("NaN 0x%08X -> bf16 0x%04X (position %d)", nans[k], b[i], i);
        }
    }
}

/* ------------------------------------------------------- embedding dropout */

/* One RNN layer over an all-zero embedding: the forward pass is the same
 * whatever the embedding mask, and the gradient of embedding row x is
 * mask (E) * W_ih g, g the (unmasked) gradient at the layer's input. Taken
 * with and without embedding dropout, the ratio is the mask. Two steps with
 * two tokens put the two steps' masks in two rows. */
static void test_embedding_dropout_mask(void **s) {
    (void)s;
    enum { V = 6, E = 256, H = 4, T = 2, STEPS = 20 };
    const float rate = 0.3f;
    const double keep = 1.0 / (1.0 - (double)rate);
    int32_t x[T] = {3, 4}, y[T] = {1, 5};
    for (int locked = 0; locked <= 1; locked++) {
        float ref[T][E];
        size_t zeros = 0, n = 0, shared = 0;
        double sum = 0;
        for (int step = -1; step < STEPS; step++) {   /* step -1: no dropout, the reference */
            model_config mc = {.cell = CELL_RNN, .V = V, .E = E, .H = H, .L = 1,
                               .reg = {.emb = step < 0 ? 0 : rate, .locked = locked}};
            model *m = make_model(&mc, 1, T);
            fill_uniform(model_params(m), model_n_params(m), -0.5, 0.5, 23);
            const nn_layout *lay = model_layout(m);
            memset(model_params(m) + lay->emb.offset, 0, lay->emb.count * sizeof(float));
            rnnlm_rng rng;
            rnnlm_rng_seed(&rng, 100 + (uint64_t)step);
            model_zero_grads(m);
            rnnlm_err err;
            assert_int_equal(model_train_batch(m, x, y, 1, T, step < 0 ? NULL : &rng, NULL, &err), RNNLM_OK);
            double mask[T][E];
            for (int t = 0; t < T; t++)
                for (int j = 0; j < E; j++) {
                    float g = model_grads(m)[lay->emb.offset + (size_t)x[t] * E + j];
                    if (step < 0) {
                        ref[t][j] = g;
                        assert_true(fabsf(g) > 1e-7f);
                        continue;
                    }
                    mask[t][j] = (double)g / (double)ref[t][j];
                    n++;
                    if (mask[t][j] == 0) { zeros++; continue; }
                    if (fabs(mask[t][j] - keep) > 1e-5 * keep)
                        fail_msg("locked %d, step %d, t %d, unit %d: mask %.9g, expected 0 or 1/(1-p) = %.9g",
                                 locked, step, t, j, mask[t][j], keep);
                    sum += mask[t][j];
                }
            if (step >= 0) {
                int same = 1;
                for (int j = 0; j < E; j++) same &= (mask[0][j] == 0) == (mask[1][j] == 0);
                shared += same;
            }
            model_free(m);
        }
        double zero_rate = (double)zeros / (double)n, mean = sum / (double)n;
        print_message("embedding dropout p = %.2f, locked %d: %zu values, %.4f zero, mean %.4f\n", (double)rate,
                      locked, n, zero_rate, mean);
        assert_true(fabs(zero_rate - (double)rate) < 0.03);
        assert_true(fabs(mean - 1.0) < 0.04);
        /* locked: the two steps share one mask; not locked: never (P = 0.58^256) */
        assert_int_equal(shared, locked ? STEPS : 0);
    }
}

/* ----------------------------------------------------- word dropout, tied */

static void test_word_dropout_tied_input_side_only(void **s) {
    (void)s;
    enum { V = 13, E = 7, B = 2, T = 6 };
    int32_t x[B * T], y[B * T];
    for (int i = 0; i < B * T; i++) { x[i] = 3 + (i * 3) % (V - 3); y[i] = 3 + (i * 7 + 2) % (V - 3); }
    model_config tc = {.cell = CELL_LSTM, .V = V, .E = E, .H = E, .L = 1, .tied = 1, .reg = {.word = 0.5f}};
    model_config uc = tc;
    uc.tied = 0;
    model *mt = make_model(&tc, B, T), *mu = make_model(&uc, B, T);
    model_init_params(mt, 5);
    const nn_layout *lt = model_layout(mt), *lu = model_layout(mu);
    /* the untied copy: every tensor of the tied model, and output.kernel (E, V) = embedding (V, E)^T */
    for (int i = 0; i < lt->n_tensors; i++) {
        const nn_tensor *a = nn_layout_tensor(lt, i);
        for (int k = 0; k < lu->n_tensors; k++) {
            const nn_tensor *b = nn_layout_tensor(lu, k);
            if (strcmp(a->name, b->name) == 0) {
                assert_int_equal(a->count, b->count);
                memcpy(model_params(mu) + b->offset, model_params(mt) + a->offset, a->count * sizeof(float));
            }
        }
    }
    const float *emb = model_params(mt) + lt->emb.offset;
    float *out_w = model_params(mu) + lu->out_w.offset;
    for (int v = 0; v < V; v++)
        for (int e = 0; e < E; e++) out_w[(size_t)e * V + v] = emb[(size_t)v * E + e];

    batch_stats st[2];
    model *ms[2] = {mt, mu};
    int dropped = 0;
    for (int k = 0; k < 2; k++) {
        rnnlm_rng rng;
        rnnlm_rng_seed(&rng, 31);
        model_zero_grads(ms[k]);
        rnnlm_err err;
        assert_int_equal(model_train_batch(ms[k], x, y, B, T, &rng, &st[k], &err), RNNLM_OK);
    }
    /* the batch did drop words: some input row's embedding gradient is zero */
    for (int i = 0; i < B * T; i++) {
        const float *g = model_grads(mu) + lu->emb.offset + (size_t)x[i] * E;
        int zero = 1;
        for (int e = 0; e < E; e++) zero &= g[e] == 0;
        dropped += zero;
    }
    assert_true(dropped > 0);
    if (fabs(st[0].loss_sum - st[1].loss_sum) > 1e-5 * fabs(st[1].loss_sum))
        fail_msg("word dropout: tied loss %.9g, untied copy %.9g", st[0].loss_sum, st[1].loss_sum);
    const float *gt = model_grads(mt), *gu = model_grads(mu);
    double gmax = 0;
    for (size_t i = 0; i < model_n_params(mu); i++) gmax = fmax(gmax, fabs((double)gu[i]));
    const double tol = 1e-5 * gmax;
    for (int i = 0; i < lt->n_tensors; i++) {
        const nn_tensor *a = nn_layout_tensor(lt, i);
        if (a == &lt->emb) continue;
        const nn_tensor *b = a == &lt->out_b ? &lu->out_b : nn_layout_tensor(lu, i);
        for (size_t j = 0; j < a->count; j++)
            if (fabs((double)gt[a->offset + j] - (double)gu[b->offset + j]) > tol)
                fail_msg("%s[%zu]: tied gradient %.9g, untied %.9g", a->name, j, gt[a->offset + j], gu[b->offset + j]);
    }
    /* the tied embedding's gradient: the untied embedding's plus its output kernel's, transposed */
    for (int v = 0; v < V; v++)
        for (int e = 0; e < E; e++) {
            double want = (double)gu[lu->emb.offset + (size_t)v * E + e] + (double)gu[lu->out_w.offset + (size_t)e * V + v];
            double got = gt[lt->emb.offset + (size_t)v * E + e];
            if (fabs(got - want) > tol)
                fail_msg("embedding[%d][%d]: tied gradient %.9g, untied input + output %.9g", v, e, got, want);
        }
    model_free(mt);
    model_free(mu);
}

/* ------------------------------------------------- two layers, two masks */

/* Two RNN layers whose outputs are tanh(0.5) everywhere (only biases non-zero
 * in the layers), layer 1 ignoring its input (zero kernels): unit j of layer 0
 * is dropped iff row j of layer 1's kernel gradient is zero, unit j of layer 1
 * iff row j of the output kernel's gradient is. */
static void test_layers_draw_their_own_masks(void **s) {
    (void)s;
    enum { V = 5, H = 64 };
    model_config mc = {.cell = CELL_RNN, .V = V, .E = 3, .H = H, .L = 2, .dropout = 0.5f};
    model *m = make_model(&mc, 1, 1);
    const nn_layout *lay = model_layout(m);
    float *p = model_params(m);
    memset(p, 0, model_n_params(m) * sizeof(float));
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < lay->layer[l].bias.count; i++) p[lay->layer[l].bias.offset + i] = 0.5f;
    fill_uniform(p + lay->out_w.offset, lay->out_w.count, -1, 1, 3);
    int32_t x = 3, y = 1;
    rnnlm_rng rng;
    rnnlm_rng_seed(&rng, 12);
    model_zero_grads(m);
    rnnlm_err err;
    assert_int_equal(model_train_batch(m, &x, &y, 1, 1, &rng, NULL, &err), RNNLM_OK);
    const float *g = model_grads(m);
    int dropped[2] = {0, 0}, differ = 0;
    for (int j = 0; j < H; j++) {
        int d0 = 1, d1 = 1;
        for (int k = 0; k < H; k++) d0 &= g[lay->layer[1].w_ih.offset + (size_t)j * H + k] == 0;
        for (int v = 0; v < V; v++) d1 &= g[lay->out_w.offset + (size_t)j * V + v] == 0;
        dropped[0] += d0;
        dropped[1] += d1;
        differ += d0 != d1;
    }
    print_message("two layers, p = 0.5: %d and %d of %d units dropped, %d differ\n", dropped[0], dropped[1], H, differ);
    /* each about half; independent masks agree on a unit half the time */
    assert_true(dropped[0] > H / 5 && dropped[0] < H - H / 5);
    assert_true(dropped[1] > H / 5 && dropped[1] < H - H / 5);
    assert_true(differ > H / 5);
    model_free(m);
}

/* ------------------------------------------------------------ clipping norm */

static void test_clip_norm_covers_every_parameter(void **s) {
    (void)s;
    enum { V = 40, N = 400 };
    int32_t ids[N + 1];
    for (int i = 0; i <= N; i++) ids[i] = 3 + (i * 7 + i / 5) % (V - 3);
    for (int sampled = 0; sampled <= 1; sampled++) {
        step_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.model = (model_config){.cell = CELL_GRU, .V = V, .E = 8, .H = 6, .L = 2};
        cfg.opt = opt_config_default(OPT_SGD);
        cfg.opt.lr = 1;
        cfg.opt.clip = 1e-3f;   /* far below the norm: every step is clipped */
        cfg.B = 2;
        cfg.T = 5;
        cfg.seed = 4;
        cfg.max_bad_steps = 1;
        if (sampled) { cfg.loss = LOSS_SAMPLED; cfg.samples = 10; }
        step_engine *t;
        rnnlm_err err;
        assert_int_equal(step_create(&t, &cfg, ids, ids + 1, N, &err), RNNLM_OK);
        step_begin_epoch(t);
        model *m = step_model(t);
        const nn_layout *lay = model_layout(m);
        size_t n = model_n_params(m);
        float *before = malloc(n * sizeof *before);
        assert_non_null(before);
        for (int step = 0; step < 3; step++) {
            memcpy(before, model_params(m), n * sizeof *before);
            step_progress p;
            int done = 0;
            assert_int_equal(step_run(t, &p, &done, &err), RNNLM_OK);
            assert_false(done || p.skipped);
            const float *g = model_grads(m);
            double all = 0, emb = 0;
            for (size_t i = 0; i < n; i++) all += (double)g[i] * (double)g[i];
            for (size_t i = lay->emb.offset; i < lay->emb.offset + lay->emb.count; i++) emb += (double)g[i] * (double)g[i];
            assert_true(emb > 1e-6 * all);   /* the embedding's share shows */
            if (fabs(p.grad_norm - sqrt(all)) > 1e-6 * sqrt(all))
                fail_msg("sampled %d step %d: clipping norm %.9g, every gradient's %.9g (without the embedding's %.9g)",
                         sampled, step, p.grad_norm, sqrt(all), sqrt(all - emb));
            /* SGD, lr 1: every weight moved by -g clip / norm, the embedding's too */
            double f = (double)cfg.opt.clip / sqrt(all);
            for (size_t i = 0; i < n; i++) {
                double moved = (double)model_params(m)[i] - (double)before[i], want = -(double)g[i] * f;
                if (fabs(moved - want) > 1e-6 * fabs(before[i]) + 1e-9)
                    fail_msg("sampled %d step %d: weight %zu moved %.9g, -g clip / norm = %.9g", sampled, step, i,
                             moved, want);
            }
        }
        free(before);
        step_free(t);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weight_decay_spares_biases),
        cmocka_unit_test(test_bf16_round_to_nearest_even),
        cmocka_unit_test(test_embedding_dropout_mask),
        cmocka_unit_test(test_word_dropout_tied_input_side_only),
        cmocka_unit_test(test_layers_draw_their_own_masks),
        cmocka_unit_test(test_clip_norm_covers_every_parameter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
