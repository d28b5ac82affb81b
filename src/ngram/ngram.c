/* ngram.c: the ARPA back-off model once loaded (rnnlm_ngram_* of rnnlm.h but
 * the reader, which is ngram_read.c): the tables' growth, the back-off
 * lookup and SRILM's sentence scoring. */
#include "ngram/ngram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- tables ---------------------------------------------------------------- */

static rnnlm_status rehash(ngram_table *t, size_t n_slots, rnnlm_err *err) {
    ngram_slot *slot = rnnlm_calloc(n_slots, sizeof *slot, "n-gram hash table", err);
    if (!slot) return RNNLM_E_NOMEM;
    ngram_slot *old = t->slot;
    size_t n_old = t->n_slots;
    t->slot = slot;
    t->n_slots = n_slots;
    t->shift = 64u - (unsigned)__builtin_ctzll((unsigned long long)n_slots);
    size_t mask = n_slots - 1;
    for (size_t k = 0; k < n_old; k++) {
        if (!old[k].index) continue;
        size_t i = ngram_hash_slot(t, old[k].ctx, old[k].word);
        while (slot[i].index) i = (i + 1) & mask;
        slot[i] = old[k];
    }
    free(old);
    return RNNLM_OK;
}

/* Slots for n entries at a load of at most 1/2. */
static size_t slots_for(size_t n) {
    size_t s = 16;
    while (s / 2 < n) s *= 2;
    return s;
}

rnnlm_status ngram_reserve(ngram_table *t, size_t n, int hashed, rnnlm_err *err) {
    rnnlm_status st;
    if (n > t->cap && (st = rnnlm_grow((void **)&t->e, &t->cap, n, sizeof *t->e, "n-gram entries", err)))
        return st;
    if (hashed && slots_for(n) > t->n_slots) return rehash(t, slots_for(n), err);
    return RNNLM_OK;
}

rnnlm_status ngram_insert(ngram_table *t, uint32_t ctx, uint32_t word, float prob, float bow, uint32_t *index,
                          rnnlm_err *err) {
    rnnlm_status st;
    if (t->n >= (size_t)UINT32_MAX - 1)
        return rnnlm_fail(err, RNNLM_E_NOMEM, "more than 2^32 - 2 n-grams of one order");
    if ((st = rnnlm_grow((void **)&t->e, &t->cap, t->n + 1, sizeof *t->e, "n-gram entries", err))) return st;
    if ((t->n + 1) * 2 > t->n_slots && (st = rehash(t, slots_for(t->n + 1), err))) return st;
    size_t k = t->n++;
    t->e[k] = (ngram_entry){.prob = prob, .bow = bow};
    size_t mask = t->n_slots - 1;
    size_t i = ngram_hash_slot(t, ctx, word);
    while (t->slot[i].index) i = (i + 1) & mask;
    t->slot[i] = (ngram_slot){.ctx = ctx, .word = word, .index = (uint32_t)(k + 1)};
    *index = (uint32_t)k;
    return RNNLM_OK;
}

void rnnlm_ngram_free(rnnlm_ngram *g) {
    if (!g) return;
    strtab_free(&g->vocab);
    for (int k = 0; k < NGRAM_MAX_ORDER; k++) { free(g->t[k].e); free(g->t[k].slot); }
    free(g);
}

/* ---- accessors ------------------------------------------------------------- */

int rnnlm_ngram_order(const rnnlm_ngram *g) { return g ? g->order : 0; }

size_t rnnlm_ngram_count(const rnnlm_ngram *g, int n) {
    if (!g || n < 1 || n > g->order) return 0;
    return g->t[n - 1].listed;
}

size_t rnnlm_ngram_vocab_size(const rnnlm_ngram *g) { return g ? g->vocab.n : 0; }

const char *rnnlm_ngram_word(const rnnlm_ngram *g, int32_t id) {
    if (!g || id < 0 || (size_t)id >= g->vocab.n) return NULL;
    return strtab_str(&g->vocab, (uint32_t)id);
}

int32_t rnnlm_ngram_lookup(const rnnlm_ngram *g, const char *word, size_t len) {
    if (!g || (!word && len)) return -1;
    int64_t id = strtab_find(&g->vocab, word ? word : "", len);
    return id < 0 ? -1 : (int32_t)id;
}

int32_t rnnlm_ngram_bos(const rnnlm_ngram *g) { return g ? g->bos : -1; }
int32_t rnnlm_ngram_eos(const rnnlm_ngram *g) { return g ? g->eos : -1; }
int32_t rnnlm_ngram_unk(const rnnlm_ngram *g) { return g ? g->unk : -1; }
size_t rnnlm_ngram_rounded(const rnnlm_ngram *g) { return g ? g->rounded : 0; }

