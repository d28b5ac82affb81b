/* cmd_ngram.c: `rnnlm ngram ppl FILE.arpa TEXT|-` (an ARPA model's own
 * perplexity, printed as SRILM's `ngram -ppl` summary) and `rnnlm ngram info
 * FILE.arpa` (order and counts). The conventions are docs/NGRAM.md's. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "opts.h"
#include "rnnlm.h"

typedef struct {
    int unk, per_word;
    long max_line;
} ppl_options;

static opt_table ppl_table(ppl_options *o) {
    return (opt_table){{
        {"unk", OPT_FLAG, &o->unk, 0, 0, NULL,
         "open vocabulary (SRILM's -unk): a word the model lacks is scored as <unk> when the model has it; "
         "otherwise it is an OOV, counted and not scored"},
        {"per-word", OPT_FLAG, &o->per_word, 0, 0, NULL,
         "before the summary, a line per word and sentence end: TAB word TAB log10 P (OOV for an OOV, -inf for a "
         "zero probability)"},
        {"max-line-bytes", OPT_INT, &o->max_line, 1, 1 << 30, NULL, "longest accepted text line"},
        OPT_TABLE_END,
    }};
}

static const opt_spec info_opts[] = {OPT_TABLE_END};

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* SRILM's perplexity: 10^(-logprob / denominator), "undefined" when it is 0. */
static void print_ppl(const char *label, double logprob, double denom) {
    if (denom > 0) printf(" %s %g", label, pow(10.0, -logprob / denom));
    else printf(" %s undefined", label);
}

/* Cuts line (NUL-terminated) into its white-space separated words, in place:
 * (*words)[0..*nw). 0, or -1 with err set. */
static int split_words(char *line, const char ***words, size_t *cap, size_t *nw, rnnlm_err *err) {
    *nw = 0;
    for (char *p = line; *p;) {
        while (*p && is_space(*p)) p++;
        if (!*p) break;
        if (rnnlm_grow((void **)words, cap, *nw + 1, sizeof **words, "words", err)) return -1;
        (*words)[(*nw)++] = p;
        while (*p && !is_space(*p)) p++;
        if (*p) *p++ = '\0';
    }
    return 0;
}

/* --per-word: a line per word and the sentence end. */
static void print_per_word(const char *const *words, size_t nw, const double *per) {
    for (size_t k = 0; k <= nw; k++) {
        const char *w = k < nw ? words[k] : "</s>";
        if (isnan(per[k])) printf("\t%s\tOOV\n", w);
        else if (per[k] == -INFINITY) printf("\t%s\t-inf\n", w);
        else printf("\t%s\t%.6f\n", w, per[k]);
    }
}

/* SRILM's summary of a file. */
static void print_summary(const char *file, size_t sentences, const rnnlm_ngram_score *total) {
    double scored = (double)total->words - (double)total->oovs - (double)total->zeroprobs;
    printf("file %s: %zu sentences, %zu words, %zu OOVs\n", file, sentences, total->words, total->oovs);
    printf("%zu zeroprobs, logprob= %g", total->zeroprobs, total->log10prob);
    print_ppl("ppl=", total->log10prob, scored + (double)sentences);
    print_ppl("ppl1=", total->log10prob, scored);
    putchar('\n');
}

/* Scores each line of f (name: for messages; file: for the summary) and
 * prints the summary. The process status. */
static int ppl_file(const ppl_options *o, const rnnlm_ngram *g, FILE *f, const char *name, const char *file) {
    rnnlm_err err;
    char *line = NULL;
    const char **words = NULL;
    double *per = NULL;
    size_t cap = 0, words_cap = 0, per_cap = 0, lineno = 0, sentences = 0;
    rnnlm_ngram_score total = {0};
    ssize_t len;
    int status = 1;
    const unsigned flags = o->unk ? RNNLM_NGRAM_OPEN_VOCAB : 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t n = (size_t)len - (len && line[len - 1] == '\n'), nw;
        if (rnnlm_text_check_line(name, lineno, line, n, (size_t)o->max_line, &err)) {
            fprintf(stderr, "rnnlm ngram ppl: %s\n", err.msg);
            goto done;
        }
        line[n] = '\0';
        if (split_words(line, &words, &words_cap, &nw, &err) ||
            (nw && o->per_word && rnnlm_grow((void **)&per, &per_cap, nw + 1, sizeof *per, "word scores", &err))) {
            fprintf(stderr, "rnnlm ngram ppl: %s\n", err.msg);
            goto done;
        }
        if (!nw) continue;
        rnnlm_ngram_score sc;
        if (rnnlm_ngram_score_sentence(g, words, nw, flags, &sc, o->per_word ? per : NULL, &err)) {
            fprintf(stderr, "rnnlm ngram ppl: %s:%zu: %s\n", name, lineno, err.msg);
            goto done;
        }
        if (o->per_word) print_per_word(words, nw, per);
        sentences++;
        total.log10prob += sc.log10prob;
        total.words += sc.words;
        total.oovs += sc.oovs;
        total.zeroprobs += sc.zeroprobs;
    }
    if (ferror(f)) {
        fprintf(stderr, "rnnlm ngram ppl: %s: read error: %s\n", name, strerror(errno));
        goto done;
    }
    print_summary(file, sentences, &total);
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "rnnlm ngram ppl: writing: %s\n", strerror(errno));
        goto done;
    }
    status = 0;
