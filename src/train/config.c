/* config.c: the run's options as checkpoint metadata, the config.* keys
 * (config.h, docs/FORMAT.md): the table of keys, each value's text form and
 * its parse, the legacy cli.* names of older files. */
#include "train/config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/checkpoint.h"
#include "nn/cell.h"

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
_Static_assert(sizeof KEYS / sizeof KEYS[0] == CONFIG_N_KEYS, "CONFIG_N_KEYS is the table's length");
#define N_KEYS CONFIG_N_KEYS

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

/* The metadata value of key name, or of its legacy key; key (cap bytes; may
 * be NULL) receives the key found. */
static const char *config_value(const st_file *f, const char *name, char *key, size_t cap) {
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].name, name) == 0) return checkpoint_config_value(f, name, KEYS[i].legacy, key, cap);
    return NULL;
}

const char *config_key_name(size_t i) { return KEYS[i].name; }

void config_format(size_t i, const rnnlm_train_options *t, const rnnlm_data_options *d, char *buf, size_t cap) {
    format_value(&KEYS[i], field(&KEYS[i], (rnnlm_train_options *)t, (rnnlm_data_options *)d), buf, cap);
}

rnnlm_status config_read(const st_file *f, const char *path, rnnlm_train_options *t, rnnlm_data_options *d,
                         rnnlm_err *err) {
    if (!config_value(f, "max_time", NULL, 0))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "the checkpoint holds no training options (not written by rnnlm train)");
    for (size_t i = 0; i < N_KEYS; i++) {
        char key[80];
        const char *v = config_value(f, KEYS[i].name, key, sizeof key);
        if (!v) continue;   /* a key newer than the checkpoint: its default */
        rnnlm_status st = parse_value(&KEYS[i], v, field(&KEYS[i], t, d), path, key, err);
        if (st) return st;
    }
    return RNNLM_OK;
}
