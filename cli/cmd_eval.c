/* cmd_eval.c: `rnnlm eval MODEL FILE | --corpus brown|toy`: perplexity,
 * cross-entropy, accuracy and OOV rate of a model on held-out text, with the
 * model's own vocabulary and canonicalisation, evaluated as the recipe
 * evaluates (and as `rnnlm train` validates): the id stream (<s> before
 * every sentence and after the last), cut into B rows carried across
 * batches of T steps (rnnlm_eval_stream). The n mod B pairs that
 * batching leaves over (the recipe drops them) are then scored as one more
 * row continuing the last row's state, so every prediction counts
 * (--recipe-batching: dropped, the recipe's figure).
 *
 * With --ngram (or --format srilm, --utt-ids, --independent, --carry-state)
 * a FILE is scored sentence by sentence instead, through `rnnlm score`'s
 * machinery (lmscore.h): each line from <s> with an empty state (or the
 * state carried across lines), every word's probability aligned with the
 * word so that it can be interpolated with the n-gram; the RNN, n-gram and
 * mixture perplexities are printed as SRILM counts them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapt_opts.h"
#include "commands.h"
#include "data_opts.h"
#include "lmscore.h"
#include "opts.h"

typedef struct {
    rnnlm_data_options data;   /* --corpus, its split, and the text reader's line limit */
    long batch, time, threads;
    int part, allow_nonfinite, recipe, precision;
    lm_options lm;             /* the sentence path's flags (lmscore.h) */
    adapt_cli adapt;           /* evaluation-time adaptation (adapt_opts.h) */
} eval_options;

