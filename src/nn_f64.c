/* nn_f64.c: the double-precision instance of the network kernels
 * (nn_kernels.inc), with cblas_dgemm and libm: the reference that the
 * gradient check differentiates by central finite differences. */
#include <cblas.h>
#include <math.h>
#include "nn.h"

#define NN_REAL double
#define NN(name) name##_f64
#define NN_GEMM cblas_dgemm

static void vsigmoid_f64(double *y, const double *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0 / (1.0 + exp(-x[i]));
}

static void vtanh_f64(double *y, const double *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = tanh(x[i]);
}

static double vadd_max_f64(double *x, const double *b, size_t n) {
    double m = x[0] += b[0];
    for (size_t i = 1; i < n; i++) {
        x[i] += b[i];
        m = x[i] > m ? x[i] : m;
    }
    return m;
}

/* the reference runs its softmax on one thread */
static int threads_f64(void) { return 1; }
static void set_threads_f64(int n) { (void)n; }

static double vexp_shift_sum_f64(double *x, size_t n, double shift) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += x[i] = exp(x[i] - shift);
    return s;
}

static void vscale_acc_f64(double *x, double *gb, size_t n, double scale) {
    for (size_t i = 0; i < n; i++) gb[i] += x[i] *= scale;
}

#include "nn_kernels.inc"
