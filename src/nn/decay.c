/* nn/decay.c: L2 weight decay over the weight matrices of the named view
 * (the embedding, every layer's W_ih and W_hh, the output kernel unless
 * tied, the adaptive head's kernels and projections; biases are not
 * decayed). */
#include "nn/net_internal.h"

static double decay_tensor(const nn_tensor *t, const real *w, real *g, double wd) {
    double sq = 0;
    const real *x = w + t->offset;
    real *gx = g + t->offset;
    for (size_t i = 0; i < t->count; i++) sq += (double)x[i] * (double)x[i];
    axpy(gx, (real)wd, x, (long)t->count);
    return sq;
}

double NN_SFX(nn_weight_decay_f32, nn_weight_decay_f64)(const nn_layout *lay, const real *w,
                                                        real *g, double wd) {
    if (!(wd > 0)) return 0;
    double sq = decay_tensor(&lay->emb, w, g, wd);
    for (int l = 0; l < lay->L; l++)
        sq += decay_tensor(&lay->layer[l].w_ih, w, g, wd) + decay_tensor(&lay->layer[l].w_hh, w, g, wd);
    if (lay->out_w.count) sq += decay_tensor(&lay->out_w, w, g, wd);
    for (int i = 0; lay->adaptive && i < ada_n_tensors(&lay->ada); i++)   /* its kernels and projections */
        if (lay->ada_t[i].ndim == 2) sq += decay_tensor(&lay->ada_t[i], w, g, wd);
    return 0.5 * wd * sq;
}
