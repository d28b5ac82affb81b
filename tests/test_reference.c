/* test_reference.c: rnnlm against PyTorch. Loads the fixtures written by
 * dev/make_fixtures.py (tests/fixtures/{lstm,gru,rnn}.txt: a V=13, E=H=6,
 * L=2 model with fixed weights, a token stream, and PyTorch's float64 loss,
 * gradients, final state and the losses of a few optimiser steps), builds
 * the same model with model_create, copies the weights in, and checks:
 *   - the mean cross-entropy of batch 0 (train and eval paths),
 *   - every gradient tensor, in Keras layout,
 *   - the final hidden (and LSTM cell) state,
 *   - 5 steps of each optimiser run of the fixture (Adam with the Keras and
 *     the PyTorch eps, Adagrad, SGD) with global-norm clipping, on successive
 *     batches carrying the recurrent state: every loss and gradient norm, and
 *     (LSTM, Keras Adam) the weights after the last update.
 * Errors are per tensor: max |a - b| / max(max |b|, 1e-6); each is printed.
 * Tests run from the repository root (tests/run.sh); RNNLM_FIXTURES, if set,
 * names another fixture folder. */
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

#ifndef RNNLM_FIXTURE_DIR
#define RNNLM_FIXTURE_DIR "tests/fixtures"
#endif

#define TOL 1e-5          /* relative, loss and gradients and losses of the runs */
#define TOL_WEIGHTS 1e-5  /* relative, weights after the optimiser steps */
#define MAX_TENSORS 128
#define MAX_VALUES 1000000

/* ---- the fixture file: "name ndim d0 .. dk values..." a line ------------ */

typedef struct {
    char name[80];
    int ndim;
    int shape[4];
    size_t n;
    double *v;   /* (n) row-major */
} fx_tensor;

typedef struct {
    char path[512];
    int n;
    fx_tensor t[MAX_TENSORS];
} fixture;

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[len] = 0;
    return buf;
}

static void fx_load(fixture *fx, const char *cell) {
    const char *dirs[] = {getenv("RNNLM_FIXTURES"), RNNLM_FIXTURE_DIR, "../tests/fixtures"};
    char *text = NULL;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && !text; i++) {
        if (!dirs[i]) continue;
        snprintf(fx->path, sizeof fx->path, "%s/%s.txt", dirs[i], cell);
        text = read_all(fx->path);
    }
    if (!text) fail_msg("fixture %s.txt not found in $RNNLM_FIXTURES, %s or ../tests/fixtures "
                        "(run the tests from the repository root)", cell, RNNLM_FIXTURE_DIR);
    fx->n = 0;
    int lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (line[0] == '#' || line[0] == 0) continue;
        if (fx->n == MAX_TENSORS) fail_msg("%s: more than %d tensors", fx->path, MAX_TENSORS);
        fx_tensor *t = &fx->t[fx->n++];
        char *p = line, *end;
        size_t len = strcspn(p, " ");
        if (len == 0 || len >= sizeof t->name) fail_msg("%s:%d: bad name", fx->path, lineno);
        memcpy(t->name, p, len);
        t->name[len] = 0;
        p += len;
        long nd = strtol(p, &end, 10);
        if (end == p || nd < 0 || nd > 4) fail_msg("%s:%d: bad ndim", fx->path, lineno);
        p = end;
        t->ndim = (int)nd;
        t->n = 1;
        for (int d = 0; d < t->ndim; d++) {
            long dim = strtol(p, &end, 10);
            if (end == p || dim <= 0 || dim > MAX_VALUES) fail_msg("%s:%d: bad shape", fx->path, lineno);
            p = end;
            t->shape[d] = (int)dim;
            t->n *= (size_t)dim;
            if (t->n > MAX_VALUES) fail_msg("%s:%d: tensor too large", fx->path, lineno);
        }
        t->v = malloc(t->n * sizeof *t->v);
        assert_non_null(t->v);
        for (size_t i = 0; i < t->n; i++) {
            t->v[i] = strtod(p, &end);
            if (end == p) fail_msg("%s:%d: %s: %zu values, expected %zu", fx->path, lineno, t->name, i, t->n);
            p = end;
        }
        while (*p == ' ' || *p == '\r') p++;
        if (*p) fail_msg("%s:%d: %s: more than %zu values", fx->path, lineno, t->name, t->n);
    }
    free(text);
}

