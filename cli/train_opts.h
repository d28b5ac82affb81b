/* train_opts.h: the model, training and data options of `train` and
 * `summary`, one struct filled from the command line: the library's
 * rnnlm_train_options and rnnlm_data_options and the command line's own,
 * with the option tables bound to it. Every table comes from the rows of
 * rnnlm_options.def; so do the flag names that the library's messages are
 * given in (train_opts_message). */
#ifndef RNNLM_CLI_TRAIN_OPTS_H
#define RNNLM_CLI_TRAIN_OPTS_H

#include <stddef.h>

#include "opts.h"
#include "rnnlm.h"

#define TRAIN_OPTS_COUNT(...) +1
/* rows of each table, its end included */
#define TRAIN_OPTS_ROWS (1 RNNLM_TRAIN_OPTIONS(TRAIN_OPTS_COUNT))
#define TRAIN_OPTS_DATA_ROWS (1 RNNLM_DATA_OPTIONS(TRAIN_OPTS_COUNT))

typedef struct {
    rnnlm_train_options o;
    rnnlm_data_options d;
    /* the command line's own options (the CLI rows of rnnlm_options.def) */
    int preset;             /* --config: an index into rnnlm_preset_names() */
    int quick;              /* --quick */
    int overwrite;          /* --overwrite: o.dirs_mode, set by `train` */
    const char *resume;     /* --resume */
    const char *average;    /* --average off|auto|EPOCH, into o.average by train_opts_check */
    const char *ngram;      /* --ngram: an ARPA n-gram interpolated with the final model (train_members.c) */
    opt_spec model_table[TRAIN_OPTS_ROWS];   /* the model's shape: `summary` */
    opt_spec table[TRAIN_OPTS_ROWS];         /* the model's shape and training: `train` */
    opt_spec data_table[TRAIN_OPTS_DATA_ROWS];
} train_cli;

/* Defaults (the Brown directory from $RNNLM_BROWN_DIR when set), the tables
 * bound to c, then the --config preset found anywhere in argv (so that
 * other flags override it). -1 after a message for a bad preset. c must
 * not move afterwards: the tables point into it. */
int train_opts_preset(train_cli *c, const char *cmd, int argc, char **argv);
/* Rules between options and argv (the options as given): --save-every,
 * --keep-epochs and --log-every need their directories; --average's text
 * becomes o.average; one of --epochs and --budget-steps, of --average and
 * --average-from; then the library's own checks (rnnlm_train_options_check:
 * every range, --lr -1 or positive, floats that stay normal). -1 after a
 * message. */
int train_opts_check(train_cli *c, const char *cmd, int argc, char **argv);
/* Whether a resumed run may set the flag `name` anew on its command line
 * (RNNLM_OPT_RESUMABLE); every other option comes from the checkpoint. */
int train_opts_resumable(const char *name);
/* msg, a library message, with each option named as `key` given as its
 * flag (--key-as-flag), into buf (cap bytes). Returns buf. */
const char *train_opts_message(const char *msg, char *buf, size_t cap);
/* The name of choice i of the option `key` ("" when there is none). */
const char *train_opts_choice(const char *key, int i, char *buf, size_t cap);

/* --members N (N > 1, docs/ENSEMBLE.md): N runs of c side by side, each a
 * child process running run_one on c with its member's seed, threads and
 * directories (member 1's output on stdout, the others' in
 * --save-dir/member-K.log), then the members' mixture evaluated on the
 * validation and test splits. The exit status (train_members.c). */
typedef int (*train_run_fn)(train_cli *c, rnnlm_checkpoint *ck, rnnlm_comm *comm);
int train_members(train_cli *c, rnnlm_comm *comm, train_run_fn run_one);
/* --ngram after a lone run: its best weights (else its last) in --save-dir
 * on the validation and test splits, alone and interpolated with the
 * n-gram, the RNN's weight fitted by EM on the validation split. The exit
 * status. */
int train_final_mix(const train_cli *c);
/* --ngram-order N (without --ngram): the N-gram of the training split built
 * with IRSTLM into --save-dir/knN.arpa, its time taken from
 * --budget-minutes; then c->ngram is its path and o.ngram_order 0. The exit
 * status (train_ngram.c). */
int train_ngram_build(train_cli *c);

#endif
