/* nn/compute.h: the network layer's view of the backend (backend/backend.h):
 * its context, and short calls that dispatch each operation to the
 * context's backend. Every matrix product, thread fan-out and pointwise
 * kernel of src/nn/ goes through these; nothing in src/nn/ knows which
 * backend runs them.
 *
 * The thread count is explicit in the context: the library never reads or
 * changes a backend's process-wide thread setting while it runs. */
#ifndef RNNLM_NN_COMPUTE_H
#define RNNLM_NN_COMPUTE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "backend/backend.h"

typedef backend_ctx nn_compute;

/* The default backend, threads <= 0: one per online core; precision fp32. */
static inline void compute_init(nn_compute *c, int threads) {
    const backend *be = backend_default();
    be->init(c, threads);
    c->be = be;
    c->allreduce = NULL;
    c->allreduce_arg = NULL;
}

/* One line naming the path the single-precision products of c take. */
static inline void compute_describe(const nn_compute *c, char *buf, size_t size) {
    const backend *be = backend_of(c);
    if (be->describe) be->describe(c, buf, size);
    else snprintf(buf, size, "backend %s, %d thread%s", be->name, c->threads, c->threads == 1 ? "" : "s");
}

/* The default backend's bf16 rounding (dst (n) = src (n) rounded to nearest
 * even: a weights' mirror) and a value never returned before (a mirror's
 * generation); for a model's own mirror its backend's are used (model.c). */
static inline void compute_bf16_mirror(uint16_t *dst, const float *src, size_t n) {
    backend_default()->bf16_round(dst, src, n);
}
static inline unsigned long compute_generation(void) { return backend_default()->generation(); }

/* The kernels of c's backend in the precision of a translation unit. */
#define compute_k32(c) (backend_of(c)->f32)
#define compute_k64(c) (backend_of(c)->f64)

static inline void compute_gemm_f32(const nn_compute *c, nn_op op_a, nn_op op_b, int M, int N, int K,
                                    float alpha, const float *A, int lda, const float *B, int ldb,
                                    float beta, float *C, int ldc) {
    backend_of(c)->f32->gemm(c, op_a, op_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
static inline void compute_gemm_f64(const nn_compute *c, nn_op op_a, nn_op op_b, int M, int N, int K,
                                    double alpha, const double *A, int lda, const double *B, int ldb,
                                    double beta, double *C, int ldc) {
    backend_of(c)->f64->gemm(c, op_a, op_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* Runs fn(arg, i) for every i in [0, n), n <= COMPUTE_MAX_THREADS, and
 * returns when all are done (the backend's fan-out). */
static inline void compute_parallel_for(const nn_compute *c, int n, void (*fn)(void *arg, int i),
                                        void *arg) {
    backend_of(c)->parallel_for(c, n, fn, arg);
}

#endif
