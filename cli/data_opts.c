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

opt_spec data_opt_table[] = {
    {"corpus", OPT_STR, &g_data_opts.corpus, 0, 0, NULL, "brown, toy, or a plain-text file to split"},
    {"brown-dir", OPT_STR, &g_data_opts.brown_dir, 0, 0, NULL, "directory of the Brown files"},
    {"train", OPT_STR, &g_data_opts.train, 0, 0, NULL, "plain-text training file (no split)"},
    {"valid", OPT_STR, &g_data_opts.valid, 0, 0, NULL, "plain-text validation file"},
    {"test", OPT_STR, &g_data_opts.test, 0, 0, NULL, "plain-text test file"},
    {"vocab-size", OPT_INT, &g_data_opts.vocab_size, 4, 1 << 30, NULL, "vocabulary cap V, specials included"},
    {"split", OPT_FLOAT, &g_data_opts.split, -1e300, 1e300, NULL, "training fraction of the shuffled sentences"},
    {"seed", OPT_INT, &g_data_opts.seed, 0, 4294967295.0, NULL, "shuffle seed of the split"},
    {"no-canon", OPT_FLAG, &g_data_opts.no_canon, 0, 0, NULL, "keep words as written (no lower-casing, no DG)"},
    {"no-markers", OPT_FLAG, &g_data_opts.no_markers, 0, 0, NULL, "no <s> between sentences in the id streams"},
    {"max-line-bytes", OPT_INT, &g_data_opts.max_line, 1, 1 << 30, NULL, "longest accepted line of a text file"},
    {"vocab", OPT_STR, &g_data_opts.vocab_in, 0, 0, NULL, "read the vocabulary from this file"},
    {"save-vocab", OPT_STR, &g_data_opts.vocab_out, 0, 0, NULL, "write the vocabulary to this file"},
    /* a validation split carved from the training sentences (docs/DATA.md section 4) */
    {"valid-split", OPT_FLOAT, &g_data_opts.valid_split, 0, 0.999999, NULL,
     "hold out this fraction of the training sentences as validation (0: none; not with --valid)"},
    OPT_TABLE_END,
};

int data_opts_check(const char *cmd, int argc, char **argv) {
    const rnnlm_data_options *o = &g_data_opts;
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
