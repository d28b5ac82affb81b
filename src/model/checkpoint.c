/* checkpoint.c: model + vocabulary <-> safetensors under PyTorch names (see
 * checkpoint.h and docs/FORMAT.md). rnnlm keeps its weights in the Keras
 * layout (kernels (in, G*H), output kernel (H, V)); PyTorch keeps the
 * transposes, so saving transposes and loading transposes back: both are
 * exact copies, so a save/load round trip is bit-identical. */
#include "model/checkpoint.h"
#include "data/corpus.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a checkpoint tensor holds. */
typedef enum { PT_EMB, PT_WIH, PT_WHH, PT_BIH, PT_BHH, PT_OUTW, PT_OUTB, PT_ADA } pt_kind;

typedef struct {
    char name[48];
    pt_kind kind;
    int layer;
    int ndim;
    size_t shape[2];
} pt_tensor;

#define PT_MAX (3 + 4 * MODEL_MAX_LAYERS + 2 + 3 * ADA_MAX_CLUSTERS)

static int gates_of(cell_kind c) { return nn_cell_of(c)->gates; }
static const char *cell_key(cell_kind c) { return nn_cell_of(c)->key; }

static void pt_add(pt_tensor *t, int *n, pt_kind kind, int layer, const char *name, int ndim,
                   size_t d0, size_t d1) {
    pt_tensor *p = &t[(*n)++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->kind = kind;
    p->layer = layer;
    p->ndim = ndim;
    p->shape[0] = d0;
    p->shape[1] = d1;
}

/* The adaptive head's tensors (nn/adaptive.h), stored as the model holds
 * them (no transpose), layer = their index; c's head was checked by the caller. */
static void pt_adaptive(const model_config *c, pt_tensor *t, int *n) {
    ada_layout a;
    if (ada_layout_init(&a, c->V, c->H, c->ada_cut, c->ada_n, c->ada_div, c->tied, NULL)) return;
    for (int i = 0; i < ada_n_tensors(&a); i++) {
        char name[48];
        int ndim, shape[2];
        size_t off, count;
        ada_tensor(&a, i, name, sizeof name, &ndim, shape, &off, &count);
        pt_add(t, n, PT_ADA, i, name, ndim, (size_t)shape[0], (size_t)(ndim > 1 ? shape[1] : 0));
    }
}

/* The tensors a configuration calls for, in file order. cfg's sizes are
 * positive ints and L <= MODEL_MAX_LAYERS (checked by the callers), so the
 * size_t shapes cannot overflow. */
static int pt_list(const model_config *c, pt_tensor *t) {
    int n = 0;
    size_t V = (size_t)c->V, E = (size_t)c->E, H = (size_t)c->H, GH = (size_t)gates_of(c->cell) * H;
    char name[48];
    pt_add(t, &n, PT_EMB, 0, "embedding.weight", 2, V, E);
    for (int l = 0; l < c->L; l++) {
        snprintf(name, sizeof name, "rnn.weight_ih_l%d", l);
        pt_add(t, &n, PT_WIH, l, name, 2, GH, l == 0 ? E : H);
        snprintf(name, sizeof name, "rnn.weight_hh_l%d", l);
        pt_add(t, &n, PT_WHH, l, name, 2, GH, H);
        snprintf(name, sizeof name, "rnn.bias_ih_l%d", l);
        pt_add(t, &n, PT_BIH, l, name, 1, GH, 0);
        snprintf(name, sizeof name, "rnn.bias_hh_l%d", l);
        pt_add(t, &n, PT_BHH, l, name, 1, GH, 0);
    }
    if (c->adaptive) {
        pt_adaptive(c, t, &n);
        return n;
    }
    if (!c->tied) pt_add(t, &n, PT_OUTW, 0, "output.weight", 2, V, H);
    pt_add(t, &n, PT_OUTB, 0, "output.bias", 1, V, 0);
    return n;
}

/* The model's own (Keras-layout) tensor for a checkpoint tensor, from the
 * named view; NULL when the model has none (the output weight when tied). */
static const nn_tensor *keras_tensor(const model *m, pt_kind kind, int layer) {
    const nn_layout *lay = model_layout(m);
    switch (kind) {
    case PT_EMB: return &lay->emb;
    case PT_WIH: return &lay->layer[layer].w_ih;
    case PT_WHH: return &lay->layer[layer].w_hh;
    case PT_BIH: case PT_BHH: return &lay->layer[layer].bias;
    case PT_OUTW: return lay->tied ? NULL : &lay->out_w;
    case PT_OUTB: return &lay->out_b;
    case PT_ADA: return lay->adaptive && layer < ada_n_tensors(&lay->ada) ? &lay->ada_t[layer] : NULL;
    }
    return NULL;
}

/* dst (cols, rows) = src (rows, cols) transposed. */
static void transpose(float *dst, const float *src, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

/* Metadata keys the checkpoint itself writes; callers' extra keys may not reuse them. */
static const char *const OWN_KEYS[] = {
    "format", "format_version", "cell", "vocab_size", "embedding_dim", "hidden_size", "num_layers",
    "dropout", "tied", "init", "vocab", "vocab_counts", "canon", "vocab_distinct",
    "softmax", "adaptive_cutoffs", "adaptive_div",
};
#define N_OWN (sizeof OWN_KEYS / sizeof OWN_KEYS[0])

/* The vocabulary's words joined by '\n' and its counts joined by ' ' (malloc'ed). */
static rnnlm_status vocab_strings(const rnnlm_vocab *v, char **words, char **counts, rnnlm_err *err) {
    size_t n = rnnlm_vocab_size(v), wlen = 1, clen = 1;
    for (size_t i = 0; i < n; i++) {
        const char *s = rnnlm_vocab_word(v, (int32_t)i), *bad = corpus_word_problem(s, strlen(s));
        if (bad) return rnnlm_fail(err, RNNLM_E_ARG, "vocabulary word %zu %s", i, bad);
        if (!size_add(wlen, strlen(s) + 1, &wlen))
            return rnnlm_fail(err, RNNLM_E_NOMEM, "vocabulary string: size overflows");
    }
    if (!size_mul(n, 21, &clen) || !size_add(clen, 1, &clen))
        return rnnlm_fail(err, RNNLM_E_NOMEM, "vocabulary counts string: size overflows");
    char *w = rnnlm_calloc(wlen, 1, "vocabulary string", err);
    char *c = w ? rnnlm_calloc(clen, 1, "vocabulary counts string", err) : NULL;
    if (!c) { free(w); return RNNLM_E_NOMEM; }
    size_t wp = 0, cp = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = rnnlm_vocab_word(v, (int32_t)i);
        size_t len = strlen(s);
        if (i) { w[wp++] = '\n'; c[cp++] = ' '; }
        memcpy(w + wp, s, len);
        wp += len;
        cp += (size_t)snprintf(c + cp, clen - cp, "%llu",
                               (unsigned long long)rnnlm_vocab_count(v, (int32_t)i));
    }
    *words = w;
    *counts = c;
    return RNNLM_OK;
}

/* The caller's extras: metadata pairs whole and not on the checkpoint's own
 * keys, tensors named CHECKPOINT_EXTRA_PREFIX... */
static rnnlm_status check_extras(const char *path, const char *const *extra_kv, size_t n_extra,
                                 const st_tensor *extra_tensors, size_t n_extra_tensors, rnnlm_err *err) {
    for (size_t i = 0; i < n_extra; i++) {
        if (!extra_kv[2 * i] || !extra_kv[2 * i + 1])
            return rnnlm_fail(err, RNNLM_E_ARG, "%s: extra metadata pair %zu has a NULL key or value", path, i);
        for (size_t k = 0; k < N_OWN; k++)
            if (strcmp(extra_kv[2 * i], OWN_KEYS[k]) == 0)
                return rnnlm_fail(err, RNNLM_E_ARG, "%s: extra metadata key '%s' is reserved for the checkpoint",
                                  path, OWN_KEYS[k]);
    }
    for (size_t i = 0; i < n_extra_tensors; i++)
        if (!extra_tensors[i].name ||
            strncmp(extra_tensors[i].name, CHECKPOINT_EXTRA_PREFIX, strlen(CHECKPOINT_EXTRA_PREFIX)) != 0)
            return rnnlm_fail(err, RNNLM_E_ARG, "%s: extra tensor '%s' must be named '%s...'", path,
                              extra_tensors[i].name ? extra_tensors[i].name : "(null)",
                              CHECKPOINT_EXTRA_PREFIX);
    return RNNLM_OK;
}

/* The model's tensors in the checkpoint's (PyTorch) layout, t[0..n_pt):
 * the weight matrices transposed into scratch, a missing hidden bias as
 * zeros (GH floats). */
static rnnlm_status model_tensors(const char *path, const model *m, const pt_tensor *pt, int n_pt, st_tensor *t,
                                  float *scratch, const float *zeros, rnnlm_err *err) {
    const model_config *c = model_cfg(m);
    const size_t GH = (size_t)gates_of(c->cell) * (size_t)c->H;
    const float *params = model_params((model *)m);   /* read only */
    size_t sp = 0;   /* floats of scratch used */
    for (int i = 0; i < n_pt; i++) {
        const pt_tensor *p = &pt[i];
        const model_tensor *k = keras_tensor(m, p->kind, p->layer);
        size_t want = p->ndim == 2 ? p->shape[0] * p->shape[1] : p->shape[0];
        if (p->kind == PT_BIH || p->kind == PT_BHH) want = (size_t)nn_cell_of(c->cell)->bias_rows * GH;
        if (!k || k->count != want)
            return rnnlm_fail(err, RNNLM_E_STATE, "%s: the model has no tensor matching '%s'", path, p->name);
        st_tensor *s = &t[i];
        s->name = p->name;
        s->ndim = p->ndim;
        s->shape[0] = p->shape[0];
        s->shape[1] = p->shape[1];
        const float *src = params + k->offset;
        switch (p->kind) {
        case PT_EMB: case PT_OUTB: case PT_ADA:
            s->data = src;
            break;
        case PT_WIH: case PT_WHH: case PT_OUTW:
            /* Keras (rows, cols) = (in, G*H) or (H, V) -> PyTorch (cols, rows) */
            transpose(scratch + sp, src, p->shape[1], p->shape[0]);
            s->data = scratch + sp;
            sp += want;
            break;
        case PT_BIH:
            s->data = src;   /* GRU: row 0, the input bias; else the one bias */
            break;
        case PT_BHH:
            s->data = nn_cell_of(c->cell)->bias_rows > 1 ? src + GH : zeros;
            break;
        }
    }
    return RNNLM_OK;
}

/* The checkpoint's own metadata pairs into kv (the numbers formatted into
 * num); returns the count of strings written (twice the pairs). */
static size_t own_metadata(const model_config *c, const rnnlm_vocab *v, const char *vwords, const char *vcounts,
                           char num[8][32], char *cuts, size_t cuts_cap, const char **kv) {
    size_t q = 0;
#define KV(k, val) (kv[q++] = (k), kv[q++] = (val))
    snprintf(num[0], sizeof num[0], "%d", c->V);
    snprintf(num[1], sizeof num[1], "%d", c->E);
    snprintf(num[2], sizeof num[2], "%d", c->H);
    snprintf(num[3], sizeof num[3], "%d", c->L);
    snprintf(num[4], sizeof num[4], "%.9g", (double)c->dropout);   /* 9 digits: a float exactly */
    snprintf(num[5], sizeof num[5], "%zu", rnnlm_vocab_distinct(v));
    KV("format", CHECKPOINT_FORMAT);
    KV("format_version", CHECKPOINT_VERSION);
    KV("cell", cell_key(c->cell));
    KV("vocab_size", num[0]);
    KV("embedding_dim", num[1]);
    KV("hidden_size", num[2]);
    KV("num_layers", num[3]);
    KV("dropout", num[4]);
    KV("tied", c->tied ? "1" : "0");
    KV("init", c->init == INIT_UNIFORM ? "uniform" : "recipe");
    KV("vocab", vwords);
    KV("vocab_counts", vcounts);
    KV("canon", rnnlm_vocab_canon(v) == RNNLM_CANON_RECIPE ? "recipe" : "none");
    KV("vocab_distinct", num[5]);
    if (c->adaptive) {   /* only adaptive models carry these: full-softmax files stay as they were */
        size_t k = 0;
        cuts[0] = '\0';
        for (int i = 0; i < c->ada_n && k < cuts_cap; i++)
            k += (size_t)snprintf(cuts + k, cuts_cap - k, i ? ",%d" : "%d", c->ada_cut[i]);
        snprintf(num[6], sizeof num[6], "%d", c->ada_div);
        KV("softmax", "adaptive");
        KV("adaptive_cutoffs", cuts);
        KV("adaptive_div", num[6]);
    }
#undef KV
    return q;
}

rnnlm_status checkpoint_save(const char *path, const model *m, const rnnlm_vocab *v,
                             const char *const *extra_kv, size_t n_extra,
                             const st_tensor *extra_tensors, size_t n_extra_tensors,
                             rnnlm_err *err) {
    const model_config *c = model_cfg(m);
    if (rnnlm_vocab_size(v) != (size_t)c->V)
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: the vocabulary has %zu words but the model's V is %d",
                          path, rnnlm_vocab_size(v), c->V);
    rnnlm_status st = check_extras(path, extra_kv, n_extra, extra_tensors, n_extra_tensors, err);
    if (st) return st;
    pt_tensor pt[PT_MAX];
    int n_pt = pt_list(c, pt);
    size_t n_tensors = (size_t)n_pt + n_extra_tensors, GH = (size_t)gates_of(c->cell) * (size_t)c->H;
    st_tensor *t = rnnlm_calloc(n_tensors, sizeof *t, "checkpoint tensor list", err);
    float *scratch = t ? rnnlm_calloc(model_n_params(m), sizeof *scratch, "checkpoint transposes", err) : NULL;
    float *zeros = scratch ? rnnlm_calloc(GH, sizeof *zeros, "checkpoint zero bias", err) : NULL;
    const char **kv = zeros ? rnnlm_calloc(2 * (N_OWN + n_extra), sizeof *kv, "checkpoint metadata", err) : NULL;
    char *vwords = NULL, *vcounts = NULL;
    st = kv ? vocab_strings(v, &vwords, &vcounts, err) : RNNLM_E_NOMEM;
    if (!st) st = model_tensors(path, m, pt, n_pt, t, scratch, zeros, err);
    for (size_t i = 0; !st && i < n_extra_tensors; i++) t[n_pt + i] = extra_tensors[i];
    char num[8][32], cuts[16 * ADA_MAX_CLUSTERS];
    if (!st) {
        size_t q = own_metadata(c, v, vwords, vcounts, num, cuts, sizeof cuts, kv);
        for (size_t i = 0; i < 2 * n_extra; i++) kv[q++] = extra_kv[i];
        st = st_write(path, t, n_tensors, kv, q / 2, err);
    }
    free(t); free(scratch); free(zeros); free(kv); free(vwords); free(vcounts);
    return st;
}

