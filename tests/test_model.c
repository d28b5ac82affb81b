/* test_model.c: the model's contract apart from gradient exactness (see
 * test_gradcheck.c): the toy configuration's shapes and summary, carried
 * state (truncated BPTT), reset, tied embeddings, determinism, chunked
 * softmax against one slice, the recipe's initialisers, refusals of bad
 * input, and that a few plain gradient steps lower the loss. */
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
#include "util.h"

static model *make(cell_kind cell, int V, int E, int H, int L, float dropout, int tied, int B,
                   int T, uint64_t seed) {
    model_config cfg = {.cell = cell, .V = V, .E = E, .H = H, .L = L, .dropout = dropout,
                        .tied = tied, .init = INIT_RECIPE};
    model *m = NULL;
    rnnlm_err err;
    assert_int_equal(model_create(&m, &cfg, &err), RNNLM_OK);
    assert_int_equal(model_reserve(m, B, T, &err), RNNLM_OK);
    model_init_params(m, seed);
    return m;
}

static void assert_shape(const model_tensor *t, int ndim, int d0, int d1) {
    assert_non_null(t);
    assert_int_equal(t->ndim, ndim);
    assert_int_equal(t->shape[0], d0);
    if (ndim > 1) assert_int_equal(t->shape[1], d1);
}

/* V = 15, E = H = 10, one LSTM layer: the recipe's summary (docs/RECIPE.md section 2) */
static void test_toy_summary(void **s) {
    (void)s;
    model *m = make(CELL_LSTM, 15, 10, 10, 1, 0.1f, 0, 2, 8, 1);
    assert_int_equal(model_n_tensors(m), 6);
    assert_shape(model_tensor_at(m, 0), 2, 15, 10);
    assert_shape(model_tensor_at(m, 1), 2, 10, 40);
    assert_shape(model_tensor_at(m, 2), 2, 10, 40);
    assert_shape(model_tensor_at(m, 3), 1, 40, 0);
    assert_shape(model_tensor_at(m, 4), 2, 10, 15);
    assert_shape(model_tensor_at(m, 5), 1, 15, 0);
    assert_string_equal(model_tensor_at(m, 1)->name, "lstm.0.kernel");
    assert_string_equal(model_tensor_at(m, 4)->name, "output.kernel");
    assert_null(model_tensor_at(m, 6));
    assert_int_equal(model_n_params(m), 150 + 400 + 400 + 40 + 150 + 15);
    size_t off = 0;
    for (int i = 0; i < model_n_tensors(m); i++) {
        assert_int_equal(model_tensor_at(m, i)->offset, off);
        off += model_tensor_at(m, i)->count;
    }
    char buf[1024];
    model_summary(m, buf, sizeof buf);
    printf("%s", buf);
    assert_non_null(strstr(buf, "Embedding weights (15, 10)\n"));
    assert_non_null(strstr(buf, "Hidden (LSTM) layer 1: input weights (10, 40), "
                                "state-input weights (10, 40), biases (40,)\n"));
    assert_non_null(strstr(buf, "Dropout 0.1\n"));
    assert_non_null(strstr(buf, "Output layer weights (10, 15), biases (15,)\n"));
    assert_non_null(strstr(buf, "Total parameters: 1155\n"));
    /* a short buffer is cut, never overrun */
    char small[16];
    model_summary(m, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(model_state_size(m), 2 * 1 * 2 * 10);
    model_free(m);

    /* GRU biases are (2, 3H) */
    m = make(CELL_GRU, 15, 10, 10, 2, 0.1f, 0, 2, 8, 1);
    model_summary(m, buf, sizeof buf);
    assert_non_null(strstr(buf, "Hidden (GRU) layer 2: input weights (10, 30), "
                                "state-input weights (10, 30), biases (2, 30)\n"));
    model_free(m);
}

/* Running 2T steps as one batch or as two batches of T with the state
 * carried gives the same loss and the same final state (evaluation). */
static void test_state_carry(void **s) {
    (void)s;
    for (int c = 0; c < 3; c++) {
        const int B = 3, T = 5, V = 30;
        model *one = make((cell_kind)c, V, 8, 12, 2, 0.1f, 0, B, 2 * T, 11);
        model *two = make((cell_kind)c, V, 8, 12, 2, 0.1f, 0, B, T, 11);
        int32_t x[3 * 10], y[3 * 10], xa[15], ya[15], xb[15], yb[15];
        util_random_ids(x, (size_t)(B * 2 * T), V, 3);
        util_random_ids(y, (size_t)(B * 2 * T), V, 4);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                xa[b * T + t] = x[b * 2 * T + t];
                ya[b * T + t] = y[b * 2 * T + t];
                xb[b * T + t] = x[b * 2 * T + T + t];
                yb[b * T + t] = y[b * 2 * T + T + t];
            }
        batch_stats s1, s2a, s2b;
        rnnlm_err err;
        assert_int_equal(model_eval_batch(one, x, y, B, 2 * T, &s1, &err), RNNLM_OK);
        assert_int_equal(model_eval_batch(two, xa, ya, B, T, &s2a, &err), RNNLM_OK);
        assert_int_equal(model_eval_batch(two, xb, yb, B, T, &s2b, &err), RNNLM_OK);
        assert_int_equal(s1.count, 2 * B * T);
        assert_int_equal(s2a.count + s2b.count, 2 * B * T);
        assert_int_equal(s1.correct, s2a.correct + s2b.correct);
        double l1 = s1.loss_sum, l2 = s2a.loss_sum + s2b.loss_sum;
        assert_true(fabs(l1 - l2) <= 1e-5 * fabs(l1));
        for (size_t i = 0; i < model_state_size(one); i++)
            assert_true(fabsf(model_state(one)[i] - model_state(two)[i]) <= 1e-5f);
        /* the carried state matters: a fresh start on the second half differs */
        model_reset_state(two);
        batch_stats s3;
        assert_int_equal(model_eval_batch(two, xb, yb, B, T, &s3, &err), RNNLM_OK);
        assert_true(fabs(s3.loss_sum - s2b.loss_sum) > 1e-4);
        model_free(one);
        model_free(two);
    }
}

