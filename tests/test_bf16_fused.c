/* test_bf16_fused.c: with bf16 products, three operands are rounded where
 * they are computed rather than by each product that reads them (the
 * mirrors of backend/backend.h): the softmax's logit gradient (written by
 * softmax_xent, read by two products), an LSTM layer's gate gradients
 * (written by lstm_backward, read by four) and the batch's recurrent
 * weights after DropConnect (rounded where the mask is applied, read by 2T
 * products a layer). That must change the time and nothing else:
 *  - the kernels' bf16 rows equal bf16_round of their fp32 rows;
 *  - Adam steps of a 2-layer LSTM with DropConnect, locked dropout, tied
 *    weights, AR and TAR, at 2 threads, give byte-identical losses and
 *    parameters to the same steps on a backend whose products ignore those
 *    copies and round every operand themselves (the CPU backend with that
 *    one change, registered for the second run). The second backend counts
 *    the products that found an operand in one of the copies, so the test
 *    fails if the first run never read them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"
#include "nn/compute.h"
#include "core/rng.h"
#include "train/step.h"
#include "util.h"
#include "util_train.h"

#define STEPS 6

static float *random_matrix(size_t n, uint64_t seed, float scale) {
    float *a = malloc(n * sizeof *a);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) a[i] = (float)(rnnlm_rng_double(&r) * 2.0 - 1.0) * scale;
    return a;
}

/* lstm_backward's z16 and softmax_xent's lg16 against bf16_round of the
 * rows each kernel wrote in fp32. */
static void test_kernels_round_as_bf16_round(void **state) {
    (void)state;
    const backend *be = backend_default();
    const int B = 5, H = 37, GH = 4 * H, V = 203, R = 7;
    float *z = random_matrix((size_t)B * GH, 1, 0.9f), *dc = random_matrix((size_t)B * H, 2, 0.5f);
    float *dy = random_matrix((size_t)B * H, 3, 0.5f), *dh = random_matrix((size_t)B * H, 4, 0.5f);
    float *tc = random_matrix((size_t)B * H, 5, 0.9f), *cp = random_matrix((size_t)B * H, 6, 1.0f);
    uint16_t *z16 = malloc((size_t)B * GH * sizeof *z16), *want = malloc((size_t)R * V * sizeof *want);
    be->f32->lstm_backward(z, dc, dy, dh, tc, cp, B, H, z16);
    be->bf16_round(want, z, (size_t)B * GH);
    assert_memory_equal(z16, want, (size_t)B * GH * sizeof *z16);

    float *lg = random_matrix((size_t)R * V, 7, 8.0f), *b = random_matrix((size_t)V, 8, 1.0f);
    float *gb = calloc((size_t)V, sizeof *gb);
    uint16_t *lg16 = malloc((size_t)R * V * sizeof *lg16);
    int32_t tgt[7] = {0, 5, 202, 17, 100, 5, 64};
    double loss = 0;
    int64_t correct = 0;
    be->f32->softmax_xent(lg, tgt, b, gb, V, R, 1, 1.0 / R, &loss, &correct, lg16);
    be->bf16_round(want, lg, (size_t)R * V);
    assert_memory_equal(lg16, want, (size_t)R * V * sizeof *lg16);
    free(z); free(dc); free(dy); free(dh); free(tc); free(cp); free(z16); free(want);
    free(lg); free(b); free(gb); free(lg16);
}

/* ------------------------------------------- the backend without the copies */

static const backend *cpu;                 /* the built-in backend */
static backend own_rounding;               /* it, with the products below */
static backend_kernels_f32 own_k32;
static unsigned long copies_found;         /* products that had an operand in mirror 1 or 2 */

static int in_copies(const backend_ctx *c, const float *X) {
    for (int k = 1; k < BACKEND_MIRRORS; k++)
        if (c->mirror[k].h && X >= c->mirror[k].f && X < c->mirror[k].f + c->mirror[k].n) return 1;
    return 0;
}

static void gemm_own_rounding(const backend_ctx *c, nn_op ta, nn_op tb, int M, int N, int K, float alpha,
                              const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (!c) {
        cpu->f32->gemm(c, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    backend_ctx plain = *c;
    if (in_copies(c, A) || in_copies(c, B)) __atomic_add_fetch(&copies_found, 1, __ATOMIC_RELAXED);
    for (int k = 1; k < BACKEND_MIRRORS; k++) memset(&plain.mirror[k], 0, sizeof plain.mirror[k]);
    cpu->f32->gemm(&plain, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* STEPS Adam steps in bf16; the losses and the final parameters. */
static void train_steps(double *loss, float **params, size_t *n_params) {
    step_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.model = (model_config){.cell = CELL_LSTM, .V = 300, .E = 48, .H = 48, .L = 2, .dropout = 0.2f,
                                .threads = 2, .bf16 = 1, .tied = 1,
                                .reg = {.out = 0.3f, .emb = 0.2f, .word = 0.1f, .weight = 0.4f, .locked = 1,
                                        .ar = 2.0f, .tar = 1.0f}};
    cfg.opt = opt_config_default(OPT_ADAM);
    cfg.B = 16;   /* two slices of 8 rows for the recurrences (cell_rows) */
    cfg.T = 9;
    cfg.seed = 7;
    cfg.max_bad_steps = 10;
    rnnlm_err err;
    if (util_train_steps(&cfg, STEPS, loss, params, n_params, &err)) fail_msg("training: %s", err.msg);
}

static void test_training_same_without_copies(void **state) {
    (void)state;
    double fused[STEPS], plain[STEPS];
    float *pf, *pp;
    size_t nf, np;
    train_steps(fused, &pf, &nf);

    cpu = backend_default();
    own_rounding = *cpu;
    own_rounding.name = "own-rounding";
    own_k32 = *cpu->f32;
    own_k32.gemm = gemm_own_rounding;
    own_rounding.f32 = &own_k32;
    rnnlm_err err;
    assert_int_equal(backend_register(&own_rounding, &err), RNNLM_OK);
    train_steps(plain, &pp, &np);

    printf("products that found an operand among the rounded copies: %lu\n", copies_found);
    assert_true(copies_found > 0);
    assert_memory_equal(fused, plain, sizeof fused);
    assert_int_equal(nf, np);
    assert_memory_equal(pf, pp, nf * sizeof(float));
    free(pf);
    free(pp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_round_as_bf16_round),
        cmocka_unit_test(test_training_same_without_copies),   /* last: it registers a backend */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
