/* trainer.c: a training run (rnnlm.h, "training", rnnlm_trainer): the
 * epoch loop's bookkeeping (validation, the best perplexity and its
 * weights, logs, checkpoints last and best), the schedules, averaging and
 * limits, exact resume, and the test evaluation of the best weights. The
 * arithmetic of a step is step.c's; this file decides when things happen
 * and what is written. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/elapsed.h"
#include "io/rundir.h"
#include "io/runlog.h"
#include "model/checkpoint.h"
#include "model/precision.h"
#include "train/average.h"
#include "train/comm.h"
#include "train/config.h"
#include "train/fingerprint.h"
#include "train/options.h"
#include "train/resume.h"
#include "train/schedule.h"
#include "train/step.h"
#include "train/timeplan.h"

/* run.best_ppl, run.best_epoch, run.global_step, run.lr, run.lr_bad_epochs,
 * run.avg_start, run.avg_count: the run's history, after the data's keys */
#define N_RUN_KEYS 7
/* and, in a run of precision `auto` only, run.precision: what it resolved to */
#define N_AUTO_KEYS 1
/* and, once a re-plan moved the schedule's anchor, run.plan_step and run.plan_progress */
#define N_PLAN_KEYS 2
/* the epochs whose mean duration a re-plan assumes for those to come */
#define REPLAN_EPOCHS 3

struct rnnlm_trainer {
    rnnlm_train_options o;
    rnnlm_data_options d;
    long threads;
    rnnlm_trainer_site site;
    rundir *rd;
    runlog *rl;
    step_engine *t;
    const rnnlm_dataset *ds;
    const rnnlm_split_data *val;
    step_config cfg;
    char summary[4096];
    /* the checkpoints' metadata: the configuration, then the run's history */
    char kv[CONFIG_N_KEYS][2][512];
    fingerprint_keys fp;    /* the data's fingerprints (data.* keys), after the configuration */
    char data_note[1024];   /* what the resume's data check has to say ("": nothing) */
    const char *flat[2 * CONFIG_N_KEYS + 2 * FINGERPRINT_MAX_KEYS + 2 * N_RUN_KEYS + 2 * N_AUTO_KEYS +
                     2 * N_PLAN_KEYS];
    precision_choice prec;  /* precision `auto`: the run's choice (kept by a resumed run) */
    char plan_note[640];    /* budget_minutes: how the plan was made ("": no plan made here) */
    char best_s[32], best_epoch_s[32], global_s[32];
    char lr_s[40], lr_bad_s[32], avg_start_s[32], avg_count_s[32], plan_step_s[32], plan_from_s[40];
    double best;
    int best_epoch;
    int64_t global_step;
    int epoch;              /* the epoch the next step belongs to */
    int first;              /* 1: the epoch was begun by the resumed run */
    int in_epoch;
    size_t resumed_step;
    int improved;
    float *kept;            /* the best weights, when the test needs them and no save_dir holds them */
    int keep, kept_epoch;
    /* schedules, early stopping, averaged weights, the time limit (run.lr,
     * run.lr_bad_epochs, run.avg_start, run.avg_count, train.avg_weights) */
    double lr0, lr;         /* the optimiser's first learning rate; the current one */
    long lr_bad;            /* plateau: validated epochs in a row without an improvement */
    float *avg;             /* (n_params) the averaged weights, when the options ask for them */
    int avg_start;          /* the epoch averaging began at (0: not yet) */
    int64_t avg_count;      /* optimiser steps averaged */
    rnnlm_stop_reason stop;
    int cut;                /* the current epoch was cut between two steps (max_minutes, stop_at_step) */
    double (*clock)(void *);   /* seconds from any origin (rnnlm_trainer_set_clock; default: monotonic) */
    void *clock_user;
    double t0;              /* rnnlm_trainer_start: max_minutes and the plan's budget count from here */
    /* re-planning (timeplan_replan): only the invocation that timed the plan
     * re-makes it; the cosine then runs from the anchor (plan_step,
     * plan_from), the step and progress where the last re-plan found it
     * (run.plan_step, run.plan_progress; plan_step 0: never moved) */
    int replans;
    int64_t plan_step;
    double plan_from;
    double epoch_end;                  /* run_seconds when the last epoch ended (0: the run's start) */
    double epoch_s[REPLAN_EPOCHS];     /* the last epochs' durations, validation and checkpoints included */
    int n_epoch_s;
    char replan_note[320];  /* what the last epoch's re-plan changed ("": nothing) */
};

static double monotonic_clock(void *user) {
    (void)user;
    return elapsed_now();
}

/* Seconds since rnnlm_trainer_start by rank 0's clock, which decides for
 * every rank (their clocks may disagree by a step). */
static double run_seconds(const rnnlm_trainer *t) {
    double s = t->clock(t->clock_user) - t->t0;
    if (comm_size(t->o.comm) > 1) comm_bcast(t->o.comm, &s, sizeof s, 0, NULL);   /* errors are fatal */
    return s;
}

static rnnlm_status at(rnnlm_trainer *t, rnnlm_trainer_site site, rnnlm_status st) {
    if (st) t->site = site;
    return st;
}


