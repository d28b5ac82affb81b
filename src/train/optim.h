/* optim.h: the optimisers of rnnlm (Adam, Adagrad, plain SGD) and global-norm
 * gradient clipping, all working on the model's one flat parameter buffer
 * and its gradient buffer of the same layout (n floats each).
 *
 * Update rules (t counts steps from 1, g is the possibly clipped gradient):
 *
 *   Adam, Keras placement of epsilon (the recipe's, the DEFAULT):
 *       m = m + (g - m)(1 - b1);  v = v + (g^2 - v)(1 - b2)
 *       a = lr sqrt(1 - b2^t) / (1 - b1^t)
 *       w = w - a m / (sqrt(v) + eps)
 *   Adam, PyTorch placement (opt_config.eps_torch = 1; torch.optim.Adam):
 *       same m, v;  w = w - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *     The two differ only through eps: Keras's eps is in units of the bias
 *     corrected sqrt(v) scaled by sqrt(1 - b2^t), PyTorch's is not.
 *   Adagrad (Keras and PyTorch agree on the rule, not on the defaults):
 *       acc = acc + g^2;  w = w - lr g / (sqrt(acc) + eps)
 *     acc starts at adagrad_init: 0.1 in Keras (the default here), 0 in
 *     PyTorch (which also uses eps 1e-10 where Keras uses 1e-7).
 *   SGD: w = w - lr g.
 *
 * Clipping as tf.clip_by_global_norm: n = sqrt(sum of squares of all of g),
 * accumulated in double; g is scaled by clip / max(n, clip), i.e. left exactly
 * as it is when n <= clip. A non-finite n leaves weights and optimiser state
 * untouched and is reported, so the caller skips the step.
 *
 * The optimiser's whole state is one flat allocation (see optim_state) that
 * a checkpoint saves and restores as bytes.
 *
 * Typical step:
 *     model_zero_grads(m); model_train_batch(m, ...);
 *     double norm;
 *     if (optim_clip_step(o, model_params(m), model_grads(m), &norm, &err))
 *         ... non-finite gradient: the step was skipped, norm says why ...
 */
#ifndef RNNLM_OPTIM_H
#define RNNLM_OPTIM_H

#include <stddef.h>
#include <stdint.h>
#include "core/common.h"

typedef enum { OPT_ADAM = 0, OPT_ADAGRAD = 1, OPT_SGD = 2 } opt_kind;

typedef struct {
    opt_kind kind;
    float lr;            /* learning rate, > 0 */
    float beta1, beta2;  /* Adam moment decays, in [0, 1) */
    float eps;           /* Adam and Adagrad denominator guard, >= 0 */
    int eps_torch;       /* Adam only: 0 Keras placement of eps (default), 1 PyTorch */
    float adagrad_init;  /* Adagrad accumulator start, >= 0: 0.1 Keras (default), 0 PyTorch */
    float clip;          /* global-norm clip; <= 0 means no clipping (norm still computed) */
    int dense_adam;      /* sparse steps (optim_clip_step_sparse) with Adam: 0 lazy (default),
                            1 dense: every parameter's moments decay every step */
} opt_config;

/* The recipe's settings for kind: Adam lr 0.01, b1 0.9, b2 0.999, eps 1e-7,
 * Keras eps placement; Adagrad lr 0.1, eps 1e-7, init 0.1 (Keras); SGD lr 0.1.
 * clip 5 for all (docs/RECIPE.md section 2). */
opt_config opt_config_default(opt_kind kind);
/* "adam", "adagrad", "sgd"; NULL for an unknown kind. */
const char *opt_kind_name(opt_kind kind);

typedef struct optim optim;   /* opaque */

/* Validates cfg (RNNLM_E_ARG naming the bad field) and allocates the state
 * for n_params parameters, initialised as at step 0. */
rnnlm_status optim_create(optim **out, const opt_config *cfg, size_t n_params, rnnlm_err *err);
void optim_free(optim *o);
/* The learning rate of the next steps (a schedule's; not validated: any
 * value >= 0) and the current one. */
void optim_set_lr(optim *o, float lr);
float optim_lr(const optim *o);
/* Back to step 0: moments zero, Adagrad accumulators at adagrad_init. */
void optim_reset(optim *o);