static void fx_free(fixture *fx) {
    for (int i = 0; i < fx->n; i++) free(fx->t[i].v);
    fx->n = 0;
}

static const fx_tensor *fx_find(const fixture *fx, const char *name) {
    for (int i = 0; i < fx->n; i++)
        if (strcmp(fx->t[i].name, name) == 0) return &fx->t[i];
    return NULL;
}

static const fx_tensor *fx_get(const fixture *fx, const char *name) {
    const fx_tensor *t = fx_find(fx, name);
    if (!t) fail_msg("%s: no tensor %s", fx->path, name);
    return t;
}

static int fx_int(const fixture *fx, const char *name) {
    const fx_tensor *t = fx_get(fx, name);
    assert_int_equal(t->n, 1);
    return (int)t->v[0];
}

/* ---- comparisons --------------------------------------------------------- */

/* max |a - b| / max(max |b|, 1e-6) */
static double rel_err(const float *a, const double *b, size_t n) {
    double d = 0, s = 1e-6;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs(b[i]));
    }
    return isnan(d) ? INFINITY : d / s;
}

static double scalar_rel(double a, double b) {
    double d = fabs(a - b) / fmax(fabs(b), 1e-6);
    return isnan(d) ? INFINITY : d;
}

/* prints one line and counts a failure when err > tol */
static int report(const char *cell, const char *what, double err, double tol) {
    int bad = !(err <= tol);
    printf("  %-5s %-58s rel err %.2e%s\n", cell, what, err, bad ? "  > tolerance" : "");
    return bad;
}

/* ---- the model under test ---------------------------------------------- */

/* the part of a tensor name after its first '.' ("lstm.0.kernel" -> "0.kernel") */
static const char *after_prefix(const char *name) {
    const char *dot = strchr(name, '.');
    return dot ? dot + 1 : name;
}

/* The fixture tensor <prefix><model tensor name>. Should the model name its
 * layers otherwise ("layer.0.kernel"), the names are matched after their
 * first '.'; the shapes must be equal either way. */
static const fx_tensor *fx_for(const fixture *fx, const char *prefix, const model_tensor *mt) {
    char want[160];
    snprintf(want, sizeof want, "%s%s", prefix, mt->name);
    const fx_tensor *t = fx_find(fx, want);
    if (!t && strchr(mt->name, '.') && strncmp(mt->name, "output.", 7) != 0) {
        size_t plen = strlen(prefix);
        for (int i = 0; i < fx->n && !t; i++) {
            const char *nm = fx->t[i].name;
            if (strncmp(nm, prefix, plen) == 0 && strncmp(nm + plen, "output.", 7) != 0 &&
                strcmp(after_prefix(nm + plen), after_prefix(mt->name)) == 0)
                t = &fx->t[i];
        }
    }
    if (!t) fail_msg("%s: no tensor for the model's %s (looked for %s)", fx->path, mt->name, want);
    if (t->ndim != mt->ndim) fail_msg("%s: %s has %d dims, the model's %s %d", fx->path, t->name,
                                      t->ndim, mt->name, mt->ndim);
    for (int d = 0; d < t->ndim; d++)
        if (t->shape[d] != mt->shape[d])
            fail_msg("%s: %s dim %d is %d, the model's %s has %d", fx->path, t->name, d,
                     t->shape[d], mt->name, mt->shape[d]);
    assert_int_equal(t->n, mt->count);
    return t;
}

/* params = the fixture's param.* (every float of the buffer is written) */
static void load_weights(model *m, const fixture *fx) {
    float *p = model_params(m);
    size_t covered = 0;
    int n_fx = 0;
    for (int i = 0; i < fx->n; i++) n_fx += strncmp(fx->t[i].name, "param.", 6) == 0;
    assert_int_equal(model_n_tensors(m), n_fx);
    for (int i = 0; i < model_n_tensors(m); i++) {
        const model_tensor *mt = model_tensor_at(m, i);
        const fx_tensor *t = fx_for(fx, "param.", mt);
        assert_true(mt->offset + mt->count <= model_n_params(m));
        for (size_t j = 0; j < t->n; j++) p[mt->offset + j] = (float)t->v[j];
        covered += mt->count;
    }
    assert_int_equal(covered, model_n_params(m));
}

typedef struct {
    int B, T, NB, row;   /* row: words per row of the stream, NB*T+1 */
    int32_t *x, *y;      /* (NB, B, T) */
} batches;

