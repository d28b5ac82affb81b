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

/* Products below this many multiply-adds run on one thread: waking a
 * worker and sharing the operands costs about what 2^22 multiply-adds take. */
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

/* The worker pool behind compute_parallel_for: threads started once, on
 * first need, and kept for the life of the process, so a fan-out costs a
 * wake-up (a short spin, then a condition variable), not a thread start.
 * One fan-out runs on it at a time; a caller that finds it busy (another
 * thread of the program using the library) runs its tasks on its own thread,
 * which gives the same results: the tasks write disjoint outputs. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    pthread_mutex_t busy;           /* held by the caller of the running fan-out */
    int workers;                    /* started */
    unsigned long gen;              /* bumped for every fan-out */
    void (*fn)(void *, int);
    void *arg;
    int n, next, unfinished;        /* tasks [1, n) are the workers' to claim */
} compute_pool;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static compute_pool pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
                            PTHREAD_MUTEX_INITIALIZER, 0, 0, NULL, NULL, 0, 0, 0};

/* Claims and runs tasks of the current fan-out until none is left; called
 * with pool.mu held, returns with it held. */
static void pool_drain(void) {
    while (pool.next < pool.n) {
        int i = pool.next++;
        pthread_mutex_unlock(&pool.mu);
        pool.fn(pool.arg, i);
        pthread_mutex_lock(&pool.mu);
        if (--pool.unfinished == 0) pthread_cond_broadcast(&pool.done);
    }
}

static void *pool_worker(void *unused) {
    (void)unused;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool.mu);
    seen = pool.gen;
    for (;;) {
        while (pool.gen == seen) {
            /* spin briefly: fan-outs come in bursts (every time step) */
            pthread_mutex_unlock(&pool.mu);
            for (int k = 0; k < 4000 && __atomic_load_n(&pool.gen, __ATOMIC_ACQUIRE) == seen; k++)
                cpu_relax();
            pthread_mutex_lock(&pool.mu);
            if (pool.gen == seen) pthread_cond_wait(&pool.wake, &pool.mu);
        }
        seen = pool.gen;
        pool_drain();
    }
    return NULL;
}

/* Starts workers until there are `want`; fewer when a thread cannot start. */
static void pool_grow(int want) {
    while (pool.workers < want) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        int ok = pthread_create(&t, &a, pool_worker, NULL) == 0;
        pthread_attr_destroy(&a);
        if (!ok) break;
        pool.workers++;
    }
}

void compute_parallel_for(const nn_compute *c, int n, void (*fn)(void *arg, int i), void *arg) {
    (void)c;
    if (n > COMPUTE_MAX_THREADS) n = COMPUTE_MAX_THREADS;
    if (n <= 1 || pthread_mutex_trylock(&pool.busy) != 0) {
        for (int i = 0; i < n; i++) fn(arg, i);   /* one task, or the pool is in use */
        return;
    }
    pthread_mutex_lock(&pool.mu);
    pool_grow(n - 1);
    pool.fn = fn;
    pool.arg = arg;
    pool.n = n;
    pool.next = 1;
    pool.unfinished = n - 1;
    __atomic_add_fetch(&pool.gen, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mu);
    fn(arg, 0);
    pthread_mutex_lock(&pool.mu);
    pool_drain();   /* the caller helps with what no worker has claimed */
    while (pool.unfinished > 0) pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
    pthread_mutex_unlock(&pool.busy);
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
