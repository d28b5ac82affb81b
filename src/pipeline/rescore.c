/* rescore.c: scoring n-best lists (rnnlm_nbest_rescore, rnnlm.h): the
 * model's per-word log-probabilities of every hypothesis, by a prefix tree
 * per utterance (or one hypothesis at a time, rnnlm_score_batch), the ARPA
 * model's and their interpolation (rnnlm_mix_*, as `rnnlm score --ngram`
 * scores a sentence), the combined score and the ranking.
 *
 * The prefix tree. An utterance's hypotheses sorted by their word ids put
 * every shared prefix in consecutive rows, so the tree is built without a
 * map: a hypothesis reuses the nodes of its longest common prefix with the
 * one before it and adds one node per remaining word. Node k stands for
 * feeding word[k] after its parent's history; feeding it gives the
 * distribution from which its children's words (and the end, for the
 * hypotheses that stop there) are read. The root feeds <s> from the empty
 * state and is shared by every utterance of a group. Nodes are run depth by
 * depth across a group of utterances: the nodes of one depth, in chunks of
 * `lanes`, are one batched step (infer_step_f32), each row starting from its
 * parent's state kept from the depth before. So a prefix is fed once, and a
 * state is copied only where hypotheses branch (a parent's state is read
 * once per child). A hypothesis's log-probability is then summed word by
 * word in text order, as without sharing, so the two differ only by the
 * fp32 rounding of differently shaped products. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/infer.h"
#include "pipeline/nbest.h"

/* Hypotheses per group of utterances run depth by depth: bounds the states
 * kept (one per node of a depth, at most the group's hypotheses). */
#define GROUP_HYPS 1024
/* Chunks of a depth run padded to a multiple of this many rows. */
#define PAD 16

void rnnlm_rescore_options_default(rnnlm_rescore_options *o) {
    memset(o, 0, sizeof *o);
    o->acoustic_scale = 1.0;
    o->lm_weight = 1.0;
    o->ngram_weight = 0.0;
    o->word_penalty = 0.0;
    o->lambda = -1.0;
    o->ngram_oov_log10 = -10.0;
    o->rnn_unk = RNNLM_MIX_UNK_SPLIT;
    o->lanes = 64;
}

typedef struct {
    const int32_t *ids;
    const size_t *offs;
} seq_ctx;

/* Hypotheses by their id sequences (a prefix first), then by index. */
static int by_sequence(const void *a, const void *b, void *ctx) {
    const seq_ctx *c = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    size_t ni = c->offs[i + 1] - c->offs[i], nj = c->offs[j + 1] - c->offs[j], n = ni < nj ? ni : nj;
    const int32_t *x = c->ids + c->offs[i], *y = c->ids + c->offs[j];
    for (size_t k = 0; k < n; k++)
        if (x[k] != y[k]) return x[k] < y[k] ? -1 : 1;
    if (ni != nj) return ni < nj ? -1 : 1;
    return i < j ? -1 : i > j;
}

typedef struct {
    /* nodes of a group */
    size_t *parent, *depth, *lidx, *child0, *child, *end0, *endh, *by_level, *level0;
    int32_t *word;
    double *lp;
    size_t n_nodes, cap_nodes;
    size_t max_depth;   /* the longest hypothesis's words */
    /* per word of the group: its node; per hypothesis: its last node, its end's log-probability */
    size_t *node_of, *last;
    double *end_lp;
    size_t *sorted;
} trie;

static void trie_free(trie *t) {
    free(t->parent); free(t->depth); free(t->lidx); free(t->child0); free(t->child); free(t->end0);
    free(t->endh); free(t->by_level); free(t->level0); free(t->word); free(t->lp); free(t->node_of);
    free(t->last); free(t->end_lp); free(t->sorted);
}

/* The arrays of a tree of at most max_nodes nodes over nh hypotheses of nw
 * words. */
