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
rnnlm_status ada_layout_init(ada_layout *a, int V, int H, const int *cutoffs, int n, int div, int tied,
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
    a->tied = tied ? 1 : 0;
    a->n = n;
    a->cut[n] = V;
    a->hs = a->cut[0] + n;
    a->maxw = a->hs;
    size_t at = 0;
    a->head_w = at;   /* tied: only the cluster tokens' columns */
    at += (size_t)H * (size_t)(a->tied ? n : a->hs);
    a->head_b = at;
    at += (size_t)a->hs;
    long dk = H;
    for (int k = 1; k <= n; k++) {
        dk /= div;
        a->d[k] = a->tied ? H : dk < 1 ? 1 : (int)dk;
        int s = a->cut[k] - a->cut[k - 1];
        if (s > a->maxw) a->maxw = s;
        if (!a->tied) {
            if (a->d[k] > a->maxd) a->maxd = a->d[k];
            a->proj[k] = at;
            at += (size_t)H * (size_t)a->d[k];
            a->w[k] = at;
            at += (size_t)a->d[k] * (size_t)s;
        }
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
        int cols = a->tied ? a->n : a->hs;
        snprintf(name, size, "adaptive.head.%s", i == 0 ? (a->tied ? "clusters" : "kernel") : "bias");
        *ndim = i == 0 ? 2 : 1;
        shape[0] = i == 0 ? a->H : a->hs;
        shape[1] = i == 0 ? cols : 0;
        *offset = i == 0 ? a->head_w : a->head_b;
        *count = i == 0 ? (size_t)a->H * (size_t)cols : (size_t)a->hs;
        return;
    }
    int per = a->tied ? 1 : 3;
    int k = (i - 2) / per + 1, part = a->tied ? 2 : (i - 2) % 3, s = a->cut[k] - a->cut[k - 1];
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

/* One worker's share of the sorted rows: its slices' scratch, and for
 * the helpers (w > 0) private gradients (the head's region, then the
 * embedding's (V, H) when tied), added into the shared ones in worker
 * order afterwards. */
typedef struct {
    real *lg;                          /* (chunk, maxw) logits of one slice */
    real *P, *dP;                      /* (chunk, maxd) a slice's projection, its gradient */
    real *g, *gemb;                    /* helpers' private gradients (worker 0: NULL) */
} ada_part;

struct NN_SFX(ada_ws_f32, ada_ws_f64) {
    int N, chunk, nth;                 /* nth: the workers reserved for */
    int start[ADA_MAX_CLUSTERS + 2];   /* rows of class c: [start[c], start[c + 1]) of the sorted order */
    int32_t *perm;                     /* (N) the position of each sorted row */
    int32_t *ht, *ct;                  /* (N) the head's class and the cluster's word of each row */
    int32_t *hc;                       /* (N) 1 when the head's arg-max was the row's class */
    double *pos;                       /* NULL, or (N) each position's log p of its target (ada_set_pos_logp) */
    real *Yp, *dYp;                    /* (N, H) the rows sorted, their gradient */
    ada_part part[NN_MAX_THREADS];
    void *mem;
};

static void carve_ws(ada_ws *ws, nn_carver *cv, const ada_layout *a, size_t N, size_t chunk) {
    ws->perm = carve_take(cv, N, 1, 1, sizeof(int32_t));
    ws->ht = carve_take(cv, N, 1, 1, sizeof(int32_t));
    ws->ct = carve_take(cv, N, 1, 1, sizeof(int32_t));
    ws->hc = carve_take(cv, N, 1, 1, sizeof(int32_t));
    ws->Yp = carve_take(cv, N, (size_t)a->H, 1, sizeof(real));
    ws->dYp = carve_take(cv, N, (size_t)a->H, 1, sizeof(real));
    for (int w = 0; w < ws->nth; w++) {
        ada_part *p = &ws->part[w];
        p->lg = carve_take(cv, chunk, (size_t)a->maxw, 1, sizeof(real));
        p->P = carve_take(cv, chunk, (size_t)a->maxd, 1, sizeof(real));
        p->dP = carve_take(cv, chunk, (size_t)a->maxd, 1, sizeof(real));
        p->g = w ? carve_take(cv, a->n_params, 1, 1, sizeof(real)) : NULL;
        p->gemb = w && a->tied ? carve_take(cv, (size_t)a->V, (size_t)a->H, 1, sizeof(real)) : NULL;
    }
}

rnnlm_status NN_SFX(ada_reserve_f32, ada_reserve_f64)(ada_ws **out, const ada_layout *a, int N,
                                                      int chunk, const nn_compute *cc,
                                                      rnnlm_err *err) {
    *out = NULL;
    if (N < 1 || chunk < 1)
        return rnnlm_fail(err, RNNLM_E_ARG, "adaptive softmax: N=%d chunk=%d", N, chunk);
    ada_ws *ws = rnnlm_calloc(1, sizeof *ws, "adaptive softmax", err);
    if (!ws) return err ? err->status : RNNLM_E_NOMEM;
    int nth = cc->threads;
    ws->nth = nth < 1 ? 1 : nth > NN_MAX_THREADS ? NN_MAX_THREADS : nth;
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

void NN_SFX(ada_set_pos_logp_f32, ada_set_pos_logp_f64)(ada_ws *ws, double *pos) {
    if (ws) ws->pos = pos;
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

/* The head's logits without its bias: out (nc, hs), row stride ldo, =
 * Y (nc, H) @ W_head; tied, [Y E_[0, c_0)^T, Y C]. */
static void head_fwd(const ada_layout *a, const real *w, const real *emb, const nn_compute *cc,
                     const real *Y, int nc, real *out, int ldo) {
    const int H = a->H, c0 = a->cut[0];
    if (!a->tied) {
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, nc, a->hs, H, 1, Y, H, w + a->head_w, a->hs, 0, out, ldo);
        return;
    }
    compute_gemm(cc, NN_NOTRANS, NN_TRANS, nc, c0, H, 1, Y, H, emb, H, 0, out, ldo);
    compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, nc, a->n, H, 1, Y, H, w + a->head_w, a->n, 0, out + c0, ldo);
}

/* The head's backward from dlg (nc, hs): its weights' gradients ADDED (the
 * embedding's rows [0, c_0) too when tied), dY (nc, H) written. */
static void head_bwd(const ada_layout *a, const real *w, real *g, const real *emb, real *gemb,
                     const nn_compute *cc, const real *Y, const real *dlg, int nc, real *dY) {
    const int H = a->H, hs = a->hs, c0 = a->cut[0], n = a->n;
    if (!a->tied) {
        /* g_W_head (H, hs) += Y^T (H, nc) @ dlg (nc, hs); dY (nc, H) = dlg @ W_head^T */
        compute_gemm(cc, NN_TRANS, NN_NOTRANS, H, hs, nc, 1, Y, H, dlg, hs, 1, g + a->head_w, hs);
        compute_gemm(cc, NN_NOTRANS, NN_TRANS, nc, H, hs, 1, dlg, hs, w + a->head_w, hs, 0, dY, H);
        return;
    }
    /* g_E[0, c_0) (c_0, H) += dlg[:, :c_0]^T Y; g_C (H, n) += Y^T dlg[:, c_0:] */
    compute_gemm(cc, NN_TRANS, NN_NOTRANS, c0, H, nc, 1, dlg, hs, Y, H, 1, gemb, H);
    compute_gemm(cc, NN_TRANS, NN_NOTRANS, H, n, nc, 1, Y, H, dlg + c0, hs, 1, g + a->head_w, n);
    /* dY (nc, H) = dlg[:, :c_0] E[0, c_0) + dlg[:, c_0:] C^T */
    compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, nc, H, c0, 1, dlg, hs, emb, H, 0, dY, H);
    compute_gemm(cc, NN_NOTRANS, NN_TRANS, nc, H, n, 1, dlg + c0, hs, w + a->head_w, n, 1, dY, H);
}

