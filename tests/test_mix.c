/* test_mix.c: interpolating a model with an n-gram (src/pipeline/mix.c):
 *  - the component probabilities of a sentence over the two vocabularies:
 *    a word both have, one only the RNN has (p_ngram 0, the n-gram's history
 *    cut), one only the n-gram has under each <unk> rule (split among the U
 *    words the RNN lacks, whole, the n-gram's), one outside both (an OOV),
 *    the word <unk> itself, the end (</s> for the n-gram);
 *  - RNNLM_MIX_NGRAM_CANON: the n-gram sees the RNN's form of a word;
 *  - the mixture's log10 (zero, OOV) and the EM weight against a fine grid
 *    of the log-likelihood, boundary optima included;
 *  - an id stream's pairs (rnnlm_mix_stream) have the components that each
 *    of its sentences has scored alone (rnnlm_mix_sentence), the history
 *    restarting at every <s>, longer than the order, cut by a word the
 *    n-gram lacks; a stream that does not begin with <s>;
 *  - bad arguments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rnnlm.h"
#include "util.h"

/* ids <s> 0, </s> 1, a 2, b 3, x 4, y 5 (x, y: the RNN lacks them), no <unk> */
static const char *ARPA =
    "\\data\\\n"
    "ngram 1=7\n"
    "ngram 2=2\n"
    "\n"
    "\\1-grams:\n"
    "-99\t<s>\t-0.5\n"
    "-1.0\t</s>\n"
    "-0.5\ta\t-0.25\n"
    "-0.75\tb\n"
    "-1.25\tx\n"
    "-1.5\ty\n"
    "-2\t<unk>\n"
    "\n"
    "\\2-grams:\n"
    "-0.25\t<s> a\n"
    "-0.125\ta b\n"
    "\n"
    "\\end\\\n";

/* RNN vocabulary: the specials, a, b, c (c: only the RNN has it) */
static rnnlm_vocab *rnn_vocab(rnnlm_canon canon) {
    const char *words[] = {"<s>", "</s>", "<unk>", "a", "b", "c"};
    rnnlm_vocab *v = NULL;
    rnnlm_err err;
    if (rnnlm_vocab_from_words(&v, words, NULL, 6, canon, 6, &err)) fail_msg("%s", err.msg);
    return v;
}

static rnnlm_ngram *ngram(void) {
    char path[512];
    util_tmp_path(path, sizeof path, "mix.arpa");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(ARPA, f);
    assert_int_equal(fclose(f), 0);
    rnnlm_ngram *g = NULL;
    rnnlm_err err;
    if (rnnlm_ngram_load(&g, path, &err)) fail_msg("%s", err.msg);
    return g;
}

static double p10(double x) { return pow(10.0, x); }
#define REL(a, b) assert_true(fabs((a) - (b)) <= 1e-6 * fabs(b))

static void test_sentence_rules(void **state) {
    (void)state;
    rnnlm_vocab *v = rnn_vocab(RNNLM_CANON_NONE);
    rnnlm_ngram *g = ngram();
    rnnlm_err err;
    /* a c x zebra <unk> b, then the end; the RNN's ln P made up */
    const char *w[] = {"a", "c", "x", "zebra", "<unk>", "b"};
    double rnn[7] = {log(0.5), log(0.25), log(0.125), log(0.0625), log(0.2), log(0.3), log(0.4)};
    rnnlm_mix_word o[7];
    static const double want_x[3] = {0.125 / 2, 0.125, 0};   /* split (U = 2: x, y), whole, ngram */
    for (int mode = 0; mode < 3; mode++) {
        rnnlm_mix *mx = NULL;
        assert_int_equal(rnnlm_mix_create(&mx, v, g, mode, 0, &err), RNNLM_OK);
        assert_int_equal(rnnlm_mix_unk_words(mx), 2);
        assert_int_equal(rnnlm_mix_sentence(mx, w, 6, rnn, o, &err), RNNLM_OK);
        /* a: both; the n-gram's bigram <s> a */
        REL(o[0].p_rnn, 0.5);
        REL(o[0].p_ngram, p10(-0.25));
        assert_int_equal(o[0].order, 2);
        assert_int_equal(o[0].rnn_id, 3);
        /* c: only the RNN: p_ngram 0 */
        REL(o[1].p_rnn, 0.25);
        assert_true(o[1].p_ngram == 0 && o[1].ngram_id == -1 && !o[1].oov);
        /* x after c: the n-gram's history was cut: its unigram */
        REL(o[2].p_ngram, p10(-1.25));
        assert_int_equal(o[2].order, 1);
        assert_int_equal(o[2].rnn_id, RNNLM_UNK);
        REL(o[2].p_rnn, mode == 2 ? p10(-1.25) : want_x[mode]);
        /* zebra: outside both */
        assert_true(o[3].oov && o[3].p_rnn == 0 && o[3].p_ngram == 0);
        assert_true(isnan(rnnlm_mix_log10(&o[3], 0.5)));
        /* <unk> itself: the whole class on both sides */
        REL(o[4].p_rnn, 0.2);
        REL(o[4].p_ngram, p10(-2));
        /* b after <unk>: no bigram "<unk> b", no back-off weight for <unk>: the unigram */
        REL(o[5].p_ngram, p10(-0.75));
        /* the end: the RNN's closing <s>, the n-gram's </s> after b (no back-off weight) */
        assert_int_equal(o[6].rnn_id, RNNLM_BOS);
        REL(o[6].p_rnn, 0.4);
        REL(o[6].p_ngram, p10(-1.0));
        /* the mixture */
        REL(p10(rnnlm_mix_log10(&o[0], 0.25)), 0.25 * 0.5 + 0.75 * p10(-0.25));
        assert_true(rnnlm_mix_log10(&o[1], 0.0) == -INFINITY);
        REL(p10(rnnlm_mix_log10(&o[1], 1.0)), 0.25);
        rnnlm_mix_free(mx);
    }
    rnnlm_ngram_free(g);
    rnnlm_vocab_free(v);
}

