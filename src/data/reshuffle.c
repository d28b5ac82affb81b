/* reshuffle.c: the training sentences in a new order each epoch (reshuffle.h). */
#include "data/reshuffle.h"

#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/rng.h"

rnnlm_status sentence_shuffler_init(sentence_shuffler *s, const int32_t *x, const int32_t *y, size_t n,
                                    int32_t marker, rnnlm_err *err) {
    memset(s, 0, sizeof *s);
    if (n < 1 || x[0] != marker || y[n - 1] != marker)
        return rnnlm_fail(err, RNNLM_E_ARG, "`reshuffle`: the training stream does not begin and end with the "
                          "sentence marker <s> (not with --no-markers)");
    size_t n_sent = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && x[i + 1] != y[i])
            return rnnlm_fail(err, RNNLM_E_ARG, "`reshuffle`: the training pairs are not one stream "
                              "(position %zu)", i);
        n_sent += x[i] == marker;
    }
    if (n_sent < 2)
        return rnnlm_fail(err, RNNLM_E_ARG, "`reshuffle`: the training stream holds %zu sentence%s; it needs "
                          "two to reorder", n_sent, n_sent == 1 ? "" : "s");
    if (n_sent > UINT32_MAX) return rnnlm_fail(err, RNNLM_E_ARG, "`reshuffle`: too many sentences (%zu)", n_sent);
    size_t n1;
    if (!size_add(n, 1, &n1)) return rnnlm_fail(err, RNNLM_E_ARG, "`reshuffle`: stream too long");
    s->start = rnnlm_calloc(n_sent + 1, sizeof *s->start, "sentence starts", err);
    s->perm = rnnlm_calloc(n_sent, sizeof *s->perm, "sentence order", err);
    s->buf = rnnlm_calloc(n1, sizeof *s->buf, "reshuffled stream", err);
    if (!s->start || !s->perm || !s->buf) {
        sentence_shuffler_free(s);
        return RNNLM_E_NOMEM;
    }
    s->x = x; s->y = y; s->n = n; s->n_sent = n_sent;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] == marker) s->start[k++] = i;
    s->start[n_sent] = n;
    memcpy(s->buf, x, n * sizeof *x);
    s->buf[n] = y[n - 1];
    for (size_t i = 0; i < n_sent; i++) s->perm[i] = (uint32_t)i;
    return RNNLM_OK;
}

void sentence_shuffler_epoch(sentence_shuffler *s, uint64_t seed) {
    rnnlm_rng rng;
    rnnlm_rng_seed(&rng, seed);
    for (size_t i = 0; i < s->n_sent; i++) s->perm[i] = (uint32_t)i;
    for (size_t i = s->n_sent - 1; i > 0; i--) {   /* Fisher-Yates */
        size_t j = (size_t)rnnlm_rng_below(&rng, i + 1);
        uint32_t t = s->perm[i];
        s->perm[i] = s->perm[j];
        s->perm[j] = t;
    }
    size_t o = 0;
    for (size_t k = 0; k < s->n_sent; k++) {
        size_t a = s->start[s->perm[k]], len = s->start[s->perm[k] + 1] - a;
        memcpy(s->buf + o, s->x + a, len * sizeof *s->buf);
        o += len;
    }
    s->buf[o] = s->y[s->n - 1];   /* the closing marker; o == n */
}

void sentence_shuffler_free(sentence_shuffler *s) {
    free(s->start);
    free(s->perm);
    free(s->buf);
    memset(s, 0, sizeof *s);
}