done:
    free(line);
    free(words);
    free(per);
    return status;
}

static int cmd_ppl(int argc, char **argv) {
    ppl_options o = {.max_line = RNNLM_MAX_LINE_DEFAULT};
    opt_table t = ppl_table(&o);
    const char *pos[2];
    int n_pos, rc = opts_parse("ngram ppl", argc, argv, t.opt, NULL, pos, 2, &n_pos,
                               "FILE.arpa TEXT|- [options]\n\n"
                               "Each line of TEXT is a sentence of white-space separated words (blank lines are\n"
                               "skipped); <s> starts its history and </s> is scored after it. The summary is\n"
                               "SRILM's: ppl = 10^(-logprob / (words - OOVs - zeroprobs + sentences)),\n"
                               "ppl1 = 10^(-logprob / (words - OOVs - zeroprobs)).");
    if (rc) return rc > 0 ? 0 : 2;
    if (n_pos != 2) {
        fprintf(stderr, "rnnlm ngram ppl: needs a model and a text file (or - for stdin): "
                        "rnnlm ngram ppl FILE.arpa TEXT|-\n");
        return 2;
    }
    rnnlm_err err;
    rnnlm_ngram *g = NULL;
    if (rnnlm_ngram_load(&g, pos[0], &err)) {
        fprintf(stderr, "rnnlm ngram ppl: %s\n", err.msg);
        return 1;
    }
    note_ngram_rounding("ngram ppl", pos[0], g);
    FILE *f = strcmp(pos[1], "-") == 0 ? stdin : fopen(pos[1], "r");
    const char *name = f == stdin ? "<stdin>" : pos[1];
    if (!f) {
        fprintf(stderr, "rnnlm ngram ppl: %s: cannot open: %s\n", pos[1], strerror(errno));
        rnnlm_ngram_free(g);
        return 1;
    }
    int status = ppl_file(&o, g, f, name, pos[1]);
    if (f != stdin) fclose(f);
    rnnlm_ngram_free(g);
    return status;
}

static int cmd_info(int argc, char **argv) {
    const char *pos[1];
    int n_pos, rc = opts_parse("ngram info", argc, argv, info_opts, NULL, pos, 1, &n_pos, "FILE.arpa");
    if (rc) return rc > 0 ? 0 : 2;
    if (n_pos != 1) {
        fprintf(stderr, "rnnlm ngram info: needs a model: rnnlm ngram info FILE.arpa\n");
        return 2;
    }
    rnnlm_err err;
    rnnlm_ngram *g = NULL;
    if (rnnlm_ngram_load(&g, pos[0], &err)) {
        fprintf(stderr, "rnnlm ngram info: %s\n", err.msg);
        return 1;
    }
    note_ngram_rounding("ngram info", pos[0], g);
    printf("order %d\n", rnnlm_ngram_order(g));
    for (int k = 1; k <= rnnlm_ngram_order(g); k++) printf("ngram %d=%zu\n", k, rnnlm_ngram_count(g, k));
    printf("vocabulary %zu words; <s> %s, </s> %s, <unk> %s\n", rnnlm_ngram_vocab_size(g),
           rnnlm_ngram_bos(g) >= 0 ? "yes" : "no", rnnlm_ngram_eos(g) >= 0 ? "yes" : "no",
           rnnlm_ngram_unk(g) >= 0 ? "yes" : "no");
    rnnlm_ngram_free(g);
    return 0;
}

int cmd_ngram(int argc, char **argv) {
    if (argc >= 1 && strcmp(argv[0], "ppl") == 0) return cmd_ppl(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "info") == 0) return cmd_info(argc - 1, argv + 1);
    FILE *out = argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) ? stdout : stderr;
    fprintf(out, "usage: rnnlm ngram ppl FILE.arpa TEXT|- [options]   perplexity of an ARPA model (SRILM's summary)\n"
                 "       rnnlm ngram info FILE.arpa                    its order and n-gram counts\n"
                 "(rnnlm ngram ppl --help for the options; FILE.arpa may be gzip-compressed)\n");
    return out == stdout ? 0 : 2;
}
