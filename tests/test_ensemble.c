/* test_ensemble.c: the per-pair log-probabilities of rnnlm_eval_stream
 * (rnnlm_eval_options.logprob) and rnnlm_eval_ensemble (docs/ENSEMBLE.md).
 *  - logprob: each pair's value is the one rnnlm_feed gives for that
 *    target when the pair's row of the stream is fed from the empty state
 *    (row r: pairs [r L, (r + 1) L), the last row running on through the
 *    tail), for the full softmax and for the adaptive head (whose rows the
 *    batch sorts by class), at B 4 and at B 1; their sum is minus the
 *    loss sum;
 *  - the ensemble of one model is that model's figure; of a model and
 *    itself, the same; of two models, minus the sum of log((p1 + p2) / 2)
 *    over the members' own per-pair values, below the mean of the members'
 *    losses (the log of a mean is at least the mean of the logs), with
 *    each member's own loss reported;
 *  - refusals: no member, --recipe-batching, vocabularies that differ; the
 *    library's trainer trains one model and refuses `members` other than 1. */
#include <math.h>
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

static int32_t ids[N_PAIRS + 1];

static void make_ids(void) {
    for (int i = 0; i <= N_PAIRS; i++) ids[i] = (int32_t)(3 + (i * 7 + i / 5) % (V_TEST - 3));
}

static rnnlm_model *make_model(int adaptive, uint64_t seed) {
    model_config cfg = {.cell = CELL_LSTM, .V = V_TEST, .E = 8, .H = 8, .L = 2, .init = INIT_UNIFORM, .threads = 1};
    if (adaptive) {
        cfg.tied = 1;
        cfg.adaptive = 1;
        cfg.ada_n = 2;
        cfg.ada_cut[0] = 5;
        cfg.ada_cut[1] = 11;
        cfg.ada_div = 2;
    }
    model *m = sharp_model(&cfg, seed);
    rnnlm_model *rm = NULL;
    rnnlm_err err;
    assert_int_equal(infer_model_wrap(&rm, m, util_make_vocab(V_TEST), &err), RNNLM_OK);
    return rm;
}

/* The log p of each target of pairs [a, b) fed from the empty state. */
static void feed_row(const rnnlm_model *m, size_t a, size_t b, double *out) {
    rnnlm_state *s = NULL;
    rnnlm_err err;
    float lp[V_TEST];
    assert_int_equal(rnnlm_state_create(&s, m, &err), RNNLM_OK);
    for (size_t i = a; i < b; i++) {
        assert_int_equal(rnnlm_feed(s, ids[i], lp, &err), RNNLM_OK);
        out[i] = lp[ids[i + 1]];
    }
    rnnlm_state_free(s);
}

static void check_logprob(int adaptive, int B) {
    rnnlm_model *m = make_model(adaptive, 7);
    rnnlm_err err;
    double lp[N_PAIRS], ref[N_PAIRS];
    for (int i = 0; i < N_PAIRS; i++) lp[i] = 1.0;   /* every one must be written */
    rnnlm_eval_options o = {.B = B, .T = 6, .threads = 2, .logprob = lp};
    rnnlm_eval_stream_result r, plain;
    assert_int_equal(rnnlm_eval_stream(m, ids, ids + 1, N_PAIRS, &o, &r, &err), RNNLM_OK);
    o.logprob = NULL;
    assert_int_equal(rnnlm_eval_stream(m, ids, ids + 1, N_PAIRS, &o, &plain, &err), RNNLM_OK);
    assert_int_equal(r.r.count, N_PAIRS);
    assert_int_equal(r.r.correct, plain.r.correct);
    assert_true(fabs(r.r.loss_sum - plain.r.loss_sum) <= 1e-9 * plain.r.loss_sum);
    size_t L = N_PAIRS / (size_t)B;
    for (int row = 0; row < B; row++)
        feed_row(m, (size_t)row * L, row == B - 1 ? N_PAIRS : (size_t)(row + 1) * L, ref);
    double sum = 0;
    for (int i = 0; i < N_PAIRS; i++) {
        assert_true(lp[i] <= 0.0);
        if (fabs(lp[i] - ref[i]) > 1e-4) fail_msg("B %d, adaptive %d: pair %d: %.7f, fed %.7f", B, adaptive, i, lp[i], ref[i]);
        sum -= lp[i];
    }
    assert_true(fabs(sum - r.r.loss_sum) <= 1e-9 * r.r.loss_sum);
    rnnlm_model_free(m);
}

