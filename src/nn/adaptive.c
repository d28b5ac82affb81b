/* nn/adaptive.c: the adaptive softmax head (adaptive.h): its layout, the
 * cross-entropy of a batch with its gradients, and the log-probabilities of
 * inference. Every product and softmax row goes through the backend
 * (gemm, softmax_xent, logits_lse, gather_rows, scatter_rows).
 *
 * Training sorts the batch's positions by class (head words, then cluster 1,
 * 2, ...), so that each cluster's rows are one contiguous block of one
 * product; the head's softmax runs over every position. */
#include "nn/adaptive.h"
#include "nn/net_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* The class of word t: 0 for a head word, else its cluster k in 1..n. */
static int word_class(const ada_layout *a, int t) {
    int k = 0;
    while (t >= a->cut[k]) k++;
    return k;
}

#ifndef NN_F64
rnnlm_status ada_layout_init(ada_layout *a, int V, int H, const int *cutoffs, int n, int div,
                             rnnlm_err *err) {
    memset(a, 0, sizeof *a);
    if (n < 1 || n > ADA_MAX_CLUSTERS)
        return rnnlm_fail(err, RNNLM_E_ARG, "`adaptive_cutoffs`: %d cutoffs, need 1 to %d", n,
                          ADA_MAX_CLUSTERS);
    if (div < 1) return rnnlm_fail(err, RNNLM_E_ARG, "`adaptive_div` %d: must be >= 1", div);
    if (H < 1 || V < 2) return rnnlm_fail(err, RNNLM_E_ARG, "adaptive softmax: V=%d H=%d", V, H);
    for (int k = 0; k < n; k++) {
        int lo = k ? cutoffs[k - 1] : 0;
        if (cutoffs[k] <= lo || cutoffs[k] >= V)
            return rnnlm_fail(err, RNNLM_E_ARG,
                              "`adaptive_cutoffs`: cutoff %d (%d) must be above %d and below the "
                              "vocabulary's size %d (strictly increasing)",
                              k + 1, cutoffs[k], lo, V);
        a->cut[k] = cutoffs[k];
    }
    a->V = V;
    a->H = H;
    a->div = div;
    a->n = n;
    a->cut[n] = V;
    a->hs = a->cut[0] + n;
    a->maxw = a->hs;
    size_t at = 0;
    a->head_w = at;
    at += (size_t)H * (size_t)a->hs;
    a->head_b = at;
    at += (size_t)a->hs;
    long dk = H;
    for (int k = 1; k <= n; k++) {
        dk /= div;
        a->d[k] = dk < 1 ? 1 : (int)dk;
        int s = a->cut[k] - a->cut[k - 1];
        if (s > a->maxw) a->maxw = s;
        if (a->d[k] > a->maxd) a->maxd = a->d[k];
        a->proj[k] = at;
        at += (size_t)H * (size_t)a->d[k];
        a->w[k] = at;
        at += (size_t)a->d[k] * (size_t)s;
        a->b[k] = at;
        at += (size_t)s;
    }
    a->n_params = at;
    return RNNLM_OK;
}

rnnlm_status ada_parse_cutoffs(const char *s, int *cut, int *n, rnnlm_err *err) {
    *n = 0;
    const char *p = s ? s : "";
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > 1000000000 || (*end && *end != ','))
            return rnnlm_fail(err, RNNLM_E_ARG,
                              "`adaptive_cutoffs` \"%s\": need positive integers separated by "
                              "commas, such as \"2000,10000\"", s ? s : "");
        if (*n == ADA_MAX_CLUSTERS)
            return rnnlm_fail(err, RNNLM_E_ARG, "`adaptive_cutoffs` \"%s\": more than %d cutoffs",
                              s, ADA_MAX_CLUSTERS);
        cut[(*n)++] = (int)v;
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p)
            return rnnlm_fail(err, RNNLM_E_ARG, "`adaptive_cutoffs` \"%s\": ends with a comma", s);
    }
    if (*n == 0) return rnnlm_fail(err, RNNLM_E_ARG, "`adaptive_cutoffs`: empty list");
    return RNNLM_OK;
}

