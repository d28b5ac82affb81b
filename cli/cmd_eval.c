/* cmd_eval.c: `rnnlm eval MODEL FILE | --corpus brown|toy`: perplexity,
 * cross-entropy, accuracy and OOV rate of a model on held-out text, with the
 * model's own vocabulary and canonicalisation, evaluated as the recipe
 * evaluates (and as `rnnlm train` validates): the id stream (<s> before
 * every sentence and after the last), cut into B rows carried across
 * batches of T steps, model_eval_batch on each. The n mod B pairs that
 * batching leaves over (the recipe drops them) are then scored as one more
 * row continuing the last row's state, so every prediction counts
 * (--recipe-batching: dropped, the recipe's figure). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "commands.h"
#include "dataset.h"
#include "model.h"
#include "opts.h"

static data_opts g_eo;
static long g_batch, g_time, g_threads;
static int g_part, g_allow_nonfinite, g_recipe;

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
    {"threads", OPT_INT, &g_threads, 0, 256, NULL, "BLAS threads (0: one per core)"},
    {"allow-nonfinite", OPT_FLAG, &g_allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf (refused by default), for inspection"},
    {"recipe-batching", OPT_FLAG, &g_recipe, 0, 0, NULL,
     "drop the last n mod B predictions as the recipe's B x T batching does (its figure)"},
    OPT_TABLE_END,
};

/* Scores the n pairs x -> y that follow the last of the B rows just
 * evaluated, as that row's continuation: its final state (model_state's
 * layout, row B-1 of each layer's h and c) becomes the state of a one-row
 * batch, then up to T pairs a batch. Adds to *tot and *unk. */
static rnnlm_status eval_tail(model *m, const int32_t *x, const int32_t *y, size_t n, int B, int T,
                              batch_stats *tot, size_t *unk, rnnlm_err *err) {
    const model_config *cfg = model_cfg(m);
    size_t H = (size_t)cfg->H, L = (size_t)cfg->L, parts = cfg->cell == CELL_LSTM ? 2 : 1;
    float *row = malloc(parts * L * H * sizeof *row);
    if (!row) return rnnlm_fail(err, RNNLM_E_NOMEM, "out of memory");
    for (size_t p = 0; p < parts; p++)   /* (L, B, H): layer l, row B-1 */
        for (size_t l = 0; l < L; l++)
            memcpy(row + (p * L + l) * H, model_state(m) + (p * L + l) * (size_t)B * H + (size_t)(B - 1) * H,
                   H * sizeof *row);
    rnnlm_status st = model_reserve(m, 1, T, err);
    if (!st) memcpy(model_state(m), row, parts * L * H * sizeof *row);   /* (L, 1, H) */
    free(row);
    for (size_t c = 0; !st && c < n; c += (size_t)T) {
        int w = n - c < (size_t)T ? (int)(n - c) : T;
        batch_stats bs;
        st = model_eval_batch(m, x + c, y + c, 1, w, &bs, err);
        if (st) break;
        tot->loss_sum += bs.loss_sum;
        tot->correct += bs.correct;
        tot->count += bs.count;
        for (int i = 0; i < w; i++) *unk += y[c + (size_t)i] == RNNLM_UNK;
    }
    return st;
}