static rnnlm_status trie_alloc(trie *t, size_t max_nodes, size_t nh, size_t nw, rnnlm_err *err) {
    memset(t, 0, sizeof *t);
    if (!(t->parent = rnnlm_calloc(max_nodes, sizeof(size_t), "prefix tree", err)) ||
        !(t->depth = rnnlm_calloc(max_nodes, sizeof(size_t), "prefix tree", err)) ||
        !(t->lidx = rnnlm_calloc(max_nodes, sizeof(size_t), "prefix tree", err)) ||
        !(t->child0 = rnnlm_calloc(max_nodes + 1, sizeof(size_t), "prefix tree", err)) ||
        !(t->child = rnnlm_calloc(max_nodes, sizeof(size_t), "prefix tree", err)) ||
        !(t->end0 = rnnlm_calloc(max_nodes + 1, sizeof(size_t), "prefix tree", err)) ||
        !(t->endh = rnnlm_calloc(nh, sizeof(size_t), "prefix tree", err)) ||
        !(t->by_level = rnnlm_calloc(max_nodes, sizeof(size_t), "prefix tree", err)) ||
        !(t->level0 = rnnlm_calloc(max_nodes + 2, sizeof(size_t), "prefix tree", err)) ||
        !(t->word = rnnlm_calloc(max_nodes, sizeof(int32_t), "prefix tree", err)) ||
        !(t->lp = rnnlm_calloc(max_nodes, sizeof(double), "prefix tree", err)) ||
        !(t->node_of = rnnlm_calloc(nw ? nw : 1, sizeof(size_t), "prefix tree", err)) ||
        !(t->last = rnnlm_calloc(nh, sizeof(size_t), "prefix tree", err)) ||
        !(t->end_lp = rnnlm_calloc(nh, sizeof(double), "prefix tree", err)) ||
        !(t->sorted = rnnlm_calloc(nh, sizeof(size_t), "prefix tree", err)))
        return RNNLM_E_NOMEM;
    return RNNLM_OK;
}

/* The tree's nodes: node 0 the root (<s>), then per utterance its sorted
 * hypotheses, each reusing its longest common prefix with the one before. */
static void trie_build(trie *t, const int32_t *ids, const size_t *offs, const nbest_utt *utt, size_t u0,
                         size_t u1) {
    const size_t h0 = utt[u0].first, w0 = offs[h0];
    t->word[0] = RNNLM_BOS;
    t->n_nodes = 1;
    t->max_depth = 0;
    for (size_t u = u0; u < u1; u++) {
        size_t *srt = t->sorted + (utt[u].first - h0);
        for (size_t k = 0; k < utt[u].n; k++) srt[k] = utt[u].first + k;
        seq_ctx c = {ids, offs};
        qsort_r(srt, utt[u].n, sizeof *srt, by_sequence, &c);
        for (size_t k = 0; k < utt[u].n; k++) {
            size_t h = srt[k], n = offs[h + 1] - offs[h], lcp = 0;
            const int32_t *s = ids + offs[h];
            if (k > 0) {
                size_t g = srt[k - 1], m = offs[g + 1] - offs[g];
                const int32_t *r = ids + offs[g];
                while (lcp < n && lcp < m && s[lcp] == r[lcp]) lcp++;
                for (size_t j = 0; j < lcp; j++) t->node_of[offs[h] - w0 + j] = t->node_of[offs[g] - w0 + j];
            }
            for (size_t j = lcp; j < n; j++) {
                size_t nd = t->n_nodes++;
                t->parent[nd] = j == 0 ? 0 : t->node_of[offs[h] - w0 + j - 1];
                t->word[nd] = s[j];
                t->depth[nd] = j + 1;
                t->node_of[offs[h] - w0 + j] = nd;
            }
            t->last[h - h0] = n == 0 ? 0 : t->node_of[offs[h] - w0 + n - 1];
            if (n > t->max_depth) t->max_depth = n;
        }
    }
}

/* The tree's indexes: nodes by depth and each node's index within its depth
 * (*widest: the most nodes of one depth); children and hypothesis ends by
 * node. */
