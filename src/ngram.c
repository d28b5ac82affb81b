/* ngram.c: ARPA back-off n-gram models (rnnlm_ngram_* of rnnlm.h).
 * Placeholder: the reader lands in the next commits. */
#include <math.h>

#include "common.h"

rnnlm_status rnnlm_ngram_load(rnnlm_ngram **out, const char *path, rnnlm_err *err) {
    if (out) *out = NULL;
    return rnnlm_fail(err, RNNLM_E_STATE, "%s: ARPA reader not built yet", path ? path : "(null)");
}
void rnnlm_ngram_free(rnnlm_ngram *g) { (void)g; }
int rnnlm_ngram_order(const rnnlm_ngram *g) { (void)g; return 0; }
size_t rnnlm_ngram_count(const rnnlm_ngram *g, int n) { (void)g; (void)n; return 0; }
size_t rnnlm_ngram_vocab_size(const rnnlm_ngram *g) { (void)g; return 0; }
const char *rnnlm_ngram_word(const rnnlm_ngram *g, int32_t id) { (void)g; (void)id; return NULL; }
int32_t rnnlm_ngram_lookup(const rnnlm_ngram *g, const char *word, size_t len) { (void)g; (void)word; (void)len; return -1; }
int32_t rnnlm_ngram_bos(const rnnlm_ngram *g) { (void)g; return -1; }
int32_t rnnlm_ngram_eos(const rnnlm_ngram *g) { (void)g; return -1; }
int32_t rnnlm_ngram_unk(const rnnlm_ngram *g) { (void)g; return -1; }
double rnnlm_ngram_logprob(const rnnlm_ngram *g, const int32_t *ctx, size_t n, int32_t w, int *matched) {
    (void)g; (void)ctx; (void)n; (void)w;
    if (matched) *matched = 0;
    return -INFINITY;
}
rnnlm_status rnnlm_ngram_score_sentence(const rnnlm_ngram *g, const char *const *words, size_t n, unsigned flags,
                                        rnnlm_ngram_score *out, double *per_word, rnnlm_err *err) {
    (void)g; (void)words; (void)n; (void)flags; (void)out; (void)per_word;
    return rnnlm_fail(err, RNNLM_E_STATE, "ARPA reader not built yet");
}
