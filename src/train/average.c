/* average.c: the running mean of the weights (average.h). */
#include "train/average.h"

void average_update(float *avg, const float *w, size_t n, int64_t k) {
    if (k <= 1) {
        for (size_t i = 0; i < n; i++) avg[i] = w[i];
        return;
    }
    const float inv = (float)(1.0 / (double)k);
    for (size_t i = 0; i < n; i++) avg[i] += (w[i] - avg[i]) * inv;
}

void average_swap(float *a, float *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = a[i];
        a[i] = b[i];
        b[i] = x;
    }
}