static void test_canon(void **state) {
    (void)state;
    /* a canonicalising RNN: "A" is its "a"; the n-gram's words are lower case */
    rnnlm_vocab *v = rnn_vocab(RNNLM_CANON_RECIPE);
    rnnlm_ngram *g = ngram();
    rnnlm_err err;
    const char *w[] = {"A", "X"};
    double rnn[3] = {log(0.5), log(0.1), log(0.2)};
    rnnlm_mix_word o[3];
    rnnlm_mix *mx = NULL;
    assert_int_equal(rnnlm_mix_create(&mx, v, g, RNNLM_MIX_UNK_WHOLE, 0, &err), RNNLM_OK);
    assert_int_equal(rnnlm_mix_sentence(mx, w, 2, rnn, o, &err), RNNLM_OK);
    assert_int_equal(o[0].rnn_id, 3);   /* the RNN knows "A" as "a" */
    assert_int_equal(o[0].ngram_id, -1);   /* the exact bytes: the n-gram lacks "A" */
    assert_true(o[1].oov);                 /* "X": outside both */
    rnnlm_mix_free(mx);
    assert_int_equal(rnnlm_mix_create(&mx, v, g, RNNLM_MIX_UNK_WHOLE, RNNLM_MIX_NGRAM_CANON, &err), RNNLM_OK);
    assert_int_equal(rnnlm_mix_sentence(mx, w, 2, rnn, o, &err), RNNLM_OK);
    assert_int_equal(o[0].ngram_id, 2);
    REL(o[0].p_ngram, p10(-0.25));
    assert_int_equal(o[1].ngram_id, 4);   /* "X" canonicalised: "x" */
    REL(o[1].p_rnn, 0.1);
    rnnlm_mix_free(mx);
    rnnlm_ngram_free(g);
    rnnlm_vocab_free(v);
}

/* log-likelihood of the mixture at L */
static double loglik(const rnnlm_mix_word *w, size_t n, double L) {
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double p = L * w[i].p_rnn + (1 - L) * w[i].p_ngram;
        if (!w[i].oov && p > 0) s += log(p);
    }
    return s;
}

static void test_em(void **state) {
    (void)state;
    enum { N = 400 };
    rnnlm_mix_word *w = calloc(N, sizeof *w);
    assert_non_null(w);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 7);
    rnnlm_err err;
    /* three shapes: an interior optimum, one at 1 (the n-gram useless), one at 0 */
    for (int shape = 0; shape < 3; shape++) {
        for (size_t i = 0; i < N; i++) {
            double a = 0.01 + rnnlm_rng_double(&r), b = 0.01 + rnnlm_rng_double(&r);
            w[i].p_rnn = shape == 2 ? a * 1e-3 : a;
            w[i].p_ngram = shape == 1 ? b * 1e-3 : b;
            w[i].oov = i % 37 == 0;   /* OOVs are left out */
        }
        double L;
        int it;
        assert_int_equal(rnnlm_mix_em(w, N, 1e-10, 0, &L, &it, &err), RNNLM_OK);
        double best = -INFINITY, arg = 0;
        for (int k = 0; k <= 10000; k++) {
            double ll = loglik(w, N, k / 10000.0);
            if (ll > best) { best = ll; arg = k / 10000.0; }
        }
        assert_true(fabs(L - arg) <= 2e-4);
        assert_true(loglik(w, N, L) >= best - 1e-9 * fabs(best));
        assert_true(it > 1);
        if (shape == 0) assert_true(L > 0.05 && L < 0.95);
    }
    free(w);
}

