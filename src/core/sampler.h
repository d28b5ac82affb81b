/* sampler.h: the log-uniform (Zipfian) candidate sampler of sampled softmax
 * (docs/RECIPE.md section 4), over class ids 0 .. V-1 taken as frequency ranks:
 *
 *     P(k) = (log(k + 2) - log(k + 1)) / log(V + 1)
 *
 * rnnlm's vocabulary ids are already sorted by decreasing frequency after the
 * three specials <s> (0), </s> (1) and <unk> (2). The sampler ranks ids as
 * they are: the specials hold the three highest ranks. That fits <s> (one per
 * sentence, among the most frequent tokens) and <unk> (frequent under a
 * cap); </s> never occurs in rnnlm's id streams, so it is drawn often as a
 * negative, which costs one of K columns and only teaches the model what it
 * already sees: that </s> is improbable. The correction below uses the same
 * P for every id, so the specials need no special case.
 *
 * Unique sampling: draws with replacement until K distinct ids are found;
 * `tries` counts every draw. The expected number of times class k appears
 * among the candidates is then
 *
 *     Q(k) = -expm1(tries * log1p(-P(k)))
 *
 * (the probability that k was drawn at least once), and sampled softmax
 * subtracts log Q from the logits of the true class and of each candidate.
 *
 * Draws are reproducible: they come from the caller's rnnlm_rng, one double
 * per draw, by the inverse of the cumulative distribution
 * F(k) = log(k + 2) / log(V + 1): k = floor(exp(u log(V + 1))) - 1.
 */
#ifndef RNNLM_SAMPLER_H
#define RNNLM_SAMPLER_H

#include <stdint.h>
#include "core/common.h"
#include "core/rng.h"

typedef struct {
    int V;             /* classes */
    double log_v1;     /* log(V + 1) */
    uint8_t *seen;     /* (V) marks of the ids drawn in one call; all zero between calls */
} logu_sampler;

/* V >= 1. */
rnnlm_status logu_sampler_init(logu_sampler *s, int V, rnnlm_err *err);
void logu_sampler_free(logu_sampler *s);

/* P(k) of the log-uniform distribution over V classes, k in [0, V). */
double logu_prob(int V, int k);
/* One draw with replacement. */
int32_t logu_draw(const logu_sampler *s, rnnlm_rng *r);
/* K distinct ids (1 <= K <= V) into out (K), in the order first drawn;
 * *tries: the draws it took (>= K). K close to V takes very many draws (the
 * rarest class has P about 1 / (V log V)): sampled softmax wants K << V. */
rnnlm_status logu_sample_unique(logu_sampler *s, int K, rnnlm_rng *r, int32_t *out, int64_t *tries,
                                rnnlm_err *err);
/* Q(k) = -expm1(tries log1p(-P(k))), and its logarithm (what the logits get
 * subtracted), for tries >= 1. */
double logu_expected_count(int V, int64_t tries, int k);
double logu_log_expected_count(int V, int64_t tries, int k);

#endif