rnnlm_status rnnlm_trainer_create(rnnlm_trainer **out, const rnnlm_train_options *o, const rnnlm_data_options *d,
                                  rnnlm_err *err) {
    *out = NULL;
    rnnlm_status st0 = rnnlm_train_options_check(o, err);
    if (st0) return st0;
    if (o->ngram_order)   /* the command line builds it; never a run without its n-gram silently */
        return rnnlm_fail(err, RNNLM_E_ARG, "`ngram_order` %ld: a trainer trains the RNN; the n-gram is built and "
                          "interpolated by `rnnlm train` (docs/PIPELINE.md)", o->ngram_order);
    if (o->members != 1)   /* an ensemble is N runs; never one run silently */
        return rnnlm_fail(err, RNNLM_E_ARG, "`members` %ld: a trainer trains one model; an ensemble's members are "
                          "trained each by its own trainer (as `rnnlm train` does, docs/ENSEMBLE.md)", o->members);
    rnnlm_trainer *t = rnnlm_calloc(1, sizeof *t, "trainer", err);
    if (!t) return RNNLM_E_NOMEM;
    t->o = *o;
    t->d = *d;
    int ranks = comm_size(o->comm);
    if (o->batch_per_rank > 0) {   /* weak scaling: the global batch grows with the ranks */
        double b = (double)o->batch_per_rank * ranks, k = b / (double)o->batch;
        double lr = o->lr > 0 ? o->lr : (double)opt_config_default((opt_kind)o->optimizer).lr;
        lr *= o->lr_scaling == 2 ? k : o->lr_scaling == 1 ? sqrt(k) : 1.0;
        if (b > 100000 || lr > 100) {
            free(t);
            return rnnlm_fail(err, RNNLM_E_ARG, "`batch_per_rank` %ld on %d ranks: a batch of %.0f rows and lr %g "
                              "(the largest are 100000 and 100)", o->batch_per_rank, ranks, b, lr);
        }
        t->o.batch = (long)b;
        if (o->lr_scaling || o->lr > 0) t->o.lr = lr;
    }
    if (t->o.batch % ranks) {
        free(t);
        return rnnlm_fail(err, RNNLM_E_ARG, "`batch` %ld does not divide among %d ranks: each rank takes B/N "
                          "rows of the global batch (choose a B that %d divides, or `batch_per_rank`)", o->batch,
                          ranks, ranks);
    }
    /* rank 0 alone claims the directories and writes in them */
    const char *dirs[] = {o->save_dir, o->logdir};
    const unsigned holds[] = {RUNDIR_CHECKPOINTS, RUNDIR_LOGS};
    rnnlm_status st = comm_rank(o->comm) ? RNNLM_OK : rundir_lock(&t->rd, dirs, holds, 2, o->dirs_mode, err);
    if (st) { free(t); return st; }
    /* one thread per core, the cores shared among the ranks on this machine */
    long cores = sysconf(_SC_NPROCESSORS_ONLN), local = comm_local_size(o->comm);
    t->threads = o->threads ? o->threads : cores / local > 1 ? cores / local : 1;
    t->best = INFINITY;
    t->clock = monotonic_clock;
    *out = t;
    return RNNLM_OK;
}

/* The resumed run's best perplexity, its epoch and the global step, each
 * checked: a perplexity is >= 1, +inf (written as "inf") exactly while no
 * epoch was best, and the best epoch is not after the checkpoint's. */
static rnnlm_status restore_history(rnnlm_trainer *t, const rnnlm_checkpoint *c, rnnlm_err *err) {
    long long be = 0, gs = 0;
    double b = INFINITY;
    const st_file *ck = c->f;
    int epoch = step_epoch(t->t);
    rnnlm_status st;
    if ((checkpoint_get_meta(ck, "run.best_ppl") &&
         (st = checkpoint_meta_real(ck, "run.best_ppl", 1.0, INFINITY, &b, c->path, err))) ||
        (checkpoint_get_meta(ck, "run.best_epoch") &&
         (st = checkpoint_meta_int(ck, "run.best_epoch", 0, epoch, &be, c->path, err))) ||
        (checkpoint_get_meta(ck, "run.global_step") &&
         (st = checkpoint_meta_int(ck, "run.global_step", 0, INT64_MAX, &gs, c->path, err))))
        return st;
    if ((be == 0) != isinf(b))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata run.best_ppl=%g and run.best_epoch=%lld disagree",
                          c->path, b, be);
    t->best = b;
    t->best_epoch = (int)be;
    t->global_step = gs;
    return RNNLM_OK;
}

/* The resumed run's schedule and averaging state (keys of older checkpoints
 * that lack them keep their starting values): run.lr, run.lr_bad_epochs,
 * run.avg_start, run.avg_count and the tensor train.avg_weights. */
static rnnlm_status restore_schedule_state(rnnlm_trainer *t, const rnnlm_checkpoint *c, rnnlm_err *err) {
    const st_file *ck = c->f;
    double lr = t->lr;
    long long bad = 0, as = 0, ac = 0;
    int epoch = step_epoch(t->t);
    rnnlm_status st;
    if ((checkpoint_get_meta(ck, "run.lr") && (st = checkpoint_meta_real(ck, "run.lr", 0.0, 100.0, &lr, c->path, err))) ||
        (checkpoint_get_meta(ck, "run.lr_bad_epochs") &&
         (st = checkpoint_meta_int(ck, "run.lr_bad_epochs", 0, INT32_MAX, &bad, c->path, err))) ||
        (checkpoint_get_meta(ck, "run.avg_start") &&
         (st = checkpoint_meta_int(ck, "run.avg_start", 0, (long long)epoch + 1, &as, c->path, err))) ||
        (checkpoint_get_meta(ck, "run.avg_count") &&
         (st = checkpoint_meta_int(ck, "run.avg_count", 0, INT64_MAX, &ac, c->path, err))))
        return st;
    const st_entry *a = st_find(ck, "train.avg_weights");
    size_t n = model_n_params(step_model(t->t));
    if ((as || ac || a) && !t->avg)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: averaged weights without config.average", c->path);
    if ((ac > 0) != (a != NULL) || (ac > 0 && !as) || (a && a->count != n))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: run.avg_count=%lld, run.avg_start=%lld and train.avg_weights "
                          "(%zu floats, the model has %zu) disagree", c->path, ac, as, a ? a->count : 0, n);
    long long ps = 0;
    double pf = 0;
    int has_ps = checkpoint_get_meta(ck, "run.plan_step") != NULL, has_pf = checkpoint_get_meta(ck, "run.plan_progress") != NULL;
    if ((has_ps && (st = checkpoint_meta_int(ck, "run.plan_step", 1, t->global_step, &ps, c->path, err))) ||
        (has_pf && (st = checkpoint_meta_real(ck, "run.plan_progress", 0.0, 1.0, &pf, c->path, err))))
        return st;
    if (has_ps != has_pf)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: run.plan_step and run.plan_progress come together", c->path);
    if (a) memcpy(t->avg, a->data, n * sizeof *t->avg);
    t->plan_step = ps;
    t->plan_from = pf;
    t->lr = lr;
    t->lr_bad = (long)bad;
    t->avg_start = (int)as;
    t->avg_count = ac;
    return RNNLM_OK;
}


/* Precision `auto` resolved into t->prec: a resumed run takes its
 * checkpoint's choice (run.precision, or config.precision when the run that
 * wrote it gave one), so that a run never changes precision on resume; a
 * new run measures (model/precision.h) on rank 0, whose choice every rank
 * takes. */
