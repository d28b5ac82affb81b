/* run.c: a training run (rnnlm.h, "training"): the options and their
 * metadata keys, the run directories, the epoch loop's bookkeeping (logs,
 * checkpoints last and best, the best perplexity), exact resume, the test
 * evaluation of the best weights, and the evaluation of a stream.
 * The arithmetic of a step is train.c's; this file decides when things
 * happen and what is written. */
#include "train/run.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/checkpoint.h"
#include "train/comm.h"
#include "model/infer.h"
#include "nn/cell.h"
#include "io/rundir.h"
#include "io/runlog.h"
#include "train/schedule.h"

/* ------------------------------------------------------------ options */

void rnnlm_train_options_default(rnnlm_train_options *o) {
    memset(o, 0, sizeof *o);
    o->cell = RNNLM_CELL_LSTM;
    o->hidden = 200;
    o->layers = 2;
    o->dropout = 0.1;
    o->max_time = 25;
    o->batch = 100;
    o->epochs = 10;
    o->lr = -1;
    o->clip = 5;
    o->train_seed = 1;
    o->max_bad = 20;
    o->log_every = 1;
    /* schedules, early stopping, averaged weights: all off */
    o->lr_decay = 0.5;
    o->lr_step = 1;
}

train_config run_train_config(const rnnlm_train_options *o, long V) {
    train_config c;
    memset(&c, 0, sizeof c);
    c.model.cell = (cell_kind)o->cell;
    c.model.V = (int)V;
    c.model.H = (int)o->hidden;
    c.model.E = o->embed ? (int)o->embed : (int)o->hidden;
    c.model.L = (int)o->layers;
    c.model.dropout = (float)o->dropout;
    c.model.tied = o->tied;
    c.model.reg = (nn_reg){(float)o->dropout_out, (float)o->dropout_emb, (float)o->dropout_word,
                           (float)o->weight_drop, o->locked != 0};
    c.model.weight_decay = (float)o->weight_decay;
    c.model.init = (init_kind)o->init;
    c.model.bf16 = o->precision == RNNLM_PRECISION_BF16;
    c.opt = opt_config_default((opt_kind)o->optimizer);
    if (o->lr > 0) c.opt.lr = (float)o->lr;
    c.opt.clip = (float)o->clip;
    c.opt.eps_torch = o->eps_torch;
    c.opt.dense_adam = o->dense_adam;
    c.loss = (loss_kind)o->loss;
    c.samples = o->samples ? (int)o->samples : (V < 1024 ? (int)V : 1024);
    c.B = (int)o->batch;
    c.T = (int)o->max_time;
    c.pipeline = (pipeline_kind)o->pipeline;
    c.seed = (uint64_t)o->train_seed;
    c.max_bad_steps = (int)o->max_bad;
    c.max_steps = (size_t)o->max_steps;
    return c;
}

rnnlm_status rnnlm_train_options_summary(const rnnlm_train_options *o, long V, char *buf, size_t cap,
                                         rnnlm_err *err) {
    train_config c = run_train_config(o, V);
    model *m;
    rnnlm_status st = model_create(&m, &c.model, err);
    if (st) return st;
    model_summary(m, buf, cap);
    model_free(m);
    return RNNLM_OK;
}

/* The run configuration stored in a checkpoint: "config.<name>" = value
 * (docs/FORMAT.md); legacy: the "cli.<flag>" key of older files. Values:
 * integers in decimal, reals as %.17g, choices by name, flags 0/1, strings
 * as they are ("" for none). */
typedef enum { K_INT, K_REAL, K_STR, K_FLAG, K_CHOICE } key_type;

typedef struct {
    const char *name, *legacy;
    key_type type;
    int data;          /* 0: a field of rnnlm_train_options, 1: of rnnlm_data_options */
    size_t off;
    const char *choices;
    double lo, hi;
} config_key;

/* A choice key's names; NULL choices: the registered cell kinds. */
static const char *key_choices(const config_key *k) { return k->choices ? k->choices : nn_cell_choices(); }

#define TK(n, l, t, f, c, lo, hi) {n, l, t, 0, offsetof(rnnlm_train_options, f), c, lo, hi}
#define DK(n, l, t, f, c, lo, hi) {n, l, t, 1, offsetof(rnnlm_data_options, f), c, lo, hi}
static const config_key KEYS[] = {
    TK("cell", "cell", K_CHOICE, cell, NULL, 0, 0),   /* NULL: the cell registry's keys */
    TK("hidden", "hidden", K_INT, hidden, NULL, 1, 65536),
    TK("embed", "embed", K_INT, embed, NULL, 0, 65536),
    TK("layers", "layers", K_INT, layers, NULL, 1, RNNLM_MAX_LAYERS),
    TK("dropout", "dropout", K_REAL, dropout, NULL, 0, 0.99),
    TK("tied", "tied", K_FLAG, tied, NULL, 0, 0),
    TK("dropout_out", NULL, K_REAL, dropout_out, NULL, 0, 0.99),
    TK("dropout_emb", NULL, K_REAL, dropout_emb, NULL, 0, 0.99),
    TK("dropout_word", NULL, K_REAL, dropout_word, NULL, 0, 0.99),
    TK("weight_drop", NULL, K_REAL, weight_drop, NULL, 0, 0.99),
    TK("locked", NULL, K_FLAG, locked, NULL, 0, 0),
    TK("keep_epochs", NULL, K_FLAG, keep_epochs, NULL, 0, 0),
    TK("weight_decay", NULL, K_REAL, weight_decay, NULL, 0, 0.99),
    TK("init", "init", K_CHOICE, init, "recipe|uniform", 0, 0),
    TK("max_time", "max-time", K_INT, max_time, NULL, 1, 100000),
    TK("batch", "batch-size", K_INT, batch, NULL, 1, 100000),
    TK("epochs", "epochs", K_INT, epochs, NULL, 1, 100000),
    TK("optimizer", "optimizer", K_CHOICE, optimizer, "adam|adagrad|sgd", 0, 0),
    TK("lr", "lr", K_REAL, lr, NULL, -1, 100),
    TK("eps_torch", "eps-torch", K_FLAG, eps_torch, NULL, 0, 0),
    TK("loss", "loss", K_CHOICE, loss, "full|sampled", 0, 0),
    TK("samples", "samples", K_INT, samples, NULL, 0, 1 << 24),
    TK("dense_adam", "dense-adam", K_FLAG, dense_adam, NULL, 0, 0),
    TK("clip", "clip", K_REAL, clip, NULL, 0, 1e9),
    TK("pipeline", "pipeline", K_CHOICE, pipeline, "stateful|windowed", 0, 0),
    TK("threads", "threads", K_INT, threads, NULL, 0, 256),
    TK("precision", "precision", K_CHOICE, precision, "fp32|bf16", 0, 0),
    TK("train_seed", "train-seed", K_INT, train_seed, NULL, 0, 1e18),
    TK("max_steps", "max-steps", K_INT, max_steps, NULL, 0, 1e12),
    TK("max_bad_steps", "max-bad-steps", K_INT, max_bad, NULL, 1, 1e9),
    DK("corpus", "corpus", K_STR, corpus, NULL, 0, 0),
    DK("train_file", "train", K_STR, train, NULL, 0, 0),
    DK("valid_file", "valid", K_STR, valid, NULL, 0, 0),
    DK("test_file", "test", K_STR, test, NULL, 0, 0),
    DK("vocab_size", "vocab-size", K_INT, vocab_size, NULL, 4, 1 << 30),
    DK("split", "split", K_REAL, split, NULL, -1e300, 1e300),
    DK("split_seed", "seed", K_INT, seed, NULL, 0, 4294967295.0),
    DK("no_canon", "no-canon", K_FLAG, no_canon, NULL, 0, 0),
    DK("no_markers", "no-markers", K_FLAG, no_markers, NULL, 0, 0),
    DK("max_line_bytes", "max-line-bytes", K_INT, max_line, NULL, 1, 1 << 30),
    DK("vocab_file", "vocab", K_STR, vocab_in, NULL, 0, 0),
    DK("save_vocab_file", "save-vocab", K_STR, vocab_out, NULL, 0, 0),
    /* schedules, early stopping, averaged weights, the time limit; the carved validation split */
    TK("lr_schedule", "lr-schedule", K_CHOICE, lr_schedule, "constant|plateau|step|cosine", 0, 0),
    TK("lr_decay", "lr-decay", K_REAL, lr_decay, NULL, 1e-9, 1),
    TK("lr_patience", "lr-patience", K_INT, lr_patience, NULL, 0, 1e9),
    TK("lr_step", "lr-step", K_INT, lr_step, NULL, 1, 1e9),
    TK("lr_min", "lr-min", K_REAL, lr_min, NULL, 0, 100),
    TK("patience", "patience", K_INT, patience, NULL, 0, 1e9),
    TK("average", "average", K_INT, average, NULL, -1, 1e9),
    /* (max_minutes is not stored: the time limit is this invocation's, not the run's) */
    TK("budget_steps", "budget-steps", K_INT, budget_steps, NULL, 0, 1e12),
    TK("average_from", "average-from", K_REAL, average_from, NULL, 0, 1),
    DK("valid_split", "valid-split", K_REAL, valid_split, NULL, 0, 0.999999),
};
#define N_KEYS (sizeof KEYS / sizeof KEYS[0])
#define N_RUN_KEYS 7   /* run.best_ppl, run.best_epoch, run.global_step, run.lr, run.lr_bad_epochs, run.avg_start,
                          run.avg_count */
