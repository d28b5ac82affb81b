/* infer.h: the library side of running a trained model (the public
 * rnnlm_model / rnnlm_state API of rnnlm.h lives in infer.c), and what the
 * command line and the tests need beyond it. */
#ifndef RNNLM_INFER_H
#define RNNLM_INFER_H

#include "core/common.h"
#include "model/model.h"

/* An rnnlm_model around an existing model and vocabulary (whose size must
 * be V), taking ownership of both (they are freed by rnnlm_model_free, also
 * when this fails). */
rnnlm_status infer_model_wrap(rnnlm_model **out, model *m, rnnlm_vocab *v, rnnlm_err *err);

/* The wrapped model, read-only (rnnlm_eval_stream copies its weights). */
const model *infer_model(const rnnlm_model *m);

/* The model's read-only weights for infer_step_f32 (the n-best scorer,
 * rescore.c, steps its own frontiers of states). */
const model_weights *infer_weights(const rnnlm_model *m);

#endif
