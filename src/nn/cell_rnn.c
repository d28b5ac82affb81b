/* nn/cell_rnn.c: the simple (Elman) recurrent cell,
 *   h_t = tanh(x_t W_ih + h_{t-1} W_hh + b).
 * Forward and backward over T steps; the one-token inference step is the
 * forward with T = 1 (step.c). Size letters as in net.h; G = 1. */
#include "nn/net_internal.h"

/* Rows [r0, r1) through the T steps. */
static void rnn_forward_rows(void *p, int r0, int r1, const nn_compute *one) {
    const cell_rec *s = p;
    const int H = s->H, R = r1 - r0;
    const size_t BH = (size_t)s->B * H, off = (size_t)r0 * H;
    layer_acts *a = s->a;
    for (int t = 0; t < s->T; t++) {
        real *zt = a->z + t * BH + off;
        /* z_t (R, H) += h_{t-1} (R, H) @ W_hh (H, H) */
        compute_gemm(one, NN_NOTRANS, NN_NOTRANS, R, H, H, 1, a->hs + t * BH + off, H, s->w->w_hh, H, 1, zt, H);
        nn_k(one)->rnn_forward(a->hs + (t + 1) * BH + off, zt, (size_t)R * H);
    }
}

static void rnn_forward(const nn_layer *w, layer_acts *a, int in, const real *X, int T, int B,
                        int H, const nn_compute *cc) {
    nn_k(cc)->bias_rows(a->z, w->b_ih, (size_t)T * B, H);
    /* z (T*B, H) += X (T*B, in) @ W_ih (in, H) */
    compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, T * B, H, in, 1, X, in, w->w_ih, H, 1, a->z, H);
    cell_rec s = {w, a, NULL, NULL, NULL, T, B, H};
    cell_rows(cc, B, rnn_forward_rows, &s);
}

/* Rows [r0, r1) back through the T steps. */
static void rnn_backward_rows(void *p, int r0, int r1, const nn_compute *one) {
    const cell_rec *s = p;
    const int H = s->H, R = r1 - r0;
    const size_t BH = (size_t)s->B * H, off = (size_t)r0 * H;
    const layer_acts *a = s->a;
    for (int t = s->T - 1; t >= 0; t--) {
        real *dz = a->z + t * BH + off;
        nn_k(one)->rnn_backward(dz, s->dY + t * BH + off, s->dh + off, a->hs + (t + 1) * BH + off, (size_t)R * H);
        /* dh_{t-1} (R, H) = dz_t (R, H) @ W_hh^T (H, H) */
        compute_gemm(one, NN_NOTRANS, NN_TRANS, R, H, H, 1, dz, H, s->w->w_hh, H, 0, s->dh + off, H);
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
    cell_rec s = {w, a, dY, dh, NULL, T, B, H};
    cell_rows(cc, B, rnn_backward_rows, &s);
    memcpy(dh0, dh, BH * sizeof *dh);
    cell_weight_backward(g, w, a, in, X, dX, a->z, a->z, T * B, H, H, cc);
}

const cell_ops NN_SFX(rnn_ops_f32, rnn_ops_f64) = {rnn_forward, rnn_backward};

#ifndef NN_F64
extern const struct cell_ops_f64 rnn_ops_f64;
const nn_cell nn_cell_rnn = {"RNN", "rnn", 1, 1, 0, 0, -1, 0, &rnn_ops_f32, &rnn_ops_f64};
#endif