#define N_DATA_FILES (sizeof ((rnnlm_dataset *)0)->files / sizeof ((rnnlm_dataset *)0)->files[0])
#define N_DATA_KEYS (2 + 2 * N_DATA_FILES)   /* data.files, data.vocab.fnv1a64; data.<role>.bytes and .fnv1a64 */

static void *field(const config_key *k, rnnlm_train_options *t, rnnlm_data_options *d) {
    return (char *)(k->data ? (void *)d : (void *)t) + k->off;
}

static void format_value(const config_key *k, const void *p, char *buf, size_t cap) {
    switch (k->type) {
    case K_INT: snprintf(buf, cap, "%ld", *(const long *)p); break;
    case K_REAL: snprintf(buf, cap, "%.17g", *(const double *)p); break;
    case K_STR: snprintf(buf, cap, "%s", *(const char *const *)p ? *(const char *const *)p : ""); break;
    case K_FLAG: snprintf(buf, cap, "%d", *(const int *)p); break;
    case K_CHOICE: {
        const char *c = key_choices(k);
        for (int i = 0; i < *(const int *)p && c; i++) { c = strchr(c, '|'); if (c) c++; }
        snprintf(buf, cap, "%.*s", c ? (int)strcspn(c, "|") : 0, c ? c : "");
        break;
    }
    }
}

static rnnlm_status parse_value(const config_key *k, const char *v, void *p, const char *path, const char *key,
                                rnnlm_err *err) {
    char *end;
    switch (k->type) {
    case K_INT: {
        long x = strtol(v, &end, 10);
        if (end == v || *end || (double)x < k->lo || (double)x > k->hi) break;
        *(long *)p = x;
        return RNNLM_OK;
    }
    case K_REAL: {
        double x = strtod(v, &end);
        if (end == v || *end || !isfinite(x) || x < k->lo || x > k->hi) break;
        *(double *)p = x;
        return RNNLM_OK;
    }
    case K_STR:
        *(const char **)p = *v ? v : NULL;
        return RNNLM_OK;
    case K_FLAG:
        if (strcmp(v, "0") && strcmp(v, "1")) break;
        *(int *)p = v[0] == '1';
        return RNNLM_OK;
    case K_CHOICE: {
        size_t n = strlen(v);
        int i = 0;
        for (const char *c = key_choices(k); c; i++) {
            size_t m = strcspn(c, "|");
            if (n && m == n && strncmp(c, v, n) == 0) { *(int *)p = i; return RNNLM_OK; }
            c = c[m] ? c + m + 1 : NULL;
        }
        break;
    }
    }
    return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata %s='%s' is not a valid value", path, key, v);
}

const char *run_config_value(const st_file *f, const char *name, char *key, size_t cap) {
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].name, name) == 0) return checkpoint_config_value(f, name, KEYS[i].legacy, key, cap);
    return NULL;
}

/* ------------------------------------------------------ resume checkpoint */

struct rnnlm_checkpoint {
    char *path;
    model *m;
    rnnlm_vocab *v;
    st_file *f;
};

rnnlm_status rnnlm_checkpoint_open(rnnlm_checkpoint **out, const char *path, rnnlm_err *err) {
    *out = NULL;
    rnnlm_checkpoint *c = rnnlm_calloc(1, sizeof *c, "checkpoint", err);
    if (!c) return RNNLM_E_NOMEM;
    rnnlm_status st = checkpoint_load(path, &c->m, &c->v, &c->f, err);
    if (!st && !(c->path = strdup(path))) st = rnnlm_fail(err, RNNLM_E_NOMEM, "out of memory");
    if (st) { rnnlm_checkpoint_free(c); return st; }
    *out = c;
    return RNNLM_OK;
}

void rnnlm_checkpoint_free(rnnlm_checkpoint *c) {
    if (!c) return;
    model_free(c->m);
    rnnlm_vocab_free(c->v);
    st_free(c->f);
    free(c->path);
    free(c);
}

rnnlm_status rnnlm_checkpoint_options(const rnnlm_checkpoint *c, rnnlm_train_options *t, rnnlm_data_options *d,
                                      rnnlm_err *err) {
    if (!run_config_value(c->f, "max_time", NULL, 0))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "the checkpoint holds no training options (not written by rnnlm train)");
    for (size_t i = 0; i < N_KEYS; i++) {
        char key[80];
        const char *v = run_config_value(c->f, KEYS[i].name, key, sizeof key);
        if (!v) continue;   /* a key newer than the checkpoint: its default */
        rnnlm_status st = parse_value(&KEYS[i], v, field(&KEYS[i], t, d), c->path, key, err);
        if (st) return st;
    }
    d->fixed_vocab = c->v;
    return RNNLM_OK;
}

/* ------------------------------------------------------------- the run */

struct rnnlm_trainer {
    rnnlm_train_options o;
    rnnlm_data_options d;
    long threads;
    rnnlm_trainer_site site;
    rundir *rd;
    runlog *rl;
    trainer *t;
    const rnnlm_dataset *ds;
    const rnnlm_split_data *val;
    train_config cfg;
    char summary[4096];
    /* the checkpoints' metadata: the configuration, then the run's history */
    char kv[N_KEYS][2][512];
    char dkv[N_DATA_KEYS][2][64];   /* the data's fingerprints (data.* keys), after the configuration */
    size_t n_data;
    char data_note[1024];   /* what the resume's data check has to say ("": nothing) */
    const char *flat[2 * N_KEYS + 2 * N_DATA_KEYS + 2 * N_RUN_KEYS];
    char best_s[32], best_epoch_s[32], global_s[32];
    char lr_s[40], lr_bad_s[32], avg_start_s[32], avg_count_s[32];
    double best;
    int best_epoch;
    int64_t global_step;
    int epoch;              /* the epoch the next step belongs to */
    int first;              /* 1: the epoch was begun by the resumed run */
    int in_epoch;
    size_t resumed_step;
    int improved;
    float *kept;            /* the best weights, when the test needs them and no save_dir holds them */
    int keep, kept_epoch;
    /* schedules, early stopping, averaged weights, the time limit (run.lr,
     * run.lr_bad_epochs, run.avg_start, run.avg_count, train.avg_weights) */
    double lr0, lr;         /* the optimiser's first learning rate; the current one */
    long lr_bad;            /* plateau: validated epochs in a row without an improvement */
    float *avg;             /* (n_params) the averaged weights, when the options ask for them */
    int avg_start;          /* the epoch averaging began at (0: not yet) */
    int64_t avg_count;      /* optimiser steps averaged */
    rnnlm_stop_reason stop;
    int cut;                /* the current epoch was cut between two steps (max_minutes, stop_at_step) */
    struct timespec t0;     /* rnnlm_trainer_start: max_minutes counts from here */
};

