/* schedule.h: the arithmetic of the learning-rate schedules and of a
 * run's plan (README "Schedules"); trainer.c decides when they apply and
 * saves their state. Pure functions, so that a resumed run computes what the
 * uninterrupted one did. */
#ifndef RNNLM_SCHEDULE_H
#define RNNLM_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

/* Cosine: lr_min + (lr0 - lr_min) * 0.5 * (1 + cos(pi * step / total)) for
 * the step about to run (from 0); step is clamped to [0, total]; total < 1
 * gives lr0. */
double sched_cosine(double lr0, double lr_min, int64_t step, int64_t total);
/* The run's progress in [0, 1] at step, for the cosine of a run whose plan
 * was re-made (trainer.c): from the anchor (step0, from0), where the last
 * re-plan found it, linearly to 1 at the new total; total <= step0 gives 1. */
double sched_progress(int64_t step, int64_t total, int64_t step0, double from0);
/* Cosine at a progress p in [0, 1]: lr_min + (lr0 - lr_min) * 0.5 * (1 + cos(pi * p)). */
double sched_cosine_at(double lr0, double lr_min, double p);
/* Cosine held at lr0 for the fraction hold of the run (in [0, 1)), then
 * annealed over the rest: sched_cosine_at at (p - hold) / (1 - hold), lr0
 * while p <= hold; hold 0 is sched_cosine_at itself. */
double sched_cosine_held(double lr0, double lr_min, double hold, double p);
/* Step: lr0 * decay^floor((epoch - 1) / every) for epoch (from 1), not
 * below lr_min; every < 1 counts as 1. */
double sched_step(double lr0, double decay, double lr_min, long every, int epoch);
/* Plateau, at the end of a validated epoch: improved resets *bad to 0;
 * otherwise *bad counts the epoch and, once it exceeds patience, lr decays
 * (times decay, not below lr_min) and *bad goes back to 0. The new lr. */
double sched_plateau(double lr, double decay, double lr_min, long patience, int improved, long *bad);
/* A run planned in steps: the whole number of epochs nearest budget /
 * steps_per_epoch, in [1, max_epochs]; epochs itself when budget or
 * steps_per_epoch is 0. */
long sched_plan_epochs(long epochs, long budget, size_t steps_per_epoch, long max_epochs);
/* Averaging from a fraction of the run: the epoch ceil(from * epochs) (at
 * least 1), whose start is at or past that fraction of the epochs; average
 * itself when from is 0. */
long sched_plan_average(long average, double from, long epochs);
/* The averaging epoch of a plan re-made after epoch done, at progress p0,
 * for epochs in all: done + ceil((from - p0) / (1 - p0) * (epochs - done)),
 * at least done + 1, so that the remaining epochs split as a fresh plan's
 * do (done 0, p0 0: sched_plan_average's epoch). */
long sched_replan_average(double from, double p0, long done, long epochs);
#endif