static void test_logprob_full(void **state) {
    (void)state;
    check_logprob(0, 4);
    check_logprob(0, 1);
}

static void test_logprob_adaptive(void **state) {
    (void)state;
    check_logprob(1, 4);
    check_logprob(1, 1);
}

static void test_ensemble_mixture(void **state) {
    (void)state;
    rnnlm_model *a = make_model(0, 7), *b = make_model(1, 9);
    rnnlm_err err;
    rnnlm_eval_options o = {.B = 4, .T = 6, .threads = 1};
    rnnlm_eval_stream_result ra, re;
    double la[N_PAIRS], lb[N_PAIRS], ml[2];
    assert_int_equal(rnnlm_eval_stream(a, ids, ids + 1, N_PAIRS, &o, &ra, &err), RNNLM_OK);
    /* one member: its own figure */
    const rnnlm_model *one[1] = {a};
    assert_int_equal(rnnlm_eval_ensemble(one, 1, ids, ids + 1, N_PAIRS, &o, &re, ml, &err), RNNLM_OK);
    assert_true(fabs(re.r.loss_sum - ra.r.loss_sum) <= 1e-9 * ra.r.loss_sum);
    assert_int_equal(re.r.count, N_PAIRS);
    /* a model and itself: the same distribution */
    const rnnlm_model *twice[2] = {a, a};
    assert_int_equal(rnnlm_eval_ensemble(twice, 2, ids, ids + 1, N_PAIRS, &o, &re, ml, &err), RNNLM_OK);
    assert_true(fabs(re.r.loss_sum - ra.r.loss_sum) <= 1e-9 * ra.r.loss_sum);
    /* two models: the mixture of their own per-pair probabilities */
    o.logprob = la;
    assert_int_equal(rnnlm_eval_stream(a, ids, ids + 1, N_PAIRS, &o, &ra, &err), RNNLM_OK);
    o.logprob = lb;
    rnnlm_eval_stream_result rb;
    assert_int_equal(rnnlm_eval_stream(b, ids, ids + 1, N_PAIRS, &o, &rb, &err), RNNLM_OK);
    o.logprob = NULL;
    double want = 0;
    for (int i = 0; i < N_PAIRS; i++) want -= log(0.5 * (exp(la[i]) + exp(lb[i])));
    const rnnlm_model *pair[2] = {a, b};
    assert_int_equal(rnnlm_eval_ensemble(pair, 2, ids, ids + 1, N_PAIRS, &o, &re, ml, &err), RNNLM_OK);
    assert_true(fabs(re.r.loss_sum - want) <= 1e-9 * want);
    assert_true(re.r.loss_sum < 0.5 * (ra.r.loss_sum + rb.r.loss_sum));
    assert_true(fabs(ml[0] - ra.r.loss_sum) <= 1e-9 * ra.r.loss_sum);
    assert_true(fabs(ml[1] - rb.r.loss_sum) <= 1e-9 * rb.r.loss_sum);
    assert_int_equal(re.r.correct, 0);
    rnnlm_model_free(a);
    rnnlm_model_free(b);
}

