/* data_opts.c: the data options of the command line (data_opts.h). */
#include "data_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void data_opts_defaults(rnnlm_data_options *o) {
    rnnlm_data_options_default(o);
    if (getenv("RNNLM_BROWN_DIR")) o->brown_dir = getenv("RNNLM_BROWN_DIR");
}

/* the rows of rnnlm_options.def (RNNLM_DATA_OPTIONS), bound to a command's
 * own options struct */
#define DATA_OPT_OF(where, key, legacy, type, field, choices, lo, hi, flags, flag, help) \
    {flag, OPT_TYPE_OF_##type, &o->field, lo, hi, choices, help},
opt_table data_opts_table(rnnlm_data_options *o) {
    return (opt_table){{RNNLM_DATA_OPTIONS(DATA_OPT_OF) OPT_TABLE_END}};
}

int data_opts_check(const char *cmd, const rnnlm_data_options *o, int argc, char **argv) {
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
