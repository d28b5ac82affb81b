/* test_train.c: the training loop: the recipe's toy run learns its sequence,
 * two runs with one seed give byte-identical weights, non-finite steps never
 * reach the weights and a run of them stops training, both pipelines run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/step.h"

/* The recipe's toy data (docs/DATA.md section 7): the 16-token sequence with labels one word ahead
 * (last label <unk>), tiled 100 times. */
static void toy_pairs(int32_t **x, int32_t **y, size_t *n, int *V) {
    rnnlm_err err;
    rnnlm_corpus *c;
    rnnlm_vocab *v;
    int32_t *ids;
    size_t n_ids;
    assert_int_equal(rnnlm_corpus_toy(&c, &err), RNNLM_OK);
    assert_int_equal(rnnlm_vocab_build(&v, c, 0, RNNLM_CANON_NONE, &err), RNNLM_OK);
    assert_int_equal(rnnlm_ids_build(c, v, NULL, 0, 0, &ids, &n_ids, &err), RNNLM_OK);
    assert_int_equal(n_ids, 16);
    *n = 16 * 100;
    *x = malloc(*n * sizeof **x);
    *y = malloc(*n * sizeof **y);
    for (size_t r = 0; r < 100; r++)
        for (size_t i = 0; i < 16; i++) {
            (*x)[r * 16 + i] = ids[i];
            (*y)[r * 16 + i] = i + 1 < 16 ? ids[i + 1] : RNNLM_UNK;
        }
    *V = (int)rnnlm_vocab_size(v);
    free(ids);
    rnnlm_vocab_free(v);
    rnnlm_corpus_free(c);
}

static step_config toy_config(int V) {
    step_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.model = (model_config){.cell = CELL_LSTM, .V = V, .E = 10, .H = 10, .L = 1, .dropout = 0.1f};
    cfg.opt = opt_config_default(OPT_ADAM);
    cfg.B = 2;
    cfg.T = 8;
    cfg.seed = 3;
    cfg.max_bad_steps = 5;
    return cfg;
}

/* Trains `epochs` epochs; returns the last epoch's training accuracy. */
static double run_epochs(step_engine *t, int epochs) {
    rnnlm_err err;
    step_progress p;
    for (int e = 0; e < epochs; e++) {
        step_begin_epoch(t);
        int done = 0;
        while (!done) assert_int_equal(step_run(t, &p, &done, &err), RNNLM_OK);
    }
    return (double)p.epoch_sum.correct / (double)p.epoch_sum.count;
}

static void test_toy_learns(void **state) {
    (void)state;
    int32_t *x, *y;
    size_t n;
    int V;
    toy_pairs(&x, &y, &n, &V);
    assert_int_equal(V, 15);
    for (int pipe = 0; pipe < 2; pipe++) {
        step_config cfg = toy_config(V);
        cfg.pipeline = (pipeline_kind)pipe;
        step_engine *t;
        rnnlm_err err;
        assert_int_equal(step_create(&t, &cfg, x, y, n, &err), RNNLM_OK);
        double acc = run_epochs(t, 20);
        print_message("toy, %s pipeline, 20 epochs: training accuracy %.4f\n", pipe ? "windowed" : "stateful", acc);
        assert_true(acc >= 0.9);
        batch_stats es;
        assert_int_equal(step_evaluate(t, x, y, 16 * 4, &es, &err), RNNLM_OK);
        assert_true(es.count > 0);
        step_free(t);
    }
    free(x); free(y);
}

static void test_deterministic(void **state) {
    (void)state;
    int32_t *x, *y;
    size_t n;
    int V;
    toy_pairs(&x, &y, &n, &V);
    float *w[2];
    size_t np = 0;
    for (int run = 0; run < 2; run++) {
        step_config cfg = toy_config(V);
        cfg.model.L = 2;
        step_engine *t;
        rnnlm_err err;
        assert_int_equal(step_create(&t, &cfg, x, y, n, &err), RNNLM_OK);
        run_epochs(t, 2);
        np = model_n_params(step_model(t));
        w[run] = malloc(np * sizeof(float));
        memcpy(w[run], model_params(step_model(t)), np * sizeof(float));
        step_free(t);
    }
    assert_memory_equal(w[0], w[1], np * sizeof(float));
    /* and another seed gives other weights */
    step_config cfg = toy_config(V);
    cfg.model.L = 2;
    cfg.seed = 4;
    step_engine *t;
    rnnlm_err err;
    assert_int_equal(step_create(&t, &cfg, x, y, n, &err), RNNLM_OK);
    run_epochs(t, 2);
    assert_true(memcmp(w[0], model_params(step_model(t)), np * sizeof(float)) != 0);
    step_free(t);
    free(w[0]); free(w[1]); free(x); free(y);
}

