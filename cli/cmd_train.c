/* cmd_train.c: `rnnlm train`: the recipe's training run with a progress bar,
 * validation after every epoch, TensorBoard/CSV logs, checkpoints (the last,
 * resumable; the best by validation perplexity) and exact resume. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "commands.h"
#include "dataset.h"
#include "progress.h"
#include "rundir.h"
#include "runlog.h"
#include "train_opts.h"

/* Options a resumed run may set anew on its command line; every other one
 * comes from the checkpoint. */
static const char *const RESUME_FREE[] = {"epochs", "threads", "logdir", "log-every", "save-dir", "save-every",
                                          "resume", "brown-dir", "max-bad-steps", NULL};
/* Options that are not part of a run's identity, so not stored: where files
 * go, and the flags that only expand into others. */
static const char *const NOT_STORED[] = {"logdir", "log-every", "save-dir", "save-every", "resume", "brown-dir",
                                         "quick", "config", NULL};

static int listed(const char *const *list, const char *name) {
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0) return 1;
    return 0;
}

/* The run's options as checkpoint metadata "cli.<flag>" = value. */
typedef struct { char key[64], val[512]; } kv_text;

static size_t options_to_kv(kv_text *kv, size_t cap, const char **flat) {
    const opt_spec *tabs[2] = {train_opt_table, data_opt_table};
    size_t n = 0;
    for (int k = 0; k < 2; k++)
        for (const opt_spec *o = tabs[k]; o->type != OPT_END && n < cap; o++) {
            if (listed(NOT_STORED, o->name)) continue;
            snprintf(kv[n].key, sizeof kv[n].key, "cli.%s", o->name);
            opts_format(o, kv[n].val, sizeof kv[n].val);
            flat[2 * n] = kv[n].key;
            flat[2 * n + 1] = kv[n].val;
            n++;
        }
    return n;
}

/* Sets every option from the checkpoint's "cli." metadata, then applies the
 * command line's free options again. -1 after a message. */
static int options_from_checkpoint(const st_file *f, int argc, char **argv) {
    if (!checkpoint_get_meta(f, "cli.max-time")) {
        fprintf(stderr, "rnnlm train: --resume: the checkpoint holds no training options (not written by rnnlm train)\n");
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) continue;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(argv[i] + 2, "="), argv[i] + 2);
        if (!listed(RESUME_FREE, name)) {
            fprintf(stderr, "rnnlm train: --%s cannot be set with --resume: the checkpoint fixes it\n", name);
            return -1;
        }
    }
    const opt_spec *tabs[2] = {train_opt_table, data_opt_table};
    for (int k = 0; k < 2; k++)
        for (const opt_spec *o = tabs[k]; o->type != OPT_END; o++) {
            if (listed(NOT_STORED, o->name)) continue;
            char key[80];
            snprintf(key, sizeof key, "cli.%s", o->name);
            const char *v = checkpoint_get_meta(f, key);
            if (!v) continue;   /* an option newer than the checkpoint: its default */
            if (o->type == OPT_STR && !*v) { *(const char **)o->value = NULL; continue; }
            if (opts_set("train --resume", o, v)) return -1;
        }
    int n_pos;
    return opts_parse("train", argc, argv, train_opt_table, data_opt_table, NULL, 0, &n_pos, "[options]") ? -1 : 0;
}

