/* average.h: the arithmetic of averaged weights (README "Schedules"): the
 * running mean of the weights after each optimiser step, which validation,
 * the best checkpoint and the test use in place of the live weights;
 * trainer.c decides when averaging starts and saves its state. */
#ifndef RNNLM_AVERAGE_H
#define RNNLM_AVERAGE_H

#include <stddef.h>
#include <stdint.h>

/* The running mean after its k-th value w (k >= 1): avg = w when k is 1,
 * else avg += (w - avg) / k, elementwise over n floats. */
void average_update(float *avg, const float *w, size_t n, int64_t k);
/* Exchanges a[0..n) and b[0..n) (exact; used to evaluate the averaged weights). */
void average_swap(float *a, float *b, size_t n);

#endif
