/* lmscore.c: scoring text sentence by sentence, interpolation with an ARPA
 * n-gram, SRILM's perplexity arithmetic and the output formats of
 * `rnnlm score` and `rnnlm eval --ngram` (lmscore.h). The SRILM and Kaldi
 * conventions followed are written down in docs/PIPELINE.md. */
#include "lmscore.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

opt_table lm_opt_table(lm_options *o) {
    return (opt_table){{
        {"ensemble", OPT_STR, &o->ensemble, 0, 0, NULL,
         "further models (checkpoints, comma-separated) mixed with MODEL at equal weights: P(w) the mean of the "
         "members' P(w) (docs/ENSEMBLE.md)"},
        {"ngram", OPT_STR, &o->ngram, 0, 0, NULL,
         "ARPA n-gram (plain or gzip) to interpolate with: each word L*p_rnn + (1-L)*p_ngram"},
        {"lambda", OPT_STR, &o->lambda_s, 0, 0, NULL,
         "L, the RNN's weight in [0, 1] (0.5 when not given), or auto: estimated by EM on --mix-dev"},
        {"mix-dev", OPT_STR, &o->mix_dev, 0, 0, NULL, "held-out text (the input's layout) that --lambda auto fits L on"},
        {"rnn-unk", OPT_CHOICE, &o->rnn_unk, 0, 0, "split|whole|ngram",
         "a word the RNN lacks but the n-gram has: P_rnn(<unk>) shared evenly by the n-gram's words the RNN "
         "lacks, whole, or the n-gram's probability alone"},
        {"ngram-canon", OPT_FLAG, &o->ngram_canon, 0, 0, NULL,
         "the n-gram sees words as the RNN canonicalises them (lower case, DG); by default their exact bytes"},
        {"format", OPT_CHOICE, &o->format, 0, 0, "default|srilm|kaldi",
         "output: rnnlm's columns, SRILM's ngram -ppl text, or Kaldi's \"UTTID COST\" (COST = -ln P; implies --utt-ids)"},
        {"debug", OPT_INT, &o->debug, 0, 2, NULL, "--format srilm: 0 the file summary, 1 also each sentence, 2 also each word"},
        {"digits", OPT_INT, &o->digits, 1, 17, NULL, "significant digits of --format srilm's numbers (SRILM prints 6)"},
        {"utt-ids", OPT_FLAG, &o->utt_ids, 0, 0, NULL, "the first token of a line is its utterance id (any text), never scored"},
        {"independent", OPT_FLAG, &o->independent, 0, 0, NULL,
         "each line is its own sentence, scored from an empty state (the default)"},
        {"carry-state", OPT_FLAG, &o->carry, 0, 0, NULL,
         "the state runs on across lines (Mikolov's rnnlm without -independent): a line's first word follows "
         "the previous line's end"},
        OPT_TABLE_END,
    }};
}

void lm_opts_defaults(lm_options *o) {
    memset(o, 0, sizeof *o);
    o->rnn_unk = RNNLM_MIX_UNK_SPLIT;
    o->digits = 6;
    o->lambda = 0.5;
}

