/* mix.c: interpolating a model with an ARPA n-gram (rnnlm_mix_* of rnnlm.h):
 * per-word component probabilities over the union of the two vocabularies
 * (the <unk> rules and OOVs), the mixture's log10 probability, and the EM
 * estimate of the RNN's weight. docs/PIPELINE.md states the conventions. */
#include "pipeline/mix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/canon.h"
#include "core/common.h"

struct rnnlm_mix {
    const rnnlm_vocab *v;
    const rnnlm_ngram *g;
    int unk;            /* rnnlm_mix_unk */
    unsigned flags;
    size_t unk_words;   /* U */
    int32_t g_bos, g_eos, g_unk;
};

/* The n-gram's id of a word the RNN knows as rnn_id (RNNLM_UNK: lacks). */
static int32_t ngram_id(const rnnlm_mix *mx, const char *w, size_t len, int32_t rnn_id) {
    if (!(mx->flags & RNNLM_MIX_NGRAM_CANON)) return rnnlm_ngram_lookup(mx->g, w, len);
    if (rnn_id != RNNLM_UNK) {
        const char *cw = rnnlm_vocab_word(mx->v, rnn_id);
        return rnnlm_ngram_lookup(mx->g, cw, strlen(cw));
    }
    if (rnnlm_vocab_canon(mx->v) != RNNLM_CANON_RECIPE) return rnnlm_ngram_lookup(mx->g, w, len);
    char small[512], *buf = len <= sizeof small / 2 ? small : malloc(2 * len);
    if (!buf) return rnnlm_ngram_lookup(mx->g, w, len);   /* no memory: the exact bytes */
    int32_t id = rnnlm_ngram_lookup(mx->g, buf, canon_full(w, len, buf));
    if (buf != small) free(buf);
    return id;
}

rnnlm_status rnnlm_mix_create(rnnlm_mix **out, const rnnlm_vocab *v, const rnnlm_ngram *g, int unk,
                              unsigned flags, rnnlm_err *err) {
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_mix_create: NULL argument");
    *out = NULL;
    if (!v || !g) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_mix_create: the vocabulary and the n-gram are required");
    if (unk < RNNLM_MIX_UNK_SPLIT || unk > RNNLM_MIX_UNK_NGRAM)
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_mix_create: <unk> mode %d is none of split, whole, ngram", unk);
    if (flags & ~(unsigned)RNNLM_MIX_NGRAM_CANON)
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_mix_create: unknown flags 0x%x", flags);
    rnnlm_mix *mx = rnnlm_calloc(1, sizeof *mx, "mixture", err);
    if (!mx) return RNNLM_E_NOMEM;
    mx->v = v;
    mx->g = g;
    mx->unk = unk;
    mx->flags = flags;
    mx->g_bos = rnnlm_ngram_bos(g);
    mx->g_eos = rnnlm_ngram_eos(g);
    mx->g_unk = rnnlm_ngram_unk(g);
    /* U: the n-gram words that would take a share of the RNN's <unk> */
    size_t n = rnnlm_ngram_vocab_size(g);
    for (size_t i = 0; i < n; i++) {
        int32_t id = (int32_t)i;
        if (id == mx->g_bos || id == mx->g_eos || id == mx->g_unk) continue;
        const char *w = rnnlm_ngram_word(g, id);
        if (w && rnnlm_vocab_lookup(v, w, strlen(w)) == RNNLM_UNK) mx->unk_words++;
    }
    *out = mx;
    return RNNLM_OK;
}

void rnnlm_mix_free(rnnlm_mix *mx) { free(mx); }

size_t rnnlm_mix_unk_words(const rnnlm_mix *mx) { return mx ? mx->unk_words : 0; }

rnnlm_status rnnlm_mix_sentence(const rnnlm_mix *mx, const char *const *words, size_t n,
                                const double *rnn_logprob, rnnlm_mix_word *out, rnnlm_err *err) {
    if (!mx || !rnn_logprob || !out || (n && !words))
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_mix_sentence: NULL argument");
    /* the n-gram's history: <s>, then each word's id (-1 cuts it) */
    size_t cap;
    if (!size_add(n, 1, &cap)) return rnnlm_fail(err, RNNLM_E_NOMEM, "rnnlm_mix_sentence: %zu words", n);
    int32_t small[256], *hist = cap <= 256 ? small : rnnlm_calloc(cap, sizeof *hist, "n-gram history", err);
    if (!hist) return RNNLM_E_NOMEM;
    hist[0] = mx->g_bos;
    rnnlm_status st = RNNLM_OK;
    for (size_t i = 0; i <= n; i++) {
        rnnlm_mix_word *o = &out[i];
        memset(o, 0, sizeof *o);
        double lp = rnn_logprob[i];
        if (i == n) {   /* the end: the RNN's closing <s>, the n-gram's </s> */
            o->rnn_id = RNNLM_BOS;
            o->ngram_id = mx->g_eos;
        } else {
            if (!words[i]) {
                st = rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_mix_sentence: word %zu is NULL", i + 1);
                break;
            }
            size_t len = strlen(words[i]);
            o->rnn_id = rnnlm_vocab_lookup(mx->v, words[i], len);
            o->ngram_id = ngram_id(mx, words[i], len, o->rnn_id);
        }
        if (o->ngram_id >= 0) {
            double l10 = rnnlm_ngram_logprob(mx->g, hist, i + 1, o->ngram_id, &o->order);
            o->p_ngram = pow(10.0, l10);
        }
        if (i == n || o->rnn_id != RNNLM_UNK) {
            o->p_rnn = exp(lp);
        } else if (o->ngram_id < 0) {
            o->oov = 1;   /* outside both: counted, not scored */
        } else if (o->ngram_id == mx->g_unk || mx->unk == RNNLM_MIX_UNK_WHOLE) {
            o->p_rnn = exp(lp);   /* the word <unk> itself is the whole class */
        } else if (mx->unk == RNNLM_MIX_UNK_SPLIT) {
            o->p_rnn = exp(lp) / (double)(mx->unk_words ? mx->unk_words : 1);
        } else {
            o->p_rnn = o->p_ngram;
        }
        if (i < n) hist[i + 1] = o->ngram_id;
    }
    if (hist != small) free(hist);
    return st;
}