/* A training batch carries the state too, and sees no gradient from the past:
 * its gradient is the same whether the state came from a previous batch or
 * was set to those values directly. */
static void test_train_carry_and_reset(void **s) {
    (void)s;
    const int B = 2, T = 4, V = 20;
    model *m = make(CELL_LSTM, V, 6, 6, 2, 0.0f, 0, B, T, 5);
    model *n = make(CELL_LSTM, V, 6, 6, 2, 0.0f, 0, B, T, 5);
    int32_t x[8], y[8], x2[8], y2[8];
    util_random_ids(x, (size_t)(8), V, 1);
    util_random_ids(y, (size_t)(8), V, 2);
    util_random_ids(x2, (size_t)(8), V, 3);
    util_random_ids(y2, (size_t)(8), V, 4);
    rnnlm_err err;
    batch_stats a, b;
    for (size_t i = 0; i < model_state_size(m); i++) assert_true(model_state(m)[i] == 0.0f);
    assert_int_equal(model_train_batch(m, x, y, B, T, NULL, &a, &err), RNNLM_OK);
    int nonzero = 0;
    for (size_t i = 0; i < model_state_size(m); i++) nonzero += model_state(m)[i] != 0.0f;
    assert_true(nonzero > 0);
    memcpy(model_state(n), model_state(m), model_state_size(m) * sizeof(float));
    model_zero_grads(m);
    model_zero_grads(n);
    assert_int_equal(model_train_batch(m, x2, y2, B, T, NULL, &a, &err), RNNLM_OK);
    assert_int_equal(model_train_batch(n, x2, y2, B, T, NULL, &b, &err), RNNLM_OK);
    assert_true(a.loss_sum == b.loss_sum);
    assert_memory_equal(model_grads(m), model_grads(n), model_n_params(m) * sizeof(float));
    /* reset zeroes the state; a reset model repeats a fresh model's loss */
    model_reset_state(m);
    for (size_t i = 0; i < model_state_size(m); i++) assert_true(model_state(m)[i] == 0.0f);
    model *f = make(CELL_LSTM, V, 6, 6, 2, 0.0f, 0, B, T, 5);
    batch_stats e1, e2;
    assert_int_equal(model_eval_batch(m, x, y, B, T, &e1, &err), RNNLM_OK);
    assert_int_equal(model_eval_batch(f, x, y, B, T, &e2, &err), RNNLM_OK);
    assert_true(e1.loss_sum == e2.loss_sum);
    model_free(m);
    model_free(n);
    model_free(f);
}

