/* fuzz_arpa.c: libFuzzer harness of the ARPA reader (rnnlm_ngram_load,
 * plain or gzip). A file it refuses must say why and leave no model; a file
 * it accepts must give a model whose counts, vocabulary and markers agree,
 * whose back-off lookup never returns NaN for a word of the model (whatever
 * the history, ids outside the model included), and that scores a sentence
 * of its own words and of unknown ones, in both vocabulary modes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "rnnlm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnnlm_err err;
    rnnlm_ngram *g = NULL;
    rnnlm_status st = rnnlm_ngram_load(&g, fuzz_input_path(data, size), &err);
    if (st) {
        if (g || !err.msg[0]) abort();
        return 0;
    }
    int N = rnnlm_ngram_order(g);
    size_t V = rnnlm_ngram_vocab_size(g);
    if (N < 1 || V < 1 || rnnlm_ngram_count(g, 1) != V || rnnlm_ngram_count(g, 0) || rnnlm_ngram_count(g, N + 1))
        abort();
    for (size_t id = 0; id < V; id++) {
        const char *w = rnnlm_ngram_word(g, (int32_t)id);
        if (!w || !*w || strpbrk(w, " \t\n\v\f\r")) abort();
        if (rnnlm_ngram_lookup(g, w, strlen(w)) != (int32_t)id) abort();
    }
    if (rnnlm_ngram_word(g, (int32_t)V) || rnnlm_ngram_word(g, -1)) abort();
    int32_t marks[3] = {rnnlm_ngram_bos(g), rnnlm_ngram_eos(g), rnnlm_ngram_unk(g)};
    const char *names[3] = {"<s>", "</s>", "<unk>"};
    for (int i = 0; i < 3; i++)
        if (marks[i] != rnnlm_ngram_lookup(g, names[i], strlen(names[i]))) abort();

    /* histories drawn from the input's bytes: ids in and out of the model */
    int32_t ctx[40];
    for (size_t i = 0; i < 40; i++)
        ctx[i] = (int32_t)(size ? data[(i * 7) % size] : 0) % (int32_t)(V + 2) - 1;
    for (size_t w = 0; w < V && w < 64; w++)
        for (size_t n = 0; n <= 40; n += 13) {
            int matched;
            double lp = rnnlm_ngram_logprob(g, ctx + 40 - n, n, (int32_t)w, &matched);
            if (isnan(lp) || matched < 1 || matched > N) abort();
        }
    if (!isnan(rnnlm_ngram_logprob(g, ctx, 0, (int32_t)V, NULL))) abort();

    const char *sent[8];
    for (size_t i = 0; i < 8; i++)
        sent[i] = i % 3 == 2 ? "no-such-word-in-any-model\xc3\xa9" : rnnlm_ngram_word(g, (int32_t)((i * 31) % V));
    double per[9];
    for (unsigned flags = 0; flags <= RNNLM_NGRAM_OPEN_VOCAB; flags++) {
        rnnlm_ngram_score sc;
        st = rnnlm_ngram_score_sentence(g, sent, 8, flags, &sc, per, &err);
        if (marks[1] < 0) {
            if (st != RNNLM_E_STATE) abort();
            continue;
        }
        if (st || sc.words != 8 || sc.oovs + sc.zeroprobs > 9 || isnan(sc.log10prob) || isnan(per[8])) abort();
        /* an OOV: a word the model lacks (unless <unk> stands in for it), or
         * <unk> itself in a closed vocabulary */
        size_t oovs = 0;
        for (size_t i = 0; i < 8; i++) {
            int32_t id = rnnlm_ngram_lookup(g, sent[i], strlen(sent[i]));
            int oov = flags ? id < 0 && marks[2] < 0 : id < 0 || id == marks[2];
            if (oov != !!isnan(per[i])) abort();
            oovs += (size_t)oov;
        }
        if (sc.oovs != oovs) abort();
    }
    rnnlm_ngram_free(g);
    return 0;
}