static rnnlm_status at(rnnlm_trainer *t, rnnlm_trainer_site site, rnnlm_status st) {
    if (st) t->site = site;
    return st;
}

rnnlm_status rnnlm_train_options_check(const rnnlm_train_options *o, rnnlm_err *err) {
    if (o->lr_schedule < RNNLM_LR_CONSTANT || o->lr_schedule > RNNLM_LR_COSINE)
        return rnnlm_fail(err, RNNLM_E_ARG, "lr_schedule %d is not a schedule", o->lr_schedule);
    if (o->optimizer < RNNLM_OPT_ADAM || o->optimizer > RNNLM_OPT_SGD)
        return rnnlm_fail(err, RNNLM_E_ARG, "optimizer %d is not an optimiser", o->optimizer);
    if (!(o->lr_decay > 0 && o->lr_decay <= 1))
        return rnnlm_fail(err, RNNLM_E_ARG, "--lr-decay: %g is outside (0, 1]", o->lr_decay);
    if (!(o->lr_min >= 0 && isfinite(o->lr_min)))
        return rnnlm_fail(err, RNNLM_E_ARG, "--lr-min: %g is not a learning rate (>= 0)", o->lr_min);
    /* a floor above the starting rate would raise it (step and plateau clamp up to the
     * floor, cosine anneals upwards to it); compared as the optimiser holds them, in float */
    float lr0 = o->lr > 0 ? (float)o->lr : opt_config_default((opt_kind)o->optimizer).lr;
    if ((float)o->lr_min > lr0)
        return rnnlm_fail(err, RNNLM_E_ARG, "--lr-min: %g is above the starting learning rate %g (--lr%s): "
                          "the floor of a schedule may not raise the rate", o->lr_min, (double)lr0,
                          o->lr > 0 ? "" : ", the optimiser's default");
    if (o->lr_patience < 0 || o->lr_step < 1 || o->patience < 0 || o->average < -1)
        return rnnlm_fail(err, RNNLM_E_ARG, "--lr-patience, --lr-step, --patience or --average out of range");
    if (!(o->max_minutes >= 0 && isfinite(o->max_minutes)))
        return rnnlm_fail(err, RNNLM_E_ARG, "--max-minutes: %g is not a time (>= 0)", o->max_minutes);
    if (o->stop_at_step < 0)
        return rnnlm_fail(err, RNNLM_E_ARG, "--stop-at-step: %ld is not a step (>= 1, or 0: none)", o->stop_at_step);
    if (o->epochs < 1 || o->budget_steps < 0)
        return rnnlm_fail(err, RNNLM_E_ARG, "--epochs (%ld) or --budget-steps (%ld) out of range", o->epochs,
                          o->budget_steps);
    if (!(o->average_from >= 0 && o->average_from <= 1))
        return rnnlm_fail(err, RNNLM_E_ARG, "--average-from: %g is not a fraction of the run in [0, 1]",
                          o->average_from);
    if (o->batch_per_rank < 0 || o->lr_scaling < 0 || o->lr_scaling > 2)
        return rnnlm_fail(err, RNNLM_E_ARG, "--batch-per-rank (%ld) or lr_scaling (%d) out of range",
                          o->batch_per_rank, o->lr_scaling);
    if (o->dirs_mode < RNNLM_DIRS_NEW || o->dirs_mode > RNNLM_DIRS_RESUME)
        return rnnlm_fail(err, RNNLM_E_ARG, "dirs_mode %d is not an rnnlm_dirs_mode", o->dirs_mode);
    return RNNLM_OK;
}

rnnlm_status rnnlm_trainer_create(rnnlm_trainer **out, const rnnlm_train_options *o, const rnnlm_data_options *d,
                                  rnnlm_err *err) {
    *out = NULL;
    rnnlm_status st0 = rnnlm_train_options_check(o, err);
    if (st0) return st0;
    rnnlm_trainer *t = rnnlm_calloc(1, sizeof *t, "trainer", err);
    if (!t) return RNNLM_E_NOMEM;
    t->o = *o;
    t->d = *d;
    int ranks = comm_size(o->comm);
    if (o->batch_per_rank > 0) {   /* weak scaling: the global batch grows with the ranks */
        double b = (double)o->batch_per_rank * ranks, k = b / (double)o->batch;
        double lr = o->lr > 0 ? o->lr : (double)opt_config_default((opt_kind)o->optimizer).lr;
        lr *= o->lr_scaling == 2 ? k : o->lr_scaling == 1 ? sqrt(k) : 1.0;
        if (b > 100000 || lr > 100) {
            free(t);
            return rnnlm_fail(err, RNNLM_E_ARG, "--batch-per-rank %ld on %d ranks: a batch of %.0f rows and lr %g "
                              "(the largest are 100000 and 100)", o->batch_per_rank, ranks, b, lr);
        }
        t->o.batch = (long)b;
        if (o->lr_scaling || o->lr > 0) t->o.lr = lr;
    }
    if (t->o.batch % ranks) {
        free(t);
        return rnnlm_fail(err, RNNLM_E_ARG, "--batch-size %ld does not divide among %d ranks: each rank takes B/N "
                          "rows of the global batch (choose a B that %d divides, or --batch-per-rank)", o->batch,
                          ranks, ranks);
    }
    /* rank 0 alone claims the directories and writes in them */
    const char *dirs[] = {o->save_dir, o->logdir};
    const unsigned holds[] = {RUNDIR_CHECKPOINTS, RUNDIR_LOGS};
    rnnlm_status st = comm_rank(o->comm) ? RNNLM_OK : rundir_lock(&t->rd, dirs, holds, 2, o->dirs_mode, err);
    if (st) { free(t); return st; }
    /* one thread per core, the cores shared among the ranks on this machine */
    long cores = sysconf(_SC_NPROCESSORS_ONLN), local = comm_local_size(o->comm);
    t->threads = o->threads ? o->threads : cores / local > 1 ? cores / local : 1;
    t->best = INFINITY;
    *out = t;
    return RNNLM_OK;
}

/* The resumed run's best perplexity, its epoch and the global step, each
 * checked: a perplexity is >= 1, +inf (written as "inf") exactly while no
 * epoch was best, and the best epoch is not after the checkpoint's. */
static rnnlm_status run_history(rnnlm_trainer *t, const rnnlm_checkpoint *c, rnnlm_err *err) {
    long long be = 0, gs = 0;
    double b = INFINITY;
    const st_file *ck = c->f;
    int epoch = trainer_epoch(t->t);
    rnnlm_status st;
    if ((checkpoint_get_meta(ck, "run.best_ppl") &&
         (st = checkpoint_meta_real(ck, "run.best_ppl", 1.0, INFINITY, &b, c->path, err))) ||
        (checkpoint_get_meta(ck, "run.best_epoch") &&
         (st = checkpoint_meta_int(ck, "run.best_epoch", 0, epoch, &be, c->path, err))) ||
        (checkpoint_get_meta(ck, "run.global_step") &&
         (st = checkpoint_meta_int(ck, "run.global_step", 0, INT64_MAX, &gs, c->path, err))))
        return st;
    if ((be == 0) != isinf(b))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata run.best_ppl=%g and run.best_epoch=%lld disagree",
                          c->path, b, be);
    t->best = b;
    t->best_epoch = (int)be;
    t->global_step = gs;
    return RNNLM_OK;
}

/* The resumed run's schedule and averaging state (keys of older checkpoints
 * that lack them keep their starting values): run.lr, run.lr_bad_epochs,
 * run.avg_start, run.avg_count and the tensor train.avg_weights. */