static rnnlm_status trie_index(trie *t, size_t nh, size_t *widest, rnnlm_err *err) {
    const size_t max_depth = t->max_depth;
    for (size_t k = 0; k < t->n_nodes; k++) t->level0[t->depth[k] + 1]++;
    for (size_t d = 0; d <= max_depth; d++) t->level0[d + 1] += t->level0[d];
    *widest = 0;
    for (size_t d = 0; d <= max_depth; d++)
        if (t->level0[d + 1] - t->level0[d] > *widest) *widest = t->level0[d + 1] - t->level0[d];
    {
        size_t *fill = t->child;   /* borrowed as per-depth counters (max_depth + 1 <= max_nodes) */
        memset(fill, 0, (max_depth + 1) * sizeof *fill);
        for (size_t k = 0; k < t->n_nodes; k++) {
            size_t d = t->depth[k];
            t->lidx[k] = fill[d]++;
            t->by_level[t->level0[d] + t->lidx[k]] = k;
        }
    }
    for (size_t k = 1; k < t->n_nodes; k++) t->child0[t->parent[k] + 1]++;
    for (size_t k = 0; k < t->n_nodes; k++) t->child0[k + 1] += t->child0[k];
    /* children: a counting pass with a cursor per parent (child0 copied into end0 as the cursor) */
    memcpy(t->end0, t->child0, (t->n_nodes + 1) * sizeof *t->end0);
    for (size_t k = 1; k < t->n_nodes; k++) t->child[t->end0[t->parent[k]]++] = k;
    memset(t->end0, 0, (t->n_nodes + 1) * sizeof *t->end0);
    for (size_t h = 0; h < nh; h++) t->end0[t->last[h] + 1]++;
    for (size_t k = 0; k < t->n_nodes; k++) t->end0[k + 1] += t->end0[k];
    size_t *cursor = rnnlm_calloc(t->n_nodes, sizeof *cursor, "prefix tree", err);
    if (!cursor) return RNNLM_E_NOMEM;
    for (size_t h = 0; h < nh; h++) t->endh[t->end0[t->last[h]] + cursor[t->last[h]]++] = h;
    free(cursor);
    return RNNLM_OK;
}

/* What the steps of a tree run on: the shape, the batched step's workspace
 * (fl: states, logits, the step's own), and the states of the depth before
 * (prev) and of this depth (cur), a row per node of a depth. */
typedef struct {
    const model_weights *w;
    int B, V, H, L;
    size_t LH, S;          /* L * H; a row's state: LH, or 2 LH with an LSTM's cells */
    int lstm;
    float *fl, *prev, *cur;
    double *lse;
    int32_t *x;
    size_t *rows;
} trie_steps;

static rnnlm_status trie_steps_alloc(trie_steps *r, const model_weights *w, int lanes, size_t widest,
                                     rnnlm_err *err) {
    memset(r, 0, sizeof *r);
    r->w = w;
    r->B = lanes;
    r->V = w->lay->V;
    r->H = w->lay->H;
    r->L = w->lay->L;
    r->lstm = w->lay->kind->has_c;
    r->LH = (size_t)r->L * (size_t)r->H;
    r->S = r->LH * (r->lstm ? 2 : 1);
    size_t nf = r->S * (size_t)r->B + (size_t)r->B * (size_t)r->V + infer_workspace_f32(w, r->B);
    if (!(r->fl = rnnlm_calloc(nf, sizeof(float), "scoring workspace", err)) ||
        !(r->prev = rnnlm_calloc(widest * r->S, sizeof(float), "prefix states", err)) ||
        !(r->cur = rnnlm_calloc(widest * r->S, sizeof(float), "prefix states", err)) ||
        !(r->lse = rnnlm_calloc((size_t)r->B, sizeof(double), "scoring workspace", err)) ||
        !(r->x = rnnlm_calloc((size_t)r->B, sizeof(int32_t), "scoring workspace", err)) ||
        !(r->rows = rnnlm_calloc((size_t)r->B, sizeof(size_t), "scoring workspace", err)))
        return RNNLM_E_NOMEM;
    return RNNLM_OK;
}

static void trie_steps_free(trie_steps *r) {
    free(r->fl); free(r->prev); free(r->cur); free(r->lse); free(r->x); free(r->rows);
}

