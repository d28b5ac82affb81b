/* cmd_summary.c: `rnnlm summary`: layers, weight shapes (Keras layout) and
 * parameter counts of a model configuration. */
#include <stdio.h>

#include "commands.h"
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
    train_cli c;
    g_vocab = -1;
    g_model = NULL;
    g_allow_nonfinite = 0;
    if (train_opts_preset(&c, "summary", argc, argv)) return 2;
    int n_pos, rc = opts_parse("summary", argc, argv, c.model_table, summary_opts, NULL, 0, &n_pos, "[options]");
    if (rc) return rc > 0 ? 0 : 2;
    rnnlm_err err;
    rnnlm_model *m = NULL;
    char buf[8192];
    unsigned flags = g_allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0;
    if (g_model ? rnnlm_model_load_ex(&m, g_model, flags, &err)
                : rnnlm_train_options_summary(&c.o, g_vocab > 0 ? g_vocab : c.d.vocab_size, buf,
                                              sizeof buf, &err)) {
        fprintf(stderr, "rnnlm summary: %s\n", err.msg);
        return 1;
    }
    if (m) {
        const rnnlm_vocab *v = rnnlm_model_vocab(m);
        rnnlm_model_summary(m, buf, sizeof buf);
        printf("Vocabulary: %zu words (%s canonicalisation)\n", rnnlm_vocab_size(v),
               rnnlm_vocab_canon(v) == RNNLM_CANON_RECIPE ? "recipe" : "no");
    }
    fputs(buf, stdout);
    rnnlm_model_free(m);
    return 0;
}
