/* test_ngram.c: the ARPA back-off model (src/ngram/ngram.c, src/ngram/ngram_read.c):
 *  - a hand-written order-3 model whose probabilities are worked out by hand
 *    in the comments: back-off chains of every length, a missing context, a
 *    suffix the file lacks, the history cut at N-1 words and at an OOV;
 *  - sentences as SRILM's ngram -ppl scores them: OOVs (closed and open
 *    vocabulary, "<unk>" itself), a zero probability (SRILM's -99);
 *  - the same model gzip-compressed, with CRLF line ends, with text before
 *    \data\; every malformed file refused with its line number. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <cmocka.h>

#include "rnnlm.h"
#include "util.h"

/* The hand-written model. Ids in unigram order: <s> 0, </s> 1, <unk> 2,
 * a 3, b 4, c 5. "c a" is absent although "b c a" is listed (a suffix the
 * file lacks); "a c", "c b" are absent (missing contexts). */
static const char *HAND =
    "A comment before \\data\\ is ignored.\n"
    "\n"
    "\\data\\\n"
    "ngram 1=6\n"
    "ngram 2=5\n"
    "ngram 3=3\n"
    "\n"
    "\\1-grams:\n"
    "-99\t<s>\t-0.5\n"
    "-0.6\t</s>\n"
    "-1.5\t<unk>\n"
    "-0.7\ta\t-0.3\n"
    "-0.8\tb\t-0.2\n"
    "-1.0\tc\t-0.1\n"
    "\n"
    "\\2-grams:\n"
    "-0.4\t<s> a\t-0.25\n"
    "-0.2 <s> b -0.05\n"          /* spaces instead of tabs */
    "-0.3\ta b\t-0.15\n"
    "-0.5\tb c\n"
    "-0.6\tb </s>\n"
    "\n"
    "\\3-grams:\n"
    "-0.1\t<s> a b\n"
    "-0.2\ta b c\n"
    "-0.05\tb c a\n"
    "\n"
    "\\end\\\n";

enum { BOS = 0, EOS = 1, UNK = 2, A = 3, B = 4, C = 5 };