/* One batched step: the nodes by_level[c0 .. c0 + R) of depth d, each row
 * starting from its parent's state (the root's from zeros), padded to RP
 * rows; keeps the state of each node that has children and reads its
 * children's and its ends' log-probabilities. */
static void trie_chunk(trie *t, trie_steps *r, size_t d, size_t c0, int R, int RP) {
    const int L = r->L, H = r->H, V = r->V;
    const size_t LH = r->LH, S = r->S;
    float *h = r->fl, *cc = r->lstm ? h + LH * (size_t)RP : NULL, *logits = r->fl + S * (size_t)r->B;
    float *ws = logits + (size_t)r->B * (size_t)V;
    int32_t *x = r->x;
    size_t *rows = r->rows;
    const double *lse = r->lse;
    for (int b = R; b < RP; b++) {
        x[b] = RNNLM_BOS;
        for (int l = 0; l < L; l++) {
            memset(h + ((size_t)l * RP + b) * H, 0, (size_t)H * sizeof(float));
            if (cc) memset(cc + ((size_t)l * RP + b) * H, 0, (size_t)H * sizeof(float));
        }
    }
    for (int b = 0; b < R; b++) {
        size_t k = t->by_level[c0 + (size_t)b];
        rows[b] = k;
        x[b] = t->word[k];
        const float *ps = d == 0 ? NULL : r->prev + t->lidx[t->parent[k]] * S;
        for (int l = 0; l < L; l++) {
            float *dh = h + ((size_t)l * RP + b) * H;
            if (ps) memcpy(dh, ps + (size_t)l * H, (size_t)H * sizeof(float));
            else memset(dh, 0, (size_t)H * sizeof(float));
            if (cc) {
                float *dc = cc + ((size_t)l * RP + b) * H;
                if (ps) memcpy(dc, ps + LH + (size_t)l * H, (size_t)H * sizeof(float));
                else memset(dc, 0, (size_t)H * sizeof(float));
            }
        }
    }
    infer_step_f32(r->w, x, RP, h, cc, ws, logits, r->lse);
    for (int b = 0; b < R; b++) {
        size_t k = rows[b];
        const float *row = logits + (size_t)b * V;
        if (t->child0[k + 1] > t->child0[k]) {
            float *ds = r->cur + t->lidx[k] * S;
            for (int l = 0; l < L; l++) {
                memcpy(ds + (size_t)l * H, h + ((size_t)l * RP + b) * H, (size_t)H * sizeof(float));
                if (cc) memcpy(ds + LH + (size_t)l * H, cc + ((size_t)l * RP + b) * H, (size_t)H * sizeof(float));
            }
        }
        for (size_t q = t->child0[k]; q < t->child0[k + 1]; q++)
            t->lp[t->child[q]] = (double)row[t->word[t->child[q]]] - lse[b];
        for (size_t q = t->end0[k]; q < t->end0[k + 1]; q++)
            t->end_lp[t->endh[q]] = (double)row[RNNLM_BOS] - lse[b];
    }
}

/* The steps, depth by depth, in chunks of B nodes. */
static void trie_run(trie *t, trie_steps *r, size_t *steps) {
    const size_t B = (size_t)r->B;
    for (size_t d = 0; d <= t->max_depth; d++) {
        size_t a = t->level0[d], e = t->level0[d + 1];
        for (size_t c0 = a; c0 < e; c0 += B) {
            int R = (int)(e - c0 < B ? e - c0 : B);
            /* a short chunk runs padded to a multiple of PAD rows (blank rows,
             * read by no one): the products then take a few shapes, whose
             * prepared kernels stay cached, rather than one per width */
            int RP = (R + PAD - 1) / PAD * PAD;
            if (RP > r->B) RP = r->B;
            trie_chunk(t, r, d, c0, R, RP);
            *steps += (size_t)R;
        }
        float *sw = r->prev;
        r->prev = r->cur;
        r->cur = sw;
    }
}

/* Scores hypotheses [h0, h1) (whole utterances) through their prefix tree;
 * lp as rnnlm_score_batch's per_word. */