/* Cluster k's logits without its bias: out (nc, s_k), row stride ldo, =
 * (Y P_k) W_k with P (nc, d_k) = Y P_k kept; tied, Y E_[c_{k-1}, c_k)^T. */
static void cluster_fwd(const ada_layout *a, int k, const real *w, const real *emb,
                        const nn_compute *cc, const real *Y, int nc, real *P, real *out, int ldo) {
    const int H = a->H, d = a->d[k], s = a->cut[k] - a->cut[k - 1];
    if (a->tied) {
        compute_gemm(cc, NN_NOTRANS, NN_TRANS, nc, s, H, 1, Y, H, emb + (size_t)a->cut[k - 1] * H, H, 0,
                     out, ldo);
        return;
    }
    compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, nc, d, H, 1, Y, H, w + a->proj[k], d, 0, P, d);
    compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, nc, s, d, 1, P, d, w + a->w[k], s, 0, out, ldo);
}

/* Cluster k's backward from dlg (nc, s_k): its weights' gradients ADDED
 * (tied: the embedding's rows of the cluster), its part ADDED into dY. */
static void cluster_bwd(const ada_layout *a, int k, const real *w, real *g, const real *emb, real *gemb,
                        const nn_compute *cc, const real *Y, const real *P, real *dP, const real *dlg,
                        int nc, real *dY) {
    const int H = a->H, d = a->d[k], s = a->cut[k] - a->cut[k - 1];
    if (a->tied) {
        /* g_E_k (s, H) += dlg^T Y; dY += dlg E_k */
        size_t row = (size_t)a->cut[k - 1] * H;
        compute_gemm(cc, NN_TRANS, NN_NOTRANS, s, H, nc, 1, dlg, s, Y, H, 1, gemb + row, H);
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, nc, H, s, 1, dlg, s, emb + row, H, 1, dY, H);
        return;
    }
    const real *Pk = w + a->proj[k], *Wk = w + a->w[k];
    /* g_W_k += P^T dlg; dP = dlg W_k^T; g_P_k += Y^T dP; dY += dP P_k^T */
    compute_gemm(cc, NN_TRANS, NN_NOTRANS, d, s, nc, 1, P, d, dlg, s, 1, g + a->w[k], s);
    compute_gemm(cc, NN_NOTRANS, NN_TRANS, nc, d, s, 1, dlg, s, Wk, s, 0, dP, d);
    compute_gemm(cc, NN_TRANS, NN_NOTRANS, H, d, nc, 1, Y, H, dP, d, 1, g + a->proj[k], d);
    compute_gemm(cc, NN_NOTRANS, NN_TRANS, nc, H, d, 1, dP, d, Pk, d, 1, dY, H);
}