static rnnlm_status run_schedule_state(rnnlm_trainer *t, const rnnlm_checkpoint *c, rnnlm_err *err) {
    const st_file *ck = c->f;
    double lr = t->lr;
    long long bad = 0, as = 0, ac = 0;
    int epoch = trainer_epoch(t->t);
    rnnlm_status st;
    if ((checkpoint_get_meta(ck, "run.lr") && (st = checkpoint_meta_real(ck, "run.lr", 0.0, 100.0, &lr, c->path, err))) ||
        (checkpoint_get_meta(ck, "run.lr_bad_epochs") &&
         (st = checkpoint_meta_int(ck, "run.lr_bad_epochs", 0, INT32_MAX, &bad, c->path, err))) ||
        (checkpoint_get_meta(ck, "run.avg_start") &&
         (st = checkpoint_meta_int(ck, "run.avg_start", 0, (long long)epoch + 1, &as, c->path, err))) ||
        (checkpoint_get_meta(ck, "run.avg_count") &&
         (st = checkpoint_meta_int(ck, "run.avg_count", 0, INT64_MAX, &ac, c->path, err))))
        return st;
    const st_entry *a = st_find(ck, "train.avg_weights");
    size_t n = model_n_params(trainer_model(t->t));
    if ((as || ac || a) && !t->avg)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: averaged weights without config.average", c->path);
    if ((ac > 0) != (a != NULL) || (ac > 0 && !as) || (a && a->count != n))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: run.avg_count=%lld, run.avg_start=%lld and train.avg_weights "
                          "(%zu floats, the model has %zu) disagree", c->path, ac, as, a ? a->count : 0, n);
    if (a) memcpy(t->avg, a->data, n * sizeof *t->avg);
    t->lr = lr;
    t->lr_bad = (long)bad;
    t->avg_start = (int)as;
    t->avg_count = ac;
    return RNNLM_OK;
}

/* ------------------------------------------------------ the data's fingerprints */

/* The vocabulary's fingerprint: FNV-1a 64 over each word in id order with its
 * NUL and its count (8 bytes little-endian), then the canonicalisation (0
 * none, 1 recipe, 8 bytes). */
static uint64_t vocab_hash(const rnnlm_vocab *v) {
    uint64_t h = FNV1A64_INIT;
    for (size_t i = 0; i < rnnlm_vocab_size(v); i++) {
        const char *w = rnnlm_vocab_word(v, (int32_t)i);
        h = fnv1a64_u64(fnv1a64(h, w, strlen(w) + 1), rnnlm_vocab_count(v, (int32_t)i));
    }
    return fnv1a64_u64(h, (uint64_t)rnnlm_vocab_canon(v));
}

/* The data.* keys of d (docs/FORMAT.md) into t->dkv and the flat list, after
 * the configuration's. */
static void data_keys(rnnlm_trainer *t, const rnnlm_dataset *d) {
    size_t k = 0;
    char files[64] = "";
    for (int i = 0; i < d->n_files && i < (int)N_DATA_FILES; i++) {
        const rnnlm_data_file *f = &d->files[i];
        size_t used = strlen(files);
        snprintf(files + used, sizeof files - used, "%s%s", i ? " " : "", f->role);
        snprintf(t->dkv[k][0], sizeof t->dkv[k][0], "data.%s.bytes", f->role);
        snprintf(t->dkv[k++][1], sizeof t->dkv[0][1], "%llu", (unsigned long long)f->bytes);
        snprintf(t->dkv[k][0], sizeof t->dkv[k][0], "data.%s.fnv1a64", f->role);
        snprintf(t->dkv[k++][1], sizeof t->dkv[0][1], "%016llx", (unsigned long long)f->hash);
    }
    snprintf(t->dkv[k][0], sizeof t->dkv[k][0], "data.files");
    snprintf(t->dkv[k++][1], sizeof t->dkv[0][1], "%s", files);
    snprintf(t->dkv[k][0], sizeof t->dkv[k][0], "data.vocab.fnv1a64");
    snprintf(t->dkv[k++][1], sizeof t->dkv[0][1], "%016llx", (unsigned long long)vocab_hash(t->ds->vocab));
    for (size_t i = 0; i < k; i++) {
        t->flat[2 * (N_KEYS + i)] = t->dkv[i][0];
        t->flat[2 * (N_KEYS + i) + 1] = t->dkv[i][1];
    }
    t->n_data = k;
}

/* The value this run writes under the data key `key` (NULL: none). */
static const char *data_value(const rnnlm_trainer *t, const char *key) {
    for (size_t i = 0; i < t->n_data; i++)
        if (strcmp(t->dkv[i][0], key) == 0) return t->dkv[i][1];
    return NULL;
}

/* A fingerprint of the checkpoint's metadata: exactly 16 lower-case hex digits. */
static rnnlm_status meta_hash(const st_file *f, const char *key, uint64_t *out, const char *path, rnnlm_err *err) {
    const char *v = checkpoint_get_meta(f, key);
    if (!v) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata %s is missing (data.files lists it)", path, key);
    uint64_t h = 0;
    size_t n = 0;
    for (; v[n] && n < 17; n++) {
        char ch = v[n];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) break;
        h = h << 4 | (uint64_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
    }
    if (n != 16 || v[n])
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata %s='%s' is not a valid value", path, key, v);
    *out = h;
    return RNNLM_OK;
}

/* A resumed run's data against the checkpoint's fingerprints (data.* keys):
 * a difference is refused, naming the file and whether its size or its
 * content differs, unless allow_data_change (then a note). A checkpoint
 * without them (written before they existed) resumes with a note. */
static rnnlm_status check_data(rnnlm_trainer *t, const rnnlm_checkpoint *c, rnnlm_err *err) {
    const st_file *ck = c->f;
    const char *files = checkpoint_get_meta(ck, "data.files"), *cur = data_value(t, "data.files");
    char why[900] = "";
    rnnlm_status st;
    t->data_note[0] = 0;
    if (!files) {
        snprintf(t->data_note, sizeof t->data_note, "%s records no fingerprint of its data (it was written before "
                 "checkpoints held them): the data are not checked against the checkpoint's", c->path);
        return RNNLM_OK;
    }
    if (strcmp(files, cur) != 0)
        snprintf(why, sizeof why, "the checkpoint's run read %s, this one reads %s", *files ? files : "no file",
                 *cur ? cur : "no file");
    for (int i = 0; !*why && i < t->ds->n_files; i++) {
        const rnnlm_data_file *f = &t->ds->files[i];
        char key[64];
        long long bytes;
        uint64_t hash;
        snprintf(key, sizeof key, "data.%s.bytes", f->role);
        if ((st = checkpoint_meta_int(ck, key, 0, INT64_MAX, &bytes, c->path, err))) return st;
        snprintf(key, sizeof key, "data.%s.fnv1a64", f->role);
        if ((st = meta_hash(ck, key, &hash, c->path, err))) return st;
        const char *flag = strcmp(f->role, "brown") == 0 ? "brown-dir" : f->role;
        if ((uint64_t)bytes != f->bytes)
            snprintf(why, sizeof why, "%s (--%s) holds %llu bytes, the checkpoint's run read %lld", f->path, flag,
                     (unsigned long long)f->bytes, bytes);
        else if (hash != f->hash)
            snprintf(why, sizeof why, "%s (--%s) has the size the checkpoint's run read (%lld bytes) but other "
                     "content", f->path, flag, bytes);
    }
    uint64_t vh;
    if (!*why && (st = meta_hash(ck, "data.vocab.fnv1a64", &vh, c->path, err))) return st;
    if (!*why && vh != vocab_hash(t->ds->vocab))
        snprintf(why, sizeof why, "the vocabulary (%zu words) is not the one the checkpoint's run used",
                 rnnlm_vocab_size(t->ds->vocab));
    if (!*why) return RNNLM_OK;
    if (!t->o.allow_data_change)
        return rnnlm_fail(err, RNNLM_E_ARG, "the data differ from the checkpoint's: %s "
                          "(--allow-data-change resumes on them anyway)", why);
    snprintf(t->data_note, sizeof t->data_note, "the data differ from the checkpoint's: %s; resumed on them "
             "(--allow-data-change)", why);
    return RNNLM_OK;
}

/* Early stopping: `patience` epochs up to `completed` without a validation improvement. */
static int out_of_patience(const rnnlm_trainer *t, int completed) {
    return t->o.patience && t->val && completed - t->best_epoch >= t->o.patience;
}

static double seconds_since(const struct timespec *t0) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - t0->tv_sec) + 1e-9 * (double)(ts.tv_nsec - t0->tv_nsec);
}

