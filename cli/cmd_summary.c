/* cmd_summary.c: `rnnlm summary`: layers, weight shapes (Keras layout) and
 * parameter counts of a model configuration. */
#include <stdio.h>

#include "commands.h"
#include "train_opts.h"

/* The flags of summary beyond the model's (train_opts.h's model table). */
typedef struct {
    long vocab;        /* V (-1: the data options' cap) */
    const char *model; /* a checkpoint to summarise instead */
    int allow_nonfinite;
} summary_options;

static opt_table summary_table(summary_options *o) {
    return (opt_table){{
        {"model", OPT_STR, &o->model, 0, 0, NULL, "summarise this checkpoint instead of a configuration"},
        {"vocab-size", OPT_INT, &o->vocab, 4, 1 << 30, NULL, "V (-1: 10000, or 15 with --config toy)"},
        {"allow-nonfinite", OPT_FLAG, &o->allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf (refused by default), for inspection"},
        OPT_TABLE_END,
    }};
}

int cmd_summary(int argc, char **argv) {
    train_cli c;
    summary_options o = {.vocab = -1};
    opt_table t = summary_table(&o);
    if (train_opts_preset(&c, "summary", argc, argv)) return 2;
    int n_pos, rc = opts_parse("summary", argc, argv, c.model_table, t.opt, NULL, 0, &n_pos, "[options]");
    if (rc) return rc > 0 ? 0 : 2;
    rnnlm_err err;
    rnnlm_model *m = NULL;
    char buf[8192];
    unsigned flags = o.allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0;
    if (o.model ? rnnlm_model_load_ex(&m, o.model, flags, &err)
                : rnnlm_train_options_summary(&c.o, o.vocab > 0 ? o.vocab : c.d.vocab_size, buf,
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
