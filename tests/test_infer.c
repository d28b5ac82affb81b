/* test_infer.c: running a trained model (rnnlm.h, "using a model"): the
 * one-step forward agrees with the training forward pass (model_eval_batch)
 * for every cell kind; forked states continue identically; reset; sentence
 * scoring against a manual computation with rnnlm_feed; the batched scorer
 * against one sentence at a time; states used from two threads; sampling;
 * refusals. Models are random (model_init_params), saved and loaded through
 * a checkpoint in a temporary file. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/checkpoint.h"
#include "model/infer.h"
#include "model/model.h"
#include "backend/cpu/vmath.h"
#include "rnnlm.h"
#include "util.h"
#include "sharp_model.h"

#define V_TEST 23

/* A random model of V words saved to a temporary checkpoint; *path
 * receives its name. */
static model *make_model_v(cell_kind cell, int V, int E, int H, int L, int tied, uint64_t seed, char *path) {
    model_config cfg = {.cell = cell, .V = V, .E = E, .H = H, .L = L, .dropout = 0.3f,
                        .tied = tied, .init = INIT_UNIFORM};
    model *m = sharp_model(&cfg, seed);
    rnnlm_err err;
    rnnlm_vocab *v = util_make_vocab(V);
    snprintf(path, 64, "/tmp/test_infer_%d_XXXXXX", (int)getpid());
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(checkpoint_save(path, m, v, NULL, 0, NULL, 0, &err), RNNLM_OK);
    rnnlm_vocab_free(v);
    return m;
}

static model *make_model(cell_kind cell, int E, int H, int L, int tied, uint64_t seed, char *path) {
    return make_model_v(cell, V_TEST, E, H, L, tied, seed, path);
}

static rnnlm_model *load(const char *path) {
    rnnlm_model *rm = NULL;
    rnnlm_err err;
    rnnlm_status s = rnnlm_model_load(&rm, path, &err);
    if (s) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(s, RNNLM_OK);
    return rm;
}

/* The sum of log P(x[i+1] | x[0..i]) from rnnlm_feed equals -loss_sum of
 * model_eval_batch over the same stream (one row, state from zero). */
static void check_feed_vs_eval(cell_kind cell, int E, int H, int L, int tied) {
    char path[64];
    model *m = make_model(cell, E, H, L, tied, 7 + (uint64_t)cell, path);
    rnnlm_model *rm = load(path);
    enum { N = 60 };
    int32_t ids[N + 1];
    util_random_ids(ids, N + 1, V_TEST, 99);
    rnnlm_err err;
    assert_int_equal(model_reserve(m, 1, N, &err), RNNLM_OK);
    batch_stats st;
    assert_int_equal(model_eval_batch(m, ids, ids + 1, 1, N, &st, &err), RNNLM_OK);

    rnnlm_state *s;
    assert_int_equal(rnnlm_state_create(&s, rm, &err), RNNLM_OK);
    float lp[V_TEST];
    double sum = 0.0;
    int64_t correct = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(rnnlm_feed(s, ids[i], lp, &err), RNNLM_OK);
        sum += lp[ids[i + 1]];
        int best = 0;
        for (int j = 1; j < V_TEST; j++) if (lp[j] > lp[best]) best = j;
        correct += best == ids[i + 1];
        double tot = 0.0;   /* a distribution */
        for (int j = 0; j < V_TEST; j++) tot += exp((double)lp[j]);
        assert_true(fabs(tot - 1.0) < 1e-5);
    }
    assert_int_equal(rnnlm_state_length(s), N);
    double tol = 1e-5 * fmax(1.0, st.loss_sum);
    if (fabs(sum + st.loss_sum) > tol)
        fail_msg("cell %d tied %d: feed %.9g vs eval %.9g", (int)cell, tied, -sum, st.loss_sum);
    assert_true(llabs((long long)(correct - st.correct)) <= 1);   /* a near tie may flip */
    rnnlm_state_free(s);
    rnnlm_model_free(rm);
    model_free(m);
    unlink(path);
}

static void test_feed_vs_eval_lstm(void **u) { (void)u; check_feed_vs_eval(CELL_LSTM, 6, 8, 2, 0); }
static void test_feed_vs_eval_gru(void **u) { (void)u; check_feed_vs_eval(CELL_GRU, 5, 7, 2, 0); }
static void test_feed_vs_eval_rnn(void **u) { (void)u; check_feed_vs_eval(CELL_RNN, 9, 4, 3, 0); }
static void test_feed_vs_eval_tied(void **u) { (void)u; check_feed_vs_eval(CELL_LSTM, 8, 8, 1, 1); }

