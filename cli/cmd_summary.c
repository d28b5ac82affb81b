/* cmd_summary.c: `rnnlm summary`: layers, weight shapes (Keras layout) and
 * parameter counts of a model configuration. */
#include <stdio.h>

#include "commands.h"
#include "dataset.h"
#include "checkpoint.h"
#include "model.h"
#include "train_opts.h"

static long g_vocab = -1;
static const char *g_model;
static int g_allow_nonfinite;

static opt_spec summary_opts[] = {
    {"model", OPT_STR, &g_model, 0, 0, NULL, "summarise this checkpoint instead of a configuration"},
    {"vocab-size", OPT_INT, &g_vocab, 4, 1 << 30, NULL, "V (-1: 10000, or 15 with --config toy)"},
    {"allow-nonfinite", OPT_FLAG, &g_allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf (refused by default), for inspection"},
    OPT_TABLE_END,
};

int cmd_summary(int argc, char **argv) {
    data_opts_defaults(&g_data_opts);
    g_vocab = -1;
    g_model = NULL;
    g_allow_nonfinite = 0;
    if (train_opts_preset("summary", argc, argv)) return 2;
    int n_pos, rc = opts_parse("summary", argc, argv, model_opt_table, summary_opts, NULL, 0, &n_pos, "[options]");
    if (rc) return rc > 0 ? 0 : 2;
    train_config cfg = train_opts_config(g_vocab > 0 ? g_vocab : g_data_opts.vocab_size);
    rnnlm_err err;
    model *m;
    rnnlm_vocab *v = NULL;
    unsigned flags = g_allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0;
    if (g_model ? checkpoint_load_ex(g_model, flags, &m, &v, NULL, &err) : model_create(&m, &cfg.model, &err)) {
        fprintf(stderr, "rnnlm summary: %s\n", err.msg);
        return 1;
    }
    char buf[8192];
    model_summary(m, buf, sizeof buf);
    if (v) printf("Vocabulary: %zu words (%s canonicalisation)\n", rnnlm_vocab_size(v),
                  rnnlm_vocab_canon(v) == RNNLM_CANON_RECIPE ? "recipe" : "no");
    fputs(buf, stdout);
    model_free(m);
    rnnlm_vocab_free(v);
    return 0;
}
