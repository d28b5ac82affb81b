/* cmd_score.c: `rnnlm score MODEL FILE|-`: one line per input line (a
 * sentence of white-space separated words): its log-probability under the
 * model (rnnlm_score_sentence's semantics: <s> before, the end scored as a
 * closing <s>), through the batched scorer (rnnlm_score_batch). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "opts.h"
#include "rnnlm.h"

static int g_per_word, g_ids, g_exact, g_allow_nonfinite, g_precision;
static long g_lanes, g_threads, g_max_line;

static opt_spec score_opts[] = {
    {"per-word", OPT_FLAG, &g_per_word, 0, 0, NULL,
     "before each sentence line, a line per word and the end: TAB word TAB P TAB log10 P"},
    {"ids", OPT_FLAG, &g_ids, 0, 0, NULL, "add a column: the words' ids in the model's vocabulary"},
    {"exact", OPT_FLAG, &g_exact, 0, 0, NULL,
     "sentence figures with 17 significant digits (a double read back is the same double)"},
    {"lanes", OPT_INT, &g_lanes, 1, 65536, NULL, "sentences scored side by side"},
    {"threads", OPT_INT, &g_threads, 0, 256, NULL, "compute threads (0: one per core)"},
    {"precision", OPT_CHOICE, &g_precision, 0, 0, "fp32|bf16", "matrix products: fp32, or bf16 inputs with fp32 sums"},
    {"allow-nonfinite", OPT_FLAG, &g_allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf (refused by default), for inspection"},
    {"max-line-bytes", OPT_INT, &g_max_line, 1, 1 << 30, NULL, "longest accepted input line"},
    OPT_TABLE_END,
};

/* The input: every token NUL-terminated in text, tok[k] its offset; sentence
 * i is tokens sent[i] .. sent[i+1]. */
typedef struct {
    char *text;
    size_t text_len, text_cap;
    size_t *tok, n_tok, tok_cap;
    size_t *sent, n_sent, sent_cap;
} input;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static int read_input(input *in, const char *path, rnnlm_err *err) {
    /* the bounded reader: a line over --max-line-bytes is refused before it is
     * read whole, and a read error is an error, not the end of the input */
    rnnlm_lines *f;
    if (strcmp(path, "-") == 0 ? rnnlm_lines_open_fd(&f, 0, "<stdin>", (size_t)g_max_line, err)
                               : rnnlm_lines_open(&f, path, (size_t)g_max_line, err))
        return -1;
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    const char *line;
    size_t n, lineno = 0;
    ssize_t len;
    int rc = 0;
    if (rnnlm_grow((void **)&in->sent, &in->sent_cap, 1, sizeof *in->sent, "sentences", err)) rc = -1;
    else in->sent[0] = 0;
    while (!rc && !(rc = rnnlm_lines_next(f, &line, &n, err) ? -1 : 0) && line) {
        len = (ssize_t)n;
        lineno++;
        /* the rule of every text reader: no NUL, valid UTF-8, a bounded line */
        if (rnnlm_text_check_line(name, lineno, line, (size_t)len, (size_t)g_max_line, err)) {
            rc = -1;
            break;
        }
        for (ssize_t i = 0; i < len && !rc;) {
            while (i < len && is_space(line[i])) i++;
            ssize_t j = i;
            while (j < len && !is_space(line[j])) j++;
            if (j == i) break;
            size_t w = (size_t)(j - i);
            if (rnnlm_grow((void **)&in->text, &in->text_cap, in->text_len + w + 1, 1, "input text", err) ||
                rnnlm_grow((void **)&in->tok, &in->tok_cap, in->n_tok + 1, sizeof *in->tok, "tokens", err)) {
                rc = -1;
                break;
            }
            memcpy(in->text + in->text_len, line + i, w);
            in->text[in->text_len + w] = '\0';
            in->tok[in->n_tok++] = in->text_len;
            in->text_len += w + 1;
            i = j;
        }
        if (!rc && rnnlm_grow((void **)&in->sent, &in->sent_cap, in->n_sent + 2, sizeof *in->sent,
                              "sentences", err))
            rc = -1;
        if (!rc) in->sent[++in->n_sent] = in->n_tok;
    }
    rnnlm_lines_close(f);
    return rc;
}

