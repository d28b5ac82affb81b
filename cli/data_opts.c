/* data_opts.c: the data options of the command line (data_opts.h). */
#include "data_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rnnlm_data_options g_data_opts;

void data_opts_defaults(rnnlm_data_options *o) {
    rnnlm_data_options_default(o);
    if (getenv("RNNLM_BROWN_DIR")) o->brown_dir = getenv("RNNLM_BROWN_DIR");
}

/* The data flags over the options struct o, written once: the table over
 * g_data_opts and the tables bound to a command's own struct both expand it. */
#define DATA_OPTS(o) \
    {"corpus", OPT_STR, &(o)->corpus, 0, 0, NULL, "brown, toy, or a plain-text file to split"}, \
    {"brown-dir", OPT_STR, &(o)->brown_dir, 0, 0, NULL, "directory of the Brown files"}, \
    {"train", OPT_STR, &(o)->train, 0, 0, NULL, "plain-text training file (no split)"}, \
    {"valid", OPT_STR, &(o)->valid, 0, 0, NULL, "plain-text validation file"}, \
    {"test", OPT_STR, &(o)->test, 0, 0, NULL, "plain-text test file"}, \
    {"vocab-size", OPT_INT, &(o)->vocab_size, 4, 1 << 30, NULL, "vocabulary cap V, specials included"}, \
    {"split", OPT_FLOAT, &(o)->split, -1e300, 1e300, NULL, "training fraction of the shuffled sentences"}, \
    {"seed", OPT_INT, &(o)->seed, 0, 4294967295.0, NULL, "shuffle seed of the split"}, \
    {"no-canon", OPT_FLAG, &(o)->no_canon, 0, 0, NULL, "keep words as written (no lower-casing, no DG)"}, \
    {"no-markers", OPT_FLAG, &(o)->no_markers, 0, 0, NULL, "no <s> between sentences in the id streams"}, \
    {"max-line-bytes", OPT_INT, &(o)->max_line, 1, 1 << 30, NULL, "longest accepted line of a text file"}, \
    {"vocab", OPT_STR, &(o)->vocab_in, 0, 0, NULL, "read the vocabulary from this file"}, \
    {"save-vocab", OPT_STR, &(o)->vocab_out, 0, 0, NULL, "write the vocabulary to this file"}, \
    /* a validation split carved from the training sentences (docs/DATA.md section 4) */ \
    {"valid-split", OPT_FLOAT, &(o)->valid_split, 0, 0.999999, NULL, \
     "hold out this fraction of the training sentences as validation (0: none; not with --valid)"},

opt_spec data_opt_table[] = {
    DATA_OPTS(&g_data_opts)
    OPT_TABLE_END,
};

opt_table data_opts_table(rnnlm_data_options *o) {
    return (opt_table){{
        DATA_OPTS(o)
        OPT_TABLE_END,
    }};
}

int data_opts_check(const char *cmd, int argc, char **argv) { return data_opts_check_of(cmd, &g_data_opts, argc, argv); }

int data_opts_check_of(const char *cmd, const rnnlm_data_options *o, int argc, char **argv) {
    int toy = !o->train && o->corpus && strcmp(o->corpus, "toy") == 0;
    if (toy && opts_given(argc, argv, "vocab-size")) {
        fprintf(stderr, "rnnlm %s: --vocab-size: the toy corpus keeps its whole vocabulary (the recipe's 15 ids); "
                "no cap applies to it\n", cmd);
        return -1;
    }
    return 0;
}

int dataset_load(rnnlm_dataset *d, const rnnlm_data_options *o) {
    rnnlm_err err;
    if (rnnlm_dataset_load(d, o, &err)) {
        fprintf(stderr, "rnnlm: %s\n", err.msg);
        rnnlm_dataset_free(d);
        return -1;
    }
    return 0;
}