/* Rank 0's clock decides for every rank (their clocks may disagree by a step). */
static int time_up(const rnnlm_trainer *t) {
    if (!(t->o.max_minutes > 0)) return 0;
    int up = seconds_since(&t->t0) >= 60.0 * t->o.max_minutes;
    if (comm_size(t->o.comm) > 1) comm_bcast(t->o.comm, &up, sizeof up, 0, NULL);   /* errors are fatal */
    return up;
}

/* Whether this invocation's limits cut the run now: RNNLM_STOP_STEPS,
 * RNNLM_STOP_TIME, or RNNLM_STOP_NONE. */
static rnnlm_stop_reason cut_due(const rnnlm_trainer *t) {
    if (t->o.stop_at_step > 0 && t->global_step >= t->o.stop_at_step) return RNNLM_STOP_STEPS;
    return time_up(t) ? RNNLM_STOP_TIME : RNNLM_STOP_NONE;
}

/* The learning rate of the step about to run, per the schedule. */
static double scheduled_lr(const rnnlm_trainer *t) {
    switch (t->o.lr_schedule) {
    case RNNLM_LR_STEP: return sched_step(t->lr0, t->o.lr_decay, t->o.lr_min, t->o.lr_step, t->epoch);
    case RNNLM_LR_COSINE:
        return sched_cosine(t->lr0, t->o.lr_min, t->global_step,
                            (int64_t)t->o.epochs * (int64_t)trainer_steps_per_epoch(t->t));
    default: return t->lr;   /* constant; plateau: changed at epoch ends */
    }
}

/* The run's length and the start of its averaging, once the steps of an
 * epoch are known (schedule.h). The resolved values go into the checkpoints'
 * config.epochs and config.average beside the budget and the fraction, and a
 * resumed run resolves them again to the same. */
#define RUN_MAX_EPOCHS 100000   /* as --epochs' range */
static rnnlm_status plan_run(rnnlm_train_options *o, size_t steps_per_epoch, rnnlm_err *err) {
    /* a budget planning more epochs than --epochs allows is refused, not cut */
    if (o->budget_steps > 0 && steps_per_epoch &&
        floor((double)o->budget_steps / (double)steps_per_epoch + 0.5) > RUN_MAX_EPOCHS)
        return rnnlm_fail(err, RNNLM_E_ARG, "--budget-steps %ld: %.0f epochs of %zu steps, more than the %d a "
                          "run may have", o->budget_steps, floor((double)o->budget_steps / (double)steps_per_epoch + 0.5),
                          steps_per_epoch, RUN_MAX_EPOCHS);
    o->epochs = sched_plan_epochs(o->epochs, o->budget_steps, steps_per_epoch, RUN_MAX_EPOCHS);
    o->average = sched_plan_average(o->average, o->average_from, o->epochs);
    return RNNLM_OK;
}

/* Options that would do nothing in this run are refused rather than
 * ignored: what needs a validation split without one, averaging from an
 * epoch the run never reaches (a fresh run; a resumed one may be given
 * fewer epochs than it had and is told it has finished). */
static rnnlm_status check_plan(const rnnlm_trainer *t, int resumed, rnnlm_err *err) {
    const rnnlm_train_options *o = &t->o;
    if (!t->val) {
        const char *what = o->patience ? "--patience"
                           : o->lr_schedule == RNNLM_LR_PLATEAU ? "--lr-schedule plateau"
                           : o->average == -1 ? "--average auto" : NULL;
        if (what)
            return rnnlm_fail(err, RNNLM_E_ARG, "%s needs validation data, and this run has none (give --valid, "
                              "--valid-split or --test)", what);
    }
    if (!resumed && o->average > o->epochs)
        return rnnlm_fail(err, RNNLM_E_ARG, "--average %ld: the run has %ld epoch%s, so averaging would never "
                          "start", o->average, o->epochs, o->epochs == 1 ? "" : "s");
    return RNNLM_OK;
}

rnnlm_status rnnlm_trainer_start(rnnlm_trainer *t, const rnnlm_dataset *d, const rnnlm_checkpoint *resume,
                                 rnnlm_err *err) {
    if (t->t) return at(t, RNNLM_AT_SETUP, rnnlm_fail(err, RNNLM_E_STATE, "the trainer has already started"));
    if (!resume && t->o.dirs_mode == RNNLM_DIRS_RESUME)   /* a new run among the kept files would mix with them */
        return at(t, RNNLM_AT_DIRS,
                  rnnlm_fail(err, RNNLM_E_ARG, "dirs_mode RNNLM_DIRS_RESUME without a checkpoint to resume"));
    t->ds = d;
    t->val = d->valid.n ? &d->valid : d->test.n ? &d->test : NULL;
    data_keys(t, d);   /* first: a resume on other data is refused before anything is built on them */
    rnnlm_status st = resume ? check_data(t, resume, err) : RNNLM_OK;
    if (st) return at(t, RNNLM_AT_RESUME, st);
    t->cfg = run_train_config(&t->o, (long)rnnlm_vocab_size(d->vocab));
    t->cfg.model.threads = (int)t->threads;   /* the network's compute threads */
    t->cfg.comm = t->o.comm;
    st = trainer_create(&t->t, &t->cfg, d->train.x, d->train.y, d->train.n, err);
    if (!st && resume) st = trainer_restore(t->t, resume->m, resume->f, err);
    if (st) return at(t, RNNLM_AT_SETUP, st);
    if ((st = plan_run(&t->o, trainer_steps_per_epoch(t->t), err)) || (st = check_plan(t, resume != NULL, err)))
        return at(t, RNNLM_AT_SETUP, st);
    t->lr0 = t->lr = (double)t->cfg.opt.lr;
    if (t->o.average && !(t->avg = rnnlm_calloc(model_n_params(trainer_model(t->t)), sizeof *t->avg,
                                                "averaged weights", err)))
        return at(t, RNNLM_AT_SETUP, RNNLM_E_NOMEM);
    clock_gettime(CLOCK_MONOTONIC, &t->t0);
    model_summary(trainer_model(t->t), t->summary, sizeof t->summary);
    if (t->o.logdir && !comm_rank(t->o.comm) && ((st = runlog_open(&t->rl, t->o.logdir, err)) ||
                        (st = runlog_text(t->rl, "config", 0, t->summary, err))))
        return at(t, RNNLM_AT_LOG, st);
    for (size_t i = 0; i < N_KEYS; i++) {
        snprintf(t->kv[i][0], sizeof t->kv[i][0], CHECKPOINT_CONFIG_PREFIX "%s", KEYS[i].name);
        format_value(&KEYS[i], field(&KEYS[i], &t->o, &t->d), t->kv[i][1], sizeof t->kv[i][1]);
        t->flat[2 * i] = t->kv[i][0];
        t->flat[2 * i + 1] = t->kv[i][1];
    }
    t->keep = d->valid.n && d->test.n && !t->o.save_dir;
    t->epoch = 1;
    if (resume) {   /* position and history of the resumed run */
        if ((st = run_history(t, resume, err)) || (st = run_schedule_state(t, resume, err)))
            return at(t, RNNLM_AT_RESUME, st);
        if (t->o.stop_at_step > 0 && t->global_step >= t->o.stop_at_step)
            return at(t, RNNLM_AT_RESUME, rnnlm_fail(err, RNNLM_E_ARG, "--stop-at-step %ld: the checkpoint is "
                                                     "already at step %lld", t->o.stop_at_step,
                                                     (long long)t->global_step));
        t->epoch = trainer_epoch(t->t);
        t->resumed_step = trainer_epoch_step(t->t);
        t->first = 1;
        if (t->resumed_step >= trainer_steps_per_epoch(t->t)) t->epoch++, t->first = 0;   /* saved at an epoch's end */
        if (!t->first && out_of_patience(t, t->epoch - 1)) t->stop = RNNLM_STOP_PATIENCE;
    }
    return RNNLM_OK;
}

