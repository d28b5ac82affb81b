/* nn/workspace.c: the network's workspace, carved from one allocation (and
 * the sampled softmax's from a second): one function lays the pieces out,
 * run once to size and once to hand out, so the two cannot disagree. */
#include "nn/net_internal.h"

#include <stdlib.h>

/* A first pass with base NULL only adds up the size (with overflow checks),
 * the second hands out 64-byte aligned pieces. */
typedef struct {
    char *base;
    size_t off;
    int overflow;
} carver;

static void *take(carver *cv, size_t a, size_t b, size_t c, size_t elsize) {
    size_t bytes;
    if (!size_mul(a, b, &bytes) || !size_mul(bytes, c, &bytes) ||
        !size_mul(bytes, elsize, &bytes) || !size_add(bytes, 63, &bytes)) {
        cv->overflow = 1;
        return NULL;
    }
    bytes &= ~(size_t)63;
    void *p = cv->base ? cv->base + cv->off : NULL;
    if (!size_add(cv->off, bytes, &cv->off)) cv->overflow = 1;
    return p;
}

static void carve(net *n, carver *cv, size_t B, size_t T, size_t chunk) {
    size_t H = (size_t)n->H, E = (size_t)n->E, GH = (size_t)n->G * H, V = (size_t)n->V;
    size_t W = E > H ? E : H;
    for (int l = 0; l < n->L; l++) {
        layer_acts *a = &n->acts[l];
        a->z = take(cv, T, B, GH, sizeof(real));
        a->hs = take(cv, T + 1, B, H, sizeof(real));
        a->cs = n->kind->has_c ? take(cv, T + 1, B, H, sizeof(real)) : NULL;
        a->tc = n->kind->has_c ? take(cv, T, B, H, sizeof(real)) : NULL;
        a->hp = n->kind->keeps_hproj ? take(cv, T, B, GH, sizeof(real)) : NULL;
        a->mask = take(cv, T, B, H, sizeof(real));
        a->drop = take(cv, T, B, H, sizeof(real));
        size_t wd = n->reg.weight > 0 ? H * GH : 0;   /* DropConnect's pieces */
        a->whd = wd ? take(cv, wd, 1, 1, sizeof(real)) : NULL;
        a->whm = wd ? take(cv, wd, 1, 1, sizeof(real)) : NULL;
        a->gwh = wd ? take(cv, wd, 1, 1, sizeof(real)) : NULL;
        a->y = NULL;
    }
    n->x0 = take(cv, T, B, E, sizeof(real));
    int inreg = n->reg.emb > 0 || n->reg.word > 0;   /* input regularisers */
    n->xmask = inreg ? take(cv, T, B, E, sizeof(real)) : NULL;
    n->wscale = n->reg.word > 0 ? take(cv, V, 1, 1, sizeof(real)) : NULL;
    n->dya = take(cv, T, B, W, sizeof(real));
    n->dyb = take(cv, T, B, W, sizeof(real));
    n->logits = take(cv, (size_t)n->nth, chunk, V, sizeof(real));
    n->gbt = take(cv, NN_MAX_THREADS - 1, V, 1, sizeof(real));
    n->gwt = take(cv, (size_t)n->nth - 1, V, W, sizeof(real));
    n->dh = take(cv, B, H, 1, sizeof(real));
    n->dc = take(cv, B, H, 1, sizeof(real));
    n->dh0 = take(cv, (size_t)n->L, B, H, sizeof(real));
    n->dc0 = take(cv, (size_t)n->L, B, H, sizeof(real));
    n->tx = take(cv, T, B, 1, sizeof(int32_t));
    n->ty = take(cv, T, B, 1, sizeof(int32_t));
}

void NN_SFX(net_release_f32, net_release_f64)(net *n) {
    free(n->mem);
    free(n->smem);
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
    carver cv = {NULL, 0, 0};
    carve(n, &cv, (size_t)B, (size_t)T, (size_t)chunk);
    if (cv.overflow)
        return rnnlm_fail(err, RNNLM_E_NOMEM, "workspace for B=%d T=%d overflows", B, T);
    void *mem = aligned_alloc(64, cv.off ? cv.off : 64);
    if (!mem)
        return rnnlm_fail(err, RNNLM_E_NOMEM, "workspace for B=%d T=%d: cannot allocate %zu bytes",
                          B, T, cv.off);
    memset(mem, 0, cv.off);
    cv = (carver){mem, 0, 0};
    carve(n, &cv, (size_t)B, (size_t)T, (size_t)chunk);
    n->mem = mem;
    n->B = B;
    n->T = T;
    n->chunk = chunk;
    return RNNLM_OK;
}

static void carve_sampled(net *n, carver *cv, size_t umax, size_t N) {
    size_t H = (size_t)n->H;
    n->uid = take(cv, umax, 1, 1, sizeof(int32_t));
    n->ucol = take(cv, N, 1, 1, sizeof(int32_t));
    n->umark = take(cv, (size_t)n->V, 1, 1, sizeof(int32_t));
    n->wu = take(cv, umax, H, 1, sizeof(real));
    n->gwu = take(cv, umax, H, 1, sizeof(real));
    n->uoff = take(cv, umax, 1, 1, sizeof(real));
    n->gbu = take(cv, umax, 1, 1, sizeof(real));
    n->dlt = take(cv, (size_t)n->chunk, 1, 1, sizeof(real));
}

rnnlm_status NN_SFX(net_reserve_sampled_f32, net_reserve_sampled_f64)(net *n, int K,
                                                                      rnnlm_err *err) {
    if (!n->mem) return rnnlm_fail(err, RNNLM_E_STATE, "sampled softmax: workspace not reserved");
    if (K < 1 || K > n->V)
        return rnnlm_fail(err, RNNLM_E_ARG, "sampled softmax: %d candidates, need 1 <= K <= V = %d",
                          K, n->V);
    size_t N = (size_t)n->B * (size_t)n->T, umax = (size_t)K + N;
    if (umax > (size_t)n->V) umax = (size_t)n->V;
    free(n->smem);
    n->smem = NULL;
    n->kmax = 0;
    carver cv = {NULL, 0, 0};
    carve_sampled(n, &cv, umax, N);
    if (cv.overflow) return rnnlm_fail(err, RNNLM_E_NOMEM, "sampled workspace for K=%d overflows", K);
    void *mem = aligned_alloc(64, cv.off ? cv.off : 64);
    if (!mem)
        return rnnlm_fail(err, RNNLM_E_NOMEM, "sampled workspace for K=%d: cannot allocate %zu bytes",
                          K, cv.off);
    memset(mem, 0, cv.off);
    cv = (carver){mem, 0, 0};
    carve_sampled(n, &cv, umax, N);
    n->smem = mem;
    n->kmax = K;
    return RNNLM_OK;
}
