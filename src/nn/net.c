/* nn/net.c: the network over one parameter buffer: binding the views,
 * the forward pass through the embedding and the recurrent layers (each
 * through its cell's ops), the head, and the backward pass. */
#include "nn/net_internal.h"

#include <stdlib.h>

rnnlm_status NN_SFX(net_create_f32, net_create_f64)(net **out, const nn_layout *lay, real *params,
                                                    real *grads, const nn_compute *cc,
                                                    rnnlm_err *err) {
    *out = NULL;
    net *n = rnnlm_calloc(1, sizeof *n, "network", err);
    if (!n) return err ? err->status : RNNLM_E_NOMEM;
    n->lay = lay;
    n->kind = lay->kind;
    n->V = lay->V;
    n->E = lay->E;
    n->H = lay->H;
    n->L = lay->L;
    n->G = lay->G;
    n->tied = lay->tied;
    n->cc = *cc;
    NN_SFX(nn_params_view_f32, nn_params_view_f64)(&n->w, lay, params);
    NN_SFX(nn_params_view_f32, nn_params_view_f64)(&n->g, lay, grads);
    *out = n;
    return RNNLM_OK;
}

void NN_SFX(net_free_f32, net_free_f64)(net *n) {
    if (!n) return;
    workspace_release(n);
    free(n->lg16);
    free(n);
}

void NN_SFX(net_set_compute_f32, net_set_compute_f64)(net *n, const nn_compute *cc) { n->cc = *cc; }

int NN_SFX(net_sampled_capacity_f32, net_sampled_capacity_f64)(const net *n) { return n->kmax; }

void NN_SFX(net_state_grad_f32, net_state_grad_f64)(const net *n, const real **dh0,
                                                    const real **dc0) {
    *dh0 = n->dh0;
    *dc0 = n->dc0;
}

const int32_t *NN_SFX(net_sampled_union_f32, net_sampled_union_f64)(const net *n, int *U) {
    *U = n->n_union;
    return n->uid;
}

/* Forward through the embedding and the recurrent layers (state h, c read
 * and overwritten); the last layer's output is n->acts[L - 1].y. */
static void net_forward(net *n, const int32_t *x, const int32_t *y, int T, real *h, real *c,
                        int dropout, float rate, rnnlm_rng *rng) {
    const int B = n->B, E = n->E, L = n->L;
    const int N = T * B;
    const size_t BH = (size_t)B * n->H;
    const cell_ops *ops = cell_ops_of(n->kind);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            n->tx[t * B + b] = x[(size_t)b * T + t];
            n->ty[t * B + b] = y[(size_t)b * T + t];
        }
    for (int p = 0; p < N; p++)
        memcpy(n->x0 + (size_t)p * E, n->w.emb + (size_t)n->tx[p] * E, (size_t)E * sizeof(real));

    for (int l = 0; l < L; l++) {
        layer_acts *a = &n->acts[l];
        const real *X = l == 0 ? n->x0 : n->acts[l - 1].y;
        memcpy(a->hs, h + l * BH, BH * sizeof(real));
        if (n->kind->has_c) memcpy(a->cs, c + l * BH, BH * sizeof(real));
        ops->forward(&n->w.layer[l], a, l == 0 ? E : n->H, X, T, B, n->H, &n->cc);
        const real *hout = a->hs + BH;
        if (dropout)
            dropout_forward(a, hout, (size_t)N * n->H, rate, rng);
        else
            a->y = hout;
        memcpy(h + l * BH, a->hs + (size_t)T * BH, BH * sizeof(real));
        if (n->kind->has_c) memcpy(c + l * BH, a->cs + (size_t)T * BH, BH * sizeof(real));
    }
}

/* Backward from dy (N, H), the gradient w.r.t. the last layer's output, in
 * n->dya, down to the embedding rows of the batch's inputs. */
static void net_backward(net *n, int T, int dropout) {
    const int B = n->B, H = n->H, E = n->E, L = n->L;
    const int N = T * B;
    const size_t BH = (size_t)B * H;
    const cell_ops *ops = cell_ops_of(n->kind);
    real *dy = n->dya, *dx = n->dyb;
    for (int l = L - 1; l >= 0; l--) {
        layer_acts *a = &n->acts[l];
        const real *X = l == 0 ? n->x0 : n->acts[l - 1].y;
        if (dropout) dropout_backward(dy, a, (size_t)N * H);
        ops->backward(&n->g.layer[l], &n->w.layer[l], a, l == 0 ? E : H, X, dy, dx, n->dh, n->dc,
                      n->dh0 + l * BH, n->dc0 + l * BH, T, B, H, &n->cc);
        real *tmp = dy;
        dy = dx;
        dx = tmp;
    }
    /* dy now holds the gradient w.r.t. the embedded inputs (N, E) */
    for (int p = 0; p < N; p++) vadd(n->g.emb + (size_t)n->tx[p] * E, dy + (size_t)p * E, E);
}

void NN_SFX(net_batch_f32, net_batch_f64)(net *n, const int32_t *x, const int32_t *y, int T,
                                          real *h, real *c, int train, float rate, rnnlm_rng *rng,
                                          batch_stats *st) {
    const int dropout = rate > 0 && rng;
    net_forward(n, x, y, T, h, c, dropout, rate, rng);
    softmax_head(n->dya, n, n->acts[n->L - 1].y, T * n->B, train, st);
    if (train) net_backward(n, T, dropout);
}

void NN_SFX(net_batch_sampled_f32, net_batch_sampled_f64)(net *n, const int32_t *x,
                                                          const int32_t *y, int T, real *h,
                                                          real *c, int train, float rate,
                                                          rnnlm_rng *rng, const int32_t *cand,
                                                          int K, int64_t tries, batch_stats *st) {
    const int dropout = rate > 0 && rng;
    net_forward(n, x, y, T, h, c, dropout, rate, rng);
    sampled_head(n->dya, n, n->acts[n->L - 1].y, T * n->B, cand, K, tries, train, st);
    if (train) net_backward(n, T, dropout);
}
