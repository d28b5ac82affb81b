/* test_batch.c: the two batch iterators of src/data/batch.c.
 *  - stateful (truncated BPTT with carried state): the example of docs/DATA.md section 6
 *    (T = 4, two rows), row alignment across batches on many shapes, the short
 *    last batch, drop_tail, data smaller than one batch;
 *  - windowed (the recipe's pipeline): the window count (Brown's 969,925 x
 *    ids at T = 25), every window once per epoch, the guarantees of a
 *    tf.data-style shuffle buffer, seeds, the last partial batch, drop_tail;
 *  - the stateful stream's sentences reshuffled each epoch (src/data/reshuffle.c):
 *    the same sentences, each whole and after its marker, in an order that is a
 *    function of the seed, all orders equally likely; the streams it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rnnlm.h"
#include "data/reshuffle.h"

#define SENTINEL (-7)

/* An id stream 0, 1, 2, ... (n_ids of them): pair i is (i, i + 1), so every
 * value in a batch says where it came from. */
static int32_t *iota(size_t n_ids) {
    int32_t *ids = malloc(n_ids * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < n_ids; i++) ids[i] = (int32_t)i;
    return ids;
}

static void fill(int32_t *b, size_t n, int32_t v) {
    for (size_t i = 0; i < n; i++) b[i] = v;
}

/* ---- stateful ------------------------------------------------------------ */

/* docs/DATA.md section 6: T = 4, two rows; batch 0 = [a b c d], [s t u v];
 * batch 1 = [e f g h], [w x y z]. The stream is "abcdefghstuvwxyz" and one
 * more word, the targets are one word ahead. */
static void test_stream_reference_example(void **state) {
    (void)state;
    const char *s = "abcdefghstuvwxyz.";
    int32_t ids[17];
    for (int i = 0; i < 17; i++) ids[i] = s[i];
    rnnlm_stream_batcher b;
    rnnlm_err err = {0};
    assert_int_equal(rnnlm_stream_batcher_init(&b, ids, ids + 1, 16, 2, 4, 0, &err), RNNLM_OK);
    assert_int_equal(b.rows_len, 8);
    assert_int_equal(b.n_batches, 2);
    static const char *want_x[2][2] = {{"abcd", "stuv"}, {"efgh", "wxyz"}};
    static const char *want_y[2][2] = {{"bcde", "tuvw"}, {"fghs", "xyz."}};
    for (size_t k = 0; k < 2; k++) {
        int32_t xb[8], yb[8];
        assert_int_equal(rnnlm_stream_batch(&b, k, xb, yb), 4);
        for (int r = 0; r < 2; r++)
            for (int t = 0; t < 4; t++) {
                if (xb[r * 4 + t] != want_x[k][r][t] || yb[r * 4 + t] != want_y[k][r][t])
                    fail_msg("batch %zu row %d step %d: (%c, %c), expected (%c, %c)", k, r, t, xb[r * 4 + t],
                             yb[r * 4 + t], want_x[k][r][t], want_y[k][r][t]);
            }
    }
    int32_t xb[8], yb[8];
    assert_int_equal(rnnlm_stream_batch(&b, 2, xb, yb), 0);   /* past the end */
}

/* For many (n, B, T): row r of batch k+1 continues row r of batch k; the rows
 * are the consecutive R = n / B pairs; the last batch has R mod T columns (or
 * is dropped) and is packed as (B, w), rows w apart; nothing past B * w is
 * written. */