/* A clone (and a copy into an existing state) continues exactly as the
 * original: bit-identical log-probabilities. */
static void test_fork(void **u) {
    (void)u;
    char path[64];
    model *m = make_model(CELL_LSTM, 6, 8, 2, 0, 3, path);
    rnnlm_model *rm = load(path);
    rnnlm_err err;
    rnnlm_state *a, *b, *c;
    assert_int_equal(rnnlm_state_create(&a, rm, &err), RNNLM_OK);
    assert_int_equal(rnnlm_state_create(&c, rm, &err), RNNLM_OK);
    int32_t pre[] = {0, 5, 9, 12}, cont[] = {4, 4, 17, 0, 3};
    for (size_t i = 0; i < 4; i++) assert_int_equal(rnnlm_feed(a, pre[i], NULL, &err), RNNLM_OK);
    assert_int_equal(rnnlm_state_clone(&b, a, &err), RNNLM_OK);
    assert_int_equal(rnnlm_feed(c, 7, NULL, &err), RNNLM_OK); /* some other history */
    assert_int_equal(rnnlm_state_copy(c, a, &err), RNNLM_OK);
    assert_int_equal(rnnlm_state_length(b), 4);
    assert_int_equal(rnnlm_state_length(c), 4);
    float la[V_TEST], lb[V_TEST], lc[V_TEST];
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(rnnlm_feed(a, cont[i], la, &err), RNNLM_OK);
        assert_int_equal(rnnlm_feed(b, cont[i], lb, &err), RNNLM_OK);
        assert_int_equal(rnnlm_feed(c, cont[i], lc, &err), RNNLM_OK);
        assert_memory_equal(la, lb, sizeof la);
        assert_memory_equal(la, lc, sizeof la);
    }
    /* a fork diverges without touching the original */
    assert_int_equal(rnnlm_feed(b, 9, lb, &err), RNNLM_OK);
    assert_int_equal(rnnlm_feed(a, 10, la, &err), RNNLM_OK);
    assert_int_equal(rnnlm_feed(c, 10, lc, &err), RNNLM_OK);
    assert_memory_equal(la, lc, sizeof la);
    assert_memory_not_equal(la, lb, sizeof la);
    rnnlm_state_free(b);
    rnnlm_state_free(a);
    rnnlm_state_free(c);
    rnnlm_model_free(rm);
    model_free(m);
    unlink(path);
}

/* After a reset a state behaves as a new one. */
static void test_reset(void **u) {
    (void)u;
    char path[64];
    model *m = make_model(CELL_GRU, 6, 8, 2, 0, 4, path);
    rnnlm_model *rm = load(path);
    rnnlm_err err;
    rnnlm_state *a, *b;
    assert_int_equal(rnnlm_state_create(&a, rm, &err), RNNLM_OK);
    assert_int_equal(rnnlm_state_create(&b, rm, &err), RNNLM_OK);
    for (int i = 0; i < 7; i++) assert_int_equal(rnnlm_feed(a, 3 + i, NULL, &err), RNNLM_OK);
    rnnlm_state_reset(a);
    assert_int_equal(rnnlm_state_length(a), 0);
    float la[V_TEST], lb[V_TEST];
    int32_t seq[] = {0, 8, 8, 2, 19};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rnnlm_feed(a, seq[i], la, &err), RNNLM_OK);
        assert_int_equal(rnnlm_feed(b, seq[i], lb, &err), RNNLM_OK);
        assert_memory_equal(la, lb, sizeof la);
    }
    rnnlm_state_free(a);
    rnnlm_state_free(b);
    rnnlm_model_free(rm);
    model_free(m);
    unlink(path);
}

/* rnnlm_score_sentence = <s>, the words (canonicalised; OOV -> <unk>), the
 * closing <s>, computed by hand with rnnlm_feed. */