/* ------------------------------------------------------------------- load */

const char *checkpoint_get_meta(const st_file *f, const char *key) { return st_meta(f, key); }

/* A required metadata value. */
static rnnlm_status need_meta(const st_file *f, const char *key, const char **out, const char *path,
                              rnnlm_err *err) {
    *out = st_meta(f, key);
    if (!*out)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: checkpoint metadata has no '%s'", path, key);
    return RNNLM_OK;
}

/* The parsers of metadata numbers: the whole value, nothing before or after
 * it, errno and range checked. Every number read back from a checkpoint's
 * metadata goes through these. A number starts with a digit, '-' or the
 * 'i' of "inf" (strtoll and strtod would skip white space and take a '+').
 * The value of key, NULL with err set when it is absent. */
static const char *meta_number(const st_file *f, const char *key, const char *path, rnnlm_err *err) {
    const char *s = st_meta(f, key);
    if (!s) rnnlm_fail(err, RNNLM_E_FORMAT, "%s: checkpoint metadata has no '%s'", path, key);
    return s;
}

static int number_start(const char *s) { return *s == '-' || (*s >= '0' && *s <= '9') || *s == 'i'; }

rnnlm_status checkpoint_meta_int(const st_file *f, const char *key, long long lo, long long hi,
                                 long long *out, const char *path, rnnlm_err *err) {
    const char *s = meta_number(f, key, path, err);
    if (!s) return RNNLM_E_FORMAT;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (!number_start(s) || errno || end == s || *end || x < lo || x > hi)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata %s='%s': expected an integer in [%lld, %lld]",
                          path, key, s, lo, hi);
    *out = x;
    return RNNLM_OK;
}

