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

typedef struct {
    const char *prompt;   /* words after <s> (NULL: none) */
    long words, top_k, seed;
    double temperature;
    int stop, allow_nonfinite, raw, precision;
} generate_options;

static const generate_options GENERATE_DEFAULTS = {.words = 20, .seed = 1, .temperature = 1.0};

static opt_table generate_table(generate_options *o) {
    return (opt_table){{
        {"prompt", OPT_STR, &o->prompt, 0, 0, NULL, "words to start from (after <s>)"},
        {"words", OPT_INT, &o->words, 0, 10000000, NULL, "words to generate"},
        {"temperature", OPT_FLOAT, &o->temperature, 0, 1000, NULL, "0: greedy (arg-max); 1: the model's distribution"},
        {"top-k", OPT_INT, &o->top_k, 0, 1 << 30, NULL, "sample among the K most probable words only (0: all)"},
        {"seed", OPT_INT, &o->seed, 0, 1e18, NULL, "seed of the sampling (the same seed, the same text)"},
        {"stop-at-eos", OPT_FLAG, &o->stop, 0, 0, NULL, "stop when the model ends the sentence (<s>)"},
        {"allow-nonfinite", OPT_FLAG, &o->allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf (refused by default), for inspection"},
        {"raw", OPT_FLAG, &o->raw, 0, 0, NULL, "the raw token stream on one line, <s> written out"},
        {"precision", OPT_CHOICE, &o->precision, 0, 0, "fp32|bf16|auto",
         "matrix products: fp32, bf16 inputs with fp32 sums, or auto: bf16 where measured faster here"},
        OPT_TABLE_END,
    }};
}

/* Feeds <s> and the prompt's words (echoing them), then generates o->words
 * words into stdout, a sentence per line (--raw: one line). lp: room for
 * the model's V log-probabilities; prompt is cut into words in place. 0, or
 * -1 after a message. */
static int generate_text(const generate_options *o, rnnlm_state *s, const rnnlm_vocab *v, size_t V, float *lp,
                         char *prompt) {
    rnnlm_err err;
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
    rnnlm_rng_seed(&rng, (uint64_t)o->seed);
    for (long i = 0; i < o->words; i++) {
        int32_t id = rnnlm_sample(lp, V, (float)o->temperature, (int)o->top_k, rnnlm_rng_double(&rng));
        if (id < 0) {
            fprintf(stderr, "rnnlm generate: sampling failed (out of memory for --top-k %ld?)\n", o->top_k);
            return -1;
        }
        const char *word = rnnlm_vocab_word(v, id);
        int marker = strcmp(word, "<s>") == 0;
        if (o->stop && marker) break;
        if (marker && !o->raw) {   /* a sentence ends: so does its line */
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
        return -1;
    }
    return 0;
}

int cmd_generate(int argc, char **argv) {
    generate_options o = GENERATE_DEFAULTS;
    opt_table t = generate_table(&o);
    const char *pos[1];
    int n_pos, rc = opts_parse("generate", argc, argv, t.opt, NULL, pos, 1, &n_pos, "MODEL [options]");
    if (rc) return rc > 0 ? 0 : 2;
    if (n_pos != 1) {
        fprintf(stderr, "rnnlm generate: needs a model: rnnlm generate MODEL [--prompt \"...\"]\n");
        return 2;
    }
    rnnlm_err err;
    /* the prompt follows the rule of every text the program reads (it is
     * echoed: invalid bytes would reach the output) */
    if (o.prompt && rnnlm_text_check_line("--prompt", 1, o.prompt, strlen(o.prompt), 0, &err)) {
        fprintf(stderr, "rnnlm generate: %s\n", err.msg);
        return 2;
    }
    rnnlm_model *m = NULL;
    rnnlm_state *s = NULL;
    float *lp = NULL;
    char *prompt = NULL;
    int status = 1;
    if (rnnlm_model_load_ex(&m, pos[0], o.allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0, &err) ||
        rnnlm_model_set_precision(m, o.precision, &err) || rnnlm_state_create(&s, m, &err)) {
        fprintf(stderr, "rnnlm generate: %s\n", err.msg);
        goto done;
    }
    warn_nonfinite("generate", pos[0], m);
    size_t V = rnnlm_model_vocab_size(m);
    lp = malloc(V * sizeof *lp);
    prompt = strdup(o.prompt ? o.prompt : "");
    if (!lp || !prompt) {
        fprintf(stderr, "rnnlm generate: out of memory\n");
        goto done;
    }
    if (generate_text(&o, s, rnnlm_model_vocab(m), V, lp, prompt) == 0) status = 0;
done:
    free(lp);
    free(prompt);
    rnnlm_state_free(s);
    rnnlm_model_free(m);
    return status;
}
