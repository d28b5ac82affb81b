/* cmd_summary.c: `rnnlm summary`: layers, weight shapes (Keras layout) and
 * parameter counts of a model configuration. */
#include <stdio.h>

#include "commands.h"
#include "dataset.h"
#include "model.h"
#include "train_opts.h"

static long g_vocab = -1;

static opt_spec summary_opts[] = {
    {"vocab-size", OPT_INT, &g_vocab, 4, 1 << 30, NULL, "V (-1: 10000, or 15 with --config toy)"},
    OPT_TABLE_END,
};

int cmd_summary(int argc, char **argv) {
    data_opts_defaults(&g_data_opts);
    g_vocab = -1;
    if (train_opts_preset("summary", argc, argv)) return 2;
    int n_pos, rc = opts_parse("summary", argc, argv, model_opt_table, summary_opts, NULL, 0, &n_pos, "[options]");
    if (rc) return rc > 0 ? 0 : 2;
    train_config cfg = train_opts_config(g_vocab > 0 ? g_vocab : g_data_opts.vocab_size);
    rnnlm_err err;
    model *m;
    if (model_create(&m, &cfg.model, &err)) {
        fprintf(stderr, "rnnlm summary: %s\n", err.msg);
        return 1;
    }
    char buf[8192];
    model_summary(m, buf, sizeof buf);
    fputs(buf, stdout);
    model_free(m);
    return 0;
}
