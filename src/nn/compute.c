/* nn/compute.c: the OpenBLAS backend of the compute seam (compute.h).
 *
 * OpenBLAS 0.3.21 (pthreads build) has one process-wide thread count and no
 * per-call one; products issued from several threads at once with that
 * count above one are serialised on its level-3 lock. So the pool is set to
 * one thread, once (pthread_once: every caller sets the same value, which
 * keeps the library re-entrant), and the parallelism is this file's: a large
 * product is cut into slices of rows (or columns) of C, one single-threaded
 * GEMM per slice on its own thread; the softmax heads split their rows the
 * same way (compute_parallel_for). Slicing C leaves every element's sum over
 * K as it is. */
#include "nn/compute.h"

#include <cblas.h>
#include <pthread.h>
#include <unistd.h>

#include "nn/real.h"

/* Products below this many multiply-adds run on one thread: starting a
 * thread costs tens of microseconds, about what 2^22 multiply-adds take. */
#define COMPUTE_SPLIT_MIN (1L << 22)

#ifndef NN_F64
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void blas_single(void) { openblas_set_num_threads(1); }

void compute_init(nn_compute *c, int threads) {
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)(n < COMPUTE_MAX_THREADS ? n : COMPUTE_MAX_THREADS) : 1;
    }
    c->threads = threads > COMPUTE_MAX_THREADS ? COMPUTE_MAX_THREADS : threads;
    pthread_once(&blas_once, blas_single);
}

typedef struct {
    void (*fn)(void *, int);
    void *arg;
    int i;
} pf_task;

static void *pf_run(void *p) {
    pf_task *t = p;
    t->fn(t->arg, t->i);
    return NULL;
}

void compute_parallel_for(const nn_compute *c, int n, void (*fn)(void *arg, int i), void *arg) {
    (void)c;
    if (n > COMPUTE_MAX_THREADS) n = COMPUTE_MAX_THREADS;
    pf_task task[COMPUTE_MAX_THREADS];
    pthread_t tid[COMPUTE_MAX_THREADS];
    int started[COMPUTE_MAX_THREADS] = {0};
    for (int i = 1; i < n; i++) {
        task[i] = (pf_task){fn, arg, i};
        started[i] = pthread_create(&tid[i], NULL, pf_run, &task[i]) == 0;
    }
    if (n > 0) fn(arg, 0);
    for (int i = 1; i < n; i++) {
        if (started[i]) pthread_join(tid[i], NULL);
        else fn(arg, i);   /* no thread: its task runs here */
    }
}
#endif

static void blas_gemm(nn_op ta, nn_op tb, int M, int N, int K, real alpha, const real *A, int lda,
                      const real *B, int ldb, real beta, real *C, int ldc) {
    NN_SFX(cblas_sgemm, cblas_dgemm)(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                                     tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
                                     ldb, beta, C, ldc);
}

typedef struct {
    nn_op ta, tb;
    int M, N, K, lda, ldb, ldc, parts, by_cols;
    real alpha, beta;
    const real *A, *B;
    real *C;
} gemm_job;

/* Slice i of parts: rows [i0, i1) of C (and of op(A)), or columns [j0, j1)
 * of C (and of op(B)). */
static void gemm_slice(void *p, int i) {
    const gemm_job *g = p;
    if (g->by_cols) {
        int j0 = (int)((long)g->N * i / g->parts), j1 = (int)((long)g->N * (i + 1) / g->parts);
        const real *B = g->tb ? g->B + (size_t)j0 * g->ldb : g->B + j0;
        blas_gemm(g->ta, g->tb, g->M, j1 - j0, g->K, g->alpha, g->A, g->lda, B, g->ldb, g->beta,
                  g->C + j0, g->ldc);
    } else {
        int i0 = (int)((long)g->M * i / g->parts), i1 = (int)((long)g->M * (i + 1) / g->parts);
        const real *A = g->ta ? g->A + i0 : g->A + (size_t)i0 * g->lda;
        blas_gemm(g->ta, g->tb, i1 - i0, g->N, g->K, g->alpha, A, g->lda, g->B, g->ldb, g->beta,
                  g->C + (size_t)i0 * g->ldc, g->ldc);
    }
}

void NN_SFX(compute_gemm_f32, compute_gemm_f64)(const nn_compute *c, nn_op op_a, nn_op op_b,
                                                int M, int N, int K, real alpha, const real *A,
                                                int lda, const real *B, int ldb, real beta,
                                                real *C, int ldc) {
    int nt = c ? c->threads : 1;
    int by_cols = N > M, span = by_cols ? N : M;
    if (nt > span / 8) nt = span / 8;   /* slices of at least 8 rows or columns */
    if (nt <= 1 || (long)M * N * K < COMPUTE_SPLIT_MIN) {
        blas_gemm(op_a, op_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    gemm_job g = {op_a, op_b, M, N, K, lda, ldb, ldc, nt, by_cols, alpha, beta, A, B, C};
    compute_parallel_for(c, nt, gemm_slice, &g);
}