rnnlm_trainer_site rnnlm_trainer_failed_at(const rnnlm_trainer *t) { return t ? t->site : RNNLM_AT_NONE; }
const char *rnnlm_trainer_summary(const rnnlm_trainer *t) { return t->summary; }
void rnnlm_trainer_batch_shape(const rnnlm_trainer *t, int *B, int *T) { trainer_batch_shape(t->t, B, T); }
size_t rnnlm_trainer_steps_per_epoch(const rnnlm_trainer *t) { return trainer_steps_per_epoch(t->t); }
double rnnlm_trainer_lr(const rnnlm_trainer *t) { return t->lr; }
rnnlm_stop_reason rnnlm_trainer_stop_reason(const rnnlm_trainer *t) { return t->stop; }
int rnnlm_trainer_avg_start(const rnnlm_trainer *t) { return t->avg_start; }
int64_t rnnlm_trainer_avg_count(const rnnlm_trainer *t) { return t->avg_count; }
void rnnlm_trainer_best(const rnnlm_trainer *t, double *ppl, int *epoch) {
    *ppl = t->best;
    *epoch = t->best_epoch;
}
long rnnlm_trainer_threads(const rnnlm_trainer *t) { return t->threads; }
void rnnlm_trainer_compute_path(const rnnlm_trainer *t, char *buf, size_t size) {
    if (size) buf[0] = 0;
    if (t->t && size) model_compute_path(trainer_model(t->t), buf, size);
}
int rnnlm_trainer_epoch(const rnnlm_trainer *t) { return t->epoch; }
long rnnlm_trainer_epochs(const rnnlm_trainer *t) { return t->o.epochs; }
size_t rnnlm_trainer_resumed_step(const rnnlm_trainer *t) { return t->resumed_step; }
int64_t rnnlm_trainer_global_step(const rnnlm_trainer *t) { return t->global_step; }
const char *rnnlm_trainer_data_note(const rnnlm_trainer *t) { return t->data_note; }
const rnnlm_split_data *rnnlm_trainer_valid(const rnnlm_trainer *t) { return t->val; }

static rnnlm_eval_result result_of(const batch_stats *s) {
    rnnlm_eval_result r = {s->loss_sum, s->correct, s->count};
    return r;
}

static void progress_of(const rnnlm_trainer *t, const train_progress *p, rnnlm_train_progress *out) {
    out->epoch = p->epoch;
    out->step = p->step;
    out->n_steps = p->n_steps;
    out->global_step = t->global_step;
    out->batch = result_of(&p->batch);
    out->epoch_sum = result_of(&p->epoch_sum);
    out->grad_norm = p->grad_norm;
    out->skipped = p->skipped;
    out->skipped_total = p->skipped_total;
    out->seconds = p->seconds;
    out->comm_per_step = p->steps_run ? p->comm_seconds / (double)p->steps_run : 0;
    out->wait_per_step = p->steps_run ? p->wait_seconds / (double)p->steps_run : 0;
}

static rnnlm_status log_scalar(rnnlm_trainer *t, run_kind run, const char *tag, int64_t step, double v,
                               rnnlm_err *err) {
    return t->rl ? at(t, RNNLM_AT_LOG, runlog_scalar(t->rl, run, tag, step, v, err)) : RNNLM_OK;
}

static rnnlm_status log_epoch(rnnlm_trainer *t, run_kind run, int64_t epoch, const batch_stats *s, rnnlm_err *err) {
    double loss = s->loss_sum / (double)s->count;
    rnnlm_status st;
    if ((st = log_scalar(t, run, "epoch_loss", epoch, loss, err)) ||
        (st = log_scalar(t, run, "epoch_accuracy", epoch, (double)s->correct / (double)s->count, err)))
        return st;
    return log_scalar(t, run, "epoch_perplexity", epoch, exp(loss), err);
}

static rnnlm_status log_batch(rnnlm_trainer *t, const train_progress *p, rnnlm_err *err) {
    double bl = p->batch.loss_sum / (double)p->batch.count;
    int64_t s = t->global_step;
    rnnlm_status st;
    if ((st = log_scalar(t, RUN_TRAIN, "batch_loss", s, bl, err)) ||
        (st = log_scalar(t, RUN_TRAIN, "batch_accuracy", s, (double)p->batch.correct / (double)p->batch.count, err)) ||
        (st = log_scalar(t, RUN_TRAIN, "batch_perplexity", s, exp(bl), err)) ||
        (st = log_scalar(t, RUN_TRAIN, "learning_rate", s, t->lr, err)) ||
        (st = log_scalar(t, RUN_TRAIN, "grad_norm", s, p->grad_norm, err)))
        return st;
    if ((st = log_scalar(t, RUN_TRAIN, "tokens_per_second", s, (double)p->epoch_sum.count / p->seconds, err)))
        return st;
    if (comm_size(t->o.comm) < 2 || !p->steps_run) return RNNLM_OK;
    /* data parallelism: the epoch's communication a step so far, and of it the waiting */
    if ((st = log_scalar(t, RUN_TRAIN, "comm_seconds_per_step", s, p->comm_seconds / (double)p->steps_run, err)))
        return st;
    return log_scalar(t, RUN_TRAIN, "comm_wait_seconds_per_step", s, p->wait_seconds / (double)p->steps_run, err);
}

/* Writes path with the training state, the configuration and the run's
 * history. best: the weights evaluated (the averaged ones while there are
 * any) as the model's, and no average (run.avg_count 0); otherwise the live
 * weights and the average beside them as train.avg_weights. */
static rnnlm_status save_to(rnnlm_trainer *t, const char *path, int best, rnnlm_err *err) {
    size_t n = N_KEYS + t->n_data;
    int swap = best && t->avg_count > 0;
    snprintf(t->best_s, sizeof t->best_s, "%a", t->best);
    snprintf(t->best_epoch_s, sizeof t->best_epoch_s, "%d", t->best_epoch);
    snprintf(t->global_s, sizeof t->global_s, "%lld", (long long)t->global_step);
    snprintf(t->lr_s, sizeof t->lr_s, "%a", t->lr);
    snprintf(t->lr_bad_s, sizeof t->lr_bad_s, "%ld", t->lr_bad);
    snprintf(t->avg_start_s, sizeof t->avg_start_s, "%d", t->avg_start);
    snprintf(t->avg_count_s, sizeof t->avg_count_s, "%lld", swap ? 0LL : (long long)t->avg_count);
    const char *extra[2 * N_RUN_KEYS] = {
        "run.best_ppl", t->best_s, "run.best_epoch", t->best_epoch_s, "run.global_step", t->global_s,
        "run.lr", t->lr_s, "run.lr_bad_epochs", t->lr_bad_s, "run.avg_start", t->avg_start_s,
        "run.avg_count", t->avg_count_s};
    for (int i = 0; i < 2 * N_RUN_KEYS; i++) t->flat[2 * n + i] = extra[i];
    model *m = trainer_model(t->t);
    size_t np = model_n_params(m);
    st_tensor avg = {.name = "train.avg_weights", .ndim = 1, .shape = {np}, .data = t->avg};
    size_t n_more = !best && t->avg_count > 0;
    if (swap) avg_swap(model_params(m), t->avg, np);
    rnnlm_status st = trainer_save_ex(t->t, path, t->ds->vocab, t->flat, n + N_RUN_KEYS, &avg, n_more, err);
    if (swap) avg_swap(model_params(m), t->avg, np);
    return at(t, RNNLM_AT_SAVE, st);
}

/* save_dir/name.safetensors; nothing without a save_dir. */
static rnnlm_status save_named(rnnlm_trainer *t, const char *name, rnnlm_err *err) {
    if (!t->o.save_dir) return RNNLM_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.safetensors", t->o.save_dir, name);
    return save_to(t, path, strcmp(name, "best") == 0, err);
}

rnnlm_status rnnlm_trainer_save(rnnlm_trainer *t, const char *path, rnnlm_err *err) {
    if (!t->t) return rnnlm_fail(err, RNNLM_E_STATE, "the trainer has not started");
    return save_to(t, path, 0, err);
}