int lm_opts_check(const char *cmd, lm_options *o, unsigned flags) {
    if (o->independent && o->carry) {
        fprintf(stderr, "rnnlm %s: --independent and --carry-state exclude each other\n", cmd);
        return -1;
    }
    if (o->format == LM_FMT_KALDI && !(flags & LM_CHECK_KALDI)) {
        fprintf(stderr, "rnnlm %s: --format kaldi is rnnlm score's (one cost per utterance)\n", cmd);
        return -1;
    }
    if (o->debug && o->format != LM_FMT_SRILM) {
        fprintf(stderr, "rnnlm %s: --debug is --format srilm's\n", cmd);
        return -1;
    }
    if (o->format == LM_FMT_KALDI) o->utt_ids = 1;
    if (!o->ngram && (o->lambda_s || o->mix_dev || o->ngram_canon)) {
        fprintf(stderr, "rnnlm %s: --%s needs --ngram FILE.arpa\n", cmd,
                o->lambda_s ? "lambda" : o->mix_dev ? "mix-dev" : "ngram-canon");
        return -1;
    }
    if (o->lambda_s && strcmp(o->lambda_s, "auto") == 0) {
        o->lambda_auto = 1;
        if (!o->mix_dev && !(flags & LM_CHECK_SPLIT)) {
            fprintf(stderr, "rnnlm %s: --lambda auto needs --mix-dev FILE, held-out text to estimate it on%s\n", cmd,
                    strcmp(cmd, "eval") == 0 ? " (on --corpus: --valid-split F, its validation split)" : "");
            return -1;
        }
        if (o->mix_dev && (flags & LM_CHECK_SPLIT)) {
            fprintf(stderr, "rnnlm %s: --lambda auto on --corpus is fitted on its validation split "
                            "(--valid-split), not on --mix-dev\n", cmd);
            return -1;
        }
    } else if (o->lambda_s) {
        char *end;
        double x = strtod(o->lambda_s, &end);
        if (end == o->lambda_s || *end || !isfinite(x)) {
            fprintf(stderr, "rnnlm %s: --lambda: '%s' is neither a number nor auto\n", cmd, o->lambda_s);
            return -1;
        }
        if (x < 0 || x > 1) {
            fprintf(stderr, "rnnlm %s: --lambda: %g is outside [0, 1] (L is the RNN's weight)\n", cmd, x);
            return -1;
        }
        o->lambda = x;
    }
    if (o->mix_dev && !o->lambda_auto) {
        fprintf(stderr, "rnnlm %s: --mix-dev is read only with --lambda auto\n", cmd);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ scoring */

/* The --ensemble members of sc, loaded and checked; 0 or -1 (err set). */
static int open_members(lm_scorer *sc, const char *list, int threads, int precision, rnnlm_err *err) {
    char *copy = strdup(list);
    if (!copy) {
        rnnlm_fail(err, RNNLM_E_NOMEM, "out of memory");
        return -1;
    }
    int rc = 0;
    const rnnlm_model *all[LM_MAX_MEMBERS + 1] = {sc->m};
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p && !rc; p = strtok_r(NULL, ",", &save)) {
        rnnlm_model *x = NULL;
        char where[64];
        if (sc->n_members == LM_MAX_MEMBERS) {
            rnnlm_fail(err, RNNLM_E_ARG, "--ensemble: more than %d models", LM_MAX_MEMBERS);
            rc = -1;
        } else if (rnnlm_model_load(&x, p, err) || (threads > 0 && rnnlm_model_set_threads(x, threads, err)) ||
                   rnnlm_model_set_precision(x, precision, err)) {
            rc = -1;
        } else if (rnnlm_model_nonfinite(x, where, sizeof where)) {
            rnnlm_fail(err, RNNLM_E_FORMAT, "%s: its weights hold NaN or Inf (%s)", p, where);
            rc = -1;
        }
        if (x) {
            sc->member[sc->n_members] = x;
            all[++sc->n_members] = x;
        }
    }
    free(copy);
    if (!rc && !sc->n_members) {
        rnnlm_fail(err, RNNLM_E_ARG, "--ensemble names no model");
        rc = -1;
    }
    if (!rc && rnnlm_ensemble_check(all, 1 + sc->n_members, err)) rc = -1;
    return rc;
}

int lm_scorer_open(lm_scorer *sc, rnnlm_model *m, lm_options *opt, int lanes, int threads, int precision,
                   rnnlm_err *err) {
    memset(sc, 0, sizeof *sc);
    sc->m = m;
    sc->opt = opt;
    sc->lanes = lanes;
    if (opt->ensemble && open_members(sc, opt->ensemble, threads, precision, err)) {
        lm_scorer_close(sc);
        return -1;
    }
    if (!opt->ngram) return 0;
    if (rnnlm_ngram_load(&sc->g, opt->ngram, err) ||
        rnnlm_mix_create(&sc->mx, rnnlm_model_vocab(m), sc->g, opt->rnn_unk,
                         opt->ngram_canon ? RNNLM_MIX_NGRAM_CANON : 0, err)) {
        lm_scorer_close(sc);
        return -1;
    }
    return 0;
}

void lm_scorer_close(lm_scorer *sc) {
    for (size_t j = 0; j < sc->n_members; j++) rnnlm_model_free(sc->member[j]);
    sc->n_members = 0;
    rnnlm_mix_free(sc->mx);
    rnnlm_ngram_free(sc->g);
    sc->mx = NULL;
    sc->g = NULL;
}

void lm_scores_free(lm_scores *s) {
    free(s->ids);
    free(s->per);
    free(s->s);
    free(s->mw);
    memset(s, 0, sizeof *s);
}

/* Sentence i's figures from its per-word values. */
static void sentence_from_words(const text_input *in, lm_scores *o, size_t i) {
    size_t len = in->sent[i + 1] - in->sent[i], oov = 0;
    double sum = 0.0;
    for (size_t p = 0; p <= len; p++) sum += o->per[in->sent[i] + i + p];
    for (size_t w = in->sent[i]; w < in->sent[i + 1]; w++) oov += o->ids[w] == RNNLM_UNK;
    rnnlm_sentence_score *s = &o->s[i];
    s->logprob = sum;
    s->log10prob = sum / log(10.0);
    s->words = len;
    s->oovs = oov;
    s->ppl = exp(-sum / (double)(len + 1));
}

/* --carry-state: one state fed the whole text, <s> once at the start and
 * after every sentence's end (the id stream training reads). */
static int score_carried(const rnnlm_model *m, const text_input *in, lm_scores *o, rnnlm_err *err) {
    size_t V = rnnlm_model_vocab_size(m);
    rnnlm_state *st = NULL;
    float *lp = rnnlm_calloc(V, sizeof *lp, "log-probabilities", err);
    int rc = -1;
    if (!lp || rnnlm_state_create(&st, m, err) || rnnlm_feed(st, RNNLM_BOS, lp, err)) goto out;
    for (size_t i = 0; i < in->n_sent; i++) {
        for (size_t k = in->sent[i]; k <= in->sent[i + 1]; k++) {
            int32_t y = k < in->sent[i + 1] ? o->ids[k] : RNNLM_BOS;
            o->per[k + i] = (double)lp[y];
            if (rnnlm_feed(st, y, lp, err)) goto out;
        }
        sentence_from_words(in, o, i);
    }
    rc = 0;
out:
    rnnlm_state_free(st);
    free(lp);
    return rc;
}

/* An adaptation (sc->adapt): the text as one stream, <s> before every
 * sentence and after the last (as --carry-state feeds it), scored in order
 * by rnnlm_eval_adapt, whose pairs are the words and ends in per's layout. */
static int score_adapted(const lm_scorer *sc, const text_input *in, lm_scores *o, rnnlm_err *err) {
    size_t n = in->n_tok + in->n_sent;   /* pairs: every word and every end */
    if (!n) return 0;
    int32_t *ids = rnnlm_calloc(n + 1, sizeof *ids, "stream", err);
    if (!ids) return -1;
    size_t k = 0;
    ids[k++] = RNNLM_BOS;
    for (size_t i = 0; i < in->n_sent; i++) {
        for (size_t w = in->sent[i]; w < in->sent[i + 1]; w++) ids[k++] = o->ids[w];
        ids[k++] = RNNLM_BOS;
    }
    rnnlm_adapt_result r;
    rnnlm_status st = rnnlm_eval_adapt(sc->m, ids, ids + 1, n, sc->adapt, &r, o->per, err);
    free(ids);
    if (st) return -1;
    for (size_t i = 0; i < in->n_sent; i++) sentence_from_words(in, o, i);
    return 0;
}

/* o's per-word values, those of sc->m, become those of the equal-weight
 * mixture of sc->m and the --ensemble members (each scored the same way),
 * and the sentences' figures follow. 0 or -1. */
static int score_members(const lm_scorer *sc, const text_input *in, lm_scores *o, rnnlm_err *err) {
    size_t n_per = in->n_tok + in->n_sent;
    lm_scores mo = *o;
    mo.per = rnnlm_calloc(n_per ? n_per : 1, sizeof *mo.per, "member scores", err);
    mo.s = mo.per ? rnnlm_calloc(in->n_sent ? in->n_sent : 1, sizeof *mo.s, "member scores", err) : NULL;
    int rc = mo.s ? 0 : -1;
    for (size_t j = 0; j < sc->n_members && !rc; j++) {
        const rnnlm_model *x = sc->member[j];
        rc = sc->opt->carry ? score_carried(x, in, &mo, err)
                            : rnnlm_score_batch(x, o->ids, in->sent, in->n_sent, sc->lanes, mo.s, mo.per, err) ? -1 : 0;
        for (size_t k = 0; k < n_per && !rc; k++) {   /* log(e^a + e^b), the larger first */
            double a = o->per[k] > mo.per[k] ? o->per[k] : mo.per[k], b = o->per[k] > mo.per[k] ? mo.per[k] : o->per[k];
            o->per[k] = a == -INFINITY ? a : a + log1p(exp(b - a));
        }
    }
    double lk = log((double)(1 + sc->n_members));
    for (size_t k = 0; k < n_per && !rc; k++) o->per[k] -= lk;
    for (size_t i = 0; i < in->n_sent && !rc; i++) sentence_from_words(in, o, i);
    free(mo.per);
    free(mo.s);
    return rc;
}

int lm_score_text(const lm_scorer *sc, const text_input *in, lm_scores *o, rnnlm_err *err) {
    memset(o, 0, sizeof *o);
    size_t n_per = in->n_tok + in->n_sent;
    o->ids = rnnlm_calloc(in->n_tok ? in->n_tok : 1, sizeof *o->ids, "word ids", err);
    o->per = o->ids ? rnnlm_calloc(n_per ? n_per : 1, sizeof *o->per, "word scores", err) : NULL;
    o->s = o->per ? rnnlm_calloc(in->n_sent ? in->n_sent : 1, sizeof *o->s, "scores", err) : NULL;
    if (!o->s) goto fail;
    const rnnlm_vocab *v = rnnlm_model_vocab(sc->m);
    for (size_t k = 0; k < in->n_tok; k++) {
        const char *w = text_word(in, k);
        o->ids[k] = rnnlm_vocab_lookup(v, w, strlen(w));
    }
    if (sc->adapt ? score_adapted(sc, in, o, err)
        : sc->opt->carry ? score_carried(sc->m, in, o, err)
                         : rnnlm_score_batch(sc->m, o->ids, in->sent, in->n_sent, sc->lanes, o->s, o->per, err) != RNNLM_OK)
        goto fail;
    if (sc->n_members && score_members(sc, in, o, err)) goto fail;
    if (!sc->mx) return 0;
    const char **words = rnnlm_calloc(in->n_tok ? in->n_tok : 1, sizeof *words, "words", err);
    o->mw = words ? rnnlm_calloc(n_per ? n_per : 1, sizeof *o->mw, "mixture scores", err) : NULL;
    if (!o->mw) {
        free(words);
        goto fail;
    }
    for (size_t k = 0; k < in->n_tok; k++) words[k] = text_word(in, k);
    for (size_t i = 0; i < in->n_sent; i++)
        if (rnnlm_mix_sentence(sc->mx, words + in->sent[i], in->sent[i + 1] - in->sent[i], o->per + in->sent[i] + i,
                               o->mw + in->sent[i] + i, err)) {
            free(words);
            goto fail;
        }
    free(words);
    return 0;
fail:
    lm_scores_free(o);
    return -1;
}

/* ------------------------------------------------------------- figures */

static double ppl_of(double log10prob, double denom) { return denom > 0 ? pow(10.0, -log10prob / denom) : NAN; }

double lm_stats_ppl(const lm_stats *st) {
    return ppl_of(st->log10prob, (double)st->words - (double)st->oovs - (double)st->zeroprobs + (double)st->sentences);
}

double lm_stats_ppl1(const lm_stats *st) {
    return ppl_of(st->log10prob, (double)st->words - (double)st->oovs - (double)st->zeroprobs);
}

/* log10 P of entry k (a word or an end) under view: NAN for an OOV,
 * -INFINITY for a zero probability. */
static double word_log10(const lm_scores *s, size_t k, int view, double lambda) {
    if (!s->mw) return s->per[k] / log(10.0);
    const rnnlm_mix_word *w = &s->mw[k];
    if (w->oov) return NAN;
    double p = view == LM_VIEW_RNN ? w->p_rnn : view == LM_VIEW_NGRAM ? w->p_ngram : -1.0;
    if (p < 0) return rnnlm_mix_log10(w, lambda);
    return p > 0 ? log10(p) : -INFINITY;
}

void lm_stats_add(lm_stats *st, const text_input *in, const lm_scores *s, size_t i, int view, double lambda) {
    st->sentences++;
    st->words += in->sent[i + 1] - in->sent[i];
    for (size_t k = in->sent[i]; k <= in->sent[i + 1]; k++) {
        double l = word_log10(s, k + i, view, lambda);
        if (isnan(l)) st->oovs++;
        else if (isinf(l)) st->zeroprobs++;
        else st->log10prob += l;
    }
}

/* A line without words (nor an utterance id): SRILM's -ppl skips it, so
 * the SRILM format and the perplexities do (the other formats print a line
 * for it, the end's figures). */
static int blank(const text_input *in, size_t i) { return !in->uid && in->sent[i + 1] == in->sent[i]; }

/* The printed view: the mixture at L with an n-gram, else the RNN. */
static int out_view(const lm_scores *s) { return s->mw ? LM_VIEW_MIX : LM_VIEW_RNN; }

/* ------------------------------------------------------------- formats */

/* SRILM's numbers: a C++ stream's default notation (printf's %g) with
 * o->digits significant digits; "undefined" for a perplexity without a
 * denominator. */
static void put_num(FILE *f, const lm_options *o, double x) {
    if (isnan(x)) fputs("undefined", f);
    else fprintf(f, "%.*g", (int)o->digits, x);
}

/* SRILM's TextStats: "N sentences, M words, K OOVs" and, when there is
 * anything to count, the zeroprobs, logprob and perplexities. */
static void put_srilm_stats(FILE *f, const lm_options *o, const lm_stats *st) {
    fprintf(f, "%zu sentences, %zu words, %zu OOVs\n", st->sentences, st->words, st->oovs);
    if (st->words + st->sentences == 0) return;
    fprintf(f, "%zu zeroprobs, logprob= ", st->zeroprobs);
    put_num(f, o, st->log10prob);
    fputs(" ppl= ", f);
    put_num(f, o, lm_stats_ppl(st));
    fputs(" ppl1= ", f);
    put_num(f, o, lm_stats_ppl1(st));
    fputc('\n', f);
}

/* The word SRILM's p( ... ) line names for entry k of sentence i: </s> at
 * the end, <unk> for an OOV or a word the RNN alone scores as <unk>. */
static const char *srilm_word(const text_input *in, const lm_scores *s, size_t i, size_t k) {
    if (k == in->sent[i + 1]) return "</s>";
    if (s->mw ? s->mw[k + i].oov : s->ids[k] == RNNLM_UNK) return "<unk>";
    return text_word(in, k);
}

static void put_srilm_sentence(FILE *f, const lm_options *o, const text_input *in, const lm_scores *s, size_t i, lm_stats *st) {
    int view = out_view(s);
    for (size_t k = in->sent[i]; k < in->sent[i + 1]; k++) fprintf(f, k > in->sent[i] ? " %s" : "%s", text_word(in, k));
    fputc('\n', f);
    if (o->debug >= 2)
        for (size_t k = in->sent[i]; k <= in->sent[i + 1]; k++) {
            /* SRILM: "\tp( w | h1 ...) \t= [tag] P [ log10P ]": the last word of
             * the history, "..." when more precedes it */
            const char *h = k == in->sent[i] ? "<s>" : srilm_word(in, s, i, k - 1);
            double l = word_log10(s, k + i, view, o->lambda);
            fprintf(f, "\tp( %s | %s%s) \t= %s ", srilm_word(in, s, i, k), h, k == in->sent[i] ? " " : " ...",
                    isnan(l) ? "[OOV]" : "[rnnlm]");
            if (isnan(l) || isinf(l)) fputs("0 [ -inf ]\n", f);
            else {
                put_num(f, o, pow(10.0, l));
                fputs(" [ ", f);
                put_num(f, o, l);
                fputs(" ]\n", f);
            }
        }
    put_srilm_stats(f, o, st);
    fputc('\n', f);
}

static const char *cost_fmt(int exact) { return exact ? "%.17g" : "%.6f"; }

int lm_write(FILE *f, const lm_options *o, const char *name, const text_input *in, const lm_scores *s, int per_word, int ids, int exact,
             lm_stats *total) {
    int view = out_view(s);
    lm_stats all;
    memset(&all, 0, sizeof all);
    const double ln10 = log(10.0);
    for (size_t i = 0; i < in->n_sent; i++) {
        lm_stats one;
        memset(&one, 0, sizeof one);
        lm_stats_add(&one, in, s, i, view, o->lambda);
        if (o->format == LM_FMT_SRILM && blank(in, i)) continue;
        lm_stats_add(&all, in, s, i, view, o->lambda);
        if (o->format == LM_FMT_SRILM) {
            if (o->debug >= 1) put_srilm_sentence(f, o, in, s, i, &one);
            continue;
        }
        if (o->format == LM_FMT_KALDI) {
            /* Kaldi's score files: the cost -ln P (OOVs not scored) */
            fprintf(f, "%s ", in->text + in->uid[i]);
            if (one.zeroprobs) fputs("inf", f);
            else fprintf(f, cost_fmt(exact), -one.log10prob * ln10 + 0.0);
            fputc('\n', f);
            continue;
        }
        if (per_word)
            for (size_t k = in->sent[i]; k <= in->sent[i + 1]; k++) {
                const char *w = k < in->sent[i + 1] ? text_word(in, k) : "</s>";
                double l10 = s->mw ? word_log10(s, k + i, view, o->lambda) : s->per[k + i] / ln10;
                double p = s->mw ? pow(10.0, l10) : exp(s->per[k + i]);
                if (isnan(l10)) fprintf(f, "\t%s\tOOV\tOOV\n", w);
                else if (exact) fprintf(f, "\t%s\t%.17g\t%.17g\n", w, p, l10);
                else fprintf(f, "\t%s\t%.6g\t%.6f\n", w, p, l10);
            }
        if (in->uid) fprintf(f, "%s\t", in->text + in->uid[i]);
        rnnlm_sentence_score sc = s->s[i];
        if (s->mw) {   /* the mixture's figures in the same columns */
            sc.log10prob = one.log10prob;
            sc.logprob = one.log10prob * ln10;
            sc.oovs = one.oovs;
            double d = (double)one.words - (double)one.oovs - (double)one.zeroprobs + 1.0;
            sc.ppl = d > 0 ? exp(-sc.logprob / d) : NAN;
        }
        if (exact) fprintf(f, "%.17g\t%.17g\t%zu\t%zu\t%.17g", sc.logprob, sc.log10prob, sc.words, sc.oovs, sc.ppl);
        else fprintf(f, "%.6f\t%.6f\t%zu\t%zu\t%.6g", sc.logprob, sc.log10prob, sc.words, sc.oovs, sc.ppl);
        if (ids) {
            fputc('\t', f);
            for (size_t k = in->sent[i]; k < in->sent[i + 1]; k++)
                fprintf(f, k > in->sent[i] ? " %d" : "%d", (int)s->ids[k]);
        }
        fputc('\n', f);
    }
    if (o->format == LM_FMT_SRILM) {
        fprintf(f, "file %s: ", name);
        put_srilm_stats(f, o, &all);
    }
    if (total) *total = all;
    return ferror(f) ? -1 : 0;
}

/* ---------------------------------------------------- perplexities, EM */

static void view_stats(lm_stats st[3], const lm_options *o, const text_input *in, const lm_scores *s) {
    memset(st, 0, 3 * sizeof *st);
    for (size_t i = 0; i < in->n_sent; i++)
        if (!blank(in, i))
            for (int v = 0; v < 3; v++) lm_stats_add(&st[v], in, s, i, v, o->lambda);
}

static const char *const UNK_MODE[] = {"split", "whole", "ngram"};

void lm_print_perplexities(FILE *f, const lm_options *o, const char *prefix, const text_input *in, const lm_scores *s) {
    lm_stats st[3];
    view_stats(st, o, in, s);
    fprintf(f, "%swords: %zu sentences, %zu words, %zu OOVs (outside both vocabularies: not scored)\n", prefix,
            st[0].sentences, st[0].words, st[0].oovs);
    static const char *const name[3] = {"rnn", "ngram", "mixture"};
    for (int v = 0; v < 3; v++) {
        fprintf(f, "%sperplexity %s %.4f (%zu zeroprobs", prefix, name[v], lm_stats_ppl(&st[v]), st[v].zeroprobs);
        if (v == LM_VIEW_MIX) fprintf(f, "; lambda %.6g", o->lambda);
        fputs(")\n", f);
    }
}

int lm_estimate_lambda(const lm_scorer *sc, size_t max_line, FILE *f, const char *prefix, rnnlm_err *err) {
    text_input dev;
    lm_scores ds;
    memset(&ds, 0, sizeof ds);
    if (text_input_read(&dev, sc->opt->mix_dev, sc->opt->utt_ids, max_line, err) || lm_score_text(sc, &dev, &ds, err)) {
        text_input_free(&dev);
        return -1;
    }
    /* the words and ends of the sentences (blank lines skipped, as the perplexities skip them) */
    size_t n = 0;
    for (size_t i = 0; i < dev.n_sent; i++)
        if (!blank(&dev, i)) {
            size_t from = dev.sent[i] + i, len = dev.sent[i + 1] - dev.sent[i] + 1;
            memmove(ds.mw + n, ds.mw + from, len * sizeof *ds.mw);
            n += len;
        }
    double L;
    int iters;
    int rc = 0;
    if (rnnlm_mix_em(ds.mw, n, 0, 0, &L, &iters, err)) {
        char m[sizeof err->msg];
        memcpy(m, err->msg, sizeof m);
        rnnlm_fail(err, err->status, "--mix-dev %s: %.*s", sc->opt->mix_dev, 400, m);
        rc = -1;
    } else {
        sc->opt->lambda = L;
        /* the held-out perplexities: over the entries scored with a non-zero
         * probability, which is SRILM's denominator (words and ends, less
         * OOVs and zeroprobs) */
        double ppl[3];
        for (int v = 0; v < 3; v++) {
            double sum = 0;
            size_t cnt = 0;
            for (size_t k = 0; k < n; k++) {
                const rnnlm_mix_word *w = &ds.mw[k];
                double p = v == LM_VIEW_RNN ? w->p_rnn : v == LM_VIEW_NGRAM ? w->p_ngram : L * w->p_rnn + (1 - L) * w->p_ngram;
                if (!w->oov && p > 0) {
                    sum += log10(p);
                    cnt++;
                }
            }
            ppl[v] = cnt ? pow(10.0, -sum / (double)cnt) : NAN;
        }
        size_t oovs = 0, ends = 0;
        for (size_t i = 0; i < dev.n_sent; i++) ends += !blank(&dev, i);
        for (size_t k = 0; k < n; k++) oovs += ds.mw[k].oov;
        fprintf(f, "%slambda %.6f (EM on %s: %zu words, %zu OOVs, %d iterations; held-out perplexity mixture %.4f, "
                   "rnn %.4f, ngram %.4f; <unk> %s over %zu words)\n",
                prefix, L, sc->opt->mix_dev, n - ends, oovs, iters, ppl[LM_VIEW_MIX], ppl[LM_VIEW_RNN], ppl[LM_VIEW_NGRAM],
                UNK_MODE[sc->opt->rnn_unk], rnnlm_mix_unk_words(sc->mx));
    }
    lm_scores_free(&ds);
    text_input_free(&dev);
    return rc;
}