rnnlm_status checkpoint_meta_real(const st_file *f, const char *key, double lo, double hi,
                                  double *out, const char *path, rnnlm_err *err) {
    const char *s = meta_number(f, key, path, err);
    if (!s) return RNNLM_E_FORMAT;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (!number_start(s) || errno || end == s || *end || isnan(x))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata %s='%s' is not a number", path, key, s);
    if (!(x >= lo && x <= hi))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata %s='%s' is outside [%g, %g]", path, key, s,
                          lo, hi);
    *out = x;
    return RNNLM_OK;
}

/* One of the names choice[0..n), into *out. */
static rnnlm_status meta_enum(const st_file *f, const char *key, const char *const *choice, int n,
                              int *out, const char *path, rnnlm_err *err) {
    const char *s;
    rnnlm_status st = need_meta(f, key, &s, path, err);
    if (st) return st;
    for (int i = 0; i < n; i++)
        if (strcmp(s, choice[i]) == 0) { *out = i; return RNNLM_OK; }
    return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata %s='%s' is not one of the known values", path,
                      key, s);
}

/* The output head: "softmax" absent or "full", or "adaptive" with its
 * cutoffs and divisor, checked against V and H. */
static rnnlm_status read_adaptive(const st_file *f, model_config *c, const char *path, rnnlm_err *err) {
    static const char *const heads[] = {"full", "adaptive"};
    int head = 0;
    rnnlm_status st;
    if (!st_meta(f, "softmax")) return RNNLM_OK;
    if ((st = meta_enum(f, "softmax", heads, 2, &head, path, err)) || !head) return st;
    const char *cuts;
    long long div = 0;
    if ((st = need_meta(f, "adaptive_cutoffs", &cuts, path, err)) ||
        (st = checkpoint_meta_int(f, "adaptive_div", 1, 1 << 20, &div, path, err)))
        return st;
    rnnlm_err e2 = {0};
    ada_layout a;
    c->adaptive = 1;
    c->ada_div = (int)div;
    if (ada_parse_cutoffs(cuts, c->ada_cut, &c->ada_n, &e2) ||
        ada_layout_init(&a, c->V, c->H, c->ada_cut, c->ada_n, c->ada_div, c->tied, &e2))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: adaptive softmax: %s", path, e2.msg);
    return RNNLM_OK;
}

