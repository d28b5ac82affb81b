/* nn/actreg.c: activation regularisation (AR) and temporal activation
 * regularisation (TAR) of the last recurrent layer, as Merity, Keskar and
 * Socher (2018) add them to the loss of AWD-LSTM:
 *
 *   ar  * mean over (T, B, H) of y^2,                y the output after dropout
 *   tar * mean over (T - 1, B, H) of (h_t - h_{t-1})^2, h the output before
 *         dropout, t = 1 .. T-1 within the batch (no pair across batches)
 *
 * Both act in training batches only, beside the dropout masks. They are
 * host loops over the (T, B, H) activations, like weight decay (decay.c):
 * a few passes over memory the cell has just written, against products of
 * (T B, H) by (H, 4H) each step. */
#include "nn/net_internal.h"

double NN_SFX(actreg_forward_f32, actreg_forward_f64)(net *n, int T, int train) {
    const layer_acts *a = &n->acts[n->L - 1];
    const size_t BH = (size_t)n->B * (size_t)n->H, NH = (size_t)T * BH;
    double pen = 0;
    if (n->reg.ar > 0) {
        double sq = 0;
        for (size_t i = 0; i < NH; i++) sq += (double)a->y[i] * (double)a->y[i];
        pen += n->reg.ar * sq / (double)NH;
        /* d/dy = 2 ar y / (T B H), into the gradient w.r.t. y the head wrote */
        if (train) axpy(n->dya, (real)(2.0 * n->reg.ar / (double)NH), a->y, (long)NH);
    }
    if (n->reg.tar > 0 && T > 1) {
        const real *h = a->hs + BH;   /* slots 1..T: the outputs before dropout */
        double sq = 0;
        for (size_t i = BH; i < NH; i++) {
            double d = (double)h[i] - (double)h[i - BH];
            sq += d * d;
        }
        pen += n->reg.tar * sq / (double)(NH - BH);
    }
    return pen;
}

void NN_SFX(actreg_backward_f32, actreg_backward_f64)(net *n, real *dh, int T) {
    if (!(n->reg.tar > 0) || T < 2) return;
    const layer_acts *a = &n->acts[n->L - 1];
    const size_t BH = (size_t)n->B * (size_t)n->H, NH = (size_t)T * BH;
    const real *h = a->hs + BH;
    /* each pair (t-1, t) adds c d to dh_t and takes it from dh_{t-1},
     * d = h_t - h_{t-1}, c = 2 tar / ((T - 1) B H) */
    const real c = (real)(2.0 * n->reg.tar / (double)(NH - BH));
    for (size_t i = BH; i < NH; i++) {
        real d = c * (h[i] - h[i - BH]);
        dh[i] += d;
        dh[i - BH] -= d;
    }
}
