/* nn/cell_rnn.c: the simple (Elman) recurrent cell,
 *   h_t = tanh(x_t W_ih + h_{t-1} W_hh + b).
 * Forward and backward over T steps; the one-token inference step is the
 * forward with T = 1 (step.c). Size letters as in net.h; G = 1. */
#include "nn/net_internal.h"

static void rnn_forward(const nn_layer *w, layer_acts *a, int in, const real *X, int T, int B,
                        int H, const nn_compute *cc) {
    const size_t BH = (size_t)B * H;
    nn_k(cc)->bias_rows(a->z, w->b_ih, (size_t)T * B, H);
    /* z (T*B, H) += X (T*B, in) @ W_ih (in, H) */
    compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, T * B, H, in, 1, X, in, w->w_ih, H, 1, a->z, H);
    for (int t = 0; t < T; t++) {
        real *zt = a->z + t * BH;
        /* z_t (B, H) += h_{t-1} (B, H) @ W_hh (H, H) */
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, B, H, H, 1, a->hs + t * BH, H, w->w_hh, H, 1, zt,
                     H);
        nn_k(cc)->rnn_forward(a->hs + (t + 1) * BH, zt, BH);
    }
}

/* Backward through step t: dz = (dy + dh) (1 - h^2), the gradient reaching
 * h_t (from above and from step t+1) through tanh (the backend's
 * rnn_backward, over the (B, H) block). */
static void rnn_backward(nn_layer *g, const nn_layer *w, layer_acts *a, int in, const real *X,
                         const real *dY, real *dX, real *dh, real *dc, real *dh0, real *dc0,
                         int T, int B, int H, const nn_compute *cc) {
    (void)dc;
    (void)dc0;
    const size_t BH = (size_t)B * H;
    memset(dh, 0, BH * sizeof *dh);
    for (int t = T - 1; t >= 0; t--) {
        real *dz = a->z + t * BH;
        nn_k(cc)->rnn_backward(dz, dY + t * BH, dh, a->hs + (t + 1) * BH, BH);
        /* dh_{t-1} (B, H) = dz_t (B, H) @ W_hh^T (H, H) */
        compute_gemm(cc, NN_NOTRANS, NN_TRANS, B, H, H, 1, dz, H, w->w_hh, H, 0, dh, H);
    }
    memcpy(dh0, dh, BH * sizeof *dh);
    cell_weight_backward(g, w, a, in, X, dX, a->z, a->z, T * B, H, H, cc);
}

const cell_ops NN_SFX(rnn_ops_f32, rnn_ops_f64) = {rnn_forward, rnn_backward};

#ifndef NN_F64
extern const struct cell_ops_f64 rnn_ops_f64;
const nn_cell nn_cell_rnn = {"RNN", "rnn", 1, 1, 0, 0, -1, 0, &rnn_ops_f32, &rnn_ops_f64};
#endif
