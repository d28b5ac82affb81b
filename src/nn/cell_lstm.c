/* nn/cell_lstm.c: the LSTM cell, gates i, f, g (candidate), o in blocks of H
 * of the pre-activation z = x W_ih + h_{t-1} W_hh + b:
 *   i = s(z_i), f = s(z_f), g = tanh(z_g), o = s(z_o)      (s: sigmoid)
 *   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t).
 * Forward and backward over T steps; the one-token inference step is the
 * forward with T = 1 (step.c). Size letters as in net.h; G = 4. */
#include "nn/net_internal.h"

/* Rows [r0, r1) through the T steps. */
static void lstm_forward_rows(void *p, int r0, int r1, const nn_compute *one) {
    const cell_rec *s = p;
    const int H = s->H, GH = 4 * H, R = r1 - r0;
    const size_t BH = (size_t)s->B * H, off = (size_t)r0 * H;
    layer_acts *a = s->a;
    for (int t = 0; t < s->T; t++) {
        real *zt = a->z + t * BH * 4 + off * 4;
        /* z_t (R, 4H) += h_{t-1} (R, H) @ W_hh (H, 4H) */
        compute_gemm(one, NN_NOTRANS, NN_NOTRANS, R, GH, H, 1, a->hs + t * BH + off, H, s->w->w_hh, GH, 1,
                     zt, GH);
        /* the gates, c_t, tanh(c_t) and h_t of the R rows (the backend's kernel) */
        nn_k(one)->lstm_forward(zt, s->w->b_ih, a->cs + t * BH + off, a->cs + (t + 1) * BH + off,
                                a->tc + t * BH + off, a->hs + (t + 1) * BH + off, R, H);
    }
}

static void lstm_forward(const nn_layer *w, layer_acts *a, int in, const real *X, int T, int B,
                         int H, const nn_compute *cc) {
    const int GH = 4 * H;
    /* z (T*B, 4H) = X (T*B, in) @ W_ih (in, 4H) */
    compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, T * B, GH, in, 1, X, in, w->w_ih, GH, 0, a->z, GH);
    cell_rec s = {w, a, NULL, NULL, NULL, T, B, H};
    cell_rows(cc, B, lstm_forward_rows, &s);
}

/* Rows [r0, r1) back through the T steps. For one row of step t, with
 * dh_t = dy + dh (the gradient from the layer above plus the one carried
 * from step t+1) and dc the gradient carried into c_t from step t+1:
 *   h = o tanh(c)     =>  dc_t = dc + dh_t o (1 - tanh^2 c),  do = dh_t tanh c
 *   c = f cp + i g    =>  di = dc_t g,  df = dc_t cp,  dg = dc_t i,  dcp = dc_t f
 *   through the nonlinearities (s' = s (1 - s), tanh' = 1 - tanh^2):
 *   dz_i = di i (1 - i),  dz_f = df f (1 - f),  dz_g = dg (1 - g^2),
 *   dz_o = do o (1 - o).
 * The gates (i, f, g, o) are overwritten with dz; dc becomes dcp, the
 * gradient into c_{t-1} (the backend's lstm_backward, over the B rows).
 * dh into h_{t-1} is dz W_hh^T, one product per step. With bf16 products
 * the kernel also rounds dz into a->z16 as it computes it, and the four
 * products that read dz (this step's and the three weight products) read
 * that copy (the context's mirror[1]) instead of each rounding dz again. */
static void lstm_backward_rows(void *p, int r0, int r1, const nn_compute *one) {
    const cell_rec *s = p;
    const int H = s->H, GH = 4 * H, R = r1 - r0;
    const size_t BH = (size_t)s->B * H, off = (size_t)r0 * H;
    const layer_acts *a = s->a;
    for (int t = s->T - 1; t >= 0; t--) {
        real *zt = a->z + t * BH * 4 + off * 4;
        nn_k(one)->lstm_backward(zt, s->dc + off, s->dY + t * BH + off, s->dh + off, a->tc + t * BH + off,
                                 a->cs + t * BH + off, R, H, a->z16 ? a->z16 + t * BH * 4 + off * 4 : NULL);
        /* dh_{t-1} (R, H) = dz_t (R, 4H) @ W_hh^T (4H, H) */
        compute_gemm(one, NN_NOTRANS, NN_TRANS, R, H, GH, 1, zt, GH, s->w->w_hh, GH, 0, s->dh + off, H);
    }
}

static void lstm_backward(nn_layer *g, const nn_layer *w, layer_acts *a, int in, const real *X,
                          const real *dY, real *dX, real *dh, real *dc, real *dh0, real *dc0,
                          int T, int B, int H, const nn_compute *cc) {
    const size_t BH = (size_t)B * H;
    const int GH = 4 * H;
    nn_compute lc = *cc;
#ifndef NN_F64
    if (a->z16) {
        lc.mirror[1].f = a->z;
        lc.mirror[1].h = a->z16;
        lc.mirror[1].n = (size_t)T * BH * 4;
        lc.mirror[1].gen = NULL;
    }
#endif
    memset(dh, 0, BH * sizeof *dh);
    memset(dc, 0, BH * sizeof *dc);
    cell_rec s = {w, a, dY, dh, dc, T, B, H};
    cell_rows(&lc, B, lstm_backward_rows, &s);
    memcpy(dh0, dh, BH * sizeof *dh);
    memcpy(dc0, dc, BH * sizeof *dc);
    /* z = x W_ih + h W_hh + b: the same dz feeds W_ih, W_hh, b and x */
    cell_weight_backward(g, w, a, in, X, dX, a->z, a->z, T * B, H, GH, &lc);
}

const cell_ops NN_SFX(lstm_ops_f32, lstm_ops_f64) = {lstm_forward, lstm_backward};

#ifndef NN_F64
extern const struct cell_ops_f64 lstm_ops_f64;
const nn_cell nn_cell_lstm = {"LSTM", "lstm", 4, 1, 1, 0, 1, 1, &lstm_ops_f32, &lstm_ops_f64};
#endif