static void make_batches(batches *b, const fixture *fx) {
    b->B = fx_int(fx, "config.B");
    b->T = fx_int(fx, "config.T");
    b->NB = fx_int(fx, "config.NB");
    b->row = b->NB * b->T + 1;
    const fx_tensor *tok = fx_get(fx, "tokens");
    assert_int_equal(tok->ndim, 2);
    assert_int_equal(tok->shape[0], b->B);
    assert_int_equal(tok->shape[1], b->row);
    size_t n = (size_t)b->NB * (size_t)b->B * (size_t)b->T;
    b->x = malloc(n * sizeof *b->x);
    b->y = malloc(n * sizeof *b->y);
    assert_true(b->x && b->y);
    for (int k = 0; k < b->NB; k++)
        for (int r = 0; r < b->B; r++)
            for (int t = 0; t < b->T; t++) {
                size_t o = ((size_t)k * (size_t)b->B + (size_t)r) * (size_t)b->T + (size_t)t;
                size_t s = (size_t)r * (size_t)b->row + (size_t)k * (size_t)b->T + (size_t)t;
                b->x[o] = (int32_t)tok->v[s];
                b->y[o] = (int32_t)tok->v[s + 1];
            }
}

static const int32_t *bx(const batches *b, int k) { return b->x + (size_t)k * (size_t)(b->B * b->T); }
static const int32_t *by(const batches *b, int k) { return b->y + (size_t)k * (size_t)(b->B * b->T); }

static double train_loss(model *m, const batches *b, int k) {
    rnnlm_rng rng;
    rnnlm_rng_seed(&rng, 1);
    batch_stats st = {0};
    rnnlm_err err = {0};
    rnnlm_status s = model_train_batch(m, bx(b, k), by(b, k), b->B, b->T, &rng, &st, &err);
    if (s) fail_msg("model_train_batch: %s", err.msg);
    assert_int_equal(st.count, (int64_t)b->B * b->T);
    return st.loss_sum / (double)st.count;
}

/* One optimiser run of the fixture: from its weights and a zero state, NB
 * clipped steps on batches 0..NB-1. Returns the number of failures. */
static int check_run(model *m, const fixture *fx, const batches *b, const char *cell,
                     const char *run) {
    char name[160], what[160];
    snprintf(name, sizeof name, "run.%s.hparams", run);
    const fx_tensor *hp = fx_get(fx, name);
    assert_int_equal(hp->n, 8);
    opt_config c = {
        .kind = (opt_kind)hp->v[0], .lr = (float)hp->v[1], .beta1 = (float)hp->v[2],
        .beta2 = (float)hp->v[3], .eps = (float)hp->v[4], .eps_torch = (int)hp->v[5],
        .adagrad_init = (float)hp->v[6], .clip = (float)hp->v[7],
    };
    snprintf(name, sizeof name, "run.%s.loss", run);
    const fx_tensor *want_loss = fx_get(fx, name);
    snprintf(name, sizeof name, "run.%s.norm", run);
    const fx_tensor *want_norm = fx_get(fx, name);
    assert_int_equal(want_loss->n, (size_t)b->NB);
    assert_int_equal(want_norm->n, (size_t)b->NB);

    optim *o = NULL;
    rnnlm_err err = {0};
    if (optim_create(&o, &c, model_n_params(m), &err)) fail_msg("optim_create: %s", err.msg);
    load_weights(m, fx);
    model_reset_state(m);
    double worst_loss = 0, worst_norm = 0;
    int clipped = 0;
    for (int k = 0; k < b->NB; k++) {
        model_zero_grads(m);
        double loss = train_loss(m, b, k);
        double norm;
        if (optim_clip_step(o, model_params(m), model_grads(m), &norm, &err))
            fail_msg("%s %s step %d: %s", cell, run, k, err.msg);
        worst_loss = fmax(worst_loss, scalar_rel(loss, want_loss->v[k]));
        worst_norm = fmax(worst_norm, scalar_rel(norm, want_norm->v[k]));
        clipped += c.clip > 0 && want_norm->v[k] > c.clip;
    }
    int bad = 0;
    snprintf(what, sizeof what, "%s: %d losses (%d of %d steps clipped)", run, b->NB, clipped, b->NB);
    bad += report(cell, what, worst_loss, TOL);
    snprintf(what, sizeof what, "%s: %d gradient norms", run, b->NB);
    bad += report(cell, what, worst_norm, TOL);
    for (int i = 0; i < model_n_tensors(m); i++) {
        const model_tensor *mt = model_tensor_at(m, i);
        snprintf(name, sizeof name, "run.%s.final.%s", run, mt->name);
        if (!fx_find(fx, name)) continue;
        snprintf(name, sizeof name, "run.%s.final.", run);
        const fx_tensor *t = fx_for(fx, name, mt);
        snprintf(what, sizeof what, "%s: weights after: %s", run, mt->name);
        bad += report(cell, what, rel_err(model_params(m) + mt->offset, t->v, t->n), TOL_WEIGHTS);
    }
    optim_free(o);
    return bad;
}

