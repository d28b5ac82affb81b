/* backend/cpu/cpu.c: the CPU backend's table (backend.h): oneDNN and
 * OpenBLAS products (gemm.c), the worker pool (pool.c), the pointwise and
 * optimiser kernels (kernels.c); its contexts and memory. */
#include "backend/cpu/cpu.h"

#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NN_F64
/* OpenBLAS 0.3.21 has only a process-wide thread count: set to one, once
 * (every caller sets the same value, which keeps the library re-entrant),
 * so that the products run on the pool's threads. */
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void blas_single(void) { openblas_set_num_threads(1); }

static void cpu_init(backend_ctx *c, int threads) {
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)(n < COMPUTE_MAX_THREADS ? n : COMPUTE_MAX_THREADS) : 1;
    }
    c->threads = threads > COMPUTE_MAX_THREADS ? COMPUTE_MAX_THREADS : threads;
    c->bf16 = 0;
    memset(c->mirror, 0, sizeof c->mirror);
    pthread_once(&blas_once, blas_single);
}

static void *cpu_alloc(size_t bytes) {
    size_t n = bytes ? (bytes + 63) & ~(size_t)63 : 64;
    if (n < bytes) return NULL;
    void *p = aligned_alloc(64, n);
    if (p) memset(p, 0, n);
    return p;
}

static void cpu_release(void *p) { free(p); }
static void cpu_copy(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }

const backend backend_cpu = {
    .name = "cpu",
    .init = cpu_init,
    .describe = cpu_describe,
    .alloc = cpu_alloc,
    .release = cpu_release,
    .copy = cpu_copy,
    .parallel_for = cpu_parallel_for,
    .bf16_round = cpu_bf16_round,
    .generation = cpu_generation,
    .opt_update = cpu_opt_update,
    .opt_update_cols = cpu_opt_update_cols,
    .f32 = &cpu_kernels_f32,
    .f64 = &cpu_kernels_f64,
};
#endif