static void test_score_sentence_manual(void **u) {
    (void)u;
    char path[64];
    model *m = make_model(CELL_LSTM, 6, 8, 2, 0, 5, path);
    rnnlm_model *rm = load(path);
    rnnlm_err err;
    assert_int_equal(rnnlm_model_vocab_size(rm), V_TEST);
    const rnnlm_vocab *v = rnnlm_model_vocab(rm);
    assert_string_equal(rnnlm_vocab_word(v, 5), "w5");
    const char *words[] = {"w5", "W7", "zebra", "w5", "w20"};   /* W7: lower-cased; zebra: OOV */
    int32_t expect_ids[] = {5, 7, RNNLM_UNK, 5, 20};
    rnnlm_state *s, *t;
    assert_int_equal(rnnlm_state_create(&s, rm, &err), RNNLM_OK);
    assert_int_equal(rnnlm_state_create(&t, rm, &err), RNNLM_OK);
    assert_int_equal(rnnlm_feed(s, 11, NULL, &err), RNNLM_OK);   /* history that must be reset */
    rnnlm_sentence_score sc;
    double per[6];
    assert_int_equal(rnnlm_score_sentence(s, words, 5, &sc, per, &err), RNNLM_OK);

    float lp[V_TEST];
    double total = 0.0;
    assert_int_equal(rnnlm_feed(t, RNNLM_BOS, lp, &err), RNNLM_OK);
    for (int i = 0; i <= 5; i++) {
        int32_t y = i < 5 ? expect_ids[i] : RNNLM_BOS;
        assert_true(fabs(per[i] - lp[y]) < 1e-5);
        total += lp[y];
        assert_int_equal(rnnlm_feed(t, y, lp, &err), RNNLM_OK);
    }
    assert_true(fabs(sc.logprob - total) < 1e-4);
    assert_true(fabs(sc.log10prob - sc.logprob / log(10.0)) < 1e-12);
    assert_int_equal(sc.words, 5);
    assert_int_equal(sc.oovs, 1);
    assert_true(fabs(sc.ppl - exp(-sc.logprob / 6.0)) < 1e-9 * sc.ppl);
    assert_true(sc.logprob < 0);

    /* the same through ids; the empty sentence scores only its end */
    rnnlm_sentence_score si;
    assert_int_equal(rnnlm_score_ids(s, expect_ids, 5, &si, NULL, &err), RNNLM_OK);
    assert_true(si.logprob == sc.logprob);
    assert_int_equal(rnnlm_score_sentence(s, NULL, 0, &si, per, &err), RNNLM_OK);
    assert_int_equal(si.words, 0);
    rnnlm_state_reset(t);
    assert_int_equal(rnnlm_feed(t, RNNLM_BOS, lp, &err), RNNLM_OK);
    assert_true(fabs(si.logprob - lp[RNNLM_BOS]) < 1e-5);
    assert_true(fabs(si.ppl - exp(-si.logprob)) < 1e-9 * si.ppl);
    rnnlm_state_free(s);
    rnnlm_state_free(t);
    rnnlm_model_free(rm);
    model_free(m);
    unlink(path);
}

/* The batched scorer (lanes reused, idle lanes dropped) gives what one
 * sentence at a time gives, to fp32 rounding. */
static void check_batch(cell_kind cell, int lanes) {
    char path[64];
    model *m = make_model(cell, 6, 8, 2, 0, 6, path);
    rnnlm_model *rm = load(path);
    rnnlm_err err;
    enum { NS = 23 };
    size_t off[NS + 1];
    int32_t ids[NS * 12];
    off[0] = 0;
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 5);
    for (int i = 0; i < NS; i++) {
        size_t len = (size_t)rnnlm_rng_below(&r, 12);   /* 0 .. 11 words */
        util_random_ids(ids + off[i], len, V_TEST, 100 + (uint64_t)i);
        off[i + 1] = off[i] + len;
    }
    rnnlm_sentence_score out[NS];
    double *per = malloc((off[NS] + NS) * sizeof *per);
    assert_int_equal(rnnlm_score_batch(rm, ids, off, NS, lanes, out, per, &err), RNNLM_OK);
    rnnlm_state *s;
    assert_int_equal(rnnlm_state_create(&s, rm, &err), RNNLM_OK);
    for (int i = 0; i < NS; i++) {
        rnnlm_sentence_score one;
        double p1[13];
        size_t len = off[i + 1] - off[i];
        assert_int_equal(rnnlm_score_ids(s, ids + off[i], len, &one, p1, &err), RNNLM_OK);
        assert_int_equal(out[i].words, one.words);
        assert_int_equal(out[i].oovs, one.oovs);
        if (fabs(out[i].logprob - one.logprob) > 1e-5 * fmax(1.0, fabs(one.logprob)))
            fail_msg("sentence %d: batch %.9g vs one %.9g", i, out[i].logprob, one.logprob);
        for (size_t k = 0; k <= len; k++) assert_true(fabs(per[off[i] + (size_t)i + k] - p1[k]) < 1e-5);
    }
    free(per);
    rnnlm_state_free(s);
    rnnlm_model_free(rm);
    model_free(m);
    unlink(path);
}

/* The batched scorer's output layer runs by tiles of 512 columns, each
 * row's log-sum-exp gathered across them (nn/step.c): with V = 1100 (two
 * whole tiles and a part, targets in each), untied and tied, on one and two
 * threads, every word's log-probability is what rnnlm_feed's whole-row
 * softmax gives, to fp32 rounding. */