static rnnlm_status read_config(const st_file *f, model_config *c, const char *path, rnnlm_err *err) {
    static const char *const inits[] = {"recipe", "uniform"};         /* init_kind order */
    static const char *const tied[] = {"0", "1"};
    long long V = 0, E = 0, H = 0, L = 0;
    int cell = 0, init = 0, t = 0;
    rnnlm_status st;
    const char *cells[CELL_COUNT];   /* the registry's keys, in cell_kind order */
    for (int k = 0; k < CELL_COUNT; k++) cells[k] = nn_cell_of((cell_kind)k)->key;
    if ((st = meta_enum(f, "cell", cells, CELL_COUNT, &cell, path, err)) ||
        (st = checkpoint_meta_int(f, "vocab_size", 1, INT_MAX, &V, path, err)) ||
        (st = checkpoint_meta_int(f, "embedding_dim", 1, INT_MAX, &E, path, err)) ||
        (st = checkpoint_meta_int(f, "hidden_size", 1, INT_MAX / 4, &H, path, err)) ||
        (st = checkpoint_meta_int(f, "num_layers", 1, MODEL_MAX_LAYERS, &L, path, err)) ||
        (st = meta_enum(f, "tied", tied, 2, &t, path, err)) ||
        (st = meta_enum(f, "init", inits, 2, &init, path, err)))
        return st;
    double d;   /* its range is model_create's to check */
    if ((st = checkpoint_meta_real(f, "dropout", -FLT_MAX, FLT_MAX, &d, path, err))) return st;
    memset(c, 0, sizeof *c);
    c->cell = (cell_kind)cell;
    c->V = (int)V; c->E = (int)E; c->H = (int)H; c->L = (int)L;
    c->dropout = (float)d;
    c->tied = t;
    c->init = (init_kind)init;
    return read_adaptive(f, c, path, err);
}