static rnnlm_status resolve_precision(rnnlm_trainer *t, const rnnlm_checkpoint *c, rnnlm_err *err) {
    precision_choice *pc = &t->prec;
    memset(pc, 0, sizeof *pc);
    if (c) {
        const char *v = checkpoint_get_meta(c->f, "run.precision"), *key = "run.precision";
        if (!v) v = checkpoint_config_value(c->f, "precision", "precision", NULL, 0), key = "config.precision";
        if (v && strcmp(v, "fp32") && strcmp(v, "bf16"))
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata %s='%s' is not fp32 or bf16", c->path, key, v);
        pc->bf16 = v && !strcmp(v, "bf16");
        snprintf(pc->why, sizeof pc->why, "%s (the resumed run's, %s in its checkpoint)", pc->bf16 ? "bf16" : "fp32",
                 key);
        return RNNLM_OK;
    }
    int ranks = comm_size(t->o.comm);
    rnnlm_status st = comm_rank(t->o.comm) ? RNNLM_OK
                                           : precision_choose(&t->cfg.model, t->cfg.B / ranks, t->cfg.T, 1, pc, err);
    if (ranks > 1) {   /* rank 0's outcome and choice for every rank */
        int s0 = st;
        rnnlm_status s2 = comm_bcast(t->o.comm, &s0, sizeof s0, 0, err);
        if (!s2) s2 = comm_bcast(t->o.comm, pc, sizeof *pc, 0, err);
        if (s2) return s2;
        if (s0 && !st) return rnnlm_fail(err, (rnnlm_status)s0, "rank 0 could not resolve precision auto");
    }
    return st;
}

/* Early stopping: `patience` epochs up to `completed` without a validation improvement. */
static int out_of_patience(const rnnlm_trainer *t, int completed) {
    return t->o.patience && t->val && completed - t->best_epoch >= t->o.patience;
}

static int time_up(const rnnlm_trainer *t) {
    return t->o.max_minutes > 0 && run_seconds(t) >= 60.0 * t->o.max_minutes;
}

/* Whether this invocation's limits cut the run now: RNNLM_STOP_STEPS,
 * RNNLM_STOP_TIME, or RNNLM_STOP_NONE. */
static rnnlm_stop_reason cut_due(const rnnlm_trainer *t) {
    if (t->o.stop_at_step > 0 && t->global_step >= t->o.stop_at_step) return RNNLM_STOP_STEPS;
    return time_up(t) ? RNNLM_STOP_TIME : RNNLM_STOP_NONE;
}

/* The learning rate of the step about to run, per the schedule. */
static double scheduled_lr(const rnnlm_trainer *t) {
    switch (t->o.lr_schedule) {
    case RNNLM_LR_STEP: return sched_step(t->lr0, t->o.lr_decay, t->o.lr_min, t->o.lr_step, t->epoch);
    case RNNLM_LR_COSINE: {
        int64_t total = (int64_t)t->o.epochs * (int64_t)step_steps_per_epoch(t->t);
        if (t->plan_step > 0 || t->o.lr_hold > 0)   /* from the anchor (a re-plan's, else step 0) to the end */
            return sched_cosine_held(t->lr0, t->o.lr_min, t->o.lr_hold,
                                     sched_progress(t->global_step, total, t->plan_step,
                                                    t->plan_step > 0 ? t->plan_from : 0));
        return sched_cosine(t->lr0, t->o.lr_min, t->global_step, total);
    }
    default: return t->lr;   /* constant; plateau: changed at epoch ends */
    }
}

/* The run's length and the start of its averaging, once the steps of an
 * epoch are known (schedule.h). The resolved values go into the checkpoints'
 * config.epochs and config.average beside the budget and the fraction, and a
 * resumed run resolves them again to the same; a re-planned run's stored
 * average is the re-plan's (replanned: keep it). */
#define RUN_MAX_EPOCHS 100000   /* as --epochs' range */
static rnnlm_status plan_run(rnnlm_train_options *o, size_t steps_per_epoch, int replanned, rnnlm_err *err) {
    /* a budget planning more epochs than --epochs allows is refused, not cut */
    if (o->budget_steps > 0 && steps_per_epoch &&
        floor((double)o->budget_steps / (double)steps_per_epoch + 0.5) > RUN_MAX_EPOCHS)
        return rnnlm_fail(err, RNNLM_E_ARG, "`budget_steps` %ld: %.0f epochs of %zu steps, more than the %d a "
                          "run may have", o->budget_steps, floor((double)o->budget_steps / (double)steps_per_epoch + 0.5),
                          steps_per_epoch, RUN_MAX_EPOCHS);
    o->epochs = sched_plan_epochs(o->epochs, o->budget_steps, steps_per_epoch, RUN_MAX_EPOCHS);
    if (!replanned) o->average = sched_plan_average(o->average, o->average_from, o->epochs);
    return RNNLM_OK;
}

/* A fresh run with a time budget and no step budget yet: time steps and a
 * validation on a scratch engine (every rank, since steps are collectives),
 * take rank 0's figures and plan whole epochs into budget_steps, which the
 * checkpoints store and a resumed run follows. measure() times one
 * configuration that way. */
static rnnlm_status measure(const rnnlm_trainer *t, const step_config *cfg, timeplan *p, rnnlm_err *err) {
    const rnnlm_dataset *d = t->ds;
    rnnlm_status st = timeplan_measure(cfg, d->train.x, d->train.y, d->train.n, t->val ? t->val->x : NULL,
                                       t->val ? t->val->y : NULL, t->val ? t->val->n : 0, p, err);
    if (!st && comm_size(t->o.comm) > 1) st = comm_bcast(t->o.comm, p, sizeof *p, 0, err);
    return st;
}

/* measured: the figures of the run's configuration when plan_batch has
 * timed it already, else NULL (timed here). */
static rnnlm_status plan_time(rnnlm_trainer *t, const timeplan *measured, rnnlm_err *err) {
    timeplan p;
    if (measured) {
        p = *measured;
    } else {
        rnnlm_status st = measure(t, &t->cfg, &p, err);
        if (st) return st;
    }
    int capped;
    const long cap = t->o.plan_max_epochs > 0 ? t->o.plan_max_epochs : RUN_MAX_EPOCHS;
    long epochs = timeplan_epochs(&p, t->o.budget_minutes, cap, &capped);
    t->o.budget_steps = epochs * (long)p.steps_per_epoch;
    size_t used = strlen(t->plan_note);   /* after plan_batch's part, if any */
    timeplan_describe(&p, t->o.budget_minutes, epochs, capped ? (t->o.plan_max_epochs > 0 ? 2 : 1) : 0,
                      t->plan_note + used, sizeof t->plan_note - used);
    t->replans = !t->o.plan_fixed;
    return RNNLM_OK;
}

/* The step configuration of the options o, on the run's threads, ranks and
 * precision. */
static step_config run_config(const rnnlm_trainer *t, const rnnlm_train_options *o) {
    step_config c = options_step_config(o, (long)rnnlm_vocab_size(t->ds->vocab));
    c.model.threads = (int)t->threads;
    c.comm = o->comm;
    c.model.bf16 = t->cfg.model.bf16;
    return c;
}

