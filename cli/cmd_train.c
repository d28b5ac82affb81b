/* cmd_train.c: `rnnlm train`: the options of a training run, its progress
 * bar and its printed figures. The run itself (validation after every
 * epoch, TensorBoard/CSV logs, checkpoints last and best, exact resume, the
 * test evaluation) is the library's rnnlm_trainer. Under mpirun every rank
 * runs this same code over its communicator (rnnlm_comm); rank 0 alone
 * prints (the others' stdout goes to /dev/null), and a failure on any rank
 * ends the whole job (rnnlm_comm_abort) rather than leave the others waiting
 * in a collective. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "data_opts.h"
#include "progress.h"
#include "train_opts.h"

/* Options a resumed run may set anew on its command line; every other one
 * comes from the checkpoint. */
static const char *const RESUME_FREE[] = {"epochs", "budget-steps", "threads", "precision", "logdir",
                                          "log-every", "save-dir", "save-every", "resume", "brown-dir",
                                          "max-bad-steps", "max-minutes", "stop-at-step", "allow-data-change",
                                          NULL};

static int listed(const char *const *list, const char *name) {
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0) return 1;
    return 0;
}

/* Sets every option from the checkpoint, then applies the command line's
 * free options again. -1 after a message (2: usage). */
static int options_from_checkpoint(const rnnlm_checkpoint *ck, int argc, char **argv) {
    rnnlm_err err;
    rnnlm_train_options t = g_train_opts;
    rnnlm_data_options d = g_data_opts;
    if (rnnlm_checkpoint_options(ck, &t, &d, &err)) {
        fprintf(stderr, "rnnlm train: --resume: %s\n", err.msg);
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
    g_train_opts = t;
    g_data_opts = d;
    int n_pos;
    return opts_parse("train", argc, argv, train_opt_table, data_opt_table, NULL, 0, &n_pos, "[options]") ? -1 : 0;
}

static void print_eval(const char *name, const rnnlm_eval_result *s) {
    double loss = s->loss_sum / (double)s->count;
    char ppl[32];
    printf(" - %s_loss %.4f - %s_ppl %s - %s_acc %.4f", name, loss, name, fmt_ppl(ppl, sizeof ppl, exp(loss), 2), name,
           (double)s->correct / (double)s->count);
}

static void on_step(const rnnlm_train_progress *p, void *user) { progress_step(user, p); }

/* The failure of the trainer t, on stderr after the open progress line. */
static int failed(const rnnlm_trainer *t, const rnnlm_err *err) {
    static const char *const where[] = {
        [RNNLM_AT_DIRS] = "",           [RNNLM_AT_SETUP] = "",        [RNNLM_AT_RESUME] = "--resume: ",
        [RNNLM_AT_LOG] = "--logdir: ",  [RNNLM_AT_SAVE] = "--save-dir: ", [RNNLM_AT_STEP] = "",
        [RNNLM_AT_VALID] = "evaluation: ", [RNNLM_AT_TEST] = "test: ",
    };
    rnnlm_trainer_site s = rnnlm_trainer_failed_at(t);
    const char *w = s > RNNLM_AT_NONE && s <= RNNLM_AT_TEST ? where[s] : "";
    if (s == RNNLM_AT_SETUP && g_train_resume) w = "--resume: ";
    progress_break();
    if (rnnlm_comm_size(g_train_opts.comm) > 1)
        fprintf(stderr, "rnnlm train (rank %d of %d): %s%s\n", rnnlm_comm_rank(g_train_opts.comm),
                rnnlm_comm_size(g_train_opts.comm), w, err->msg);
    else fprintf(stderr, "rnnlm train: %s%s\n", w, err->msg);
    return 1;
}

static const char *const PIPELINES[] = {"stateful", "windowed"};
static const char *const OPTIMIZERS[] = {"adam", "adagrad", "sgd"};

/* Epochs from the trainer's current one to --epochs, printed; 0 or 1. */
static int run(rnnlm_trainer *t, const rnnlm_dataset *d) {
    rnnlm_err err;
    const rnnlm_split_data *val = rnnlm_trainer_valid(t);
    rnnlm_epoch_result e;
    memset(&e, 0, sizeof e);
    while (rnnlm_trainer_epoch(t) <= rnnlm_trainer_epochs(t) && !rnnlm_trainer_stop_reason(t)) {
        progress pr;
        progress_begin(&pr, stdout, rnnlm_trainer_steps_per_epoch(t));
        if (rnnlm_trainer_run_epoch(t, on_step, &pr, &e, &err)) {
            if (rnnlm_trainer_failed_at(t) == RNNLM_AT_STEP) progress_end(&pr);
            return failed(t, &err);
        }
        progress_end(&pr);
        if (e.cut) {   /* not validated: a resumed run finishes the epoch */
            printf("epoch %d/%ld cut after step %zu of %zu - %.0fs", e.epoch, rnnlm_trainer_epochs(t), e.cut_step,
                   rnnlm_trainer_steps_per_epoch(t), e.seconds);
            progress_line_open(&pr);
            print_eval("train", &e.train);
            progress_break();
            if (rnnlm_trainer_end_epoch(t, &e, &err)) return failed(t, &err);
            break;
        }
        printf("epoch %d/%ld - %.0fs - %.0f tok/s", e.epoch, rnnlm_trainer_epochs(t), e.seconds,
               (double)e.train.count / e.seconds);
        if (rnnlm_comm_size(g_train_opts.comm) > 1)
            printf(" - comm %.2f ms/step (waiting %.2f)", 1e3 * e.comm_per_step, 1e3 * e.wait_per_step);
        progress_line_open(&pr);
        print_eval("train", &e.train);
        int64_t averaged = rnnlm_trainer_avg_count(t);   /* validation sees the averaged weights */
        int avg_from = rnnlm_trainer_avg_start(t);
        double lr = rnnlm_trainer_lr(t);   /* the epoch's (a plateau decays it at validation) */
        if (rnnlm_trainer_validate(t, &e, &err)) return failed(t, &err);
        if (e.validated) print_eval(val->name, &e.valid);
        if (e.validated && averaged) printf(" (averaged over %lld steps)", (long long)averaged);
        if (g_train_opts.lr_schedule) printf(" - lr %.4g", lr);
        if (!avg_from && rnnlm_trainer_avg_start(t))
            printf(" - averaging from epoch %d", rnnlm_trainer_avg_start(t));
        if (e.skipped_total) printf(" - skipped steps %zu", e.skipped_total);
        progress_break();   /* the summary's end */
        if (rnnlm_trainer_end_epoch(t, &e, &err)) return failed(t, &err);
    }
    switch (rnnlm_trainer_stop_reason(t)) {
    case RNNLM_STOP_PATIENCE:
        printf("early stopping: %ld epochs without a %s improvement (--patience %ld)\n", g_train_opts.patience,
               val ? val->name : "validation", g_train_opts.patience);
        break;
    case RNNLM_STOP_TIME:
    case RNNLM_STOP_STEPS: {
        char limit[64];
        if (rnnlm_trainer_stop_reason(t) == RNNLM_STOP_TIME)
            snprintf(limit, sizeof limit, "--max-minutes %g", g_train_opts.max_minutes);
        else snprintf(limit, sizeof limit, "--stop-at-step %ld", g_train_opts.stop_at_step);
        if (e.cut) printf("stopped: %s reached during epoch %d (not validated)", limit, e.epoch);
        else printf("stopped: %s reached after epoch %d", limit, e.epoch);
        if (g_train_opts.save_dir)
            printf("; --resume %s/last.safetensors finishes the run as if it had not stopped\n",
                   g_train_opts.save_dir);
        else printf("; without --save-dir there is nothing to resume\n");
        break;
    }
    default: break;
    }
    rnnlm_trainer_best(t, &e.best_ppl, &e.best_epoch);   /* also when a resumed run had no epoch left to run */
    char ppl[32];
    if (val && e.best_epoch)
        printf("best %s perplexity %s at epoch %d\n", val->name, fmt_ppl(ppl, sizeof ppl, e.best_ppl, 2), e.best_epoch);
    if (d->valid.n && d->test.n) {   /* the best weights on the test set */
        rnnlm_test_result r;
        if (rnnlm_trainer_test(t, &r, &err)) return failed(t, &err);
        char from[4300];
        if (r.from == RNNLM_FROM_BEST_FILE) snprintf(from, sizeof from, "best checkpoint %s", r.path);
        else snprintf(from, sizeof from, r.from == RNNLM_FROM_BEST_KEPT ? "best weights (kept in memory)" : "final weights");
        printf("test: the %s, epoch %d", from, r.epoch);
        print_eval("test", &r.r);
        printf("\n");
        fflush(stdout);
    }
    return 0;
}

static int train_main(int argc, char **argv, rnnlm_comm *comm) {
    data_opts_defaults(&g_data_opts);
    if (train_opts_preset("train", argc, argv)) return 2;
    int n_pos, rc = opts_parse("train", argc, argv, train_opt_table, data_opt_table, NULL, 0, &n_pos, "[options]");
    if (rc) return rc > 0 ? 0 : 2;
    rnnlm_err err;
    rnnlm_checkpoint *ck = NULL;
    if (g_train_resume && g_train_overwrite) {
        fprintf(stderr, "rnnlm train: --overwrite and --resume exclude each other: --resume continues the run "
                "in its directories, --overwrite removes that run's files to start a new one\n");
        return 2;
    }
    if (g_train_resume) {
        if (rnnlm_checkpoint_open(&ck, g_train_resume, &err)) {
            fprintf(stderr, "rnnlm train: --resume: %s\n", err.msg);
            return 1;
        }
        if (options_from_checkpoint(ck, argc, argv)) {
            rnnlm_checkpoint_free(ck);
            return 2;
        }
    } else if (g_train_quick) {
        g_train_opts.epochs = 1;
        g_train_opts.budget_steps = 0;
        if (!g_train_opts.max_steps) g_train_opts.max_steps = 150;
    }
    rnnlm_trainer *t = NULL;   /* --save-dir and --logdir, checked and locked before any work */
    if (train_opts_check("train", argc, argv)) {
        rnnlm_checkpoint_free(ck);
        return 2;
    }
    /* a directory holding another run's files: refused, cleared or continued (not a run setting: never saved) */
    g_train_opts.dirs_mode = ck ? RNNLM_DIRS_RESUME : g_train_overwrite ? RNNLM_DIRS_OVERWRITE : RNNLM_DIRS_NEW;
    g_train_opts.comm = comm;
    if (rnnlm_trainer_create(&t, &g_train_opts, &g_data_opts, &err)) {
        if (rnnlm_comm_size(comm) > 1) fprintf(stderr, "rnnlm train (rank %d): %s\n", rnnlm_comm_rank(comm), err.msg);
        else fprintf(stderr, "rnnlm train: %s\n", err.msg);
        rnnlm_checkpoint_free(ck);
        return 1;
    }
    if (g_train_opts.batch_per_rank > 0)   /* the global batch rnnlm_trainer_create made of it */
        g_train_opts.batch = g_train_opts.batch_per_rank * rnnlm_comm_size(comm);
    int status = 0;
    rnnlm_dataset d;
    memset(&d, 0, sizeof d);
    if (dataset_load(&d, &g_data_opts)) { status = 1; goto done; }
    if (rnnlm_trainer_start(t, &d, ck, &err)) { status = failed(t, &err); goto done; }
    const rnnlm_split_data *val = rnnlm_trainer_valid(t);
    printf("data: %s, %zu training ids, %zu %s ids, V = %zu\n%s", d.source, d.train.n_ids, val ? val->n_ids : 0,
           val ? val->name : "validation", rnnlm_vocab_size(d.vocab), rnnlm_trainer_summary(t));
    printf("training: %s pipeline, B = %ld, T = %ld, %s lr %g, clip %g, %ld epochs of %zu steps, %ld threads\n",
           PIPELINES[g_train_opts.pipeline], g_train_opts.batch, g_train_opts.max_time,
           OPTIMIZERS[g_train_opts.optimizer], rnnlm_trainer_lr(t), (double)(float)g_train_opts.clip,
           rnnlm_trainer_epochs(t), rnnlm_trainer_steps_per_epoch(t), rnnlm_trainer_threads(t));
    if (rnnlm_comm_size(comm) > 1)
        printf("data parallel: %d ranks (MPI), %ld rows of each batch a rank, the gradient summed every step\n",
               rnnlm_comm_size(comm), g_train_opts.batch / rnnlm_comm_size(comm));
    char path[256];
    rnnlm_trainer_compute_path(t, path, sizeof path);
    printf("compute: %s\n", path);
    int tb, tt;
    rnnlm_trainer_batch_shape(t, &tb, &tt);
    if (tb != g_train_opts.batch || tt != g_train_opts.max_time)
        printf("note: the training data are too short for a batch of %ld x %ld: batches of %d x %d\n",
               g_train_opts.batch, g_train_opts.max_time, tb, tt);
    if (ck)
        printf("resumed from %s at epoch %d, step %zu\n", g_train_resume,
               rnnlm_trainer_epoch(t) - (rnnlm_trainer_resumed_step(t) >= rnnlm_trainer_steps_per_epoch(t)),
               rnnlm_trainer_resumed_step(t));
    if (ck && *rnnlm_trainer_data_note(t)) printf("note: %s\n", rnnlm_trainer_data_note(t));
    fflush(stdout);
    if (rnnlm_trainer_epoch(t) > rnnlm_trainer_epochs(t)) {   /* a resumed run has nothing left to train */
        if (g_train_opts.budget_steps > 0)   /* the length came from the budget: blame it, not --epochs */
            fprintf(stderr, "rnnlm train: --budget-steps %ld plans %ld epochs, and the checkpoint has already "
                    "finished epoch %d; give a larger --budget-steps (or --epochs) to continue\n", g_train_opts.budget_steps,
                    rnnlm_trainer_epochs(t), rnnlm_trainer_epoch(t) - 1);
        else
            fprintf(stderr, "rnnlm train: --epochs %ld: the checkpoint has already finished epoch %d; "
                    "give more epochs to continue\n", rnnlm_trainer_epochs(t), rnnlm_trainer_epoch(t) - 1);
        status = 2;
        goto done;
    }
    status = run(t, &d);
done:
    progress_break();
    if (rnnlm_trainer_free(t, &err) && !status) {
        fprintf(stderr, "rnnlm train: --logdir: %s\n", err.msg);
        status = 1;
    }
    rnnlm_dataset_free(&d);
    rnnlm_checkpoint_free(ck);
    return status;
}

int cmd_train(int argc, char **argv) {
    rnnlm_err err;
    rnnlm_comm *comm = NULL;
    if (rnnlm_comm_init(&comm, &err)) {   /* mpirun without MPI in this build: refused, not N lone runs */
        fprintf(stderr, "rnnlm train: %s\n", err.msg);
        return 1;
    }
    if (rnnlm_comm_rank(comm) > 0 && !freopen("/dev/null", "w", stdout)) {
        fprintf(stderr, "rnnlm train (rank %d): cannot silence stdout\n", rnnlm_comm_rank(comm));
        rnnlm_comm_abort(comm, 1);
    }
    int status = train_main(argc, argv, comm);
    fflush(stdout);
    fflush(stderr);
    if (status && rnnlm_comm_size(comm) > 1) rnnlm_comm_abort(comm, status);   /* the other ranks may be waiting */
    rnnlm_comm_free(comm);
    return status;
}