static void test_stream_alignment_and_shapes(void **state) {
    (void)state;
    static const struct { size_t n; int B, T; } cases[] = {
        {16, 2, 4}, {17, 2, 4}, {100, 3, 7}, {101, 1, 5}, {1000, 10, 25}, {63, 4, 4}, {64, 4, 4},
        {12, 3, 4}, {999, 7, 1}, {50, 50, 1}, {77, 1, 77},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t n = cases[c].n;
        int B = cases[c].B, T = cases[c].T;
        int32_t *ids = iota(n + 1);
        for (int drop = 0; drop < 2; drop++) {
            rnnlm_stream_batcher b;
            rnnlm_err err = {0};
            if (rnnlm_stream_batcher_init(&b, ids, ids + 1, n, B, T, drop, &err))
                fail_msg("n %zu B %d T %d: %s", n, B, T, err.msg);
            size_t R = n / (size_t)B;
            assert_int_equal(b.rows_len, R);
            assert_int_equal(b.n_batches, drop ? R / (size_t)T : (R + (size_t)T - 1) / (size_t)T);
            int32_t *xb = malloc((size_t)B * (size_t)T * sizeof *xb), *yb = malloc((size_t)B * (size_t)T * sizeof *yb);
            assert_non_null(xb);
            assert_non_null(yb);
            size_t *col = calloc((size_t)B, sizeof *col);   /* next expected column of each row */
            assert_non_null(col);
            for (size_t k = 0; k < b.n_batches; k++) {
                fill(xb, (size_t)B * (size_t)T, SENTINEL);
                fill(yb, (size_t)B * (size_t)T, SENTINEL);
                int w = rnnlm_stream_batch(&b, k, xb, yb);
                int want_w = (k + 1) * (size_t)T <= R ? T : (int)(R % (size_t)T);
                if (w != want_w) fail_msg("n %zu B %d T %d batch %zu: width %d, expected %d", n, B, T, k, w, want_w);
                /* (B, w) row-major: rows w apart, nothing past B * w written */
                for (size_t i = (size_t)B * (size_t)w; i < (size_t)B * (size_t)T; i++)
                    if (xb[i] != SENTINEL || yb[i] != SENTINEL)
                        fail_msg("n %zu B %d T %d batch %zu (width %d): element %zu past B * w written", n, B, T,
                                 k, w, i);
                for (int r = 0; r < B; r++) {
                    for (int t = 0; t < w; t++) {
                        int32_t x = xb[(size_t)r * (size_t)w + (size_t)t], y = yb[(size_t)r * (size_t)w + (size_t)t];
                        int32_t want = (int32_t)((size_t)r * R + col[r]);
                        if (x != want || y != want + 1)
                            fail_msg("n %zu B %d T %d batch %zu row %d step %d: x %d y %d, expected %d %d", n, B, T,
                                     k, r, t, x, y, want, want + 1);
                        col[r]++;
                    }
                }
            }
            /* every row read to its end (or to its last whole batch) */
            for (int r = 0; r < B; r++) assert_int_equal(col[r], drop ? R / (size_t)T * (size_t)T : R);
            assert_int_equal(rnnlm_stream_batch(&b, b.n_batches, xb, yb), 0);
            free(col); free(xb); free(yb);
        }
        free(ids);
    }
}

