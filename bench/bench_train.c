/* bench_train.c: training throughput of the recipe's industrial model in
 * rnnlm, measured exactly as bench/torch_train.py measures its peer: random
 * ids (V = 10000), 2-layer LSTM H = E = 200, dropout 0.1, B = 100, T = 25,
 * Adam 0.01 with global clip 5, stateful batches; warm-up steps, then timed
 * steps. Prints "path ..." (library, implementation, ISA, precision,
 * threads), "tokens_per_s X", the median and the fastest step in ms
 * ("step_ms_median", "step_ms_min": on a shared host, where other guests
 * take the CPU for seconds at a time, the median compares builds better
 * than the mean) and "peak_rss_mb Y".
 * --hour: the `hour` preset's model, regularisers, batch and optimiser
 * instead (src/train/presets.c, mapped as `rnnlm train` maps them: today
 * H = E = 400, the tied adaptive softmax, B = 64, T = 35), over ids drawn from a
 * Zipf law (p(rank r) proportional to 1 / (r + 1)), so that the head and
 * the tail see about the shares of tokens a corpus gives them.
 * usage: bench_train [threads] [steps] [--eval] [--bf16] [--hour] [--cell lstm|gru|rnn] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "rnnlm.h"
#include "train/options.h"
#include "train/step.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1, steps = argc > 2 ? atoi(argv[2]) : 30, warmup = 3, eval = 0, bf16 = 0;
    if (steps < 1) steps = 1;
    int hour = 0;
    cell_kind cell = CELL_LSTM;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--eval") == 0) eval = 1;
        if (strcmp(argv[i], "--bf16") == 0) bf16 = 1;
        if (strcmp(argv[i], "--hour") == 0) hour = 1;
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
    if (hour) {   /* the preset through the same mapping as the command line's */
        rnnlm_train_options o;
        rnnlm_data_options d;
        rnnlm_train_options_default(&o);
        rnnlm_data_options_default(&d);
        if (rnnlm_preset_apply("hour", &o, &d, NULL) != RNNLM_OK) return 1;
        cfg = options_step_config(&o, 10000);
        cfg.model.threads = threads;
        cfg.model.bf16 = bf16;
    }
    cfg.seed = 1;
    cfg.max_bad_steps = 100;
    size_t n = (size_t)(steps + warmup + 1) * cfg.B * cfg.T + 1;
    int32_t *ids = malloc(n * sizeof *ids);
    double *cdf = hour ? malloc(10000 * sizeof *cdf) : NULL, *step_ms = malloc((size_t)(steps + warmup) * sizeof *step_ms);
    if (!ids || (hour && !cdf) || !step_ms) return 1;
    for (int k = 0; hour && k < 10000; k++) cdf[k] = (k ? cdf[k - 1] : 0) + 1.0 / (k + 1);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++) {
        if (!hour) {
            ids[i] = (int32_t)rnnlm_rng_below(&r, 10000);
            continue;
        }
        double u = rnnlm_rng_float(&r) * cdf[9999];
        int lo = 0, hi = 9999;   /* the first rank whose cumulative weight passes u */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (cdf[mid] < u) lo = mid + 1;
            else hi = mid;
        }
        ids[i] = lo;
    }
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
            double s0 = now();
            if (k == warmup) t0 = s0;
            const int32_t *x = ids + (size_t)k * cfg.B * cfg.T;   /* any (B, T) block of ids */
            if (model_eval_batch(m, x, x + 1, cfg.B, cfg.T, &bs, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
            step_ms[k] = 1e3 * (now() - s0);
        }
    } else {
        step_progress p;
        int done;
        for (int k = 0; k < steps + warmup; k++) {
            double s0 = now();
            if (k == warmup) t0 = s0;
            if (step_run(t, &p, &done, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
            step_ms[k] = 1e3 * (now() - s0);
        }
    }
    double dt = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    qsort(step_ms + warmup, (size_t)steps, sizeof *step_ms, cmp_double);
    printf("tokens_per_s %.1f\nstep_ms_median %.2f\nstep_ms_min %.2f\npeak_rss_mb %.1f\n",
           (double)steps * cfg.B * cfg.T / dt, step_ms[warmup + steps / 2], step_ms[warmup], ru.ru_maxrss / 1024.0);
    step_free(t);
    free(ids);
    free(cdf);
    free(step_ms);
    return 0;
}
