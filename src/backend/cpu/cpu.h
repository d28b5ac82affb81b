/* backend/cpu/cpu.h: what the files of the CPU backend share (not for use
 * outside src/backend/cpu/). The backend owns all of its state: the worker
 * pool (pool.c), oneDNN's engine and each thread's primitive cache, the
 * weights' generation counter and OpenBLAS's one-thread setting (gemm.c,
 * cpu.c); nothing outside this folder holds any of it. */
#ifndef RNNLM_BACKEND_CPU_H
#define RNNLM_BACKEND_CPU_H

#include "backend/backend.h"

/* pool.c: the persistent worker pool behind the backend's parallel_for */
void cpu_parallel_for(const backend_ctx *c, int n, void (*fn)(void *arg, int i), void *arg);

/* gemm.c: the products, oneDNN's path line, bf16 rounding, the counter */
void cpu_gemm_f32(const backend_ctx *c, nn_op op_a, nn_op op_b, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
void cpu_gemm_f64(const backend_ctx *c, nn_op op_a, nn_op op_b, int M, int N, int K, double alpha,
                  const double *A, int lda, const double *B, int ldb, double beta, double *C,
                  int ldc);
void cpu_describe(const backend_ctx *c, char *buf, size_t size);
unsigned long cpu_generation(void);
void cpu_bf16_round(uint16_t *dst, const float *src, size_t n);

/* kernels.c: the pointwise kernels of each precision, the optimiser's */
extern const backend_kernels_f32 cpu_kernels_f32;
extern const backend_kernels_f64 cpu_kernels_f64;
void cpu_opt_update(const backend_opt *k, float *w, const float *g, float *s1, float *s2, size_t n);
void cpu_opt_update_cols(const backend_opt *k, float *w, const float *g, float *s1, float *s2,
                         const int32_t *idx, size_t n_idx);

#endif
