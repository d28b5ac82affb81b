/* nn/compute.h: the compute seam of the network layer. Every matrix product
 * and every thread fan-out of src/nn/ goes through these calls; nothing else
 * knows which backend runs them (oneDNN's matmul for single precision,
 * OpenBLAS for double, single-threaded per call, with the fan-out below).
 *
 * The thread count is explicit in the context: the library never reads or
 * changes a backend's process-wide thread setting while it runs. */
#ifndef RNNLM_NN_COMPUTE_H
#define RNNLM_NN_COMPUTE_H

#include <stddef.h>
#include <stdint.h>

#define COMPUTE_MAX_THREADS 64

typedef struct {
    int threads;   /* workers a product or a head may use, in [1, COMPUTE_MAX_THREADS] */
    int bf16;      /* single-precision products: inputs rounded to bfloat16, sums in fp32 */
    /* bf16: mirrors, h[i] = bf16(f[i]) for i < n (h NULL: none): an
     * operand inside f is read from h instead of being rounded again.
     * mirror[0]: the model's weights, refreshed by its owner whenever they
     * change; mirror[1]: a scratch one (the softmax's gradient of a slice of
     * logits, read by two products).
     * gen: where set (mirror[0]), a value its owner sets from
     * compute_generation() at every refresh; a product whose B lies in such a mirror keeps B packed in
     * the layout its kernel prefers and packs it again only when the
     * counter moves (weights change once per batch, products read them
     * many times). */
    struct {
        const float *f;
        const uint16_t *h;
        size_t n;
        const unsigned long *gen;
    } mirror[2];
} nn_compute;

typedef enum { NN_NOTRANS = 0, NN_TRANS = 1 } nn_op;

/* threads <= 0: one per online core; precision fp32. The first call also
 * sets the OpenBLAS pool to one thread, once and the same for every caller,
 * so that the products run on the threads this layer starts (see compute.c). */
void compute_init(nn_compute *c, int threads);

/* One line naming the path the single-precision products of c take:
 * library and version, the matmul implementation oneDNN picks at the
 * model's sizes, the instruction set, the precision and the threads. */
void compute_describe(const nn_compute *c, char *buf, size_t size);

/* A value never returned before in this process (a mirror's generation). */
unsigned long compute_generation(void);

/* dst (n) = src (n) rounded to bfloat16 (nearest even): the weights' mirror. */
void compute_bf16_mirror(uint16_t *dst, const float *src, size_t n);

/* C (M, N) = alpha op(A) (M, K) op(B) (K, N) + beta C, row-major, leading
 * dimensions lda, ldb, ldc. Large products are split over the rows (or the
 * columns) of C between c->threads workers; each element of C is computed
 * the same way whatever the split. c NULL: one thread. */
void compute_gemm_f32(const nn_compute *c, nn_op op_a, nn_op op_b, int M, int N, int K,
                      float alpha, const float *A, int lda, const float *B, int ldb, float beta,
                      float *C, int ldc);
void compute_gemm_f64(const nn_compute *c, nn_op op_a, nn_op op_b, int M, int N, int K,
                      double alpha, const double *A, int lda, const double *B, int ldb,
                      double beta, double *C, int ldc);

/* Runs fn(arg, i) for every i in [0, n), n <= COMPUTE_MAX_THREADS, each on
 * its own thread (i = 0 on the caller's), and returns when all are done.
 * Where a thread cannot be started its task runs on the caller's thread. */
void compute_parallel_for(const nn_compute *c, int n, void (*fn)(void *arg, int i), void *arg);

#endif
