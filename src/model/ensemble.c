/* ensemble.c: rnnlm_eval_ensemble (rnnlm.h, "ensembles"): the equal-weight
 * mixture of several models evaluated on one id stream. Each member scores
 * the stream as rnnlm_eval_stream does, keeping every pair's log
 * probability; the mixture's is log((1/k) sum_j p_j), summed in log space.
 * docs/ENSEMBLE.md states the conventions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "rnnlm.h"

/* RNNLM_OK when b's vocabulary is a's: the same words, ids and canonicalisation. */
static rnnlm_status same_vocab(const rnnlm_model *a, const rnnlm_model *b, size_t j, rnnlm_err *err) {
    const rnnlm_vocab *va = rnnlm_model_vocab(a), *vb = rnnlm_model_vocab(b);
    size_t V = rnnlm_vocab_size(va);
    if (rnnlm_vocab_size(vb) != V)
        return rnnlm_fail(err, RNNLM_E_ARG, "ensemble member %zu has %zu words, member 1 %zu: the members must share "
                          "their vocabulary", j + 1, rnnlm_vocab_size(vb), V);
    if (rnnlm_vocab_canon(vb) != rnnlm_vocab_canon(va))
        return rnnlm_fail(err, RNNLM_E_ARG, "ensemble member %zu canonicalises words otherwise than member 1", j + 1);
    for (size_t i = 0; i < V; i++)
        if (strcmp(rnnlm_vocab_word(va, (int32_t)i), rnnlm_vocab_word(vb, (int32_t)i)) != 0)
            return rnnlm_fail(err, RNNLM_E_ARG, "ensemble member %zu: id %zu is '%s', member 1's '%s': the members "
                              "must share their vocabulary", j + 1, i, rnnlm_vocab_word(vb, (int32_t)i),
                              rnnlm_vocab_word(va, (int32_t)i));
    return RNNLM_OK;
}

rnnlm_status rnnlm_ensemble_check(const rnnlm_model *const *m, size_t k, rnnlm_err *err) {
    if (!m) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_ensemble_check: NULL argument");
    if (k < 1) return rnnlm_fail(err, RNNLM_E_ARG, "an ensemble needs at least one model");
    for (size_t j = 0; j < k; j++) {
        if (!m[j]) return rnnlm_fail(err, RNNLM_E_ARG, "ensemble member %zu is NULL", j + 1);
        rnnlm_status st = j ? same_vocab(m[0], m[j], j, err) : RNNLM_OK;
        if (st) return st;
    }
    return RNNLM_OK;
}

/* log(e^a + e^b) without overflow; -inf on both sides stays -inf. */
static double log_add(double a, double b) {
    if (a < b) { double t = a; a = b; b = t; }
    if (a == -INFINITY) return a;
    return a + log1p(exp(b - a));
}

rnnlm_status rnnlm_eval_ensemble(const rnnlm_model *const *m, size_t k, const int32_t *x, const int32_t *y, size_t n,
                                 const rnnlm_eval_options *o, rnnlm_eval_stream_result *out, double *member_loss,
                                 rnnlm_err *err) {
    if (out) memset(out, 0, sizeof *out);
    if (!m || !o || !out || (n && (!x || !y))) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_eval_ensemble: NULL argument");
    rnnlm_status st0 = rnnlm_ensemble_check(m, k, err);
    if (st0) return st0;
    if (o->recipe)
        return rnnlm_fail(err, RNNLM_E_ARG, "an ensemble scores every pair: the recipe's dropped tail depends on "
                          "each member's B");
    if (n < 1) return rnnlm_fail(err, RNNLM_E_ARG, "nothing to evaluate");
    double *acc = rnnlm_calloc(n, sizeof *acc, "ensemble log-probabilities", err);
    double *lp = acc ? rnnlm_calloc(n, sizeof *lp, "member log-probabilities", err) : NULL;
    if (!lp) {
        free(acc);
        return RNNLM_E_NOMEM;
    }
    rnnlm_status st = RNNLM_OK;
    for (size_t j = 0; j < k && !st; j++) {
        rnnlm_eval_options mo = *o;
        mo.logprob = j ? lp : acc;
        rnnlm_eval_stream_result r;
        if ((st = rnnlm_eval_stream(m[j], x, y, n, &mo, &r, err))) break;
        if (member_loss) member_loss[j] = r.r.loss_sum;
        if (!j) {
            *out = r;   /* the shape and the <unk> count are member 1's */
            continue;
        }
        for (size_t i = 0; i < n; i++) acc[i] = log_add(acc[i], lp[i]);
    }
    if (!st) {
        double lk = log((double)k), sum = 0.0;
        for (size_t i = 0; i < n; i++) {
            sum -= acc[i] - lk;
            if (o->logprob) o->logprob[i] = acc[i] - lk;
        }
        out->r.loss_sum = sum;
        out->r.correct = 0;   /* the mixture's arg-max is not computed */
        out->r.count = (int64_t)n;
    }
    free(lp);
    free(acc);
    return st;
}
