/* mix.h: the per-word linear interpolation of two language models,
 * P = lambda P_a + (1 - lambda) P_b, computed from natural-log
 * probabilities without leaving the log domain (so that tiny probabilities
 * neither underflow nor lose their digits). */
#ifndef RNNLM_MIX_H
#define RNNLM_MIX_H

#include <math.h>

/* ln(lambda e^a + (1 - lambda) e^b), lambda in [0, 1]; a or b may be -inf. */
static inline double mix_logprob(double a, double b, double lambda) {
    if (lambda >= 1.0) return a;
    if (lambda <= 0.0) return b;
    double la = a + log(lambda), lb = b + log1p(-lambda);
    double m = la > lb ? la : lb;
    if (m == -INFINITY) return -INFINITY;
    return m + log(exp(la - m) + exp(lb - m));
}

#endif
