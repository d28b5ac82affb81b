/* test_trainer.c: what the trainer does each step, checked against values
 * and runs written out by hand, so that a quietly wrong step cannot pass:
 *
 *   - dropout's mask, read back through the output kernel's gradient: every
 *     value 0 or exactly 1/(1-p), zeros at rate p, mean 1;
 *   - the stateful pipeline carries the recurrent state across batches:
 *     trainer steps equal, bit for bit, a loop over the stream batches that
 *     keeps the state (and differ from one that resets it) with T = 2;
 *   - a sampled-softmax step equals, bit for bit, the sampler, the sampled
 *     loss with its log expected count correction and the sparse update
 *     done by hand;
 *   - resume: k steps, save, restore into a fresh trainer and continue ends
 *     with the very checkpoint bytes of an uninterrupted run, with dropout,
 *     Adam and carried state (or shuffled windows) all in play. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/checkpoint.h"
#include "core/sampler.h"
#include "train/step.h"
#include "util.h"

/* ------------------------------------------------------------------ helpers */

static const model_tensor *tensor_named(const model *m, const char *name) {
    for (int i = 0; i < model_n_tensors(m); i++)
        if (strcmp(model_tensor_at(m, i)->name, name) == 0) return model_tensor_at(m, i);
    fail_msg("no tensor %s", name);
    return NULL;
}

/* A stream of n + 1 ids in [3, V) in which each id depends on the two before
 * it (and a little noise), so that context carried across batches matters. */
static int32_t *make_stream(size_t n, int V, uint64_t seed) {
    int32_t *ids = malloc((n + 1) * sizeof *ids);
    assert_non_null(ids);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, seed);
    ids[0] = 3;
    ids[1] = 4;
    for (size_t i = 2; i <= n; i++) {
        int next = (ids[i - 1] * 5 + ids[i - 2] * 3) % (V - 3);
        if (rnnlm_rng_next(&r) % 8 == 0) next = (int)(rnnlm_rng_next(&r) % (uint64_t)(V - 3));
        ids[i] = (int32_t)(3 + next);
    }
    return ids;
}

/* A vocabulary of V words (the three specials, then w3 ...), for checkpoints. */
static rnnlm_vocab *make_vocab(int V) {
    char (*store)[16] = calloc((size_t)V, sizeof *store);
    const char **words = calloc((size_t)V, sizeof *words);
    uint64_t *counts = calloc((size_t)V, sizeof *counts);
    assert_true(store && words && counts);
    for (int i = 0; i < V; i++) {
        if (i < 3) snprintf(store[i], sizeof store[i], "%s", i == 0 ? "<s>" : i == 1 ? "</s>" : "<unk>");
        else snprintf(store[i], sizeof store[i], "w%d", i);
        words[i] = store[i];
        counts[i] = i < 3 ? 0 : (uint64_t)(10000 - i);
    }
    rnnlm_vocab *v = NULL;
    rnnlm_err err;
    if (rnnlm_vocab_from_words(&v, words, counts, (size_t)V, RNNLM_CANON_NONE, 0, &err))
        fail_msg("rnnlm_vocab_from_words: %s", err.msg);
    free(store); free(words); free(counts);
    return v;
}

