/* backend_toy.h: a second CPU backend, in plain C loops (no oneDNN, no
 * OpenBLAS, no worker pool: parallel_for runs its tasks one after the
 * other), which shows that the backend interface (src/backend/backend.h)
 * is the whole seam: with it registered, the gradient check and the
 * PyTorch fixtures run on it unchanged (tests/test_toy_gradcheck.c,
 * tests/test_toy_reference.c). It has no bf16 products: a configuration
 * that asks for them is refused with a status.
 *
 * A test registers it with one line: backend_register(&backend_toy, &err).
 * toy_calls counts its products (the proof that it ran). */
#ifndef RNNLM_TESTS_BACKEND_TOY_H
#define RNNLM_TESTS_BACKEND_TOY_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"

static unsigned long toy_calls;

#define R float
#define TOY(name) toy_##name##_f32
#define EXP expf
#define TANH tanhf
#define LOG log
#define KTYPE backend_kernels_f32
#include "backend_toy_kernels.h"
#undef R
#undef TOY
#undef EXP
#undef TANH
#undef LOG
#undef KTYPE

#define R double
#define TOY(name) toy_##name##_f64
#define EXP exp
#define TANH tanh
#define LOG log
#define KTYPE backend_kernels_f64
#include "backend_toy_kernels.h"
#undef R
#undef TOY
#undef EXP
#undef TANH
#undef LOG
#undef KTYPE

static void toy_init(backend_ctx *c, int threads) {
    c->threads = threads < 1 ? 1 : threads > COMPUTE_MAX_THREADS ? COMPUTE_MAX_THREADS : threads;
    c->bf16 = 0;
    memset(c->mirror, 0, sizeof c->mirror);
}

static void *toy_alloc(size_t bytes) {
    size_t n = (bytes + 63) & ~(size_t)63;
    void *p = n >= bytes ? aligned_alloc(64, n ? n : 64) : NULL;
    if (p) memset(p, 0, n);
    return p;
}
static void toy_release(void *p) { free(p); }
static void toy_copy(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }

static void toy_parallel_for(const backend_ctx *c, int n, void (*fn)(void *, int), void *arg) {
    (void)c;
    for (int i = 0; i < n; i++) fn(arg, i);
}

/* The optimiser's rules (src/train/optim.h) on element i. */
static void toy_opt_1(const backend_opt *k, float *w, const float *g, float *s1, float *s2, size_t i) {
    float gi = g[i] * k->gs;
    switch (k->kind) {
    case BACKEND_ADAM:
        s1[i] += (gi - s1[i]) * k->omb1;
        s2[i] += (gi * gi - s2[i]) * k->omb2;
        if (k->eps_torch) w[i] -= k->step_size * s1[i] / (sqrtf(s2[i]) / k->bc2 + k->eps);
        else w[i] -= (k->a * s1[i]) / (sqrtf(s2[i]) + k->eps);
        break;
    case BACKEND_ADAGRAD:
        s1[i] += gi * gi;
        w[i] -= k->lr * gi / (sqrtf(s1[i]) + k->eps);
        break;
    default:
        w[i] -= k->lr * gi;
    }
}

static void toy_opt_update(const backend_opt *k, float *w, const float *g, float *s1, float *s2, size_t n) {
    for (size_t i = 0; i < n; i++) toy_opt_1(k, w, g, s1, s2, i);
}

static void toy_opt_update_cols(const backend_opt *k, float *w, const float *g, float *s1, float *s2,
                                const int32_t *idx, size_t n_idx) {
    for (size_t j = 0; j < n_idx; j++) toy_opt_1(k, w, g, s1, s2, (size_t)idx[j]);
}

static const backend backend_toy = {
    .name = "toy",
    .init = toy_init,
    .alloc = toy_alloc,
    .release = toy_release,
    .copy = toy_copy,
    .parallel_for = toy_parallel_for,
    .opt_update = toy_opt_update,
    .opt_update_cols = toy_opt_update_cols,
    .f32 = &toy_kernels_f32,
    .f64 = &toy_kernels_f64,
};

#endif