/* One worker's job: rows [r0, r1) of the sorted order, single-threaded
 * products in one, its gradients into g and gemb (worker 0: the shared
 * ones; a helper: its part's), its loss and hits kept apart. */
typedef struct {
    ada_ws *ws;
    const ada_layout *a;
    const real *w, *emb;
    real *g, *gemb;
    nn_compute one;
    ada_part *p;
    int r0, r1, train;
    double inv_n, loss;
    int64_t correct;
} ada_job;

/* The softmax of sorted row i (logits row, width columns), its loss added
 * to the job's and, when the workspace records positions, its log p added
 * to the position's (the head's and the cluster's add up). */
static void row_xent(ada_job *j, real *row, const int32_t *tgt, const real *b, real *gb, int width, int i,
                     int64_t *hit) {
    double before = j->loss;
    nn_k(&j->one)->softmax_xent(row, tgt, b, gb, width, 1, j->train, j->inv_n, &j->loss, hit, NULL);
    if (j->ws->pos) j->ws->pos[j->ws->perm[i]] += before - j->loss;
}

/* The head's softmax over the job's rows, in slices: the head words' rows
 * as one block, each tail row alone (its arg-max hit kept in hc); with
 * train, the head's gradients ADDED and dYp written. */
static void head_pass(ada_job *j) {
    const ada_ws *ws = j->ws;
    const ada_layout *a = j->a;
    const int H = a->H, hs = a->hs;
    const real *bh = j->w + a->head_b;
    real *gb = j->train ? j->g + a->head_b : NULL, *lg = j->p->lg;
    for (int r0 = j->r0; r0 < j->r1; r0 += ws->chunk) {
        int r1 = r0 + ws->chunk < j->r1 ? r0 + ws->chunk : j->r1, nc = r1 - r0;
        const real *Yc = ws->Yp + (size_t)r0 * H;
        head_fwd(a, j->w, j->emb, &j->one, Yc, nc, lg, hs);
        int e0 = r1 < ws->start[1] ? r1 : ws->start[1];
        if (e0 > r0 && !ws->pos)
            nn_k(&j->one)->softmax_xent(lg, ws->ht + r0, bh, gb, hs, e0 - r0, j->train, j->inv_n, &j->loss,
                                        &j->correct, NULL);
        else
            for (int i = r0; i < e0; i++) row_xent(j, lg + (size_t)(i - r0) * hs, ws->ht + i, bh, gb, hs, i, &j->correct);
        for (int i = e0 > r0 ? e0 : r0; i < r1; i++) {
            int64_t hit = 0;
            row_xent(j, lg + (size_t)(i - r0) * hs, ws->ht + i, bh, gb, hs, i, &hit);
            ws->hc[i] = (int32_t)hit;
        }
        if (j->train) head_bwd(a, j->w, j->g, j->emb, j->gemb, &j->one, Yc, lg, nc, ws->dYp + (size_t)r0 * H);
    }
}