/* A fresh time-planned run whose plan has time to spare beyond its cap on
 * epochs spends it on smaller batches (`plan_min_batch` below `batch`): B
 * is halved, down to `plan_min_batch`, while the halved batch's timed plan
 * still gets the cap's epochs, `plan_max_epochs` (more optimiser steps per
 * epoch; each step costs more per token). The first halving that falls
 * short ends the search. The batch becomes the run's `batch`, stored in
 * its checkpoints like any other option, so a resumed run keeps it;
 * precision `auto` is resolved again for it. *p receives the chosen batch's
 * timing, which plan_time then uses. The caller has checked that `batch`
 * exceeds `plan_min_batch`, and the trainer that it divides among the ranks,
 * so the given batch is always timed. */
static rnnlm_status plan_batch(rnnlm_trainer *t, timeplan *p, rnnlm_err *err) {
    const long b0 = t->o.batch, bmin = t->o.plan_min_batch, cap = t->o.plan_max_epochs;
    const int ranks = comm_size(t->o.comm);
    char fits[256] = "";
    size_t used = 0;
    long best = b0;
    for (long b = b0; b >= bmin && b % ranks == 0; b /= 2) {
        rnnlm_train_options o = t->o;
        o.batch = b;
        step_config c = run_config(t, &o);
        timeplan q;
        rnnlm_status st = measure(t, &c, &q, err);
        if (st) return st;
        int capped;
        long fit = timeplan_epochs(&q, t->o.budget_minutes, RUN_MAX_EPOCHS, &capped);
        used += (size_t)snprintf(fits + used, sizeof fits - used, "%sB %ld: %ld", b == b0 ? "" : ", ", b, fit);
        if (used >= sizeof fits) used = sizeof fits - 1;
        if (b != b0 && fit < cap) break;
        best = b;
        *p = q;
        if (fit < cap || b % 2) break;
    }
    snprintf(t->plan_note, sizeof t->plan_note, "batch B = %ld, the smallest of %ld..%ld whose plan still gets the "
             "cap's %ld epochs (epochs that fit: %s); ", best, b0, bmin, cap, fits);
    if (best == b0) return RNNLM_OK;
    t->o.batch = best;
    t->cfg = run_config(t, &t->o);
    if (t->o.precision != RNNLM_PRECISION_AUTO) return RNNLM_OK;
    rnnlm_status st = resolve_precision(t, NULL, err);
    t->cfg.model.bf16 = t->prec.bf16;
    return st;
}

/* Options that would do nothing in this run are refused rather than
 * ignored: what needs a validation split without one, averaging from an
 * epoch the run never reaches (a fresh run; a resumed one may be given
 * fewer epochs than it had and is told it has finished). */
static rnnlm_status check_plan(const rnnlm_trainer *t, int resumed, rnnlm_err *err) {
    const rnnlm_train_options *o = &t->o;
    if (!t->val) {
        const char *what = o->patience ? "`patience`"
                           : o->lr_schedule == RNNLM_LR_PLATEAU ? "`lr_schedule` plateau"
                           : o->average == -1 ? "`average` auto" : NULL;
        if (what)
            return rnnlm_fail(err, RNNLM_E_ARG, "%s needs validation data, and this run has none (give `valid_file`, "
                              "`valid_split` or `test_file`)", what);
    }
    if (!resumed && o->average > o->epochs)
        return rnnlm_fail(err, RNNLM_E_ARG, "`average` %ld: the run has %ld epoch%s, so averaging would never "
                          "start", o->average, o->epochs, o->epochs == 1 ? "" : "s");
    return RNNLM_OK;
}

/* The checkpoints' config.* keys, from the options as they are now. */
static void format_config(rnnlm_trainer *t) {
    for (size_t i = 0; i < CONFIG_N_KEYS; i++) {
        snprintf(t->kv[i][0], sizeof t->kv[i][0], CHECKPOINT_CONFIG_PREFIX "%s", config_key_name(i));
        config_format(i, &t->o, &t->d, t->kv[i][1], sizeof t->kv[i][1]);
        t->flat[2 * i] = t->kv[i][0];
        t->flat[2 * i + 1] = t->kv[i][1];
    }
}

void rnnlm_trainer_set_clock(rnnlm_trainer *t, double (*now)(void *user), void *user) {
    t->clock = now ? now : monotonic_clock;
    t->clock_user = now ? user : NULL;
}

