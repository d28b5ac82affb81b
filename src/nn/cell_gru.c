/* nn/cell_gru.c: the GRU cell in PyTorch's form (the reset gate applied
 * after the recurrent product), gates r, z (update, called u here), n in
 * blocks of H, with an input bias bx and a recurrent bias bh:
 *   q = h_{t-1} W_hh + bh                      (kept per step in hp)
 *   r = s(x W_r + bx_r + q_r),  u = s(x W_u + bx_u + q_u)
 *   n = tanh(x W_n + bx_n + r q_n),  h_t = (1 - u) n + u h_{t-1}.
 * Forward and backward over T steps; the one-token inference step is the
 * forward with T = 1 (step.c). Size letters as in net.h; G = 3. */
#include "nn/net_internal.h"

/* Rows [r0, r1) through the T steps. */
static void gru_forward_rows(void *p, int r0, int r1, const nn_compute *one) {
    const cell_rec *s = p;
    const int H = s->H, GH = 3 * H, R = r1 - r0;
    const size_t BH = (size_t)s->B * H, off = (size_t)r0 * H;
    layer_acts *a = s->a;
    for (int t = 0; t < s->T; t++) {
        real *zt = a->z + t * BH * 3 + off * 3, *qt = a->hp + t * BH * 3 + off * 3;
        nn_k(one)->bias_rows(qt, s->w->b_hh, (size_t)R, GH);
        /* q_t (R, 3H) += h_{t-1} (R, H) @ W_hh (H, 3H) */
        compute_gemm(one, NN_NOTRANS, NN_NOTRANS, R, GH, H, 1, a->hs + t * BH + off, H, s->w->w_hh, GH, 1,
                     qt, GH);
        /* the gates and h_t of the R rows (the backend's kernel) */
        nn_k(one)->gru_forward(zt, qt, s->w->b_ih, a->hs + t * BH + off, a->hs + (t + 1) * BH + off, R, H);
    }
}

static void gru_forward(const nn_layer *w, layer_acts *a, int in, const real *X, int T, int B,
                        int H, const nn_compute *cc) {
    const int GH = 3 * H;
    /* z (T*B, 3H) = X (T*B, in) @ W_ih (in, 3H) */
    compute_gemm(cc, NN_NOTRANS, NN_NOTRANS, T * B, GH, in, 1, X, in, w->w_ih, GH, 0, a->z, GH);
    cell_rec s = {w, a, NULL, NULL, NULL, T, B, H};
    cell_rows(cc, B, gru_forward_rows, &s);
}

/* Rows [r0, r1) back through the T steps. */
static void gru_backward_rows(void *p, int r0, int r1, const nn_compute *one) {
    const cell_rec *s = p;
    const int H = s->H, GH = 3 * H, R = r1 - r0;
    const size_t BH = (size_t)s->B * H, off = (size_t)r0 * H;
    const layer_acts *a = s->a;
    for (int t = s->T - 1; t >= 0; t--) {
        real *zt = a->z + t * BH * 3 + off * 3, *qt = a->hp + t * BH * 3 + off * 3;
        nn_k(one)->gru_backward(zt, qt, s->dh + off, s->dY + t * BH + off, a->hs + t * BH + off, R, H);
        /* dh_{t-1} (R, H) += dq_t (R, 3H) @ W_hh^T (3H, H) */
        compute_gemm(one, NN_NOTRANS, NN_TRANS, R, H, GH, 1, qt, GH, s->w->w_hh, GH, 1, s->dh + off, H);
    }
}

/* Backward through one row of step t. With dh_t = dy + dh (from above and
 * from step t+1), hp = h_{t-1}, and the pre-activations a_r, a_u, a_n:
 *   h = (1 - u) n + u hp  =>  dn = dh_t (1 - u),  du = dh_t (hp - n),
 *                             dhp (direct part) = dh_t u
 *   n = tanh(a_n)         =>  da_n = dn (1 - n^2)
 *   a_n = x W_n + bx_n + r q_n  =>  dr = da_n q_n,  dq_n = da_n r
 *   r = s(a_r), u = s(a_u) =>  da_r = dr r (1 - r),  da_u = du u (1 - u)
 *   a_r, a_u = x W + bx + q  =>  dq_r = da_r,  dq_u = da_u.
 * The gates (r, u, n) become the input-side gradients (da_r, da_u, da_n),
 * q the recurrent-side ones (da_r, da_u, da_n r); dh becomes the direct
 * part u dh_t of the gradient into h_{t-1} (the backend's gru_backward,
 * over the B rows); the rest, dq W_hh^T, is one product per step. */
static void gru_backward(nn_layer *g, const nn_layer *w, layer_acts *a, int in, const real *X,
                         const real *dY, real *dX, real *dh, real *dc, real *dh0, real *dc0,
                         int T, int B, int H, const nn_compute *cc) {
    (void)dc;
    (void)dc0;
    const size_t BH = (size_t)B * H;
    const int GH = 3 * H;
    memset(dh, 0, BH * sizeof *dh);
    cell_rec s = {w, a, dY, dh, NULL, T, B, H};
    cell_rows(cc, B, gru_backward_rows, &s);
    memcpy(dh0, dh, BH * sizeof *dh);
    /* the input side (dz) feeds W_ih, bx and x; the recurrent side (dq) W_hh and bh */
    cell_weight_backward(g, w, a, in, X, dX, a->z, a->hp, T * B, H, GH, cc);
}

const cell_ops NN_SFX(gru_ops_f32, gru_ops_f64) = {gru_forward, gru_backward};

#ifndef NN_F64
extern const struct cell_ops_f64 gru_ops_f64;
const nn_cell nn_cell_gru = {"GRU", "gru", 3, 2, 0, 1, -1, 0, &gru_ops_f32, &gru_ops_f64};
#endif