static void check_cell(const char *cell, cell_kind kind) {
    static fixture fx;   /* large: keep it off the stack */
    fx_load(&fx, cell);
    assert_int_equal(fx_int(&fx, "config.cell"), (int)kind);
    batches b;
    make_batches(&b, &fx);
    model_config cfg = {
        .cell = kind, .V = fx_int(&fx, "config.V"), .E = fx_int(&fx, "config.E"),
        .H = fx_int(&fx, "config.H"), .L = fx_int(&fx, "config.L"), .dropout = 0.0f,
        .tied = 0, .init = INIT_UNIFORM,
    };
    model *m = NULL;
    rnnlm_err err = {0};
    if (model_create(&m, &cfg, &err)) fail_msg("model_create(%s): %s", cell, err.msg);
    if (model_reserve(m, b.B, b.T, &err)) fail_msg("model_reserve: %s", err.msg);
    int bad = 0;
    printf("  %s: %s\n", cell, fx.path);

    /* step 0: batch 0 from a zero state */
    load_weights(m, &fx);
    model_reset_state(m);
    model_zero_grads(m);
    double loss = train_loss(m, &b, 0);
    bad += report(cell, "loss (train)", scalar_rel(loss, fx_get(&fx, "loss")->v[0]), TOL);
    for (int i = 0; i < model_n_tensors(m); i++) {
        const model_tensor *mt = model_tensor_at(m, i);
        const fx_tensor *t = fx_for(&fx, "grad.", mt);
        char what[80];
        snprintf(what, sizeof what, "grad %s", mt->name);
        bad += report(cell, what, rel_err(model_grads(m) + mt->offset, t->v, t->n), TOL);
    }
    /* the carried state after batch 0: hidden (L, B, H), then for LSTM the cell */
    const fx_tensor *h = fx_get(&fx, "h_final"), *c = fx_find(&fx, "c_final");
    size_t lbh = h->n;
    if (model_state_size(m) != lbh * (c ? 2 : 1))
        fail_msg("model_state_size %zu, expected %zu ((L, B, H) hidden%s)", model_state_size(m),
                 lbh * (c ? 2 : 1), c ? " + (L, B, H) cell" : "");
    bad += report(cell, "final hidden state", rel_err(model_state(m), h->v, lbh), TOL);
    if (c) bad += report(cell, "final cell state", rel_err(model_state(m) + lbh, c->v, lbh), TOL);

    /* the forward-only path gives the same loss */
    model_reset_state(m);
    batch_stats st = {0};
    if (model_eval_batch(m, bx(&b, 0), by(&b, 0), b.B, b.T, &st, &err))
        fail_msg("model_eval_batch: %s", err.msg);
    bad += report(cell, "loss (eval)", scalar_rel(st.loss_sum / (double)st.count,
                                                  fx_get(&fx, "loss")->v[0]), TOL);

    const char *runs[] = {"adam_keras", "adam_torch", "adagrad", "sgd"};
    int n_runs = 0;
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        char name[64];
        snprintf(name, sizeof name, "run.%s.hparams", runs[r]);
        if (!fx_find(&fx, name)) continue;
        bad += check_run(m, &fx, &b, cell, runs[r]);
        n_runs++;
    }
    assert_true(n_runs >= 1);
    model_free(m);
    free(b.x);
    free(b.y);
    fx_free(&fx);
    if (bad) fail_msg("%s: %d comparisons out of tolerance (see above)", cell, bad);
}

static void test_lstm(void **st) { (void)st; check_cell("lstm", CELL_LSTM); }
static void test_gru(void **st) { (void)st; check_cell("gru", CELL_GRU); }
static void test_rnn(void **st) { (void)st; check_cell("rnn", CELL_RNN); }

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lstm),
        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_rnn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