rnnlm_status rnnlm_mix_stream(const rnnlm_mix *mx, const int32_t *x, const int32_t *y, size_t n,
                              const double *rnn_logprob, rnnlm_mix_word *out, rnnlm_err *err) {
    if (!mx || (n && (!x || !y || !rnn_logprob || !out)))
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_mix_stream: NULL argument");
    const size_t V = rnnlm_vocab_size(mx->v);
    for (size_t i = 0; i < n; i++)
        if (x[i] < 0 || (size_t)x[i] >= V || y[i] < 0 || (size_t)y[i] >= V)
            return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_mix_stream: pair %zu (%ld -> %ld) holds an id outside the "
                              "vocabulary's %zu", i, (long)x[i], (long)y[i], V);
    /* each vocabulary id's n-gram id, once: <s> is the n-gram's </s> as a target */
    int32_t *gid = rnnlm_calloc(V ? V : 1, sizeof *gid, "n-gram ids of the vocabulary", err);
    const int ctx_max = rnnlm_ngram_order(mx->g) > 1 ? rnnlm_ngram_order(mx->g) - 1 : 1;
    int32_t *ctx = gid ? rnnlm_calloc((size_t)ctx_max + 1, sizeof *ctx, "n-gram history", err) : NULL;
    if (!ctx) {
        free(gid);
        return RNNLM_E_NOMEM;
    }
    for (size_t i = 0; i < V; i++) {
        const char *w = rnnlm_vocab_word(mx->v, (int32_t)i);
        gid[i] = i == RNNLM_BOS ? mx->g_eos : rnnlm_ngram_lookup(mx->g, w, strlen(w));
    }
    /* the history: the last ctx_max ids of x since its last <s> (the n-gram's <s> first) */
    size_t h = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] == RNNLM_BOS) {
            ctx[0] = mx->g_bos;
            h = 1;
        } else {
            if (h == (size_t)ctx_max) memmove(ctx, ctx + 1, (size_t)(ctx_max - 1) * sizeof *ctx);
            else h++;
            ctx[h - 1] = gid[x[i]];
        }
        rnnlm_mix_word *o = &out[i];
        memset(o, 0, sizeof *o);
        o->rnn_id = y[i];
        o->ngram_id = gid[y[i]];
        o->p_rnn = exp(rnn_logprob[i]);   /* a vocabulary id: the RNN's own (<unk> the whole class) */
        if (o->ngram_id >= 0) o->p_ngram = pow(10.0, rnnlm_ngram_logprob(mx->g, ctx, h, o->ngram_id, &o->order));
    }
    free(ctx);
    free(gid);
    return RNNLM_OK;
}

double rnnlm_mix_log10(const rnnlm_mix_word *w, double lambda) {
    if (!w || w->oov) return NAN;
    double p = lambda * w->p_rnn + (1.0 - lambda) * w->p_ngram;
    return p > 0.0 ? log10(p) : -INFINITY;
}

rnnlm_status rnnlm_mix_em(const rnnlm_mix_word *w, size_t n, double tol, int max_iter, double *lambda,
                          int *iters, rnnlm_err *err) {
    if (!lambda || (n && !w)) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_mix_em: NULL argument");
    if (tol <= 0) tol = 1e-7;
    if (max_iter <= 0) max_iter = 100000;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) m += !w[i].oov && (w[i].p_rnn > 0 || w[i].p_ngram > 0);
    if (!m) return rnnlm_fail(err, RNNLM_E_ARG, "no word that either model scores: nothing to estimate the weight on");
    double L = 0.5;
    int it = 0;
    while (it < max_iter) {
        double post = 0.0;
        for (size_t i = 0; i < n; i++) {
            if (w[i].oov) continue;
            double a = L * w[i].p_rnn, b = (1.0 - L) * w[i].p_ngram;
            if (a + b > 0) post += a / (a + b);
        }
        double next = post / (double)m;
        it++;
        double d = fabs(next - L);
        L = next;
        if (d < tol) break;
    }
    *lambda = L;
    if (iters) *iters = it;
    return RNNLM_OK;
}
