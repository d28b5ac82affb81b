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
/* The library configuration for vocabulary size V. */
train_config train_opts_config(long V);

#endif
