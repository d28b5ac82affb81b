/* eval.h: loss and accuracy of held-out pairs on a model, forward only, no
 * dropout: the one evaluator behind the trainer's validation and test
 * (train/step.h) and rnnlm_eval_stream (rnnlm.h), and the batch shape both
 * fit to a short text. */
#ifndef RNNLM_EVAL_H
#define RNNLM_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "model/model.h"

/* The shape of batches of rows carried across steps for n pairs: (B, T)
 * when they fill one such batch; otherwise as many rows of T pairs as they
 * fill, or, shorter than T pairs, one row of all of them (n = 0 gives
 * (1, 1), which the batcher refuses). */
void eval_fit_shape(size_t n, int B, int T, int *rb, int *rt);

/* How eval_pairs cuts the pairs into batches. */
typedef struct {
    int B, T;          /* the whole batch's shape */
    int windowed;      /* 1: full batches of B windows of T, each window from zero state (the
                          windowed pipeline); 0: B rows carried across batches of up to T steps */
    int r0, rows;      /* the rows [r0, r0 + rows) of each batch run here (one process: 0, B;
                          a rank of a data-parallel run: its share; rows 0: nothing) */
    int32_t *xb, *yb;  /* (B, T) scratch for a batch */
    double *lp;        /* NULL, or (n) each pair's log p of its target, in stream order (rows only, not
                          windowed; the rows run here) */
} eval_plan;

/* Adds the figures of the n pairs x[i] -> y[i] to *out and, when unk is
 * not NULL, the <unk> targets among them to *unk (both over the rows run
 * here). Starts from zero state and leaves the last batch's carried state
 * in m, which must be reserved for (rows, T). */
rnnlm_status eval_pairs(model *m, const int32_t *x, const int32_t *y, size_t n, const eval_plan *p,
                        batch_stats *out, size_t *unk, rnnlm_err *err);

#endif
