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
    free(n->z16);
    free(n->whd16);
    free(n);
}

void NN_SFX(net_set_compute_f32, net_set_compute_f64)(net *n, const nn_compute *cc) { n->cc = *cc; }

int NN_SFX(net_sampled_capacity_f32, net_sampled_capacity_f64)(const net *n) { return n->kmax; }

void NN_SFX(net_state_grad_f32, net_state_grad_f64)(const net *n, const real **dh0,
                                                    const real **dc0) {
    *dh0 = n->dh0;
    *dc0 = n->dc0;
}

double NN_SFX(net_penalty_f32, net_penalty_f64)(const net *n) { return n->penalty; }

#ifndef NN_F64
void net_set_pos_logp_f32(net *n, double *pos) { n->pos_logp = pos; }
#endif

const int32_t *NN_SFX(net_sampled_union_f32, net_sampled_union_f64)(const net *n, int *U) {
    *U = n->n_union;
    return n->uid;
}

void NN_SFX(net_set_reg_f32, net_set_reg_f64)(net *n, const nn_reg *r) { n->reg = *r; }

/* The dropout rate after layer l: the last layer's own rate when set. */
static float out_rate(const net *n, int l, float rate) {
    return l == n->L - 1 && n->reg.out > 0 ? n->reg.out : rate;
}

#ifndef NN_F64
/* A bf16 buffer of at least need values in *buf (capacity *cap), grown on
 * need; NULL when it cannot be (the products then round for themselves). */
static uint16_t *grow16(uint16_t **buf, size_t *cap, size_t need) {
    if (*cap < need) {
        free(*buf);
        *buf = malloc(need * sizeof **buf);
        *cap = *buf ? need : 0;
    }
    return *buf;
}
#endif

/* The layer's weights as the batch sees them: W_hh after DropConnect
 * (a->whd) in a training batch with weight drop, else the parameters. */
static nn_layer layer_weights(const net *n, int l, int train_reg) {
    nn_layer w = n->w.layer[l];
    if (train_reg && n->reg.weight > 0) w.w_hh = n->acts[l].whd;
    return w;
}

/* Forward through the embedding and the recurrent layers (state h, c read
 * and overwritten); the last layer's output is n->acts[L - 1].y.
 * train_reg: a training batch with a generator (masks drawn from rng). */
static void net_forward(net *n, const int32_t *x, const int32_t *y, int T, real *h, real *c,
                        int train_reg, float rate, rnnlm_rng *rng) {
    const int B = n->B, E = n->E, L = n->L;
    const int N = T * B;
    const size_t BH = (size_t)B * n->H;
    const cell_ops *ops = cell_ops_of(n->kind);
    const backend *be = backend_of(&n->cc);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            n->tx[t * B + b] = x[(size_t)b * T + t];
            n->ty[t * B + b] = y[(size_t)b * T + t];
        }
    nn_k(&n->cc)->gather_rows(n->x0, n->w.emb, (size_t)E, n->tx, N, E);
    if (train_reg && n->xmask) input_dropout(n, N, rng);

    /* bf16 with DropConnect: the dropped W_hh of every layer rounded once
     * per batch into the context's mirror[2], so that the 2T recurrent
     * products of a layer read one rounded (and, by the generation, packed
     * once) copy */
    const size_t nw = (size_t)n->H * n->G * n->H;
    uint16_t *wh16 = NULL;
    memset(&n->cc.mirror[2], 0, sizeof n->cc.mirror[2]);
#ifndef NN_F64
    if (train_reg && n->reg.weight > 0 && n->cc.bf16 && be->bf16_round && be->generation)
        wh16 = grow16(&n->whd16, &n->whd16_n, (size_t)L * nw);
    if (wh16) {
        n->cc.mirror[2].f = n->acts[0].whd;
        n->cc.mirror[2].h = wh16;
        n->cc.mirror[2].n = (size_t)L * nw;
        n->cc.mirror[2].gen = &n->whd_gen;
    }
#endif
    for (int l = 0; l < L; l++) {
        layer_acts *a = &n->acts[l];
        const real *X = l == 0 ? n->x0 : n->acts[l - 1].y;
        if (train_reg && n->reg.weight > 0) {
            weight_drop(&n->cc, a, n->w.layer[l].w_hh, nw, n->reg.weight, rng, wh16 ? wh16 + (size_t)l * nw : NULL);
            if (wh16) n->whd_gen = be->generation();
        }
        nn_layer w = layer_weights(n, l, train_reg);
        be->copy(a->hs, h + l * BH, BH * sizeof(real));
        if (n->kind->has_c) be->copy(a->cs, c + l * BH, BH * sizeof(real));
        ops->forward(&w, a, l == 0 ? E : n->H, X, T, B, n->H, &n->cc);
        const real *hout = a->hs + BH;
        float r = out_rate(n, l, rate);
        if (train_reg && r > 0)
            dropout_forward(&n->cc, a, hout, (size_t)N * n->H, BH, n->reg.locked, r, rng);
        else
            a->y = hout;
        be->copy(h + l * BH, a->hs + (size_t)T * BH, BH * sizeof(real));
        if (n->kind->has_c) be->copy(c + l * BH, a->cs + (size_t)T * BH, BH * sizeof(real));
    }
}

