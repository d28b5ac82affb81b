/* fuzz_checkpoint.c: libFuzzer harness of the checkpoint loader through the
 * public API, as a program using a model does it: rnnlm_model_load, then a
 * state fed a few tokens (with log-probabilities), a clone and a copy of it,
 * a sentence scored by words, two scored in lanes, and a token sampled.
 * Any model the loader accepts must survive all of them; the token ids fed
 * are taken from the input's last bytes so that they vary with it. */
#include <stdlib.h>

#include "fuzz_input.h"
#include "rnnlm.h"

static void use_model(rnnlm_model *m, const uint8_t *data, size_t size) {
    rnnlm_err err;
    size_t V = rnnlm_model_vocab_size(m);
    const rnnlm_vocab *v = rnnlm_model_vocab(m);
    if (V < 4 || !v || rnnlm_vocab_size(v) != V) abort();
    rnnlm_state *s = NULL, *t = NULL;
    float *lp = malloc(V * sizeof *lp);
    if (!lp) abort();
    if (rnnlm_state_create(&s, m, &err)) goto out;
    int32_t ids[6];
    for (size_t i = 0; i < 6; i++)
        ids[i] = (int32_t)((size > i ? data[size - 1 - i] : i) % V);
    for (size_t i = 0; i < 6; i++)
        if (rnnlm_feed(s, ids[i], i % 2 ? NULL : lp, &err)) abort();
    if (rnnlm_state_length(s) != 6) abort();
    if (rnnlm_feed(s, (int32_t)V, lp, &err) != RNNLM_E_ARG) abort();
    int32_t tok = rnnlm_sample(lp, V, 1.0f, 0, 0.5);
    if (tok < -1 || tok >= (int32_t)V) abort();
    tok = rnnlm_sample(lp, V, 0.7f, 3, 0.25);
    if (tok < -1 || tok >= (int32_t)V) abort();
    if (rnnlm_state_clone(&t, s, &err)) abort();
    if (rnnlm_feed(t, RNNLM_BOS, lp, &err)) abort();
    if (rnnlm_state_copy(t, s, &err)) abort();
    rnnlm_state_reset(s);
    if (rnnlm_state_length(s) != 0) abort();

    const char *words[3] = {rnnlm_vocab_word(v, ids[0]), "\xff-not-a-word", rnnlm_vocab_word(v, (int32_t)V - 1)};
    rnnlm_sentence_score sc;
    double per_word[4];
    if (rnnlm_score_sentence(s, words, 3, &sc, per_word, &err)) abort();
    if (sc.words != 3 || sc.oovs > 3) abort();
    size_t offsets[3] = {0, 2, 6};
    double per_batch[6 + 2];
    rnnlm_sentence_score scs[2];
    if (rnnlm_score_batch(m, ids, offsets, 2, 2, scs, per_batch, &err)) abort();
out:
    rnnlm_state_free(t);
    rnnlm_state_free(s);
    free(lp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnnlm_err err;
    rnnlm_model *m = NULL;
    if (rnnlm_model_load(&m, fuzz_input_path(data, size), &err)) {
        if (m || !err.msg[0]) abort();
        return 0;
    }
    use_model(m, data, size);
    rnnlm_model_free(m);
    return 0;
}
