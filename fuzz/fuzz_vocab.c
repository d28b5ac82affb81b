/* fuzz_vocab.c: libFuzzer harness of the vocabulary reader (rnnlm_vocab_load,
 * the "#rnnlm-vocab" text file). A file it accepts must give a vocabulary
 * whose ids, words and lookups agree, every word non-empty and free of
 * white space; a file it refuses must say why. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "rnnlm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnnlm_err err;
    rnnlm_vocab *v = NULL;
    rnnlm_status st = rnnlm_vocab_load(&v, fuzz_input_path(data, size), &err);
    if (st) {
        if (v || !err.msg[0]) abort();
        return 0;
    }
    size_t n = rnnlm_vocab_size(v);
    if (n < 4) abort();
    for (size_t id = 0; id < n; id++) {
        const char *w = rnnlm_vocab_word(v, (int32_t)id);
        if (!w || !*w) abort();
        /* Words are what a corpus line can hold: no white space. */
        if (strpbrk(w, " \t\n\v\f\r")) abort();
        /* Every word maps back to an id; under the recipe's canonicalisation
         * that may be another spelling's, but never out of range. Without
         * it, to an id of the very same spelling (a later one when the file
         * repeats it): a word that reads back otherwise (a NUL inside it,
         * say) could never be looked up. */
        int32_t back = rnnlm_vocab_lookup(v, w, strlen(w));
        if (back < 0 || (size_t)back >= n) abort();
        if (rnnlm_vocab_canon(v) == RNNLM_CANON_NONE && strcmp(rnnlm_vocab_word(v, back), w) != 0)
            abort();
        (void)rnnlm_vocab_count(v, (int32_t)id);
    }
    if (rnnlm_vocab_lookup(v, (const char *)data, size > 64 ? 64 : size) < 0) abort();
    rnnlm_vocab_free(v);
    return 0;
}