/* Cluster k's softmax over the job's rows of that cluster, in slices; with
 * train its gradients ADDED and its part of dYp added. */
static void cluster_pass(ada_job *j, int k) {
    const ada_ws *ws = j->ws;
    const ada_layout *a = j->a;
    const int H = a->H, s = a->cut[k] - a->cut[k - 1];
    const real *bk = j->w + a->b[k];
    real *gb = j->train ? j->g + a->b[k] : NULL, *lg = j->p->lg;
    int lo = ws->start[k] > j->r0 ? ws->start[k] : j->r0;
    int hi = ws->start[k + 1] < j->r1 ? ws->start[k + 1] : j->r1;
    for (int r0 = lo; r0 < hi; r0 += ws->chunk) {
        int r1 = r0 + ws->chunk < hi ? r0 + ws->chunk : hi, nc = r1 - r0;
        const real *Yc = ws->Yp + (size_t)r0 * H;
        cluster_fwd(a, k, j->w, j->emb, &j->one, Yc, nc, j->p->P, lg, s);
        for (int i = r0; i < r1; i++) {
            int64_t hit = 0;
            row_xent(j, lg + (size_t)(i - r0) * s, ws->ct + i, bk, gb, s, i, &hit);
            j->correct += hit && ws->hc[i];
        }
        if (j->train)
            cluster_bwd(a, k, j->w, j->g, j->emb, j->gemb, &j->one, Yc, j->p->P, j->p->dP, lg, nc,
                        ws->dYp + (size_t)r0 * H);
    }
}

static void ada_rows(void *arg, int w) {
    ada_job *j = (ada_job *)arg + w;
    head_pass(j);
    for (int k = 1; k <= j->a->n; k++) cluster_pass(j, k);
}

/* The first sorted row of worker w of nt, so that each gets about the same
 * share of the logits (a head row hs of them, a row of cluster k also s_k). */
static int share_start(const ada_ws *ws, const ada_layout *a, int w, int nt) {
    double total = 0;
    for (int c = 0; c <= a->n; c++)
        total += (double)(ws->start[c + 1] - ws->start[c]) * (a->hs + (c ? a->cut[c] - a->cut[c - 1] : 0));
    double want = total * w / nt, at = 0;
    for (int c = 0; c <= a->n; c++) {
        double per = a->hs + (c ? a->cut[c] - a->cut[c - 1] : 0);
        int rows = ws->start[c + 1] - ws->start[c];
        if (at + rows * per >= want) return ws->start[c] + (int)((want - at) / per);
        at += rows * per;
    }
    return ws->start[a->n + 1];
}

/* The sorted rows are split between the context's workers, each running
 * its own slices with single-threaded products (as the full softmax's
 * rows are, softmax.c); the helpers' gradients are added in a fixed order,
 * so results depend only on the thread count. */
