/* dev/kernel_fastmath.c: workbench for the fp32 elementwise kernels of
 * src/backend/cpu/vmath.h: accuracy in ulp against double-precision libm over a dense
 * sweep of each input range, then throughput against scalar libm.
 *   gcc -O2 -march=native -fno-math-errno -Isrc dev/kernel_fastmath.c -lm -o /tmp/kf && /tmp/kf */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "backend/cpu/vmath.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* distance in ulp of float got from the exact value ref */
static double ulps(float got, double ref) {
    if (ref == 0) return got == 0 ? 0 : INFINITY;
    float rf = (float)ref;
    double ulp = nextafterf(fabsf(rf), INFINITY) - fabsf(rf);
    return fabs((double)got - ref) / ulp;
}

typedef void (*vfun)(float *, const float *, size_t);

static void sweep(const char *name, vfun f, double (*ref)(double), float lo, float hi, size_t n) {
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)((double)i / (double)(n - 1));
    f(y, x, n);
    double worst = 0, wx = 0;
    for (size_t i = 0; i < n; i++) {
        double u = ulps(y[i], ref(x[i]));
        if (u > worst) { worst = u; wx = x[i]; }
    }
    double t0 = now();
    int reps = 20;
    for (int r = 0; r < reps; r++) f(y, x, n);
    double tv = (now() - t0) / ((double)reps * n) * 1e9;
    printf("%-8s [%8.2f, %7.2f]  worst %.2f ulp at %.6g   %.3f ns/elem\n", name, lo, hi, worst, wx, tv);
    free(x);
    free(y);
}

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

int main(void) {
    size_t n = 1 << 22;
    sweep("exp", vexp_f32, exp, -87.0f, 88.0f, n);
    sweep("exp", vexp_f32, exp, -1.0f, 1.0f, n);
    sweep("tanh", vtanh_f32, tanh, -9.0f, 9.0f, n);
    sweep("tanh", vtanh_f32, tanh, -0.7f, 0.7f, n);
    sweep("tanh", vtanh_f32, tanh, -1e-3f, 1e-3f, n);
    sweep("sigmoid", vsigmoid_f32, sigm, -30.0f, 30.0f, n);
    sweep("sigmoid", vsigmoid_f32, sigm, -80.0f, 16.0f, n);
    /* scalar libm for comparison */
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) x[i] = -10.0f + 20.0f * (float)i / (float)n;
    double t0 = now();
    for (size_t i = 0; i < n; i++) y[i] = expf(x[i]);
    printf("libm expf %.3f ns/elem (y[7]=%g)\n", (now() - t0) / n * 1e9, y[7]);
    t0 = now();
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
    printf("libm tanhf %.3f ns/elem (y[7]=%g)\n", (now() - t0) / n * 1e9, y[7]);
    free(x);
    free(y);
    return 0;
}
