/* timeplan.c: a run planned in wall time (timeplan.h). */
#include "train/timeplan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/elapsed.h"

#define WARMUP_STEPS 4      /* the first steps build caches and fault in memory */
#define TIMED_SECONDS 6.0   /* time steps until this much has passed (2 s gave medians 15% off) ... */
#define TIMED_MAX 40        /* ... or this many were timed */
#define TIMED_MIN 3
#define VALID_BATCHES 8     /* the validation slice, in batches of B x T pairs */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs steps of e: WARMUP_STEPS untimed, then until TIMED_SECONDS or
 * TIMED_MAX; the median step into p. An epoch shorter than that is begun
 * again. */
static rnnlm_status time_steps(step_engine *e, timeplan *p, rnnlm_err *err) {
    double s[TIMED_MAX], total = 0;
    int n = 0;
    step_progress prog;
    step_begin_epoch(e);
    for (int i = 0; n < TIMED_MAX && (n < TIMED_MIN || total < TIMED_SECONDS); i++) {
        int done = 0;
        double t0 = elapsed_now();
        rnnlm_status st = step_run(e, &prog, &done, err);
        if (st) return st;
        if (done) {   /* a short epoch: start another */
            step_begin_epoch(e);
            i--;
            continue;
        }
        double dt = elapsed_now() - t0;
        if (i < WARMUP_STEPS) continue;
        s[n++] = dt;
        total += dt;
    }
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    p->step_s = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    p->steps_timed = n;
    return RNNLM_OK;
}

rnnlm_status timeplan_measure(const step_config *cfg, const int32_t *x, const int32_t *y, size_t n,
                              const int32_t *vx, const int32_t *vy, size_t vn, timeplan *out, rnnlm_err *err) {
    double t0 = elapsed_now();
    timeplan p = {0};
    step_engine *e = NULL;
    rnnlm_status st = step_create(&e, cfg, x, y, n, err);
    if (!st) {
        p.steps_per_epoch = step_steps_per_epoch(e);
        st = time_steps(e, &p, err);
    }
    if (!st && vn) {
        size_t slice = (size_t)VALID_BATCHES * (size_t)cfg->B * (size_t)cfg->T;
        if (slice > vn) slice = vn;
        batch_stats vs;
        double v0 = elapsed_now();
        st = step_evaluate(e, vx, vy, slice, &vs, err);
        p.valid_s = (elapsed_now() - v0) * (double)vn / (double)slice;
    }
    step_free(e);
    if (st) return st;
    p.measured_s = elapsed_now() - t0;
    *out = p;
    return RNNLM_OK;
}

long timeplan_epochs(const timeplan *p, double minutes, long max_epochs, int *capped) {
    double epoch_s = p->step_s * (double)p->steps_per_epoch + p->valid_s;
    double fit = epoch_s > 0 ? floor(TIMEPLAN_FILL * 60.0 * minutes / epoch_s) : (double)max_epochs;
    *capped = fit > (double)max_epochs;
    return fit < 1 ? 1 : *capped ? max_epochs : (long)fit;
}

long timeplan_replan(double minutes, double elapsed_s, double epoch_s, long done, long epochs, long cap) {
    if (!(epoch_s > 0) || done >= epochs) return epochs;
    double budget = 60.0 * minutes;
    double fit = floor((TIMEPLAN_FILL * budget - elapsed_s) / epoch_s);
    if ((double)done + fit < (double)epochs) return fit < 0 ? done : done + (long)fit;
    double more = floor(((TIMEPLAN_FILL - TIMEPLAN_REGROW) * budget - elapsed_s) / epoch_s);
    if ((double)done + more > (double)epochs) return (double)done + more > (double)cap ? (cap > epochs ? cap : epochs)
                                                                                       : done + (long)more;
    return epochs;
}

void timeplan_describe(const timeplan *p, double minutes, long epochs, int capped, char *buf, size_t size) {
    const char *cap = capped == 2 ? ", the cap of `plan_max_epochs`" : capped ? ", the most a run may have" : "";
    snprintf(buf, size, "time budget %g min: %ld epoch%s of %zu steps%s (%.3g s a step, %.3g s a validation, "
             "timed on %d steps in %.1f s; the plan fills %.0f%% of the budget)", minutes, epochs,
             epochs == 1 ? "" : "s", p->steps_per_epoch, cap, p->step_s, p->valid_s, p->steps_timed, p->measured_s,
             100 * TIMEPLAN_FILL);
}