rnnlm_status rnnlm_trainer_step(rnnlm_trainer *t, rnnlm_train_progress *out, int *done, rnnlm_err *err) {
    *done = 0;
    if (!t->t) return rnnlm_fail(err, RNNLM_E_STATE, "the trainer has not started");
    if (t->in_epoch && (t->o.max_minutes > 0 || t->o.stop_at_step > 0)) {   /* a cut, between two steps */
        size_t k = trainer_epoch_step(t->t);
        rnnlm_stop_reason r = RNNLM_STOP_NONE;
        if (!t->cut && k > 0 && k < trainer_steps_per_epoch(t->t) && (r = cut_due(t))) t->stop = r, t->cut = 1;
        if (t->cut) {   /* the epoch ends here, unvalidated: rnnlm_trainer_end_epoch saves its position */
            *done = 1;
            if (out) progress_of(t, trainer_progress(t->t), out);
            return RNNLM_OK;
        }
    }
    if (!t->in_epoch) {
        if (!t->first) trainer_begin_epoch(t->t);
        t->first = 0;
        t->in_epoch = 1;
        if (t->o.average > 0 && !t->avg_start && t->epoch >= t->o.average) t->avg_start = t->epoch;
    }
    if (t->o.lr_schedule) {
        t->lr = scheduled_lr(t);
        trainer_set_lr(t->t, (float)t->lr);
    }
    train_progress p = *trainer_progress(t->t);
    rnnlm_status st = trainer_step(t->t, &p, done, err);
    if (st) return at(t, RNNLM_AT_STEP, st);
    if (!*done) t->global_step++;
    if (!*done && t->avg_start && !p.skipped) {   /* the running mean of the weights after each update */
        model *m = trainer_model(t->t);
        avg_update(t->avg, model_params(m), model_n_params(m), ++t->avg_count);
    }
    if (out) progress_of(t, &p, out);
    if (*done) return RNNLM_OK;
    if (t->rl && t->global_step % t->o.log_every == 0 && (st = log_batch(t, &p, err))) return st;
    if (t->o.save_every && t->global_step % t->o.save_every == 0 && p.step < p.n_steps &&
        (st = save_named(t, "last", err)))
        return st;
    return RNNLM_OK;
}

rnnlm_status rnnlm_trainer_run_epoch(rnnlm_trainer *t, rnnlm_progress_fn fn, void *user, rnnlm_epoch_result *out,
                                     rnnlm_err *err) {
    memset(out, 0, sizeof *out);
    rnnlm_train_progress p;
    rnnlm_status st;
    for (int done = 0;;) {
        if ((st = rnnlm_trainer_step(t, &p, &done, err))) return st;
        if (done) break;
        if (fn) fn(&p, user);
    }
    const train_progress *tp = trainer_progress(t->t);
    out->epoch = t->epoch;
    out->seconds = tp->seconds;
    out->train = result_of(&tp->epoch_sum);
    out->skipped_total = tp->skipped_total;
    out->best_ppl = t->best;
    out->best_epoch = t->best_epoch;
    out->cut = t->cut;
    out->cut_step = t->cut ? trainer_epoch_step(t->t) : 0;
    out->comm_per_step = tp->steps_run ? tp->comm_seconds / (double)tp->steps_run : 0;
    out->wait_per_step = tp->steps_run ? tp->wait_seconds / (double)tp->steps_run : 0;
    t->improved = 0;
    return RNNLM_OK;
}

/* The schedule, averaging and early stopping after a validated epoch. */
static void after_validation(rnnlm_trainer *t, int improved) {
    if (t->o.lr_schedule == RNNLM_LR_PLATEAU)
        t->lr = sched_plateau(t->lr, t->o.lr_decay, t->o.lr_min, t->o.lr_patience, improved, &t->lr_bad);
    if (t->o.average == -1 && !improved && !t->avg_start) t->avg_start = t->epoch + 1;   /* from the next step */
    if (!t->stop && out_of_patience(t, t->epoch)) t->stop = RNNLM_STOP_PATIENCE;
}

rnnlm_status rnnlm_trainer_validate(rnnlm_trainer *t, rnnlm_epoch_result *e, rnnlm_err *err) {
    /* A cut epoch is not an epoch of the run: nothing is logged, evaluated or
     * decided on it (best, schedule, averaging, patience), so that the resumed
     * run that finishes it is the run that was never cut. */
    if (t->cut) return RNNLM_OK;
    rnnlm_status st = log_epoch(t, RUN_TRAIN, t->epoch, &trainer_progress(t->t)->epoch_sum, err);
    if (!st && t->o.lr_schedule) st = log_scalar(t, RUN_TRAIN, "lr", t->epoch, t->lr, err);
    if (st || !t->val) return st;
    model *m = trainer_model(t->t);
    size_t n = model_n_params(m);
    int swap = t->avg_count > 0;   /* evaluate the averaged weights */
    if (swap) avg_swap(model_params(m), t->avg, n);
    batch_stats vs;
    st = trainer_evaluate(t->t, t->val->x, t->val->y, t->val->n, &vs, err);
    double ppl = st ? INFINITY : exp(vs.loss_sum / (double)vs.count);
    int improved = !st && ppl < t->best;
    if (improved) {
        t->best = ppl;
        t->best_epoch = t->epoch;
        t->improved = e->improved = 1;
        /* no room for a copy: the test then evaluates the final weights */
        if (t->keep && (t->kept || (t->kept = malloc(n * sizeof *t->kept)))) {
            memcpy(t->kept, model_params(m), n * sizeof *t->kept);
            t->kept_epoch = t->epoch;
        }
    }
    if (swap) avg_swap(model_params(m), t->avg, n);
    if (st) return at(t, RNNLM_AT_VALID, st);
    e->validated = 1;
    e->valid = result_of(&vs);
    if ((st = log_epoch(t, RUN_VALIDATION, t->epoch, &vs, err))) return st;
    after_validation(t, improved);
    e->best_ppl = t->best;
    e->best_epoch = t->best_epoch;
    return RNNLM_OK;
}

rnnlm_status rnnlm_trainer_end_epoch(rnnlm_trainer *t, const rnnlm_epoch_result *e, rnnlm_err *err) {
    (void)e;
    /* every rank holds the same weights, or the run stops before it saves them */
    rnnlm_status st = at(t, RNNLM_AT_STEP, trainer_check_replicas(t->t, err));
    if (st) return st;
    if (t->cut) {   /* the exact position, as save_every writes it; the run's history is untouched */
        /* a run cut before any validated epoch still leaves a usable model: its
         * weights as best (run.best_epoch 0), replaced by the first validated one */
        if ((st = save_named(t, "last", err)) || (!t->best_epoch && (st = save_named(t, "best", err)))) return st;
        if (t->rl && (st = runlog_flush(t->rl, err))) return at(t, RNNLM_AT_LOG, st);
        return RNNLM_OK;
    }
    if ((st = save_named(t, "last", err)) || (t->improved && (st = save_named(t, "best", err)))) return st;
    if (t->o.keep_epochs && t->o.save_dir) {   /* the weights this epoch was validated with */
        char path[4096];
        snprintf(path, sizeof path, "%s/epoch-%d.safetensors", t->o.save_dir, t->epoch);
        if ((st = save_to(t, path, 1, err))) return st;
    }
    if (t->rl && (st = runlog_flush(t->rl, err))) return at(t, RNNLM_AT_LOG, st);
    rnnlm_stop_reason r;   /* this invocation's limits, between epochs: only while epochs remain */
    if (!t->stop && t->epoch < t->o.epochs && (r = cut_due(t))) t->stop = r;
    t->in_epoch = 0;
    t->improved = 0;
    t->epoch++;
    return RNNLM_OK;
}

/* Puts save_dir/best.safetensors into the trainer's model when it is this
 * run's (its best epoch); *got = 0 when it is not there or not ours. */
static rnnlm_status load_best_here(rnnlm_trainer *t, const char *path, int *got, rnnlm_err *err) {
    *got = 0;
    if (access(path, F_OK)) return RNNLM_OK;
    model *bm = NULL;
    rnnlm_vocab *bv = NULL;
    st_file *f = NULL;
    rnnlm_status st = checkpoint_load(path, &bm, &bv, &f, err);
    if (st) return st;
    const char *be = checkpoint_get_meta(f, "run.best_epoch");
    model *m = trainer_model(t->t);
    size_t n = model_n_params(m);
    *got = be && atoi(be) == t->best_epoch && model_n_params(bm) == n;
    if (*got) memcpy(model_params(m), model_params(bm), n * sizeof(float));
    model_free(bm);
    rnnlm_vocab_free(bv);
    st_free(f);
    return RNNLM_OK;
}