rnnlm_status rnnlm_trainer_start(rnnlm_trainer *t, const rnnlm_dataset *d, const rnnlm_checkpoint *resume,
                                 rnnlm_err *err) {
    if (t->t) return at(t, RNNLM_AT_SETUP, rnnlm_fail(err, RNNLM_E_STATE, "the trainer has already started"));
    if (!resume && t->o.dirs_mode == RNNLM_DIRS_RESUME)   /* a new run among the kept files would mix with them */
        return at(t, RNNLM_AT_DIRS,
                  rnnlm_fail(err, RNNLM_E_ARG, "dirs_mode RNNLM_DIRS_RESUME without a checkpoint to resume"));
    t->ds = d;
    t->val = d->valid.n ? &d->valid : d->test.n ? &d->test : NULL;
    /* first: a resume on other data is refused before anything is built on them */
    fingerprint_make(&t->fp, d);
    for (size_t i = 0; i < t->fp.n; i++) {   /* after the configuration's keys */
        t->flat[2 * (CONFIG_N_KEYS + i)] = t->fp.kv[i][0];
        t->flat[2 * (CONFIG_N_KEYS + i) + 1] = t->fp.kv[i][1];
    }
    rnnlm_status st = resume ? fingerprint_check(&t->fp, d, resume->f, resume->path, t->o.allow_data_change,
                                                 t->data_note, sizeof t->data_note, err)
                             : RNNLM_OK;
    if (st) return at(t, RNNLM_AT_RESUME, st);
    t->cfg = options_step_config(&t->o, (long)rnnlm_vocab_size(d->vocab));
    t->cfg.model.threads = (int)t->threads;   /* the network's compute threads */
    t->cfg.comm = t->o.comm;
    if (t->o.precision == RNNLM_PRECISION_AUTO) {
        if ((st = resolve_precision(t, resume, err))) return at(t, resume ? RNNLM_AT_RESUME : RNNLM_AT_SETUP, st);
        t->cfg.model.bf16 = t->prec.bf16;
    }
    timeplan batched, *measured = NULL;   /* the batch planner's timing of the chosen batch */
    if (!resume && t->o.budget_minutes > 0 && t->o.budget_steps == 0 && t->o.plan_max_epochs > 0 &&
        t->o.plan_min_batch > 0 && t->o.plan_min_batch < t->o.batch) {
        if ((st = plan_batch(t, &batched, err))) return at(t, RNNLM_AT_SETUP, st);
        measured = &batched;
    }
    st = step_create(&t->t, &t->cfg, d->train.x, d->train.y, d->train.n, err);
    if (!st && resume) st = step_restore(t->t, resume->m, resume->f, err);
    if (st) return at(t, RNNLM_AT_SETUP, st);
    if (t->o.precision == RNNLM_PRECISION_AUTO) model_set_precision_note(step_model(t->t), t->prec.why);
    if (!resume && t->o.budget_minutes > 0 && t->o.budget_steps == 0 && (st = plan_time(t, measured, err)))
        return at(t, RNNLM_AT_SETUP, st);
    /* a re-planned run's averaging epoch is the re-plan's (config.average), not the fraction's */
    int replanned = resume && checkpoint_get_meta(resume->f, "run.plan_step");
    if ((st = plan_run(&t->o, step_steps_per_epoch(t->t), replanned, err)) ||
        (st = check_plan(t, resume != NULL, err)))
        return at(t, RNNLM_AT_SETUP, st);
    t->lr0 = t->lr = (double)t->cfg.opt.lr;
    if (t->o.average && !(t->avg = rnnlm_calloc(model_n_params(step_model(t->t)), sizeof *t->avg,
                                                "averaged weights", err)))
        return at(t, RNNLM_AT_SETUP, RNNLM_E_NOMEM);
    t->t0 = t->clock(t->clock_user);
    model_summary(step_model(t->t), t->summary, sizeof t->summary);
    if (t->o.logdir && !comm_rank(t->o.comm) && ((st = runlog_open(&t->rl, t->o.logdir, err)) ||
                        (st = runlog_text(t->rl, "config", 0, t->summary, err))))
        return at(t, RNNLM_AT_LOG, st);
    format_config(t);
    t->keep = d->valid.n && d->test.n && !t->o.save_dir;
    t->epoch = 1;
    if (resume) {   /* position and history of the resumed run */
        if ((st = restore_history(t, resume, err)) || (st = restore_schedule_state(t, resume, err)))
            return at(t, RNNLM_AT_RESUME, st);
        if (t->o.stop_at_step > 0 && t->global_step >= t->o.stop_at_step)
            return at(t, RNNLM_AT_RESUME, rnnlm_fail(err, RNNLM_E_ARG, "`stop_at_step` %ld: the checkpoint is "
                                                     "already at step %lld", t->o.stop_at_step,
                                                     (long long)t->global_step));
        t->epoch = step_epoch(t->t);
        t->resumed_step = step_epoch_step(t->t);
        t->first = 1;
        if (t->resumed_step >= step_steps_per_epoch(t->t)) t->epoch++, t->first = 0;   /* saved at an epoch's end */
        if (!t->first && out_of_patience(t, t->epoch - 1)) t->stop = RNNLM_STOP_PATIENCE;
    }
    return RNNLM_OK;
}

rnnlm_trainer_site rnnlm_trainer_failed_at(const rnnlm_trainer *t) { return t ? t->site : RNNLM_AT_NONE; }
const char *rnnlm_trainer_summary(const rnnlm_trainer *t) { return t->summary; }
void rnnlm_trainer_batch_shape(const rnnlm_trainer *t, int *B, int *T) { step_batch_shape(t->t, B, T); }
long rnnlm_trainer_batch(const rnnlm_trainer *t) { return t->o.batch; }
size_t rnnlm_trainer_steps_per_epoch(const rnnlm_trainer *t) { return step_steps_per_epoch(t->t); }
double rnnlm_trainer_lr(const rnnlm_trainer *t) { return t->lr; }
rnnlm_stop_reason rnnlm_trainer_stop_reason(const rnnlm_trainer *t) { return t->stop; }
int rnnlm_trainer_avg_start(const rnnlm_trainer *t) { return t->avg_start; }
int64_t rnnlm_trainer_avg_count(const rnnlm_trainer *t) { return t->avg_count; }
void rnnlm_trainer_best(const rnnlm_trainer *t, double *ppl, int *epoch) {
    *ppl = t->best;
    *epoch = t->best_epoch;
}
long rnnlm_trainer_threads(const rnnlm_trainer *t) { return t->threads; }
void rnnlm_trainer_compute_path(const rnnlm_trainer *t, char *buf, size_t size) {
    if (size) buf[0] = 0;
    if (t->t && size) model_compute_path(step_model(t->t), buf, size);
}
int rnnlm_trainer_epoch(const rnnlm_trainer *t) { return t->epoch; }
long rnnlm_trainer_epochs(const rnnlm_trainer *t) { return t->o.epochs; }
size_t rnnlm_trainer_resumed_step(const rnnlm_trainer *t) { return t->resumed_step; }
int64_t rnnlm_trainer_global_step(const rnnlm_trainer *t) { return t->global_step; }
const char *rnnlm_trainer_data_note(const rnnlm_trainer *t) { return t->data_note; }
const rnnlm_split_data *rnnlm_trainer_valid(const rnnlm_trainer *t) { return t->val; }
const char *rnnlm_trainer_plan_note(const rnnlm_trainer *t) { return t->plan_note; }
const char *rnnlm_trainer_replan_note(const rnnlm_trainer *t) { return t->replan_note; }

static rnnlm_eval_result result_of(const batch_stats *s) {
    rnnlm_eval_result r = {s->loss_sum, s->correct, s->count};
    return r;
}

static void progress_of(const rnnlm_trainer *t, const step_progress *p, rnnlm_train_progress *out) {
    out->epoch = p->epoch;
    out->step = p->step;
    out->n_steps = p->n_steps;
    out->global_step = t->global_step;
    out->batch = result_of(&p->batch);
    out->epoch_sum = result_of(&p->epoch_sum);
    out->grad_norm = p->grad_norm;
    out->skipped = p->skipped;
    out->skipped_total = p->skipped_total;
    out->seconds = p->seconds;
    out->comm_per_step = p->steps_run ? p->comm_seconds / (double)p->steps_run : 0;
    out->wait_per_step = p->steps_run ? p->wait_seconds / (double)p->steps_run : 0;
}

static rnnlm_status log_scalar(rnnlm_trainer *t, run_kind run, const char *tag, int64_t step, double v,
                               rnnlm_err *err) {
    return t->rl ? at(t, RNNLM_AT_LOG, runlog_scalar(t->rl, run, tag, step, v, err)) : RNNLM_OK;
}

static rnnlm_status log_epoch(rnnlm_trainer *t, run_kind run, int64_t epoch, const batch_stats *s, rnnlm_err *err) {
    double loss = s->loss_sum / (double)s->count;
    rnnlm_status st;
    if ((st = log_scalar(t, run, "epoch_loss", epoch, loss, err)) ||
        (st = log_scalar(t, run, "epoch_accuracy", epoch, (double)s->correct / (double)s->count, err)))
        return st;
    return log_scalar(t, run, "epoch_perplexity", epoch, exp(loss), err);
}