/* Rebuilds the vocabulary from "vocab", "vocab_counts", "canon", "vocab_distinct". */
static rnnlm_status read_vocab(const st_file *f, int V, rnnlm_vocab **out, const char *path,
                               rnnlm_err *err) {
    static const char *const canons[] = {"none", "recipe"};   /* rnnlm_canon order */
    const char *ws, *cs;
    int canon = 0;
    long long distinct = 0;
    rnnlm_status st;
    if ((st = need_meta(f, "vocab", &ws, path, err)) || (st = need_meta(f, "vocab_counts", &cs, path, err)) ||
        (st = meta_enum(f, "canon", canons, 2, &canon, path, err)) ||
        (st = checkpoint_meta_int(f, "vocab_distinct", 0, LLONG_MAX, &distinct, path, err)))
        return st;
    size_t n = 1, nc = 1;
    for (const char *p = ws; *p; p++) n += *p == '\n';
    for (const char *p = cs; *p; p++) nc += *p == ' ';
    if (n != (size_t)V)
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s: the vocabulary has %zu words, but vocab_size (V) is %d", path, n, V);
    if (nc != n)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: vocab_counts has %zu counts for %zu words", path, nc, n);
    /* n is bounded by the length of a string the file really holds */
    size_t wlen = strlen(ws);
    char *buf = rnnlm_calloc(wlen + 1, 1, "vocabulary", err);
    const char **words = buf ? rnnlm_calloc(n, sizeof *words, "vocabulary", err) : NULL;
    uint64_t *counts = words ? rnnlm_calloc(n, sizeof *counts, "vocabulary counts", err) : NULL;
    if (!counts) { free(buf); free(words); return RNNLM_E_NOMEM; }
    memcpy(buf, ws, wlen);
    size_t i = 0;
    words[i++] = buf;
    for (char *p = buf; *p; p++)
        if (*p == '\n') { *p = '\0'; words[i++] = p + 1; }
    const char *p = cs;
    for (i = 0; !st && i < n; i++) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(p, &end, 10);
        if (errno || end == p || *p < '0' || *p > '9' || (*end != ' ' && *end != '\0'))
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: vocab_counts: count %zu is not a count", path, i);
        counts[i] = x;
        p = *end ? end + 1 : end;
    }
    if (!st) {
        rnnlm_err e2 = {0};
        if (rnnlm_vocab_from_words(out, words, counts, n, (rnnlm_canon)canon, (size_t)distinct, &e2))
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: vocabulary: %s", path, e2.msg);
    }
    free(buf); free(words); free(counts);
    return st;
}

