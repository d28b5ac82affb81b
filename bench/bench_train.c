/* bench_train.c: training throughput of the recipe's industrial model in
 * rnnlm, measured exactly as bench/torch_train.py measures its peer: random
 * ids (V = 10000), 2-layer LSTM H = E = 200, dropout 0.1, B = 100, T = 25,
 * Adam 0.01 with global clip 5, stateful batches; warm-up steps, then timed
 * steps. Prints "path ..." (library, implementation, ISA, precision,
 * threads), "tokens_per_s X" and "peak_rss_mb Y".
 * usage: bench_train [threads] [steps] [--eval] [--bf16] [--cell lstm|gru|rnn] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "train/step.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1, steps = argc > 2 ? atoi(argv[2]) : 30, warmup = 3, eval = 0, bf16 = 0;
    cell_kind cell = CELL_LSTM;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--eval") == 0) eval = 1;
        if (strcmp(argv[i], "--bf16") == 0) bf16 = 1;
        if (strcmp(argv[i], "--cell") == 0 && i + 1 < argc) {
            i++;
            cell = strcmp(argv[i], "gru") == 0 ? CELL_GRU : strcmp(argv[i], "rnn") == 0 ? CELL_RNN : CELL_LSTM;
        }
    }
    step_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.model = (model_config){.cell = cell, .V = 10000, .E = 200, .H = 200, .L = 2, .dropout = 0.1f,
                                .threads = threads, .bf16 = bf16};
    cfg.opt = opt_config_default(OPT_ADAM);
    cfg.B = 100;
    cfg.T = 25;
    cfg.seed = 1;
    cfg.max_bad_steps = 100;
    size_t n = (size_t)(steps + warmup + 1) * cfg.B * cfg.T + 1;
    int32_t *ids = malloc(n * sizeof *ids);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++) ids[i] = (int32_t)rnnlm_rng_below(&r, 10000);
    rnnlm_err err;
    step_engine *t;
    if (step_create(&t, &cfg, ids, ids + 1, n - 1, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    step_begin_epoch(t);
    char path[256];
    model_compute_path(step_model(t), path, sizeof path);
    printf("path %s\n", path);
    double t0 = 0;
    if (eval) {
        model *m = step_model(t);
        batch_stats bs;
        for (int k = 0; k < steps + warmup; k++) {
            if (k == warmup) t0 = now();
            const int32_t *x = ids + (size_t)k * cfg.B * cfg.T;   /* any (B, T) block of ids */
            if (model_eval_batch(m, x, x + 1, cfg.B, cfg.T, &bs, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
        }
    } else {
        step_progress p;
        int done;
        for (int k = 0; k < steps + warmup; k++) {
            if (k == warmup) t0 = now();
            if (step_run(t, &p, &done, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
        }
    }
    double dt = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("tokens_per_s %.1f\npeak_rss_mb %.1f\n", (double)steps * cfg.B * cfg.T / dt, ru.ru_maxrss / 1024.0);
    step_free(t);
    free(ids);
    return 0;
}
