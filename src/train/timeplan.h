/* timeplan.h: a run planned in wall time (`budget_minutes`): the whole
 * number of epochs that fits the budget on this machine, from steps and a
 * validation timed before training on a scratch copy of the run's engine.
 * The plan becomes `budget_steps` (stored in the checkpoints), so a resumed
 * run follows it without measuring again, and `--budget-steps` with the
 * stored figure replays the run exactly anywhere. After each epoch the
 * trainer plans again from the epochs' own durations (timeplan_replan). */
#ifndef RNNLM_TIMEPLAN_H
#define RNNLM_TIMEPLAN_H

#include <stddef.h>

#include "core/common.h"
#include "train/step.h"

/* The share of the budget the plan fills: the rest absorbs what the timing
 * does not see (checkpoint writes, a machine a little slower later on);
 * the run's time guard (`max_minutes`) still cuts a run that overruns. */
#define TIMEPLAN_FILL 0.96

typedef struct {
    double step_s;           /* seconds per training step (median of the timed steps) */
    double valid_s;          /* seconds per validation of the whole validation split (0: none) */
    double measured_s;       /* wall time the measurement took */
    int steps_timed;         /* training steps timed, after the warm-up */
    size_t steps_per_epoch;
} timeplan;

/* Times training steps of a scratch engine built from cfg over the training
 * pairs (4 warm-up steps, then steps until about 6 s or 40 steps) and one
 * evaluation of up to 8 batches' worth of the validation pairs (vx, vy, vn;
 * vn == 0: none), scaled to the whole split. Under data parallelism every
 * rank calls it (the steps are collectives); the figures are rank 0's. */
rnnlm_status timeplan_measure(const step_config *cfg, const int32_t *x, const int32_t *y, size_t n,
                              const int32_t *vx, const int32_t *vy, size_t vn, timeplan *out, rnnlm_err *err);

/* The whole number of epochs (one validation each) that fits TIMEPLAN_FILL
 * of `minutes`, in [1, max_epochs]; *capped = 1 when max_epochs cut it. */
long timeplan_epochs(const timeplan *p, double minutes, long max_epochs, int *capped);

/* Re-planning after each epoch (trainer.c, unless `plan_fixed`): a plan
 * shrinks when its epochs, at epoch_s seconds each (the last few epochs'
 * mean), would pass TIMEPLAN_FILL of the budget, and grows (up to cap) only
 * when one more epoch still fits TIMEPLAN_FILL - TIMEPLAN_REGROW, so that a
 * machine's noise does not move it back and forth. */
#define TIMEPLAN_REGROW 0.03

/* The epochs of a plan of `epochs` re-made after epoch `done` of it, elapsed_s
 * seconds into a budget of `minutes`: `epochs` when it still fits; fewer
 * (not below done: the run ends there) when it does not; more, up to cap,
 * when the machine turned out faster. done >= epochs leaves it. */
long timeplan_replan(double minutes, double elapsed_s, double epoch_s, long done, long epochs, long cap);

/* A line for the run's header: "time budget 60 min: 23 epochs of 412 steps
 * (0.381 s a step, 2.9 s a validation, timed on 8 steps in 5.1 s)".
 * capped: 0 the budget decided; 1 the most epochs a run may have; 2 the
 * run's own cap (`plan_max_epochs`). */
void timeplan_describe(const timeplan *p, double minutes, long epochs, int capped, char *buf, size_t size);

#endif