/* Logs one scalar; a failure to log stops the run (what is lost is named). */
static int log_scalar(runlog *rl, run_kind run, const char *tag, int64_t step, double v) {
    rnnlm_err err;
    if (rl && runlog_scalar(rl, run, tag, step, v, &err)) {
        progress_break();
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

static int log_batch(runlog *rl, int64_t step, const train_progress *p, double lr) {
    double bl = p->batch.loss_sum / (double)p->batch.count;
    return log_scalar(rl, RUN_TRAIN, "batch_loss", step, bl) ||
           log_scalar(rl, RUN_TRAIN, "batch_accuracy", step, (double)p->batch.correct / (double)p->batch.count) ||
           log_scalar(rl, RUN_TRAIN, "batch_perplexity", step, exp(bl)) ||
           log_scalar(rl, RUN_TRAIN, "learning_rate", step, lr) ||
           log_scalar(rl, RUN_TRAIN, "grad_norm", step, p->grad_norm) ||
           log_scalar(rl, RUN_TRAIN, "tokens_per_second", step, (double)p->epoch_sum.count / p->seconds);
}

static void print_eval(const char *name, const batch_stats *s) {
    double loss = s->loss_sum / (double)s->count;
    printf(" - %s_loss %.4f - %s_ppl %.2f - %s_acc %.4f", name, loss, name, exp(loss), name,
           (double)s->correct / (double)s->count);
}

typedef struct {
    trainer *t;
    const rnnlm_vocab *vocab;
    const char *dir;
    kv_text kv[64];
    const char *flat[128];
    size_t n_kv;
    char best[32], best_epoch[32], global[32];
} saver;

/* Writes DIR/name.safetensors with the training state and the run's options. */
static int save(saver *s, const char *name, double best, int best_epoch, int64_t global_step) {
    if (!s->dir) return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.safetensors", s->dir, name);
    size_t n = s->n_kv;
    snprintf(s->best, sizeof s->best, "%a", best);
    snprintf(s->best_epoch, sizeof s->best_epoch, "%d", best_epoch);
    snprintf(s->global, sizeof s->global, "%lld", (long long)global_step);
    const char *extra[] = {"run.best_ppl", s->best, "run.best_epoch", s->best_epoch, "run.global_step", s->global};
    for (int i = 0; i < 6; i++) s->flat[2 * n + i] = extra[i];
    rnnlm_err err;
    if (trainer_save(s->t, path, s->vocab, s->flat, n + 3, &err)) {
        progress_break();
        fprintf(stderr, "rnnlm train: --save-dir: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* The resumed run's best perplexity, its epoch and the global step, each
 * checked: a perplexity is >= 1, +inf (written as "inf") exactly while no
 * epoch was best, and the best epoch is not after the checkpoint's. -1
 * after a message. */
static int run_history(const st_file *ck, int epoch, double *best, int *best_epoch, int64_t *global_step) {
    rnnlm_err err;
    long long be = 0, gs = 0;
    double b = INFINITY;
    const char *path = g_train_opts.resume;
    if ((checkpoint_get_meta(ck, "run.best_ppl") &&
         checkpoint_meta_real(ck, "run.best_ppl", 1.0, INFINITY, &b, path, &err)) ||
        (checkpoint_get_meta(ck, "run.best_epoch") &&
         checkpoint_meta_int(ck, "run.best_epoch", 0, epoch, &be, path, &err)) ||
        (checkpoint_get_meta(ck, "run.global_step") &&
         checkpoint_meta_int(ck, "run.global_step", 0, INT64_MAX, &gs, path, &err))) {
        fprintf(stderr, "rnnlm train: --resume: %s\n", err.msg);
        return -1;
    }
    if ((be == 0) != isinf(b)) {
        fprintf(stderr, "rnnlm train: --resume: %s: metadata run.best_ppl=%g and run.best_epoch=%lld disagree\n",
                path, b, be);
        return -1;
    }
    *best = b;
    *best_epoch = (int)be;
    *global_step = gs;
    return 0;
}

/* The best weights kept in memory for the test evaluation when no
 * --save-dir holds them: a copy at every improvement. */
typedef struct {
    int on;
    float *w;
    int epoch;
} kept_weights;

static void keep_best(kept_weights *k, trainer *t, int epoch) {
    size_t n = model_n_params(trainer_model(t));
    if (!k->on || (!k->w && !(k->w = malloc(n * sizeof *k->w)))) return;   /* no copy: the final weights */
    memcpy(k->w, model_params(trainer_model(t)), n * sizeof *k->w);
    k->epoch = epoch;
}

/* Puts the best checkpoint DIR/best.safetensors of this run (its epoch is
 * best_epoch) into the trainer's model; 0 when it is not there. -1 after a
 * message. */
static int load_best(trainer *t, const char *dir, int best_epoch, char *path, size_t cap) {
    snprintf(path, cap, "%s/best.safetensors", dir);
    if (access(path, F_OK)) return 0;
    rnnlm_err err;
    model *bm = NULL;
    rnnlm_vocab *bv = NULL;
    st_file *f = NULL;
    if (checkpoint_load(path, &bm, &bv, &f, &err)) {
        progress_break();
        fprintf(stderr, "rnnlm train: test: %s\n", err.msg);
        return -1;
    }
    const char *be = checkpoint_get_meta(f, "run.best_epoch");
    size_t n = model_n_params(trainer_model(t));
    int ours = be && atoi(be) == best_epoch && model_n_params(bm) == n;
    if (ours) memcpy(model_params(trainer_model(t)), model_params(bm), n * sizeof(float));
    model_free(bm);
    rnnlm_vocab_free(bv);
    st_free(f);
    return ours;
}

/* After training with --valid and --test: the best weights evaluated on the
 * test set (the best checkpoint in --save-dir, else the best weights kept in
 * memory, else the final ones, as the line says), printed and logged as the
 * run "test" at their epoch. -1 after a message. */
static int test_best(trainer *t, const split_data *test, const char *dir, const kept_weights *k, int best_epoch,
                     runlog *rl) {
    char path[4200], from[4300];
    int epoch = trainer_epoch(t), got = 0;
    if (dir && best_epoch && (got = load_best(t, dir, best_epoch, path, sizeof path)) < 0) return -1;
    if (got) {
        epoch = best_epoch;
        snprintf(from, sizeof from, "best checkpoint %s", path);
    } else if (k->w && best_epoch && k->epoch == best_epoch) {
        memcpy(model_params(trainer_model(t)), k->w, model_n_params(trainer_model(t)) * sizeof *k->w);
        epoch = best_epoch;
        snprintf(from, sizeof from, "best weights (kept in memory)");
    } else {
        snprintf(from, sizeof from, "final weights");
    }
    batch_stats ts;
    rnnlm_err err;
    if (trainer_evaluate(t, test->x, test->y, test->n, &ts, &err)) {
        progress_break();
        fprintf(stderr, "rnnlm train: test: %s\n", err.msg);
        return -1;
    }
    printf("test: the %s, epoch %d", from, epoch);
    print_eval("test", &ts);
    printf("\n");
    fflush(stdout);
    return log_epoch(rl, RUN_TEST, epoch, &ts);
}

int cmd_train(int argc, char **argv) {
    data_opts_defaults(&g_data_opts);
    if (train_opts_preset("train", argc, argv)) return 2;
    int n_pos, rc = opts_parse("train", argc, argv, train_opt_table, data_opt_table, NULL, 0, &n_pos, "[options]");
    if (rc) return rc > 0 ? 0 : 2;
    rnnlm_err err;
    model *resumed = NULL;
    rnnlm_vocab *resumed_vocab = NULL;
    st_file *ck = NULL;
    if (g_train_opts.resume) {
        if (checkpoint_load(g_train_opts.resume, &resumed, &resumed_vocab, &ck, &err)) {
            fprintf(stderr, "rnnlm train: --resume: %s\n", err.msg);
            return 1;
        }
        if (options_from_checkpoint(ck, argc, argv)) {
            model_free(resumed); rnnlm_vocab_free(resumed_vocab); st_free(ck);
            return 2;
        }
        g_data_opts.fixed_vocab = resumed_vocab;
    } else if (g_train_opts.quick) {
        g_train_opts.epochs = 1;
        if (!g_train_opts.max_steps) g_train_opts.max_steps = 150;
    }
    rundir *rd = NULL;   /* --save-dir and --logdir, checked and locked before any work */
    const char *run_dirs[] = {g_train_opts.save_dir, g_train_opts.logdir};
    int early = train_opts_check("train", argc, argv) ? 2 : rundir_lock(&rd, run_dirs, 2, &err) ? 1 : 0;
    if (early) {
        if (early == 1) fprintf(stderr, "rnnlm train: %s\n", err.msg);
        model_free(resumed); rnnlm_vocab_free(resumed_vocab); st_free(ck);
        return early;
    }
    long threads = g_train_opts.threads ? g_train_opts.threads : sysconf(_SC_NPROCESSORS_ONLN);

    int status = 0;
    dataset d;
    trainer *t = NULL;
    runlog *rl = NULL;
    saver sv;
    memset(&sv, 0, sizeof sv);
    kept_weights kept = {0, NULL, 0};
    if (dataset_load(&d, &g_data_opts)) { status = 1; goto done; }
    const split_data *val = d.valid.n ? &d.valid : d.test.n ? &d.test : NULL;
    train_config cfg = train_opts_config((long)rnnlm_vocab_size(d.vocab));
    cfg.model.threads = (int)threads;   /* the library's compute threads */
    if (trainer_create(&t, &cfg, d.train.x, d.train.y, d.train.n, &err) ||
        (ck && trainer_restore(t, resumed, ck, &err))) {
        fprintf(stderr, "rnnlm train: %s%s\n", ck ? "--resume: " : "", err.msg);
        status = 1;
        goto done;
    }
    char summary[4096];
    model_summary(trainer_model(t), summary, sizeof summary);
    printf("data: %s, %zu training ids, %zu %s ids, V = %zu\n%s", d.source, d.train.n_ids, val ? val->n_ids : 0,
           val ? val->name : "validation", rnnlm_vocab_size(d.vocab), summary);
    printf("training: %s pipeline, B = %d, T = %d, %s lr %g, clip %g, %ld epochs of %zu steps, %ld threads\n",
           cfg.pipeline == PIPE_WINDOWED ? "windowed" : "stateful", cfg.B, cfg.T, opt_kind_name(cfg.opt.kind),
           (double)cfg.opt.lr, (double)cfg.opt.clip, g_train_opts.epochs, trainer_steps_per_epoch(t), threads);
    int tb, tt;
    trainer_batch_shape(t, &tb, &tt);
    if (tb != cfg.B || tt != cfg.T)
        printf("note: the training data are too short for a batch of %d x %d: batches of %d x %d\n", cfg.B, cfg.T, tb, tt);

    if (g_train_opts.logdir &&
        (runlog_open(&rl, g_train_opts.logdir, &err) || runlog_text(rl, "config", 0, summary, &err))) {
        fprintf(stderr, "rnnlm train: --logdir: %s\n", err.msg);
        status = 1;
        goto done;
    }
    sv.t = t;
    sv.vocab = d.vocab;
    sv.dir = g_train_opts.save_dir;
    kept.on = d.valid.n && d.test.n && !sv.dir;
    sv.n_kv = options_to_kv(sv.kv, 64, sv.flat);

    double best = INFINITY;
    int best_epoch = 0, first = 1;
    int64_t global_step = 0;
    if (ck) {   /* position and history of the resumed run */
        if (run_history(ck, trainer_epoch(t), &best, &best_epoch, &global_step)) { status = 1; goto done; }
        printf("resumed from %s at epoch %d, step %zu\n", g_train_opts.resume, trainer_epoch(t), trainer_epoch_step(t));
    }
    fflush(stdout);
    int e = ck ? trainer_epoch(t) : 1;
    if (ck && trainer_epoch_step(t) >= trainer_steps_per_epoch(t)) e++, first = 0;   /* saved at an epoch's end */
    else if (!ck) first = 0;
    if (e > g_train_opts.epochs) {   /* a resumed run has nothing left to train */
        fprintf(stderr, "rnnlm train: --epochs %ld: the checkpoint has already finished epoch %d; "
                "give more epochs to continue\n", g_train_opts.epochs, e - 1);
        status = 2;
        goto done;
    }
    for (; e <= g_train_opts.epochs; e++, first = 0) {
        if (!first) trainer_begin_epoch(t);
        progress pr;
        progress_begin(&pr, stdout, trainer_steps_per_epoch(t));
        train_progress p = *trainer_progress(t);
        for (int step_done = 0;;) {
            if (trainer_step(t, &p, &step_done, &err)) {
                progress_end(&pr);
                fprintf(stderr, "rnnlm train: %s\n", err.msg);
                status = 1;
                goto done;
            }
            if (step_done) break;
            progress_step(&pr, &p);
            global_step++;
            if (rl && global_step % g_train_opts.log_every == 0 && log_batch(rl, global_step, &p, cfg.opt.lr)) {
                status = 1;
                goto done;
            }
            if (g_train_opts.save_every && global_step % g_train_opts.save_every == 0 && p.step < p.n_steps &&
                save(&sv, "last", best, best_epoch, global_step)) {
                status = 1;
                goto done;
            }
        }
        progress_end(&pr);
        printf("epoch %d/%ld - %.0fs - %.0f tok/s", e, g_train_opts.epochs, p.seconds,
               (double)p.epoch_sum.count / p.seconds);
        progress_line_open(&pr);
        print_eval("train", &p.epoch_sum);
        if (log_epoch(rl, RUN_TRAIN, e, &p.epoch_sum)) { status = 1; goto done; }
        int improved = 0;
        if (val) {
            batch_stats vs;
            if (trainer_evaluate(t, val->x, val->y, val->n, &vs, &err)) {
                progress_break();
                fprintf(stderr, "rnnlm train: evaluation: %s\n", err.msg);
                status = 1;
                goto done;
            }
            print_eval(val->name, &vs);
            if (log_epoch(rl, RUN_VALIDATION, e, &vs)) { status = 1; goto done; }
            double ppl = exp(vs.loss_sum / (double)vs.count);
            if (ppl < best) { best = ppl; best_epoch = e; improved = 1; keep_best(&kept, t, e); }
        }
        if (p.skipped_total) printf(" - skipped steps %zu", p.skipped_total);
        progress_break();   /* the summary's end */
        if (save(&sv, "last", best, best_epoch, global_step) || (improved && save(&sv, "best", best, best_epoch, global_step))) {
            status = 1;
            goto done;
        }
        if (rl && runlog_flush(rl, &err)) { fprintf(stderr, "rnnlm train: --logdir: %s\n", err.msg); status = 1; goto done; }
    }
    if (val && best_epoch) printf("best %s perplexity %.2f at epoch %d\n", val->name, best, best_epoch);
    if (d.valid.n && d.test.n && test_best(t, &d.test, sv.dir, &kept, best_epoch, rl)) status = 1;
done:
    progress_break();
    if (rl && runlog_close(rl, &err) && !status) {
        fprintf(stderr, "rnnlm train: --logdir: %s\n", err.msg);
        status = 1;
    }
    rundir_unlock(rd);
    free(kept.w);
    trainer_free(t);
    dataset_free(&d);
    model_free(resumed);
    rnnlm_vocab_free(resumed_vocab);
    st_free(ck);
    return status;
}