static rnnlm_status trie_group(const model_weights *w, const int32_t *ids, const size_t *offs, const nbest_utt *utt,
                               size_t u0, size_t u1, int lanes, double *lp, size_t *steps, rnnlm_err *err) {
    const size_t h0 = utt[u0].first, h1 = utt[u1 - 1].first + utt[u1 - 1].n, nh = h1 - h0;
    const size_t w0 = offs[h0], nw = offs[h1] - w0;
    trie t;
    trie_steps r;
    memset(&r, 0, sizeof r);
    size_t widest = 0;
    rnnlm_status st = trie_alloc(&t, nw + 1, nh, nw, err);
    if (!st) {
        trie_build(&t, ids, offs, utt, u0, u1);
        st = trie_index(&t, nh, &widest, err);
    }
    if (!st) st = trie_steps_alloc(&r, w, lanes, widest, err);
    if (!st) {
        trie_run(&t, &r, steps);
        for (size_t h = h0; h < h1; h++) {
            size_t n = offs[h + 1] - offs[h];
            double *o = lp + offs[h] + h;
            for (size_t j = 0; j < n; j++) o[j] = t.lp[t.node_of[offs[h] - w0 + j]];
            o[n] = t.end_lp[h - h0];
        }
    }
    trie_free(&t);
    trie_steps_free(&r);
    return st;
}

static rnnlm_status trie_score(const rnnlm_model *m, const rnnlm_nbest *nb, const int32_t *ids, const size_t *offs,
                               int lanes, double *lp, size_t *steps, rnnlm_err *err) {
    const model_weights *w = infer_weights(m);
    for (size_t u0 = 0; u0 < nb->n_utt;) {
        size_t u1 = u0, hyps = 0;
        while (u1 < nb->n_utt && (u1 == u0 || hyps + nb->utt[u1].n <= GROUP_HYPS)) hyps += nb->utt[u1++].n;
        rnnlm_status st = trie_group(w, ids, offs, nb->utt, u0, u1, lanes, lp, steps, err);
        if (st) return st;
        u0 = u1;
    }
    return RNNLM_OK;
}

static int by_total_desc(const void *a, const void *b, void *ctx) {
    const rnnlm_nbest_hyp *hyp = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (hyp[i].total != hyp[j].total) return hyp[i].total > hyp[j].total ? -1 : 1;
    return i < j ? -1 : i > j;
}

/* The options' own rules (the weights finite, lambda in [0, 1] or -1, the
 * OOV probability) and what they need: the model for the LM term or the
 * n-gram's words, the n-gram for interpolation. */
static rnnlm_status rescore_check(const rnnlm_rescore_options *o, const rnnlm_model *m, const rnnlm_ngram *g,
                                  rnnlm_err *err) {
    if (!isfinite(o->acoustic_scale) || !isfinite(o->lm_weight) || !isfinite(o->ngram_weight) ||
        !isfinite(o->word_penalty))
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_rescore: a weight is not finite");
    if (o->lambda != -1.0 && !(o->lambda >= 0.0 && o->lambda <= 1.0))
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_rescore: lambda %g is outside [0, 1] (or -1: none)",
                          o->lambda);
    if (!isfinite(o->ngram_oov_log10) || o->ngram_oov_log10 > 0)
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_rescore: the OOV log10 probability must be finite and <= 0");
    const int mixed = o->lambda >= 0.0, need_rnn = mixed || o->lm_weight != 0.0;
    if ((need_rnn || g) && !m)
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_rescore: the model is needed and NULL");
    if (mixed && !g)
        return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_rescore: interpolation (lambda) needs an ARPA model");
    return RNNLM_OK;
}

/* The model's per-word log-probabilities of every hypothesis into rlp
 * (rnnlm_score_batch's per_word layout over offs), its word ids into mid:
 * one hypothesis at a time, batched without sharing, or by prefix tree, as
 * o->no_prefix_sharing says. *steps: the recurrent steps run. */
