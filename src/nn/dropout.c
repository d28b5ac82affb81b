/* nn/dropout.c: the dropout family, every mask inverted (kept values scaled
 * by 1 / (1 - rate)): after a recurrent layer (the recipe's, or locked:
 * one mask per row shared by the T steps), on the embedding output, on
 * whole vocabulary rows (word dropout) and on the recurrent weights
 * (DropConnect). The masks of a batch are drawn from its generator in the
 * order net.c calls these. */
#include "nn/net_internal.h"

/* mask (n) = 0 with probability rate, else 1 / (1 - rate); two 32-bit
 * draws per generator output. locked: only the first row values are
 * drawn, then copied over the rest (n a multiple of row). */
void NN_SFX(dropout_mask_f32, dropout_mask_f64)(real *mask, size_t n, size_t row, int locked,
                                                float rate, rnnlm_rng *rng) {
    uint32_t thr = (uint32_t)((double)rate * 4294967296.0);
    real keep = (real)(1.0 / (1.0 - (double)rate));
    size_t m = locked ? row : n;
    for (size_t i = 0; i < m; i += 2) {
        uint64_t r = rnnlm_rng_next(rng);
        mask[i] = (uint32_t)r >= thr ? keep : 0;
        if (i + 1 < m) mask[i + 1] = (uint32_t)(r >> 32) >= thr ? keep : 0;
    }
    for (size_t i = m; i < n; i += m) memcpy(mask + i, mask, m * sizeof *mask);
}

/* a->drop (n) = h (n) * a fresh mask; the layer's output becomes a->drop.
 * row = B * H: the values of one step. */
void NN_SFX(dropout_forward_f32, dropout_forward_f64)(const nn_compute *cc, layer_acts *a, const real *h, size_t n,
                                                      size_t row, int locked, float rate,
                                                      rnnlm_rng *rng) {
    dropout_mask(a->mask, n, row, locked, rate, rng);
    nn_k(cc)->mul(a->drop, h, a->mask, n);
    a->y = a->drop;
}

/* dy (n) *= the layer's mask: the gradient back through the dropout */
void NN_SFX(dropout_backward_f32, dropout_backward_f64)(const nn_compute *cc, real *dy, const layer_acts *a, size_t n) {
    nn_k(cc)->mul_in(dy, a->mask, n);
}

void NN_SFX(input_dropout_f32, input_dropout_f64)(net *n, int N, rnnlm_rng *rng) {
    const size_t E = (size_t)n->E, NE = (size_t)N * E;
    const nn_reg *r = &n->reg;
    /* word dropout: one scale per vocabulary row for the whole batch (as if
     * the embedding matrix itself were masked row by row) */
    if (r->word > 0) dropout_mask(n->wscale, (size_t)n->V, 1, 0, r->word, rng);
    if (r->emb > 0)
        dropout_mask(n->xmask, NE, (size_t)n->B * E, r->locked, r->emb, rng);
    else
        for (size_t i = 0; i < NE; i++) n->xmask[i] = 1;
    if (r->word > 0)
        for (int p = 0; p < N; p++) {
            real s = n->wscale[n->tx[p]];
            for (size_t j = 0; j < E; j++) n->xmask[(size_t)p * E + j] *= s;
        }
    nn_k(&n->cc)->mul_in(n->x0, n->xmask, NE);
}

void NN_SFX(weight_drop_f32, weight_drop_f64)(const nn_compute *cc, layer_acts *a, const real *w_hh, size_t n,
                                              float rate, rnnlm_rng *rng, uint16_t *h16) {
    dropout_mask(a->whm, n, n, 0, rate, rng);
    nn_k(cc)->mul(a->whd, w_hh, a->whm, n);
#ifndef NN_F64
    /* rounded once here rather than by each of the batch's 2T recurrent products */
    if (h16) backend_of(cc)->bf16_round(h16, a->whd, n);
#else
    (void)h16;
#endif
}
