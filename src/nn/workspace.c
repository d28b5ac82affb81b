/* nn/workspace.c: the network's workspace, carved from one allocation of
 * the backend's memory (and the sampled softmax's from a second): one
 * function lays the pieces out, run once to size and once to hand out
 * (nn_carver, net_internal.h), so the two cannot disagree. */
#include "nn/net_internal.h"

#include <stdlib.h>

static void carve(net *n, nn_carver *cv, size_t B, size_t T, size_t chunk) {
    size_t H = (size_t)n->H, E = (size_t)n->E, GH = (size_t)n->G * H, V = (size_t)n->V;
    size_t W = E > H ? E : H;
    size_t wd = n->reg.weight > 0 ? H * GH : 0;   /* DropConnect's dropped W_hh, the layers' consecutive */
    real *whd = wd ? carve_take(cv, (size_t)n->L, wd, 1, sizeof(real)) : NULL;
    for (int l = 0; l < n->L; l++) {
        layer_acts *a = &n->acts[l];
        a->z = carve_take(cv, T, B, GH, sizeof(real));
        a->hs = carve_take(cv, T + 1, B, H, sizeof(real));
        a->cs = n->kind->has_c ? carve_take(cv, T + 1, B, H, sizeof(real)) : NULL;
        a->tc = n->kind->has_c ? carve_take(cv, T, B, H, sizeof(real)) : NULL;
        a->hp = n->kind->keeps_hproj ? carve_take(cv, T, B, GH, sizeof(real)) : NULL;
        a->mask = carve_take(cv, T, B, H, sizeof(real));
        a->drop = carve_take(cv, T, B, H, sizeof(real));
        a->whd = whd ? whd + (size_t)l * wd : NULL;   /* DropConnect's pieces (sizing pass: NULL) */
        a->whm = wd ? carve_take(cv, wd, 1, 1, sizeof(real)) : NULL;
        a->gwh = wd ? carve_take(cv, wd, 1, 1, sizeof(real)) : NULL;
        a->y = NULL;
    }
    n->x0 = carve_take(cv, T, B, E, sizeof(real));
    int inreg = n->reg.emb > 0 || n->reg.word > 0;   /* input regularisers */
    n->xmask = inreg ? carve_take(cv, T, B, E, sizeof(real)) : NULL;
    n->wscale = n->reg.word > 0 ? carve_take(cv, V, 1, 1, sizeof(real)) : NULL;
    n->dya = carve_take(cv, T, B, W, sizeof(real));
    n->dyb = carve_take(cv, T, B, W, sizeof(real));
    /* the full softmax's slices and helpers' gradients (the adaptive head has its own) */
    const size_t full = n->lay->adaptive ? 0 : 1;
    n->logits = carve_take(cv, full * (size_t)n->nth, chunk, V, sizeof(real));
    n->gbt = carve_take(cv, full * (NN_MAX_THREADS - 1), V, 1, sizeof(real));
    n->gwt = carve_take(cv, full * ((size_t)n->nth - 1), V, W, sizeof(real));
    n->dh = carve_take(cv, B, H, 1, sizeof(real));
    n->dc = carve_take(cv, B, H, 1, sizeof(real));
    n->dh0 = carve_take(cv, (size_t)n->L, B, H, sizeof(real));
    n->dc0 = carve_take(cv, (size_t)n->L, B, H, sizeof(real));
    n->tx = carve_take(cv, T, B, 1, sizeof(int32_t));
    n->ty = carve_take(cv, T, B, 1, sizeof(int32_t));
}

void NN_SFX(net_release_f32, net_release_f64)(net *n) {
    const backend *be = backend_of(&n->cc);
    if (n->mem) be->release(n->mem);
    if (n->smem) be->release(n->smem);
    NN_SFX(ada_free_f32, ada_free_f64)(n->ada, &n->cc);
    n->ada = NULL;
    n->mem = n->smem = NULL;
    n->B = n->T = n->chunk = 0;
    n->kmax = n->n_union = 0;
}

