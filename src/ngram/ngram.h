/* ngram.h: the in-memory ARPA back-off model shared by the reader
 * (ngram_read.c) and the lookup (ngram.c). docs/NGRAM.md describes it.
 *
 * One table per order k (t[k-1]). An entry of order k > 1 is the n-gram
 * w1 .. wk, found through an open-addressing hash table (linear probing)
 * keyed by (index of its suffix w2 .. wk in order k-1, w1): n-grams
 * and contexts both grow leftwards, so the back-off walk from the newest
 * word outwards costs one probe per order. Unigrams are indexed by word id.
 * A suffix the file lacks is present as a filler entry (prob NAN, bow 0), so
 * that every entry's suffix chain exists; fillers are not counted. */
#ifndef RNNLM_NGRAM_H
#define RNNLM_NGRAM_H

#include <stdint.h>
#include "core/common.h"
#include "core/strtab.h"

/* Highest order read (docs/NGRAM.md). */
#define NGRAM_MAX_ORDER 32

typedef struct {
    float prob;      /* log10 p; -INFINITY for SRILM's pseudo-zero -99; NAN for a filler */
    float bow;       /* log10 back-off weight; 0 when the file gives none */
} ngram_entry;

/* A slot of the hash table holds the whole key, so that a probe touches one
 * cache line and a found n-gram's index needs no visit to its entry. */
typedef struct {
    uint32_t ctx;    /* index of the suffix (w2 .. wk) in order k-1 */
    uint32_t word;   /* w1, the leftmost word */
    uint32_t index;  /* entry index + 1; 0: an empty slot */
} ngram_slot;

typedef struct {
    ngram_entry *e; size_t n, cap;     /* entries in arrival order (unigrams: by id) */
    ngram_slot *slot; size_t n_slots;  /* orders > 1; n_slots a power of 2, load <= 1/2 */
    unsigned shift;                    /* 64 - log2(n_slots) */
    size_t listed;                     /* entries the file listed (n less the fillers) */
} ngram_table;

struct rnnlm_ngram {
    int order;
    strtab vocab;                      /* unigram words, ids in file order */
    ngram_table t[NGRAM_MAX_ORDER];    /* t[k-1]: order k */
    int32_t bos, eos, unk;
    size_t rounded;   /* log10 probabilities in (0, NGRAM_ROUNDING_LOG10] read as 0 */
};

/* The largest positive log10 probability read as a rounding error of 0
 * (rnnlm_ngram_rounded); anything above is refused. */
#define NGRAM_ROUNDING_LOG10 1e-6

/* The slot where the probe for (ctx, word) starts: the key through a full
 * 64-bit mixer (MurmurHash3's finaliser; a plain multiplicative hash of the
 * packed pair clusters, since ctx indices and word ids both run in order),
 * its top bits. */
static inline size_t ngram_hash_slot(const ngram_table *t, uint32_t ctx, uint32_t word) {
    uint64_t h = ((uint64_t)ctx << 32) | word;
    h ^= h >> 33; h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (size_t)(h >> t->shift);
}

/* Index of the entry (ctx, word) of an order > 1, or -1. */
static inline int64_t ngram_find(const ngram_table *t, uint32_t ctx, uint32_t word) {
    if (!t->n_slots) return -1;
    size_t mask = t->n_slots - 1;
    for (size_t i = ngram_hash_slot(t, ctx, word);; i = (i + 1) & mask) {
        const ngram_slot *sl = &t->slot[i];
        if (!sl->index) return -1;
        if (sl->ctx == ctx && sl->word == word) return (int64_t)sl->index - 1;
    }
}

/* Appends (ctx, word) to an order > 1 (not already there), growing the
 * table; *index receives its index. */
rnnlm_status ngram_insert(ngram_table *t, uint32_t ctx, uint32_t word, float prob, float bow, uint32_t *index,
                          rnnlm_err *err);
/* Room for at least n entries without growing (a hint: n is bounded by the caller). */
rnnlm_status ngram_reserve(ngram_table *t, size_t n, int hashed, rnnlm_err *err);

#endif