void ada_tensor(const ada_layout *a, int i, char *name, size_t size, int *ndim, int shape[2],
                size_t *offset, size_t *count) {
    if (i < 2) {
        snprintf(name, size, "adaptive.head.%s", i == 0 ? "kernel" : "bias");
        *ndim = i == 0 ? 2 : 1;
        shape[0] = i == 0 ? a->H : a->hs;
        shape[1] = i == 0 ? a->hs : 0;
        *offset = i == 0 ? a->head_w : a->head_b;
        *count = (size_t)a->hs * (size_t)(i == 0 ? a->H : 1);
        return;
    }
    int k = (i - 2) / 3 + 1, part = (i - 2) % 3, s = a->cut[k] - a->cut[k - 1];
    static const char *const parts[3] = {"proj", "kernel", "bias"};
    snprintf(name, size, "adaptive.tail.%d.%s", k, parts[part]);
    *ndim = part == 2 ? 1 : 2;
    shape[0] = part == 0 ? a->H : part == 1 ? a->d[k] : s;
    shape[1] = part == 0 ? a->d[k] : part == 1 ? s : 0;
    *offset = part == 0 ? a->proj[k] : part == 1 ? a->w[k] : a->b[k];
    *count = (size_t)shape[0] * (size_t)(part == 2 ? 1 : shape[1]);
}

size_t ada_infer_bytes(const ada_layout *a, int B) {
    nn_carver cv = {NULL, 0, 0};
    size_t b = (size_t)B;
    carve_take(&cv, b, (size_t)a->hs, 1, sizeof(double));     /* head logits */
    carve_take(&cv, b, (size_t)a->H, 1, sizeof(double));      /* gathered rows */
    carve_take(&cv, b, (size_t)a->maxd, 1, sizeof(double));   /* projections */
    carve_take(&cv, b, (size_t)a->maxw, 1, sizeof(double));   /* cluster logits */
    carve_take(&cv, (size_t)a->maxw, 1, 1, sizeof(double));   /* logits_lse's scratch */
    carve_take(&cv, b, 2, 1, sizeof(double));                 /* two lse per row */
    carve_take(&cv, b, 1, 1, sizeof(int32_t));                /* lanes of a cluster */
    return cv.overflow ? 0 : cv.off;
}
#endif

typedef NN_SFX(ada_ws_f32, ada_ws_f64) ada_ws;

struct NN_SFX(ada_ws_f32, ada_ws_f64) {
    int N, chunk;
    int start[ADA_MAX_CLUSTERS + 2];   /* rows of class c: [start[c], start[c + 1]) of the sorted order */
    int32_t *perm;                     /* (N) the position of each sorted row */
    int32_t *ht, *ct;                  /* (N) the head's class and the cluster's word of each row */
    int32_t *hc;                       /* (N) 1 when the head's arg-max was the row's class */
    real *Yp, *dYp;                    /* (N, H) the rows sorted, their gradient */
    real *lg;                          /* (chunk, maxw) logits of one slice */
    real *P, *dP;                      /* (chunk, maxd) a slice's projection, its gradient */
    void *mem;
};

static void carve_ws(ada_ws *ws, nn_carver *cv, const ada_layout *a, size_t N, size_t chunk) {
    ws->perm = carve_take(cv, N, 1, 1, sizeof(int32_t));
    ws->ht = carve_take(cv, N, 1, 1, sizeof(int32_t));
    ws->ct = carve_take(cv, N, 1, 1, sizeof(int32_t));
    ws->hc = carve_take(cv, N, 1, 1, sizeof(int32_t));
    ws->Yp = carve_take(cv, N, (size_t)a->H, 1, sizeof(real));
    ws->dYp = carve_take(cv, N, (size_t)a->H, 1, sizeof(real));
    ws->lg = carve_take(cv, chunk, (size_t)a->maxw, 1, sizeof(real));
    ws->P = carve_take(cv, chunk, (size_t)a->maxd, 1, sizeof(real));
    ws->dP = carve_take(cv, chunk, (size_t)a->maxd, 1, sizeof(real));
}