static char tmpdir[256];

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static int setup_tmp(void **s) {
    (void)s;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_trainer.XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **s) {
    (void)s;
    return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* buf = tmpdir/name, name from fmt and the arguments that follow. */
static void tmp_path(char *buf, size_t cap, const char *fmt, ...) {
    char name[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    assert_true(strlen(tmpdir) + 1 + strlen(name) < cap);
    memcpy(buf, tmpdir, strlen(tmpdir));
    buf[strlen(tmpdir)] = '/';
    memcpy(buf + strlen(tmpdir) + 1, name, strlen(name) + 1);
}

/* Checkpoints a and b are the same bytes; when not, says first whether the
 * weights differ or only the training state beside them. */
static void assert_same_checkpoint(const char *a, const char *b) {
    size_t na, nb;
    char *da = util_read_file(a, &na), *db = util_read_file(b, &nb);
    if (na != nb || memcmp(da, db, na) != 0) {
        model *ma, *mb;
        rnnlm_vocab *va, *vb;
        rnnlm_err err;
        assert_int_equal(checkpoint_load(a, &ma, &va, NULL, &err), RNNLM_OK);
        assert_int_equal(checkpoint_load(b, &mb, &vb, NULL, &err), RNNLM_OK);
        int same_weights = memcmp(model_params(ma), model_params(mb), model_n_params(ma) * sizeof(float)) == 0;
        model_free(ma); model_free(mb); rnnlm_vocab_free(va); rnnlm_vocab_free(vb);
        fail_msg("%s and %s differ: %s", a, b,
                 same_weights ? "same weights, other training state" : "the weights differ");
    }
    free(da); free(db);
}

/* The trainer's generator (dropout masks, candidates) as it stands now, read
 * from a checkpoint's "train.rng" (four 64-bit words in hex). */
static rnnlm_rng trainer_rng(const step_engine *t, int V) {
    char path[400];
    tmp_path(path, sizeof path, "rng.safetensors");
    rnnlm_vocab *v = make_vocab(V);
    rnnlm_err err;
    if (step_save(t, path, v, NULL, 0, &err)) fail_msg("step_save: %s", err.msg);
    model *m;
    rnnlm_vocab *v2;
    st_file *f;
    if (checkpoint_load(path, &m, &v2, &f, &err)) fail_msg("checkpoint_load: %s", err.msg);
    const char *s = checkpoint_get_meta(f, "train.rng");
    assert_non_null(s);
    rnnlm_rng r;
    assert_int_equal(sscanf(s, "%16" SCNx64 "%16" SCNx64 "%16" SCNx64 "%16" SCNx64, &r.s[0], &r.s[1],
                            &r.s[2], &r.s[3]), 4);
    st_free(f); model_free(m); rnnlm_vocab_free(v2); rnnlm_vocab_free(v);
    return r;
}

/* A model and optimiser set up as step_create sets up its own. */
static void hand_setup(const step_config *cfg, model **m, optim **o) {
    rnnlm_err err;
    assert_int_equal(model_create(m, &cfg->model, &err), RNNLM_OK);
    assert_int_equal(model_reserve(*m, cfg->B, cfg->T, &err), RNNLM_OK);
    model_init_params(*m, cfg->seed);
    assert_int_equal(optim_create(o, &cfg->opt, model_n_params(*m), &err), RNNLM_OK);
}

static void assert_same_params(model *a, model *b) {
    assert_int_equal(model_n_params(a), model_n_params(b));
    assert_memory_equal(model_params(a), model_params(b), model_n_params(a) * sizeof(float));
}

/* ------------------------------------------------------------------ dropout */

/* One RNN layer whose only non-zero weights are its bias, so every unit's
 * output is tanh(0.5) at every step; zero output kernel and bias, so every
 * logit is 0 and with all targets 1 the gradient of output kernel entry
 * (j, 0) is drop_j / V, drop_j the unit's output after dropout. Taken with
 * and without dropout on one position (B = T = 1), the ratio is unit j's
 * mask value. */
static void test_dropout_mask_values_and_mean(void **s) {
    (void)s;
    enum { V = 4, H = 512, STEPS = 40 };
    const float rate = 0.3f;
    const double keep = 1.0 / (1.0 - (double)rate);
    model_config mc = {.cell = CELL_RNN, .V = V, .E = 2, .H = H, .L = 1, .dropout = rate};
    model *m;
    rnnlm_err err;
    assert_int_equal(model_create(&m, &mc, &err), RNNLM_OK);
    assert_int_equal(model_reserve(m, 1, 1, &err), RNNLM_OK);
    memset(model_params(m), 0, model_n_params(m) * sizeof(float));
    const model_tensor *bias = tensor_named(m, "rnn.0.bias");
    for (size_t i = 0; i < bias->count; i++) model_params(m)[bias->offset + i] = 0.5f;
    const model_tensor *wout = tensor_named(m, "output.kernel");   /* (H, V) */
    int32_t x = 3, y = 1;

    float ref[H];
    model_zero_grads(m);
    assert_int_equal(model_train_batch(m, &x, &y, 1, 1, NULL, NULL, &err), RNNLM_OK);
    for (int j = 0; j < H; j++) {
        ref[j] = model_grads(m)[wout->offset + (size_t)j * V];
        assert_true(fabsf(ref[j] - tanhf(0.5f) / V) < 1e-6f);
    }
    rnnlm_rng rng;
    rnnlm_rng_seed(&rng, 99);
    size_t zeros = 0, n = 0;
    double sum = 0;
    for (int step = 0; step < STEPS; step++) {
        model_reset_state(m);
        model_zero_grads(m);
        assert_int_equal(model_train_batch(m, &x, &y, 1, 1, &rng, NULL, &err), RNNLM_OK);
        for (int j = 0; j < H; j++, n++) {
            double mask = (double)model_grads(m)[wout->offset + (size_t)j * V] / (double)ref[j];
            if (mask == 0) { zeros++; continue; }
            if (fabs(mask - keep) > 1e-6 * keep)
                fail_msg("unit %d, step %d: mask value %.9g, expected 0 or 1/(1-p) = %.9g", j, step, mask, keep);
            sum += mask;
        }
    }
    double zero_rate = (double)zeros / (double)n, mean = sum / (double)n;
    print_message("dropout p = %.2f: %zu values, %.4f of them zero, mean %.4f\n", (double)rate, n, zero_rate, mean);
    /* binomial standard deviations: 0.0032 (rate) and 0.0046 (mean) */
    assert_true(fabs(zero_rate - (double)rate) < 0.02);
    assert_true(fabs(mean - 1.0) < 0.03);
    model_free(m);
}

/* The same one-layer RNN as above, on one row of T = 4 steps whose every
 * output before dropout is tanh(0.5): the output kernel's gradient (j, 0)
 * over the recipe's value is the mean of unit j's four mask values. Locked
 * dropout draws one value per unit for all four steps (each ratio 0 or
 * 1/(1-p)); the recipe's draws one per step, so some units average to a
 * value in between. */
static void test_locked_dropout_shares_steps(void **s) {
    (void)s;
    enum { V = 4, H = 256, T = 4 };
    const float rate = 0.5f;
    const double keep = 1.0 / (1.0 - (double)rate);
    for (int locked = 0; locked <= 1; locked++) {
        model_config mc = {.cell = CELL_RNN, .V = V, .E = 2, .H = H, .L = 1, .dropout = rate,
                           .reg = {.locked = locked}};
        model *m;
        rnnlm_err err;
        assert_int_equal(model_create(&m, &mc, &err), RNNLM_OK);
        assert_int_equal(model_reserve(m, 1, T, &err), RNNLM_OK);
        memset(model_params(m), 0, model_n_params(m) * sizeof(float));
        const model_tensor *bias = tensor_named(m, "rnn.0.bias");
        for (size_t i = 0; i < bias->count; i++) model_params(m)[bias->offset + i] = 0.5f;
        const model_tensor *wout = tensor_named(m, "output.kernel");
        int32_t x[T] = {3, 2, 3, 1}, y[T] = {1, 1, 1, 1};
        rnnlm_rng rng;
        rnnlm_rng_seed(&rng, 7);
        model_zero_grads(m);
        assert_int_equal(model_train_batch(m, x, y, 1, T, &rng, NULL, &err), RNNLM_OK);
        int between = 0;
        for (int j = 0; j < H; j++) {
            double r = (double)model_grads(m)[wout->offset + (size_t)j * V] / (tanh(0.5) / V);
            int whole = fabs(r) < 1e-5 || fabs(r - keep) < 1e-5 * keep;
            if (locked && !whole) fail_msg("locked: unit %d averages %.6f over the steps", j, r);
            between += !whole;
        }
        if (!locked) assert_true(between > H / 4);   /* P(all four agree) = 1/8 per unit */
        model_free(m);
    }
}

/* Each regulariser changes a training batch's loss (its masks act) and
 * leaves evaluation alone. */
static void test_regularisers_act(void **s) {
    (void)s;
    const nn_reg regs[] = {{.out = 0.5f}, {.emb = 0.5f}, {.word = 0.5f}, {.weight = 0.5f}};
    enum { V = 9, B = 2, T = 5 };
    int32_t x[B * T], y[B * T];
    for (int i = 0; i < B * T; i++) { x[i] = (i * 5 + 1) % V; y[i] = (i * 7 + 2) % V; }
    for (size_t k = 0; k < sizeof regs / sizeof regs[0]; k++) {
        double loss[2], eval[2];
        for (int on = 0; on <= 1; on++) {
            model_config mc = {.cell = CELL_LSTM, .V = V, .E = 6, .H = 6, .L = 2};
            if (on) mc.reg = regs[k];
            model *m;
            rnnlm_err err;
            assert_int_equal(model_create(&m, &mc, &err), RNNLM_OK);
            assert_int_equal(model_reserve(m, B, T, &err), RNNLM_OK);
            model_init_params(m, 3);
            rnnlm_rng rng;
            rnnlm_rng_seed(&rng, 5);
            batch_stats st;
            model_zero_grads(m);
            assert_int_equal(model_train_batch(m, x, y, B, T, &rng, &st, &err), RNNLM_OK);
            loss[on] = st.loss_sum;
            model_reset_state(m);
            assert_int_equal(model_eval_batch(m, x, y, B, T, &st, &err), RNNLM_OK);
            eval[on] = st.loss_sum;
            model_free(m);
        }
        if (!(fabs(loss[1] - loss[0]) > 1e-4)) fail_msg("regulariser %zu left the loss at %.9g", k, loss[0]);
        assert_true(eval[1] == eval[0]);
    }
}

/* ------------------------------------------------------------ carried state */

static step_config small_config(int V) {
    step_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.model = (model_config){.cell = CELL_LSTM, .V = V, .E = 8, .H = 12, .L = 2, .dropout = 0.25f};
    cfg.opt = opt_config_default(OPT_ADAM);
    cfg.B = 3;
    cfg.T = 5;
    cfg.seed = 11;
    cfg.max_bad_steps = 1;
    return cfg;
}

/* K trainer steps against the same K steps over the stream batches by hand,
 * carrying the state (reset_each = 0) or resetting it before every batch. */
static void hand_stream_steps(const step_config *cfg, const int32_t *ids, size_t n, rnnlm_rng rng,
                              int K, int reset_each, model *m, optim *o) {
    rnnlm_err err;
    rnnlm_stream_batcher sb;
    assert_int_equal(rnnlm_stream_batcher_init(&sb, ids, ids + 1, n, cfg->B, cfg->T, 0, &err), RNNLM_OK);
    int32_t *xb = calloc((size_t)cfg->B * cfg->T, sizeof *xb), *yb = calloc((size_t)cfg->B * cfg->T, sizeof *yb);
    for (int k = 0; k < K; k++) {
        int T = rnnlm_stream_batch(&sb, (size_t)k, xb, yb);
        assert_true(T > 0);
        if (reset_each) model_reset_state(m);
        model_zero_grads(m);
        assert_int_equal(model_train_batch(m, xb, yb, cfg->B, T, &rng, NULL, &err), RNNLM_OK);
        assert_int_equal(optim_clip_step(o, model_params(m), model_grads(m), NULL, &err), RNNLM_OK);
    }
    free(xb); free(yb);
}

static void test_state_carried_across_batches(void **s) {
    (void)s;
    enum { V = 20, N = 600, K = 25 };
    int32_t *ids = make_stream(N, V, 1);
    step_config cfg = small_config(V);
    cfg.T = 2;   /* most of the context lies in earlier batches */
    step_engine *t;
    rnnlm_err err;
    assert_int_equal(step_create(&t, &cfg, ids, ids + 1, N, &err), RNNLM_OK);
    step_begin_epoch(t);
    rnnlm_rng rng = trainer_rng(t, V);
    step_progress p;
    int done;
    for (int k = 0; k < K; k++) {
        assert_int_equal(step_run(t, &p, &done, &err), RNNLM_OK);
        assert_false(done);
    }
    for (int reset_each = 0; reset_each < 2; reset_each++) {
        model *m;
        optim *o;
        hand_setup(&cfg, &m, &o);
        hand_stream_steps(&cfg, ids, N, rng, K, reset_each, m, o);
        if (!reset_each) {
            assert_same_params(step_model(t), m);
            assert_memory_equal(model_state(step_model(t)), model_state(m),
                                model_state_size(m) * sizeof(float));
            assert_int_equal(optim_step_count(o), K);
        } else {   /* the data is such that the carried state matters */
            assert_true(memcmp(model_params(step_model(t)), model_params(m),
                               model_n_params(m) * sizeof(float)) != 0);
        }
        model_free(m);
        optim_free(o);
    }
    step_free(t);
    free(ids);
}

/* ---------------------------------------------------------- sampled softmax */

/* One sampled step as step.h describes it: K log-uniform candidates from
 * the trainer's generator, the sampled loss with the correction for `tries`,
 * and the sparse clipped update of the embedding rows and output classes the
 * batch touched. */
static void hand_sampled_step(const step_config *cfg, model *m, optim *o, logu_sampler *smp, rnnlm_rng *rng,
                              const int32_t *xb, const int32_t *yb, int T) {
    rnnlm_err err;
    int32_t cand[64];
    int64_t tries;
    assert_true(cfg->samples <= 64);
    assert_int_equal(logu_sample_unique(smp, cfg->samples, rng, cand, &tries, &err), RNNLM_OK);
    assert_true(tries >= cfg->samples);
    model_candidates mc = {cfg->samples, cand, tries};
    model_zero_grads_touched(m);
    assert_int_equal(model_train_batch_sampled(m, xb, yb, cfg->B, T, &mc, rng, NULL, &err), RNNLM_OK);
    const int32_t *rows, *cls;
    int n_rows, n_cls;
    model_touched(m, &rows, &n_rows, &cls, &n_cls);
    const model_config *c = &cfg->model;
    const model_tensor *emb = tensor_named(m, "embedding"), *kern = tensor_named(m, "output.kernel"),
                       *bias = tensor_named(m, "output.bias");
    opt_sparse_part parts[3] = {
        {emb->offset, (size_t)c->V, (size_t)c->E, 0, rows, (size_t)n_rows},
        {kern->offset, (size_t)c->H, (size_t)c->V, 1, cls, (size_t)n_cls},
        {bias->offset, 1, (size_t)c->V, 1, cls, (size_t)n_cls},
    };
    assert_int_equal(optim_clip_step_sparse(o, model_params(m), model_grads(m), parts, 3, NULL, &err), RNNLM_OK);
}

static void test_sampled_step_by_hand(void **s) {
    (void)s;
    enum { V = 60, N = 900, K = 6 };
    int32_t *ids = make_stream(N, V, 2);
    step_config cfg = small_config(V);
    cfg.loss = LOSS_SAMPLED;
    cfg.samples = 10;
    step_engine *t;
    rnnlm_err err;
    assert_int_equal(step_create(&t, &cfg, ids, ids + 1, N, &err), RNNLM_OK);
    step_begin_epoch(t);
    rnnlm_rng rng = trainer_rng(t, V);

    model *m;
    optim *o;
    hand_setup(&cfg, &m, &o);
    logu_sampler smp;
    assert_int_equal(logu_sampler_init(&smp, V, &err), RNNLM_OK);
    rnnlm_stream_batcher sb;
    assert_int_equal(rnnlm_stream_batcher_init(&sb, ids, ids + 1, N, cfg.B, cfg.T, 0, &err), RNNLM_OK);
    int32_t xb[3 * 5], yb[3 * 5];
    for (int k = 0; k < K; k++) {
        step_progress p;
        int done;
        assert_int_equal(step_run(t, &p, &done, &err), RNNLM_OK);
        assert_false(p.skipped);
        int T = rnnlm_stream_batch(&sb, (size_t)k, xb, yb);
        hand_sampled_step(&cfg, m, o, &smp, &rng, xb, yb, T);
        assert_same_params(step_model(t), m);
    }
    logu_sampler_free(&smp);
    model_free(m);
    optim_free(o);
    step_free(t);
    free(ids);
}

/* ------------------------------------------------------------------- resume */

/* Runs the trainer to the end of `epochs` epochs, saving a checkpoint named
 * "<name>.e<epoch>" at the end of each. With stop_at > 0 it stops after
 * stop_at steps of epoch stop_epoch, saves "<name>.cut", and goes on in a
 * fresh trainer restored from that file. */
static void run_with_cut(const step_config *cfg, const int32_t *ids, size_t n, const rnnlm_vocab *v,
                         const char *name, int epochs, int stop_epoch, size_t stop_at) {
    rnnlm_err err;
    step_engine *t;
    char path[400];
    assert_int_equal(step_create(&t, cfg, ids, ids + 1, n, &err), RNNLM_OK);
    for (;;) {
        if (step_epoch(t) == 0 || step_epoch_step(t) >= step_steps_per_epoch(t)) {
            if (step_epoch(t) == epochs) break;
            step_begin_epoch(t);
        }
        step_progress p;
        int done;
        assert_int_equal(step_run(t, &p, &done, &err), RNNLM_OK);
        assert_false(done);
        assert_false(p.skipped);
        if (step_epoch_step(t) == step_steps_per_epoch(t)) {
            tmp_path(path, sizeof path, "%s.e%d", name, step_epoch(t));
            assert_int_equal(step_save(t, path, v, NULL, 0, &err), RNNLM_OK);
        }
        if (stop_at && step_epoch(t) == stop_epoch && step_epoch_step(t) == stop_at) {
            tmp_path(path, sizeof path, "%s.cut", name);
            assert_int_equal(step_save(t, path, v, NULL, 0, &err), RNNLM_OK);
            step_free(t);
            model *m;
            rnnlm_vocab *v2;
            st_file *f;
            assert_int_equal(checkpoint_load(path, &m, &v2, &f, &err), RNNLM_OK);
            assert_int_equal(step_create(&t, cfg, ids, ids + 1, n, &err), RNNLM_OK);
            if (step_restore(t, m, f, &err)) fail_msg("step_restore: %s", err.msg);
            assert_int_equal(step_epoch(t), stop_epoch);
            assert_int_equal(step_epoch_step(t), stop_at);
            st_free(f); model_free(m); rnnlm_vocab_free(v2);
        }
    }
    step_free(t);
}

static void check_resume(const step_config *cfg, const char *what) {
    enum { V = 30, N = 700 };
    int32_t *ids = make_stream(N, V, 3);
    rnnlm_vocab *v = make_vocab(V);
    char a[400], b[400], name[16];
    run_with_cut(cfg, ids, N, v, "straight", 2, 0, 0);
    /* cut in the middle of epoch 1 (carried state, epoch sums, dropout and
     * sampler draws, Adam's moments and step all live) and of epoch 2 */
    const size_t cuts[2][2] = {{1, 7}, {2, 3}};
    for (int c = 0; c < 2; c++) {
        snprintf(name, sizeof name, "cut%d", c);
        run_with_cut(cfg, ids, N, v, name, 2, (int)cuts[c][0], cuts[c][1]);
        for (int e = (int)cuts[c][0]; e <= 2; e++) {
            tmp_path(a, sizeof a, "straight.e%d", e);
            tmp_path(b, sizeof b, "%s.e%d", name, e);
            print_message("resume (%s), cut at epoch %zu step %zu: end of epoch %d\n", what, cuts[c][0],
                          cuts[c][1], e);
            assert_same_checkpoint(a, b);
        }
    }
    rnnlm_vocab_free(v);
    free(ids);
}

static void test_resume_exact_stateful(void **s) {
    (void)s;
    step_config cfg = small_config(30);
    check_resume(&cfg, "stateful, full softmax, dropout, Adam");
}

static void test_resume_exact_windowed_sampled(void **s) {
    (void)s;
    step_config cfg = small_config(30);
    cfg.pipeline = PIPE_WINDOWED;
    cfg.loss = LOSS_SAMPLED;
    cfg.samples = 8;
    check_resume(&cfg, "windowed, sampled softmax, dropout, Adam");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dropout_mask_values_and_mean),
        cmocka_unit_test(test_locked_dropout_shares_steps),
        cmocka_unit_test(test_regularisers_act),
        cmocka_unit_test(test_state_carried_across_batches),
        cmocka_unit_test(test_sampled_step_by_hand),
        cmocka_unit_test(test_resume_exact_stateful),
        cmocka_unit_test(test_resume_exact_windowed_sampled),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
