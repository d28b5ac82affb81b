/* backend/registry.c: which backends exist and which one a new context
 * takes (backend.h), and the check that a backend has what a configuration
 * needs. */
#include "backend/backend.h"

#include <pthread.h>
#include <string.h>

#include "rnnlm.h"

/* The built-in backends, the default first: a backend of src/backend/<name>/
 * is one line here, X(its table). */
#define BACKENDS(X) X(backend_cpu)

#define BACKEND_EXTERN(table) extern const backend table;
BACKENDS(BACKEND_EXTERN)
#undef BACKEND_EXTERN
#define BACKEND_ENTRY(table) &table,
static const backend *const builtin[] = {BACKENDS(BACKEND_ENTRY)};
#undef BACKEND_ENTRY

/* Backends registered at run time (a program's or a test's own): the one
 * table of the process that registration writes, read by every new
 * context. */
#define BACKEND_MAX_REGISTERED 8
static struct {
    pthread_mutex_t mu;
    int n;
    const backend *be[BACKEND_MAX_REGISTERED];
} registered = {PTHREAD_MUTEX_INITIALIZER, 0, {NULL}};

const backend *backend_default(void) {
    int n = __atomic_load_n(&registered.n, __ATOMIC_ACQUIRE);
    return n > 0 ? registered.be[n - 1] : builtin[0];
}

const backend *backend_by_name(const char *name) {
    for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
        if (strcmp(builtin[i]->name, name) == 0) return builtin[i];
    int n = __atomic_load_n(&registered.n, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (strcmp(registered.be[i]->name, name) == 0) return registered.be[i];
    return NULL;
}

/* The first operation of what every model needs that be lacks, or NULL. */
static const char *missing_core(const backend *be) {
#define NEED(op) \
    if (!be->op) return #op;
    NEED(init) NEED(alloc) NEED(release) NEED(copy) NEED(parallel_for) NEED(f32) NEED(f64)
    NEED(f32->gemm) NEED(f32->bias_rows) NEED(f32->bias_grad) NEED(f32->gather_rows)
    NEED(f32->scatter_rows) NEED(f32->softmax_xent) NEED(f32->logits_lse) NEED(f32->mul)
    NEED(f32->mul_in) NEED(f32->fma_in) NEED(f32->add) NEED(f32->axpy)
    NEED(f64->gemm) NEED(f64->bias_rows) NEED(f64->bias_grad) NEED(f64->gather_rows)
    NEED(f64->scatter_rows) NEED(f64->softmax_xent) NEED(f64->mul) NEED(f64->mul_in)
    NEED(f64->fma_in) NEED(f64->add) NEED(f64->axpy)
    return NULL;
}

static const char *missing(const backend *be, const backend_needs *n) {
    const char *m = missing_core(be);
    if (m) return m;
    switch (n->cell) {
    case -1: break;
    case RNNLM_CELL_RNN:
        NEED(f32->rnn_forward) NEED(f32->rnn_backward) NEED(f64->rnn_forward) NEED(f64->rnn_backward)
        break;
    case RNNLM_CELL_LSTM:
        NEED(f32->lstm_forward) NEED(f32->lstm_backward) NEED(f64->lstm_forward) NEED(f64->lstm_backward)
        break;
    case RNNLM_CELL_GRU:
        NEED(f32->gru_forward) NEED(f32->gru_backward) NEED(f64->gru_forward) NEED(f64->gru_backward)
        break;
    default: return "a cell of this kind";
    }
    if (n->bf16) { NEED(bf16_round) NEED(generation) }
    if (n->sampled) {
        NEED(f32->sampled_xent) NEED(f32->gather_cols) NEED(f32->scatter_cols)
        NEED(f64->sampled_xent) NEED(f64->gather_cols) NEED(f64->scatter_cols)
    }
    if (n->optimiser) { NEED(opt_update) NEED(opt_update_cols) }
    return NULL;
#undef NEED
}

rnnlm_status backend_check(const backend *be, const backend_needs *n, rnnlm_err *err) {
    if (!be) be = backend_default();
    const char *m = missing(be, n);
    if (m) return rnnlm_fail(err, RNNLM_E_ARG, "backend %s has no %s operation", be->name, m);
    return RNNLM_OK;
}

rnnlm_status backend_register(const backend *be, rnnlm_err *err) {
    const char *m = be && be->name ? missing_core(be) : "name";
    if (m) return rnnlm_fail(err, RNNLM_E_ARG, "backend %s: no %s operation", be && be->name ? be->name : "?", m);
    pthread_mutex_lock(&registered.mu);
    int n = registered.n;
    if (n < BACKEND_MAX_REGISTERED) {
        registered.be[n] = be;
        __atomic_store_n(&registered.n, n + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&registered.mu);
    if (n >= BACKEND_MAX_REGISTERED)
        return rnnlm_fail(err, RNNLM_E_ARG, "backend %s: %d backends registered already", be->name, n);
    return RNNLM_OK;
}
