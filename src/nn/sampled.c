/* nn/sampled.c: the output layer with the sampled softmax loss (see
 * net_batch_sampled in net.h): only the union of the K candidates and the
 * batch's targets is gathered from the output weights. */
#include "nn/net_internal.h"

#include "core/sampler.h"

/* The sampled softmax of rows [i0, i1) of one slice: row i holds the K
 * candidate logits (without bias) of position r0 + i, col[i] the union column
 * of its target (< K when the target is also a candidate). The true logit is
 * Y_i . wu[col] + uoff[col]; each candidate's gets uoff added; the candidate
 * copy of the target is masked (probability exactly 0). With train the row
 * becomes the candidates' dlogits p / N (masked: 0), dlt[i] the true logit's
 * (p_true - 1) / N, and both are added into the compact bias gradient gb.
 * The backend's sampled_xent runs it. */
typedef struct {
    const nn_compute *cc;
    real *lg;              /* (rows, K) */
    const real *Y;         /* (rows, H) the slice's outputs */
    const real *wu;        /* (U, H) gathered output rows */
    const real *uoff;      /* (U) bias - log expected count */
    const int32_t *col;    /* (rows) union column of each target */
    real *gb;              /* (U) compact bias gradient of this worker */
    real *dlt;             /* (rows) */
    int K, H, i0, i1, train;
    double inv_n;
    batch_stats st;        /* these rows' figures */
} sampled_job;

static void sampled_rows(void *arg, int w) {
    sampled_job *jb = (sampled_job *)arg + w;
    nn_k(jb->cc)->sampled_xent(jb->lg, jb->Y, jb->wu, jb->uoff, jb->col, jb->gb, jb->dlt, jb->K, jb->H,
                               jb->i0, jb->i1, jb->train, jb->inv_n, &jb->st.loss_sum,
                               &jb->st.correct);
    jb->st.count += jb->i1 - jb->i0;
}

/* Output rows of the union ids: wu[u] = column uid[u] of W_out (H, V), or
 * row uid[u] of the tied embedding. */
static void gather_rows(real *wu, const net *n, const int32_t *uid, int U) {
    if (n->tied) nn_k(&n->cc)->gather_rows(wu, n->w.emb, (size_t)n->E, uid, U, n->H);
    else nn_k(&n->cc)->gather_cols(wu, n->w.out_w, (size_t)n->V, uid, U, n->H);
}

/* The reverse: ADDS gwu[u] into the gradient of class uid[u]'s output row. */
static void scatter_rows(net *n, const real *gwu, const int32_t *uid, int U) {
    if (n->tied) nn_k(&n->cc)->scatter_rows(n->g.emb, (size_t)n->E, gwu, uid, U, n->H);
    else nn_k(&n->cc)->scatter_cols(n->g.out_w, (size_t)n->V, gwu, uid, U, n->H);
}

/* The union of candidates and targets is gathered into wu (U, H); per
 * slice of rows the candidate logits are one product, the true logits one
 * dot product per row; backward, dY = dlogits wu[0..K) plus dlt wu[col],
 * and the compact gradients gwu, gbu, scattered into the output layer at
 * the end. */
void NN_SFX(sampled_head_f32, sampled_head_f64)(real *dY, net *n, const real *Y, int N,
                                                const int32_t *cand, int K, int64_t tries,
                                                int train, batch_stats *st) {
    const int V = n->V, H = n->H;
    int U = 0;
    for (int j = 0; j < K; j++) {
        n->uid[U] = cand[j];
        n->umark[cand[j]] = ++U;
    }
    for (int p = 0; p < N; p++) {
        int y = n->ty[p];
        if (!n->umark[y]) {
            n->uid[U] = y;
            n->umark[y] = ++U;
        }
        n->ucol[p] = n->umark[y] - 1;
    }
    for (int u = 0; u < U; u++) n->umark[n->uid[u]] = 0;
    n->n_union = U;
    for (int u = 0; u < U; u++)
        n->uoff[u] = n->w.out_b[n->uid[u]] -
                     (real)(tries > 0 ? logu_log_expected_count(V, tries, n->uid[u]) : 0.0);
    gather_rows(n->wu, n, n->uid, U);
    if (train) {
        memset(n->gwu, 0, (size_t)U * H * sizeof(real));
        memset(n->gbu, 0, (size_t)U * sizeof(real));
    }

    real *lg = n->logits;
    batch_stats sum = {0, 0, 0};
    int nt = n->cc.threads;
    nt = nt < 1 ? 1 : nt > NN_MAX_THREADS ? NN_MAX_THREADS : nt;
    for (int r0 = 0; r0 < N; r0 += n->chunk) {
        int nc = N - r0 < n->chunk ? N - r0 : n->chunk;
        const real *Yc = Y + (size_t)r0 * H;
        /* lg (nc, K) = Y (nc, H) @ wu[0..K)^T (H, K) */
        compute_gemm(&n->cc, NN_NOTRANS, NN_TRANS, nc, K, H, 1, Yc, H, n->wu, H, 0, lg, K);
        int k = nc < nt ? nc : nt;
        sampled_job jobs[NN_MAX_THREADS] = {{0}};
        for (int w = 0; w < k; w++) {
            int i0 = nc * w / k, i1 = nc * (w + 1) / k;
            jobs[w] = (sampled_job){&n->cc, lg, Yc, n->wu, n->uoff, n->ucol + r0,
                                    w == 0 ? n->gbu : n->gbt + (size_t)(w - 1) * V, n->dlt,
                                    K, H, i0, i1, train, 1.0 / N, {0, 0, 0}};
            if (w > 0 && train) memset(jobs[w].gb, 0, (size_t)U * sizeof(real));
        }
        compute_parallel_for(&n->cc, k, sampled_rows, jobs);
        for (int w = 1; w < k; w++)
            if (train) nn_k(&n->cc)->add(n->gbu, jobs[w].gb, (size_t)U);
        for (int w = 0; w < k; w++) batch_stats_add(&sum, &jobs[w].st);
        if (!train) continue;
        real *dYc = dY + (size_t)r0 * H;
        /* gwu[0..K) (K, H) += dlg^T (K, nc) @ Y (nc, H) */
        compute_gemm(&n->cc, NN_TRANS, NN_NOTRANS, K, H, nc, 1, lg, K, Yc, H, 1, n->gwu, H);
        /* dY (nc, H) = dlg (nc, K) @ wu[0..K) (K, H) */
        compute_gemm(&n->cc, NN_NOTRANS, NN_NOTRANS, nc, H, K, 1, lg, K, n->wu, H, 0, dYc, H);
        for (int i = 0; i < nc; i++) {
            int c = n->ucol[r0 + i];
            nn_k(&n->cc)->axpy(dYc + (size_t)i * H, n->dlt[i], n->wu + (size_t)c * H, (size_t)H);
            nn_k(&n->cc)->axpy(n->gwu + (size_t)c * H, n->dlt[i], Yc + (size_t)i * H, (size_t)H);
        }
    }
    if (train) {
        scatter_rows(n, n->gwu, n->uid, U);
        for (int u = 0; u < U; u++) n->g.out_b[n->uid[u]] += n->gbu[u];
    }
    batch_stats_add(st, &sum);
}