/* sqrt(sum g[i]^2), summed in double (NaN or Inf if any g[i] is, or if the
 * sum overflows). */
double grad_global_norm(const float *g, size_t n);
/* g[i] *= s. */
void grad_scale(float *g, size_t n, float s);
/* The factor clip / max(norm, clip) that tf.clip_by_global_norm applies:
 * exactly 1 when clip <= 0 or norm <= clip. norm must be finite. */
float grad_clip_factor(double norm, float clip);

/* One update of params from grads (n_params each), without clipping. */
void optim_step(optim *o, float *params, const float *grads);
/* The same, using grads[i] * gscale in place of grads[i] (bit-identical to
 * scaling grads first, without the extra pass over memory). */
void optim_step_scaled(optim *o, float *params, const float *grads, float gscale);
/* Clip and step: computes the global norm of grads into *norm (may be NULL);
 * if it is not finite returns RNNLM_E_NUMERIC and touches neither params nor
 * the optimiser state; otherwise applies the clipped update (grads are left
 * unscaled) and returns RNNLM_OK. */
rnnlm_status optim_clip_step(optim *o, float *params, const float *grads, double *norm,
                             rnnlm_err *err);

/* Sparse steps, for sampled softmax training: parts of the flat buffers in
 * which the gradient is known to be zero outside listed rows or columns
 * (the embedding rows of a batch's words; the output kernel (H, V) columns
 * and output bias entries of the sampled classes). Everything outside the
 * parts is dense.
 *
 * The gradient norm is summed over the dense ranges and the listed rows
 * only, which is the dense norm exactly (the rest is zero), and clipping
 * scales every gradient by the same factor as optim_clip_step would.
 *
 * The update:
 *   - SGD and Adagrad: only the listed rows are updated. This is exact: with
 *     a zero gradient neither rule moves a weight or changes an accumulator.
 *   - Adam, lazy (the default, dense_adam = 0; TensorFlow's LazyAdam, the
 *     usual practice with sampled softmax): only the listed rows are
 *     updated; an untouched row's m and v are NOT decayed and its weights do
 *     not move, instead of drifting on old momentum. The step count t (bias
 *     correction) is global. This is not dense Adam: a row's moments decay
 *     only on the steps in which it has a gradient.
 *   - Adam, dense (dense_adam = 1, `--dense-adam`): every parameter is
 *     updated as by optim_clip_step, untouched rows with gradient 0 (their m
 *     and v decay, their weights move by the momentum): identical to the
 *     dense step, and as costly (all V rows every step). The gradient
 *     outside the listed rows must then really be zero. */
typedef struct {
    size_t offset;        /* first float of the tensor in params and grads */
    size_t rows, cols;    /* its row-major shape */
    int by_col;           /* 0: idx lists rows (embedding (V, E)); 1: columns
                             (output kernel (H, V), output bias as (1, V)) */
    const int32_t *idx;   /* (n_idx) distinct rows or columns, ascending */
    size_t n_idx;
} opt_sparse_part;

/* optim_clip_step with the gradient zero outside parts' listed rows
 * (n_parts parts, ascending by offset, not overlapping, inside n_params;
 * RNNLM_E_ARG otherwise, before anything changes). */
rnnlm_status optim_clip_step_sparse(optim *o, float *params, const float *grads,
                                    const opt_sparse_part *parts, int n_parts, double *norm,
                                    rnnlm_err *err);

/* The state as one flat buffer of optim_state_bytes() bytes, 64-byte aligned:
 *   int64_t step;           updates taken so far (Adam's t), native byte order
 *   int64_t reserved[7];    zero (keeps the slots 64-byte aligned)
 *   float   slots[k * n];   Adam: m (n) then v (n), k = 2; Adagrad: the
 *                           accumulator (n), k = 1; SGD: none, k = 0
 * A checkpoint writes these bytes and restores them with optim_state_load,
 * which checks the size and the step. */
const void *optim_state(const optim *o);
size_t optim_state_bytes(const optim *o);
rnnlm_status optim_state_load(optim *o, const void *state, size_t bytes, rnnlm_err *err);
/* Views into that buffer. */
int64_t optim_step_count(const optim *o);
float *optim_slots(optim *o);              /* (k * n_params) */
size_t optim_n_slots(const optim *o);      /* k * n_params */

#endif