static void test_tied(void **s) {
    (void)s;
    model_config cfg = {.cell = CELL_LSTM, .V = 15, .E = 8, .H = 10, .L = 1, .dropout = 0.1f,
                        .tied = 1, .init = INIT_RECIPE};
    model *m = NULL;
    rnnlm_err err;
    assert_int_equal(model_create(&m, &cfg, &err), RNNLM_E_ARG);
    assert_null(m);
    const int V = 15, B = 2, T = 3;
    m = make(CELL_LSTM, V, 10, 10, 1, 0.1f, 1, B, T, 1);
    assert_int_equal(model_n_tensors(m), 5);
    assert_int_equal(model_n_params(m), 150 + 400 + 400 + 40 + 15);
    for (int i = 0; i < model_n_tensors(m); i++)
        assert_true(strcmp(model_tensor_at(m, i)->name, "output.kernel") != 0);
    char buf[1024];
    model_summary(m, buf, sizeof buf);
    assert_non_null(strstr(buf, "tied to the embedding"));
    /* a word absent from the inputs still gets an embedding gradient through
     * the output layer */
    int32_t x[6] = {1, 2, 3, 1, 2, 3}, y[6] = {2, 3, 4, 2, 3, 4};
    model_zero_grads(m);
    assert_int_equal(model_train_batch(m, x, y, B, T, NULL, NULL, &err), RNNLM_OK);
    const float *g = model_grads(m);
    int nonzero = 0;
    for (int j = 0; j < 10; j++) nonzero += g[9 * 10 + j] != 0.0f;
    assert_true(nonzero > 0);
    model_free(m);
}

static void test_determinism(void **s) {
    (void)s;
    const int V = 40, B = 4, T = 6;
    model *a = make(CELL_GRU, V, 16, 16, 2, 0.2f, 0, B, T, 77);
    model *b = make(CELL_GRU, V, 16, 16, 2, 0.2f, 0, B, T, 77);
    model *c = make(CELL_GRU, V, 16, 16, 2, 0.2f, 0, B, T, 78);
    size_t np = model_n_params(a);
    assert_memory_equal(model_params(a), model_params(b), np * sizeof(float));
    assert_memory_not_equal(model_params(a), model_params(c), np * sizeof(float));
    int32_t x[24], y[24];
    util_random_ids(x, (size_t)(B * T), V, 8);
    util_random_ids(y, (size_t)(B * T), V, 9);
    rnnlm_rng ra, rb;
    rnnlm_rng_seed(&ra, 5);
    rnnlm_rng_seed(&rb, 5);
    batch_stats sa, sb;
    rnnlm_err err;
    for (int k = 0; k < 2; k++) {
        model_zero_grads(a);
        model_zero_grads(b);
        assert_int_equal(model_train_batch(a, x, y, B, T, &ra, &sa, &err), RNNLM_OK);
        assert_int_equal(model_train_batch(b, x, y, B, T, &rb, &sb, &err), RNNLM_OK);
        assert_true(sa.loss_sum == sb.loss_sum);
        assert_memory_equal(model_grads(a), model_grads(b), np * sizeof(float));
    }
    /* dropout is active in training: other masks, other loss */
    rnnlm_rng_seed(&rb, 6);
    model_reset_state(a);
    model_reset_state(b);
    assert_int_equal(model_train_batch(a, x, y, B, T, &ra, &sa, &err), RNNLM_OK);
    assert_int_equal(model_train_batch(b, x, y, B, T, &rb, &sb, &err), RNNLM_OK);
    assert_true(sa.loss_sum != sb.loss_sum);
    model_free(a);
    model_free(b);
    model_free(c);
}

/* Slices of 7 rows against one slice of all B*T rows: same loss, same
 * accuracy, same gradients up to fp32 summation order. */