int cmd_eval(int argc, char **argv) {
    data_opts_defaults(&g_eo);
    g_eo.corpus = NULL;
    g_batch = 0;
    g_time = 0;
    g_threads = 0;
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
    model *m = NULL;
    rnnlm_vocab *v = NULL;
    st_file *meta = NULL;
    if (checkpoint_load_ex(pos[0], g_allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0, &m, &v, &meta, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        return 1;
    }
    model_set_threads(m, (int)g_threads, NULL);   /* before model_reserve: cannot fail */
    /* by default the batch shape of the model's training run (its
     * validation figures are then reproduced exactly) */
    long long mb = 100, mt = 25;
    if ((checkpoint_get_meta(meta, "cli.batch-size") &&
         checkpoint_meta_int(meta, "cli.batch-size", 1, 100000, &mb, pos[0], &err)) ||
        (checkpoint_get_meta(meta, "cli.max-time") &&
         checkpoint_meta_int(meta, "cli.max-time", 1, 100000, &mt, pos[0], &err))) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        model_free(m);
        rnnlm_vocab_free(v);
        st_free(meta);
        return 1;
    }
    if (!g_batch) g_batch = (long)mb;
    if (!g_time) g_time = (long)mt;
    st_free(meta);
    int status = 1;
    dataset d;
    memset(&d, 0, sizeof d);
    int32_t *ids = NULL, *xb = NULL, *yb = NULL;
    const int32_t *x, *y;
    size_t n, sentences, tokens;
    const char *what;
    if (g_eo.corpus) {
        g_eo.fixed_vocab = v;
        if (dataset_load(&d, &g_eo)) goto done;
        const split_data *sp = g_part == 1 ? &d.train : &d.test;
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
            rnnlm_ids_build(c, v, NULL, 0, 1, &ids, &n_ids, &err)) {
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
    /* B rows of at least T pairs each when the text allows it; a text
     * shorter than T pairs is one batch of one row */
    size_t maxb = n / (size_t)g_time;
    int B = (int)(maxb < 1 ? 1 : maxb < (size_t)g_batch ? maxb : (size_t)g_batch);
    size_t maxt = n / (size_t)B;
    int T = (int)(maxt < 1 ? 1 : maxt < (size_t)g_time ? maxt : (size_t)g_time);
    rnnlm_stream_batcher sb;
    if (n < 1 || rnnlm_stream_batcher_init(&sb, x, y, n, B, T, 0, &err) || model_reserve(m, B, T, &err)) {
        fprintf(stderr, "rnnlm eval: %s: %s\n", g_eo.corpus ? g_eo.corpus : pos[1],
                n < 1 ? "nothing to evaluate" : err.msg);
        goto done;
    }
    xb = malloc((size_t)B * T * sizeof *xb);
    yb = malloc((size_t)B * T * sizeof *yb);
    if (!xb || !yb) {
        fprintf(stderr, "rnnlm eval: out of memory\n");
        goto done;
    }
    batch_stats tot = {0, 0, 0};
    size_t unk = 0;
    model_reset_state(m);
    for (size_t k = 0; k < sb.n_batches; k++) {
        int w = rnnlm_stream_batch(&sb, k, xb, yb);
        batch_stats bs;
        if (model_eval_batch(m, xb, yb, B, w, &bs, &err)) {
            fprintf(stderr, "rnnlm eval: %s\n", err.msg);
            goto done;
        }
        tot.loss_sum += bs.loss_sum;
        tot.correct += bs.correct;
        tot.count += bs.count;
        for (size_t i = 0; i < (size_t)B * w; i++) unk += yb[i] == RNNLM_UNK;
    }
    size_t tail = n - (size_t)B * sb.rows_len;
    if (!g_recipe && tail && eval_tail(m, x + (n - tail), y + (n - tail), tail, B, T, &tot, &unk, &err)) {
        fprintf(stderr, "rnnlm eval: %s\n", err.msg);
        goto done;
    }
    char left[96] = "";
    if (tail)
        snprintf(left, sizeof left, g_recipe ? "; the last %zu dropped" : "; the last %zu as one more row", tail);
    double ce = tot.loss_sum / (double)tot.count;
    const model_config *cfg = model_cfg(m);
    printf("model: %s (%s, V %d, E %d, H %d, L %d)\n", pos[0],
           cfg->cell == CELL_LSTM ? "LSTM" : cfg->cell == CELL_GRU ? "GRU" : "RNN", cfg->V, cfg->E, cfg->H,
           cfg->L);
    printf("data: %s (%s): %zu sentences, %zu tokens, %lld predictions (B %d, T %d%s)\n",
           g_eo.corpus ? g_eo.corpus : pos[1], what, sentences, tokens, (long long)tot.count, B, T, left);
    printf("perplexity %.4f\n", exp(ce));
    printf("cross-entropy %.6f nats %.6f bits\n", ce, ce / log(2.0));
    printf("accuracy %.6f\n", (double)tot.correct / (double)tot.count);
    printf("oov-rate %.6f (%zu of %lld targets are <unk>)\n", (double)unk / (double)tot.count, unk,
           (long long)tot.count);
    status = 0;
done:
    free(xb);
    free(yb);
    free(ids);
    dataset_free(&d);
    model_free(m);
    rnnlm_vocab_free(v);
    return status;
}