/* Backward from dy (N, H), the gradient w.r.t. the last layer's output, in
 * n->dya, down to the embedding rows of the batch's inputs. */
static void net_backward(net *n, int T, int train_reg) {
    const int B = n->B, H = n->H, E = n->E, L = n->L;
    const int N = T * B;
    const size_t BH = (size_t)B * H;
    const cell_ops *ops = cell_ops_of(n->kind);
    real *dy = n->dya, *dx = n->dyb;
    uint16_t *z16 = NULL;   /* bf16: dz rounded where the cell computes it, one layer at a time */
#ifndef NN_F64
    if (n->cc.bf16 && n->kind->rounds_dz)
        z16 = grow16(&n->z16, &n->z16_n, (size_t)N * (size_t)n->G * (size_t)H);
#endif
    for (int l = L - 1; l >= 0; l--) {
        layer_acts *a = &n->acts[l];
        a->z16 = z16;
        const real *X = l == 0 ? n->x0 : n->acts[l - 1].y;
        if (a->y == a->drop) dropout_backward(&n->cc, dy, a, (size_t)N * H);
        if (l == L - 1 && train_reg) actreg_backward(n, dy, T);
        nn_layer w = layer_weights(n, l, train_reg), g = n->g.layer[l];
        const int wdrop = w.w_hh != n->w.layer[l].w_hh;
        /* DropConnect: the cell's gradient w.r.t. the dropped W_hh goes to
         * scratch; dL/dW_hh = that gradient * the mask */
        const size_t nw = (size_t)H * n->G * H;
        if (wdrop) {
            memset(a->gwh, 0, nw * sizeof(real));
            g.w_hh = a->gwh;
        }
        ops->backward(&g, &w, a, l == 0 ? E : H, X, dy, dx, n->dh, n->dc, n->dh0 + l * BH,
                      n->dc0 + l * BH, T, B, H, &n->cc);
        if (wdrop) nn_k(&n->cc)->fma_in(n->g.layer[l].w_hh, a->gwh, a->whm, nw);
        real *tmp = dy;
        dy = dx;
        dx = tmp;
    }
    /* dy now holds the gradient w.r.t. the embedded inputs (N, E), through
     * the input regularisers' scales when they ran */
    if (train_reg && n->xmask) nn_k(&n->cc)->mul_in(dy, n->xmask, (size_t)N * E);
    nn_k(&n->cc)->scatter_rows(n->g.emb, (size_t)E, dy, n->tx, N, E);
}

void NN_SFX(net_batch_f32, net_batch_f64)(net *n, const int32_t *x, const int32_t *y, int T,
                                          real *h, real *c, int train, float rate, rnnlm_rng *rng,
                                          batch_stats *st) {
    const int train_reg = rng != NULL;
    net_forward(n, x, y, T, h, c, train_reg, rate, rng);
    const int N = T * n->B;
    if (n->lay->adaptive) {
        ada_set_pos_logp(n->ada, train ? NULL : n->pos_logp);
        ada_head(n->ada, &n->lay->ada, n->w.ada, n->g.ada, n->w.emb, n->g.emb, &n->cc, n->acts[n->L - 1].y, n->ty, N, train,
                 1.0 / N, &st->loss_sum, &st->correct, &st->count, n->dya);
    } else
        softmax_head(n->dya, n, n->acts[n->L - 1].y, N, train, st);
    n->penalty = train_reg ? actreg_forward(n, T, train) : 0;
    if (train) net_backward(n, T, train_reg);
}

void NN_SFX(net_batch_sampled_f32, net_batch_sampled_f64)(net *n, const int32_t *x,
                                                          const int32_t *y, int T, real *h,
                                                          real *c, int train, float rate,
                                                          rnnlm_rng *rng, const int32_t *cand,
                                                          int K, int64_t tries, batch_stats *st) {
    const int train_reg = rng != NULL;
    net_forward(n, x, y, T, h, c, train_reg, rate, rng);
    sampled_head(n->dya, n, n->acts[n->L - 1].y, T * n->B, cand, K, tries, train, st);
    n->penalty = train_reg ? actreg_forward(n, T, train) : 0;
    if (train) net_backward(n, T, train_reg);
}