static rnnlm_status log_batch(rnnlm_trainer *t, const step_progress *p, rnnlm_err *err) {
    double bl = p->batch.loss_sum / (double)p->batch.count;
    int64_t s = t->global_step;
    rnnlm_status st;
    if ((st = log_scalar(t, RUN_TRAIN, "batch_loss", s, bl, err)) ||
        (st = log_scalar(t, RUN_TRAIN, "batch_accuracy", s, (double)p->batch.correct / (double)p->batch.count, err)) ||
        (st = log_scalar(t, RUN_TRAIN, "batch_perplexity", s, exp(bl), err)) ||
        (st = log_scalar(t, RUN_TRAIN, "learning_rate", s, t->lr, err)) ||
        (st = log_scalar(t, RUN_TRAIN, "grad_norm", s, p->grad_norm, err)))
        return st;
    if ((st = log_scalar(t, RUN_TRAIN, "tokens_per_second", s, (double)p->epoch_sum.count / p->seconds, err)))
        return st;
    if (comm_size(t->o.comm) < 2 || !p->steps_run) return RNNLM_OK;
    /* data parallelism: the epoch's communication a step so far, and of it the waiting */
    if ((st = log_scalar(t, RUN_TRAIN, "comm_seconds_per_step", s, p->comm_seconds / (double)p->steps_run, err)))
        return st;
    return log_scalar(t, RUN_TRAIN, "comm_wait_seconds_per_step", s, p->wait_seconds / (double)p->steps_run, err);
}

/* Writes path with the training state, the configuration and the run's
 * history. best: the weights evaluated (the averaged ones while there are
 * any) as the model's, and no average (run.avg_count 0); otherwise the live
 * weights and the average beside them as train.avg_weights. */
static rnnlm_status save_to(rnnlm_trainer *t, const char *path, int best, rnnlm_err *err) {
    size_t n = CONFIG_N_KEYS + t->fp.n;
    int swap = best && t->avg_count > 0;
    snprintf(t->best_s, sizeof t->best_s, "%a", t->best);
    snprintf(t->best_epoch_s, sizeof t->best_epoch_s, "%d", t->best_epoch);
    snprintf(t->global_s, sizeof t->global_s, "%lld", (long long)t->global_step);
    snprintf(t->lr_s, sizeof t->lr_s, "%a", t->lr);
    snprintf(t->lr_bad_s, sizeof t->lr_bad_s, "%ld", t->lr_bad);
    snprintf(t->avg_start_s, sizeof t->avg_start_s, "%d", t->avg_start);
    snprintf(t->avg_count_s, sizeof t->avg_count_s, "%lld", swap ? 0LL : (long long)t->avg_count);
    const char *extra[2 * N_RUN_KEYS] = {
        "run.best_ppl", t->best_s, "run.best_epoch", t->best_epoch_s, "run.global_step", t->global_s,
        "run.lr", t->lr_s, "run.lr_bad_epochs", t->lr_bad_s, "run.avg_start", t->avg_start_s,
        "run.avg_count", t->avg_count_s};
    for (int i = 0; i < 2 * N_RUN_KEYS; i++) t->flat[2 * n + i] = extra[i];
    size_t n_auto = t->o.precision == RNNLM_PRECISION_AUTO;   /* none otherwise: those files stay as they were */
    if (n_auto) {
        t->flat[2 * (n + N_RUN_KEYS)] = "run.precision";
        t->flat[2 * (n + N_RUN_KEYS) + 1] = t->prec.bf16 ? "bf16" : "fp32";
    }
    size_t n_plan = t->plan_step > 0 ? N_PLAN_KEYS : 0;   /* likewise: only a re-planned run has them */
    if (n_plan) {
        snprintf(t->plan_step_s, sizeof t->plan_step_s, "%lld", (long long)t->plan_step);
        snprintf(t->plan_from_s, sizeof t->plan_from_s, "%a", t->plan_from);
        const char **f = &t->flat[2 * (n + N_RUN_KEYS + n_auto)];
        f[0] = "run.plan_step", f[1] = t->plan_step_s, f[2] = "run.plan_progress", f[3] = t->plan_from_s;
    }
    model *m = step_model(t->t);
    size_t np = model_n_params(m);
    st_tensor avg = {.name = "train.avg_weights", .ndim = 1, .shape = {np}, .data = t->avg};
    size_t n_more = !best && t->avg_count > 0;
    if (swap) average_swap(model_params(m), t->avg, np);
    rnnlm_status st = step_save_ex(t->t, path, t->ds->vocab, t->flat, n + N_RUN_KEYS + n_auto + n_plan, &avg, n_more,
                                   err);
    if (swap) average_swap(model_params(m), t->avg, np);
    return at(t, RNNLM_AT_SAVE, st);
}

/* save_dir/name.safetensors; nothing without a save_dir. */
static rnnlm_status save_named(rnnlm_trainer *t, const char *name, rnnlm_err *err) {
    if (!t->o.save_dir) return RNNLM_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.safetensors", t->o.save_dir, name);
    return save_to(t, path, strcmp(name, "best") == 0, err);
}

rnnlm_status rnnlm_trainer_save(rnnlm_trainer *t, const char *path, rnnlm_err *err) {
    if (!t->t) return rnnlm_fail(err, RNNLM_E_STATE, "the trainer has not started");
    return save_to(t, path, 0, err);
}

rnnlm_status rnnlm_trainer_step(rnnlm_trainer *t, rnnlm_train_progress *out, int *done, rnnlm_err *err) {
    *done = 0;
    if (!t->t) return rnnlm_fail(err, RNNLM_E_STATE, "the trainer has not started");
    if (t->in_epoch && (t->o.max_minutes > 0 || t->o.stop_at_step > 0)) {   /* a cut, between two steps */
        size_t k = step_epoch_step(t->t);
        rnnlm_stop_reason r = RNNLM_STOP_NONE;
        if (!t->cut && k > 0 && k < step_steps_per_epoch(t->t) && (r = cut_due(t))) t->stop = r, t->cut = 1;
        if (t->cut) {   /* the epoch ends here, unvalidated: rnnlm_trainer_end_epoch saves its position */
            *done = 1;
            if (out) progress_of(t, step_get_progress(t->t), out);
            return RNNLM_OK;
        }
    }
    if (!t->in_epoch) {
        if (!t->first) step_begin_epoch(t->t);
        t->first = 0;
        t->in_epoch = 1;
        if (t->o.average > 0 && !t->avg_start && t->epoch >= t->o.average) t->avg_start = t->epoch;
    }
    if (t->o.lr_schedule) {
        t->lr = scheduled_lr(t);
        step_set_lr(t->t, (float)t->lr);
    }
    step_progress p = *step_get_progress(t->t);
    rnnlm_status st = step_run(t->t, &p, done, err);
    if (st) return at(t, RNNLM_AT_STEP, st);
    if (!*done) t->global_step++;
    if (!*done && t->avg_start && !p.skipped) {   /* the running mean of the weights after each update */
        model *m = step_model(t->t);
        average_update(t->avg, model_params(m), model_n_params(m), ++t->avg_count);
    }
    if (out) progress_of(t, &p, out);
    if (*done) return RNNLM_OK;
    if (t->rl && t->global_step % t->o.log_every == 0 && (st = log_batch(t, &p, err))) return st;
    if (t->o.save_every && t->global_step % t->o.save_every == 0 && p.step < p.n_steps &&
        (st = save_named(t, "last", err)))
        return st;
    return RNNLM_OK;
}

