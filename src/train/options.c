/* options.c: the training options (options.h): defaults, the step
 * engine's configuration made of them, the model summary they give, and
 * rnnlm_train_options_check. */
#include "train/options.h"

#include "train/config.h"

#include <float.h>
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
    o->members = 1;
    o->max_bad = 20;
    o->log_every = 1;
    /* schedules, early stopping, averaged weights: all off */
    o->lr_decay = 0.5;
    o->lr_step = 1;
    o->adaptive_div = 4;
}

rnnlm_status options_adaptive_cutoffs(const rnnlm_train_options *o, long V, int *cut, int *n,
                                      rnnlm_err *err) {
    if (o->adaptive_cutoffs) return ada_parse_cutoffs(o->adaptive_cutoffs, cut, n, err);
    *n = 0;   /* the default: those of 2000, 10000 below V, else one cluster from V / 2 */
    if (V > 2000) cut[(*n)++] = 2000;
    if (V > 10000) cut[(*n)++] = 10000;
    if (!*n) cut[(*n)++] = (int)(V / 2 > 0 ? V / 2 : 1);
    return RNNLM_OK;
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
    c.model.reg = (nn_reg){.out = (float)o->dropout_out, .emb = (float)o->dropout_emb,
                           .word = (float)o->dropout_word, .weight = (float)o->weight_drop,
                           .locked = o->locked != 0, .ar = (float)o->ar, .tar = (float)o->tar};
    c.model.weight_decay = (float)o->weight_decay;
    c.model.init = (init_kind)o->init;
    c.model.bf16 = o->precision == RNNLM_PRECISION_BF16;
    c.model.adaptive = o->softmax == 1;
    c.model.ada_div = (int)o->adaptive_div;
    if (c.model.adaptive) options_adaptive_cutoffs(o, V, c.model.ada_cut, &c.model.ada_n, NULL);
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
    c.reshuffle = o->reshuffle != 0;
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

/* Row r of the table (config.h) in o: in its range, one of its choices, and,
 * held in single precision, a positive value a normal float. */
static rnnlm_status check_row(const config_row *r, const rnnlm_train_options *o, rnnlm_err *err) {
    const void *p = config_field(r, (rnnlm_train_options *)o, NULL);
    if (r->type == CONFIG_INT && (*(const long *)p < r->lo || *(const long *)p > r->hi))
        return rnnlm_fail(err, RNNLM_E_ARG, "`%s`: %ld is outside [%.0f, %.0f]", r->key, *(const long *)p, r->lo,
                          r->hi);
    if (r->type == CONFIG_CHOICE && (*(const int *)p < 0 || *(const int *)p >= config_n_choices(r)))
        return rnnlm_fail(err, RNNLM_E_ARG, "`%s`: %d is not one of %s (0 to %d)", r->key, *(const int *)p,
                          config_choices(r), config_n_choices(r) - 1);
    if (r->type != CONFIG_REAL) return RNNLM_OK;
    double x = *(const double *)p;
    if (!(x >= r->lo && x <= r->hi))
        return rnnlm_fail(err, RNNLM_E_ARG, "`%s`: %g is outside [%g, %g]", r->key, x, r->lo, r->hi);
    if ((r->flags & RNNLM_OPT_FLOAT32) && x > 0 && !((float)x >= FLT_MIN))
        return rnnlm_fail(err, RNNLM_E_ARG, "`%s`: %g is too small for single precision (the smallest is %g)",
                          r->key, x, (double)FLT_MIN);
    return RNNLM_OK;
}

rnnlm_status rnnlm_train_options_check(const rnnlm_train_options *o, rnnlm_err *err) {
    if (o->lr != -1 && o->lr <= 0)
        return rnnlm_fail(err, RNNLM_E_ARG, "`lr`: %g is not a learning rate: give a positive number, "
                          "or -1 for the optimiser's default", o->lr);
    for (size_t i = 0; i < config_n_rows; i++) {
        rnnlm_status st = config_rows[i].data ? RNNLM_OK : check_row(&config_rows[i], o, err);
        if (st) return st;
    }
    /* a floor above the starting rate would raise it (step and plateau clamp up to the
     * floor, cosine anneals upwards to it); compared as the optimiser holds them, in float */
    float lr0 = o->lr > 0 ? (float)o->lr : opt_config_default((opt_kind)o->optimizer).lr;
    if ((float)o->lr_min > lr0)
        return rnnlm_fail(err, RNNLM_E_ARG, "`lr_min`: %g is above the starting learning rate %g (`lr`%s): "
                          "the floor of a schedule may not raise the rate", o->lr_min, (double)lr0,
                          o->lr > 0 ? "" : ", the optimiser's default");
    if (o->lr_hold > 0 && o->lr_schedule != RNNLM_LR_COSINE)
        return rnnlm_fail(err, RNNLM_E_ARG, "`lr_hold` %g: only the cosine schedule holds its rate "
                          "(`lr_schedule` cosine)", o->lr_hold);
    if (o->weight_decay > 0 && o->loss == 1)
        return rnnlm_fail(err, RNNLM_E_ARG, "`weight_decay` is not available with `loss` sampled (its sparse "
                          "updates leave untouched rows as they are)");
    int cut[ADA_MAX_CLUSTERS], n;
    if (o->softmax == 1 && o->loss == 1)
        return rnnlm_fail(err, RNNLM_E_ARG, "`softmax` adaptive needs `loss` full (the sampled loss "
                          "samples the dense output layer)");
    if (o->softmax == 1 && o->tied && o->adaptive_div != 4)
        return rnnlm_fail(err, RNNLM_E_ARG, "`adaptive_div` %ld with `tied`: a tied adaptive softmax's clusters "
                          "are the embedding's rows at full width, so there is no width to divide",
                          (long)o->adaptive_div);
    if (o->softmax == 1 && o->adaptive_cutoffs && ada_parse_cutoffs(o->adaptive_cutoffs, cut, &n, err))
        return err ? err->status : RNNLM_E_ARG;
    if (o->reshuffle && o->pipeline == RNNLM_PIPE_WINDOWED)
        return rnnlm_fail(err, RNNLM_E_ARG, "`reshuffle` is for `pipeline` stateful (the windowed pipeline "
                          "shuffles its windows already)");
    if (o->dirs_mode < RNNLM_DIRS_NEW || o->dirs_mode > RNNLM_DIRS_RESUME)
        return rnnlm_fail(err, RNNLM_E_ARG, "dirs_mode %d is not an rnnlm_dirs_mode", o->dirs_mode);
    return RNNLM_OK;
}