static void test_batch_tiles(void **st) {
    (void)st;
    enum { V = 1100, NS = 19 };
    for (int tied = 0; tied <= 1; tied++)
        for (int threads = 1; threads <= 2; threads++) {
            char path[64];
            model *m = make_model_v(CELL_LSTM, V, 8, 8, 2, tied, 40 + (uint64_t)tied, path);
            rnnlm_model *rm = load(path);
            rnnlm_err err;
            assert_int_equal(rnnlm_model_set_threads(rm, threads, &err), RNNLM_OK);
            size_t off[NS + 1];
            int32_t ids[NS * 20];
            off[0] = 0;
            for (int i = 0; i < NS; i++) {
                size_t len = 1 + (size_t)(i * 7) % 20;
                util_random_ids(ids + off[i], len, V, 500 + (uint64_t)i);
                off[i + 1] = off[i] + len;
            }
            rnnlm_sentence_score out[NS];
            double *per = malloc((off[NS] + NS) * sizeof *per);
            assert_int_equal(rnnlm_score_batch(rm, ids, off, NS, 4, out, per, &err), RNNLM_OK);
            rnnlm_state *s;
            assert_int_equal(rnnlm_state_create(&s, rm, &err), RNNLM_OK);
            int beyond = 0;   /* targets past the first tile */
            for (int i = 0; i < NS; i++) {
                rnnlm_sentence_score one;
                double p1[21];
                size_t len = off[i + 1] - off[i];
                assert_int_equal(rnnlm_score_ids(s, ids + off[i], len, &one, p1, &err), RNNLM_OK);
                if (fabs(out[i].logprob - one.logprob) > 1e-5 * fmax(1.0, fabs(one.logprob)))
                    fail_msg("tied %d threads %d sentence %d: batch %.9g vs one %.9g", tied, threads, i,
                             out[i].logprob, one.logprob);
                for (size_t k = 0; k <= len; k++) {
                    assert_true(fabs(per[off[i] + (size_t)i + k] - p1[k]) < 1e-5);
                    beyond += k < len && ids[off[i] + k] >= 512;
                }
            }
            assert_true(beyond > 0);
            free(per);
            rnnlm_state_free(s);
            rnnlm_model_free(rm);
            model_free(m);
            unlink(path);
        }
}

/* The batched scorer over several threads (the lanes shared out into one
 * group per thread, sentences claimed from a shared counter, the output
 * layer run over several steps' rows) gives each sentence what one thread
 * gives, to fp32 rounding, whatever the split: more threads than lanes,
 * uneven groups, a group per lane, more lanes than sentences. */
static void check_batch_threads(cell_kind cell, int lanes, int threads) {
    char path[64];
    model *m = make_model(cell, 6, 8, 2, 0, 9, path);
    rnnlm_model *rm = load(path);
    rnnlm_err err;
    enum { NS = 37 };
    size_t off[NS + 1];
    int32_t ids[NS * 16];
    off[0] = 0;
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 11);
    for (int i = 0; i < NS; i++) {
        size_t len = (size_t)rnnlm_rng_below(&r, 16);   /* 0 .. 15 words */
        util_random_ids(ids + off[i], len, V_TEST, 300 + (uint64_t)i);
        off[i + 1] = off[i] + len;
    }
    size_t nper = off[NS] + NS;
    rnnlm_sentence_score one[NS], many[NS];
    double *p1 = malloc(nper * sizeof *p1), *pn = malloc(nper * sizeof *pn);
    assert_int_equal(rnnlm_model_set_threads(rm, 1, &err), RNNLM_OK);
    assert_int_equal(rnnlm_score_batch(rm, ids, off, NS, lanes, one, p1, &err), RNNLM_OK);
    assert_int_equal(rnnlm_model_set_threads(rm, threads, &err), RNNLM_OK);
    assert_int_equal(rnnlm_score_batch(rm, ids, off, NS, lanes, many, pn, &err), RNNLM_OK);
    for (int i = 0; i < NS; i++) {
        assert_int_equal(many[i].words, one[i].words);
        assert_int_equal(many[i].oovs, one[i].oovs);
        if (fabs(many[i].logprob - one[i].logprob) > 1e-5 * fmax(1.0, fabs(one[i].logprob)))
            fail_msg("lanes %d threads %d sentence %d: %.9g vs one thread %.9g", lanes, threads, i,
                     many[i].logprob, one[i].logprob);
    }
    for (size_t k = 0; k < nper; k++) assert_true(fabs(pn[k] - p1[k]) < 1e-5);
    free(p1);
    free(pn);
    rnnlm_model_free(rm);
    model_free(m);
    unlink(path);
}