rnnlm_status rnnlm_trainer_run_epoch(rnnlm_trainer *t, rnnlm_progress_fn fn, void *user, rnnlm_epoch_result *out,
                                     rnnlm_err *err) {
    memset(out, 0, sizeof *out);
    rnnlm_train_progress p;
    rnnlm_status st;
    for (int done = 0;;) {
        if ((st = rnnlm_trainer_step(t, &p, &done, err))) return st;
        if (done) break;
        if (fn) fn(&p, user);
    }
    const step_progress *tp = step_get_progress(t->t);
    out->epoch = t->epoch;
    out->seconds = tp->seconds;
    out->train = result_of(&tp->epoch_sum);
    out->skipped_total = tp->skipped_total;
    out->best_ppl = t->best;
    out->best_epoch = t->best_epoch;
    out->cut = t->cut;
    out->cut_step = t->cut ? step_epoch_step(t->t) : 0;
    out->comm_per_step = tp->steps_run ? tp->comm_seconds / (double)tp->steps_run : 0;
    out->wait_per_step = tp->steps_run ? tp->wait_seconds / (double)tp->steps_run : 0;
    t->improved = 0;
    return RNNLM_OK;
}

/* The schedule, averaging and early stopping after a validated epoch. */
static void after_validation(rnnlm_trainer *t, int improved) {
    if (t->o.lr_schedule == RNNLM_LR_PLATEAU)
        t->lr = sched_plateau(t->lr, t->o.lr_decay, t->o.lr_min, t->o.lr_patience, improved, &t->lr_bad);
    if (t->o.average == -1 && !improved && !t->avg_start) t->avg_start = t->epoch + 1;   /* from the next step */
    if (!t->stop && out_of_patience(t, t->epoch)) t->stop = RNNLM_STOP_PATIENCE;
}

rnnlm_status rnnlm_trainer_validate(rnnlm_trainer *t, rnnlm_epoch_result *e, rnnlm_err *err) {
    /* A cut epoch is not an epoch of the run: nothing is logged, evaluated or
     * decided on it (best, schedule, averaging, patience), so that the resumed
     * run that finishes it is the run that was never cut. */
    if (t->cut) return RNNLM_OK;
    rnnlm_status st = log_epoch(t, RUN_TRAIN, t->epoch, &step_get_progress(t->t)->epoch_sum, err);
    if (!st && t->o.lr_schedule) st = log_scalar(t, RUN_TRAIN, "lr", t->epoch, t->lr, err);
    if (st || !t->val) return st;
    model *m = step_model(t->t);
    size_t n = model_n_params(m);
    int swap = t->avg_count > 0;   /* evaluate the averaged weights */
    if (swap) average_swap(model_params(m), t->avg, n);
    batch_stats vs;
    st = step_evaluate(t->t, t->val->x, t->val->y, t->val->n, &vs, err);
    double ppl = st ? INFINITY : exp(vs.loss_sum / (double)vs.count);
    int improved = !st && ppl < t->best;
    if (improved) {
        t->best = ppl;
        t->best_epoch = t->epoch;
        t->improved = e->improved = 1;
        /* no room for a copy: the test then evaluates the final weights */
        if (t->keep && (t->kept || (t->kept = malloc(n * sizeof *t->kept)))) {
            memcpy(t->kept, model_params(m), n * sizeof *t->kept);
            t->kept_epoch = t->epoch;
        }
    }
    if (swap) average_swap(model_params(m), t->avg, n);
    if (st) return at(t, RNNLM_AT_VALID, st);
    e->validated = 1;
    e->valid = result_of(&vs);
    if ((st = log_epoch(t, RUN_VALIDATION, t->epoch, &vs, err))) return st;
    after_validation(t, improved);
    e->best_ppl = t->best;
    e->best_epoch = t->best_epoch;
    return RNNLM_OK;
}

/* After a whole epoch of a run whose time plan this invocation made: the
 * plan again, from the epochs' own durations (timeplan_replan). A new
 * length moves the cosine's anchor to this step, at the progress the old
 * plan had reached, so that the learning rate runs on without a jump to
 * its floor at the new end; averaging not yet begun moves with it. The
 * checkpoints written from here on store the new plan (config.epochs,
 * config.budget_steps, config.average) and the anchor, which a resumed run
 * follows. */
static void replan(rnnlm_trainer *t) {
    t->replan_note[0] = 0;
    if (!t->replans) return;
    double now = run_seconds(t);
    double d = now - t->epoch_end;
    t->epoch_end = now;
    if (t->n_epoch_s == REPLAN_EPOCHS) memmove(t->epoch_s, t->epoch_s + 1, (REPLAN_EPOCHS - 1) * sizeof *t->epoch_s);
    else t->n_epoch_s++;
    t->epoch_s[t->n_epoch_s - 1] = d;
    double mean = 0;
    for (int i = 0; i < t->n_epoch_s; i++) mean += t->epoch_s[i] / t->n_epoch_s;
    const long cap = t->o.plan_max_epochs > 0 ? t->o.plan_max_epochs : RUN_MAX_EPOCHS;
    long was = t->o.epochs, now_e = timeplan_replan(t->o.budget_minutes, now, mean, t->epoch, was, cap);
    if (now_e == was) return;
    size_t spe = step_steps_per_epoch(t->t);
    int64_t total = (int64_t)was * (int64_t)spe;
    double p = t->plan_step > 0 ? sched_progress(t->global_step, total, t->plan_step, t->plan_from)
                                : (double)t->global_step / (double)total;
    t->plan_step = t->global_step;
    t->plan_from = p;
    t->o.epochs = now_e;
    t->o.budget_steps = now_e * (long)spe;
    int n = snprintf(t->replan_note, sizeof t->replan_note, "after epoch %d, %ld epochs in place of %ld (an epoch "
                     "took %.0f s, the mean of the last %d; %.1f of %g min gone)", t->epoch, now_e, was, mean,
                     t->n_epoch_s, now / 60.0, t->o.budget_minutes);
    if (t->o.average_from > 0 && !t->avg_start) {
        long a = sched_replan_average(t->o.average_from, p, t->epoch, now_e);
        if (a != t->o.average && n > 0 && (size_t)n < sizeof t->replan_note)
            snprintf(t->replan_note + n, sizeof t->replan_note - (size_t)n, "; averaging from epoch %ld, not %ld",
                     a, t->o.average);
        t->o.average = a;
    }
    format_config(t);
}

