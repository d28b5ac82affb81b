/* data_opts.h: the data options shared by every subcommand that reads a
 * corpus (the library's rnnlm_data_options, filled from the command line). */
#ifndef RNNLM_CLI_DATA_OPTS_H
#define RNNLM_CLI_DATA_OPTS_H

#include "opts.h"
#include "rnnlm.h"

/* The library's defaults, the Brown directory from $RNNLM_BROWN_DIR when set. */
void data_opts_defaults(rnnlm_data_options *o);
/* The data flags bound to a command's own options struct (opts.h's
 * opt_table), for a command that keeps its options out of globals. */
opt_table data_opts_table(rnnlm_data_options *o);

/* Rules between the data options o and argv (the options as given): -1
 * after a message naming the flag. --vocab-size with the toy corpus, whose
 * whole vocabulary the recipe keeps (no cap applies), is refused. */
int data_opts_check(const char *cmd, const rnnlm_data_options *o, int argc, char **argv);

/* rnnlm_dataset_load, printing "rnnlm: <cause>" to stderr on failure (-1). */
int dataset_load(rnnlm_dataset *d, const rnnlm_data_options *o);

#endif
