/* schedule.c: learning-rate schedules and weight averaging (schedule.h). */
#include "train/schedule.h"

#include <math.h>

double sched_cosine(double lr0, double lr_min, int64_t step, int64_t total) {
    if (total < 1) return lr0;
    if (step < 0) step = 0;
    if (step > total) step = total;
    return lr_min + (lr0 - lr_min) * 0.5 * (1.0 + cos(M_PI * (double)step / (double)total));
}

double sched_progress(int64_t step, int64_t total, int64_t step0, double from0) {
    if (total <= step0) return 1.0;
    double p = from0 + (1.0 - from0) * (double)(step - step0) / (double)(total - step0);
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

double sched_cosine_at(double lr0, double lr_min, double p) {
    return lr_min + (lr0 - lr_min) * 0.5 * (1.0 + cos(M_PI * p));
}

double sched_cosine_held(double lr0, double lr_min, double hold, double p) {
    if (!(hold > 0)) return sched_cosine_at(lr0, lr_min, p);
    if (p <= hold || hold >= 1) return lr0;
    return sched_cosine_at(lr0, lr_min, (p - hold) / (1.0 - hold));
}

double sched_step(double lr0, double decay, double lr_min, long every, int epoch) {
    if (every < 1) every = 1;
    long k = epoch > 1 ? (long)(epoch - 1) / every : 0;
    double lr = lr0 * pow(decay, (double)k);
    return lr < lr_min ? lr_min : lr;
}

double sched_plateau(double lr, double decay, double lr_min, long patience, int improved, long *bad) {
    if (improved) {
        *bad = 0;
        return lr;
    }
    if (++*bad <= patience) return lr;
    *bad = 0;
    lr *= decay;
    return lr < lr_min ? lr_min : lr;
}

long sched_plan_epochs(long epochs, long budget, size_t steps_per_epoch, long max_epochs) {
    if (budget <= 0 || steps_per_epoch == 0) return epochs;
    double e = floor((double)budget / (double)steps_per_epoch + 0.5);
    return e < 1 ? 1 : e > (double)max_epochs ? max_epochs : (long)e;
}

long sched_plan_average(long average, double from, long epochs) {
    if (!(from > 0)) return average;
    double a = ceil(from * (double)epochs - 1e-9);   /* 0.75 * 20 is 15, not 16 by a rounding error */
    return a < 1 ? 1 : (long)a;
}

long sched_replan_average(double from, double p0, long done, long epochs) {
    double a = p0 < 1 ? ceil((from - p0) / (1.0 - p0) * (double)(epochs - done) - 1e-9) : 1;
    return done + (a < 1 ? 1 : (long)a);
}