static void write_file(const char *path, const char *text, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static rnnlm_ngram *load_text(const char *name, const char *text) {
    char path[512];
    util_tmp_path(path, sizeof path, name);
    write_file(path, text, strlen(text));
    rnnlm_ngram *g = NULL;
    rnnlm_err err;
    rnnlm_status st = rnnlm_ngram_load(&g, path, &err);
    if (st) fail_msg("%s", err.msg);
    return g;
}

#define TOL 1e-6   /* the model stores single precision, as SRILM does */

static double lp(const rnnlm_ngram *g, int32_t h2, int32_t h1, int32_t w, int *matched) {
    int32_t ctx[2] = {h2, h1};
    return rnnlm_ngram_logprob(g, ctx, 2, w, matched);
}

static void test_counts_and_vocab(void **state) {
    (void)state;
    rnnlm_ngram *g = load_text("hand.arpa", HAND);
    assert_int_equal(rnnlm_ngram_order(g), 3);
    assert_int_equal(rnnlm_ngram_count(g, 1), 6);
    assert_int_equal(rnnlm_ngram_count(g, 2), 5);
    assert_int_equal(rnnlm_ngram_count(g, 3), 3);   /* the filler "c a" is not counted */
    assert_int_equal(rnnlm_ngram_count(g, 0), 0);
    assert_int_equal(rnnlm_ngram_count(g, 4), 0);
    assert_int_equal(rnnlm_ngram_vocab_size(g), 6);
    assert_int_equal(rnnlm_ngram_bos(g), BOS);
    assert_int_equal(rnnlm_ngram_eos(g), EOS);
    assert_int_equal(rnnlm_ngram_unk(g), UNK);
    assert_string_equal(rnnlm_ngram_word(g, C), "c");
    assert_null(rnnlm_ngram_word(g, 6));
    assert_null(rnnlm_ngram_word(g, -1));
    assert_int_equal(rnnlm_ngram_lookup(g, "b", 1), B);
    assert_int_equal(rnnlm_ngram_lookup(g, "bc", 1), B);   /* len counts, not the NUL */
    assert_int_equal(rnnlm_ngram_lookup(g, "x", 1), -1);
    assert_int_equal(rnnlm_ngram_lookup(g, "A", 1), -1);   /* no canonicalisation */
    rnnlm_ngram_free(g);
}

static void test_backoff_by_hand(void **state) {
    (void)state;
    rnnlm_ngram *g = load_text("hand.arpa", HAND);
    int m;
    /* listed trigram: p(a b c) = -0.2 */
    assert_float_equal(lp(g, A, B, C, &m), -0.2, TOL);
    assert_int_equal(m, 3);
    /* one back-off: "a b </s>" absent -> bow(a b) + p(b </s>) = -0.15 - 0.6 */
    assert_float_equal(lp(g, A, B, EOS, &m), -0.75, TOL);
    assert_int_equal(m, 2);
    /* two: "a b a", "b a" absent -> bow(a b) + bow(b) + p(a) = -0.15 - 0.2 - 0.7 */
    assert_float_equal(lp(g, A, B, A, &m), -1.05, TOL);
    assert_int_equal(m, 1);
    /* two from <s> a: bow(<s> a) + bow(a) + p(c) = -0.25 - 0.3 - 1.0 */
    assert_float_equal(lp(g, BOS, A, C, &m), -1.55, TOL);
    assert_int_equal(m, 1);
    /* a trigram whose suffix "c a" the file lacks: p(b c a) = -0.05 */
    assert_float_equal(lp(g, B, C, A, &m), -0.05, TOL);
    assert_int_equal(m, 3);
    /* ... and that suffix is still not a bigram: bow(c) + p(a) = -0.1 - 0.7 */
    int32_t c1[1] = {C};
    assert_float_equal(rnnlm_ngram_logprob(g, c1, 1, A, &m), -0.8, TOL);
    assert_int_equal(m, 1);
    /* missing context "a c" (bow 1) then the filler: 0 + bow(c) + p(a) */
    assert_float_equal(lp(g, A, C, A, &m), -0.8, TOL);
    /* a context listed without a bow ("b c": 0): "b c b" -> 0 + bow(c) + p(b) = -0.1 - 0.8 */
    assert_float_equal(lp(g, B, C, B, &m), -0.9, TOL);
    /* missing context "c b": 0 + bow(b) + p(a) = -0.2 - 0.7 */
    assert_float_equal(lp(g, C, B, A, &m), -0.9, TOL);
    /* no history: the unigram; <s>'s -99 is a zero probability */
    assert_float_equal(rnnlm_ngram_logprob(g, NULL, 0, C, &m), -1.0, TOL);
    assert_int_equal(m, 1);
    assert_true(rnnlm_ngram_logprob(g, NULL, 0, BOS, NULL) == -INFINITY);
    /* only the last N-1 = 2 words count: x a b c == a b c */
    int32_t long_ctx[4] = {C, C, A, B};
    assert_float_equal(rnnlm_ngram_logprob(g, long_ctx, 4, C, &m), -0.2, TOL);
    assert_int_equal(m, 3);
    /* an id < 0 cuts the history: (<s>, -1, b) -> P(c | b) = p(b c) = -0.5 */
    int32_t cut[3] = {BOS, -1, B};
    assert_float_equal(rnnlm_ngram_logprob(g, cut, 3, C, &m), -0.5, TOL);
    assert_int_equal(m, 2);
    /* (-1, b): "b a" absent -> bow(b) + p(a); the cut context has no bow */
    int32_t cut2[2] = {-1, B};
    assert_float_equal(rnnlm_ngram_logprob(g, cut2, 2, A, NULL), -0.9, TOL);
    /* an id past the vocabulary cuts too; a bad w is NAN */
    int32_t past[2] = {A, 99};
    assert_float_equal(rnnlm_ngram_logprob(g, past, 2, C, NULL), -1.0, TOL);
    assert_true(isnan(rnnlm_ngram_logprob(g, NULL, 0, 6, &m)));
    assert_int_equal(m, 0);
    assert_true(isnan(rnnlm_ngram_logprob(g, NULL, 0, -1, NULL)));
    rnnlm_ngram_free(g);
}

static void score(const rnnlm_ngram *g, const char *const *w, size_t n, unsigned flags, rnnlm_ngram_score *sc,
                  double *per) {
    rnnlm_err err;
    rnnlm_status st = rnnlm_ngram_score_sentence(g, w, n, flags, sc, per, &err);
    if (st) fail_msg("%s", err.msg);
}

static void test_sentences(void **state) {
    (void)state;
    rnnlm_ngram *g = load_text("hand.arpa", HAND);
    rnnlm_ngram_score sc;
    double per[5];

    /* "a b c": p(<s> a) + p(<s> a b) + p(a b c) + P(</s> | b c)
     * = -0.4 - 0.1 - 0.2 + (0 + bow(c) + p(</s>) = -0.1 - 0.6) = -1.4 */
    const char *abc[] = {"a", "b", "c"};
    score(g, abc, 3, 0, &sc, per);
    assert_float_equal(sc.log10prob, -1.4, TOL);
    assert_int_equal(sc.words, 3);
    assert_int_equal(sc.oovs, 0);
    assert_int_equal(sc.zeroprobs, 0);
    assert_float_equal(per[0], -0.4, TOL);
    assert_float_equal(per[1], -0.1, TOL);
    assert_float_equal(per[2], -0.2, TOL);
    assert_float_equal(per[3], -0.7, TOL);

    /* "b": p(<s> b) + P(</s> | <s> b) = -0.2 + (bow(<s> b) + p(b </s>) = -0.05 - 0.6) */
    const char *b[] = {"b"};
    score(g, b, 1, 0, &sc, NULL);
    assert_float_equal(sc.log10prob, -0.85, TOL);

    /* closed vocabulary, "a x b": x is an OOV, counted, not scored, and the
     * history restarts after it: -0.4 + p(b) + p(b </s>) = -0.4 - 0.8 - 0.6 */
    const char *axb[] = {"a", "x", "b"};
    score(g, axb, 3, 0, &sc, per);
    assert_float_equal(sc.log10prob, -1.8, TOL);
    assert_int_equal(sc.oovs, 1);
    assert_true(isnan(per[1]));
    assert_float_equal(per[2], -0.8, TOL);
    assert_float_equal(per[3], -0.6, TOL);
    /* "<unk>" written in the text is an OOV too in a closed vocabulary */
    const char *aub[] = {"a", "<unk>", "b"};
    score(g, aub, 3, 0, &sc, NULL);
    assert_float_equal(sc.log10prob, -1.8, TOL);
    assert_int_equal(sc.oovs, 1);

    /* open vocabulary: x is scored as <unk>:
     * P(<unk> | <s> a) = bow(<s> a) + bow(a) + p(<unk>) = -0.25 - 0.3 - 1.5 = -2.05
     * P(b | a <unk>)   = 0 + bow(<unk>) = 0 + p(b)                     = -0.8
     * P(</s> | <unk> b) = 0 + p(b </s>)                                  = -0.6
     * total -0.4 - 2.05 - 0.8 - 0.6 = -3.85 */
    score(g, axb, 3, RNNLM_NGRAM_OPEN_VOCAB, &sc, per);
    assert_float_equal(sc.log10prob, -3.85, TOL);
    assert_int_equal(sc.oovs, 0);
    assert_float_equal(per[1], -2.05, TOL);
    score(g, aub, 3, RNNLM_NGRAM_OPEN_VOCAB, &sc, NULL);
    assert_float_equal(sc.log10prob, -3.85, TOL);

    /* a zero probability: "<s>" as a word, P(<s> | <s>) = bow(<s>) + (-99 -> zero):
     * counted as a zeroprob, not summed; then P(</s> | <s> <s>) = 0 + bow(<s>) + p(</s>) = -1.1 */
    const char *s[] = {"<s>"};
    score(g, s, 1, 0, &sc, per);
    assert_int_equal(sc.zeroprobs, 1);
    assert_true(per[0] == -INFINITY);
    assert_float_equal(sc.log10prob, -1.1, TOL);

    /* the empty sentence: P(</s> | <s>) = bow(<s>) + p(</s>) = -1.1 */
    score(g, NULL, 0, 0, &sc, per);
    assert_float_equal(sc.log10prob, -1.1, TOL);
    assert_int_equal(sc.words, 0);

    rnnlm_err err;
    assert_int_equal(rnnlm_ngram_score_sentence(g, abc, 3, 0x80, &sc, NULL, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_ngram_score_sentence(NULL, abc, 3, 0, &sc, NULL, &err), RNNLM_E_ARG);
    rnnlm_ngram_free(g);
}

/* The same model, gzip-compressed, and with CRLF line ends: the same numbers. */
static void test_gzip_and_crlf(void **state) {
    (void)state;
    char path[512];
    util_tmp_path(path, sizeof path, "hand.arpa.gz");
    gzFile z = gzopen(path, "wb");
    assert_non_null(z);
    assert_int_equal(gzwrite(z, HAND, (unsigned)strlen(HAND)), (int)strlen(HAND));
    assert_int_equal(gzclose(z), Z_OK);
    rnnlm_ngram *g = NULL;
    rnnlm_err err;
    if (rnnlm_ngram_load(&g, path, &err)) fail_msg("%s", err.msg);
    assert_float_equal(lp(g, A, B, A, NULL), -1.05, TOL);
    assert_int_equal(rnnlm_ngram_count(g, 3), 3);
    rnnlm_ngram_free(g);

    /* truncated: the first half of the compressed bytes */
    size_t n;
    char *bytes = util_read_file(path, &n);
    char cut[512];
    util_tmp_path(cut, sizeof cut, "cut.arpa.gz");
    write_file(cut, bytes, n / 2);
    free(bytes);
    assert_int_equal(rnnlm_ngram_load(&g, cut, &err), RNNLM_E_FORMAT);
    assert_null(g);
    assert_non_null(strstr(err.msg, "truncated gzip"));

    /* CRLF */
    size_t L = strlen(HAND);
    char *crlf = malloc(2 * L + 1);
    assert_non_null(crlf);
    size_t o = 0;
    for (size_t i = 0; i < L; i++) {
        if (HAND[i] == '\n') crlf[o++] = '\r';
        crlf[o++] = HAND[i];
    }
    crlf[o] = '\0';
    g = load_text("crlf.arpa", crlf);
    free(crlf);
    assert_float_equal(lp(g, A, B, EOS, NULL), -0.75, TOL);
    assert_string_equal(rnnlm_ngram_word(g, C), "c");
    rnnlm_ngram_free(g);

    /* no newline after \end\ */
    char *noeol = strdup(HAND);
    assert_non_null(noeol);
    noeol[strlen(noeol) - 1] = '\0';
    g = load_text("noeol.arpa", noeol);
    free(noeol);
    rnnlm_ngram_free(g);
}

/* ---- malformed files ------------------------------------------------------- */

/* HAND with the first occurrence of from replaced by to. */
static char *edit(const char *from, const char *to) {
    const char *p = strstr(HAND, from);
    assert_non_null(p);
    size_t a = (size_t)(p - HAND), lf = strlen(from), lt = strlen(to), L = strlen(HAND);
    char *s = malloc(L - lf + lt + 1);
    assert_non_null(s);
    memcpy(s, HAND, a);
    memcpy(s + a, to, lt);
    memcpy(s + a + lt, p + lf, L - a - lf + 1);
    return s;
}

typedef struct {
    const char *from, *to;   /* the edit of HAND */
    const char *expect;      /* in the message, with the line number */
} bad_case;

static void test_malformed(void **state) {
    (void)state;
    /* HAND's lines: 3 \data\, 4-6 counts, 8 \1-grams:, 9-14 unigrams,
     * 16 \2-grams:, 17-21 bigrams, 23 \3-grams:, 24-26 trigrams, 28 \end\ */
    static const bad_case cases[] = {
        {"\\data\\\n", "\\dota\\\n", ":28: no \\data\\ line"},
        {"ngram 2=5\n", "ngram 2=6\n", ":23: the \\2-grams: section holds 5 entries, \\data\\ announced 6"},
        {"ngram 2=5\n", "ngram 2=4\n", ":21: more 2-grams than the 4 that \\data\\ announced"},
        {"ngram 3=3\n", "ngram 3=4\n", ":28: the \\3-grams: section holds 3 entries, \\data\\ announced 4"},
        {"ngram 2=5\n", "ngram 3=5\n", ":5: 'ngram 3=' where 'ngram 2=' was due"},
        {"ngram 2=5\n", "ngram 2 5\n", ":5: expected 'ngram N=count'"},
        {"ngram 2=5\n", "ngram 2=5x\n", ":5: text after the count"},
        {"ngram 2=5\n", "ngram 2=99999999999999999999\n", ":5: count of 2-grams above the limit"},
        {"ngram 1=6\n", "ngram 1=0\n", ":4: no 1-grams"},
        {"ngram 3=3\n", "ngram 3=3\nngram 40=1\n", ":7: order 40 is above the limit of 32"},
        {"\\2-grams:\n", "\\3-grams:\n", ":16: expected the \\2-grams: section"},
        {"\\end\\\n", "", ":27: the file ends in the \\3-grams: section, before \\end\\"},
        {"\\end\\\n", "\\4-grams:\n", ":28: expected \\end\\ after the \\3-grams: section"},
        {"-0.6\tb </s>\n", "-0.5\tb c\n", ":21: duplicate 2-gram 'b c'"},
        {"-0.8\tb\t-0.2\n", "-0.8\ta\t-0.2\n", ":13: duplicate 1-gram 'a'"},
        {"-0.1\t<s> a b\n", "-0.1\t<s> a d\n", ":24: word 'd' of this 3-gram is not among the 1-grams"},
        {"-0.2\ta b c\n", "0.2\ta b c\n", ":25: log10 probability 0.2 is positive"},
        {"-0.2\ta b c\n", "1.1e-6\ta b c\n", ":25: log10 probability 1.1e-6 is positive"},
        {"-0.2\ta b c\n", "nan\ta b c\n", ":25: log10 probability 'nan' is not finite"},
        {"-0.2\ta b c\n", "-inf\ta b c\n", ":25: log10 probability '-inf' is not finite"},
        {"-0.2\ta b c\n", "-1e400\ta b c\n", ":25: log10 probability '-1e400' is not finite"},
        {"-0.2\ta b c\n", "-0.2x\ta b c\n", ":25: log10 probability '-0.2x' is not a number"},
        {"-0.2\ta b c\n", "-1e39\ta b c\n", ":25: a value outside single precision"},
        {"-0.3\ta b\t-0.15\n", "-0.3\ta b\tinf\n", ":19: back-off weight 'inf' is not finite"},
        {"-0.3\ta b\t-0.15\n", "-0.3\ta b\t-.x\n", ":19: back-off weight '-.x' is not a number"},
        {"-0.2\ta b c\n", "-0.2\ta b c -0.5\n", ":25: a back-off weight on an n-gram of the highest order 3"},
        {"-0.2\ta b c\n", "-0.2\ta b\n", ":25: a 3-gram line holds a log10 probability, 3 words"},
        {"-0.2\ta b c\n", "-0.2\ta b c d e\n", "more than 5 fields"},
        {"-0.2\ta b c\n", "-0.2\ta b \xff\n", ":25: invalid UTF-8 byte 0xff"},
        {"-0.2\ta b c\n", "-0.2\ta b \xc0\xaf\n", ":25: invalid UTF-8"},   /* overlong '/' */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = edit(cases[i].from, cases[i].to);
        char path[512];
        util_tmp_path(path, sizeof path, "bad.arpa");
        write_file(path, text, strlen(text));
        free(text);
        rnnlm_ngram *g = (rnnlm_ngram *)1;
        rnnlm_err err;
        rnnlm_status st = rnnlm_ngram_load(&g, path, &err);
        if (st != RNNLM_E_FORMAT || !strstr(err.msg, cases[i].expect) || !strstr(err.msg, path))
            fail_msg("case %zu: status %d, message \"%s\", expected \"%s\"", i, (int)st, st ? err.msg : "",
                     cases[i].expect);
        assert_null(g);
    }
}

/* A probability of 1 written with a rounding error (IRSTLM writes such
 * values: log10 P = 3.28641e-09): read as 1 and counted; 0 and -0 are no
 * rounding. */
static void test_rounding(void **state) {
    (void)state;
    char *text = edit("-0.05\tb c a\n", "3.28641e-09\tb c a\n");
    char *t2 = NULL;
    rnnlm_ngram *g = load_text("round.arpa", text);
    assert_int_equal(rnnlm_ngram_rounded(g), 1);
    int m = 0;
    assert_true(lp(g, B, C, A, &m) == 0.0);   /* log10 1 */
    assert_int_equal(m, 3);
    rnnlm_ngram_free(g);
    free(text);
    text = edit("-0.05\tb c a\n", "1e-6\tb c a\n");   /* the bound itself */
    t2 = edit("-0.2\ta b c\n", "-0\ta b c\n");
    g = load_text("round2.arpa", text);
    assert_int_equal(rnnlm_ngram_rounded(g), 1);
    rnnlm_ngram_free(g);
    g = load_text("round3.arpa", t2);
    assert_int_equal(rnnlm_ngram_rounded(g), 0);
    assert_int_equal(rnnlm_ngram_rounded(NULL), 0);
    rnnlm_ngram_free(g);
    free(text);
    free(t2);
}

/* A NUL byte (line 17), a line over the limit, an empty file, a missing file,
 * a directory, and a header announcing 10^12 n-grams in a file that holds
 * none of them (refused by count, after allocating what the file can hold). */
static void test_bytes_and_sizes(void **state) {
    (void)state;
    char path[512];
    rnnlm_ngram *g;
    rnnlm_err err;

    util_tmp_path(path, sizeof path, "nul.arpa");
    size_t L = strlen(HAND);
    char *t = strdup(HAND);
    assert_non_null(t);
    char *p = strstr(t, "<s> a\t-0.25");
    p[1] = '\0';
    write_file(path, t, L);
    free(t);
    assert_int_equal(rnnlm_ngram_load(&g, path, &err), RNNLM_E_FORMAT);
    assert_non_null(strstr(err.msg, ":17: NUL byte"));

    /* a line of 2 MiB (over the 1 MiB limit) in the unigram section */
    util_tmp_path(path, sizeof path, "long.arpa");
    size_t big = 2u << 20;
    char *l = malloc(L + big + 8);
    assert_non_null(l);
    const char *u = strstr(HAND, "-0.6\t</s>");
    size_t a = (size_t)(u - HAND);
    memcpy(l, HAND, a);
    memset(l + a, 'x', big);
    memcpy(l + a + big, u, L - a);
    write_file(path, l, L + big);
    free(l);
    assert_int_equal(rnnlm_ngram_load(&g, path, &err), RNNLM_E_FORMAT);
    assert_non_null(strstr(err.msg, ":10: line longer than"));

    util_tmp_path(path, sizeof path, "empty.arpa");
    write_file(path, "", 0);
    assert_int_equal(rnnlm_ngram_load(&g, path, &err), RNNLM_E_FORMAT);
    assert_non_null(strstr(err.msg, "no \\data\\ line"));

    util_tmp_path(path, sizeof path, "missing.arpa");
    assert_int_equal(rnnlm_ngram_load(&g, path, &err), RNNLM_E_IO);
    assert_int_equal(rnnlm_ngram_load(&g, util_group_tmpdir(), &err), RNNLM_E_IO);
    assert_int_equal(rnnlm_ngram_load(NULL, path, &err), RNNLM_E_ARG);

    util_tmp_path(path, sizeof path, "huge.arpa");
    const char *huge = "\\data\\\nngram 1=1000000000000\nngram 2=4000000000\n\n\\1-grams:\n-1 a\n\\end\\\n";
    write_file(path, huge, strlen(huge));
    assert_int_equal(rnnlm_ngram_load(&g, path, &err), RNNLM_E_FORMAT);
    assert_non_null(strstr(err.msg, ":2: count of 1-grams above the limit"));
    huge = "\\data\\\nngram 1=4000000000\nngram 2=4000000000\n\n\\1-grams:\n-1 a\n\\2-grams:\n\\end\\\n";
    write_file(path, huge, strlen(huge));
    assert_int_equal(rnnlm_ngram_load(&g, path, &err), RNNLM_E_FORMAT);
    assert_non_null(strstr(err.msg, ":7: the \\1-grams: section holds 1 entries, \\data\\ announced 4000000000"));
}

/* A model without </s> cannot score sentences; one without <s> starts with
 * an empty history. Order 1: no history at all. */
static void test_markers_missing(void **state) {
    (void)state;
    rnnlm_ngram *g = load_text("uni.arpa", "\\data\\\nngram 1=2\n\\1-grams:\n-0.3 a\n-0.5 </s>\n\\end\\\n");
    assert_int_equal(rnnlm_ngram_order(g), 1);
    assert_int_equal(rnnlm_ngram_bos(g), -1);
    const char *w[] = {"a", "a"};
    rnnlm_ngram_score sc;
    score(g, w, 2, RNNLM_NGRAM_OPEN_VOCAB, &sc, NULL);   /* no <unk>: open changes nothing */
    assert_float_equal(sc.log10prob, -1.1, TOL);
    rnnlm_ngram_free(g);
    g = load_text("noend.arpa", "\\data\\\nngram 1=1\n\\1-grams:\n-0.3 a\n\\end\\\n");
    rnnlm_err err;
    assert_int_equal(rnnlm_ngram_score_sentence(g, w, 2, 0, &sc, NULL, &err), RNNLM_E_STATE);
    rnnlm_ngram_free(g);
}

/* Words longer than the reader's cache of the previous line's words (1 KiB)
 * and words that are prefixes of each other: every n-gram still finds its
 * own words. */
static void test_word_cache(void **state) {
    (void)state;
    char L[1301];
    memset(L, 'x', 1300);
    L[1300] = '\0';
    char *text = malloc(16384);
    assert_non_null(text);
    snprintf(text, 16384,
             "\\data\\\nngram 1=4\nngram 2=6\n\\1-grams:\n-0.5 </s>\n-0.6 %s -0.1\n-0.7 a -0.2\n"
             "-0.8 ab -0.3\n\\2-grams:\n-0.11 %s a\n-0.12 %s ab\n-0.13 %s </s>\n-0.14 a %s\n-0.15 a ab\n"
             "-0.16 ab a\n\\end\\\n", L, L, L, L, L);
    rnnlm_ngram *g = load_text("long.arpa", text);
    free(text);
    int32_t l = rnnlm_ngram_lookup(g, L, 1300), a = rnnlm_ngram_lookup(g, "a", 1), ab = rnnlm_ngram_lookup(g, "ab", 2);
    assert_int_equal(l, 1);
    int32_t c[1];
    c[0] = l;
    assert_float_equal(rnnlm_ngram_logprob(g, c, 1, a, NULL), -0.11, TOL);
    assert_float_equal(rnnlm_ngram_logprob(g, c, 1, ab, NULL), -0.12, TOL);
    assert_float_equal(rnnlm_ngram_logprob(g, c, 1, 0, NULL), -0.13, TOL);
    c[0] = a;
    assert_float_equal(rnnlm_ngram_logprob(g, c, 1, l, NULL), -0.14, TOL);
    assert_float_equal(rnnlm_ngram_logprob(g, c, 1, ab, NULL), -0.15, TOL);
    assert_float_equal(rnnlm_ngram_logprob(g, c, 1, a, NULL), -0.2 - 0.7, TOL);   /* "a a": bow(a) + p(a) */
    c[0] = ab;
    assert_float_equal(rnnlm_ngram_logprob(g, c, 1, a, NULL), -0.16, TOL);
    assert_float_equal(rnnlm_ngram_logprob(g, c, 1, ab, NULL), -0.3 - 0.8, TOL);
    rnnlm_ngram_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_vocab),
        cmocka_unit_test(test_backoff_by_hand),
        cmocka_unit_test(test_sentences),
        cmocka_unit_test(test_gzip_and_crlf),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_bytes_and_sizes),
        cmocka_unit_test(test_markers_missing),
        cmocka_unit_test(test_word_cache),
    };
    return cmocka_run_group_tests_name("ngram", tests, util_group_setup, util_group_teardown);
}