rnnlm_status rnnlm_trainer_end_epoch(rnnlm_trainer *t, const rnnlm_epoch_result *e, rnnlm_err *err) {
    (void)e;
    /* every rank holds the same weights, or the run stops before it saves them */
    rnnlm_status st = at(t, RNNLM_AT_STEP, step_check_replicas(t->t, err));
    if (st) return st;
    if (t->cut) {   /* the exact position, as save_every writes it; the run's history is untouched */
        /* a run cut before any validated epoch still leaves a usable model: its
         * weights as best (run.best_epoch 0), replaced by the first validated one */
        if ((st = save_named(t, "last", err)) || (!t->best_epoch && (st = save_named(t, "best", err)))) return st;
        if (t->rl && (st = runlog_flush(t->rl, err))) return at(t, RNNLM_AT_LOG, st);
        return RNNLM_OK;
    }
    replan(t);
    if ((st = save_named(t, "last", err)) || (t->improved && (st = save_named(t, "best", err)))) return st;
    if (t->o.keep_epochs && t->o.save_dir) {   /* the weights this epoch was validated with */
        char path[4096];
        snprintf(path, sizeof path, "%s/epoch-%d.safetensors", t->o.save_dir, t->epoch);
        if ((st = save_to(t, path, 1, err))) return st;
    }
    if (t->rl && (st = runlog_flush(t->rl, err))) return at(t, RNNLM_AT_LOG, st);
    rnnlm_stop_reason r;   /* this invocation's limits, between epochs: only while epochs remain */
    if (!t->stop && t->epoch < t->o.epochs && (r = cut_due(t))) t->stop = r;
    t->in_epoch = 0;
    t->improved = 0;
    t->epoch++;
    return RNNLM_OK;
}

/* Puts save_dir/best.safetensors into the trainer's model when it is this
 * run's (its best epoch); *got = 0 when it is not there or not ours. */
static rnnlm_status load_best_here(rnnlm_trainer *t, const char *path, int *got, rnnlm_err *err) {
    *got = 0;
    if (access(path, F_OK)) return RNNLM_OK;
    model *bm = NULL;
    rnnlm_vocab *bv = NULL;
    st_file *f = NULL;
    rnnlm_status st = checkpoint_load(path, &bm, &bv, &f, err);
    if (st) return st;
    const char *be = checkpoint_get_meta(f, "run.best_epoch");
    model *m = step_model(t->t);
    size_t n = model_n_params(m);
    *got = be && atoi(be) == t->best_epoch && model_n_params(bm) == n;
    if (*got) memcpy(model_params(m), model_params(bm), n * sizeof(float));
    model_free(bm);
    rnnlm_vocab_free(bv);
    st_free(f);
    return RNNLM_OK;
}

/* load_best_here at rank 0 (the file is where rank 0 wrote it), its weights
 * broadcast to the others. */
static rnnlm_status load_best(rnnlm_trainer *t, char *path, size_t cap, int *got, rnnlm_err *err) {
    snprintf(path, cap, "%s/best.safetensors", t->o.save_dir);
    comm *c = t->o.comm;
    int st = comm_rank(c) ? RNNLM_OK : load_best_here(t, path, got, err);
    if (comm_size(c) < 2) return (rnnlm_status)st;
    int head[2] = {st, st ? 0 : *got};   /* rank 0's outcome for every rank */
    rnnlm_status s2 = comm_bcast(c, head, sizeof head, 0, err);
    if (s2) return s2;
    if (head[0]) return comm_rank(c) ? rnnlm_fail(err, (rnnlm_status)head[0], "rank 0 could not read %s", path)
                                     : (rnnlm_status)head[0];
    *got = head[1];
    model *m = step_model(t->t);
    return *got ? comm_bcast(c, model_params(m), model_n_params(m) * sizeof(float), 0, err) : RNNLM_OK;
}

rnnlm_status rnnlm_trainer_test(rnnlm_trainer *t, rnnlm_test_result *out, rnnlm_err *err) {
    memset(out, 0, sizeof *out);
    if (!t->t || !t->ds->test.n) return rnnlm_fail(err, RNNLM_E_STATE, "no test split to evaluate");
    const rnnlm_split_data *test = &t->ds->test;
    model *m = step_model(t->t);
    int got = 0;
    out->epoch = step_epoch(t->t);
    out->from = RNNLM_FROM_FINAL;
    rnnlm_status st;
    if (t->o.save_dir && t->best_epoch && (st = load_best(t, out->path, sizeof out->path, &got, err)))
        return at(t, RNNLM_AT_TEST, st);
    if (got) {
        out->epoch = t->best_epoch;
        out->from = RNNLM_FROM_BEST_FILE;
    } else if (t->kept && t->best_epoch && t->kept_epoch == t->best_epoch) {
        memcpy(model_params(m), t->kept, model_n_params(m) * sizeof *t->kept);
        out->epoch = t->best_epoch;
        out->from = RNNLM_FROM_BEST_KEPT;
    } else if (t->avg_count > 0) {   /* the final weights: the averaged ones */
        memcpy(model_params(m), t->avg, model_n_params(m) * sizeof *t->avg);
    }
    batch_stats ts;
    if ((st = step_evaluate(t->t, test->x, test->y, test->n, &ts, err))) return at(t, RNNLM_AT_TEST, st);
    out->r = result_of(&ts);
    /* a run cut by this invocation's limits is not over: its resumed run logs the test */
    if (t->stop == RNNLM_STOP_TIME || t->stop == RNNLM_STOP_STEPS) return RNNLM_OK;
    return log_epoch(t, RUN_TEST, out->epoch, &ts, err);
}

rnnlm_status rnnlm_trainer_free(rnnlm_trainer *t, rnnlm_err *err) {
    if (!t) return RNNLM_OK;
    rnnlm_err e2;
    rnnlm_status st = runlog_close(t->rl, &e2);
    if (st && err) *err = e2;
    if (st) t->site = RNNLM_AT_LOG;
    rundir_unlock(t->rd);
    free(t->kept);
    free(t->avg);
    step_free(t->t);
    free(t);
    return st;
}
