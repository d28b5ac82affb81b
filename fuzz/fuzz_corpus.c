/* fuzz_corpus.c: libFuzzer harness of the plain-text corpus reader
 * (rnnlm_corpus_read_text: one sentence a line, UTF-8 validated), followed
 * by what a training run does with a corpus it accepts: a vocabulary, the
 * recipe's split and the id streams. */
#include <stdlib.h>

#include "fuzz_input.h"
#include "rnnlm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnnlm_err err;
    rnnlm_corpus *c = NULL;
    /* A small line limit so that the limit's own check is reachable too. */
    size_t max_line = size && data[0] & 1 ? 64 : 0;
    if (rnnlm_corpus_read_text(&c, fuzz_input_path(data, size), max_line, &err)) {
        if (c || !err.msg[0]) abort();
        return 0;
    }
    size_t n = rnnlm_corpus_sentences(c);
    if (rnnlm_corpus_tokens_of(c, NULL, 0) != rnnlm_corpus_tokens(c)) abort();
    rnnlm_vocab *v = NULL;
    rnnlm_canon canon = size && data[0] & 2 ? RNNLM_CANON_RECIPE : RNNLM_CANON_NONE;
    if (rnnlm_vocab_build(&v, c, size && data[0] & 4 ? 8 : 0, canon, &err) == RNNLM_OK) {
        size_t *order = NULL, n_train = 0;
        if (n >= 2 && rnnlm_split(n, 0.5, 42, &order, &n_train, &err) == RNNLM_OK) {
            int32_t *ids = NULL;
            size_t n_ids = 0;
            if (rnnlm_ids_build(c, v, order, n_train, 1, &ids, &n_ids, &err) == RNNLM_OK) {
                for (size_t i = 0; i < n_ids; i++)
                    if (ids[i] < 0 || (size_t)ids[i] >= rnnlm_vocab_size(v)) abort();
                free(ids);
            }
            free(order);
        }
        rnnlm_vocab_free(v);
    }
    rnnlm_corpus_free(c);
    return 0;
}
