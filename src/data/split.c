/* split.c: the seeded train/test split and id streams (docs/DATA.md sections 4 and 5). */
#include "data/split.h"

#include "core/atomic_file.h"
#include "core/common.h"
#include "core/rng.h"
#include "data/corpus.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rnnlm_status rnnlm_split(size_t n, double frac, uint32_t seed, size_t **order, size_t *n_train,
                         rnnlm_err *err) {
    if (!(frac > 0.0 && frac < 1.0))
        return rnnlm_fail(err, RNNLM_E_ARG, "split fraction %g is outside (0, 1)", frac);
    if (n > UINT32_MAX)
        return rnnlm_fail(err, RNNLM_E_ARG, "%zu sentences: the seeded shuffle takes at most 2^32", n);
    size_t *o = rnnlm_calloc(n ? n : 1, sizeof *o, "split order", err);
    if (!o) return RNNLM_E_NOMEM;
    for (size_t i = 0; i < n; i++) o[i] = i;
    mt19937 g;
    mt19937_seed(&g, seed);
    mt19937_shuffle(&g, o, n, sizeof *o);
    size_t nt = (size_t)(frac * (double)n);   /* Python's int(frac * n) */
    if (nt == 0 || nt == n) {
        free(o);
        return rnnlm_fail(err, RNNLM_E_ARG, "split %g of %zu sentences leaves an empty %s set", frac, n,
                          nt == 0 ? "training" : "test");
    }
    *order = o;
    *n_train = nt;
    return RNNLM_OK;
}

rnnlm_status rnnlm_ids_build(const rnnlm_corpus *c, const rnnlm_vocab *v, const size_t *idx, size_t n,
                             int markers, int32_t **ids, size_t *n_ids, rnnlm_err *err) {
    if (!idx) n = c->n_sents;
    for (size_t i = 0; idx && i < n; i++)
        if (idx[i] >= c->n_sents)
            return rnnlm_fail(err, RNNLM_E_ARG, "sentence index %zu (at %zu) is past the corpus's %zu sentences",
                              idx[i], i, c->n_sents);
    /* every type is looked up once, not every token */
    int32_t *type_id = rnnlm_calloc(c->types.n ? c->types.n : 1, sizeof *type_id, "type map", err);
    if (!type_id) return RNNLM_E_NOMEM;
    for (uint32_t t = 0; t < c->types.n; t++)
        type_id[t] = rnnlm_vocab_lookup(v, strtab_str(&c->types, t), strtab_len(&c->types, t));
    size_t total = rnnlm_corpus_tokens_of(c, idx, n) + (markers ? n + 1 : 0);
    int32_t *out = rnnlm_calloc(total ? total : 1, sizeof *out, "id stream", err);
    if (!out) { free(type_id); return RNNLM_E_NOMEM; }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t s = idx ? idx[i] : i;
        if (markers) out[k++] = RNNLM_BOS;
        for (size_t p = c->sent[s]; p < c->sent[s + 1]; p++) out[k++] = type_id[c->tok[p]];
    }
    if (markers) out[k++] = RNNLM_BOS;
    free(type_id);
    *ids = out;
    *n_ids = k;
    return RNNLM_OK;
}

rnnlm_status rnnlm_ids_save(const char *path, const int32_t *ids, size_t n, rnnlm_err *err) {
    if (!path || (!ids && n)) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_ids_save: no path or ids");
    rnnlm_atomic_file af;
    rnnlm_status st = rnnlm_atomic_open(&af, path, err);
    if (st) return st;
    for (size_t i = 0; i < n; i++) fprintf(af.f, i ? " %d" : "%d", ids[i]);
    fputc('\n', af.f);
    return rnnlm_atomic_commit(&af, err);
}

rnnlm_status rnnlm_ids_save_text(const char *path, const int32_t *ids, size_t n, const rnnlm_vocab *v,
                                 rnnlm_err *err) {
    if (!path || !v || (!ids && n)) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_ids_save_text: NULL argument");
    const size_t V = rnnlm_vocab_size(v);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= V)
            return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_ids_save_text: id %ld at %zu is outside the vocabulary's %zu",
                              (long)ids[i], i, V);
    rnnlm_atomic_file af;
    rnnlm_status st = rnnlm_atomic_open(&af, path, err);
    if (st) return st;
    int open_line = 0;   /* words written since the last <s> */
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == RNNLM_BOS) {
            if (open_line) fputc('\n', af.f);
            open_line = 0;
            continue;
        }
        if (open_line) fputc(' ', af.f);
        fputs(rnnlm_vocab_word(v, ids[i]), af.f);
        open_line = 1;
    }
    if (open_line) fputc('\n', af.f);
    return rnnlm_atomic_commit(&af, err);
}

rnnlm_status split_carve(size_t *idx, size_t n, double frac, uint32_t seed, size_t *n_keep, rnnlm_err *err) {
    if (!(frac > 0.0 && frac < 1.0))
        return rnnlm_fail(err, RNNLM_E_ARG, "validation fraction %g is outside (0, 1)", frac);
    if (n > UINT32_MAX)
        return rnnlm_fail(err, RNNLM_E_ARG, "%zu sentences: the seeded shuffle takes at most 2^32", n);
    size_t nv = (size_t)(frac * (double)n);   /* int(frac * n), as the split */
    if (nv == 0 || nv == n)
        return rnnlm_fail(err, RNNLM_E_ARG, "a validation fraction %g of %zu training sentences leaves an empty %s set",
                          frac, n, nv == 0 ? "validation" : "training");
    size_t *pos = rnnlm_calloc(n, sizeof *pos, "carve order", err);
    unsigned char *held = pos ? rnnlm_calloc(n, 1, "carve flags", err) : NULL;
    size_t *tmp = held ? rnnlm_calloc(n, sizeof *tmp, "carve copy", err) : NULL;
    if (!tmp) { free(pos); free(held); return RNNLM_E_NOMEM; }
    for (size_t i = 0; i < n; i++) pos[i] = i;
    mt19937 g;
    mt19937_seed(&g, seed ^ SPLIT_CARVE_SALT);
    mt19937_shuffle(&g, pos, n, sizeof *pos);
    for (size_t i = n - nv; i < n; i++) held[pos[i]] = 1;
    size_t k = 0, v = n - nv;   /* stable: kept ones first, then the held-out ones, each in idx's order */
    for (size_t i = 0; i < n; i++) tmp[held[i] ? v++ : k++] = idx[i];
    memcpy(idx, tmp, n * sizeof *idx);
    free(pos); free(held); free(tmp);
    *n_keep = n - nv;
    return RNNLM_OK;
}
