/* config.c: the rows of rnnlm_options.def as the library reads them
 * (config.h), and the run's options as checkpoint metadata, the config.*
 * keys (docs/FORMAT.md): each value's text form and its parse, the legacy
 * cli.* names of older files. */
#include "train/config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/checkpoint.h"
#include "nn/cell.h"

#define CONFIG_ROW(where, key, legacy, type, field, choices, lo, hi, flags, flag, help) \
    CONFIG_ROW_##where(key, legacy, type, field, choices, lo, hi, flags)
#define CONFIG_ROW_TRAIN(key, legacy, type, field, choices, lo, hi, flags) \
    {key, legacy, CONFIG_##type, 0, offsetof(rnnlm_train_options, field), choices, lo, hi, flags},
#define CONFIG_ROW_DATA(key, legacy, type, field, choices, lo, hi, flags) \
    {key, legacy, CONFIG_##type, 1, offsetof(rnnlm_data_options, field), choices, lo, hi, flags},
#define CONFIG_ROW_CLI(key, legacy, type, field, choices, lo, hi, flags)

const config_row config_rows[] = {RNNLM_TRAIN_OPTIONS(CONFIG_ROW) RNNLM_DATA_OPTIONS(CONFIG_ROW)};
const size_t config_n_rows = sizeof config_rows / sizeof config_rows[0];

void *config_field(const config_row *r, rnnlm_train_options *t, rnnlm_data_options *d) {
    return (char *)(r->data ? (void *)d : (void *)t) + r->off;
}

const char *config_choices(const config_row *r) { return r->choices ? r->choices : nn_cell_choices(); }

int config_n_choices(const config_row *r) {
    int n = 1;
    for (const char *c = config_choices(r); *c; c++) n += *c == '|';
    return n;
}

/* Stored key i's row. */
static const config_row *stored(size_t i) {
    for (size_t r = 0; r < config_n_rows; r++)
        if ((config_rows[r].flags & RNNLM_OPT_STORED) && i-- == 0) return &config_rows[r];
    return NULL;   /* not reached: i < CONFIG_N_KEYS */
}

static void format_value(const config_row *k, const void *p, char *buf, size_t cap) {
    switch (k->type) {
    case CONFIG_INT: snprintf(buf, cap, "%ld", *(const long *)p); break;
    case CONFIG_REAL: snprintf(buf, cap, "%.17g", *(const double *)p); break;
    case CONFIG_STR: snprintf(buf, cap, "%s", *(const char *const *)p ? *(const char *const *)p : ""); break;
    case CONFIG_FLAG: snprintf(buf, cap, "%d", *(const int *)p); break;
    case CONFIG_CHOICE: {
        const char *c = config_choices(k);
        for (int i = 0; i < *(const int *)p && c; i++) { c = strchr(c, '|'); if (c) c++; }
        snprintf(buf, cap, "%.*s", c ? (int)strcspn(c, "|") : 0, c ? c : "");
        break;
    }
    }
}

static rnnlm_status parse_value(const config_row *k, const char *v, void *p, const char *path, const char *key,
                                rnnlm_err *err) {
    char *end;
    switch (k->type) {
    case CONFIG_INT: {
        long x = strtol(v, &end, 10);
        if (end == v || *end || (double)x < k->lo || (double)x > k->hi) break;
        *(long *)p = x;
        return RNNLM_OK;
    }
    case CONFIG_REAL: {
        double x = strtod(v, &end);
        if (end == v || *end || !isfinite(x) || x < k->lo || x > k->hi) break;
        *(double *)p = x;
        return RNNLM_OK;
    }
    case CONFIG_STR:
        *(const char **)p = *v ? v : NULL;
        return RNNLM_OK;
    case CONFIG_FLAG:
        if (strcmp(v, "0") && strcmp(v, "1")) break;
        *(int *)p = v[0] == '1';
        return RNNLM_OK;
    case CONFIG_CHOICE: {
        size_t n = strlen(v);
        int i = 0;
        for (const char *c = config_choices(k); c; i++) {
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
static const char *config_value(const st_file *f, const config_row *r, char *key, size_t cap) {
    return checkpoint_config_value(f, r->key, r->legacy, key, cap);
}

const char *config_key_name(size_t i) { return stored(i)->key; }

void config_format(size_t i, const rnnlm_train_options *t, const rnnlm_data_options *d, char *buf, size_t cap) {
    const config_row *r = stored(i);
    format_value(r, config_field(r, (rnnlm_train_options *)t, (rnnlm_data_options *)d), buf, cap);
}

rnnlm_status config_read(const st_file *f, const char *path, rnnlm_train_options *t, rnnlm_data_options *d,
                         rnnlm_err *err) {
    if (!checkpoint_config_value(f, "max_time", "max-time", NULL, 0))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "the checkpoint holds no training options (not written by rnnlm train)");
    for (size_t i = 0; i < CONFIG_N_KEYS; i++) {
        const config_row *r = stored(i);
        char key[80];
        const char *v = config_value(f, r, key, sizeof key);
        if (!v) continue;   /* a key newer than the checkpoint: its default */
        rnnlm_status st = parse_value(r, v, config_field(r, t, d), path, key, err);
        if (st) return st;
    }
    return RNNLM_OK;
}