rnnlm_status NN_SFX(net_reserve_f32, net_reserve_f64)(net *n, int B, int T, int chunk,
                                                      rnnlm_err *err) {
    workspace_release(n);
    if (B < 1 || T < 1 || chunk < 1)
        return rnnlm_fail(err, RNNLM_E_ARG, "batch shape B=%d T=%d chunk=%d: each must be >= 1",
                          B, T, chunk);
    int nth = n->cc.threads;
    n->nth = nth < 1 ? 1 : nth > NN_MAX_THREADS ? NN_MAX_THREADS : nth;
    nn_carver cv = {NULL, 0, 0};
    carve(n, &cv, (size_t)B, (size_t)T, (size_t)chunk);
    if (cv.overflow)
        return rnnlm_fail(err, RNNLM_E_NOMEM, "workspace for B=%d T=%d overflows", B, T);
    void *mem = backend_of(&n->cc)->alloc(cv.off);
    if (!mem)
        return rnnlm_fail(err, RNNLM_E_NOMEM, "workspace for B=%d T=%d: cannot allocate %zu bytes",
                          B, T, cv.off);
    cv = (nn_carver){mem, 0, 0};
    carve(n, &cv, (size_t)B, (size_t)T, (size_t)chunk);
    n->mem = mem;
    if (n->lay->adaptive) {   /* the adaptive head's own workspace */
        rnnlm_status s = NN_SFX(ada_reserve_f32, ada_reserve_f64)(&n->ada, &n->lay->ada, B * T, chunk,
                                                                  &n->cc, err);
        if (s) {
            workspace_release(n);
            return s;
        }
    }
    n->B = B;
    n->T = T;
    n->chunk = chunk;
    return RNNLM_OK;
}

static void carve_sampled(net *n, nn_carver *cv, size_t umax, size_t N) {
    size_t H = (size_t)n->H;
    n->uid = carve_take(cv, umax, 1, 1, sizeof(int32_t));
    n->ucol = carve_take(cv, N, 1, 1, sizeof(int32_t));
    n->umark = carve_take(cv, (size_t)n->V, 1, 1, sizeof(int32_t));
    n->wu = carve_take(cv, umax, H, 1, sizeof(real));
    n->gwu = carve_take(cv, umax, H, 1, sizeof(real));
    n->uoff = carve_take(cv, umax, 1, 1, sizeof(real));
    n->gbu = carve_take(cv, umax, 1, 1, sizeof(real));
    n->dlt = carve_take(cv, (size_t)n->chunk, 1, 1, sizeof(real));
}

rnnlm_status NN_SFX(net_reserve_sampled_f32, net_reserve_sampled_f64)(net *n, int K,
                                                                      rnnlm_err *err) {
    if (!n->mem) return rnnlm_fail(err, RNNLM_E_STATE, "sampled softmax: workspace not reserved");
    if (K < 1 || K > n->V)
        return rnnlm_fail(err, RNNLM_E_ARG, "sampled softmax: %d candidates, need 1 <= K <= V = %d",
                          K, n->V);
    size_t N = (size_t)n->B * (size_t)n->T, umax = (size_t)K + N;
    if (umax > (size_t)n->V) umax = (size_t)n->V;
    if (n->smem) backend_of(&n->cc)->release(n->smem);
    n->smem = NULL;
    n->kmax = 0;
    nn_carver cv = {NULL, 0, 0};
    carve_sampled(n, &cv, umax, N);
    if (cv.overflow) return rnnlm_fail(err, RNNLM_E_NOMEM, "sampled workspace for K=%d overflows", K);
    void *mem = backend_of(&n->cc)->alloc(cv.off);
    if (!mem)
        return rnnlm_fail(err, RNNLM_E_NOMEM, "sampled workspace for K=%d: cannot allocate %zu bytes",
                          K, cv.off);
    cv = (nn_carver){mem, 0, 0};
    carve_sampled(n, &cv, umax, N);
    n->smem = mem;
    n->kmax = K;
    return RNNLM_OK;
}
