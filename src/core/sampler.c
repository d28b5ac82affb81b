/* sampler.c: the log-uniform candidate sampler (see sampler.h). */
#include "core/sampler.h"

#include <math.h>
#include <stdlib.h>

rnnlm_status logu_sampler_init(logu_sampler *s, int V, rnnlm_err *err) {
    s->seen = NULL;
    if (V < 1) return rnnlm_fail(err, RNNLM_E_ARG, "log-uniform sampler: V = %d must be >= 1", V);
    s->seen = rnnlm_calloc((size_t)V, 1, "sampler marks", err);
    if (!s->seen) return RNNLM_E_NOMEM;
    s->V = V;
    s->log_v1 = log((double)V + 1.0);
    return RNNLM_OK;
}

void logu_sampler_free(logu_sampler *s) {
    free(s->seen);
    s->seen = NULL;
}

double logu_prob(int V, int k) {
    /* log(k + 2) - log(k + 1) = log1p(1 / (k + 1)), without cancellation */
    return log1p(1.0 / ((double)k + 1.0)) / log((double)V + 1.0);
}

int32_t logu_draw(const logu_sampler *s, rnnlm_rng *r) {
    double u = rnnlm_rng_double(r);   /* [0, 1) */
    int64_t k = (int64_t)floor(exp(u * s->log_v1)) - 1;
    /* exp rounds: keep the id in range (k = V would need u = 1) */
    return (int32_t)(k < 0 ? 0 : k >= s->V ? s->V - 1 : k);
}

rnnlm_status logu_sample_unique(logu_sampler *s, int K, rnnlm_rng *r, int32_t *out, int64_t *tries,
                                rnnlm_err *err) {
    if (K < 1 || K > s->V)
        return rnnlm_fail(err, RNNLM_E_ARG, "sampled softmax: %d candidates, need 1 <= K <= V = %d", K,
                          s->V);
    int64_t n = 0;
    int found = 0;
    while (found < K) {
        int32_t k = logu_draw(s, r);
        n++;
        if (!s->seen[k]) {
            s->seen[k] = 1;
            out[found++] = k;
        }
    }
    for (int i = 0; i < K; i++) s->seen[out[i]] = 0;
    *tries = n;
    return RNNLM_OK;
}

double logu_expected_count(int V, int64_t tries, int k) {
    return -expm1((double)tries * log1p(-logu_prob(V, k)));
}

double logu_log_expected_count(int V, int64_t tries, int k) {
    return log(logu_expected_count(V, tries, k));
}