static void test_ensemble_refusals(void **state) {
    (void)state;
    rnnlm_model *a = make_model(0, 7);
    rnnlm_err err;
    rnnlm_eval_options o = {.B = 4, .T = 6, .threads = 1};
    rnnlm_eval_stream_result re;
    const rnnlm_model *one[1] = {a};
    assert_int_equal(rnnlm_eval_ensemble(one, 0, ids, ids + 1, N_PAIRS, &o, &re, NULL, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "at least one"));
    o.recipe = 1;
    assert_int_equal(rnnlm_eval_ensemble(one, 1, ids, ids + 1, N_PAIRS, &o, &re, NULL, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "recipe"));
    o.recipe = 0;
    /* another vocabulary of the same size: word 5 renamed */
    model_config cfg = {.cell = CELL_LSTM, .V = V_TEST, .E = 8, .H = 8, .L = 2, .init = INIT_UNIFORM, .threads = 1};
    const char *words[V_TEST];
    char store[V_TEST][16];
    for (int i = 0; i < V_TEST; i++) {
        snprintf(store[i], sizeof store[i], i == 5 ? "other" : "w%d", i);
        words[i] = i == 0 ? "<s>" : i == 1 ? "</s>" : i == 2 ? "<unk>" : store[i];
    }
    rnnlm_vocab *v = NULL;
    assert_int_equal(rnnlm_vocab_from_words(&v, words, NULL, V_TEST, RNNLM_CANON_RECIPE, V_TEST, &err), RNNLM_OK);
    rnnlm_model *b = NULL;
    assert_int_equal(infer_model_wrap(&b, sharp_model(&cfg, 3), v, &err), RNNLM_OK);
    const rnnlm_model *pair[2] = {a, b};
    assert_int_equal(rnnlm_eval_ensemble(pair, 2, ids, ids + 1, N_PAIRS, &o, &re, NULL, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "id 5"));
    rnnlm_model_free(a);
    rnnlm_model_free(b);
}

static void test_trainer_trains_one(void **state) {
    (void)state;
    rnnlm_train_options t;
    rnnlm_data_options d;
    rnnlm_train_options_default(&t);
    rnnlm_data_options_default(&d);
    t.members = 2;
    rnnlm_trainer *tr = NULL;
    rnnlm_err err;
    assert_int_equal(rnnlm_trainer_create(&tr, &t, &d, &err), RNNLM_E_ARG);
    assert_null(tr);
    assert_non_null(strstr(err.msg, "`members` 2"));
    t.members = 0;
    assert_int_equal(rnnlm_trainer_create(&tr, &t, &d, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "members"));
    /* nor does it build an n-gram: the command line does */
    t.members = 1;
    t.ngram_order = 5;
    assert_int_equal(rnnlm_trainer_create(&tr, &t, &d, &err), RNNLM_E_ARG);
    assert_null(tr);
    assert_non_null(strstr(err.msg, "`ngram_order` 5"));
    /* the hour preset is an ensemble of two at B = 128 whose cosine holds its rate for 40% of the
     * run; medium one model on the plain cosine */
    rnnlm_train_options_default(&t);
    assert_int_equal(rnnlm_preset_apply("hour", &t, &d, &err), RNNLM_OK);
    assert_int_equal(t.members, 2);
    assert_int_equal(t.batch, 128);
    assert_int_equal(t.ngram_order, 5);
    assert_true(t.lr_hold == 0.4 && t.lr_schedule == RNNLM_LR_COSINE);   /* the cosine over the last 60% */
    assert_int_equal(rnnlm_train_options_check(&t, &err), RNNLM_OK);
    rnnlm_train_options_default(&t);
    assert_int_equal(rnnlm_preset_apply("medium", &t, &d, &err), RNNLM_OK);
    assert_int_equal(t.members, 1);
    assert_int_equal(t.ngram_order, 0);
    assert_true(t.lr_hold == 0);
}

int main(void) {
    make_ids();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logprob_full),
        cmocka_unit_test(test_logprob_adaptive),
        cmocka_unit_test(test_ensemble_mixture),
        cmocka_unit_test(test_ensemble_refusals),
        cmocka_unit_test(test_trainer_trains_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
