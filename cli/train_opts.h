/* train_opts.h: the model and training options shared by `train` and
 * `summary`, and the recipe's two configurations (REFERENCE.md section 2). */
#ifndef RNNLM_CLI_TRAIN_OPTS_H
#define RNNLM_CLI_TRAIN_OPTS_H

#include "opts.h"
#include "train.h"

typedef struct {
    int config;                 /* 0 industrial, 1 toy */
    int cell, init, optimizer, pipeline;
    long hidden, embed, layers, max_time, batch, epochs, threads, max_steps, train_seed, max_bad, log_every, save_every;
    double lr, dropout, clip;
    int tied, quick, eps_torch;
    int loss, dense_adam;       /* loss: 0 full, 1 sampled */
    long samples;
    const char *logdir, *save_dir, *resume;
} train_opts;

extern train_opts g_train_opts;
extern opt_spec model_opt_table[];   /* model shape: summary and train */
extern opt_spec train_opt_table[];   /* model shape and training */

/* Applies defaults, then the --config preset found anywhere in argv (so that
 * other flags override it). Returns -1 after a message for a bad preset. */
int train_opts_preset(const char *cmd, int argc, char **argv);
/* Rules no single option's range states: --lr is -1 (the optimiser's
 * default) or positive; a positive --lr, --clip or --dropout is a normal
 * float (not rounded to 0 or subnormal); --save-every and --log-every need
 * --save-dir and --logdir.
 * argv: the command line (to see which flags were given). -1 after a message. */
int train_opts_check(const char *cmd, int argc, char **argv);
/* The library configuration for vocabulary size V. */
train_config train_opts_config(long V);

#endif