static void test_batch_threads(void **u) {
    (void)u;
    check_batch_threads(CELL_LSTM, 64, 2);
    check_batch_threads(CELL_LSTM, 5, 3);
    check_batch_threads(CELL_GRU, 2, 4);
    check_batch_threads(CELL_RNN, 1, 2);
}

static void test_batch_lstm(void **u) { (void)u; check_batch(CELL_LSTM, 4); check_batch(CELL_LSTM, 64); }
static void test_batch_gru_rnn(void **u) { (void)u; check_batch(CELL_GRU, 5); check_batch(CELL_RNN, 1); }

/* Two threads, each with its own state of one model, agree with one thread. */
typedef struct {
    const rnnlm_model *m;
    double lp[8];
} thread_job;

static void *score_thread(void *p) {
    thread_job *j = p;
    rnnlm_state *s;
    rnnlm_err err;
    if (rnnlm_state_create(&s, j->m, &err)) return NULL;
    for (int i = 0; i < 8; i++) {
        int32_t ids[6] = {3 + i, 4, 5 + i, 6, 7, 8 + i};
        rnnlm_sentence_score sc;
        for (int rep = 0; rep < 20; rep++) rnnlm_score_ids(s, ids, 6, &sc, NULL, &err);
        j->lp[i] = sc.logprob;
    }
    rnnlm_state_free(s);
    return NULL;
}

static void test_threads(void **u) {
    (void)u;
    char path[64];
    model *m = make_model(CELL_LSTM, 6, 8, 2, 0, 8, path);
    rnnlm_model *rm = load(path);
    thread_job ref = {rm, {0}}, a = {rm, {0}}, b = {rm, {0}};
    score_thread(&ref);
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, score_thread, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, score_thread, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_memory_equal(ref.lp, a.lp, sizeof ref.lp);
    assert_memory_equal(ref.lp, b.lp, sizeof ref.lp);
    rnnlm_model_free(rm);
    model_free(m);
    unlink(path);
}

static void test_sample(void **u) {
    (void)u;
    float lp[6] = {logf(0.1f), logf(0.3f), logf(0.3f), logf(0.2f), logf(0.1f), -INFINITY};
    /* temperature 0: the arg-max, ties to the lowest id, whatever u */
    assert_int_equal(rnnlm_sample(lp, 6, 0.0f, 0, 0.0), 1);
    assert_int_equal(rnnlm_sample(lp, 6, 0.0f, 3, 0.999), 1);
    /* top-k 1 is the arg-max at any temperature */
    assert_int_equal(rnnlm_sample(lp, 6, 1.0f, 1, 0.7), 1);
    assert_int_equal(rnnlm_sample(lp, 6, 5.0f, 1, 0.01), 1);
    /* cumulative in id order: [0, .1) -> 0, [.1, .4) -> 1, [.4, .7) -> 2 ... */
    assert_int_equal(rnnlm_sample(lp, 6, 1.0f, 0, 0.05), 0);
    assert_int_equal(rnnlm_sample(lp, 6, 1.0f, 0, 0.35), 1);
    assert_int_equal(rnnlm_sample(lp, 6, 1.0f, 0, 0.65), 2);
    assert_int_equal(rnnlm_sample(lp, 6, 1.0f, 0, 0.85), 3);
    assert_int_equal(rnnlm_sample(lp, 6, 1.0f, 0, 0.95), 4);
    assert_int_equal(rnnlm_sample(lp, 6, 1.0f, 0, 0.999999), 4); /* never the impossible id 5 */
    /* reproducible: the same u, the same id */
    for (double x = 0.0; x < 1.0; x += 0.037)
        assert_int_equal(rnnlm_sample(lp, 6, 0.7f, 4, x), rnnlm_sample(lp, 6, 0.7f, 4, x));
    /* distribution sanity: frequencies over many draws */
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 42);
    enum { DRAWS = 40000 };
    int count[6] = {0}, count_k[6] = {0}, count_t[6] = {0};
    for (int i = 0; i < DRAWS; i++) {
        count[rnnlm_sample(lp, 6, 1.0f, 0, rnnlm_rng_double(&r))]++;
        count_k[rnnlm_sample(lp, 6, 1.0f, 2, rnnlm_rng_double(&r))]++;
        count_t[rnnlm_sample(lp, 6, 2.0f, 0, rnnlm_rng_double(&r))]++;
    }
    double p[6] = {0.1, 0.3, 0.3, 0.2, 0.1, 0.0};
    for (int j = 0; j < 6; j++) assert_true(fabs(count[j] / (double)DRAWS - p[j]) < 0.015);
    /* top-2: ids 1 and 2 (the two largest), half each */
    assert_int_equal(count_k[0] + count_k[3] + count_k[4] + count_k[5], 0);
    assert_true(fabs(count_k[1] / (double)DRAWS - 0.5) < 0.015);
    /* temperature 2: P ~ sqrt(p) */
    double z = 0.0;
    for (int j = 0; j < 6; j++) z += sqrt(p[j]);
    for (int j = 0; j < 6; j++) assert_true(fabs(count_t[j] / (double)DRAWS - sqrt(p[j]) / z) < 0.015);
    /* refusals */
    assert_int_equal(rnnlm_sample(NULL, 6, 1.0f, 0, 0.5), -1);
    assert_int_equal(rnnlm_sample(lp, 0, 1.0f, 0, 0.5), -1);
    assert_int_equal(rnnlm_sample(lp, 6, -1.0f, 0, 0.5), -1);
    assert_int_equal(rnnlm_sample(lp, 6, NAN, 0, 0.5), -1);
    assert_int_equal(rnnlm_sample(lp, 6, 1.0f, 0, 1.0), -1);
    assert_int_equal(rnnlm_sample(lp, 6, 1.0f, 0, -0.1), -1);
}

