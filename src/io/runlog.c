/* runlog.c: event files + CSV of one run directory (see runlog.h). */
#include "io/runlog.h"
#include "io/csvlog.h"
#include "io/tfevents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const RUN_NAMES[3] = {"train", "validation", "test"};

struct runlog {
    tfevents *ev[3];   /* test: opened by its first scalar */
    csvlog *csv;
    char *logdir;
};

/* LOGDIR/<run>/events.out.tfevents.* */
static rnnlm_status open_run(runlog *r, run_kind run, rnnlm_err *err) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", r->logdir, RUN_NAMES[run]) >= sizeof path)
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: log directory path too long", r->logdir);
    return tfevents_open(&r->ev[run], path, err);
}

rnnlm_status runlog_close(runlog *r, rnnlm_err *err) {
    if (!r) return RNNLM_OK;
    rnnlm_status st = RNNLM_OK, s2;
    for (int i = 0; i < 3; i++)
        if ((s2 = tfevents_close(r->ev[i], err)) && !st) st = s2;
    if (r->csv && (s2 = csvlog_close(r->csv, err)) && !st) st = s2;
    free(r->logdir);
    free(r);
    return st;
}

rnnlm_status runlog_open(runlog **out, const char *logdir, rnnlm_err *err) {
    runlog *r = rnnlm_calloc(1, sizeof *r, "run log", err);
    if (!r) return RNNLM_E_NOMEM;
    char path[4096];
    rnnlm_status st = RNNLM_OK;
    if (!(r->logdir = strdup(logdir))) st = rnnlm_fail(err, RNNLM_E_NOMEM, "run log: out of memory");
    for (int i = 0; i < 2 && !st; i++) st = open_run(r, (run_kind)i, err);
    if (!st) {
        snprintf(path, sizeof path, "%s/log.csv", logdir);
        st = csvlog_open(&r->csv, path, err);
    }
    if (st) { runlog_close(r, NULL); return st; }
    *out = r;
    return RNNLM_OK;
}

rnnlm_status runlog_scalar(runlog *r, run_kind run, const char *tag, int64_t step, double value,
                           rnnlm_err *err) {
    double now = tfevents_now();
    rnnlm_status st = r->ev[run] ? RNNLM_OK : open_run(r, run, err);
    if (!st) st = tfevents_scalar(r->ev[run], tag, step, (float)value, now, err);
    if (!st) st = csvlog_scalar(r->csv, RUN_NAMES[run], tag, step, (float)value, now, err);
    return st;
}

rnnlm_status runlog_text(runlog *r, const char *tag, int64_t step, const char *text, rnnlm_err *err) {
    return tfevents_text(r->ev[RUN_TRAIN], tag, step, text, tfevents_now(), err);
}

rnnlm_status runlog_flush(runlog *r, rnnlm_err *err) {
    rnnlm_status st = RNNLM_OK;
    for (int i = 0; i < 3 && !st; i++)
        if (r->ev[i]) st = tfevents_flush(r->ev[i], err);
    if (!st) st = csvlog_flush(r->csv, err);
    return st;
}