rnnlm_status NN_SFX(ada_reserve_f32, ada_reserve_f64)(ada_ws **out, const ada_layout *a, int N,
                                                      int chunk, const nn_compute *cc,
                                                      rnnlm_err *err) {
    *out = NULL;
    if (N < 1 || chunk < 1)
        return rnnlm_fail(err, RNNLM_E_ARG, "adaptive softmax: N=%d chunk=%d", N, chunk);
    ada_ws *ws = rnnlm_calloc(1, sizeof *ws, "adaptive softmax", err);
    if (!ws) return err ? err->status : RNNLM_E_NOMEM;
    nn_carver cv = {NULL, 0, 0};
    carve_ws(ws, &cv, a, (size_t)N, (size_t)chunk);
    ws->mem = cv.overflow ? NULL : backend_of(cc)->alloc(cv.off);
    if (!ws->mem) {
        free(ws);
        return rnnlm_fail(err, RNNLM_E_NOMEM, "adaptive softmax workspace for %d positions", N);
    }
    cv = (nn_carver){ws->mem, 0, 0};
    carve_ws(ws, &cv, a, (size_t)N, (size_t)chunk);
    ws->N = N;
    ws->chunk = chunk;
    *out = ws;
    return RNNLM_OK;
}

void NN_SFX(ada_free_f32, ada_free_f64)(ada_ws *ws, const nn_compute *cc) {
    if (!ws) return;
    backend_of(cc)->release(ws->mem);
    free(ws);
}

/* Counting sort of the N positions by class; each row's head class and
 * word within its cluster. */
static void sort_rows(ada_ws *ws, const ada_layout *a, const int32_t *tgt, int N) {
    int cnt[ADA_MAX_CLUSTERS + 2] = {0};
    for (int p = 0; p < N; p++) cnt[word_class(a, tgt[p])]++;
    ws->start[0] = 0;
    for (int c = 0; c <= a->n; c++) ws->start[c + 1] = ws->start[c] + cnt[c];
    int at[ADA_MAX_CLUSTERS + 1];
    memcpy(at, ws->start, sizeof at);
    for (int p = 0; p < N; p++) {
        int t = tgt[p], c = word_class(a, t), i = at[c]++;
        ws->perm[i] = p;
        ws->ht[i] = c == 0 ? t : a->cut[0] + c - 1;
        ws->ct[i] = c == 0 ? 0 : t - a->cut[c - 1];
    }
}

/* The head's softmax over every sorted row, in slices: the head words' rows
 * as one block, each tail row alone (its arg-max hit kept in hc); with
 * train, the head's gradients ADDED and dYp written. */
static void head_pass(ada_ws *ws, const ada_layout *a, const real *w, real *g,
                      const nn_compute *cc, int N, int train, double inv_n, double *loss,
                      int64_t *correct) {
    const int H = a->H, hs = a->hs;
    const real *Wh = w + a->head_w, *bh = w + a->head_b;
    real *gb = train ? g + a->head_b : NULL;
    for (int r0 = 0; r0 < N; r0 += ws->chunk) {
        int r1 = r0 + ws->chunk < N ? r0 + ws->chunk : N, nc = r1 - r0;
        const real *Yc = ws->Yp + (size_t)r0 * H;
        /* lg (nc, hs) = Y (nc, H) @ W_head (H, hs) */
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, nc, hs, H, 1, Yc, H, Wh, hs, 0, ws->lg, hs);
        int e0 = r1 < ws->start[1] ? r1 : ws->start[1];
        if (e0 > r0)
            nn_k(cc)->softmax_xent(ws->lg, ws->ht + r0, bh, gb, hs, e0 - r0, train, inv_n, loss,
                                   correct, NULL);
        for (int i = e0 > r0 ? e0 : r0; i < r1; i++) {
            int64_t hit = 0;
            nn_k(cc)->softmax_xent(ws->lg + (size_t)(i - r0) * hs, ws->ht + i, bh, gb, hs, 1,
                                   train, inv_n, loss, &hit, NULL);
            ws->hc[i] = (int32_t)hit;
        }
        if (!train) continue;
        /* g_W_head (H, hs) += Y^T (H, nc) @ dlg (nc, hs); dY (nc, H) = dlg @ W_head^T */
        compute_gemm(cc, NN_TRANS, NN_NOTRANS, H, hs, nc, 1, Yc, H, ws->lg, hs, 1, g + a->head_w, hs);
        compute_gemm(cc, NN_NOTRANS, NN_TRANS, nc, H, hs, 1, ws->lg, hs, Wh, hs, 0,
                     ws->dYp + (size_t)r0 * H, H);
    }
}