static void test_errors(void **u) {
    (void)u;
    rnnlm_err err;
    rnnlm_model *rm = (rnnlm_model *)1;
    assert_int_equal(rnnlm_model_load(&rm, NULL, &err), RNNLM_E_ARG);
    assert_null(rm);
    assert_non_null(strstr(err.msg, "NULL"));
    assert_int_equal(rnnlm_model_load(&rm, "/nonexistent/model.safetensors", &err), RNNLM_E_IO);
    assert_null(rm);
    assert_non_null(strstr(err.msg, "/nonexistent/model.safetensors"));
    assert_int_equal(rnnlm_state_create(NULL, NULL, &err), RNNLM_E_ARG);

    /* a file that is not a checkpoint */
    char bad[64];
    snprintf(bad, sizeof bad, "/tmp/test_infer_bad_XXXXXX");
    int fd = mkstemp(bad);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not a model at all", 18), 18);
    close(fd);
    assert_int_equal(rnnlm_model_load(&rm, bad, &err), RNNLM_E_FORMAT);
    unlink(bad);

    char path[64];
    model *m = make_model(CELL_LSTM, 6, 8, 1, 0, 9, path);
    rm = load(path);
    rnnlm_state *s;
    assert_int_equal(rnnlm_state_create(&s, rm, &err), RNNLM_OK);
    float lp[V_TEST], lp2[V_TEST];
    assert_int_equal(rnnlm_feed(s, 4, lp, &err), RNNLM_OK);
    assert_int_equal(rnnlm_feed(s, -1, NULL, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "-1"));
    assert_int_equal(rnnlm_feed(s, V_TEST, NULL, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_state_length(s), 1);   /* unchanged */
    assert_int_equal(rnnlm_feed(NULL, 4, NULL, &err), RNNLM_E_ARG);
    int32_t ids[] = {3, 99};
    rnnlm_sentence_score sc;
    assert_int_equal(rnnlm_score_ids(s, ids, 2, &sc, NULL, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "99"));
    size_t off[] = {0, 2};
    assert_int_equal(rnnlm_score_batch(rm, ids, off, 1, 4, &sc, NULL, &err), RNNLM_E_ARG);
    /* after the refusals the state continues as if they never happened */
    rnnlm_state *t;
    assert_int_equal(rnnlm_state_create(&t, rm, &err), RNNLM_OK);
    assert_int_equal(rnnlm_feed(t, 4, NULL, &err), RNNLM_OK);
    assert_int_equal(rnnlm_feed(t, 6, lp, &err), RNNLM_OK);
    assert_int_equal(rnnlm_feed(s, 6, lp2, &err), RNNLM_OK);
    assert_memory_equal(lp, lp2, sizeof lp);
    /* states of different models do not mix */
    char path2[64];
    model *m2 = make_model(CELL_LSTM, 6, 8, 1, 0, 10, path2);
    rnnlm_model *rm2 = load(path2);
    rnnlm_state *o;
    assert_int_equal(rnnlm_state_create(&o, rm2, &err), RNNLM_OK);
    assert_int_equal(rnnlm_state_copy(o, s, &err), RNNLM_E_ARG);
    rnnlm_state_free(o);
    rnnlm_model_free(rm2);
    model_free(m2);
    unlink(path2);
    rnnlm_state_free(t);
    rnnlm_state_free(s);
    rnnlm_model_free(rm);
    model_free(m);
    unlink(path);
}

/* ---- small and odd widths (the workspace carving) ----------------------- */

/* One model of every shape: its workspace, as sized by
 * infer_workspace_f32, holds what infer_step_f32 writes for B lanes at
 * every misalignment of its start (a canary after it stays intact), and the
 * public calls (state, feed, score, batched score, sample) run on it; under
 * the sanitizer build any write past a block fails. */
static void check_small_model(cell_kind cell, int V, int E, int H) {
    int L = 1 + (E + H) % 2, tied = E == H && V % 2;
    model_config cfg = {.cell = cell, .V = V, .E = E, .H = H, .L = L, .tied = tied, .init = INIT_UNIFORM};
    model *m = NULL;
    rnnlm_err err;
    if (model_create(&m, &cfg, &err)) fail_msg("V %d E %d H %d: %s", V, E, H, err.msg);
    model_init_params(m, (uint64_t)(V * 1000 + E * 31 + H));
    model_weights w;
    model_weights_bind(m, &w);
    enum { CANARY = 64 };
    const float sentinel = 1234.5f;
    for (int B = 1; B <= 3; B += 2) {
        size_t nw = infer_workspace_f32(&w, B), nh = (size_t)L * (size_t)B * (size_t)H;
        float *ws = malloc((nw + 16 + CANARY) * sizeof *ws), *h = calloc(nh, sizeof *h),
              *c = calloc(nh, sizeof *c), *logits = malloc((size_t)B * (size_t)V * sizeof *logits);
        double lse[3];
        int32_t x[3] = {0, 1 % V, 3 % V};
        assert_non_null(ws);
        for (int k = 0; k < 16; k++) {   /* ws + k: every float offset from a 64-byte line */
            for (size_t i = 0; i < nw + 16 + CANARY; i++) ws[i] = sentinel;
            infer_step_f32(&w, x, B, h, c, ws + k, logits, lse);
            for (size_t i = (size_t)k + nw; i < nw + 16 + CANARY; i++)
                if (ws[i] != sentinel)
                    fail_msg("cell %d V %d E %d H %d B %d: float %zu past a workspace of %zu written",
                             (int)cell, V, E, H, B, i - (size_t)k - nw, nw);
            for (int b = 0; b < B; b++) assert_true(isfinite(lse[b]));
        }
        free(ws); free(h); free(c); free(logits);
    }

    rnnlm_model *rm = NULL;
    assert_int_equal(infer_model_wrap(&rm, m, util_make_vocab(V), &err), RNNLM_OK);
    rnnlm_state *s = NULL, *t = NULL;
    assert_int_equal(rnnlm_state_create(&s, rm, &err), RNNLM_OK);
    float lp[64];
    for (int i = 0; i < 3; i++) assert_int_equal(rnnlm_feed(s, (int32_t)(i * 2 % V), lp, &err), RNNLM_OK);
    double tot = 0.0;
    for (int j = 0; j < V; j++) tot += exp((double)lp[j]);
    assert_true(fabs(tot - 1.0) < 1e-5);
    int32_t pick = rnnlm_sample(lp, (size_t)V, 1.0f, 2, 0.5);
    assert_true(pick >= 0 && pick < V);
    assert_int_equal(rnnlm_state_clone(&t, s, &err), RNNLM_OK);
    assert_int_equal(rnnlm_feed(t, pick, lp, &err), RNNLM_OK);

    int32_t ids[] = {3 % V, 1, 2, V - 1, 0, 3 % V, V - 2};
    size_t off[] = {0, 3, 3, 7};
    rnnlm_sentence_score out[3], one;
    assert_int_equal(rnnlm_score_batch(rm, ids, off, 3, 2, out, NULL, &err), RNNLM_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rnnlm_score_ids(s, ids + off[i], off[i + 1] - off[i], &one, NULL, &err), RNNLM_OK);
        assert_true(isfinite(one.logprob));
        assert_true(fabs(out[i].logprob - one.logprob) < 1e-4 * fmax(1.0, fabs(one.logprob)));
    }
    rnnlm_state_free(t);
    rnnlm_state_free(s);
    rnnlm_model_free(rm);
}

