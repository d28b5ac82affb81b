/* ngram.h: the in-memory ARPA back-off model shared by the reader
 * (ngram_read.c) and the lookup (ngram.c). docs/NGRAM.md describes it.
 *
 * One table per order k (t[k-1]). An entry of order k > 1 is the n-gram
 * w1 .. wk keyed by (index of its suffix w2 .. wk in order k-1, w1): n-grams
 * and contexts both grow leftwards, so the back-off walk from the newest
 * word outwards costs one probe per order. Unigrams are indexed by word id.
 * A suffix the file lacks is present as a filler entry (prob NAN, bow 0), so
 * that every entry's suffix chain exists; fillers are not counted. */
#ifndef RNNLM_NGRAM_H
#define RNNLM_NGRAM_H

#include <stdint.h>
#include "common.h"
#include "strtab.h"

/* Highest order read (docs/NGRAM.md). */
#define NGRAM_MAX_ORDER 32

typedef struct {
    uint32_t ctx;    /* order > 1: index of the suffix (w2 .. wk) in order k-1; unigrams: 0 */
    uint32_t word;   /* w1, the leftmost word */
    float prob;      /* log10 p; -INFINITY for SRILM's pseudo-zero -99; NAN for a filler */
    float bow;       /* log10 back-off weight; 0 when the file gives none */
} ngram_entry;

typedef struct {
    ngram_entry *e; size_t n, cap;   /* entries in arrival order (unigrams: by id) */
    uint32_t *slot; size_t n_slots;  /* entry index + 1, 0 = empty; n_slots a power of 2 (orders > 1) */
    unsigned shift;                  /* 64 - log2(n_slots) */
    size_t listed;                   /* entries the file listed (n less the fillers) */
} ngram_table;

struct rnnlm_ngram {
    int order;
    strtab vocab;                      /* unigram words, ids in file order */
    ngram_table t[NGRAM_MAX_ORDER];    /* t[k-1]: order k */
    int32_t bos, eos, unk;
};

static inline size_t ngram_hash_slot(const ngram_table *t, uint32_t ctx, uint32_t word) {
    uint64_t key = ((uint64_t)ctx << 32) | word;
    return (size_t)((key * 0x9e3779b97f4a7c15ull) >> t->shift);
}

/* Index of the entry (ctx, word) of an order > 1, or -1. */
static inline int64_t ngram_find(const ngram_table *t, uint32_t ctx, uint32_t word) {
    if (!t->n_slots) return -1;
    size_t mask = t->n_slots - 1;
    for (size_t i = ngram_hash_slot(t, ctx, word);; i = (i + 1) & mask) {
        uint32_t v = t->slot[i];
        if (!v) return -1;
        const ngram_entry *e = &t->e[v - 1];
        if (e->ctx == ctx && e->word == word) return (int64_t)(v - 1);
    }
}

/* Appends (ctx, word) to an order > 1 (not already there), growing the
 * table; *index receives its index. */
rnnlm_status ngram_insert(ngram_table *t, uint32_t ctx, uint32_t word, float prob, float bow, uint32_t *index,
                          rnnlm_err *err);
/* Room for at least n entries without growing (a hint: n is bounded by the caller). */
rnnlm_status ngram_reserve(ngram_table *t, size_t n, int hashed, rnnlm_err *err);

#endif