/* load_best_here at rank 0 (the file is where rank 0 wrote it), its weights
 * broadcast to the others. */
static rnnlm_status load_best(rnnlm_trainer *t, char *path, size_t cap, int *got, rnnlm_err *err) {
    snprintf(path, cap, "%s/best.safetensors", t->o.save_dir);
    comm *c = t->o.comm;
    int st = comm_rank(c) ? RNNLM_OK : load_best_here(t, path, got, err);
    if (comm_size(c) < 2) return (rnnlm_status)st;
    int head[2] = {st, st ? 0 : *got};   /* rank 0's outcome for every rank */
    rnnlm_status s2 = comm_bcast(c, head, sizeof head, 0, err);
    if (s2) return s2;
    if (head[0]) return comm_rank(c) ? rnnlm_fail(err, (rnnlm_status)head[0], "rank 0 could not read %s", path)
                                     : (rnnlm_status)head[0];
    *got = head[1];
    model *m = trainer_model(t->t);
    return *got ? comm_bcast(c, model_params(m), model_n_params(m) * sizeof(float), 0, err) : RNNLM_OK;
}

rnnlm_status rnnlm_trainer_test(rnnlm_trainer *t, rnnlm_test_result *out, rnnlm_err *err) {
    memset(out, 0, sizeof *out);
    if (!t->t || !t->ds->test.n) return rnnlm_fail(err, RNNLM_E_STATE, "no test split to evaluate");
    const rnnlm_split_data *test = &t->ds->test;
    model *m = trainer_model(t->t);
    int got = 0;
    out->epoch = trainer_epoch(t->t);
    out->from = RNNLM_FROM_FINAL;
    rnnlm_status st;
    if (t->o.save_dir && t->best_epoch && (st = load_best(t, out->path, sizeof out->path, &got, err)))
        return at(t, RNNLM_AT_TEST, st);
    if (got) {
        out->epoch = t->best_epoch;
        out->from = RNNLM_FROM_BEST_FILE;
    } else if (t->kept && t->best_epoch && t->kept_epoch == t->best_epoch) {
        memcpy(model_params(m), t->kept, model_n_params(m) * sizeof *t->kept);
        out->epoch = t->best_epoch;
        out->from = RNNLM_FROM_BEST_KEPT;
    } else if (t->avg_count > 0) {   /* the final weights: the averaged ones */
        memcpy(model_params(m), t->avg, model_n_params(m) * sizeof *t->avg);
    }
    batch_stats ts;
    if ((st = trainer_evaluate(t->t, test->x, test->y, test->n, &ts, err))) return at(t, RNNLM_AT_TEST, st);
    out->r = result_of(&ts);
    /* a run cut by this invocation's limits is not over: its resumed run logs the test */
    if (t->stop == RNNLM_STOP_TIME || t->stop == RNNLM_STOP_STEPS) return RNNLM_OK;
    return log_epoch(t, RUN_TEST, out->epoch, &ts, err);
}

rnnlm_status rnnlm_trainer_free(rnnlm_trainer *t, rnnlm_err *err) {
    if (!t) return RNNLM_OK;
    rnnlm_err e2;
    rnnlm_status st = runlog_close(t->rl, &e2);
    if (st && err) *err = e2;
    if (st) t->site = RNNLM_AT_LOG;
    rundir_unlock(t->rd);
    free(t->kept);
    free(t->avg);
    trainer_free(t->t);
    free(t);
    return st;
}

/* ------------------------------------------------------ stream evaluation */

/* Scores the n pairs x -> y that follow the last of the B rows just
 * evaluated, as that row's continuation: its final state (model_state's
 * layout, row B-1 of each layer's h and c) becomes the state of a one-row
 * batch, then up to T pairs a batch. Adds to *tot and *unk. */
static rnnlm_status eval_tail(model *m, const int32_t *x, const int32_t *y, size_t n, int B, int T,
                              batch_stats *tot, size_t *unk, rnnlm_err *err) {
    const model_config *cfg = model_cfg(m);
    size_t H = (size_t)cfg->H, L = (size_t)cfg->L, parts = cfg->cell == CELL_LSTM ? 2 : 1;
    float *row = rnnlm_calloc(parts * L * H, sizeof *row, "state row", err);
    if (!row) return RNNLM_E_NOMEM;
    for (size_t p = 0; p < parts; p++)   /* (L, B, H): layer l, row B-1 */
        for (size_t l = 0; l < L; l++)
            memcpy(row + (p * L + l) * H, model_state(m) + (p * L + l) * (size_t)B * H + (size_t)(B - 1) * H,
                   H * sizeof *row);
    rnnlm_status st = model_reserve(m, 1, T, err);
    if (!st) memcpy(model_state(m), row, parts * L * H * sizeof *row);   /* (L, 1, H) */
    free(row);
    for (size_t c = 0; !st && c < n; c += (size_t)T) {
        int w = n - c < (size_t)T ? (int)(n - c) : T;
        batch_stats bs;
        st = model_eval_batch(m, x + c, y + c, 1, w, &bs, err);
        if (st) break;
        tot->loss_sum += bs.loss_sum;
        tot->correct += bs.correct;
        tot->count += bs.count;
        for (int i = 0; i < w; i++) *unk += y[c + (size_t)i] == RNNLM_UNK;
    }
    return st;
}

rnnlm_status rnnlm_eval_stream(rnnlm_model *rm, const int32_t *x, const int32_t *y, size_t n,
                               const rnnlm_eval_options *o, rnnlm_eval_stream_result *out, rnnlm_err *err) {
    memset(out, 0, sizeof *out);
    if (!rm || !o || (n && (!x || !y))) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_eval_stream: NULL argument");
    if (n < 1) return rnnlm_fail(err, RNNLM_E_ARG, "nothing to evaluate");
    rnnlm_status st;
    if (o->threads > 0 && (st = rnnlm_model_set_threads(rm, o->threads, err))) return st;
    long bb = o->B, tt = o->T;
    if ((!bb || !tt) && (st = rnnlm_model_train_shape(rm, bb ? NULL : &bb, tt ? NULL : &tt, err))) return st;
    model *m = infer_model_mut(rm);
    /* B rows of at least T pairs each when the text allows it; a text
     * shorter than T pairs is one batch of one row */
    size_t maxb = n / (size_t)tt;
    int B = (int)(maxb < 1 ? 1 : maxb < (size_t)bb ? maxb : (size_t)bb);
    size_t maxt = n / (size_t)B;
    int T = (int)(maxt < 1 ? 1 : maxt < (size_t)tt ? maxt : (size_t)tt);
    rnnlm_stream_batcher sb;
    if ((st = rnnlm_stream_batcher_init(&sb, x, y, n, B, T, 0, err)) || (st = model_reserve(m, B, T, err))) return st;
    int32_t *xb = rnnlm_calloc((size_t)B * (size_t)T, sizeof *xb, "batch", err);
    int32_t *yb = xb ? rnnlm_calloc((size_t)B * (size_t)T, sizeof *yb, "batch", err) : NULL;
    if (!xb || !yb) { free(xb); return RNNLM_E_NOMEM; }
    batch_stats tot = {0, 0, 0};
    size_t unk = 0;
    model_reset_state(m);
    for (size_t k = 0; !st && k < sb.n_batches; k++) {
        int w = rnnlm_stream_batch(&sb, k, xb, yb);
        batch_stats bs;
        if ((st = model_eval_batch(m, xb, yb, B, w, &bs, err))) break;
        tot.loss_sum += bs.loss_sum;
        tot.correct += bs.correct;
        tot.count += bs.count;
        for (size_t i = 0; i < (size_t)B * w; i++) unk += yb[i] == RNNLM_UNK;
    }
    free(xb);
    free(yb);
    size_t tail = n - (size_t)B * sb.rows_len;
    if (!st && !o->recipe && tail) st = eval_tail(m, x + (n - tail), y + (n - tail), tail, B, T, &tot, &unk, err);
    if (st) return st;
    out->r = result_of(&tot);
    out->unk = unk;
    out->B = B;
    out->T = T;
    out->tail = tail;
    return RNNLM_OK;
}
