/* precision.h: the precision `auto` resolves to (rnnlm.h, RNNLM_PRECISION_AUTO):
 * bf16 products where they are faster than fp32 on this machine for this
 * model's shapes, fp32 otherwise. The answer comes from a measurement: the
 * model's main products at its real widths (the output layer's three
 * products on one slice of rows per worker, each layer's input, recurrent
 * and gradient products), both precisions timed in turn a few times, the
 * median of each, scaled to one batch. bf16 is chosen only when it wins by
 * PRECISION_MARGIN; a backend without bf16 products gets fp32 unmeasured. */
#ifndef RNNLM_MODEL_PRECISION_H
#define RNNLM_MODEL_PRECISION_H

#include "model/model.h"

/* The rows a scoring pass measures (rnnlm_model_set_precision): `rnnlm
 * score`'s default lanes. */
#define PRECISION_SCORING_LANES 64

/* bf16 must take at most 1/PRECISION_MARGIN of fp32's time to be chosen. */
#define PRECISION_MARGIN 1.05

typedef struct {
    int bf16;        /* the choice: 1 bf16, 0 fp32 */
    double ratio;    /* fp32's time over bf16's on the measured products (0: not measured) */
    char why[160];   /* the choice and its reason, for the compute line: "bf16 (1.52x fp32 on ...)" */
} precision_choice;

/* Measures the products of cfg's model (V, E, H, L, cell, tied, threads) in
 * a batch of B rows and T steps, forward and, with train, backward, and
 * chooses. Takes well under a second for the recipe's models. */
rnnlm_status precision_choose(const model_config *cfg, int B, int T, int train, precision_choice *out,
                              rnnlm_err *err);

/* Tests: from now on the measurement reports `ratio` (fp32's time over
 * bf16's) instead of timing anything; 0 restores the timing. The choice
 * is then made from it as from a measured one. Not for concurrent use. */
void precision_fix_measurement(double ratio);

#endif
