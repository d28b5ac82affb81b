/* lmscore.h: scoring text sentence by sentence for `rnnlm score` and
 * `rnnlm eval --ngram`: the RNN's per-word probabilities (lines independent,
 * or the state carried across them), their interpolation with an ARPA
 * n-gram (rnnlm_mix_*), perplexity figures as SRILM counts them, and the
 * output formats (today's columns, SRILM's `ngram -ppl`, Kaldi's scores).
 * The options both commands share are lm_options, parsed through
 * lm_opt_table (opts.h's second table). */
#ifndef RNNLM_CLI_LMSCORE_H
#define RNNLM_CLI_LMSCORE_H

#include <stdio.h>

#include "opts.h"
#include "rnnlm.h"
#include "textin.h"

enum { LM_FMT_DEFAULT = 0, LM_FMT_SRILM = 1, LM_FMT_KALDI = 2 };

/* The shared options' values (set by lm_opts_defaults, then the parser,
 * then lm_opts_check). */
typedef struct {
    const char *ensemble;   /* further models, comma-separated: the RNN is their mixture with MODEL */
    const char *ngram;      /* ARPA file to interpolate with (NULL: the RNN alone) */
    const char *lambda_s;   /* "auto" or a number in [0, 1] */
    const char *mix_dev;    /* held-out text for --lambda auto */
    int rnn_unk;            /* rnnlm_mix_unk */
    int ngram_canon;
    int format;             /* LM_FMT_* */
    long debug;             /* srilm: 0 summary, 1 sentences, 2 words */
    long digits;            /* significant digits of the srilm format */
    int utt_ids;
    int independent, carry; /* the two spellings of the state's policy */
    /* derived by lm_opts_check */
    double lambda;
    int lambda_auto;
} lm_options;

/* The table of the shared flags, over o. */
opt_table lm_opt_table(lm_options *o);
void lm_opts_defaults(lm_options *o);
/* Flags of lm_opts_check. */
enum {
    LM_CHECK_KALDI = 1,   /* the command has the kaldi format */
    LM_CHECK_SPLIT = 2,   /* --lambda auto is fitted on the command's own held-out split, not --mix-dev */
};
/* Checks the combination after parsing (and derives lambda, lambda_auto,
 * utt_ids for kaldi); prints one line and returns -1 when it is wrong.
 * flags: LM_CHECK_*. */
int lm_opts_check(const char *cmd, lm_options *o, unsigned flags);

enum { LM_MAX_MEMBERS = 64 };

/* A model (with --ensemble, the first member of the RNN's equal-weight
 * mixture, docs/ENSEMBLE.md), and the n-gram and mixture when --ngram is
 * given. */
typedef struct {
    rnnlm_model *m;
    rnnlm_model *member[LM_MAX_MEMBERS];   /* the --ensemble models after m (owned) */
    size_t n_members;
    rnnlm_ngram *g;
    rnnlm_mix *mx;
    lm_options *opt;   /* the command's (lm_estimate_lambda sets its lambda) */
    int lanes;
    const rnnlm_adapt_options *adapt;   /* NULL, or the text scored as one stream with this
                                           adaptation (rnnlm_eval_adapt; the state carried) */
} lm_scorer;

/* Loads the --ensemble members (each with threads when > 0 and precision,
 * as m has them; refused unless they share m's vocabulary), the n-gram,
 * and builds the mixture (nothing without opt->ngram). */
int lm_scorer_open(lm_scorer *sc, rnnlm_model *m, lm_options *opt, int lanes, int threads, int precision,
                   rnnlm_err *err);
void lm_scorer_close(lm_scorer *sc);

/* The scores of a text: the RNN's ids and natural-log probabilities of
 * each word and sentence end (sentence i's n_i + 1 values from
 * sent[i] + i), its sentence figures, and the mixture's components (the
 * same layout; NULL without the n-gram). */
typedef struct {
    int32_t *ids;
    double *per;
    rnnlm_sentence_score *s;
    rnnlm_mix_word *mw;
} lm_scores;

int lm_score_text(const lm_scorer *sc, const text_input *in, lm_scores *out, rnnlm_err *err);
void lm_scores_free(lm_scores *s);

/* SRILM's count of a text: words excludes the ends and includes OOVs;
 * log10prob sums the words scored with a non-zero probability (and the
 * ends). ppl = 10^(-log10prob / (words - oovs - zeroprobs + sentences)),
 * ppl1 the same without the ends; NAN when the denominator is not positive. */
typedef struct {
    size_t sentences, words, oovs, zeroprobs;
    double log10prob;
} lm_stats;

double lm_stats_ppl(const lm_stats *st);
double lm_stats_ppl1(const lm_stats *st);

/* Which probabilities: the RNN alone, the n-gram alone, the mixture at L. */
enum { LM_VIEW_RNN = 0, LM_VIEW_NGRAM = 1, LM_VIEW_MIX = 2 };

/* Adds sentence i to st under view. */
void lm_stats_add(lm_stats *st, const text_input *in, const lm_scores *s, size_t i, int view, double lambda);

/* Writes the scores in o->format (name: the file SRILM's summary names).
 * total (may be NULL) receives the figures of the printed view. */
int lm_write(FILE *f, const lm_options *o, const char *name, const text_input *in, const lm_scores *s, int per_word, int ids,
             int exact, lm_stats *total);

/* --lambda auto: reads and scores --mix-dev, estimates L by EM into
 * sc->opt->lambda and prints one line saying so to f (prefix before it). */
int lm_estimate_lambda(const lm_scorer *sc, size_t max_line, FILE *f, const char *prefix, rnnlm_err *err);

/* The three perplexities of a scored text, one line each, prefix before
 * every line. */
void lm_print_perplexities(FILE *f, const lm_options *o, const char *prefix, const text_input *in, const lm_scores *s);

#endif