static void shape_str(char *s, size_t cap, int ndim, const size_t *shape) {
    size_t k = (size_t)snprintf(s, cap, "(");
    for (int d = 0; d < ndim && k < cap; d++)
        k += (size_t)snprintf(s + k, cap - k, d ? ", %zu" : "%zu", shape[d]);
    if (k < cap) snprintf(s + k, cap - k, ndim == 1 ? ",)" : ")");
}

/* Every tensor the configuration calls for is present with its exact shape,
 * and nothing else is there but the caller's "train." tensors. */
static rnnlm_status check_tensors(const st_file *f, const pt_tensor *pt, int n_pt, const char *path,
                                  rnnlm_err *err) {
    for (int i = 0; i < n_pt; i++) {
        const st_entry *e = st_find(f, pt[i].name);
        if (!e) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s' is missing", path, pt[i].name);
        int same = e->ndim == pt[i].ndim;
        for (int d = 0; same && d < e->ndim; d++) same = e->shape[d] == pt[i].shape[d];
        if (!same) {
            char a[128], b[128];
            shape_str(a, sizeof a, e->ndim, e->shape);
            shape_str(b, sizeof b, pt[i].ndim, pt[i].shape);
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s' has shape %s, expected %s", path,
                              pt[i].name, a, b);
        }
    }
    for (size_t i = 0; i < st_n_tensors(f); i++) {
        const char *name = st_tensor_at(f, i)->name;
        if (strncmp(name, CHECKPOINT_EXTRA_PREFIX, strlen(CHECKPOINT_EXTRA_PREFIX)) == 0) continue;
        int known = 0;
        for (int k = 0; !known && k < n_pt; k++) known = strcmp(name, pt[k].name) == 0;
        if (!known)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: unexpected tensor '%s'%s", path, name,
                              strcmp(name, "output.weight") == 0 ? " (the embedding is tied)" : "");
    }
    return RNNLM_OK;
}