/* Cluster k's softmax over its sorted rows, in slices; with train its
 * gradients ADDED and its part of dYp added. */
static void cluster_pass(ada_ws *ws, const ada_layout *a, int k, const real *w, real *g,
                         const nn_compute *cc, int train, double inv_n, double *loss,
                         int64_t *correct) {
    const int H = a->H, d = a->d[k], s = a->cut[k] - a->cut[k - 1];
    const real *Pk = w + a->proj[k], *Wk = w + a->w[k], *bk = w + a->b[k];
    real *gb = train ? g + a->b[k] : NULL;
    for (int r0 = ws->start[k]; r0 < ws->start[k + 1]; r0 += ws->chunk) {
        int r1 = r0 + ws->chunk < ws->start[k + 1] ? r0 + ws->chunk : ws->start[k + 1];
        int nc = r1 - r0;
        const real *Yc = ws->Yp + (size_t)r0 * H;
        /* P (nc, d) = Y (nc, H) @ P_k (H, d); lg (nc, s) = P @ W_k (d, s) */
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, nc, d, H, 1, Yc, H, Pk, d, 0, ws->P, d);
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, nc, s, d, 1, ws->P, d, Wk, s, 0, ws->lg, s);
        for (int i = r0; i < r1; i++) {
            int64_t hit = 0;
            nn_k(cc)->softmax_xent(ws->lg + (size_t)(i - r0) * s, ws->ct + i, bk, gb, s, 1, train,
                                   inv_n, loss, &hit, NULL);
            *correct += hit && ws->hc[i];
        }
        if (!train) continue;
        /* g_W_k += P^T dlg; dP = dlg W_k^T; g_P_k += Y^T dP; dY += dP P_k^T */
        compute_gemm(cc, NN_TRANS, NN_NOTRANS, d, s, nc, 1, ws->P, d, ws->lg, s, 1, g + a->w[k], s);
        compute_gemm(cc, NN_NOTRANS, NN_TRANS, nc, d, s, 1, ws->lg, s, Wk, s, 0, ws->dP, d);
        compute_gemm(cc, NN_TRANS, NN_NOTRANS, H, d, nc, 1, Yc, H, ws->dP, d, 1, g + a->proj[k], d);
        compute_gemm(cc, NN_NOTRANS, NN_TRANS, nc, H, d, 1, ws->dP, d, Pk, d, 1,
                     ws->dYp + (size_t)r0 * H, H);
    }
}

void NN_SFX(ada_head_f32, ada_head_f64)(ada_ws *ws, const ada_layout *a, const real *w, real *g,
                                        const nn_compute *cc, const real *Y, const int32_t *tgt,
                                        int N, int train, double inv_n, double *loss,
                                        int64_t *correct, int64_t *count, real *dY) {
    const int H = a->H;
    sort_rows(ws, a, tgt, N);
    nn_k(cc)->gather_rows(ws->Yp, Y, (size_t)H, ws->perm, N, H);
    head_pass(ws, a, w, g, cc, N, train, inv_n, loss, correct);
    for (int k = 1; k <= a->n; k++) cluster_pass(ws, a, k, w, g, cc, train, inv_n, loss, correct);
    *count += N;
    if (!train) return;
    /* dY rows are positions: the sorted rows' gradients scattered back */
    memset(dY, 0, (size_t)N * H * sizeof(real));
    nn_k(cc)->scatter_rows(dY, (size_t)H, ws->dYp, ws->perm, N, H);
}

/* ------------------------------------------------------------- inference */

typedef struct {
    real *hl, *rows, *P, *cl, *ex;
    double *lseh, *lsec;
    int32_t *idx;
} infer_ws;

