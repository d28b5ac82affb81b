/* commands.h: the subcommands of the rnnlm program. Each returns the process
 * exit status: 0 success, 1 failure (one line on stderr says why), 2 usage. */
#ifndef RNNLM_CLI_COMMANDS_H
#define RNNLM_CLI_COMMANDS_H

#include <math.h>
#include <stdio.h>

#include "rnnlm.h"

int cmd_data(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_embeddings(int argc, char **argv);
int cmd_neighbors(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_ngram(int argc, char **argv);
int cmd_rescore(int argc, char **argv);

/* A perplexity as printed: `decimals` decimals up to 1e9; above, in %g form
 * with 4 digits (a diverged run's 1.661e+21, not a 22-digit number); "inf"
 * and "nan" as such. Returns buf. */
static inline const char *fmt_ppl(char *buf, size_t cap, double ppl, int decimals) {
    if (isnan(ppl)) snprintf(buf, cap, "nan");
    else if (isinf(ppl)) snprintf(buf, cap, ppl > 0 ? "inf" : "-inf");
    else if (ppl >= 1e9) snprintf(buf, cap, "%.4g", ppl);
    else snprintf(buf, cap, "%.*f", decimals, ppl);
    return buf;
}

/* After a load with --allow-nonfinite: one line on stderr when the weights
 * do hold NaN or Inf, since the figures computed from them are not
 * meaningful and need not be NaN (an infinite embedding saturates the gates
 * and leaves the scores finite). */
static inline void warn_nonfinite(const char *cmd, const char *path, const rnnlm_model *m) {
    char where[96];
    size_t n = rnnlm_model_nonfinite(m, where, sizeof where);
    if (n)
        fprintf(stderr, "rnnlm %s: warning: %s holds %zu non-finite weight%s (the first: %s): its figures are "
                "not meaningful, even where they are finite\n", cmd, path, n, n == 1 ? "" : "s", where);
}

/* After an ARPA model is loaded: one line on stderr when some of its log10
 * probabilities were positive within rounding and read as 0 (IRSTLM writes
 * such values), so that nothing is changed silently. */
static inline void note_ngram_rounding(const char *cmd, const char *path, const rnnlm_ngram *g) {
    size_t n = rnnlm_ngram_rounded(g);
    if (n)
        fprintf(stderr, "rnnlm %s: note: %s: %zu log10 probabilit%s positive by at most 1e-6 (a probability of 1 "
                "written with a rounding error) read as 0\n", cmd, path, n, n == 1 ? "y" : "ies");
}

/* The model at path for command cmd (non-finite weights refused unless
 * allow_nonfinite, then warned about); NULL after printing why. */
static inline rnnlm_model *load_model(const char *cmd, const char *path, int allow_nonfinite) {
    rnnlm_err err;
    rnnlm_model *m = NULL;
    if (rnnlm_model_load_ex(&m, path, allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0, &err)) {
        fprintf(stderr, "rnnlm %s: %s\n", cmd, err.msg);
        return NULL;
    }
    warn_nonfinite(cmd, path, m);
    return m;
}

#endif
