/* batch.c: the two batch iterators (stateful truncated BPTT; the recipe's
 * windowed, shuffled pipeline). See rnnlm.h for their exact semantics. */
#include "data/batch.h"

#include "core/common.h"
#include "core/rng.h"

#include <stdlib.h>
#include <string.h>

rnnlm_status rnnlm_stream_batcher_init(rnnlm_stream_batcher *b, const int32_t *x, const int32_t *y,
                                       size_t n, int B, int T, int drop_tail, rnnlm_err *err) {
    if (B < 1 || T < 1) return rnnlm_fail(err, RNNLM_E_ARG, "batch size %d and max_time %d must be >= 1", B, T);
    size_t bt;
    if (!size_mul((size_t)B, (size_t)T, &bt) || bt > n)
        return rnnlm_fail(err, RNNLM_E_ARG, "batch of %d rows x %d steps needs %zu+ training pairs; the "
                          "data has %zu (lower --batch-size or --max-time)", B, T, bt, n);
    memset(b, 0, sizeof *b);
    b->x = x; b->y = y; b->n = n; b->B = B; b->T = T;
    b->rows_len = n / (size_t)B;
    b->n_batches = drop_tail ? b->rows_len / (size_t)T : (b->rows_len + (size_t)T - 1) / (size_t)T;
    return RNNLM_OK;
}

int rnnlm_stream_batch(const rnnlm_stream_batcher *b, size_t k, int32_t *xb, int32_t *yb) {
    size_t c0 = k * (size_t)b->T;
    if (k >= b->n_batches || c0 >= b->rows_len) return 0;
    size_t w = b->rows_len - c0 < (size_t)b->T ? b->rows_len - c0 : (size_t)b->T;
    for (int r = 0; r < b->B; r++) {
        size_t src = (size_t)r * b->rows_len + c0;
        memcpy(xb + (size_t)r * w, b->x + src, w * sizeof *xb);
        memcpy(yb + (size_t)r * w, b->y + src, w * sizeof *yb);
    }
    return (int)w;
}

rnnlm_status rnnlm_window_batcher_init(rnnlm_window_batcher *b, const int32_t *x, const int32_t *y,
                                       size_t n, int B, int T, size_t buffer_size, int drop_tail,
                                       rnnlm_err *err) {
    if (B < 1 || T < 1) return rnnlm_fail(err, RNNLM_E_ARG, "batch size %d and max_time %d must be >= 1", B, T);
    memset(b, 0, sizeof *b);
    size_t windows = n + 1 >= (size_t)T ? (n + 1 - (size_t)T) / (size_t)T : 0;
    if (windows == 0 || (drop_tail && windows < (size_t)B))
        return rnnlm_fail(err, RNNLM_E_ARG, "%zu training pairs make %zu windows of %d; a batch needs %d "
                          "(lower --batch-size or --max-time)", n, windows, T, drop_tail ? B : 1);
    if (windows > UINT32_MAX) return rnnlm_fail(err, RNNLM_E_ARG, "too many windows (%zu)", windows);
    b->order = rnnlm_calloc(windows, sizeof *b->order, "window order", err);
    if (!b->order) return RNNLM_E_NOMEM;
    b->x = x; b->y = y; b->B = B; b->T = T; b->drop_tail = drop_tail;
    b->n_windows = windows;
    b->buffer_size = buffer_size;
    b->n_batches = drop_tail ? windows / (size_t)B : (windows + (size_t)B - 1) / (size_t)B;
    for (size_t i = 0; i < windows; i++) b->order[i] = (uint32_t)i;
    return RNNLM_OK;
}

void rnnlm_window_batcher_shuffle(rnnlm_window_batcher *b, uint64_t seed) {
    size_t n = b->n_windows, S = b->buffer_size < n ? b->buffer_size : n;
    if (S <= 1) {   /* no shuffling */
        for (size_t i = 0; i < n; i++) b->order[i] = (uint32_t)i;
        return;
    }
    uint32_t *buf = malloc(S * sizeof *buf);
    if (!buf) {   /* cannot shuffle without the buffer: keep the order */
        for (size_t i = 0; i < n; i++) b->order[i] = (uint32_t)i;
        return;
    }
    rnnlm_rng rng;
    rnnlm_rng_seed(&rng, seed);
    size_t next = 0, len = 0, out = 0;
    while (len < S) buf[len++] = (uint32_t)next++;
    while (len > 0) {
        size_t i = rnnlm_rng_below(&rng, len);
        b->order[out++] = buf[i];
        if (next < n) buf[i] = (uint32_t)next++;
        else buf[i] = buf[--len];
    }
    free(buf);
}

int rnnlm_window_batch(const rnnlm_window_batcher *b, size_t k, int32_t *xb, int32_t *yb) {
    if (k >= b->n_batches) return 0;
    size_t first = k * (size_t)b->B;
    int rows = b->n_windows - first < (size_t)b->B ? (int)(b->n_windows - first) : b->B;
    for (int r = 0; r < rows; r++) {
        size_t src = (size_t)b->order[first + (size_t)r] * (size_t)b->T;
        memcpy(xb + (size_t)r * b->T, b->x + src, (size_t)b->T * sizeof *xb);
        memcpy(yb + (size_t)r * b->T, b->y + src, (size_t)b->T * sizeof *yb);
    }
    return rows;
}

void rnnlm_window_batcher_free(rnnlm_window_batcher *b) {
    free(b->order);
    b->order = NULL;
}