/* ---- back-off -------------------------------------------------------------- */

/* With h = ctx[n-1], ctx[n-2], ... (newest first, at most N-1 of them, up
 * to the first id the model lacks), ARPA's recursion
 *     P(w | h1..hj) = p(hj..h1 w)                  if that n-gram is listed
 *                   = bow(hj..h1) * P(w | h1..hj-1) otherwise
 * unrolls to p(longest listed hm..h1 w) * prod over i > m of bow(hi..h1).
 * Both walks extend leftwards one word (one probe) per step; a missing
 * entry ends a walk, since every entry's suffix is present (ngram.h). */
double rnnlm_ngram_logprob(const rnnlm_ngram *g, const int32_t *ctx, size_t n, int32_t w, int *matched) {
    if (matched) *matched = 0;
    if (!g || w < 0 || (size_t)w >= g->vocab.n || (n && !ctx)) return NAN;
    const uint32_t V = (uint32_t)g->vocab.n;
    size_t h = n < (size_t)(g->order - 1) ? n : (size_t)(g->order - 1);
    for (size_t i = 0; i < h; i++)
        if (ctx[n - 1 - i] < 0 || (uint32_t)ctx[n - 1 - i] >= V) { h = i; break; }

    /* the n-grams hj..h1 w, j = 0, 1, ..., h: the longest listed one */
    double best = g->t[0].e[w].prob;
    size_t m = 0;
    uint32_t cur = (uint32_t)w;
    for (size_t j = 1; j <= h; j++) {
        int64_t idx = ngram_find(&g->t[j], cur, (uint32_t)ctx[n - j]);
        if (idx < 0) break;
        cur = (uint32_t)idx;
        float p = g->t[j].e[idx].prob;
        if (!isnan(p)) { best = p; m = j; }
    }
    if (matched) *matched = (int)m + 1;
    if (m == h || best == -INFINITY) return best;

    /* the contexts hi..h1, i = 1 .. h: the back-off weights of those longer than m */
    double bo = 0;
    cur = (uint32_t)ctx[n - 1];
    for (size_t i = 1; i <= h; i++) {
        if (i > 1) {
            int64_t idx = ngram_find(&g->t[i - 1], cur, (uint32_t)ctx[n - i]);
            if (idx < 0) break;
            cur = (uint32_t)idx;
        }
        if (i > m) bo += g->t[i - 1].e[cur].bow;
    }
    return best + bo;
}

/* ---- sentences ------------------------------------------------------------- */

rnnlm_status rnnlm_ngram_score_sentence(const rnnlm_ngram *g, const char *const *words, size_t n, unsigned flags,
                                        rnnlm_ngram_score *out, double *per_word, rnnlm_err *err) {
    if (!g || !out || (n && !words))
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_ngram_score_sentence: NULL model, words or result");
    if (flags & ~(unsigned)RNNLM_NGRAM_OPEN_VOCAB)
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_ngram_score_sentence: unknown flags 0x%x", flags);
    if (g->eos < 0)
        return rnnlm_fail(err, RNNLM_E_STATE, "the n-gram model has no </s>: it cannot score sentences");
    const int open = (flags & RNNLM_NGRAM_OPEN_VOCAB) && g->unk >= 0;
    memset(out, 0, sizeof *out);
    out->words = n;

    /* the last N-1 ids of the history, oldest first; -1 where an OOV cut it */
    int32_t hist[NGRAM_MAX_ORDER];
    size_t hn = 0;
    const size_t keep = (size_t)(g->order - 1);
    if (keep && g->bos >= 0) hist[hn++] = g->bos;
    for (size_t i = 0; i <= n; i++) {
        int32_t id;
        if (i == n) id = g->eos;
        else {
            const char *w = words[i] ? words[i] : "";
            id = rnnlm_ngram_lookup(g, w, strlen(w));
            if (id == g->unk && !open) id = -1;        /* "<unk>" itself is an OOV in a closed vocabulary */
            if (id < 0 && open) id = g->unk;
        }
        if (id < 0) {
            out->oovs++;
            if (per_word) per_word[i] = NAN;
        } else {
            double lp = rnnlm_ngram_logprob(g, hist, hn, id, NULL);
            if (lp == -INFINITY) out->zeroprobs++;
            else out->log10prob += lp;
            if (per_word) per_word[i] = lp;
        }
        if (keep) {
            if (hn == keep) { memmove(hist, hist + 1, (keep - 1) * sizeof *hist); hn--; }
            hist[hn++] = id;
        }
    }
    return RNNLM_OK;
}
