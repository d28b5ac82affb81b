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

#include "commands.h"
#include "data_opts.h"
#include "lmscore.h"
#include "opts.h"

static rnnlm_data_options g_eo;
static long g_batch, g_time, g_threads;
static int g_part, g_allow_nonfinite, g_recipe, g_precision;

static opt_spec eval_opts[] = {
    {"corpus", OPT_STR, &g_eo.corpus, 0, 0, NULL, "brown or toy instead of FILE: evaluate on a split of it"},
    {"part", OPT_CHOICE, &g_part, 0, 0, "test|train", "which split of --corpus"},
    {"split", OPT_FLOAT, &g_eo.split, -1e300, 1e300, NULL, "training fraction of --corpus's shuffled sentences"},
    {"seed", OPT_INT, &g_eo.seed, 0, 4294967295.0, NULL, "shuffle seed of the split"},
    {"brown-dir", OPT_STR, &g_eo.brown_dir, 0, 0, NULL, "directory of the Brown files"},
    {"max-line-bytes", OPT_INT, &g_eo.max_line, 1, 1 << 30, NULL, "longest accepted line of FILE"},
    {"batch-size", OPT_INT, &g_batch, 0, 100000, NULL,
     "B, rows of the stream (0: the model's training B, else 100; fewer when the text is short; "
     "1: one unbroken stream)"},
    {"max-time", OPT_INT, &g_time, 0, 100000, NULL, "T, steps of a batch (0: the model's training T, else 25)"},
    {"threads", OPT_INT, &g_threads, 0, 256, NULL, "compute threads (0: one per core)"},
    {"precision", OPT_CHOICE, &g_precision, 0, 0, "fp32|bf16", "matrix products: fp32, or bf16 inputs with fp32 sums"},
    {"allow-nonfinite", OPT_FLAG, &g_allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf (refused by default), for inspection"},
    {"recipe-batching", OPT_FLAG, &g_recipe, 0, 0, NULL,
     "drop the last n mod B predictions as the recipe's B x T batching does (its figure)"},
    OPT_TABLE_END,
};

/* The sentence path (--ngram and the formats): as `rnnlm score` scores,
 * then the perplexities, or SRILM's text on stdout with them on stderr. */
static int eval_sentences(rnnlm_model *m, const char *model_path, const char *path) {
    rnnlm_err err;
    text_input in;
    memset(&in, 0, sizeof in);
    lm_scorer sc;
    memset(&sc, 0, sizeof sc);
    lm_scores res;
    memset(&res, 0, sizeof res);
    int status = 1, srilm = g_lm.format == LM_FMT_SRILM;
    FILE *info = srilm ? stderr : stdout;   /* SRILM's text alone on stdout */
    const char *pre = srilm ? "rnnlm eval: " : "";
    if (rnnlm_model_set_precision(m, g_precision, &err) ||
        (g_threads > 0 && rnnlm_model_set_threads(m, (int)g_threads, &err)) ||
        lm_scorer_open(&sc, m, 64, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        goto done;
    }
    char cpath[256];
    rnnlm_model_compute_path(m, cpath, sizeof cpath);
    fprintf(info, "%scompute: %s\n", pre, cpath);
    rnnlm_model_info cfg;
    rnnlm_model_info_get(m, &cfg);
    fprintf(info, "%smodel: %s (%s, V %d, E %d, H %d, L %d)\n", pre, model_path, rnnlm_cell_name(cfg.cell), cfg.V,
            cfg.E, cfg.H, cfg.L);
    if (sc.g) {
        static const char *const unk[] = {"split evenly among them", "whole to each", "replaced by the n-gram's"};
        fprintf(info, "%sngram: %s (order %d, %zu words; %zu of them the RNN lacks: P_rnn(<unk>) %s)\n", pre,
                g_lm.ngram, rnnlm_ngram_order(sc.g), rnnlm_ngram_vocab_size(sc.g), rnnlm_mix_unk_words(sc.mx),
                unk[g_lm.rnn_unk]);
    }
    fflush(info);
    if ((g_lm.lambda_auto && lm_estimate_lambda(&sc, (size_t)g_eo.max_line, info, pre, &err)) ||
        text_input_read(&in, path, g_lm.utt_ids, (size_t)g_eo.max_line, &err) || lm_score_text(&sc, &in, &res, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        goto done;
    }
    fprintf(info, "%sdata: %s (file): %zu sentences, %zu words, scored %s\n", pre, path, in.n_sent, in.n_tok,
            g_lm.carry ? "with the state carried across lines" : "one line at a time from <s>");
    if (srilm && lm_write(stdout, path, &in, &res, 0, 0, 0, NULL)) {
        fprintf(stderr, "rnnlm eval: writing the output: %s\n", strerror(errno));
        goto done;
    }
    if (sc.mx) {
        lm_print_perplexities(info, pre, &in, &res);
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

int cmd_eval(int argc, char **argv) {
    data_opts_defaults(&g_eo);
    g_eo.corpus = NULL;
    g_batch = 0;
    g_time = 0;
    g_threads = 0;
    g_precision = 0;
    g_part = 0;
    g_allow_nonfinite = 0;
    g_recipe = 0;
    lm_opts_defaults();
    const char *pos[2];
    int n_pos, rc = opts_parse("eval", argc, argv, eval_opts, lm_opts, pos, 2, &n_pos,
                               "MODEL FILE | MODEL --corpus brown|toy [options]");
    if (rc) return rc > 0 ? 0 : 2;
    if (lm_opts_check("eval", 0)) return 2;
    int by_sentence = g_lm.ngram || g_lm.format != LM_FMT_DEFAULT || g_lm.utt_ids || g_lm.independent || g_lm.carry;
    if (by_sentence && g_eo.corpus) {
        fprintf(stderr, "rnnlm eval: --ngram, --format, --utt-ids, --independent and --carry-state score a FILE "
                        "sentence by sentence, not --corpus\n");
        return 2;
    }
    if (n_pos < 1 || n_pos + (g_eo.corpus != NULL) != 2) {
        fprintf(stderr, "rnnlm eval: needs a model and either a text file or --corpus: "
                        "rnnlm eval MODEL FILE | MODEL --corpus brown\n");
        return 2;
    }
    rnnlm_err err;
    rnnlm_model *m = NULL;
    if (rnnlm_model_load_ex(&m, pos[0], g_allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        return 1;
    }
    warn_nonfinite("eval", pos[0], m);
    /* by default the batch shape of the model's training run (its
     * validation figures are then reproduced exactly) */
    long mb, mt;
    if (rnnlm_model_train_shape(m, &mb, &mt, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        rnnlm_model_free(m);
        return 1;
    }
    if (by_sentence) {
        int st = eval_sentences(m, pos[0], pos[1]);
        rnnlm_model_free(m);
        return st;
    }
    if (!g_batch) g_batch = mb;
    if (!g_time) g_time = mt;
    int status = 1;
    rnnlm_dataset d;
    memset(&d, 0, sizeof d);
    int32_t *ids = NULL;
    const int32_t *x, *y;
    size_t n, sentences, tokens;
    const char *what;
    if (g_eo.corpus) {
        g_eo.fixed_vocab = rnnlm_model_vocab(m);
        if (dataset_load(&d, &g_eo)) goto done;
        const rnnlm_split_data *sp = g_part == 1 ? &d.train : &d.test;
        x = sp->x;
        y = sp->y;
        n = sp->n;
        sentences = sp->sentences;
        tokens = sp->tokens;
        what = g_part == 1 ? "train" : "test";
    } else {
        rnnlm_corpus *c;
        size_t n_ids;
        if (rnnlm_corpus_read_text(&c, pos[1], (size_t)g_eo.max_line, &err) ||
            rnnlm_ids_build(c, rnnlm_model_vocab(m), NULL, 0, 1, &ids, &n_ids, &err)) {
            fprintf(stderr, "rnnlm eval: %s\n", err.msg);
            goto done;
        }
        sentences = rnnlm_corpus_sentences(c);
        tokens = rnnlm_corpus_tokens(c);
        rnnlm_corpus_free(c);
        x = ids;
        y = ids + 1;
        n = n_ids - 1;
        what = "file";
    }
    rnnlm_eval_options eo = {(int)g_batch, (int)g_time, g_recipe, (int)g_threads};
    if (rnnlm_model_set_precision(m, g_precision, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        goto done;
    }
    if (g_threads > 0 && rnnlm_model_set_threads(m, (int)g_threads, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        goto done;
    }
    char path[256];
    rnnlm_model_compute_path(m, path, sizeof path);
    printf("compute: %s\n", path);
    fflush(stdout);
    rnnlm_eval_stream_result res;
    if (rnnlm_eval_stream(m, x, y, n, &eo, &res, &err)) {
        fprintf(stderr, "rnnlm eval: %s: %s\n", g_eo.corpus ? g_eo.corpus : pos[1], err.msg);
        goto done;
    }
    const rnnlm_eval_result tot = res.r;
    size_t tail = res.tail, unk = res.unk;
    char left[96] = "";
    if (tail)
        snprintf(left, sizeof left, g_recipe ? "; the last %zu dropped" : "; the last %zu as one more row", tail);
    double ce = tot.loss_sum / (double)tot.count;
    rnnlm_model_info cfg;
    rnnlm_model_info_get(m, &cfg);
    printf("model: %s (%s, V %d, E %d, H %d, L %d)\n", pos[0],
           rnnlm_cell_name(cfg.cell), cfg.V, cfg.E, cfg.H,
           cfg.L);
    printf("data: %s (%s): %zu sentences, %zu tokens, %lld predictions (B %d, T %d%s)\n",
           g_eo.corpus ? g_eo.corpus : pos[1], what, sentences, tokens, (long long)tot.count, res.B, res.T, left);
    char ppl[32];
    printf("perplexity %s\n", fmt_ppl(ppl, sizeof ppl, exp(ce), 4));
    printf("cross-entropy %.6f nats %.6f bits\n", ce, ce / log(2.0));
    printf("accuracy %.6f\n", (double)tot.correct / (double)tot.count);
    printf("oov-rate %.6f (%zu of %lld targets are <unk>)\n", (double)unk / (double)tot.count, unk,
           (long long)tot.count);
    status = 0;
done:
    free(ids);
    rnnlm_dataset_free(&d);
    rnnlm_model_free(m);
    return status;
}