int cmd_score(int argc, char **argv) {
    g_per_word = g_ids = g_exact = g_allow_nonfinite = 0;
    g_lanes = 64;
    g_threads = 0;
    g_precision = 0;
    g_max_line = RNNLM_MAX_LINE_DEFAULT;
    const char *pos[2];
    int n_pos, rc = opts_parse("score", argc, argv, score_opts, NULL, pos, 2, &n_pos, "MODEL FILE|- [options]");
    if (rc) return rc > 0 ? 0 : 2;
    if (n_pos != 2) {
        fprintf(stderr, "rnnlm score: needs a model and a text file (or - for stdin): rnnlm score MODEL FILE|-\n");
        return 2;
    }
    rnnlm_err err;
    rnnlm_model *m = NULL;
    if (rnnlm_model_load_ex(&m, pos[0], g_allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0, &err)) {
        fprintf(stderr, "rnnlm score: %s\n", err.msg);
        return 1;
    }
    warn_nonfinite("score", pos[0], m);
    if (rnnlm_model_set_threads(m, (int)g_threads, &err) || rnnlm_model_set_precision(m, g_precision, &err)) {
        fprintf(stderr, "rnnlm score: %s\n", err.msg);
        rnnlm_model_free(m);
        return 1;
    }
    input in;
    memset(&in, 0, sizeof in);
    int32_t *ids = NULL;
    rnnlm_sentence_score *out = NULL;
    double *per = NULL;
    int status = 1;
    if (read_input(&in, pos[1], &err)) {
        fprintf(stderr, "rnnlm score: %s\n", err.msg);
        goto done;
    }
    const rnnlm_vocab *v = rnnlm_model_vocab(m);
    ids = rnnlm_calloc(in.n_tok ? in.n_tok : 1, sizeof *ids, "word ids", &err);
    out = ids ? rnnlm_calloc(in.n_sent ? in.n_sent : 1, sizeof *out, "scores", &err) : NULL;
    per = out && g_per_word ? rnnlm_calloc(in.n_tok + in.n_sent + 1, sizeof *per, "word scores", &err) : NULL;
    if (!out || (g_per_word && !per)) {
        fprintf(stderr, "rnnlm score: %s\n", err.msg);
        goto done;
    }
    for (size_t k = 0; k < in.n_tok; k++) {
        const char *w = in.text + in.tok[k];
        ids[k] = rnnlm_vocab_lookup(v, w, strlen(w));
    }
    char path[256];   /* stdout holds the scores only: the path goes to stderr */
    rnnlm_model_compute_path(m, path, sizeof path);
    fprintf(stderr, "rnnlm score: compute: %s\n", path);
    if (rnnlm_score_batch(m, ids, in.sent, in.n_sent, (int)g_lanes, out, per, &err)) {
        fprintf(stderr, "rnnlm score: %s\n", err.msg);
        goto done;
    }
    const double ln10 = log(10.0);
    for (size_t i = 0; i < in.n_sent; i++) {
        if (g_per_word)
            for (size_t k = in.sent[i]; k <= in.sent[i + 1]; k++) {
                double l = per[k + i];
                printf("\t%s\t%.6g\t%.6f\n", k < in.sent[i + 1] ? in.text + in.tok[k] : "</s>", exp(l),
                       l / ln10);
            }
        const rnnlm_sentence_score *s = &out[i];
        if (g_exact)
            printf("%.17g\t%.17g\t%zu\t%zu\t%.17g", s->logprob, s->log10prob, s->words, s->oovs, s->ppl);
        else
            printf("%.6f\t%.6f\t%zu\t%zu\t%.6g", s->logprob, s->log10prob, s->words, s->oovs, s->ppl);
        if (g_ids) {
            putchar('\t');
            for (size_t k = in.sent[i]; k < in.sent[i + 1]; k++)
                printf(k > in.sent[i] ? " %d" : "%d", (int)ids[k]);
        }
        putchar('\n');
    }
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "rnnlm score: writing the scores: %s\n", strerror(errno));
        goto done;
    }
    status = 0;
done:
    free(in.text);
    free(in.tok);
    free(in.sent);
    free(ids);
    free(out);
    free(per);
    rnnlm_model_free(m);
    return status;
}