static opt_table eval_table(eval_options *o) {
    return (opt_table){{
        {"corpus", OPT_STR, &o->data.corpus, 0, 0, NULL, "brown or toy instead of FILE: evaluate on a split of it"},
        {"part", OPT_CHOICE, &o->part, 0, 0, "test|train|valid", "which split of --corpus (valid: needs --valid-split)"},
        {"split", OPT_FLOAT, &o->data.split, -1e300, 1e300, NULL, "training fraction of --corpus's shuffled sentences"},
        {"valid-split", OPT_FLOAT, &o->data.valid_split, 0, 1, NULL,
         "fraction of --corpus's training sentences held out as validation, as the run did (0: none): "
         "--part valid evaluates it, --ngram --lambda auto fits L on it"},
        {"seed", OPT_INT, &o->data.seed, 0, 4294967295.0, NULL, "shuffle seed of the split"},
        {"brown-dir", OPT_STR, &o->data.brown_dir, 0, 0, NULL, "directory of the Brown files"},
        {"max-line-bytes", OPT_INT, &o->data.max_line, 1, 1 << 30, NULL, "longest accepted line of FILE"},
        {"batch-size", OPT_INT, &o->batch, 0, 100000, NULL,
         "B, rows of the stream (0: the model's training B, else 100; fewer when the text is short; "
         "1: one unbroken stream)"},
        {"max-time", OPT_INT, &o->time, 0, 100000, NULL, "T, steps of a batch (0: the model's training T, else 25)"},
        {"threads", OPT_INT, &o->threads, 0, 256, NULL, "compute threads (0: one per core)"},
        {"precision", OPT_CHOICE, &o->precision, 0, 0, "fp32|bf16|auto",
         "matrix products: fp32, bf16 inputs with fp32 sums, or auto: bf16 where measured faster here"},
        {"allow-nonfinite", OPT_FLAG, &o->allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf (refused by default), for inspection"},
        {"recipe-batching", OPT_FLAG, &o->recipe, 0, 0, NULL,
         "drop the last n mod B predictions as the recipe's B x T batching does (its figure)"},
        ADAPT_OPT_ROWS(&o->adapt),
        OPT_TABLE_END,
    }};
}

/* The sentence path (--ngram and the formats): as `rnnlm score` scores,
 * then the perplexities, or SRILM's text on stdout with them on stderr. */
static int eval_sentences(rnnlm_model *m, eval_options *o, const char *model_path, const char *path) {
    rnnlm_err err;
    text_input in;
    memset(&in, 0, sizeof in);
    lm_scorer sc;
    memset(&sc, 0, sizeof sc);
    lm_scores res;
    memset(&res, 0, sizeof res);
    int status = 1, srilm = o->lm.format == LM_FMT_SRILM;
    FILE *info = srilm ? stderr : stdout;   /* SRILM's text alone on stdout */
    const char *pre = srilm ? "rnnlm eval: " : "";
    if ((o->threads > 0 && rnnlm_model_set_threads(m, (int)o->threads, &err)) ||
        rnnlm_model_set_precision(m, o->precision, &err) ||   /* auto measures at these threads */
        lm_scorer_open(&sc, m, &o->lm, 64, (int)o->threads, o->precision, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        goto done;
    }
    if (sc.g) note_ngram_rounding("eval", o->lm.ngram, sc.g);
    char cpath[512];
    rnnlm_model_compute_path(m, cpath, sizeof cpath);
    fprintf(info, "%scompute: %s\n", pre, cpath);
    rnnlm_model_info cfg;
    rnnlm_model_info_get(m, &cfg);
    fprintf(info, "%smodel: %s (%s, V %d, E %d, H %d, L %d)\n", pre, model_path, rnnlm_cell_name(cfg.cell), cfg.V,
            cfg.E, cfg.H, cfg.L);
    if (sc.n_members)
        fprintf(info, "%sensemble: %s and %zu more (%s), equal weights: the RNN's P(w) the mean of theirs\n", pre,
                model_path, sc.n_members, o->lm.ensemble);
    if (sc.g) {
        static const char *const unk[] = {"split evenly among them", "whole to each", "replaced by the n-gram's"};
        fprintf(info, "%sngram: %s (order %d, %zu words; %zu of them the RNN lacks: P_rnn(<unk>) %s)\n", pre,
                o->lm.ngram, rnnlm_ngram_order(sc.g), rnnlm_ngram_vocab_size(sc.g), rnnlm_mix_unk_words(sc.mx),
                unk[o->lm.rnn_unk]);
    }
    fflush(info);
    if ((o->lm.lambda_auto && lm_estimate_lambda(&sc, (size_t)o->data.max_line, info, pre, &err)) ||
        text_input_read(&in, path, o->lm.utt_ids, (size_t)o->data.max_line, &err) || lm_score_text(&sc, &in, &res, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        goto done;
    }
    fprintf(info, "%sdata: %s (file): %zu sentences, %zu words, scored %s\n", pre, path, in.n_sent, in.n_tok,
            o->lm.carry ? "with the state carried across lines" : "one line at a time from <s>");
    if (srilm && lm_write(stdout, &o->lm, path, &in, &res, 0, 0, 0, NULL)) {
        fprintf(stderr, "rnnlm eval: writing the output: %s\n", strerror(errno));
        goto done;
    }
    if (sc.mx) {
        lm_print_perplexities(info, &o->lm, pre, &in, &res);
    } else {
        lm_stats st;
        memset(&st, 0, sizeof st);
        for (size_t i = 0; i < in.n_sent; i++) lm_stats_add(&st, &in, &res, i, LM_VIEW_RNN, 1.0);
        fprintf(info, "%sperplexity %.4f\n", pre, lm_stats_ppl(&st));
    }
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "rnnlm eval: writing the output: %s\n", strerror(errno));
        goto done;
    }
    status = 0;
done:
    lm_scores_free(&res);
    text_input_free(&in);
    lm_scorer_close(&sc);
    return status;
}

/* The stream the id path evaluates: a split of --corpus, or FILE's ids
 * (<s> before every sentence and after the last). */
typedef struct {
    rnnlm_dataset d;
    int32_t *ids;
    const int32_t *x, *y;
    size_t n, sentences, tokens;
    const char *what;   /* "train", "test" or "file" */
} eval_stream;

/* 0, or -1 after a message. */
static int eval_stream_load(eval_stream *s, eval_options *o, const rnnlm_model *m, const char *path) {
    memset(s, 0, sizeof *s);
    if (o->data.corpus) {
        o->data.fixed_vocab = rnnlm_model_vocab(m);
        if (dataset_load(&s->d, &o->data)) return -1;
        const rnnlm_split_data *sp = o->part == 1 ? &s->d.train : o->part == 2 ? &s->d.valid : &s->d.test;
        s->x = sp->x;
        s->y = sp->y;
        s->n = sp->n;
        s->sentences = sp->sentences;
        s->tokens = sp->tokens;
        s->what = o->part == 1 ? "train" : o->part == 2 ? "valid" : "test";
        return 0;
    }
    rnnlm_err err;
    rnnlm_corpus *c;
    size_t n_ids;
    if (rnnlm_corpus_read_text(&c, path, (size_t)o->data.max_line, &err) ||
        rnnlm_ids_build(c, rnnlm_model_vocab(m), NULL, 0, 1, &s->ids, &n_ids, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        return -1;
    }
    s->sentences = rnnlm_corpus_sentences(c);
    s->tokens = rnnlm_corpus_tokens(c);
    rnnlm_corpus_free(c);
    s->x = s->ids;
    s->y = s->ids + 1;
    s->n = n_ids - 1;
    s->what = "file";
    return 0;
}

static void eval_stream_free(eval_stream *s) {
    free(s->ids);
    rnnlm_dataset_free(&s->d);
}

/* The figures of the id path. */
static void print_stream_figures(const rnnlm_model *m, const char *model_path, const char *data_name,
                                 const eval_stream *s, const rnnlm_eval_stream_result *res, int recipe) {
    const rnnlm_eval_result tot = res->r;
    size_t tail = res->tail, unk = res->unk;
    char left[96] = "";
    if (tail)
        snprintf(left, sizeof left, recipe ? "; the last %zu dropped" : "; the last %zu as one more row", tail);
    double ce = tot.loss_sum / (double)tot.count;
    rnnlm_model_info cfg;
    rnnlm_model_info_get(m, &cfg);
    printf("model: %s (%s, V %d, E %d, H %d, L %d)\n", model_path,
           rnnlm_cell_name(cfg.cell), cfg.V, cfg.E, cfg.H,
           cfg.L);
    printf("data: %s (%s): %zu sentences, %zu tokens, %lld predictions (B %d, T %d%s)\n",
           data_name, s->what, s->sentences, s->tokens, (long long)tot.count, res->B, res->T, left);
    char ppl[32];
    printf("perplexity %s\n", fmt_ppl(ppl, sizeof ppl, exp(ce), 4));
    printf("cross-entropy %.6f nats %.6f bits\n", ce, ce / log(2.0));
    printf("accuracy %.6f\n", (double)tot.correct / (double)tot.count);
    printf("oov-rate %.6f (%zu of %lld targets are <unk>)\n", (double)unk / (double)tot.count, unk,
           (long long)tot.count);
}

/* The adapted figures (docs/ADAPTATION.md), after the plain ones: the
 * stream as one row without adaptation, then each adaptation asked for,
 * then both together when both are: one line each. 0, or -1 after a
 * message. */
static int print_adapted(const rnnlm_model *m, const adapt_cli *a, const char *data_name, const eval_stream *s) {
    rnnlm_adapt_options runs[4] = {a->o, a->o, a->o, a->o};
    int n = 0;
    runs[n].dynamic_lr = 0, runs[n++].cache_size = 0;
    if (a->o.dynamic_lr > 0) runs[n++].cache_size = 0;
    if (a->o.cache_size > 0) runs[n++].dynamic_lr = 0;
    if (a->o.dynamic_lr > 0 && a->o.cache_size > 0) n++;
    for (int i = 0; i < n; i++) {
        rnnlm_adapt_result r;
        rnnlm_err err;
        if (rnnlm_eval_adapt(m, s->x, s->y, s->n, &runs[i], &r, NULL, &err)) {
            fprintf(stderr, "rnnlm eval: %s: %s\n", data_name, err.msg);
            return -1;
        }
        char what[300], ppl[32], skipped[96] = "";
        if (r.skipped)
            snprintf(skipped, sizeof skipped, " (%zu of %zu steps skipped: not finite)", r.skipped, r.steps + r.skipped);
        printf("%s%s: ppl %s%s\n", i ? "" : "one stream (B 1), ", adapt_describe(what, sizeof what, &runs[i]),
               fmt_ppl(ppl, sizeof ppl, exp(r.loss_sum / (double)r.count), 4), skipped);
        fflush(stdout);
    }
    return 0;
}

/* m's threads and precision from o (auto measures at these threads), and
 * the compute line; 0 or -1 after a message. */
static int eval_compute(rnnlm_model *m, const eval_options *o) {
    rnnlm_err err;
    if ((o->threads > 0 && rnnlm_model_set_threads(m, (int)o->threads, &err)) ||
        rnnlm_model_set_precision(m, o->precision, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        return -1;
    }
    char cpath[512];
    rnnlm_model_compute_path(m, cpath, sizeof cpath);
    printf("compute: %s\n", cpath);
    fflush(stdout);
    return 0;
}

/* The id path: the stream cut into B rows of T steps (rnnlm_eval_stream). */
static int eval_ids(rnnlm_model *m, eval_options *o, const char *model_path, const char *path) {
    int status = 1;
    rnnlm_err err;
    eval_stream s;
    if (eval_stream_load(&s, o, m, path)) goto done;
    rnnlm_eval_options eo = {(int)o->batch, (int)o->time, o->recipe, (int)o->threads, NULL};
    if (eval_compute(m, o)) goto done;
    rnnlm_eval_stream_result res;
    const char *data_name = o->data.corpus ? o->data.corpus : path;
    if (rnnlm_eval_stream(m, s.x, s.y, s.n, &eo, &res, &err)) {
        fprintf(stderr, "rnnlm eval: %s: %s\n", data_name, err.msg);
        goto done;
    }
    print_stream_figures(m, model_path, data_name, &s, &res, o->recipe);
    fflush(stdout);
    if (adapt_active(&o->adapt)) {
        if (adapt_tune(&o->adapt, m, (size_t)o->data.max_line, stdout, "", &err)) {
            fprintf(stderr, "rnnlm eval: %s\n", err.msg);
            goto done;
        }
        if (print_adapted(m, &o->adapt, data_name, &s)) goto done;
    }
    status = 0;
done:
    eval_stream_free(&s);
    return status;
}

/* --lambda auto on --corpus: L fitted by EM on the validation split of s's
 * dataset, MODEL and its members (mm[0..k)) scoring it as they score the
 * evaluated split; into o->lm.lambda, with a line. 0, or -1 after a message. */
static int fit_lambda(eval_options *o, const rnnlm_model *const *mm, size_t k, const lm_scorer *sc,
                      const eval_stream *s) {
    const rnnlm_split_data *v = &s->d.valid;
    rnnlm_err err;
    double *lp = rnnlm_calloc(v->n ? v->n : 1, sizeof *lp, "log-probabilities", &err);
    rnnlm_mix_word *mw = lp ? rnnlm_calloc(v->n ? v->n : 1, sizeof *mw, "the validation split's mixture", &err) : NULL;
    rnnlm_eval_options eo = {(int)o->batch, (int)o->time, 0, (int)o->threads, lp};
    rnnlm_eval_stream_result r;
    int iters, status = -1;
    if (mw && rnnlm_eval_ensemble(mm, k, v->x, v->y, v->n, &eo, &r, NULL, &err) == RNNLM_OK &&
        rnnlm_mix_stream(sc->mx, v->x, v->y, v->n, lp, mw, &err) == RNNLM_OK &&
        rnnlm_mix_em(mw, v->n, 0, 0, &o->lm.lambda, &iters, &err) == RNNLM_OK) {
        printf("lambda: L = %.6f, fitted by EM on the validation split (%zu pairs, %d steps)\n", o->lm.lambda, v->n,
               iters);
        status = 0;
    } else {
        fprintf(stderr, "rnnlm eval: --lambda auto on the validation split: %s\n", err.msg);
    }
    free(mw);
    free(lp);
    return status;
}

/* The ensemble path: MODEL and the --ensemble members (loaded and checked
 * by lm_scorer_open) on the id stream, each member as the id path
 * evaluates it, then their mixture; with --ngram (and --corpus), the
 * model's or the mixture's probability of each pair interpolated with the
 * n-gram's at --lambda (rnnlm_mix_stream). */
static int eval_ensemble(rnnlm_model *m, eval_options *o, const char *model_path, const char *path) {
    int status = 1;
    rnnlm_err err;
    eval_stream s;
    memset(&s, 0, sizeof s);
    lm_scorer sc;
    memset(&sc, 0, sizeof sc);
    double *lp = NULL;
    rnnlm_mix_word *mw = NULL;
    char *names = o->lm.ensemble ? strdup(o->lm.ensemble) : NULL;
    if ((o->lm.ensemble && !names) || eval_stream_load(&s, o, m, path) || eval_compute(m, o)) goto done;
    if (lm_scorer_open(&sc, m, &o->lm, 64, (int)o->threads, o->precision, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        goto done;
    }
    if (sc.g) note_ngram_rounding("eval", o->lm.ngram, sc.g);
    const rnnlm_model *mm[LM_MAX_MEMBERS + 1] = {m};
    size_t k = 1 + sc.n_members;
    for (size_t j = 1; j < k; j++) mm[j] = sc.member[j - 1];
    if (sc.mx && o->lm.lambda_auto && fit_lambda(o, mm, k, &sc, &s)) goto done;
    if (sc.mx && (!(lp = rnnlm_calloc(s.n, sizeof *lp, "log-probabilities", &err)) ||
                  !(mw = rnnlm_calloc(s.n, sizeof *mw, "the mixture's pairs", &err)))) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        goto done;
    }
    rnnlm_eval_options eo = {(int)o->batch, (int)o->time, 0, (int)o->threads, lp};
    rnnlm_eval_stream_result res;
    double member_loss[LM_MAX_MEMBERS + 1];
    const char *data_name = o->data.corpus ? o->data.corpus : path;
    if (rnnlm_eval_ensemble(mm, k, s.x, s.y, s.n, &eo, &res, member_loss, &err) ||
        (mw && rnnlm_mix_stream(sc.mx, s.x, s.y, s.n, lp, mw, &err))) {
        fprintf(stderr, "rnnlm eval: %s: %s\n", data_name, err.msg);
        goto done;
    }
    char ppl[32], *save = NULL, *name = names ? strtok_r(names, ",", &save) : NULL;
    for (size_t j = 0; j < k; j++, name = j > 1 ? strtok_r(NULL, ",", &save) : name) {
        rnnlm_model_info cfg;
        rnnlm_model_info_get(mm[j], &cfg);
        long mb = 0, mt = 0;
        rnnlm_model_train_shape(mm[j], &mb, &mt, &err);
        char who[32] = "model";
        if (k > 1) snprintf(who, sizeof who, "member %zu", j + 1);
        printf("%s: %s (%s, V %d, E %d, H %d, L %d) - perplexity %s (B %ld, T %ld)\n", who, j ? name : model_path, rnnlm_cell_name(cfg.cell), cfg.V, cfg.E, cfg.H, cfg.L,
               fmt_ppl(ppl, sizeof ppl, exp(member_loss[j] / (double)res.r.count), 4), o->batch ? o->batch : mb,
               o->time ? o->time : mt);
    }
    double ce = res.r.loss_sum / (double)res.r.count;
    printf("data: %s (%s): %zu sentences, %zu tokens, %lld predictions\n", data_name, s.what, s.sentences, s.tokens,
           (long long)res.r.count);
    if (k > 1) printf("ensemble of %zu (equal weights): perplexity %s\n", k, fmt_ppl(ppl, sizeof ppl, exp(ce), 4));
    if (mw) {   /* both components are positive at every pair but where the n-gram lacks the word */
        double sum = 0.0, sg = 0.0, L = o->lm.lambda;
        size_t zeros = 0;
        for (size_t i = 0; i < s.n; i++) {
            sum -= log(L * mw[i].p_rnn + (1.0 - L) * mw[i].p_ngram);
            if (mw[i].p_ngram > 0) sg -= log(mw[i].p_ngram);
            else zeros++;
        }
        char gp[32], zs[96] = "";
        if (zeros) snprintf(zs, sizeof zs, ", %zu pairs at probability 0 left out", zeros);
        printf("interpolated with the %d-gram %s, L %g: perplexity %s (the n-gram alone %s%s)\n",
               rnnlm_ngram_order(sc.g), o->lm.ngram, L, fmt_ppl(ppl, sizeof ppl, exp(sum / (double)s.n), 4),
               fmt_ppl(gp, sizeof gp, s.n > zeros ? exp(sg / (double)(s.n - zeros)) : NAN, 4), zs);
        ce = sum / (double)s.n;
    }
    printf("cross-entropy %.6f nats %.6f bits\n", ce, ce / log(2.0));
    printf("oov-rate %.6f (%zu of %lld targets are <unk>)\n", (double)res.unk / (double)res.r.count, res.unk,
           (long long)res.r.count);
    status = fflush(stdout) ? 1 : 0;
done:
    if (o->lm.ensemble && !names) fprintf(stderr, "rnnlm eval: out of memory\n");
    free(mw);
    free(lp);
    lm_scorer_close(&sc);
    eval_stream_free(&s);
    free(names);
    return status;
}

/* The arguments' combinations: 0, or 2 after a message. */
static int eval_check(const eval_options *o, int n_pos, int by_sentence) {
    if (by_sentence && o->data.corpus) {
        fprintf(stderr, "rnnlm eval: --format, --utt-ids, --independent and --carry-state score a FILE "
                        "sentence by sentence, not --corpus\n");
        return 2;
    }
    if (n_pos < 1 || n_pos + (o->data.corpus != NULL) != 2) {
        fprintf(stderr, "rnnlm eval: needs a model and either a text file or --corpus: "
                        "rnnlm eval MODEL FILE | MODEL --corpus brown\n");
        return 2;
    }
    return 0;
}

int cmd_eval(int argc, char **argv) {
    eval_options o = {0};
    data_opts_defaults(&o.data);
    o.data.corpus = NULL;
    lm_opts_defaults(&o.lm);
    adapt_cli_defaults(&o.adapt);
    opt_table t = eval_table(&o), lt = lm_opt_table(&o.lm);
    const char *pos[2];
    int n_pos, rc = opts_parse("eval", argc, argv, t.opt, lt.opt, pos, 2, &n_pos,
                               "MODEL FILE | MODEL --corpus brown|toy [options]");
    if (rc) return rc > 0 ? 0 : 2;
    /* --ngram on a FILE scores it sentence by sentence; on --corpus's stream, pair by pair */
    int stream_ngram = o.lm.ngram && o.data.corpus;
    if (lm_opts_check("eval", &o.lm, stream_ngram ? LM_CHECK_SPLIT : 0) || adapt_opts_check("eval", &o.adapt))
        return 2;
    if ((o.part == 2 || (stream_ngram && o.lm.lambda_auto)) && !(o.data.corpus && o.data.valid_split > 0)) {
        fprintf(stderr, "rnnlm eval: %s the validation split of --corpus: give --valid-split F, the fraction the "
                        "run held out\n", o.part == 2 ? "--part valid evaluates" : "--lambda auto is fitted on");
        return 2;
    }
    int by_sentence = (o.lm.ngram && !stream_ngram) || o.lm.format != LM_FMT_DEFAULT || o.lm.utt_ids ||
                      o.lm.independent || o.lm.carry;
    if (stream_ngram && (adapt_active(&o.adapt) || o.recipe)) {
        fprintf(stderr, "rnnlm eval: --ngram with --corpus interpolates every pair of the stream: not with the "
                        "adaptations or --recipe-batching\n");
        return 2;
    }
    if (by_sentence && adapt_active(&o.adapt)) {
        fprintf(stderr, "rnnlm eval: the adaptations (--dynamic-lr, --cache-size) evaluate the id stream, not "
                        "the sentence path of --ngram, --format, --utt-ids, --independent, --carry-state "
                        "(rnnlm score scores lines adapted)\n");
        return 2;
    }
    if (o.lm.ensemble && (adapt_active(&o.adapt) || o.recipe)) {
        fprintf(stderr, "rnnlm eval: --ensemble scores every pair with every member: not with the adaptations "
                        "or --recipe-batching\n");
        return 2;
    }
    if (eval_check(&o, n_pos, by_sentence)) return 2;
    rnnlm_err err;
    rnnlm_model *m = load_model("eval", pos[0], o.allow_nonfinite);
    if (!m) return 1;
    /* by default the batch shape of the model's training run (its
     * validation figures are then reproduced exactly) */
    long mb, mt;
    int status;
    if (rnnlm_model_train_shape(m, &mb, &mt, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        status = 1;
    } else if (by_sentence) {
        status = eval_sentences(m, &o, pos[0], pos[1]);
    } else if (o.lm.ensemble || stream_ngram) {
        status = eval_ensemble(m, &o, pos[0], pos[1]);
    } else {
        if (!o.batch) o.batch = mb;
        if (!o.time) o.time = mt;
        status = eval_ids(m, &o, pos[0], pos[1]);
    }
    rnnlm_model_free(m);
    return status;
}