static void test_stream_errors(void **state) {
    (void)state;
    int32_t *ids = iota(101);
    rnnlm_stream_batcher b;
    rnnlm_err err = {0};
    /* B * T larger than the data: refused with a message naming the sizes */
    assert_int_equal(rnnlm_stream_batcher_init(&b, ids, ids + 1, 100, 11, 10, 0, &err), RNNLM_E_ARG);
    assert_int_equal(err.status, RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "100"));
    assert_int_equal(rnnlm_stream_batcher_init(&b, ids, ids + 1, 100, 1, 101, 1, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_stream_batcher_init(&b, ids, ids + 1, 0, 1, 1, 0, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_stream_batcher_init(&b, ids, ids + 1, 100, 0, 10, 0, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_stream_batcher_init(&b, ids, ids + 1, 100, 10, 0, 0, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_stream_batcher_init(&b, ids, ids + 1, 100, -1, 10, 0, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_stream_batcher_init(&b, ids, ids + 1, 100, 1 << 30, 1 << 30, 0, &err), RNNLM_E_ARG);
    /* exactly one batch of data is enough */
    assert_int_equal(rnnlm_stream_batcher_init(&b, ids, ids + 1, 100, 10, 10, 1, &err), RNNLM_OK);
    assert_int_equal(b.n_batches, 1);
    free(ids);
}

/* ---- windowed ------------------------------------------------------------ */

static rnnlm_window_batcher make_windows(const int32_t *ids, size_t n, int B, int T, size_t buffer, int drop) {
    rnnlm_window_batcher b;
    rnnlm_err err = {0};
    if (rnnlm_window_batcher_init(&b, ids, ids + 1, n, B, T, buffer, drop, &err))
        fail_msg("n %zu B %d T %d buffer %zu: %s", n, B, T, buffer, err.msg);
    return b;
}

/* n_windows = floor((n + 1 - T) / T), the recipe's trainlen / T: Brown's
 * training stream of 969,950 ids gives 38,797 windows, 969,925 x ids at T = 25. */
static void test_window_count(void **state) {
    (void)state;
    size_t n_ids = 969950;
    int32_t *ids = iota(n_ids);
    rnnlm_window_batcher b = make_windows(ids, n_ids - 1, 100, 25, 2500, 0);
    assert_int_equal(b.n_windows, 38797);
    assert_int_equal(b.n_windows * 25, 969925);
    assert_int_equal(b.n_batches, 388);
    rnnlm_window_batcher_free(&b);
    b = make_windows(ids, n_ids - 1, 100, 25, 2500, 1);
    assert_int_equal(b.n_batches, 387);
    rnnlm_window_batcher_free(&b);
    /* small cases, against trainlen = int((len(ids) - T) / T) * T */
    for (size_t len = 2; len < 60; len++)
        for (int T = 1; T <= 9; T++) {
            size_t want = len >= (size_t)T ? (len - (size_t)T) / (size_t)T : 0;
            rnnlm_window_batcher w;
            rnnlm_err err = {0};
            rnnlm_status st = rnnlm_window_batcher_init(&w, ids, ids + 1, len - 1, 1, T, 0, 0, &err);
            if (want == 0) {
                if (st != RNNLM_E_ARG) fail_msg("%zu ids, T %d: no window, but status %d", len, T, st);
                continue;
            }
            if (st) fail_msg("%zu ids, T %d: %s", len, T, err.msg);
            if (w.n_windows != want) fail_msg("%zu ids, T %d: %zu windows, expected %zu", len, T, w.n_windows, want);
            rnnlm_window_batcher_free(&w);
        }
    free(ids);
}

/* Reads an epoch; returns the window order it saw (checked against the
 * content: window w is x[w*T .. w*T+T), y one ahead). */
static uint32_t *read_epoch(const rnnlm_window_batcher *b) {
    size_t B = (size_t)b->B, T = (size_t)b->T;
    uint32_t *seen = malloc(b->n_windows * sizeof *seen);
    int32_t *xb = malloc(B * T * sizeof *xb), *yb = malloc(B * T * sizeof *yb);
    assert_non_null(seen);
    assert_non_null(xb);
    assert_non_null(yb);
    size_t out = 0;
    for (size_t k = 0; k < b->n_batches; k++) {
        fill(xb, B * T, SENTINEL);
        fill(yb, B * T, SENTINEL);
        int rows = rnnlm_window_batch(b, k, xb, yb);
        size_t left = b->n_windows - k * B;
        assert_int_equal(rows, left < B ? left : B);
        for (size_t r = 0; r < B; r++) {
            if (r >= (size_t)rows) {   /* rows past the last are untouched */
                for (size_t t = 0; t < T; t++) assert_int_equal(xb[r * T + t], SENTINEL);
                continue;
            }
            int32_t first = xb[r * T];
            assert_int_equal(first % (int32_t)T, 0);
            for (size_t t = 0; t < T; t++) {
                assert_int_equal(xb[r * T + t], first + (int32_t)t);
                assert_int_equal(yb[r * T + t], first + (int32_t)t + 1);
            }
            seen[out++] = (uint32_t)first / (uint32_t)T;
        }
    }
    assert_int_equal(rnnlm_window_batch(b, b->n_batches, xb, yb), 0);   /* past the end */
    free(xb); free(yb);
    size_t expect = b->drop_tail ? b->n_batches * B : b->n_windows;
    assert_int_equal(out, expect);
    return seen;
}

static void assert_permutation(const uint32_t *order, size_t n) {
    unsigned char *hit = calloc(n, 1);
    assert_non_null(hit);
    for (size_t i = 0; i < n; i++) {
        assert_true(order[i] < n);
        if (hit[order[i]]) fail_msg("window %u emitted twice", order[i]);
        hit[order[i]] = 1;
    }
    free(hit);
}

/* Buffer 0 or 1: the windows in order; the batches are the consecutive windows. */
static void test_window_unshuffled(void **state) {
    (void)state;
    int32_t *ids = iota(1001);
    for (size_t buffer = 0; buffer < 2; buffer++) {
        rnnlm_window_batcher b = make_windows(ids, 1000, 8, 10, buffer, 0);
        assert_int_equal(b.n_windows, 99);
        rnnlm_window_batcher_shuffle(&b, 123);
        uint32_t *seen = read_epoch(&b);
        for (uint32_t i = 0; i < 99; i++) assert_int_equal(seen[i], i);
        free(seen);
        rnnlm_window_batcher_free(&b);
    }
    /* before any shuffle the order is the identity too */
    rnnlm_window_batcher b = make_windows(ids, 1000, 8, 10, 50, 0);
    uint32_t *seen = read_epoch(&b);
    for (uint32_t i = 0; i < 99; i++) assert_int_equal(seen[i], i);
    free(seen);
    rnnlm_window_batcher_free(&b);
    assert_null(b.order);
    rnnlm_window_batcher_free(&b);   /* twice is harmless */
    free(ids);
}

/* A tf.data shuffle buffer of S windows: every window exactly once; output p
 * is drawn from the windows read so far, so it is < p + S (window i never
 * comes before position i - S + 1); with S >= the window count any window can
 * come first; the same seed gives the same order, another seed another. */
static void test_window_shuffle_buffer(void **state) {
    (void)state;
    int32_t *ids = iota(5011);
    static const size_t buffers[] = {2, 3, 10, 64, 499, 500, 10000};
    for (size_t bi = 0; bi < sizeof buffers / sizeof *buffers; bi++) {
        size_t S = buffers[bi];
        rnnlm_window_batcher b = make_windows(ids, 5010, 7, 10, S, 0);
        size_t n = b.n_windows;
        assert_int_equal(n, 500);
        size_t moved = 0;
        for (uint64_t seed = 1; seed <= 20; seed++) {
            rnnlm_window_batcher_shuffle(&b, seed);
            uint32_t *seen = read_epoch(&b);
            assert_memory_equal(seen, b.order, n * sizeof *seen);
            assert_permutation(seen, n);
            for (size_t p = 0; p < n; p++) {
                if (seen[p] >= p + S) fail_msg("buffer %zu seed %llu: window %u at position %zu", S,
                                               (unsigned long long)seed, seen[p], p);
                moved += seen[p] != p;
            }
            free(seen);
        }
        assert_true(moved > 20 * n / 4);   /* it did shuffle */
        rnnlm_window_batcher_free(&b);
    }
    /* seeds */
    rnnlm_window_batcher b = make_windows(ids, 5010, 7, 10, 100, 0);
    uint32_t *one = malloc(500 * sizeof *one);
    assert_non_null(one);
    rnnlm_window_batcher_shuffle(&b, 42);
    memcpy(one, b.order, 500 * sizeof *one);
    rnnlm_window_batcher_shuffle(&b, 43);
    assert_memory_not_equal(one, b.order, 500 * sizeof *one);
    rnnlm_window_batcher_shuffle(&b, 42);
    assert_memory_equal(one, b.order, 500 * sizeof *one);
    free(one);
    rnnlm_window_batcher_free(&b);
    free(ids);
}

/* Each output is a uniform choice among the buffer: over many seeds the first
 * window is each of the first S about equally often, and with a buffer as
 * large as the data the last window can come first. */
static void test_window_shuffle_uniform(void **state) {
    (void)state;
    int32_t *ids = iota(201);
    enum { S = 4, SEEDS = 8000 };
    rnnlm_window_batcher b = make_windows(ids, 200, 1, 10, S, 0);
    size_t first[20] = {0}, second[20] = {0};
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        rnnlm_window_batcher_shuffle(&b, seed);
        first[b.order[0]]++;
        second[b.order[1]]++;
    }
    for (int w = 0; w < S; w++)   /* expected 2000 each; 5 standard deviations is about 190 */
        if (first[w] < 1800 || first[w] > 2200) fail_msg("window %d came first %zu times in %d", w, first[w], SEEDS);
    for (int w = S; w < 20; w++) assert_int_equal(first[w], 0);
    /* the second output: window 4 enters after the first is emitted, so each of
     * windows 0..4 is second with probability 1/5 * (1 - ...) > 0; 5+ never */
    for (int w = 0; w <= S; w++) assert_true(second[w] > 1000);
    for (int w = S + 1; w < 20; w++) assert_int_equal(second[w], 0);
    rnnlm_window_batcher_free(&b);
    b = make_windows(ids, 200, 1, 10, 1000, 0);
    int last_first = 0;
    for (uint64_t seed = 0; seed < 1000 && !last_first; seed++) {
        rnnlm_window_batcher_shuffle(&b, seed);
        last_first = b.order[0] == b.n_windows - 1;
    }
    assert_true(last_first);
    rnnlm_window_batcher_free(&b);
    free(ids);
}

/* 10 windows in batches of 4: 4, 4, 2 (or 4, 4 with drop_tail); fewer windows
 * than a batch: one short batch, or refused with drop_tail; no window at all:
 * refused. */
static void test_window_tail(void **state) {
    (void)state;
    int32_t *ids = iota(111);
    rnnlm_window_batcher b = make_windows(ids, 110, 4, 10, 5, 0);   /* (111 - 10) / 10 = 10 windows */
    assert_int_equal(b.n_windows, 10);
    assert_int_equal(b.n_batches, 3);
    for (uint64_t seed = 0; seed < 5; seed++) {
        rnnlm_window_batcher_shuffle(&b, seed);
        uint32_t *seen = read_epoch(&b);   /* checks 4, 4, 2 rows and untouched rows */
        assert_permutation(seen, 10);
        free(seen);
    }
    rnnlm_window_batcher_free(&b);
    b = make_windows(ids, 110, 4, 10, 5, 1);
    assert_int_equal(b.n_batches, 2);
    rnnlm_window_batcher_shuffle(&b, 9);
    free(read_epoch(&b));   /* 8 windows, then nothing */
    rnnlm_window_batcher_free(&b);

    b = make_windows(ids, 110, 16, 10, 5, 0);
    assert_int_equal(b.n_batches, 1);
    free(read_epoch(&b));
    rnnlm_window_batcher_free(&b);

    rnnlm_err err = {0};
    assert_int_equal(rnnlm_window_batcher_init(&b, ids, ids + 1, 110, 16, 10, 5, 1, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "10 windows"));
    assert_null(b.order);
    assert_int_equal(rnnlm_window_batcher_init(&b, ids, ids + 1, 18, 1, 10, 5, 0, &err), RNNLM_E_ARG);   /* 19 ids: none */
    assert_int_equal(rnnlm_window_batcher_init(&b, ids, ids + 1, 19, 1, 10, 5, 0, &err), RNNLM_OK);      /* 20 ids: one */
    assert_int_equal(b.n_windows, 1);
    rnnlm_window_batcher_free(&b);
    assert_int_equal(rnnlm_window_batcher_init(&b, ids, ids + 1, 110, 0, 10, 5, 0, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_window_batcher_init(&b, ids, ids + 1, 110, 4, 0, 5, 0, &err), RNNLM_E_ARG);
    assert_int_equal(rnnlm_window_batcher_init(&b, ids, ids + 1, 0, 4, 10, 5, 0, &err), RNNLM_E_ARG);
    free(ids);
}

/* A stream of `ns` sentences "<s> w..." with distinct words (sentence k has
 * k % 4 + 1 words, each word id names its sentence: 100 k + j), then the
 * closing marker; *n receives its pairs. */
static int32_t *sentences(size_t ns, size_t *n) {
    int32_t *ids = malloc((ns * 5 + 1) * sizeof *ids);
    assert_non_null(ids);
    size_t k = 0;
    for (size_t s = 0; s < ns; s++) {
        ids[k++] = RNNLM_BOS;
        for (size_t j = 0; j < s % 4 + 1; j++) ids[k++] = (int32_t)(100 * (s + 1) + j);
    }
    ids[k++] = RNNLM_BOS;
    *n = k - 1;
    return ids;
}

/* The sentence order of a shuffled stream, checked to be the sentences of
 * sentences(ns) each whole, each once, between markers. */
static void read_order(const sentence_shuffler *s, size_t ns, uint32_t *order) {
    const int32_t *b = s->buf;
    char *seen = calloc(ns, 1);
    assert_non_null(seen);
    assert_int_equal(b[0], RNNLM_BOS);
    assert_int_equal(b[s->n], RNNLM_BOS);
    size_t k = 0, i = 0;
    while (i < s->n) {
        assert_int_equal(b[i++], RNNLM_BOS);
        assert_true(b[i] >= 100);
        size_t sent = (size_t)b[i] / 100 - 1;
        assert_true(sent < ns);
        assert_false(seen[sent]);
        seen[sent] = 1;
        for (size_t j = 0; j < sent % 4 + 1; j++) assert_int_equal(b[i++], (int32_t)(100 * (sent + 1) + j));
        order[k++] = (uint32_t)sent;
    }
    assert_int_equal(k, ns);
    assert_int_equal(i, s->n);
    free(seen);
}

static void test_reshuffle_stream(void **state) {
    (void)state;
    size_t n, ns = 50;
    int32_t *ids = sentences(ns, &n);
    sentence_shuffler s;
    rnnlm_err err = {0};
    assert_int_equal(sentence_shuffler_init(&s, ids, ids + 1, n, RNNLM_BOS, &err), RNNLM_OK);
    assert_int_equal(s.n_sent, ns);
    uint32_t a[50], b[50], c[50];
    read_order(&s, ns, a);   /* before any epoch: the stream as given */
    for (size_t k = 0; k < ns; k++) assert_int_equal(a[k], k);
    sentence_shuffler_epoch(&s, 7);
    read_order(&s, ns, a);
    sentence_shuffler_epoch(&s, 8);
    read_order(&s, ns, b);
    sentence_shuffler_epoch(&s, 7);   /* a function of the seed alone */
    read_order(&s, ns, c);
    assert_memory_equal(a, c, sizeof a);
    assert_memory_not_equal(a, b, sizeof a);
    size_t moved = 0;
    for (size_t k = 0; k < ns; k++) moved += a[k] != k;
    assert_true(moved > ns / 2);
    sentence_shuffler_free(&s);
    assert_null(s.buf);

    /* three sentences: each of the 6 orders about 1/6 of 6,000 draws */
    size_t n3;
    int32_t *ids3 = sentences(3, &n3);
    assert_int_equal(sentence_shuffler_init(&s, ids3, ids3 + 1, n3, RNNLM_BOS, &err), RNNLM_OK);
    int count[27] = {0};
    for (uint64_t seed = 0; seed < 6000; seed++) {
        uint32_t o[3];
        sentence_shuffler_epoch(&s, seed);
        read_order(&s, 3, o);
        count[o[0] * 9 + o[1] * 3 + o[2]]++;
    }
    int orders = 0;
    for (int k = 0; k < 27; k++)
        if (count[k]) {
            orders++;
            assert_true(count[k] > 850 && count[k] < 1150);   /* 1000 +- 4.9 sd */
        }
    assert_int_equal(orders, 6);
    sentence_shuffler_free(&s);

    /* refused: no marker first or last, pairs that are not one stream, one sentence */
    assert_int_equal(sentence_shuffler_init(&s, ids + 1, ids + 2, n - 1, RNNLM_BOS, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "marker"));
    assert_int_equal(sentence_shuffler_init(&s, ids, ids + 1, n - 1, RNNLM_BOS, &err), RNNLM_E_ARG);
    int32_t *y = malloc(n * sizeof *y);
    assert_non_null(y);
    memcpy(y, ids + 1, n * sizeof *y);
    y[10] = 9999;
    assert_int_equal(sentence_shuffler_init(&s, ids, y, n, RNNLM_BOS, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "position 10"));
    assert_null(s.buf);
    size_t n1;
    int32_t *ids1 = sentences(1, &n1);
    assert_int_equal(sentence_shuffler_init(&s, ids1, ids1 + 1, n1, RNNLM_BOS, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "1 sentence"));
    free(y);
    free(ids1);
    free(ids3);
    free(ids);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_reference_example),
        cmocka_unit_test(test_stream_alignment_and_shapes),
        cmocka_unit_test(test_stream_errors),
        cmocka_unit_test(test_window_count),
        cmocka_unit_test(test_window_unshuffled),
        cmocka_unit_test(test_window_shuffle_buffer),
        cmocka_unit_test(test_window_shuffle_uniform),
        cmocka_unit_test(test_window_tail),
        cmocka_unit_test(test_reshuffle_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
