/* backend/cpu/pool.c: the CPU backend's one thread pool, which runs
 * everything the library does in parallel (the products' slices, the
 * softmax heads' rows). */
#include "backend/cpu/cpu.h"

#include <pthread.h>

#ifndef NN_F64
/* The worker pool behind cpu_parallel_for: threads started once, on
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
    unsigned long born;             /* gen when the last workers were started (before the
                                       fan-out that needed them was published) */
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
                            PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, NULL, NULL, 0, 0, 0};

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
    /* the fan-out that started this worker may already be published: a
     * worker that took gen as seen would leave it to the caller alone */
    seen = pool.born;
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
    pool.born = pool.gen;
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

void cpu_parallel_for(const backend_ctx *c, int n, void (*fn)(void *arg, int i), void *arg) {
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