/* Copies the checkpoint's tensors into m's Keras-layout parameters. */
static rnnlm_status fill_model(model *m, const st_file *f, const pt_tensor *pt, int n_pt,
                               const char *path, rnnlm_err *err) {
    const model_config *c = model_cfg(m);
    size_t GH = (size_t)gates_of(c->cell) * (size_t)c->H;
    float *params = model_params(m);
    for (int i = 0; i < n_pt; i++) {
        const pt_tensor *p = &pt[i];
        const model_tensor *k = keras_tensor(m, p->kind, p->layer);
        const float *src = st_find(f, p->name)->data;
        if (!k) return rnnlm_fail(err, RNNLM_E_STATE, "%s: the model has no tensor matching '%s'", path, p->name);
        float *dst = params + k->offset;
        switch (p->kind) {
        case PT_EMB: case PT_OUTB: case PT_ADA:
            memcpy(dst, src, k->count * sizeof *dst);
            break;
        case PT_WIH: case PT_WHH: case PT_OUTW:
            transpose(dst, src, p->shape[0], p->shape[1]);   /* (out, in) -> (in, out) */
            break;
        case PT_BIH:
            memcpy(dst, src, GH * sizeof *dst);
            break;
        case PT_BHH:
            if (nn_cell_of(c->cell)->bias_rows > 1) {
                memcpy(dst + GH, src, GH * sizeof *dst);
            } else {
                /* PyTorch's two biases always act as their sum; adding an
                 * exact zero is skipped so that -0.0 survives a round trip */
                for (size_t j = 0; j < GH; j++)
                    if (src[j] != 0.0f) dst[j] += src[j];
            }
            break;
        }
    }
    return RNNLM_OK;
}