void NN_SFX(ada_head_f32, ada_head_f64)(ada_ws *ws, const ada_layout *a, const real *w, real *g,
                                        const real *emb, real *gemb, const nn_compute *cc,
                                        const real *Y, const int32_t *tgt, int N, int train,
                                        double inv_n, double *loss, int64_t *correct,
                                        int64_t *count, real *dY) {
    const int H = a->H;
    sort_rows(ws, a, tgt, N);
    if (ws->pos) memset(ws->pos, 0, (size_t)N * sizeof *ws->pos);
    nn_k(cc)->gather_rows(ws->Yp, Y, (size_t)H, ws->perm, N, H);
    int nt = cc->threads < 1 ? 1 : cc->threads;
    if (nt > ws->nth) nt = ws->nth;
    if (nt > N) nt = N;
    ada_job jobs[NN_MAX_THREADS];
    const size_t ne = a->tied ? (size_t)a->V * (size_t)H : 0;
    for (int k = 0; k < nt; k++) {
        ada_part *p = &ws->part[k];
        jobs[k] = (ada_job){ws, a, w, emb, k && train ? p->g : g, k && train ? p->gemb : gemb, *cc, p,
                            share_start(ws, a, k, nt), k + 1 < nt ? share_start(ws, a, k + 1, nt) : N, train,
                            inv_n, 0, 0};
        jobs[k].one.threads = 1;
        if (k && train) {
            memset(p->g, 0, a->n_params * sizeof(real));
            if (ne) memset(p->gemb, 0, ne * sizeof(real));
        }
    }
    if (nt == 1) ada_rows(jobs, 0);
    else compute_parallel_for(cc, nt, ada_rows, jobs);
    for (int k = 0; k < nt; k++) {
        *loss += jobs[k].loss;
        *correct += jobs[k].correct;
        if (!k || !train) continue;
        nn_k(cc)->add(g, ws->part[k].g, a->n_params);
        if (ne) nn_k(cc)->add(gemb, ws->part[k].gemb, ne);
    }
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
static void head_logits(const ada_layout *a, const real *w, const real *emb, const nn_compute *cc,
                        const real *h, int B, infer_ws *s) {
    head_fwd(a, w, emb, cc, h, B, s->hl, a->hs);
    nn_k(cc)->logits_lse(s->hl, w + a->head_b, B, a->hs, s->ex, s->lseh);
}

void NN_SFX(ada_logprob_f32, ada_logprob_f64)(const ada_layout *a, const real *w, const real *emb,
                                              const nn_compute *cc, const real *h, int B,
                                              const int32_t *tgt, void *mem, double *out) {
    infer_ws s = carve_infer(a, B, mem);
    const int H = a->H, hs = a->hs;
    head_logits(a, w, emb, cc, h, B, &s);
    for (int b = 0; b < B; b++)
        if (tgt[b] < a->cut[0]) out[b] = (double)s.hl[(size_t)b * hs + tgt[b]] - s.lseh[b];
    for (int k = 1; k <= a->n; k++) {
        int m = 0, sz = a->cut[k] - a->cut[k - 1];
        for (int b = 0; b < B; b++)
            if (tgt[b] >= a->cut[k - 1] && tgt[b] < a->cut[k]) s.idx[m++] = b;
        if (!m) continue;
        /* the lanes whose target is in cluster k: rows (m, H) -> cl (m, sz) */
        nn_k(cc)->gather_rows(s.rows, h, (size_t)H, s.idx, m, H);
        cluster_fwd(a, k, w, emb, cc, s.rows, m, s.P, s.cl, sz);
        nn_k(cc)->logits_lse(s.cl, w + a->b[k], m, sz, s.ex, s.lsec);
        for (int i = 0; i < m; i++) {
            int b = s.idx[i];
            double head = (double)s.hl[(size_t)b * hs + a->cut[0] + k - 1] - s.lseh[b];
            out[b] = head + (double)s.cl[(size_t)i * sz + tgt[b] - a->cut[k - 1]] - s.lsec[i];
        }
    }
}

void NN_SFX(ada_logprob_all_f32, ada_logprob_all_f64)(const ada_layout *a, const real *w,
                                                      const real *emb, const nn_compute *cc,
                                                      const real *h, int B, void *mem, real *logp) {
    infer_ws s = carve_infer(a, B, mem);
    const int V = a->V, hs = a->hs, c0 = a->cut[0];
    head_logits(a, w, emb, cc, h, B, &s);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < c0; j++)
            logp[(size_t)b * V + j] = (real)((double)s.hl[(size_t)b * hs + j] - s.lseh[b]);
    for (int k = 1; k <= a->n; k++) {
        int sz = a->cut[k] - a->cut[k - 1];
        real *blk = logp + a->cut[k - 1];
        /* the cluster's logits (B, sz) written in place, row stride V */
        cluster_fwd(a, k, w, emb, cc, h, B, s.P, blk, V);
        for (int b = 0; b < B; b++) {
            real *row = blk + (size_t)b * V;
            double lse;
            nn_k(cc)->logits_lse(row, w + a->b[k], 1, sz, s.ex, &lse);
            double off = (double)s.hl[(size_t)b * hs + c0 + k - 1] - s.lseh[b] - lse;
            for (int j = 0; j < sz; j++) row[j] = (real)((double)row[j] + off);
        }
    }
}
