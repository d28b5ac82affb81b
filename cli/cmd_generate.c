/* cmd_generate.c: `rnnlm generate MODEL`: text from the model, after <s>
 * and an optional prompt: greedy at temperature 0, otherwise sampled
 * (rnnlm_sample) with random numbers from a seeded rnnlm_rng, so a seed
 * reproduces its text. Prints the prompt's words, then the generated ones,
 * one sentence per line: the sentence marker <s> ends a line (--raw: the
 * token stream on one line, <s> written out). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "opts.h"
#include "rnnlm.h"

static const char *g_prompt;
static long g_words, g_top_k, g_seed;
static double g_temperature;
static int g_stop, g_allow_nonfinite, g_raw, g_precision;

static opt_spec generate_opts[] = {
    {"prompt", OPT_STR, &g_prompt, 0, 0, NULL, "words to start from (after <s>)"},
    {"words", OPT_INT, &g_words, 0, 10000000, NULL, "words to generate"},
    {"temperature", OPT_FLOAT, &g_temperature, 0, 1000, NULL, "0: greedy (arg-max); 1: the model's distribution"},
    {"top-k", OPT_INT, &g_top_k, 0, 1 << 30, NULL, "sample among the K most probable words only (0: all)"},
    {"seed", OPT_INT, &g_seed, 0, 1e18, NULL, "seed of the sampling (the same seed, the same text)"},
    {"stop-at-eos", OPT_FLAG, &g_stop, 0, 0, NULL, "stop when the model ends the sentence (<s>)"},
    {"allow-nonfinite", OPT_FLAG, &g_allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf (refused by default), for inspection"},
    {"raw", OPT_FLAG, &g_raw, 0, 0, NULL, "the raw token stream on one line, <s> written out"},
    {"precision", OPT_CHOICE, &g_precision, 0, 0, "fp32|bf16", "matrix products: fp32, or bf16 inputs with fp32 sums"},
    OPT_TABLE_END,
};

int cmd_generate(int argc, char **argv) {
    g_prompt = NULL;
    g_words = 20;
    g_top_k = 0;
    g_seed = 1;
    g_temperature = 1.0;
    g_stop = 0;
    g_allow_nonfinite = 0;
    g_raw = 0;
    g_precision = 0;
    const char *pos[1];
    int n_pos, rc = opts_parse("generate", argc, argv, generate_opts, NULL, pos, 1, &n_pos, "MODEL [options]");
    if (rc) return rc > 0 ? 0 : 2;
    if (n_pos != 1) {
        fprintf(stderr, "rnnlm generate: needs a model: rnnlm generate MODEL [--prompt \"...\"]\n");
        return 2;
    }
    rnnlm_err err;
    /* the prompt follows the rule of every text the program reads (it is
     * echoed: invalid bytes would reach the output) */
    if (g_prompt && rnnlm_text_check_line("--prompt", 1, g_prompt, strlen(g_prompt), 0, &err)) {
        fprintf(stderr, "rnnlm generate: %s\n", err.msg);
        return 2;
    }
    rnnlm_model *m = NULL;
    rnnlm_state *s = NULL;
    float *lp = NULL;
    char *prompt = NULL;
    int status = 1;
    if (rnnlm_model_load_ex(&m, pos[0], g_allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0, &err) ||
        rnnlm_model_set_precision(m, g_precision, &err) || rnnlm_state_create(&s, m, &err)) {
        fprintf(stderr, "rnnlm generate: %s\n", err.msg);
        goto done;
    }
    warn_nonfinite("generate", pos[0], m);
    const rnnlm_vocab *v = rnnlm_model_vocab(m);
    size_t V = rnnlm_model_vocab_size(m);
    lp = malloc(V * sizeof *lp);
    prompt = strdup(g_prompt ? g_prompt : "");
    if (!lp || !prompt) {
        fprintf(stderr, "rnnlm generate: out of memory\n");
        goto done;
    }
    rnnlm_feed(s, RNNLM_BOS, lp, &err);
    int first = 1;
    for (char *save = NULL, *w = strtok_r(prompt, " \t\r\n\v\f", &save); w;
         w = strtok_r(NULL, " \t\r\n\v\f", &save)) {
        rnnlm_feed(s, rnnlm_vocab_lookup(v, w, strlen(w)), lp, &err);
        printf(first ? "%s" : " %s", w);
        first = 0;
    }
    int wrote = !first;
    rnnlm_rng rng;
    rnnlm_rng_seed(&rng, (uint64_t)g_seed);
    for (long i = 0; i < g_words; i++) {
        int32_t id = rnnlm_sample(lp, V, (float)g_temperature, (int)g_top_k, rnnlm_rng_double(&rng));
        if (id < 0) {
            fprintf(stderr, "rnnlm generate: sampling failed (out of memory for --top-k %ld?)\n", g_top_k);
            goto done;
        }
        const char *word = rnnlm_vocab_word(v, id);
        int marker = strcmp(word, "<s>") == 0;
        if (g_stop && marker) break;
        if (marker && !g_raw) {   /* a sentence ends: so does its line */
            if (!first) putchar('\n');
            first = 1;
        } else {
            printf(first ? "%s" : " %s", word);
            first = 0;
            wrote = 1;
        }
        rnnlm_feed(s, id, lp, &err);
    }
    if (!first || !wrote) putchar('\n');   /* the last line, or one empty line */
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "rnnlm generate: writing the text failed\n");
        goto done;
    }
    status = 0;
done:
    free(lp);
    free(prompt);
    rnnlm_state_free(s);
    rnnlm_model_free(m);
    return status;
}
