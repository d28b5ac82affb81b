/* nn/cell_lstm.c: the LSTM cell, gates i, f, g (candidate), o in blocks of H
 * of the pre-activation z = x W_ih + h_{t-1} W_hh + b:
 *   i = s(z_i), f = s(z_f), g = tanh(z_g), o = s(z_o)      (s: sigmoid)
 *   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t).
 * Forward and backward over T steps; the one-token inference step is the
 * forward with T = 1 (step.c). Size letters as in net.h; G = 4. */
#include "nn/net_internal.h"

/* c = f cp + i g over one row (gates already activated) */
static inline void lstm_c(real *restrict c, const real *restrict gi, const real *restrict gf,
                          const real *restrict gg, const real *restrict cp, long H) {
    NN_FOR(j, 0, H, c[j] = gf[j] * cp[j] + gi[j] * gg[j];);
}

static void lstm_forward(const nn_layer *w, layer_acts *a, int in, const real *X, int T, int B,
                         int H, const nn_compute *cc) {
    const size_t BH = (size_t)B * H;
    const int GH = 4 * H;
    /* z (T*B, 4H) = X (T*B, in) @ W_ih (in, 4H) */
    compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, T * B, GH, in, 1, X, in, w->w_ih, GH, 0, a->z, GH);
    for (int t = 0; t < T; t++) {
        real *zt = a->z + t * BH * 4;
        /* z_t (B, 4H) += h_{t-1} (B, H) @ W_hh (H, 4H) */
        compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, B, GH, H, 1, a->hs + t * BH, H, w->w_hh, GH, 1,
                     zt, GH);
        for (int b = 0; b < B; b++) {
            size_t o = t * BH + (size_t)b * H;
            real *g = zt + (size_t)b * GH, *c = a->cs + BH + o, *tc = a->tc + o;
            vadd(g, w->b_ih, GH);
            vsigmoid(g, g, 2 * (size_t)H);            /* i, f */
            vtanh(g + 2 * H, g + 2 * H, (size_t)H);   /* g */
            vsigmoid(g + 3 * H, g + 3 * H, (size_t)H);   /* o */
            lstm_c(c, g, g + H, g + 2 * H, a->cs + o, H);
            vtanh(tc, c, (size_t)H);
            vmul(a->hs + BH + o, g + 3 * H, tc, H);
        }
    }
}

/* Backward through one row of step t. With dh_t = dy + dh (the gradient
 * from the layer above plus the one carried from step t+1) and dc the
 * gradient carried into c_t from step t+1:
 *   h = o tanh(c)     =>  dc_t = dc + dh_t o (1 - tanh^2 c),  do = dh_t tanh c
 *   c = f cp + i g    =>  di = dc_t g,  df = dc_t cp,  dg = dc_t i,  dcp = dc_t f
 *   through the nonlinearities (s' = s (1 - s), tanh' = 1 - tanh^2):
 *   dz_i = di i (1 - i),  dz_f = df f (1 - f),  dz_g = dg (1 - g^2),
 *   dz_o = do o (1 - o).
 * The gates (i, f, g, o) are overwritten with dz; dc becomes dcp, the
 * gradient into c_{t-1}. (dh into h_{t-1} is dz W_hh^T, one product per
 * step, in lstm_backward.) */
static inline void lstm_bwd_row(real *restrict gi, real *restrict gf, real *restrict gg,
                                real *restrict go, real *restrict dc, const real *restrict dy,
                                const real *restrict dh, const real *restrict tc,
                                const real *restrict cp, long H) {
    NN_FOR(j, 0, H,
        real i = gi[j]; real f = gf[j]; real c = gg[j]; real o = go[j];
        real dhv = dy[j] + dh[j];
        real dcv = dc[j] + dhv * o * (1 - tc[j] * tc[j]);
        gi[j] = dcv * c * i * (1 - i);
        gf[j] = dcv * cp[j] * f * (1 - f);
        gg[j] = dcv * i * (1 - c * c);
        go[j] = dhv * tc[j] * o * (1 - o);
        dc[j] = dcv * f;);
}

static void lstm_backward(nn_layer *g, const nn_layer *w, layer_acts *a, int in, const real *X,
                          const real *dY, real *dX, real *dh, real *dc, real *dh0, real *dc0,
                          int T, int B, int H, const nn_compute *cc) {
    const size_t BH = (size_t)B * H;
    const int GH = 4 * H;
    memset(dh, 0, BH * sizeof *dh);
    memset(dc, 0, BH * sizeof *dc);
    for (int t = T - 1; t >= 0; t--) {
        real *zt = a->z + t * BH * 4;
        for (int b = 0; b < B; b++) {
            size_t o = t * BH + (size_t)b * H, ob = (size_t)b * H;
            real *gt = zt + (size_t)b * GH;
            lstm_bwd_row(gt, gt + H, gt + 2 * H, gt + 3 * H, dc + ob, dY + o, dh + ob, a->tc + o,
                         a->cs + o, H);
        }
        /* dh_{t-1} (B, H) = dz_t (B, 4H) @ W_hh^T (4H, H) */
        compute_gemm(cc, NN_NOTRANS, NN_TRANS, B, H, GH, 1, zt, GH, w->w_hh, GH, 0, dh, H);
    }
    memcpy(dh0, dh, BH * sizeof *dh);
    memcpy(dc0, dc, BH * sizeof *dc);
    /* z = x W_ih + h W_hh + b: the same dz feeds W_ih, W_hh, b and x */
    cell_weight_backward(g, w, a, in, X, dX, a->z, a->z, T * B, H, GH, cc);
}

const cell_ops NN_SFX(lstm_ops_f32, lstm_ops_f64) = {lstm_forward, lstm_backward};

#ifndef NN_F64
extern const struct cell_ops_f64 lstm_ops_f64;
const nn_cell nn_cell_lstm = {"LSTM", "lstm", 4, 1, 1, 0, 1, &lstm_ops_f32, &lstm_ops_f64};
#endif
