/* elapsed.h: wall time since a start, on the monotonic clock (an epoch's
 * seconds, a run's time limit, the time a write or a collective took). */
#ifndef RNNLM_ELAPSED_H
#define RNNLM_ELAPSED_H

#include <time.h>

static inline void elapsed_start(struct timespec *t0) { clock_gettime(CLOCK_MONOTONIC, t0); }

/* Seconds on the monotonic clock (from an arbitrary origin: differences only). */
static inline double elapsed_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds from *t0 (elapsed_start) to now. */
static inline double elapsed_seconds(const struct timespec *t0) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - t0->tv_sec) + 1e-9 * (double)(ts.tv_nsec - t0->tv_nsec);
}

#endif
