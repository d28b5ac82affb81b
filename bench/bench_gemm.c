/* bench_gemm.c: the compute seam's single-precision products at the
 * model's shapes, against OpenBLAS run the same way (single-threaded
 * products on row or column slices of C, one per thread of the seam's
 * pool), at 1 and 2 threads: fp32 and bf16 (inputs rounded to bf16, fp32
 * sums; the rounding of the operands included in the time, as without a
 * weight mirror; and with both operands rounded beforehand, as the
 * weights are through the model's mirror) through oneDNN, in GFLOP/s, best
 * of 5. Prints the path of
 * each figure (library, implementation, ISA, precision).
 * usage: bench_gemm [reps] */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nn/compute.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    int M, N, K, parts;
    const float *A, *B;
    float *C;
} blas_job;

static void blas_slice(void *p, int i) {
    const blas_job *j = p;
    int by_cols = j->N > j->M;
    if (by_cols) {
        int j0 = (int)((long)j->N * i / j->parts), j1 = (int)((long)j->N * (i + 1) / j->parts);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, j->M, j1 - j0, j->K, 1.0f, j->A, j->K, j->B + j0,
                    j->N, 0.0f, j->C + j0, j->N);
    } else {
        int i0 = (int)((long)j->M * i / j->parts), i1 = (int)((long)j->M * (i + 1) / j->parts);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, i1 - i0, j->N, j->K, 1.0f, j->A + (size_t)i0 * j->K,
                    j->K, j->B, j->N, 0.0f, j->C + (size_t)i0 * j->N, j->N);
    }
}

/* kind 0: OpenBLAS sliced; 1: the seam in fp32; 2: the seam in bf16;
 * 3: the seam in bf16 with A and B in mirrors (rounded beforehand) */
static double gflops(int kind, int threads, int M, int N, int K, int reps) {
    float *a = malloc(sizeof(float) * (size_t)M * K), *b = malloc(sizeof(float) * (size_t)K * N),
          *c = malloc(sizeof(float) * (size_t)M * N);
    for (size_t i = 0; i < (size_t)M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)K * N; i++) b[i] = (float)(i % 5) * 0.1f;
    nn_compute cc;
    compute_init(&cc, threads);
    cc.bf16 = kind >= 2;
    uint16_t *a16 = NULL, *b16 = NULL;
    if (kind == 3) {
        a16 = malloc(sizeof *a16 * (size_t)M * K);
        b16 = malloc(sizeof *b16 * (size_t)K * N);
        compute_bf16_mirror(a16, a, (size_t)M * K);
        compute_bf16_mirror(b16, b, (size_t)K * N);
        cc.mirror[0].f = a; cc.mirror[0].h = a16; cc.mirror[0].n = (size_t)M * K;
        cc.mirror[1].f = b; cc.mirror[1].h = b16; cc.mirror[1].n = (size_t)K * N;
    }
    double best = 1e30;
    for (int r = 0; r < 6; r++) {   /* the first round warms up (primitives created) */
        double t0 = now();
        for (int k = 0; k < reps; k++) {
            if (kind == 0) {
                blas_job j = {M, N, K, threads, a, b, c};
                compute_parallel_for(&cc, threads, blas_slice, &j);
            } else {
                compute_gemm_f32(&cc, NN_NOTRANS, NN_NOTRANS, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
            }
        }
        double dt = (now() - t0) / reps;
        if (r > 0 && dt < best) best = dt;
    }
    free(a);
    free(b);
    free(c);
    free(a16);
    free(b16);
    return 2.0 * M * N * K / best / 1e9;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    /* the industrial model's shapes (H 200, B 100), then the hour preset's (H 400, B 64, T 35) */
    static const int shapes[][3] = {{100, 800, 200},  {2500, 800, 200}, {256, 10000, 200}, {2500, 10000, 200},
                                    {64, 1600, 400},  {2240, 1600, 400}, {256, 10000, 400}};
    for (int th = 1; th <= 2; th++) {
        nn_compute cc;
        compute_init(&cc, th);
        char p32[256], p16[256];
        compute_describe(&cc, p32, sizeof p32);
        cc.bf16 = 1;
        compute_describe(&cc, p16, sizeof p16);
        printf("threads %d\n  fp32: %s\n  bf16: %s\n", th, p32, p16);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            int r = (int)(reps * 2.0e9 / (2.0 * M * N * K)) + 1;
            double o = gflops(0, th, M, N, K, r), f = gflops(1, th, M, N, K, r), h = gflops(2, th, M, N, K, r),
                   hm = gflops(3, th, M, N, K, r);
            printf("  %5dx%5dx%3d: openblas_fp32 %6.1f  onednn_fp32 %6.1f (%.2fx)  onednn_bf16 %6.1f (%.2fx)"
                   "  bf16_premirrored %6.1f (%.2fx) GFLOP/s\n", M, N, K, o, f, f / o, h, h / o, hm, hm / o);
        }
    }
    return 0;
}
