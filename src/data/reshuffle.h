/* reshuffle.h: the training stream with its sentences in a new order each
 * epoch (the stateful pipeline's `reshuffle` option, docs/DATA.md section 6).
 *
 * The id stream of a split is "<s> s1 <s> s2 ... <s> sN <s>" (x its first n
 * ids, y the n after the first). Every sentence with the marker before it is
 * a segment; an epoch's stream is the segments in a seeded permutation and
 * the closing marker: the same ids and the same length, so the batches keep
 * their shape, while rows, window boundaries and the sentence each one's
 * carried state comes from change from epoch to epoch. */
#ifndef RNNLM_RESHUFFLE_H
#define RNNLM_RESHUFFLE_H

#include <stddef.h>
#include <stdint.h>

#include "rnnlm.h"

typedef struct {
    const int32_t *x, *y;   /* the split's stream, not owned */
    size_t n;               /* pairs */
    size_t n_sent;          /* segments */
    size_t *start;          /* (n_sent + 1) each segment's first position in x; start[n_sent] = n */
    uint32_t *perm;         /* (n_sent) this epoch's order */
    int32_t *buf;           /* (n + 1) this epoch's stream: x = buf, y = buf + 1 */
} sentence_shuffler;

/* Finds the segments of the stream (x, y) of n pairs whose sentences follow
 * `marker`; refuses a stream that is not one ("x[i + 1] != y[i]", no marker
 * first or last) or has fewer than two sentences. The shuffler holds the
 * stream in its first order until sentence_shuffler_epoch. */
rnnlm_status sentence_shuffler_init(sentence_shuffler *s, const int32_t *x, const int32_t *y, size_t n,
                                    int32_t marker, rnnlm_err *err);
/* Writes the stream of the permutation drawn from seed into s->buf. */
void sentence_shuffler_epoch(sentence_shuffler *s, uint64_t seed);
void sentence_shuffler_free(sentence_shuffler *s);

#endif
