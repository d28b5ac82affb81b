/* cmd_score.c: `rnnlm score MODEL FILE|-`: one line per input line (a
 * sentence of white-space separated words): its log-probability under the
 * model (rnnlm_score_sentence's semantics: <s> before, the end scored as a
 * closing <s>), through the batched scorer (rnnlm_score_batch), or with the
 * state carried across lines; interpolated with an ARPA n-gram (--ngram),
 * written as rnnlm's columns, SRILM's `ngram -ppl` text or Kaldi's scores
 * (lmscore.h). With an adaptation (--dynamic-lr, --cache-size;
 * docs/ADAPTATION.md) the text is scored in order as one stream, the state
 * carried across lines, each line's words and end adapted to what came
 * before. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapt_opts.h"
#include "commands.h"
#include "lmscore.h"
#include "opts.h"
#include "rnnlm.h"
#include "textin.h"

/* The flags of score beyond the shared ones (lmscore.h). */
typedef struct {
    int per_word, ids, exact, allow_nonfinite, precision;
    long lanes, threads, max_line;
    adapt_cli adapt;
} score_options;

static const score_options SCORE_DEFAULTS = {.lanes = 64, .max_line = RNNLM_MAX_LINE_DEFAULT};

static opt_table score_table(score_options *o) {
    return (opt_table){{
        {"per-word", OPT_FLAG, &o->per_word, 0, 0, NULL,
         "before each sentence line, a line per word and the end: TAB word TAB P TAB log10 P"},
        {"ids", OPT_FLAG, &o->ids, 0, 0, NULL, "add a column: the words' ids in the model's vocabulary"},
        {"exact", OPT_FLAG, &o->exact, 0, 0, NULL,
         "figures (sentence, word and Kaldi cost) with 17 significant digits (a double read back is the same double)"},
        {"lanes", OPT_INT, &o->lanes, 1, 65536, NULL, "sentences scored side by side"},
        {"threads", OPT_INT, &o->threads, 0, 256, NULL, "compute threads (0: one per core)"},
        {"precision", OPT_CHOICE, &o->precision, 0, 0, "fp32|bf16|auto",
         "matrix products: fp32, bf16 inputs with fp32 sums, or auto: bf16 where measured faster here"},
        {"allow-nonfinite", OPT_FLAG, &o->allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf (refused by default), for inspection"},
        {"max-line-bytes", OPT_INT, &o->max_line, 1, 1 << 30, NULL, "longest accepted input line"},
        ADAPT_OPT_ROWS(&o->adapt),
        OPT_TABLE_END,
    }};
}

int cmd_score(int argc, char **argv) {
    score_options o = SCORE_DEFAULTS;
    adapt_cli_defaults(&o.adapt);
    lm_options lm;
    lm_opts_defaults(&lm);
    opt_table t = score_table(&o), lt = lm_opt_table(&lm);
    const char *pos[2];
    int n_pos, rc = opts_parse("score", argc, argv, t.opt, lt.opt, pos, 2, &n_pos, "MODEL FILE|- [options]");
    if (rc) return rc > 0 ? 0 : 2;
    if (lm_opts_check("score", &lm, LM_CHECK_KALDI) || adapt_opts_check("score", &o.adapt)) return 2;
    int adapted = adapt_active(&o.adapt);
    if (adapted && lm.independent) {
        fprintf(stderr, "rnnlm score: --independent scores each line from <s> alone; the adaptations "
                        "(--dynamic-lr, --cache-size) score the text as one stream\n");
        return 2;
    }
    if (adapted && lm.ensemble) {
        fprintf(stderr, "rnnlm score: the adaptations (--dynamic-lr, --cache-size) adapt one model, not an "
                        "--ensemble\n");
        return 2;
    }
    if (n_pos != 2) {
        fprintf(stderr, "rnnlm score: needs a model and a text file (or - for stdin): rnnlm score MODEL FILE|-\n");
        return 2;
    }
    rnnlm_err err;
    rnnlm_model *m = load_model("score", pos[0], o.allow_nonfinite);
    if (!m) return 1;
    if (rnnlm_model_set_threads(m, (int)o.threads, &err) || rnnlm_model_set_precision(m, o.precision, &err)) {
        fprintf(stderr, "rnnlm score: %s\n", err.msg);
        rnnlm_model_free(m);
        return 1;
    }
    text_input in;
    memset(&in, 0, sizeof in);
    lm_scorer sc;
    memset(&sc, 0, sizeof sc);
    lm_scores res;
    memset(&res, 0, sizeof res);
    int status = 1;
    int opened = lm_scorer_open(&sc, m, &lm, (int)o.lanes, (int)o.threads, o.precision, &err) == 0;
    if (opened && sc.g) note_ngram_rounding("score", lm.ngram, sc.g);
    if (!opened ||
        (lm.lambda_auto && lm_estimate_lambda(&sc, (size_t)o.max_line, stderr, "rnnlm score: ", &err)) ||
        text_input_read(&in, pos[1], lm.utt_ids, (size_t)o.max_line, &err) ||
        (adapted && adapt_tune(&o.adapt, m, (size_t)o.max_line, stderr, "rnnlm score: ", &err))) {
        fprintf(stderr, "rnnlm score: %s\n", err.msg);
        goto done;
    }
    if (adapted) {
        char what[300];
        sc.adapt = &o.adapt.o;
        fprintf(stderr, "rnnlm score: adapted: %s, the text scored in order as one stream (the state carried "
                        "across lines)\n", adapt_describe(what, sizeof what, &o.adapt.o));
    }
    char path[512];   /* stdout holds the scores only: the path goes to stderr */
    rnnlm_model_compute_path(m, path, sizeof path);
    fprintf(stderr, "rnnlm score: compute: %s\n", path);
    if (sc.n_members)
        fprintf(stderr, "rnnlm score: ensemble: %s and %zu more, equal weights: P(w) the mean of theirs\n", pos[0],
                sc.n_members);
    if (lm_score_text(&sc, &in, &res, &err)) {
        fprintf(stderr, "rnnlm score: %s\n", err.msg);
        goto done;
    }
    if (lm_write(stdout, &lm, pos[1], &in, &res, o.per_word, o.ids, o.exact, NULL) || fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "rnnlm score: writing the scores: %s\n", strerror(errno));
        goto done;
    }
    if (sc.mx) lm_print_perplexities(stderr, &lm, "rnnlm score: ", &in, &res);
    status = 0;
done:
    lm_scores_free(&res);
    text_input_free(&in);
    lm_scorer_close(&sc);
    rnnlm_model_free(m);
    return status;
}