static void test_nonfinite_skipped(void **state) {
    (void)state;
    int32_t *x, *y;
    size_t n;
    int V;
    toy_pairs(&x, &y, &n, &V);
    step_config cfg = toy_config(V);
    step_engine *t;
    rnnlm_err err;
    assert_int_equal(step_create(&t, &cfg, x, y, n, &err), RNNLM_OK);
    model *m = step_model(t);
    /* poison one output bias: every loss is then NaN */
    const model_tensor *ob = NULL;
    for (int i = 0; i < model_n_tensors(m); i++)
        if (strstr(model_tensor_at(m, i)->name, "output.bias")) ob = model_tensor_at(m, i);
    assert_non_null(ob);
    model_params(m)[ob->offset] = NAN;
    size_t np = model_n_params(m);
    float *before = malloc(np * sizeof(float));
    memcpy(before, model_params(m), np * sizeof(float));
    step_begin_epoch(t);
    step_progress p;
    int done = 0, k;
    rnnlm_status st = RNNLM_OK;
    for (k = 0; k < 10 && !st; k++) {
        st = step_run(t, &p, &done, &err);
        if (!st) { assert_true(p.skipped); assert_int_equal(p.skipped_total, (size_t)k + 1); }
    }
    assert_int_equal(st, RNNLM_E_NUMERIC);
    assert_int_equal(k, cfg.max_bad_steps);
    assert_non_null(strstr(err.msg, "non-finite"));
    /* the weights are exactly as they were (NaN compares unequal: compare bytes) */
    assert_memory_equal(before, model_params(m), np * sizeof(float));
    free(before);
    step_free(t);
    free(x); free(y);
}

static void test_bad_config(void **state) {
    (void)state;
    int32_t ids[10] = {0};
    step_config cfg = toy_config(15);
    step_engine *t;
    rnnlm_err err;
    assert_int_equal(step_create(&t, &cfg, ids, ids + 1, 0, &err), RNNLM_E_ARG);   /* no data */
    assert_non_null(strstr(err.msg, "batch"));
    cfg.pipeline = PIPE_WINDOWED;   /* 9 pairs make no window of 8 */
    assert_int_equal(step_create(&t, &cfg, ids, ids + 1, 9, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "windows"));
}

/* Trains one epoch; returns the predictions it counted. */
static int64_t one_epoch(step_engine *t) {
    rnnlm_err err;
    step_progress p;
    int done = 0;
    step_begin_epoch(t);
    while (!done) assert_int_equal(step_run(t, &p, &done, &err), RNNLM_OK);
    return p.epoch_sum.count;
}

/* Data too short for one batch of B x T: a smaller batch, not a refusal,
 * in training and in evaluation; data that fills full batches keeps the
 * recipe's batching (windowed evaluation: full batches only). */
static void test_small_data(void **state) {
    (void)state;
    int32_t *x, *y;
    size_t n;
    int V, B, T;
    toy_pairs(&x, &y, &n, &V);
    rnnlm_err err;
    step_engine *t;
    /* windowed, the toy's own 16 pairs: 1 window of 8, a batch of 1 row */
    step_config cfg = toy_config(V);
    cfg.pipeline = PIPE_WINDOWED;
    assert_int_equal(step_create(&t, &cfg, x, y, 16, &err), RNNLM_OK);
    step_batch_shape(t, &B, &T);
    assert_int_equal(B, 1);
    assert_int_equal(T, 8);
    assert_int_equal(step_steps_per_epoch(t), 1);
    assert_int_equal(one_epoch(t), 8);
    size_t ss = model_state_size(step_model(t));
    batch_stats es;
    assert_int_equal(step_evaluate(t, x, y, 16, &es, &err), RNNLM_OK);
    assert_int_equal(es.count, 8);                     /* the one window */
    assert_true(isfinite(es.loss_sum) && es.loss_sum > 0);
    assert_int_equal(step_evaluate(t, x, y, 64, &es, &err), RNNLM_OK);
    assert_int_equal(es.count, 2 * 8 * 3);             /* 7 windows: 3 full batches of 2 */
    assert_int_equal(step_evaluate(t, x, y, 10, &es, &err), RNNLM_OK);
    assert_int_equal(es.count, 10);                    /* no window: one stream */
    assert_int_equal(step_evaluate(t, x, y, 0, &es, &err), RNNLM_E_ARG);
    assert_int_equal(model_state_size(step_model(t)), ss);   /* the training shape again */
    assert_int_equal(one_epoch(t), 8);
    step_free(t);
    /* a full-size run evaluating the toy's 16 pairs: one batch of the 1 window */
    assert_int_equal(step_create(&t, &cfg, x, y, n, &err), RNNLM_OK);
    step_batch_shape(t, &B, &T);
    assert_int_equal(B, 2);
    ss = model_state_size(step_model(t));
    assert_int_equal(step_evaluate(t, x, y, 16, &es, &err), RNNLM_OK);
    assert_int_equal(es.count, 8);
    assert_int_equal(model_state_size(step_model(t)), ss);
    assert_int_equal(one_epoch(t), (int64_t)(n / 8 - 1) / 2 * 2 * 8);   /* 199 windows: 99 batches of 2 */
    step_free(t);
    /* stateful: 9 pairs are one row of 9 (batches of 8 and 1); 12 are one row */
    cfg.pipeline = PIPE_STATEFUL;
    assert_int_equal(step_create(&t, &cfg, x, y, 9, &err), RNNLM_OK);
    step_batch_shape(t, &B, &T);
    assert_int_equal(B, 1);
    assert_int_equal(T, 8);
    assert_int_equal(step_steps_per_epoch(t), 2);
    assert_int_equal(one_epoch(t), 9);
    assert_int_equal(step_evaluate(t, x, y, 12, &es, &err), RNNLM_OK);
    assert_int_equal(es.count, 12);
    assert_int_equal(step_evaluate(t, x, y, 5, &es, &err), RNNLM_OK);
    assert_int_equal(es.count, 5);
    assert_int_equal(step_evaluate(t, x, y, 40, &es, &err), RNNLM_OK);
    assert_int_equal(es.count, 40);                    /* 2 rows of 20 */
    step_free(t);
    free(x); free(y);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toy_learns),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_nonfinite_skipped),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_small_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
