/* train_opts.h: the model and training options shared by `train` and
 * `summary` (the library's rnnlm_train_options, filled from the command
 * line), and the recipe's two configurations (docs/RECIPE.md). */
#ifndef RNNLM_CLI_TRAIN_OPTS_H
#define RNNLM_CLI_TRAIN_OPTS_H

#include "opts.h"
#include "rnnlm.h"

extern rnnlm_train_options g_train_opts;
extern int g_train_preset;           /* --config: 0 industrial, 1 toy */
extern int g_train_quick;            /* --quick */
extern int g_train_overwrite;        /* --overwrite: g_train_opts.dirs_mode, set by cmd_train */
extern const char *g_train_resume;   /* --resume */
extern const char *g_train_average;  /* --average off|auto|EPOCH, set into g_train_opts.average by train_opts_check */
extern opt_spec model_opt_table[];   /* model shape: summary and train */
extern opt_spec train_opt_table[];   /* model shape and training */

/* Applies defaults, then the --config preset found anywhere in argv (so that
 * other flags override it). Returns -1 after a message for a bad preset. */
int train_opts_preset(const char *cmd, int argc, char **argv);
/* Rules no single option's range states: --lr is -1 (the optimiser's
 * default) or positive; a positive --lr, --clip or --dropout is a normal
 * float (not rounded to 0 or subnormal); --save-every and --log-every need
 * --save-dir and --logdir; --average's text becomes g_train_opts.average.
 * argv: the command line (to see which flags were given). -1 after a message. */
int train_opts_check(const char *cmd, int argc, char **argv);

#endif