/* Every value of every tensor in the file is finite. */
static rnnlm_status check_finite(const st_file *f, const char *path, rnnlm_err *err) {
    for (size_t i = 0; i < st_n_tensors(f); i++) {
        const st_entry *e = st_tensor_at(f, i);
        for (size_t j = 0; j < e->count; j++)
            if (!isfinite(e->data[j]))
                return rnnlm_fail(err, RNNLM_E_FORMAT,
                                  "%s: tensor '%s' holds a non-finite value (%s at element %zu): the "
                                  "weights are unusable (loading them anyway is an option, for inspection)",
                                  path, e->name, isnan(e->data[j]) ? "NaN" : e->data[j] > 0 ? "+Inf" : "-Inf", j);
    }
    return RNNLM_OK;
}

rnnlm_status checkpoint_load(const char *path, model **mp, rnnlm_vocab **vp, st_file **keep,
                             rnnlm_err *err) {
    return checkpoint_load_ex(path, 0, mp, vp, keep, err);
}

rnnlm_status checkpoint_load_ex(const char *path, unsigned flags, model **mp, rnnlm_vocab **vp,
                                st_file **keep, rnnlm_err *err) {
    *mp = NULL;
    *vp = NULL;
    if (keep) *keep = NULL;
    st_file *f;
    rnnlm_status st = st_read_file(&f, path, err);
    if (st) return st;
    const char *fmt = st_meta(f, "format"), *ver = st_meta(f, "format_version");
    model_config c;
    model *m = NULL;
    rnnlm_vocab *v = NULL;
    pt_tensor pt[PT_MAX];
    int n_pt = 0;
    if (!fmt)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: no 'format' metadata: not an rnnlm checkpoint", path);
    else if (strcmp(fmt, CHECKPOINT_FORMAT) != 0)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata format='%s', expected '%s': not an rnnlm checkpoint",
                        path, fmt, CHECKPOINT_FORMAT);
    else if (!ver)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: checkpoint metadata has no 'format_version'", path);
    else if (strcmp(ver, CHECKPOINT_VERSION) != 0)
        st = rnnlm_fail(err, RNNLM_E_FORMAT,
                        "%s: checkpoint format version '%s' is not supported: this rnnlm reads version %s",
                        path, ver, CHECKPOINT_VERSION);
    if (!st) st = read_config(f, &c, path, err);
    if (!st) st = read_vocab(f, c.V, &v, path, err);
    if (!st) {
        n_pt = pt_list(&c, pt);
        st = check_tensors(f, pt, n_pt, path, err);
    }
    if (!st && !(flags & RNNLM_LOAD_ALLOW_NONFINITE)) st = check_finite(f, path, err);
    /* only now, with every tensor the model needs present in the file, is
     * anything sized by the configuration allocated */
    if (!st) {
        rnnlm_err e2 = {0};
        if (model_create(&m, &c, &e2))
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: model configuration rejected: %s", path, e2.msg);
    }
    if (!st) st = fill_model(m, f, pt, n_pt, path, err);
    if (st) {
        model_free(m);
        rnnlm_vocab_free(v);
        st_free(f);
        return st;
    }
    *mp = m;
    *vp = v;
    if (keep) *keep = f;
    else st_free(f);
    return RNNLM_OK;
}

const char *checkpoint_config_value(const st_file *f, const char *name, const char *legacy, char *key, size_t cap) {
    char k[80];
    snprintf(k, sizeof k, CHECKPOINT_CONFIG_PREFIX "%s", name);
    const char *v = checkpoint_get_meta(f, k);
    if (!v && legacy) {   /* keys newer than the cli.* files have no legacy name */
        snprintf(k, sizeof k, CHECKPOINT_LEGACY_PREFIX "%s", legacy);
        v = checkpoint_get_meta(f, k);
    }
    if (v && key) snprintf(key, cap, "%s", k);
    return v;
}
