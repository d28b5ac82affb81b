/* cmd_eval.c: `rnnlm eval MODEL FILE | --corpus brown|toy`: perplexity,
 * cross-entropy, accuracy and OOV rate of a model on held-out text, with the
 * model's own vocabulary and canonicalisation, evaluated as the recipe
 * evaluates (and as `rnnlm train` validates): the id stream (<s> before
 * every sentence and after the last), cut into B rows carried across
 * batches of T steps (rnnlm_eval_stream). The n mod B pairs that
 * batching leaves over (the recipe drops them) are then scored as one more
 * row continuing the last row's state, so every prediction counts
 * (--recipe-batching: dropped, the recipe's figure). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "data_opts.h"
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
    const char *pos[2];
    int n_pos, rc = opts_parse("eval", argc, argv, eval_opts, NULL, pos, 2, &n_pos,
                               "MODEL FILE | MODEL --corpus brown|toy [options]");
    if (rc) return rc > 0 ? 0 : 2;
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
