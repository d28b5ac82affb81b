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
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "data_opts.h"
#include "progress.h"
#include "train_opts.h"

/* Sets every option from the checkpoint, then applies the command line's
 * free options again. -1 after a message (2: usage). */
static int options_from_checkpoint(train_cli *c, const rnnlm_checkpoint *ck, int argc, char **argv) {
    rnnlm_err err;
    rnnlm_train_options t = c->o;
    rnnlm_data_options d = c->d;
    if (rnnlm_checkpoint_options(ck, &t, &d, &err)) {
        char msg[sizeof err.msg + 256];
        fprintf(stderr, "rnnlm train: --resume: %s\n", train_opts_message(err.msg, msg, sizeof msg));
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) continue;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(argv[i] + 2, "="), argv[i] + 2);
        if (!train_opts_resumable(name)) {
            fprintf(stderr, "rnnlm train: --%s cannot be set with --resume: the checkpoint fixes it\n", name);
            return -1;
        }
    }
    c->o = t;
    c->d = d;
    int n_pos;
    return opts_parse("train", argc, argv, c->table, c->data_table, NULL, 0, &n_pos, "[options]") ? -1 : 0;
}

static void print_eval(const char *name, const rnnlm_eval_result *s) {
    double loss = s->loss_sum / (double)s->count;
    char ppl[32];
    printf(" - %s_loss %.4f - %s_ppl %s - %s_acc %.4f", name, loss, name, fmt_ppl(ppl, sizeof ppl, exp(loss), 2), name,
           (double)s->correct / (double)s->count);
}

static void on_step(const rnnlm_train_progress *p, void *user) { progress_step(user, p); }

/* The failure of the trainer t, on stderr after the open progress line. */
static int failed(const train_cli *c, const rnnlm_trainer *t, const rnnlm_err *err) {
    static const char *const where[] = {
        [RNNLM_AT_DIRS] = "",           [RNNLM_AT_SETUP] = "",        [RNNLM_AT_RESUME] = "--resume: ",
        [RNNLM_AT_LOG] = "--logdir: ",  [RNNLM_AT_SAVE] = "--save-dir: ", [RNNLM_AT_STEP] = "",
        [RNNLM_AT_VALID] = "evaluation: ", [RNNLM_AT_TEST] = "test: ",
    };
    rnnlm_trainer_site s = rnnlm_trainer_failed_at(t);
    const char *w = s > RNNLM_AT_NONE && s <= RNNLM_AT_TEST ? where[s] : "";
    if (s == RNNLM_AT_SETUP && c->resume) w = "--resume: ";
    progress_break();
    char msg[sizeof err->msg + 256];
    train_opts_message(err->msg, msg, sizeof msg);
    if (rnnlm_comm_size(c->o.comm) > 1)
        fprintf(stderr, "rnnlm train (rank %d of %d): %s%s\n", rnnlm_comm_rank(c->o.comm),
                rnnlm_comm_size(c->o.comm), w, msg);
    else fprintf(stderr, "rnnlm train: %s%s\n", w, msg);
    return 1;
}

/* One epoch's closing line, after its validation; 0 or 1 (failed). */
static int epoch_line(const train_cli *c, rnnlm_trainer *t, rnnlm_epoch_result *e, progress *pr) {
    rnnlm_err err;
    printf("epoch %d/%ld - %.0fs - %.0f tok/s", e->epoch, rnnlm_trainer_epochs(t), e->seconds,
           (double)e->train.count / e->seconds);
    if (rnnlm_comm_size(c->o.comm) > 1)
        printf(" - comm %.2f ms/step (waiting %.2f)", 1e3 * e->comm_per_step, 1e3 * e->wait_per_step);
    progress_line_open(pr);
    print_eval("train", &e->train);
    int64_t averaged = rnnlm_trainer_avg_count(t);   /* validation sees the averaged weights */
    int avg_from = rnnlm_trainer_avg_start(t);
    double lr = rnnlm_trainer_lr(t);   /* the epoch's (a plateau decays it at validation) */
    if (rnnlm_trainer_validate(t, e, &err)) return failed(c, t, &err);
    if (e->validated) print_eval(rnnlm_trainer_valid(t)->name, &e->valid);
    if (e->validated && averaged) printf(" (averaged over %lld steps)", (long long)averaged);
    if (c->o.lr_schedule) printf(" - lr %.4g", lr);
    if (!avg_from && rnnlm_trainer_avg_start(t)) printf(" - averaging from epoch %d", rnnlm_trainer_avg_start(t));
    if (e->skipped_total) printf(" - skipped steps %zu", e->skipped_total);
    progress_break();   /* the summary's end */
    return 0;
}