static infer_ws carve_infer(const ada_layout *a, int B, void *mem) {
    nn_carver cv = {mem, 0, 0};
    size_t b = (size_t)B, el = sizeof(double);   /* ada_infer_bytes's sizes, whatever real is */
    infer_ws s;
    s.hl = carve_take(&cv, b, (size_t)a->hs, 1, el);
    s.rows = carve_take(&cv, b, (size_t)a->H, 1, el);
    s.P = carve_take(&cv, b, (size_t)a->maxd, 1, el);
    s.cl = carve_take(&cv, b, (size_t)a->maxw, 1, el);
    s.ex = carve_take(&cv, (size_t)a->maxw, 1, 1, el);
    s.lseh = carve_take(&cv, b, 2, 1, el);
    s.lsec = s.lseh + B;
    s.idx = carve_take(&cv, b, 1, 1, sizeof(int32_t));
    return s;
}

/* hl (B, hs) the head's logits with its bias, lseh (B) their log-sum-exp */
static void head_logits(const ada_layout *a, const real *w, const nn_compute *cc, const real *h,
                        int B, infer_ws *s) {
    compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, B, a->hs, a->H, 1, h, a->H, w + a->head_w, a->hs, 0,
                 s->hl, a->hs);
    nn_k(cc)->logits_lse(s->hl, w + a->head_b, B, a->hs, s->ex, s->lseh);
}

void NN_SFX(ada_logprob_f32, ada_logprob_f64)(const ada_layout *a, const real *w,
                                              const nn_compute *cc, const real *h, int B,
                                              const int32_t *tgt, void *mem, double *out) {
    infer_ws s = carve_infer(a, B, mem);
    const int H = a->H, hs = a->hs;
    head_logits(a, w, cc, h, B, &s);
    for (int b = 0; b < B; b++)
        if (tgt[b] < a->cut[0]) out[b] = (double)s.hl[(size_t)b * hs + tgt[b]] - s.lseh[b];
    for (int k = 1; k <= a->n; k++) {
        int m = 0, d = a->d[k], sz = a->cut[k] - a->cut[k - 1];
        for (int b = 0; b < B; b++)
            if (tgt[b] >= a->cut[k - 1] && tgt[b] < a->cut[k]) s.idx[m++] = b;
        if (!m) continue;
        /* the lanes whose target is in cluster k: rows (m, H) -> P (m, d) -> cl (m, sz) */
        nn_k(cc)->gather_rows(s.rows, h, (size_t)H, s.idx, m, H);
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, m, d, H, 1, s.rows, H, w + a->proj[k], d, 0, s.P, d);
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, m, sz, d, 1, s.P, d, w + a->w[k], sz, 0, s.cl, sz);
        nn_k(cc)->logits_lse(s.cl, w + a->b[k], m, sz, s.ex, s.lsec);
        for (int i = 0; i < m; i++) {
            int b = s.idx[i];
            double head = (double)s.hl[(size_t)b * hs + a->cut[0] + k - 1] - s.lseh[b];
            out[b] = head + (double)s.cl[(size_t)i * sz + tgt[b] - a->cut[k - 1]] - s.lsec[i];
        }
    }
}

void NN_SFX(ada_logprob_all_f32, ada_logprob_all_f64)(const ada_layout *a, const real *w,
                                                      const nn_compute *cc, const real *h, int B,
                                                      void *mem, real *logp) {
    infer_ws s = carve_infer(a, B, mem);
    const int V = a->V, hs = a->hs, c0 = a->cut[0];
    head_logits(a, w, cc, h, B, &s);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < c0; j++)
            logp[(size_t)b * V + j] = (real)((double)s.hl[(size_t)b * hs + j] - s.lseh[b]);
    for (int k = 1; k <= a->n; k++) {
        int d = a->d[k], sz = a->cut[k] - a->cut[k - 1];
        real *blk = logp + a->cut[k - 1];
        /* P (B, d) = h @ P_k; the cluster's logits (B, sz) written in place, row stride V */
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, B, d, a->H, 1, h, a->H, w + a->proj[k], d, 0, s.P, d);
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, B, sz, d, 1, s.P, d, w + a->w[k], sz, 0, blk, V);
        for (int b = 0; b < B; b++) {
            real *row = blk + (size_t)b * V;
            double lse;
            nn_k(cc)->logits_lse(row, w + a->b[k], 1, sz, s.ex, &lse);
            double off = (double)s.hl[(size_t)b * hs + c0 + k - 1] - s.lseh[b] - lse;
            for (int j = 0; j < sz; j++) row[j] = (real)((double)row[j] + off);
        }
    }
}
