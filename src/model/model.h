/* model.h: the language model: embedding (V, E) -> L recurrent layers (RNN,
 * LSTM or GRU, width H) with inverted dropout after each -> dense (H, V) + bias
 * -> softmax, trained by truncated BPTT on (B, T) batches.
 *
 * Size letters: V vocabulary, E embedding width, H hidden width, L layers,
 * B rows of a batch, T time steps of a batch, G gates (1 RNN, 4 LSTM, 3 GRU).
 *
 * All parameters live in one flat float buffer (params), carved into the
 * tensors of nn_layout (nn/params.h); grads has the same layout. Tensors are stored in
 * the recipe's (Keras) layout: embedding (V, E); layer l kernel (in, G*H),
 * recurrent_kernel (H, G*H), bias (G*H) (GRU: (2, 3H), input and recurrent
 * biases, reset gate applied after the recurrent product as PyTorch does);
 * output kernel (H, V), output bias (V). LSTM gate order i, f, c, o; GRU r, z, n.
 */
#ifndef RNNLM_MODEL_H
#define RNNLM_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "core/common.h"
#include "core/rng.h"
#include "nn/net.h"   /* the network layer this object wraps: cell_kind, nn_layout, batch_stats */

#define MODEL_MAX_LAYERS NN_MAX_LAYERS

typedef enum { INIT_RECIPE = 0, INIT_UNIFORM = 1 } init_kind;

typedef struct {
    cell_kind cell;
    int V, E, H, L;
    float dropout;   /* rate in [0, 1): inverted dropout after every recurrent layer */
    nn_reg reg;      /* regularisers beyond it (nn/net.h; all zero: none); rates in [0, 1) */
    float weight_decay;   /* L2: adds weight_decay * w to the gradient of every weight
                             matrix (embedding, kernels, output kernel; not the biases),
                             the gradient of (weight_decay / 2) |w|^2 */
    int tied;        /* 1: output kernel is the transposed embedding (needs E == H) */
    init_kind init;  /* INIT_RECIPE: uniform[-1,1] embedding and output, Glorot
                        kernels, orthogonal recurrent kernels, LSTM forget bias 1;
                        INIT_UNIFORM: every weight uniform [-0.1, 0.1] */
    int threads;     /* compute threads (0: one per online core); a run setting, not
                        part of the architecture nor of checkpoints */
    int bf16;        /* single-precision products with bf16 inputs and fp32 sums
                        (backend/backend.h); a run setting like threads */
    int adaptive;    /* 1: the adaptive softmax head (nn/adaptive.h) instead of the
                        dense output layer; not with tied */
    int ada_n;       /* its cutoffs ada_cut[0..ada_n): the head's size, then each
                        tail cluster's end, strictly increasing, below V */
    int ada_cut[ADA_MAX_CLUSTERS];
    int ada_div;     /* cluster k's projection width: H / ada_div^k (at least 1) */
} model_config;

/* One tensor of the flat buffer: its Keras name ("embedding",
 * "lstm.0.kernel", ..., "output.bias"), shape and offset (nn/params.h). */
typedef nn_tensor model_tensor;

typedef struct model model;   /* opaque; defined in model.c */

rnnlm_status model_create(model **out, const model_config *cfg, rnnlm_err *err);
void model_free(model *m);

const model_config *model_cfg(const model *m);
size_t model_n_params(const model *m);
float *model_params(model *m);          /* (n_params) */
float *model_grads(model *m);           /* (n_params) */
/* The named view of the parameters (nn/params.h): every tensor by role,
 * with its shape and offset into params, grads or any buffer of that layout. */
const nn_layout *model_layout(const model *m);
/* The tensors present, in file order (the layout's enumeration). */
int model_n_tensors(const model *m);
const model_tensor *model_tensor_at(const model *m, int i);

/* Compute threads from now on (0: one per online core); the workspace is
 * re-reserved when reserved (the carried state is kept). */
rnnlm_status model_set_threads(model *m, int threads, rnnlm_err *err);
/* Products in bf16 (1) or fp32 (0) from now on; like threads, before the
 * states that should use it are created. RNNLM_E_ARG where the backend has
 * no bf16 products. */
rnnlm_status model_set_bf16(model *m, int bf16, rnnlm_err *err);
/* The gradient all-reduce hook of a data-parallel step (backend/backend.h;
 * fn NULL: one process). */
void model_set_allreduce(model *m, rnnlm_status (*fn)(void *arg, float *g, size_t n, rnnlm_err *err),
                         void *arg);
/* One line naming the compute path (library, implementation, ISA,
 * precision, threads), and how precision `auto` was resolved when it was. */
void model_compute_path(const model *m, char *buf, size_t size);
/* What model_compute_path says of precision `auto` (model/precision.h's
 * choice; NULL or "": it was not asked for). */
void model_set_precision_note(model *m, const char *note);
/* The compute context: backend, threads, precision, mirrors, all-reduce hook. */
const nn_compute *model_compute(const model *m);

/* Fills params from the configured initialiser with a generator seeded by seed. */
void model_init_params(model *m, uint64_t seed);

/* Carried recurrent state for B rows: (L, B, H) hidden, followed by (L, B, H)
 * cell for LSTM. Allocated by model_reserve (zeroed; kept when reserving again
 * with the same B), zeroed by model_reset_state. */
