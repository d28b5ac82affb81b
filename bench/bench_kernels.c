/* bench_kernels.c: speed of one training batch of the industrial model
 * (V=10000, E=H=200, L=2 LSTM, B=100, T=25, dropout 0.1), at 1 and 2
 * OpenBLAS threads, in tokens/s and GFLOP/s, against this machine's sgemm
 * peak measured in the same run (2048^3). Also the forward-only (eval) speed.
 * Prints numbers only; never a pass/fail. The process CPU time per batch is
 * printed too: on a shared machine, at one thread, it is the robust figure.
 *   build/bench/bench_kernels [batches [softmax-chunk-rows [max-threads]]]
 *   (defaults 20, the model's default chunk, 2) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model/model.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double sgemm_peak(void) {
    const int n = 2048;
    float *a = calloc((size_t)n * n, sizeof *a), *b = calloc((size_t)n * n, sizeof *b),
          *c = calloc((size_t)n * n, sizeof *c);
    if (!a || !b || !c) return 0;
    for (size_t i = 0; i < (size_t)n * n; i++) a[i] = b[i] = (float)(i % 7) * 0.01f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    int reps = 0;
    double t0 = now(), t;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        reps++;
    } while ((t = now() - t0) < 1.0);
    free(a);
    free(b);
    free(c);
    return 2.0 * n * (double)n * n * reps / t * 1e-9;
}

int main(int argc, char **argv) {
    int batches = argc > 1 ? atoi(argv[1]) : 20;
    if (batches < 1) batches = 1;
    int chunk = argc > 2 ? atoi(argv[2]) : MODEL_DEFAULT_CHUNK;
    int max_threads = argc > 3 ? atoi(argv[3]) : 2;
    model_config cfg = {.cell = CELL_LSTM, .V = 10000, .E = 200, .H = 200, .L = 2,
                        .dropout = 0.1f, .tied = 0, .init = INIT_RECIPE};
    const int B = 100, T = 25;
    model *m;
    rnnlm_err err;
    if (model_create(&m, &cfg, &err) || model_reserve(m, B, T, &err) ||
        model_set_softmax_chunk(m, chunk, &err)) {
        fprintf(stderr, "bench_kernels: %s\n", err.msg);
        return 1;
    }
    model_init_params(m, 1);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 2);
    int32_t *x = malloc(sizeof(int32_t) * B * T), *y = malloc(sizeof(int32_t) * B * T);
    for (int i = 0; i < B * T; i++) {
        x[i] = (int32_t)rnnlm_rng_below(&r, (uint64_t)cfg.V);
        y[i] = (int32_t)rnnlm_rng_below(&r, (uint64_t)cfg.V);
    }
    /* multiply-adds per token: output layer H*V, each layer (in + H) * G*H */
    double macs = (double)cfg.H * cfg.V + cfg.L * (double)(cfg.E + cfg.H) * 4 * cfg.H;
    double train_flop = 6 * macs, eval_flop = 2 * macs;
    printf("industrial LSTM V=%d E=H=%d L=%d B=%d T=%d, softmax slices of %d rows: "
           "%.2f MFLOP per training token\n",
           cfg.V, cfg.H, cfg.L, B, T, chunk, train_flop * 1e-6);
    for (int th = 1; th <= max_threads; th++) {
        openblas_set_num_threads(th);
        double peak = sgemm_peak();
        openblas_set_num_threads(1);   /* the library runs its own threads */
        if (model_set_threads(m, th, &err)) {
            fprintf(stderr, "bench_kernels: %s\n", err.msg);
            return 1;
        }
        batch_stats st;
        for (int w = 0; w < 2; w++) {
            model_zero_grads(m);
            model_train_batch(m, x, y, B, T, &r, &st, &err);
        }
        double t0 = now(), c0 = cpu_now();
        for (int i = 0; i < batches; i++) {
            model_zero_grads(m);
            if (model_train_batch(m, x, y, B, T, &r, &st, &err)) {
                fprintf(stderr, "bench_kernels: %s\n", err.msg);
                return 1;
            }
        }
        double tt = (now() - t0) / batches, ct = (cpu_now() - c0) / batches;
        t0 = now();
        for (int i = 0; i < batches; i++) model_eval_batch(m, x, y, B, T, &st, &err);
        double te = (now() - t0) / batches;
        double tps = B * T / tt, eps = B * T / te;
        printf("threads %d: sgemm peak %6.1f GFLOP/s | train %7.0f tokens/s, %6.1f GFLOP/s "
               "(%4.1f%% of peak), %.1f ms/batch (cpu %.1f ms) | eval %7.0f tokens/s, %6.1f "
               "GFLOP/s\n",
               th, peak, tps, tps * train_flop * 1e-9, 100 * tps * train_flop * 1e-9 / peak,
               tt * 1e3, ct * 1e3, eps, eps * eval_flop * 1e-9);
    }
    free(x);
    free(y);
    model_free(m);
    return 0;
}