/* Epochs from the trainer's current one to --epochs, printed; 0 or 1. */
static int run_epochs(const train_cli *c, rnnlm_trainer *t, rnnlm_epoch_result *e) {
    rnnlm_err err;
    memset(e, 0, sizeof *e);
    while (rnnlm_trainer_epoch(t) <= rnnlm_trainer_epochs(t) && !rnnlm_trainer_stop_reason(t)) {
        progress pr;
        progress_begin(&pr, stdout, rnnlm_trainer_steps_per_epoch(t));
        if (rnnlm_trainer_run_epoch(t, on_step, &pr, e, &err)) {
            if (rnnlm_trainer_failed_at(t) == RNNLM_AT_STEP) progress_end(&pr);
            return failed(c, t, &err);
        }
        progress_end(&pr);
        if (e->cut) {   /* not validated: a resumed run finishes the epoch */
            printf("epoch %d/%ld cut after step %zu of %zu - %.0fs", e->epoch, rnnlm_trainer_epochs(t),
                   e->cut_step, rnnlm_trainer_steps_per_epoch(t), e->seconds);
            progress_line_open(&pr);
            print_eval("train", &e->train);
            progress_break();
            return rnnlm_trainer_end_epoch(t, e, &err) ? failed(c, t, &err) : 0;
        }
        if (epoch_line(c, t, e, &pr)) return 1;
        if (rnnlm_trainer_end_epoch(t, e, &err)) return failed(c, t, &err);
        if (*rnnlm_trainer_replan_note(t)) printf("plan: %s\n", rnnlm_trainer_replan_note(t));
    }
    return 0;
}

/* Why the run stopped before its last epoch, when it did. */
static void print_stop(const train_cli *c, const rnnlm_trainer *t, const rnnlm_epoch_result *e) {
    const rnnlm_split_data *val = rnnlm_trainer_valid(t);
    rnnlm_stop_reason why = rnnlm_trainer_stop_reason(t);
    if (why == RNNLM_STOP_PATIENCE)
        printf("early stopping: %ld epochs without a %s improvement (--patience %ld)\n", c->o.patience,
               val ? val->name : "validation", c->o.patience);
    if (why != RNNLM_STOP_TIME && why != RNNLM_STOP_STEPS) return;
    char limit[64];
    if (why == RNNLM_STOP_TIME) snprintf(limit, sizeof limit, "--max-minutes %g", c->o.max_minutes);
    else snprintf(limit, sizeof limit, "--stop-at-step %ld", c->o.stop_at_step);
    if (e->cut) printf("stopped: %s reached during epoch %d (not validated)", limit, e->epoch);
    else printf("stopped: %s reached after epoch %d", limit, e->epoch);
    if (c->o.save_dir)
        printf("; --resume %s/last.safetensors finishes the run as if it had not stopped\n", c->o.save_dir);
    else printf("; without --save-dir there is nothing to resume\n");
}