static rnnlm_status model_scores(const rnnlm_nbest *nb, const rnnlm_model *m, const rnnlm_rescore_options *o,
                                 const size_t *offs, int32_t *mid, double *rlp, size_t *steps, rnnlm_err *err) {
    const size_t nh = nb->n_hyp, nwd = nb->words.n;
    const int lanes = o->lanes > 0 ? o->lanes : 64;
    const rnnlm_vocab *v = rnnlm_model_vocab(m);
    int32_t *mword = rnnlm_calloc(nwd ? nwd : 1, sizeof *mword, "word ids", err);
    if (!mword) return RNNLM_E_NOMEM;
    for (size_t k = 0; k < nwd; k++)
        mword[k] = rnnlm_vocab_lookup(v, strtab_str(&nb->words, (uint32_t)k), strtab_len(&nb->words, (uint32_t)k));
    for (size_t i = 0; i < nb->n_wid; i++) mid[i] = mword[nb->wid[i]];
    free(mword);
    rnnlm_status st = RNNLM_OK;
    *steps = 0;
    if (o->no_prefix_sharing == 2) {
        /* one hypothesis at a time on one state: the plain way */
        rnnlm_state *one = NULL;
        rnnlm_sentence_score sc;
        if ((st = rnnlm_state_create(&one, m, err))) return st;
        for (size_t h = 0; h < nh && !st; h++)
            st = rnnlm_score_ids(one, mid + offs[h], offs[h + 1] - offs[h], &sc, rlp + offs[h] + h, err);
        rnnlm_state_free(one);
        if (!st) *steps = nb->n_wid + nh;
    } else if (o->no_prefix_sharing) {
        rnnlm_sentence_score *scores = rnnlm_calloc(nh, sizeof *scores, "scores", err);
        if (!scores) return RNNLM_E_NOMEM;
        st = rnnlm_score_batch(m, mid, offs, nh, lanes, scores, rlp, err);
        free(scores);
        if (!st) *steps = nb->n_wid + nh;
    } else {
        st = trie_score(m, nb, mid, offs, lanes, rlp, steps, err);
    }
    return st;
}

/* What scoring one hypothesis reads: the options, which terms apply, and
 * the n-gram's mixture with its buffers (mx NULL without an n-gram). */
typedef struct {
    const rnnlm_rescore_options *o;
    int mixed, need_rnn;
    const rnnlm_mix *mx;
    rnnlm_mix_word *mw;   /* [longest + 1] */
    const double *zeros;  /* [longest + 1], standing for the model's scores when it is not run */
    double oov_ln;        /* the OOV probability, natural log */
} hyp_scorer;

/* A hypothesis's terms and total: r its model log-probabilities (words and
 * end; NULL when the model is not run), mid its model word ids. */
static rnnlm_status score_hyp(const hyp_scorer *hs, rnnlm_nbest_hyp *hp, const double *r, const int32_t *mid,
                              rnnlm_err *err) {
    const rnnlm_rescore_options *o = hs->o;
    size_t n = hp->n;
    hp->rnn = hp->ngram = hp->mix = 0.0;
    hp->rnn_oovs = hp->ngram_oovs = 0;
    if (r) {
        for (size_t i = 0; i <= n; i++) hp->rnn += r[i];
        for (size_t i = 0; i < n; i++) hp->rnn_oovs += mid[i] == RNNLM_UNK;
    }
    if (hs->mx) {
        rnnlm_mix_word *mw = hs->mw;
        rnnlm_status st = rnnlm_mix_sentence(hs->mx, hp->words, n, r ? r : hs->zeros, mw, err);
        if (st) return st;
        for (size_t i = 0; i <= n; i++) {
            int none = mw[i].oov || !(mw[i].p_ngram > 0);
            hp->ngram_oovs += i < n && none;
            hp->ngram += none ? hs->oov_ln : log(mw[i].p_ngram);
            if (hs->mixed) {
                double l10 = rnnlm_mix_log10(&mw[i], o->lambda);
                hp->mix += isfinite(l10) ? l10 * M_LN10 : hs->oov_ln;
            }
        }
    }
    double lm = hs->mixed ? hp->mix : hs->need_rnn ? hp->rnn : 0.0;
    double ng = hs->mx && !hs->mixed ? hp->ngram : hp->has_lm ? hp->lm : 0.0;
    hp->total = o->acoustic_scale * hp->acoustic + (hs->need_rnn ? o->lm_weight * lm : 0.0) +
                o->ngram_weight * ng + o->word_penalty * (double)n;
    return RNNLM_OK;
}