static void test_stream(void **state) {
    (void)state;
    rnnlm_vocab *v = rnn_vocab(RNNLM_CANON_NONE);
    rnnlm_ngram *g = ngram();
    rnnlm_err err;
    rnnlm_mix *mx = NULL;
    assert_int_equal(rnnlm_mix_create(&mx, v, g, RNNLM_MIX_UNK_WHOLE, 0, &err), RNNLM_OK);
    /* <s> a b <s> a c b a <s> <unk> a <s>: ids a 3, b 4, c 5 (c cuts the n-gram's history) */
    static const int32_t ids[] = {0, 3, 4, 0, 3, 5, 4, 3, 0, 2, 3, 0};
    enum { N = sizeof ids / sizeof ids[0] - 1 };
    double rnn[N];
    for (int i = 0; i < N; i++) rnn[i] = log(0.05 + 0.07 * i);
    rnnlm_mix_word o[N], want[8];
    assert_int_equal(rnnlm_mix_stream(mx, ids, ids + 1, N, rnn, o, &err), RNNLM_OK);
    /* each sentence alone: its words, the RNN's values of its pairs */
    const char *s1[] = {"a", "b"}, *s2[] = {"a", "c", "b", "a"}, *s3[] = {"<unk>", "a"};
    const char *const *sent[] = {s1, s2, s3};
    const size_t len[] = {2, 4, 2};
    size_t at = 0;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(rnnlm_mix_sentence(mx, sent[k], len[k], rnn + at, want, &err), RNNLM_OK);
        for (size_t i = 0; i <= len[k]; i++, at++) {
            REL(o[at].p_rnn, want[i].p_rnn);
            if (want[i].p_ngram == 0) assert_true(o[at].p_ngram == 0);
            else REL(o[at].p_ngram, want[i].p_ngram);
            assert_int_equal(o[at].rnn_id, want[i].rnn_id);
            assert_int_equal(o[at].ngram_id, want[i].ngram_id);
            assert_int_equal(o[at].order, want[i].order);
            assert_int_equal(o[at].oov, 0);
        }
    }
    assert_int_equal(at, N);
    assert_int_equal(o[1].order, 2);   /* "a b": the bigram */
    assert_true(o[4].p_ngram == 0);    /* c: the n-gram lacks it */
    assert_int_equal(o[5].order, 1);   /* b after c: the history was cut */
    /* from a word, not <s>: the history is the words seen (b -> a: no bigram, a's unigram) */
    assert_int_equal(rnnlm_mix_stream(mx, ids + 6, ids + 7, 1, rnn, o, &err), RNNLM_OK);
    assert_int_equal(o[0].order, 1);
    REL(o[0].p_ngram, p10(-0.5));
    assert_int_equal(rnnlm_mix_stream(mx, ids + 3, ids + 4, 1, rnn, o, &err), RNNLM_OK);
    REL(o[0].p_ngram, p10(-0.25));     /* <s> -> a */
    /* an id outside the vocabulary; NULL */
    static const int32_t bad[] = {0, 6};
    assert_int_equal(rnnlm_mix_stream(mx, bad, bad + 1, 1, rnn, o, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "outside the vocabulary"));
    assert_int_equal(rnnlm_mix_stream(mx, ids, ids + 1, 1, NULL, o, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_mix_stream(mx, NULL, NULL, 0, NULL, NULL, &err), RNNLM_OK);
    rnnlm_mix_free(mx);
    rnnlm_ngram_free(g);
    rnnlm_vocab_free(v);
}

static void test_bad_arguments(void **state) {
    (void)state;
    rnnlm_vocab *v = rnn_vocab(RNNLM_CANON_NONE);
    rnnlm_ngram *g = ngram();
    rnnlm_err err;
    rnnlm_mix *mx = (rnnlm_mix *)1;
    assert_int_equal(rnnlm_mix_create(&mx, v, g, 3, 0, &err), RNNLM_E_ARG);
    assert_null(mx);
    assert_int_equal(rnnlm_mix_create(&mx, v, NULL, 0, 0, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_mix_create(&mx, v, g, 0, 8, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_mix_create(NULL, v, g, 0, 0, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_mix_create(&mx, v, g, 0, 0, &err), RNNLM_OK);
    double rnn[1] = {0};
    rnnlm_mix_word o[1];
    const char *w[] = {NULL};
    assert_int_equal(rnnlm_mix_sentence(mx, w, 1, rnn, o, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_mix_sentence(mx, NULL, 0, NULL, o, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_mix_sentence(mx, NULL, 0, rnn, o, &err), RNNLM_OK);   /* the end alone */
    double L;
    rnnlm_mix_word oov = {0, 0, RNNLM_UNK, -1, 0, 1};
    assert_int_equal(rnnlm_mix_em(&oov, 1, 0, 0, &L, NULL, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "nothing to estimate"));
    assert_int_equal(rnnlm_mix_em(NULL, 0, 0, 0, &L, NULL, &err), RNNLM_E_ARG);
    assert_true(isnan(rnnlm_mix_log10(NULL, 0.5)));
    assert_int_equal(rnnlm_mix_unk_words(NULL), 0);
    rnnlm_mix_free(mx);
    rnnlm_mix_free(NULL);
    rnnlm_ngram_free(g);
    rnnlm_vocab_free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sentence_rules),
        cmocka_unit_test(test_canon),
        cmocka_unit_test(test_em),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests_name("mix", tests, util_group_setup, util_group_teardown);
}
