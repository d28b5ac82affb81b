/* nn/cell.c: the cell registry (cell.h), and the weight gradients every
 * cell kind shares once its pre-activation gradients are known. */
#include "nn/net_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "rnnlm.h"

#ifndef NN_F64
#define NN_CELL_EXTERN(kind, desc) extern const nn_cell desc;
NN_CELLS(NN_CELL_EXTERN)
#undef NN_CELL_EXTERN

#define NN_CELL_ENTRY(kind, desc) [kind] = &desc,
static const nn_cell *const cells[CELL_COUNT] = {NN_CELLS(NN_CELL_ENTRY)};
#undef NN_CELL_ENTRY

const nn_cell *nn_cell_of(cell_kind kind) {
    return (int)kind >= 0 && kind < CELL_COUNT ? cells[kind] : NULL;
}

int nn_cell_by_key(const char *key) {
    for (int k = 0; k < CELL_COUNT; k++)
        if (strcmp(cells[k]->key, key) == 0) return k;
    return -1;
}

static char choices[CELL_COUNT * 16];
static pthread_once_t choices_once = PTHREAD_ONCE_INIT;

static void choices_build(void) {
    size_t n = 0;
    for (int k = 0; k < CELL_COUNT; k++)
        n += (size_t)snprintf(choices + n, sizeof choices - n, "%s%s", k ? "|" : "", cells[k]->key);
}

const char *nn_cell_choices(void) {
    pthread_once(&choices_once, choices_build);
    return choices;
}

const char *rnnlm_cell_choices(void) { return nn_cell_choices(); }

const char *rnnlm_cell_name(int cell) {
    const nn_cell *c = nn_cell_of((cell_kind)cell);
    return c ? c->name : NULL;
}

typedef struct {
    cell_rows_fn body;
    void *arg;
    int B, nt;
    nn_compute one;
} rows_job;

static void rows_slice(void *p, int i) {
    const rows_job *j = p;
    j->body(j->arg, (int)((long)j->B * i / j->nt), (int)((long)j->B * (i + 1) / j->nt), &j->one);
}

void cell_rows(const nn_compute *cc, int B, cell_rows_fn body, void *arg) {
    int nt = cc->threads < 1 ? 1 : cc->threads;
    if (nt > B / CELL_MIN_ROWS) nt = B / CELL_MIN_ROWS;
    if (nt > COMPUTE_MAX_THREADS) nt = COMPUTE_MAX_THREADS;
    if (nt <= 1) {
        body(arg, 0, B, cc);
        return;
    }
    rows_job j = {body, arg, B, nt, *cc};
    j.one.threads = 1;
    compute_parallel_for(cc, nt, rows_slice, &j);
}
#endif

void NN_SFX(cell_weight_backward_f32, cell_weight_backward_f64)(
    nn_layer *g, const nn_layer *w, const layer_acts *a, int in, const real *X, real *dX,
    const real *dzx, const real *dzh, int N, int H, int GH, const nn_compute *cc) {
    /* gW_hh (H, GH) += h_{t-1}^T (H, N) @ dzh (N, GH): the states slots 0..T-1 */
    compute_gemm(cc, NN_TRANS, NN_NOTRANS, H, GH, N, 1, a->hs, H, dzh, GH, 1, g->w_hh, GH);
    /* gW_ih (in, GH) += X^T (in, N) @ dzx (N, GH) */
    compute_gemm(cc, NN_TRANS, NN_NOTRANS, in, GH, N, 1, X, in, dzx, GH, 1, g->w_ih, GH);
    nn_k(cc)->bias_grad(g->b_ih, dzx, (size_t)N, GH);
    if (g->b_hh) nn_k(cc)->bias_grad(g->b_hh, dzh, (size_t)N, GH);
    /* dX (N, in) = dzx (N, GH) @ W_ih^T (GH, in) */
    if (dX) compute_gemm(cc, NN_NOTRANS, NN_TRANS, N, in, GH, 1, dzx, GH, w->w_ih, GH, 0, dX, in);
}
