/* adapt_opts.h: the evaluation-time adaptation flags that `rnnlm eval` and
 * `rnnlm score` share (docs/ADAPTATION.md): their rows of each command's
 * option table, the check of their values, the choice of `auto` values by a
 * small grid on a held-out file (--adapt-dev), and the words that name a
 * setting. */
#ifndef RNNLM_CLI_ADAPT_OPTS_H
#define RNNLM_CLI_ADAPT_OPTS_H

#include <stdio.h>

#include "opts.h"
#include "rnnlm.h"

typedef struct {
    const char *lr_s, *theta_s, *lambda_s;   /* a number, or "auto" (lr_s NULL: 0, off) */
    double decay, clip;
    long segment, cache;
    const char *dev;                         /* --adapt-dev: the text auto values are chosen on */
    /* derived by adapt_opts_check */
    rnnlm_adapt_options o;
    int lr_auto, theta_auto, lambda_auto;
} adapt_cli;

void adapt_cli_defaults(adapt_cli *a);

/* The flags' rows, to place in a command's table before OPT_TABLE_END. */
#define ADAPT_OPT_ROWS(a)                                                                                          \
    {"dynamic-lr", OPT_STR, &(a)->lr_s, 0, 0, NULL,                                                                \
     "dynamic evaluation: SGD rate on each segment's mean loss after scoring it, >= 0 (0: off), or auto: "        \
     "chosen on --adapt-dev"},                                                                                     \
    {"dynamic-decay", OPT_FLOAT, &(a)->decay, 0, 1, NULL,                                                          \
     "dynamic evaluation: pull toward the trained weights each step, theta += decay (theta0 - theta)"},          \
    {"dynamic-segment", OPT_INT, &(a)->segment, 1, 10000, NULL, "dynamic evaluation: tokens per segment (one step each)"}, \
    {"dynamic-clip", OPT_FLOAT, &(a)->clip, 0, 1e6, NULL,                                                          \
     "dynamic evaluation: global-norm clip of each step's gradient, as training's --clip (0: none)"},             \
    {"cache-size", OPT_INT, &(a)->cache, 0, 100000, NULL, "continuous cache: N, the last positions it holds (0: off)"}, \
    {"cache-theta", OPT_STR, &(a)->theta_s, 0, 0, NULL,                                                            \
     "continuous cache: theta >= 0 in exp(theta h_t . h_i), or auto: chosen on --adapt-dev"},                     \
    {"cache-lambda", OPT_STR, &(a)->lambda_s, 0, 0, NULL,                                                          \
     "continuous cache: its weight lambda in [0, 1), or auto: chosen on --adapt-dev"},                             \
    {"adapt-dev", OPT_STR, &(a)->dev, 0, 0, NULL,                                                                  \
     "held-out text (one sentence a line) on which the auto values are chosen; never the text evaluated"}

/* Checks the values and their combination and fills a->o; -1 after one
 * line naming the flag. */
int adapt_opts_check(const char *cmd, adapt_cli *a);
/* Any adaptation asked for. */
int adapt_active(const adapt_cli *a);
/* "dynamic evaluation (lr 0.002, decay 0.01, segment 20)", "continuous
 * cache (N 500, theta 0.3, lambda 0.1)", both joined by " + ", or "no
 * adaptation", for o. Returns buf. */
const char *adapt_describe(char *buf, size_t cap, const rnnlm_adapt_options *o);

/* The id stream of a text file in m's vocabulary: <s> before every
 * sentence and after the last (as `rnnlm eval FILE` reads it): *n pairs
 * ids[i] -> ids[i + 1]. -1 with err set. */
int adapt_read_stream(const rnnlm_model *m, const char *path, size_t max_line, int32_t **ids, size_t *n,
                      rnnlm_err *err);

/* The auto values: reads --adapt-dev and evaluates a small grid on it
 * (dynamic evaluation's rates with the cache off; the cache's theta and
 * lambda with dynamic evaluation off), prints a line per point and the
 * choice to f (prefix before each line), and sets a->o to the choice.
 * Nothing when no value is auto. -1 with err set. */
int adapt_tune(adapt_cli *a, const rnnlm_model *m, size_t max_line, FILE *f, const char *prefix, rnnlm_err *err);

#endif