/* Each utterance's hypotheses ranked by total, best first (order: room for
 * the largest utterance's). */
static void rank_hyps(rnnlm_nbest *nb, size_t *order) {
    for (size_t u = 0; u < nb->n_utt; u++) {
        size_t f = nb->utt[u].first, k = nb->utt[u].n;
        for (size_t i = 0; i < k; i++) order[i] = f + i;
        qsort_r(order, k, sizeof *order, by_total_desc, nb->hyp);
        for (size_t i = 0; i < k; i++) nb->hyp[order[i]].rank = i + 1;
        nb->best[u] = order[0];
    }
}

rnnlm_status rnnlm_nbest_rescore(rnnlm_nbest *nb, const rnnlm_model *m, const rnnlm_ngram *g,
                                 const rnnlm_rescore_options *o, rnnlm_rescore_stats *stats, rnnlm_err *err) {
    if (!nb || !o) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_rescore: NULL argument");
    rnnlm_status st = rescore_check(o, m, g, err);
    if (st) return st;
    const int mixed = o->lambda >= 0.0, need_rnn = mixed || o->lm_weight != 0.0;
    const size_t nh = nb->n_hyp;
    st = RNNLM_E_NOMEM;
    size_t *offs = NULL, *order = NULL;
    int32_t *mid = NULL;
    double *rlp = NULL, *zeros = NULL;
    rnnlm_mix *mx = NULL;
    rnnlm_mix_word *mw = NULL;
    size_t total_lp, longest = 0, steps = 0;
    if (!size_add(nb->n_wid, nh, &total_lp)) return rnnlm_fail(err, RNNLM_E_NOMEM, "n-best: too many words");
    if (!(offs = rnnlm_calloc(nh + 1, sizeof *offs, "offsets", err)) ||
        !(order = rnnlm_calloc(nh, sizeof *order, "ranking", err)))
        goto done;
    for (size_t h = 0; h < nh; h++) {
        offs[h] = nb->hyp_word0[h];
        if (nb->hyp[h].n > longest) longest = nb->hyp[h].n;
    }
    offs[nh] = nb->n_wid;
    if (need_rnn) {
        if (!(mid = rnnlm_calloc(nb->n_wid ? nb->n_wid : 1, sizeof *mid, "word ids", err)) ||
            !(rlp = rnnlm_calloc(total_lp, sizeof *rlp, "word scores", err)))
            goto done;
        if ((st = model_scores(nb, m, o, offs, mid, rlp, &steps, err))) goto done;
    }
    if (stats) stats->steps = steps;
    if (g) {
        /* the n-gram's side through the mixture's rules; without the model's
         * scores, zeros stand in for them (only p_ngram is read then) */
        if ((st = rnnlm_mix_create(&mx, rnnlm_model_vocab(m), g, o->rnn_unk, o->mix_flags, err))) goto done;
        st = RNNLM_E_NOMEM;
        if (!(mw = rnnlm_calloc(longest + 1, sizeof *mw, "mixture words", err)) ||
            (!rlp && !(zeros = rnnlm_calloc(longest + 1, sizeof *zeros, "word scores", err))))
            goto done;
    }
    hyp_scorer hs = {o, mixed, need_rnn, mx, mw, zeros, o->ngram_oov_log10 * M_LN10};
    for (size_t h = 0; h < nh; h++)
        if ((st = score_hyp(&hs, &nb->hyp[h], rlp ? rlp + offs[h] + h : NULL, mid ? mid + offs[h] : NULL, err)))
            goto done;
    rank_hyps(nb, order);
    if (stats) {
        stats->hypotheses = nh;
        stats->words = nb->n_wid;
    }
    st = RNNLM_OK;
done:
    free(offs); free(order); free(mid); free(rlp); free(zeros); free(mw);
    rnnlm_mix_free(mx);
    return st;
}