static void check_small_widths(cell_kind cell) {
    static const int widths[] = {1, 2, 3, 5, 17}, vocab[] = {4, 5, 15, 33};
    for (int vi = 0; vi < 4; vi++)
        for (int ei = 0; ei < 5; ei++)
            for (int hi = 0; hi < 5; hi++) check_small_model(cell, vocab[vi], widths[ei], widths[hi]);
}

static void test_small_widths_rnn(void **u) { (void)u; check_small_widths(CELL_RNN); }
static void test_small_widths_lstm(void **u) { (void)u; check_small_widths(CELL_LSTM); }
static void test_small_widths_gru(void **u) { (void)u; check_small_widths(CELL_GRU); }

/* ---- non-finite values -------------------------------------------------- */

/* The fast exp (and the sigmoid and tanh built on it) gives NaN for NaN, in
 * the vector body and in the tail, so the non-finite guards see it. */
static void test_fastmath_nan(void **u) {
    (void)u;
    enum { N = 2 * VF_N + 3 };
    float x[N], y[N];
    for (int pos = 0; pos < N; pos++) {
        for (int i = 0; i < N; i++) x[i] = i == pos ? NAN : 0.25f * (float)(i - N / 2);
        vexp_f32(y, x, N);
        for (int i = 0; i < N; i++) assert_true(i == pos ? isnan(y[i]) : isfinite(y[i]));
        vsigmoid_f32(y, x, N);
        assert_true(isnan(y[pos]));
        vtanh_f32(y, x, N);
        assert_true(isnan(y[pos]));
        memcpy(y, x, sizeof y);
        assert_true(isnan(vexp_shift_sum_f32(y, N, 1.0f)));
    }
    /* infinities are still clamped: e^-inf = e^-87, e^inf = e^88, both finite */
    x[0] = -INFINITY;
    x[1] = INFINITY;
    vexp_f32(y, x, 2);
    assert_true(isfinite(y[0]) && y[0] > 0.0f && isfinite(y[1]));
}