rnnlm_status model_reserve(model *m, int B, int T, rnnlm_err *err);
void model_reset_state(model *m);
float *model_state(model *m);           /* the carried state, for checkpoints */
size_t model_state_size(const model *m);

/* One training step's forward and backward on x, y: (B, T) ids, row-major.
 * Uses and updates the carried state (the final state of this batch becomes
 * the initial state of the next; no gradient flows across batches). ADDS the
 * gradient of the MEAN loss over the B*T positions into grads (zero them
 * with model_zero_grads first). Dropout masks are drawn from rng when
 * cfg.dropout > 0. B must equal the reserved B; T <= the reserved T.
 * st is overwritten with this batch's figures, and may be NULL; ids outside
 * [0, V) are refused with RNNLM_E_ARG before anything changes. */
rnnlm_status model_train_batch(model *m, const int32_t *x, const int32_t *y, int B, int T,
                               rnnlm_rng *rng, batch_stats *st, rnnlm_err *err);
/* grads = 0 */
void model_zero_grads(model *m);

/* Forward only, no dropout, carrying state: loss and accuracy of the batch. */
rnnlm_status model_eval_batch(model *m, const int32_t *x, const int32_t *y, int B, int T,
                              batch_stats *st, rnnlm_err *err);
/* model_eval_batch that also writes logp (B, T), row-major like x and y,
 * when logp is not NULL:
 * the natural-log probability of each target (model_eval_batch's loss sum
 * may differ in its last bits: each row's softmax runs alone). */
rnnlm_status model_eval_batch_logp(model *m, const int32_t *x, const int32_t *y, int B, int T,
                                   batch_stats *st, double *logp, rnnlm_err *err);

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

/* ------------------------------------------------------- sampled softmax
 *
 * Training with the sampled softmax loss (the candidates come from
 * core/sampler.h). Evaluation, scoring and generation keep the full softmax
 * (model_eval_batch). */
typedef struct {
    int K;                 /* candidates, 1 <= K <= V */
    const int32_t *ids;    /* (K) distinct class ids, shared by every position */
    int64_t tries;         /* draws of the log-uniform sampler that gave ids: every sampled
                              logit gets log Q(k) = log(-expm1(tries log1p(-P(k)))) subtracted;
                              0: no correction (a test hook) */
} model_candidates;

/* model_train_batch with the sampled softmax: per position the logits of the
 * true class (slot 0) and of the K candidates, each minus its log expected
 * count; a candidate equal to the position's target is masked (accidental
 * hit removed); the loss is the mean over positions of the cross-entropy
 * with slot 0. Every class as a candidate (K = V) with tries = 0 is exactly
 * the full softmax: the target's logit sits in slot 0 and its candidate copy
 * is masked, so the V logits are the full softmax's, once each.
 * Only the output rows of the union of candidates and targets are gathered
 * and multiplied; the gradient is ADDED into the output kernel columns and
 * bias entries of that union and the embedding rows of the batch's inputs,
 * nowhere else in those three tensors (model_touched lists them).
 * st: the sampled loss sum, and as correct the positions whose true logit
 * beats every unmasked candidate. */
rnnlm_status model_train_batch_sampled(model *m, const int32_t *x, const int32_t *y, int B, int T,
                                       const model_candidates *cand, rnnlm_rng *rng,
                                       batch_stats *st, rnnlm_err *err);

/* Where the last model_train_batch_sampled wrote gradient in the sparse
 * tensors: emb_rows (n_emb) the embedding rows, ascending (the inputs; with
 * tied embeddings also the output classes); classes (n_cls) the output
 * classes, ascending: columns of the output kernel (H, V) and entries of the
 * output bias. Both empty (n = 0) when the last training batch was a full
 * softmax one or there was none: then the gradient is dense. */
void model_touched(const model *m, const int32_t **emb_rows, int *n_emb, const int32_t **classes,
                   int *n_cls);

/* model_zero_grads for a run of sampled batches: zeroes the recurrent
 * tensors' gradients and, in the embedding, output kernel and bias, only
 * what model_touched lists (everything when it lists nothing). Equal to
 * model_zero_grads as long as only model_train_batch* wrote the gradient
 * since the last zeroing, one batch at a time. */
void model_zero_grads_touched(model *m);

/* model_loss_f64 with the sampled softmax loss of model_train_batch_sampled
 * (no dropout), for the gradient check; same arguments and buffers. */
rnnlm_status model_loss_sampled_f64(const model *m, const double *params, const double *state0,
                                    const int32_t *x, const int32_t *y, int B, int T,
                                    const model_candidates *cand, double *loss, double *grads,
                                    double *state_grad, rnnlm_err *err);

/* Prints nothing: writes a human summary (layers, each weight's shape in Keras
 * layout, parameter counts) into buf. */
void model_summary(const model *m, char *buf, size_t cap);

/* Read-only views of a model's weights for the one-step forward pass that
 * runs a trained model (infer_workspace_f32, infer_step_f32 in nn/net.h and
 * src/nn/step.c; the public rnnlm_model and rnnlm_state in
 * src/model/infer.c). */
typedef nn_weights_f32 model_weights;

/* Points w at m's parameters (the layout's view) with m's compute context. */
void model_weights_bind(model *m, model_weights *w);

#endif