static void test_chunked_softmax(void **s) {
    (void)s;
    const int V = 300, B = 5, T = 9;
    model *a = make(CELL_LSTM, V, 16, 24, 2, 0.0f, 0, B, T, 3);
    model *b = make(CELL_LSTM, V, 16, 24, 2, 0.0f, 0, B, T, 3);
    rnnlm_err err;
    assert_int_equal(model_set_softmax_chunk(a, 7, &err), RNNLM_OK);
    assert_int_equal(model_set_softmax_chunk(b, B * T, &err), RNNLM_OK);
    assert_int_equal(model_set_softmax_chunk(b, 0, &err), RNNLM_E_ARG);
    int32_t x[45], y[45];
    util_random_ids(x, (size_t)(B * T), V, 1);
    util_random_ids(y, (size_t)(B * T), V, 2);
    batch_stats sa, sb;
    model_zero_grads(a);
    model_zero_grads(b);
    assert_int_equal(model_train_batch(a, x, y, B, T, NULL, &sa, &err), RNNLM_OK);
    assert_int_equal(model_train_batch(b, x, y, B, T, NULL, &sb, &err), RNNLM_OK);
    assert_true(fabs(sa.loss_sum - sb.loss_sum) <= 1e-6 * sb.loss_sum);
    assert_int_equal(sa.correct, sb.correct);
    const float *ga = model_grads(a), *gb = model_grads(b);
    double diff = 0, mag = 0;
    for (size_t i = 0; i < model_n_params(a); i++) {
        diff = fmax(diff, fabs(ga[i] - gb[i]));
        mag = fmax(mag, fabs(gb[i]));
    }
    assert_true(diff <= 1e-5 * mag);
    model_free(a);
    model_free(b);
}

/* The recipe's initialisers: uniform [-1, 1] embedding and output kernel,
 * zero output bias, Glorot kernels, orthogonal recurrent kernels (rows of the
 * (H, G*H) matrix orthonormal), LSTM forget bias 1. */
static void test_init_recipe(void **s) {
    (void)s;
    const int H = 12, GH = 48, E = 7;
    model *m = make(CELL_LSTM, 50, E, H, 1, 0.1f, 0, 1, 1, 9);
    const float *p = model_params(m);
    const model_tensor *emb = model_tensor_at(m, 0), *k = model_tensor_at(m, 1),
                       *rk = model_tensor_at(m, 2), *bias = model_tensor_at(m, 3),
                       *ok = model_tensor_at(m, 4), *ob = model_tensor_at(m, 5);
    float emax = 0, kmax = 0, omax = 0;
    for (size_t i = 0; i < emb->count; i++) emax = fmaxf(emax, fabsf(p[emb->offset + i]));
    for (size_t i = 0; i < k->count; i++) kmax = fmaxf(kmax, fabsf(p[k->offset + i]));
    for (size_t i = 0; i < ok->count; i++) omax = fmaxf(omax, fabsf(p[ok->offset + i]));
    assert_true(emax <= 1.0f && emax > 0.9f);
    assert_true(omax <= 1.0f && omax > 0.9f);
    float glorot = sqrtf(6.0f / (E + GH));
    assert_true(kmax <= glorot && kmax > 0.8f * glorot);
    const float *w = p + rk->offset;
    for (int i = 0; i < H; i++)
        for (int j = 0; j < H; j++) {
            double d = 0;
            for (int c = 0; c < GH; c++) d += (double)w[i * GH + c] * w[j * GH + c];
            assert_true(fabs(d - (i == j)) < 1e-5);
        }
    for (int j = 0; j < GH; j++) assert_true(p[bias->offset + j] == (j >= H && j < 2 * H));
    for (size_t i = 0; i < ob->count; i++) assert_true(p[ob->offset + i] == 0.0f);
    model_free(m);
    /* INIT_UNIFORM: everything in [-0.1, 0.1] */
    model_config cfg = {.cell = CELL_RNN, .V = 9, .E = 4, .H = 4, .L = 1, .dropout = 0,
                        .tied = 0, .init = INIT_UNIFORM};
    rnnlm_err err;
    assert_int_equal(model_create(&m, &cfg, &err), RNNLM_OK);
    model_init_params(m, 1);
    for (size_t i = 0; i < model_n_params(m); i++) assert_true(fabsf(model_params(m)[i]) <= 0.1f);
    model_free(m);
}