/* The epochs, then the best validation figure and the test; 0 or 1. */
static int run(const train_cli *c, rnnlm_trainer *t, const rnnlm_dataset *d) {
    rnnlm_err err;
    const rnnlm_split_data *val = rnnlm_trainer_valid(t);
    rnnlm_epoch_result e;
    if (run_epochs(c, t, &e)) return 1;
    print_stop(c, t, &e);
    rnnlm_trainer_best(t, &e.best_ppl, &e.best_epoch);   /* also when a resumed run had no epoch left to run */
    char ppl[32];
    if (val && e.best_epoch)
        printf("best %s perplexity %s at epoch %d\n", val->name, fmt_ppl(ppl, sizeof ppl, e.best_ppl, 2), e.best_epoch);
    if (d->valid.n && d->test.n) {   /* the best weights on the test set */
        rnnlm_test_result r;
        if (rnnlm_trainer_test(t, &r, &err)) return failed(c, t, &err);
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

/* The options of this run into c: defaults, the preset, the command line,
 * and with --resume the checkpoint's (opened into *ck). 0, or the exit
 * status after a message (-1: --help, exit 0). */
static int read_options(train_cli *c, int argc, char **argv, rnnlm_checkpoint **ck) {
    *ck = NULL;
    if (train_opts_preset(c, "train", argc, argv)) return 2;
    int n_pos, rc = opts_parse("train", argc, argv, c->table, c->data_table, NULL, 0, &n_pos, "[options]");
    if (rc) return rc > 0 ? -1 : 2;
    rnnlm_err err;
    if (c->resume && c->overwrite) {
        fprintf(stderr, "rnnlm train: --overwrite and --resume exclude each other: --resume continues the run "
                "in its directories, --overwrite removes that run's files to start a new one\n");
        return 2;
    }
    if (c->resume) {
        if (rnnlm_checkpoint_open(ck, c->resume, &err)) {
            fprintf(stderr, "rnnlm train: --resume: %s\n", err.msg);
            return 1;
        }
        if (options_from_checkpoint(c, *ck, argc, argv)) return 2;
    } else if (c->quick) {
        c->o.epochs = 1;
        c->o.budget_steps = 0;
        c->o.budget_minutes = 0;
        if (!c->o.max_steps) c->o.max_steps = 150;
    }
    return train_opts_check(c, "train", argc, argv) ? 2 : 0;
}

/* What the run is about to do: its data, model, shape and compute path. */
static void print_header(const train_cli *c, const rnnlm_trainer *t, const rnnlm_dataset *d,
                         const rnnlm_checkpoint *ck) {
    const rnnlm_split_data *val = rnnlm_trainer_valid(t);
    int ranks = rnnlm_comm_size(c->o.comm);
    char pipeline[32], optimizer[32];
    const long B = rnnlm_trainer_batch(t);   /* the time plan may have chosen a smaller one */
    printf("data: %s, %zu training ids, %zu %s ids, V = %zu\n%s", d->source, d->train.n_ids, val ? val->n_ids : 0,
           val ? val->name : "validation", rnnlm_vocab_size(d->vocab), rnnlm_trainer_summary(t));
    printf("training: %s pipeline%s, B = %ld, T = %ld, %s lr %g, clip %g, %ld epochs of %zu steps, %ld threads\n",
           train_opts_choice("pipeline", c->o.pipeline, pipeline, sizeof pipeline),
           c->o.reshuffle ? " (sentences reshuffled each epoch)" : "", B, c->o.max_time,
           train_opts_choice("optimizer", c->o.optimizer, optimizer, sizeof optimizer), rnnlm_trainer_lr(t),
           (double)(float)c->o.clip, rnnlm_trainer_epochs(t), rnnlm_trainer_steps_per_epoch(t),
           rnnlm_trainer_threads(t));
    if (ranks > 1)
        printf("data parallel: %d ranks (MPI), %ld rows of each batch a rank, the gradient summed every step\n",
               ranks, B / ranks);
    char path[512];
    rnnlm_trainer_compute_path(t, path, sizeof path);
    printf("compute: %s\n", path);
    if (*rnnlm_trainer_plan_note(t)) printf("plan: %s\n", rnnlm_trainer_plan_note(t));
    int tb, tt;
    rnnlm_trainer_batch_shape(t, &tb, &tt);
    if (tb != B || tt != c->o.max_time)
        printf("note: the training data are too short for a batch of %ld x %ld: batches of %d x %d\n", B,
               c->o.max_time, tb, tt);
    if (ck)
        printf("resumed from %s at epoch %d, step %zu\n", c->resume,
               rnnlm_trainer_epoch(t) - (rnnlm_trainer_resumed_step(t) >= rnnlm_trainer_steps_per_epoch(t)),
               rnnlm_trainer_resumed_step(t));
    if (ck && *rnnlm_trainer_data_note(t)) {
        char msg[1024 + 256];
        printf("note: %s\n", train_opts_message(rnnlm_trainer_data_note(t), msg, sizeof msg));
    }
    fflush(stdout);
}

/* A resumed run with no epoch left: 2 after a message; 0 otherwise. */
static int nothing_left(const train_cli *c, const rnnlm_trainer *t) {
    if (rnnlm_trainer_epoch(t) <= rnnlm_trainer_epochs(t)) return 0;
    if (c->o.budget_steps > 0)   /* the length came from the budget: blame it, not --epochs */
        fprintf(stderr, "rnnlm train: --budget-steps %ld plans %ld epochs, and the checkpoint has already "
                "finished epoch %d; give a larger --budget-steps (or --epochs) to continue\n", c->o.budget_steps,
                rnnlm_trainer_epochs(t), rnnlm_trainer_epoch(t) - 1);
    else
        fprintf(stderr, "rnnlm train: --epochs %ld: the checkpoint has already finished epoch %d; "
                "give more epochs to continue\n", rnnlm_trainer_epochs(t), rnnlm_trainer_epoch(t) - 1);
    return 2;
}

/* The trainer of c's options (its directories checked and locked before any work); 0 or 1. */
static int create(train_cli *c, const rnnlm_checkpoint *ck, rnnlm_comm *comm, rnnlm_trainer **t) {
    rnnlm_err err;
    /* a directory holding another run's files: refused, cleared or continued (not a run setting: never saved) */
    c->o.dirs_mode = ck ? RNNLM_DIRS_RESUME : c->overwrite ? RNNLM_DIRS_OVERWRITE : RNNLM_DIRS_NEW;
    c->o.comm = comm;
    if (rnnlm_trainer_create(t, &c->o, &c->d, &err)) {
        char msg[sizeof err.msg + 256];
        train_opts_message(err.msg, msg, sizeof msg);
        if (rnnlm_comm_size(comm) > 1) fprintf(stderr, "rnnlm train (rank %d): %s\n", rnnlm_comm_rank(comm), msg);
        else fprintf(stderr, "rnnlm train: %s\n", msg);
        return 1;
    }
    if (c->o.batch_per_rank > 0)   /* the global batch rnnlm_trainer_create made of it */
        c->o.batch = c->o.batch_per_rank * rnnlm_comm_size(comm);
    return 0;
}

/* One run of c's options (ck: the checkpoint of --resume, or NULL; freed
 * here): create, load, train, test. The exit status. */
static int train_one(train_cli *c, rnnlm_checkpoint *ck, rnnlm_comm *comm) {
    int status;
    rnnlm_trainer *t = NULL;
    if ((status = create(c, ck, comm, &t))) {
        rnnlm_checkpoint_free(ck);
        return status < 0 ? 0 : status;
    }
    rnnlm_err err;
    rnnlm_dataset d;
    memset(&d, 0, sizeof d);
    if (dataset_load(&d, &c->d)) status = 1;
    else if (rnnlm_trainer_start(t, &d, ck, &err)) status = failed(c, t, &err);
    if (!status) print_header(c, t, &d, ck);
    if (!status) status = nothing_left(c, t);
    if (!status) status = run(c, t, &d);
    progress_break();
    if (rnnlm_trainer_free(t, &err) && !status) {
        fprintf(stderr, "rnnlm train: --logdir: %s\n", err.msg);
        status = 1;
    }
    rnnlm_dataset_free(&d);
    rnnlm_checkpoint_free(ck);
    return status;
}

static int train_main(train_cli *c, int argc, char **argv, rnnlm_comm *comm) {
    rnnlm_checkpoint *ck = NULL;
    int status = read_options(c, argc, argv, &ck);
    if (status) {
        rnnlm_checkpoint_free(ck);
        return status < 0 ? 0 : status;
    }
    if (c->ngram) c->o.ngram_order = 0;   /* a file given: nothing to build */
    if ((c->ngram || c->o.ngram_order) && (!c->o.save_dir || rnnlm_comm_size(comm) > 1)) {
        rnnlm_checkpoint_free(ck);
        fprintf(stderr, "rnnlm train: --%s interpolates the model the run keeps in --save-dir with an n-gram, %s\n",
                c->ngram ? "ngram" : "ngram-order (the hour preset's)",
                c->o.save_dir ? "in one process, not under mpirun (`rnnlm eval MODEL FILE --ngram` afterwards)"
                              : "and this run has none: give --save-dir DIR (or --ngram-order 0: no n-gram)");
        return 2;
    }
    if (c->o.ngram_order && (status = train_ngram_build(c))) {
        rnnlm_checkpoint_free(ck);
        return status;
    }
    if (c->ngram) {   /* read once before any training, so that a bad file does not wait for the run's end */
        rnnlm_err err;
        rnnlm_ngram *g = NULL;
        status = rnnlm_ngram_load(&g, c->ngram, &err);
        rnnlm_ngram_free(g);
        if (status) {
            rnnlm_checkpoint_free(ck);
            fprintf(stderr, "rnnlm train: --ngram %s: %s\n", c->ngram, err.msg);
            return 1;
        }
    }
    if (c->o.members > 1) return train_members(c, comm, train_one);   /* docs/ENSEMBLE.md */
    status = train_one(c, ck, comm);
    return status || !c->ngram ? status : train_final_mix(c);
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
    train_cli *c = malloc(sizeof *c);   /* the options of this run, their tables pointing into it */
    int status = c ? train_main(c, argc, argv, comm) : 1;
    if (!c) fprintf(stderr, "rnnlm train: out of memory\n");
    free(c);
    fflush(stdout);
    fflush(stderr);
    if (status && rnnlm_comm_size(comm) > 1) rnnlm_comm_abort(comm, status);   /* the other ranks may be waiting */
    rnnlm_comm_free(comm);
    return status;
}
