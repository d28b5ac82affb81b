/* util_train.h: a few optimiser steps of a fresh step engine over random
 * ids, for the tests that compare two ways of running the same steps
 * (tests/test_isa.c, tests/test_bf16_fused.c); the toy preset's options
 * for the tests that run the trainer and resume it (tests/test_precision.c,
 * tests/test_replan.c). */
#ifndef RNNLM_TESTS_UTIL_TRAIN_H
#define RNNLM_TESTS_UTIL_TRAIN_H

#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "train/step.h"
#include "util.h"

/* steps steps of an engine of cfg over random ids below cfg->model.V (seed
 * 3) from the start of an epoch, each step's mean loss into loss[k]; the
 * final parameters into a new buffer *params (n_params floats). 0, or -1
 * on a failure (err says which). */
static inline int util_train_steps(const step_config *cfg, int steps, double *loss, float **params,
                                   size_t *n_params, rnnlm_err *err) {
    size_t n = (size_t)(steps + 1) * (size_t)cfg->B * (size_t)cfg->T + 1;
    int32_t *ids = malloc(n * sizeof *ids);
    step_engine *t = NULL;
    int rc = -1;
    if (!ids) return -1;
    util_random_ids(ids, n, cfg->model.V, 3);
    if (step_create(&t, cfg, ids, ids + 1, n - 1, err)) goto out;
    step_begin_epoch(t);
    for (int k = 0; k < steps; k++) {
        step_progress p;
        int done;
        if (step_run(t, &p, &done, err)) goto out;
        loss[k] = p.batch.loss_sum / (double)p.batch.count;
    }
    *n_params = model_n_params(step_model(t));
    if (!(*params = malloc(*n_params * sizeof(float)))) goto out;
    memcpy(*params, model_params(step_model(t)), *n_params * sizeof(float));
    rc = 0;
out:
    step_free(t);
    free(ids);
    return rc;
}

/* The toy preset's options into o and d, or, when resume is set, the options
 * stored in that checkpoint (opened into *ck, NULL otherwise) for a resume.
 * RNNLM_OK, or a status (err says which). */
static inline int util_toy_options(rnnlm_train_options *o, rnnlm_data_options *d, const char *resume,
                                   rnnlm_checkpoint **ck, rnnlm_err *err) {
    int rc;
    *ck = NULL;
    rnnlm_train_options_default(o);
    rnnlm_data_options_default(d);
    if ((rc = rnnlm_preset_apply("toy", o, d, err))) return rc;
    if (!resume) return RNNLM_OK;
    if ((rc = rnnlm_checkpoint_open(ck, resume, err)) || (rc = rnnlm_checkpoint_options(*ck, o, d, err))) return rc;
    o->dirs_mode = RNNLM_DIRS_RESUME;
    return RNNLM_OK;
}

#endif