static void test_refusals(void **s) {
    (void)s;
    rnnlm_err err;
    model *m = NULL;
    model_config bad[] = {
        {.cell = (cell_kind)7, .V = 5, .E = 2, .H = 2, .L = 1},
        {.cell = CELL_LSTM, .V = 0, .E = 2, .H = 2, .L = 1},
        {.cell = CELL_LSTM, .V = 5, .E = 2, .H = 2, .L = 0},
        {.cell = CELL_LSTM, .V = 5, .E = 2, .H = 2, .L = MODEL_MAX_LAYERS + 1},
        {.cell = CELL_LSTM, .V = 5, .E = 2, .H = 2, .L = 1, .dropout = 1.0f},
        {.cell = CELL_LSTM, .V = 5, .E = 2, .H = 2, .L = 1, .dropout = NAN},
        {.cell = CELL_LSTM, .V = 5, .E = 2, .H = 2, .L = 1, .init = (init_kind)5},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(model_create(&m, &bad[i], &err), RNNLM_E_ARG);
        assert_null(m);
    }
    model_config ok = {.cell = CELL_RNN, .V = 5, .E = 2, .H = 3, .L = 1};
    assert_int_equal(model_create(&m, &ok, &err), RNNLM_OK);
    int32_t x[4] = {0, 1, 2, 3}, y[4] = {1, 2, 3, 4};
    assert_int_equal(model_train_batch(m, x, y, 2, 2, NULL, NULL, &err), RNNLM_E_STATE);
    assert_int_equal(model_reserve(m, 0, 2, &err), RNNLM_E_ARG);
    assert_int_equal(model_reserve(m, 2, 2, &err), RNNLM_OK);
    assert_int_equal(model_train_batch(m, x, y, 1, 2, NULL, NULL, &err), RNNLM_E_ARG);
    assert_int_equal(model_eval_batch(m, x, y, 2, 3, NULL, &err), RNNLM_E_ARG);
    y[3] = 5;
    assert_int_equal(model_train_batch(m, x, y, 2, 2, NULL, NULL, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "vocabulary"));
    x[0] = -1;
    y[3] = 4;
    assert_int_equal(model_eval_batch(m, x, y, 2, 2, NULL, &err), RNNLM_E_ARG);
    x[0] = 0;
    assert_int_equal(model_eval_batch(m, x, y, 2, 1, NULL, &err), RNNLM_OK); /* T < reserved */
    model_free(m);
    model_free(NULL);
}

/* A few plain gradient steps on the toy sequence lower the loss. */
static void test_learns_toy(void **s) {
    (void)s;
    static const int32_t seq[16] = {3, 6, 7, 8, 9, 4, 5, 3, 10, 4, 11, 12, 13, 14, 5, 3};
    const int B = 2, T = 8;
    int32_t x[16], y[16];
    for (int i = 0; i < 16; i++) {
        x[i] = seq[i];
        y[i] = i + 1 < 16 ? seq[i + 1] : 2;
    }
    for (int c = 0; c < 3; c++) {
        model *m = make((cell_kind)c, 15, 10, 10, 1, 0.0f, 0, B, T, 1);
        rnnlm_err err;
        batch_stats st;
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++) {
            model_reset_state(m);
            model_zero_grads(m);
            assert_int_equal(model_train_batch(m, x, y, B, T, NULL, &st, &err), RNNLM_OK);
            if (step == 0) first = st.loss_sum / st.count;
            last = st.loss_sum / st.count;
            float *p = model_params(m);
            const float *g = model_grads(m);
            for (size_t i = 0; i < model_n_params(m); i++) p[i] -= 0.5f * g[i];
        }
        printf("cell %d: toy loss %.3f -> %.3f\n", c, first, last);
        assert_true(last < 0.5 * first);
        model_free(m);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toy_summary),
        cmocka_unit_test(test_state_carry),
        cmocka_unit_test(test_train_carry_and_reset),
        cmocka_unit_test(test_tied),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_chunked_softmax),
        cmocka_unit_test(test_init_recipe),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_learns_toy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
