/* test_eval.c: rnnlm_eval_stream on a loaded model leaves the model as it
 * was (rnnlm.h: a loaded model is read-only): its compute threads, its
 * carried state, and what a scoring call gives are the same before and
 * after, and two evaluations of the same stream agree exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/infer.h"
#include "model/model.h"
#include "rnnlm.h"
#include "util.h"
#include "sharp_model.h"

#define V_TEST 17
#define N_PAIRS 203   /* not a multiple of the rows: a tail is scored too */

/* The logprobs after feeding ids[0..n) to a fresh state of m. */
static void score(const rnnlm_model *m, const int32_t *ids, size_t n, float *lp) {
    rnnlm_state *s = NULL;
    rnnlm_err err;
    assert_int_equal(rnnlm_state_create(&s, m, &err), RNNLM_OK);
    for (size_t i = 0; i < n; i++) assert_int_equal(rnnlm_feed(s, ids[i], lp, &err), RNNLM_OK);
    rnnlm_state_free(s);
}

static void test_eval_stream_leaves_model(void **state) {
    (void)state;
    model_config cfg = {.cell = CELL_LSTM, .V = V_TEST, .E = 8, .H = 8, .L = 2, .dropout = 0.3f,
                        .init = INIT_UNIFORM, .threads = 1};
    model *m = sharp_model(&cfg, 11);
    rnnlm_err err;
    /* a carried state, as a training run's last batch leaves it */
    assert_int_equal(model_reserve(m, 3, 5, &err), RNNLM_OK);
    size_t ns = model_state_size(m);
    float *st0 = malloc(ns * sizeof *st0);
    for (size_t i = 0; i < ns; i++) model_state(m)[i] = st0[i] = (float)((double)i / (double)ns - 0.5);
    rnnlm_model *rm = NULL;
    assert_int_equal(infer_model_wrap(&rm, m, util_make_vocab(V_TEST), &err), RNNLM_OK);

    int32_t ids[N_PAIRS + 1];
    for (int i = 0; i <= N_PAIRS; i++) ids[i] = (int32_t)(3 + (i * 7 + i / 5) % (V_TEST - 3));
    char path0[256], path1[256];
    float lp0[V_TEST], lp1[V_TEST];
    rnnlm_model_compute_path(rm, path0, sizeof path0);
    score(rm, ids, 9, lp0);

    rnnlm_eval_options o = {.B = 4, .T = 6, .recipe = 0, .threads = 2};   /* other threads than the model's */
    rnnlm_eval_stream_result r1, r2;
    assert_int_equal(rnnlm_eval_stream(rm, ids, ids + 1, N_PAIRS, &o, &r1, &err), RNNLM_OK);
    assert_int_equal(r1.r.count, N_PAIRS);
    assert_true(r1.tail > 0);
    assert_int_equal(rnnlm_eval_stream(rm, ids, ids + 1, N_PAIRS, &o, &r2, &err), RNNLM_OK);
    assert_memory_equal(&r1.r.loss_sum, &r2.r.loss_sum, sizeof r1.r.loss_sum);
    assert_int_equal(r1.r.correct, r2.r.correct);

    /* the model as it was: threads, the carried state (its size: the reserved rows), scores */
    rnnlm_model_compute_path(rm, path1, sizeof path1);
    assert_string_equal(path0, path1);
    const model *after = infer_model(rm);
    assert_int_equal(model_cfg(after)->threads, 1);
    assert_int_equal(model_state_size(after), ns);
    assert_memory_equal(model_state(m), st0, ns * sizeof *st0);
    score(rm, ids, 9, lp1);
    assert_memory_equal(lp0, lp1, sizeof lp0);
    free(st0);
    rnnlm_model_free(rm);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_stream_leaves_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
