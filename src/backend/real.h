/* backend/real.h: the scalar of a translation unit of src/nn/ or of a
 * backend's folder, and the elementwise helpers written over it.
 *
 * Every source of src/nn/ and of src/backend/<name>/ is compiled twice
 * (Makefile): over float, the
 * production instance, and with -DNN_F64 over double, the reference that
 * the gradient check differentiates. A function or type that exists in both
 * instances is named at its definition with NN_SFX(name_f32, name_f64),
 * which spells both instantiated names in full (grep finds either); inside
 * src/nn/ the short alias of net_internal.h is used at call sites.
 * Precision-free code (the cell registry, the parameter layout, the thread
 * fan-out) sits under #ifndef NN_F64, so it exists once. */
#ifndef RNNLM_BACKEND_REAL_H
#define RNNLM_BACKEND_REAL_H

#include <math.h>
#include <stddef.h>
#include <string.h>

#ifdef NN_F64
typedef double real;
#define NN_SFX(f32, f64) f64
#else
typedef float real;
#define NN_SFX(f32, f64) f32
#endif

/* Runs the statement(s) for j in [start, end): in blocks of 16, which gcc
 * vectorises at -O2 (a constant trip count needs no epilogue), then the
 * remainder. The bodies index restrict pointers, one per array or gate block
 * (offsets such as g[H + j] into one array would defeat the vectoriser). */
#define NN_FOR(j, start, end, ...)                                           \
    do {                                                                     \
        long j##0_ = (long)(start);                                          \
        for (; j##0_ + 16 <= (long)(end); j##0_ += 16)                       \
            for (int j##i_ = 0; j##i_ < 16; j##i_++) {                       \
                long j = j##0_ + j##i_;                                      \
                __VA_ARGS__                                                  \
            }                                                                \
        for (long j = j##0_; j < (long)(end); j++) { __VA_ARGS__ }           \
    } while (0)

/* Elementwise kernels. Each array is its own restrict parameter (gcc honours
 * restrict on parameters, also once inlined), so the NN_FOR loops vectorise. */

/* y (n) += x (n) */
static inline void vadd(real *restrict y, const real *restrict x, long n) {
    NN_FOR(j, 0, n, y[j] += x[j];);
}

/* y (n) = a (n) * b (n) */
static inline void vmul(real *restrict y, const real *restrict a, const real *restrict b, long n) {
    NN_FOR(j, 0, n, y[j] = a[j] * b[j];);
}

/* y (n) *= a (n) */
static inline void vmul_in(real *restrict y, const real *restrict a, long n) {
    NN_FOR(j, 0, n, y[j] *= a[j];);
}

/* y (n) += a (n) * b (n) */
static inline void vfma_in(real *restrict y, const real *restrict a, const real *restrict b, long n) {
    NN_FOR(j, 0, n, y[j] += a[j] * b[j];);
}

/* y (n) += a x (n) */
static inline void axpy(real *restrict y, real a, const real *restrict x, long n) {
    NN_FOR(j, 0, n, y[j] += a * x[j];);
}

/* rows (n, w) = each row a copy of v (w) */
static inline void fill_rows(real *rows, const real *v, size_t n, int w) {
    for (size_t i = 0; i < n; i++) memcpy(rows + i * (size_t)w, v, (size_t)w * sizeof *v);
}

/* g (w) += column sums of rows (n, w) */
static inline void colsum_acc(real *g, const real *rows, size_t n, int w) {
    for (size_t i = 0; i < n; i++) vadd(g, rows + i * (size_t)w, w);
}

#endif
