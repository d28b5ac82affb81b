/* model.h: the language model: embedding (V, E) -> L recurrent layers (RNN,
 * LSTM or GRU, width H) with inverted dropout after each -> dense (H, V) + bias
 * -> softmax, trained by truncated BPTT on (B, T) batches.
 *
 * Size letters: V vocabulary, E embedding width, H hidden width, L layers,
 * B rows of a batch, T time steps of a batch, G gates (1 RNN, 4 LSTM, 3 GRU).
 *
 * All parameters live in one flat float buffer (params), carved into the
 * tensors of model_tensor; grads has the same layout. Tensors are stored in
 * the recipe's (Keras) layout: embedding (V, E); layer l kernel (in, G*H),
 * recurrent_kernel (H, G*H), bias (G*H) (GRU: (2, 3H), input and recurrent
 * biases, reset gate applied after the recurrent product as PyTorch does);
 * output kernel (H, V), output bias (V). LSTM gate order i, f, c, o; GRU r, z, n.
 */
#ifndef RNNLM_MODEL_H
#define RNNLM_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "rng.h"

#define MODEL_MAX_LAYERS 16

typedef enum { CELL_RNN = 0, CELL_LSTM = 1, CELL_GRU = 2 } cell_kind;
typedef enum { INIT_RECIPE = 0, INIT_UNIFORM = 1 } init_kind;

typedef struct {
    cell_kind cell;
    int V, E, H, L;
    float dropout;   /* rate in [0, 1): inverted dropout after every recurrent layer */
    int tied;        /* 1: output kernel is the transposed embedding (needs E == H) */
    init_kind init;  /* INIT_RECIPE: uniform[-1,1] embedding and output, Glorot
                        kernels, orthogonal recurrent kernels, LSTM forget bias 1;
                        INIT_UNIFORM: every weight uniform [-0.1, 0.1] */
} model_config;

typedef struct {
    char name[48];     /* "embedding", "lstm.0.kernel", ..., "output.bias" */
    int ndim;
    int shape[3];      /* Keras layout */
    size_t offset;     /* into params / grads, in floats */
    size_t count;
} model_tensor;

typedef struct model model;   /* opaque; defined in model.c */

rnnlm_status model_create(model **out, const model_config *cfg, rnnlm_err *err);
void model_free(model *m);

const model_config *model_cfg(const model *m);
size_t model_n_params(const model *m);
float *model_params(model *m);          /* (n_params) */
float *model_grads(model *m);           /* (n_params) */
int model_n_tensors(const model *m);
const model_tensor *model_tensor_at(const model *m, int i);

/* Fills params from the configured initialiser with a generator seeded by seed. */
void model_init_params(model *m, uint64_t seed);

/* Carried recurrent state for B rows: (L, B, H) hidden, followed by (L, B, H)
 * cell for LSTM. Allocated by model_reserve (zeroed; kept when reserving again
 * with the same B), zeroed by model_reset_state. */
rnnlm_status model_reserve(model *m, int B, int T, rnnlm_err *err);
void model_reset_state(model *m);
float *model_state(model *m);           /* the carried state, for checkpoints */
size_t model_state_size(const model *m);

typedef struct {
    double loss_sum;   /* sum over the B*T positions of -log P(target), in double */
    int64_t correct;   /* positions whose arg-max is the target */
    int64_t count;     /* positions counted (B*T) */
} batch_stats;

/* One training step's forward and backward on x, y: (B, T) ids, row-major.
 * Uses and updates the carried state (the final state of this batch becomes
 * the initial state of the next; no gradient flows across batches). ADDS the
 * gradient of the MEAN loss over the B*T positions into grads (zero them
 * with model_zero_grads first). Dropout masks are drawn from rng when
 * cfg.dropout > 0. B must equal the reserved B; T <= the reserved T. */
rnnlm_status model_train_batch(model *m, const int32_t *x, const int32_t *y, int B, int T,
                               rnnlm_rng *rng, batch_stats *st, rnnlm_err *err);
/* (st is overwritten with this batch's figures, and may be NULL; ids outside
 * [0, V) are refused with RNNLM_E_ARG before anything changes.) */
void model_zero_grads(model *m);

/* Forward only, no dropout, carrying state: loss and accuracy of the batch. */
rnnlm_status model_eval_batch(model *m, const int32_t *x, const int32_t *y, int B, int T,
                              batch_stats *st, rnnlm_err *err);

/* Rows of logits per slice of the fused softmax + cross-entropy (default
 * MODEL_DEFAULT_CHUNK): memory for logits is rows * V floats whatever B*T is.
 * Applies at once (re-reserving the workspace when reserved; the carried
 * state is kept). */
#define MODEL_DEFAULT_CHUNK 256
rnnlm_status model_set_softmax_chunk(model *m, int rows, rnnlm_err *err);

/* Gradient of the last model_train_batch's mean loss w.r.t. that batch's
 * initial state: model_state_size floats in model_state's layout. */
const float *model_state_grad(const model *m);

/* Double-precision twin of one batch, for the gradient check: the same
 * kernels compiled over double (cblas_dgemm, libm), on
 *   params     (n_params) in model_params' layout,
 *   state0     (model_state_size(m) for B rows) initial state in model_state's
 *              layout, or NULL for zeros,
 *   x, y       (B, T) ids.
 * Dropout (cfg.dropout) only when dropout_rng is non-NULL, masks drawn exactly
 * as model_train_batch draws them. Writes the mean loss into *loss; when grads
 * is non-NULL ADDS the gradient of the mean loss into it (n_params); when
 * state_grad is non-NULL writes the gradient w.r.t. state0 into it. Uses its
 * own workspace: the model's state and buffers are untouched; needs no
 * model_reserve. Slow (allocates); for tests. */
rnnlm_status model_loss_f64(const model *m, const double *params, const double *state0,
                            const int32_t *x, const int32_t *y, int B, int T,
                            rnnlm_rng *dropout_rng, double *loss, double *grads,
                            double *state_grad, rnnlm_err *err);

/* Prints nothing: writes a human summary (layers, each weight's shape in Keras
 * layout, parameter counts) into buf. */
void model_summary(const model *m, char *buf, size_t cap);

#endif