/* A checkpoint whose embedding is all NaN is refused, naming the tensor;
 * loaded anyway (RNNLM_LOAD_ALLOW_NONFINITE), it scores NaN, never a
 * finite perplexity. */
static void test_nonfinite_load(void **u) {
    (void)u;
    char path[64];
    model *m = make_model(CELL_LSTM, 6, 8, 1, 0, 21, path);
    const model_tensor *emb = model_tensor_at(m, 0);
    for (size_t i = 0; i < emb->count; i++) model_params(m)[emb->offset + i] = NAN;
    rnnlm_vocab *v = util_make_vocab(V_TEST);
    rnnlm_err err;
    assert_int_equal(checkpoint_save(path, m, v, NULL, 0, NULL, 0, &err), RNNLM_OK);
    rnnlm_vocab_free(v);
    rnnlm_model *rm = (rnnlm_model *)1;
    assert_int_equal(rnnlm_model_load(&rm, path, &err), RNNLM_E_FORMAT);
    assert_null(rm);
    assert_non_null(strstr(err.msg, "tensor 'embedding.weight' holds a non-finite value (NaN at element 0)"));
    assert_int_equal(rnnlm_model_load_ex(&rm, path, 0, &err), RNNLM_E_FORMAT);
    assert_int_equal(rnnlm_model_load_ex(&rm, path, 0x80, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_model_load_ex(&rm, path, RNNLM_LOAD_ALLOW_NONFINITE, &err), RNNLM_OK);
    rnnlm_state *s;
    assert_int_equal(rnnlm_state_create(&s, rm, &err), RNNLM_OK);
    int32_t ids[] = {3, 4, 5};
    rnnlm_sentence_score sc;
    assert_int_equal(rnnlm_score_ids(s, ids, 3, &sc, NULL, &err), RNNLM_OK);
    if (!isnan(sc.logprob)) fail_msg("an all-NaN embedding scored %g (ppl %g)", sc.logprob, sc.ppl);
    size_t off[] = {0, 3};
    assert_int_equal(rnnlm_score_batch(rm, ids, off, 1, 4, &sc, NULL, &err), RNNLM_OK);
    assert_true(isnan(sc.logprob));
    rnnlm_state_free(s);
    rnnlm_model_free(rm);
    model_free(m);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed_vs_eval_lstm),
        cmocka_unit_test(test_feed_vs_eval_gru),
        cmocka_unit_test(test_feed_vs_eval_rnn),
        cmocka_unit_test(test_feed_vs_eval_tied),
        cmocka_unit_test(test_fork),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_score_sentence_manual),
        cmocka_unit_test(test_batch_lstm),
        cmocka_unit_test(test_batch_gru_rnn),
        cmocka_unit_test(test_batch_threads),
        cmocka_unit_test(test_batch_tiles),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_small_widths_rnn),
        cmocka_unit_test(test_small_widths_lstm),
        cmocka_unit_test(test_small_widths_gru),
        cmocka_unit_test(test_fastmath_nan),
        cmocka_unit_test(test_nonfinite_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
