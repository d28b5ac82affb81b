/* nn/dropout.c: inverted dropout after a recurrent layer. */
#include "nn/net_internal.h"

/* mask = 0 with probability rate, else 1 / (1 - rate); two 32-bit draws per
 * generator output */
static void dropout_mask(real *mask, size_t n, float rate, rnnlm_rng *rng) {
    uint32_t thr = (uint32_t)((double)rate * 4294967296.0);
    real keep = (real)(1.0 / (1.0 - (double)rate));
    for (size_t i = 0; i < n; i += 2) {
        uint64_t r = rnnlm_rng_next(rng);
        mask[i] = (uint32_t)r >= thr ? keep : 0;
        if (i + 1 < n) mask[i + 1] = (uint32_t)(r >> 32) >= thr ? keep : 0;
    }
}

/* a->drop (n) = h (n) * a fresh mask; the layer's output becomes a->drop */
void NN_SFX(dropout_forward_f32, dropout_forward_f64)(layer_acts *a, const real *h, size_t n,
                                                      float rate, rnnlm_rng *rng) {
    dropout_mask(a->mask, n, rate, rng);
    vmul(a->drop, h, a->mask, (long)n);
    a->y = a->drop;
}

/* dy (n) *= the layer's mask: the gradient back through the dropout */
void NN_SFX(dropout_backward_f32, dropout_backward_f64)(real *dy, const layer_acts *a, size_t n) {
    vmul_in(dy, a->mask, (long)n);
}
