/* options.c: the training options (options.h): defaults, the step
 * engine's configuration made of them, the model summary they give, and
 * rnnlm_train_options_check. */
#include "train/options.h"

#include <math.h>
#include <string.h>

void rnnlm_train_options_default(rnnlm_train_options *o) {
    memset(o, 0, sizeof *o);
    o->cell = RNNLM_CELL_LSTM;
    o->hidden = 200;
    o->layers = 2;
    o->dropout = 0.1;
    o->max_time = 25;
    o->batch = 100;
    o->epochs = 10;
    o->lr = -1;
    o->clip = 5;
    o->train_seed = 1;
    o->max_bad = 20;
    o->log_every = 1;
    /* schedules, early stopping, averaged weights: all off */
    o->lr_decay = 0.5;
    o->lr_step = 1;
}

step_config options_step_config(const rnnlm_train_options *o, long V) {
    step_config c;
    memset(&c, 0, sizeof c);
    c.model.cell = (cell_kind)o->cell;
    c.model.V = (int)V;
    c.model.H = (int)o->hidden;
    c.model.E = o->embed ? (int)o->embed : (int)o->hidden;
    c.model.L = (int)o->layers;
    c.model.dropout = (float)o->dropout;
    c.model.tied = o->tied;
    c.model.reg = (nn_reg){(float)o->dropout_out, (float)o->dropout_emb, (float)o->dropout_word,
                           (float)o->weight_drop, o->locked != 0};
    c.model.weight_decay = (float)o->weight_decay;
    c.model.init = (init_kind)o->init;
    c.model.bf16 = o->precision == RNNLM_PRECISION_BF16;
    c.opt = opt_config_default((opt_kind)o->optimizer);
    if (o->lr > 0) c.opt.lr = (float)o->lr;
    c.opt.clip = (float)o->clip;
    c.opt.eps_torch = o->eps_torch;
    c.opt.dense_adam = o->dense_adam;
    c.loss = (loss_kind)o->loss;
    c.samples = o->samples ? (int)o->samples : (V < 1024 ? (int)V : 1024);
    c.B = (int)o->batch;
    c.T = (int)o->max_time;
    c.pipeline = (pipeline_kind)o->pipeline;
    c.seed = (uint64_t)o->train_seed;
    c.max_bad_steps = (int)o->max_bad;
    c.max_steps = (size_t)o->max_steps;
    return c;
}

rnnlm_status rnnlm_train_options_summary(const rnnlm_train_options *o, long V, char *buf, size_t cap,
                                         rnnlm_err *err) {
    step_config c = options_step_config(o, V);
    model *m;
    rnnlm_status st = model_create(&m, &c.model, err);
    if (st) return st;
    model_summary(m, buf, cap);
    model_free(m);
    return RNNLM_OK;
}

rnnlm_status rnnlm_train_options_check(const rnnlm_train_options *o, rnnlm_err *err) {
    if (o->lr_schedule < RNNLM_LR_CONSTANT || o->lr_schedule > RNNLM_LR_COSINE)
        return rnnlm_fail(err, RNNLM_E_ARG, "lr_schedule %d is not a schedule", o->lr_schedule);
    if (o->optimizer < RNNLM_OPT_ADAM || o->optimizer > RNNLM_OPT_SGD)
        return rnnlm_fail(err, RNNLM_E_ARG, "optimizer %d is not an optimiser", o->optimizer);
    if (!(o->lr_decay > 0 && o->lr_decay <= 1))
        return rnnlm_fail(err, RNNLM_E_ARG, "--lr-decay: %g is outside (0, 1]", o->lr_decay);
    if (!(o->lr_min >= 0 && isfinite(o->lr_min)))
        return rnnlm_fail(err, RNNLM_E_ARG, "--lr-min: %g is not a learning rate (>= 0)", o->lr_min);
    /* a floor above the starting rate would raise it (step and plateau clamp up to the
     * floor, cosine anneals upwards to it); compared as the optimiser holds them, in float */
    float lr0 = o->lr > 0 ? (float)o->lr : opt_config_default((opt_kind)o->optimizer).lr;
    if ((float)o->lr_min > lr0)
        return rnnlm_fail(err, RNNLM_E_ARG, "--lr-min: %g is above the starting learning rate %g (--lr%s): "
                          "the floor of a schedule may not raise the rate", o->lr_min, (double)lr0,
                          o->lr > 0 ? "" : ", the optimiser's default");
    if (o->lr_patience < 0 || o->lr_step < 1 || o->patience < 0 || o->average < -1)
        return rnnlm_fail(err, RNNLM_E_ARG, "--lr-patience, --lr-step, --patience or --average out of range");
    if (!(o->max_minutes >= 0 && isfinite(o->max_minutes)))
        return rnnlm_fail(err, RNNLM_E_ARG, "--max-minutes: %g is not a time (>= 0)", o->max_minutes);
    if (o->stop_at_step < 0)
        return rnnlm_fail(err, RNNLM_E_ARG, "--stop-at-step: %ld is not a step (>= 1, or 0: none)", o->stop_at_step);
    if (o->epochs < 1 || o->budget_steps < 0)
        return rnnlm_fail(err, RNNLM_E_ARG, "--epochs (%ld) or --budget-steps (%ld) out of range", o->epochs,
                          o->budget_steps);
    if (!(o->average_from >= 0 && o->average_from <= 1))
        return rnnlm_fail(err, RNNLM_E_ARG, "--average-from: %g is not a fraction of the run in [0, 1]",
                          o->average_from);
    if (o->batch_per_rank < 0 || o->lr_scaling < 0 || o->lr_scaling > 2)
        return rnnlm_fail(err, RNNLM_E_ARG, "--batch-per-rank (%ld) or lr_scaling (%d) out of range",
                          o->batch_per_rank, o->lr_scaling);
    if (o->dirs_mode < RNNLM_DIRS_NEW || o->dirs_mode > RNNLM_DIRS_RESUME)
        return rnnlm_fail(err, RNNLM_E_ARG, "dirs_mode %d is not an rnnlm_dirs_mode", o->dirs_mode);
    return RNNLM_OK;
}
