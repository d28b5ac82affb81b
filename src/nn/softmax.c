/* nn/softmax.c: the output layer with the full softmax and cross-entropy:
 * logits = Y W_out + b_out (tied: Y emb^T + b_out), in slices of n->chunk
 * rows so that memory does not grow with N*V. */
#include "nn/net_internal.h"

#include <stdlib.h>

/* One worker's share of the output layer: rows [r0, r1) of Y, in slices of
 * n->chunk rows through its own logits buffer lg, with single-threaded
 * products; bias and weight gradients ADDED into gb and gw (the shared ones
 * for worker 0, private ones for the others), dY rows written. */
typedef struct {
    net *n;
    real *dY;
    const real *Y;
    real *lg, *gb, *gw;
    uint16_t *lg16;   /* bf16: (chunk, V) the rounded gradient of lg, or NULL */
    int r0, r1, N, train;
    batch_stats st;   /* this worker's rows' figures */
} output_job;

static void output_rows(void *arg, int w) {
    output_job *jb = (output_job *)arg + w;
    net *n = jb->n;
    nn_compute one = n->cc;   /* the precision and weight mirror of the model, one thread */
    one.threads = 1;
    const int V = n->V, H = n->H, E = n->E;
    real *lg = jb->lg;
    for (int r0 = jb->r0; r0 < jb->r1; r0 += n->chunk) {
        int nc = jb->r1 - r0 < n->chunk ? jb->r1 - r0 : n->chunk;
        const real *Yc = jb->Y + (size_t)r0 * H;
        if (n->tied) /* lg (nc, V) = Y (nc, H) @ emb^T (E = H, V) */
            compute_gemm(&one, NN_NOTRANS, NN_TRANS, nc, V, H, 1, Yc, H, n->w.emb, E, 0, lg, V);
        else /* lg (nc, V) = Y (nc, H) @ W_out (H, V) */
            compute_gemm(&one, NN_NOTRANS, NN_NOTRANS, nc, V, H, 1, Yc, H, n->w.out_w, V, 0, lg, V);
        /* the slice's softmax: its loss, its arg-max hits, with train
         * dlogits = (p - onehot) / N, also added into the bias gradient */
        if (n->pos_logp && !jb->train) {   /* each row alone, its log p kept */
            for (int i = 0; i < nc; i++) {
                double before = jb->st.loss_sum;
                nn_k(&n->cc)->softmax_xent(lg + (size_t)i * V, n->ty + r0 + i, n->w.out_b, NULL, V, 1, 0, 0,
                                           &jb->st.loss_sum, &jb->st.correct, NULL);
                n->pos_logp[r0 + i] = before - jb->st.loss_sum;
            }
        } else
            nn_k(&n->cc)->softmax_xent(lg, n->ty + r0, n->w.out_b, jb->gb, V, nc, jb->train, 1.0 / jb->N,
                                       &jb->st.loss_sum, &jb->st.correct, jb->train ? jb->lg16 : NULL);
        jb->st.count += nc;
        if (!jb->train) continue;
        real *dYc = jb->dY + (size_t)r0 * H;
#ifndef NN_F64
        if (jb->lg16) {   /* the two products below read the gradient of the logits rounded once, by the softmax */
            one.mirror[1].f = lg;
            one.mirror[1].h = jb->lg16;
            one.mirror[1].n = (size_t)nc * V;
        }
#endif
        if (n->tied) {
            /* g_emb (V, E) += dlg^T (V, nc) @ Y (nc, H) */
            compute_gemm(&one, NN_TRANS, NN_NOTRANS, V, H, nc, 1, lg, V, Yc, H, 1, jb->gw, E);
            /* dY (nc, H) = dlg (nc, V) @ emb (V, E = H) */
            compute_gemm(&one, NN_NOTRANS, NN_NOTRANS, nc, H, V, 1, lg, V, n->w.emb, E, 0, dYc, H);
        } else {
            /* g_W_out (H, V) += Y^T (H, nc) @ dlg (nc, V) */
            compute_gemm(&one, NN_TRANS, NN_NOTRANS, H, V, nc, 1, Yc, H, lg, V, 1, jb->gw, V);
            /* dY (nc, H) = dlg (nc, V) @ W_out^T (V, H) */
            compute_gemm(&one, NN_NOTRANS, NN_TRANS, nc, H, V, 1, lg, V, n->w.out_w, V, 0, dYc, H);
        }
    }
}

/* Loss and arg-max accuracy of Y (N, H); with train, each slice's logits
 * become dlogits = (p - onehot) / N, turned at once into the output weight
 * and bias gradients (ADDED) and into dY (N, H) (written). The rows are
 * split between the context's workers, each running its own slices with
 * single-threaded products (no synchronisation inside the products, the
 * larger share of a step's time): measured faster than threaded products on
 * shared slices. The private gradients are added in a fixed order, so
 * results depend only on the thread count. */
void NN_SFX(softmax_head_f32, softmax_head_f64)(real *dY, net *n, const real *Y, int N, int train,
                                                batch_stats *st) {
    const int V = n->V;
    const size_t gw_size = (size_t)V * (size_t)(n->tied ? n->E : n->H);
    int nt = n->cc.threads;
    nt = nt < 1 ? 1 : nt > n->nth ? n->nth : nt;
    if (nt > N) nt = N > 0 ? N : 1;
    output_job jobs[NN_MAX_THREADS] = {{0}};
    uint16_t *lg16 = NULL;   /* bf16 training: a buffer per worker, grown on need (none: the products round) */
    if (train && n->cc.bf16) {
        size_t need = (size_t)nt * (size_t)n->chunk * (size_t)V;
        if (n->lg16_n < need) {
            free(n->lg16);
            n->lg16 = malloc(need * sizeof *n->lg16);
            n->lg16_n = n->lg16 ? need : 0;
        }
        lg16 = n->lg16;
    }
    for (int w = 0; w < nt; w++) {
        jobs[w] = (output_job){n, dY, Y, n->logits + (size_t)w * n->chunk * V,
                               w == 0 ? n->g.out_b : n->gbt + (size_t)(w - 1) * V,
                               w == 0 ? (n->tied ? n->g.emb : n->g.out_w) : n->gwt + (size_t)(w - 1) * gw_size,
                               lg16 ? lg16 + (size_t)w * n->chunk * V : NULL,
                               (int)((long)N * w / nt), (int)((long)N * (w + 1) / nt), N, train, {0, 0, 0}};
        if (w > 0 && train) {
            memset(jobs[w].gb, 0, (size_t)V * sizeof(real));
            memset(jobs[w].gw, 0, gw_size * sizeof(real));
        }
    }
    compute_parallel_for(&n->cc, nt, output_rows, jobs);
    batch_stats sum = {0, 0, 0};
    for (int w = 0; w < nt; w++) {
        batch_stats_add(&sum, &jobs[w].st);
        if (w == 0 || !train) continue;
        nn_k(&n->cc)->add(n->g.out_b, jobs[w].gb, (size_t)V);
        nn_k(&n->cc)->add(jobs[0].gw, jobs[w].gw, gw_size);
    }
    batch_stats_add(st, &sum);
}
