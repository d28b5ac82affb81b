/* sharp_model.h: a small model for tests of inference and evaluation,
 * created from cfg, initialised from seed and its weights spread 8 times
 * wider than uniform [-0.1, 0.1] (too tame for a test: every context would
 * predict nearly the same), so that scores differ clearly between contexts.
 * For cmocka tests that include model/model.h. */
#ifndef RNNLM_TEST_SHARP_MODEL_H
#define RNNLM_TEST_SHARP_MODEL_H

static inline model *sharp_model(const model_config *cfg, uint64_t seed) {
    model *m = NULL;
    rnnlm_err err;
    assert_int_equal(model_create(&m, cfg, &err), RNNLM_OK);
    model_init_params(m, seed);
    float *p = model_params(m);
    for (size_t i = 0; i < model_n_params(m); i++) p[i] *= 8.0f;
    return m;
}

#endif
