/* cmd_train.c: `rnnlm train`: the recipe's training run with a progress bar,
 * validation after every epoch, and the perplexity curve. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dataset.h"
#include "progress.h"
#include "runlog.h"
#include "train_opts.h"

/* Logs one scalar; a failure to log stops the run (what is lost is named). */
static int log_scalar(runlog *rl, run_kind run, const char *tag, int64_t step, double v) {
    rnnlm_err err;
    if (rl && runlog_scalar(rl, run, tag, step, v, &err)) {
        fprintf(stderr, "rnnlm train: --logdir: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int log_epoch(runlog *rl, run_kind run, int64_t epoch, const batch_stats *s) {
    double loss = s->loss_sum / (double)s->count;
    return log_scalar(rl, run, "epoch_loss", epoch, loss) ||
           log_scalar(rl, run, "epoch_accuracy", epoch, (double)s->correct / (double)s->count) ||
           log_scalar(rl, run, "epoch_perplexity", epoch, exp(loss));
}

static void print_eval(const char *name, const batch_stats *s) {
    double loss = s->loss_sum / (double)s->count;
    printf(" - %s_loss %.4f - %s_ppl %.2f - %s_acc %.4f", name, loss, name, exp(loss), name,
           (double)s->correct / (double)s->count);
}

int cmd_train(int argc, char **argv) {
    data_opts_defaults(&g_data_opts);
    if (train_opts_preset("train", argc, argv)) return 2;
    int n_pos, rc = opts_parse("train", argc, argv, train_opt_table, data_opt_table, NULL, 0, &n_pos, "[options]");
    if (rc) return rc > 0 ? 0 : 2;
    if (g_train_opts.quick) {
        g_train_opts.epochs = 1;
        if (!g_train_opts.max_steps) g_train_opts.max_steps = 150;
    }
    long threads = g_train_opts.threads ? g_train_opts.threads : sysconf(_SC_NPROCESSORS_ONLN);
    openblas_set_num_threads((int)threads);

    dataset d;
    if (dataset_load(&d, &g_data_opts)) { dataset_free(&d); return 1; }
    const split_data *val = d.valid.n ? &d.valid : d.test.n ? &d.test : NULL;
    train_config cfg = train_opts_config((long)rnnlm_vocab_size(d.vocab));
    rnnlm_err err;
    trainer *t;
    if (trainer_create(&t, &cfg, d.train.x, d.train.y, d.train.n, &err)) {
        fprintf(stderr, "rnnlm train: %s\n", err.msg);
        dataset_free(&d);
        return 1;
    }
    char summary[4096];
    model_summary(trainer_model(t), summary, sizeof summary);
    printf("data: %s, %zu training ids, %zu %s ids, V = %zu\n%s", d.source, d.train.n_ids, val ? val->n_ids : 0,
           val ? val->name : "validation", rnnlm_vocab_size(d.vocab), summary);
    printf("training: %s pipeline, B = %d, T = %d, %s lr %g, clip %g, %ld epochs of %zu steps, %ld threads\n",
           cfg.pipeline == PIPE_WINDOWED ? "windowed" : "stateful", cfg.B, cfg.T, opt_kind_name(cfg.opt.kind),
           (double)cfg.opt.lr, (double)cfg.opt.clip, g_train_opts.epochs, trainer_steps_per_epoch(t), threads);
    fflush(stdout);

    runlog *rl = NULL;
    if (g_train_opts.logdir) {
        if (runlog_open(&rl, g_train_opts.logdir, &err) || runlog_text(rl, "config", 0, summary, &err)) {
            fprintf(stderr, "rnnlm train: --logdir: %s\n", err.msg);
            runlog_close(rl, NULL);
            trainer_free(t);
            dataset_free(&d);
            return 1;
        }
    }
    int64_t global_step = 0;
    double best = INFINITY;
    int best_epoch = 0, status = 0;
    for (int e = 1; e <= g_train_opts.epochs && !status; e++) {
        trainer_begin_epoch(t);
        progress pr;
        progress_begin(&pr, stdout, trainer_steps_per_epoch(t));
        train_progress p;
        int done = 0;
        while (!done) {
            if (trainer_step(t, &p, &done, &err)) {
                progress_end(&pr);
                fprintf(stderr, "rnnlm train: %s\n", err.msg);
                status = 1;
                break;
            }
            if (done) break;
            progress_step(&pr, &p, cfg.B);
            if (rl && ++global_step % g_train_opts.log_every == 0) {
                double bl = p.batch.loss_sum / (double)p.batch.count;
                if (log_scalar(rl, RUN_TRAIN, "batch_loss", global_step, bl) ||
                    log_scalar(rl, RUN_TRAIN, "batch_accuracy", global_step,
                               (double)p.batch.correct / (double)p.batch.count) ||
                    log_scalar(rl, RUN_TRAIN, "batch_perplexity", global_step, exp(bl)) ||
                    log_scalar(rl, RUN_TRAIN, "learning_rate", global_step, cfg.opt.lr) ||
                    log_scalar(rl, RUN_TRAIN, "grad_norm", global_step, p.grad_norm) ||
                    log_scalar(rl, RUN_TRAIN, "tokens_per_second", global_step,
                               (double)p.epoch_sum.count / p.seconds)) {
                    status = 1;
                    break;
                }
            }
        }
        if (status) break;
        progress_end(&pr);
        printf("epoch %d/%ld - %.0fs - %.0f tok/s", e, g_train_opts.epochs, p.seconds,
               (double)p.epoch_sum.count / p.seconds);
        print_eval("train", &p.epoch_sum);
        if (log_epoch(rl, RUN_TRAIN, e, &p.epoch_sum)) { status = 1; break; }
        if (val) {
            batch_stats vs;
            if (trainer_evaluate(t, val->x, val->y, val->n, &vs, &err)) {
                fprintf(stderr, "\nrnnlm train: evaluation: %s\n", err.msg);
                status = 1;
                break;
            }
            print_eval(val->name, &vs);
            if (log_epoch(rl, RUN_VALIDATION, e, &vs)) { status = 1; break; }
            double ppl = exp(vs.loss_sum / (double)vs.count);
            if (ppl < best) { best = ppl; best_epoch = e; }
        }
        if (p.skipped_total) printf(" - skipped steps %zu", p.skipped_total);
        printf("\n");
        fflush(stdout);
    }
    if (!status && val) printf("best %s perplexity %.2f at epoch %d\n", val->name, best, best_epoch);
    if (rl && runlog_close(rl, &err)) {
        fprintf(stderr, "rnnlm train: --logdir: %s\n", err.msg);
        status = 1;
    }
    trainer_free(t);
    dataset_free(&d);
    return status;
}
