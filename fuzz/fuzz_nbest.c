/* fuzz_nbest.c: libFuzzer harness of the n-best readers (rnnlm_nbest_read_kaldi,
 * rnnlm_nbest_read_srilm). The first byte picks the reader (Kaldi text, Kaldi
 * text with the same bytes as its acoustic-cost file, or an SRILM file), the
 * rest is the file. A list it accepts must hold utterances whose hypotheses
 * tile the list in order, each with finite scores and non-empty words free of
 * white space; a list it refuses must say why. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "rnnlm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int mode = data[0] % 3;
    const char *path = fuzz_input_path(data + 1, size - 1);
    rnnlm_err err;
    rnnlm_nbest *nb = NULL;
    rnnlm_status st;
    if (mode == 0) st = rnnlm_nbest_read_kaldi(&nb, path, NULL, NULL, 4096, &err);
    else if (mode == 1) st = rnnlm_nbest_read_kaldi(&nb, path, path, NULL, 4096, &err);
    else st = rnnlm_nbest_read_srilm(&nb, &path, 1, 4096, &err);
    if (st) {
        if (nb || !err.msg[0]) abort();
        return 0;
    }
    size_t nu = rnnlm_nbest_utterances(nb), nh = rnnlm_nbest_hypotheses(nb), next = 0;
    if (nu == 0 || nh == 0) abort();
    for (size_t u = 0; u < nu; u++) {
        size_t first, n = rnnlm_nbest_utt_hyps(nb, u, &first);
        const char *id = rnnlm_nbest_utt_id(nb, u);
        if (n == 0 || first != next || !id || !*id) abort();
        next = first + n;
        if (rnnlm_nbest_best(nb, u) != first) abort();
        for (size_t h = first; h < first + n; h++) {
            const rnnlm_nbest_hyp *hp = rnnlm_nbest_hyp_get(nb, h);
            if (!hp || hp->utt != u || !hp->id || !isfinite(hp->acoustic) || !isfinite(hp->lm)) abort();
            if (mode == 1 && !hp->has_acoustic) abort();
            for (size_t i = 0; i < hp->n; i++)
                if (!hp->words[i] || !*hp->words[i] || strpbrk(hp->words[i], " \t\n\v\f\r")) abort();
        }
    }
    if (next != nh || rnnlm_nbest_hyp_get(nb, nh) != NULL) abort();
    rnnlm_nbest_free(nb);
    return 0;
}
