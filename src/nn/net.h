/* nn/net.h: the network layer's entry points for the model object (model.c)
 * and the inference code (infer.c), in both precisions: _f32, the
 * production instance (float, fast vector math), and _f64, the double twin
 * that the gradient check differentiates. The arithmetic is written once
 * (one file per layer in src/nn/, see backend/real.h for the two instances).
 *
 * Size letters: V vocabulary, E embedding width, H hidden width, L layers,
 * G gates, B rows of a batch, T steps; N = T*B positions, stored time-major
 * inside (position p = t*B + b is row b at step t). */
#ifndef RNNLM_NN_NET_H
#define RNNLM_NN_NET_H

#include <stdint.h>
#include "core/common.h"
#include "core/rng.h"
#include "nn/compute.h"
#include "nn/params.h"

#define NN_MAX_THREADS 8 /* workers sharing the rows of a softmax head */

typedef struct {
    double loss_sum;   /* sum over the B*T positions of -log P(target), in double */
    int64_t correct;   /* positions whose arg-max is the target */
    int64_t count;     /* positions counted (B*T) */
} batch_stats;

/* a += b: the one place batch figures are summed (workers, slices, ranks) */
static inline void batch_stats_add(batch_stats *a, const batch_stats *b) {
    a->loss_sum += b->loss_sum;
    a->correct += b->correct;
    a->count += b->count;
}

/* Regularisers beyond the recipe's dropout after each layer, all off at
 * zero (docs/RECIPE.md, section 6, "Beyond the recipe: regularisers"). They act in training
 * batches only (a generator given), their masks drawn from it in this
 * order: word rows, embedding output, then per layer its W_hh mask and its
 * output mask. Every mask is inverted: kept values are scaled by
 * 1 / (1 - rate), so the expectation is the undropped network. */
typedef struct {
    float out;      /* dropout on the last layer's output; 0: the rate of the others */
    float emb;      /* dropout on the embedding output (N, E) */
    float word;     /* word-type dropout: a vocabulary row zeroed for the whole batch */
    float weight;   /* DropConnect on every W_hh (H, G*H), one mask per batch */
    int locked;     /* variational: the embedding and output masks are drawn per row b
                       (B, width) and shared by the T steps of the batch */
    float ar;       /* activation regularisation (Merity et al. 2018): the objective gains
                       ar * mean(y^2) over the last layer's output y after its dropout */
    float tar;      /* temporal activation regularisation: tar * mean((h_t - h_{t-1})^2)
                       over the last layer's output h before dropout, t within the batch */
} nn_reg;

typedef struct net_f32 net_f32;   /* the network over one parameter buffer and its workspace */
typedef struct net_f64 net_f64;

/* A network over params and grads (n_params each, lay's layout; both must
 * outlive it, as must lay); products and heads use cc's threads. */
rnnlm_status net_create_f32(net_f32 **out, const nn_layout *lay, float *params, float *grads,
                            const nn_compute *cc, rnnlm_err *err);
rnnlm_status net_create_f64(net_f64 **out, const nn_layout *lay, double *params, double *grads,
                            const nn_compute *cc, rnnlm_err *err);
void net_free_f32(net_f32 *n);
void net_free_f64(net_f64 *n);

/* The thread count from now on; takes effect at the next net_reserve. */
void net_set_compute_f32(net_f32 *n, const nn_compute *cc);

/* The regularisers from now on; before net_reserve (the workspace holds
 * their masks). */
void net_set_reg_f32(net_f32 *n, const nn_reg *r);
void net_set_reg_f64(net_f64 *n, const nn_reg *r);

/* Allocates the workspace for B rows and up to T steps, with softmax slices
 * of chunk rows. Frees any previous workspace, the sampled one included. */
rnnlm_status net_reserve_f32(net_f32 *n, int B, int T, int chunk, rnnlm_err *err);
rnnlm_status net_reserve_f64(net_f64 *n, int B, int T, int chunk, rnnlm_err *err);
/* Frees the workspaces (the network stays bound; reserve again to use it). */
void net_release_f32(net_f32 *n);
void net_release_f64(net_f64 *n);

/* Workspace of the sampled softmax for up to K candidates (after net_reserve). */
rnnlm_status net_reserve_sampled_f32(net_f32 *n, int K, rnnlm_err *err);
rnnlm_status net_reserve_sampled_f64(net_f64 *n, int K, rnnlm_err *err);
int net_sampled_capacity_f32(const net_f32 *n);   /* K reserved; 0: none */

/* One batch: x, y (B, T) ids in [0, V), row-major, T <= reserved T.
 * h, c: (L, B, H) the carried state (c only for kinds with a cell state,
 * else NULL); read as the initial state and overwritten with the final one.
 * Dropout after every layer when rate > 0 and rng is non-NULL (masks drawn
 * from rng), and the regularisers of net_set_reg when rng is non-NULL. train != 0: the backward pass, ADDING the gradient of the mean
 * loss into grads and keeping the gradient w.r.t. the initial state
 * (net_state_grad). Accumulates the loss sum, correct and counted positions
 * into st. */
void net_batch_f32(net_f32 *n, const int32_t *x, const int32_t *y, int T, float *h, float *c,
                   int train, float rate, rnnlm_rng *rng, batch_stats *st);
void net_batch_f64(net_f64 *n, const int32_t *x, const int32_t *y, int T, double *h, double *c,
                   int train, float rate, rnnlm_rng *rng, batch_stats *st);

/* net_batch with the sampled softmax loss (sampled.c): cand (K) distinct
 * ids, K <= the reserved capacity, shared by every position; tries > 0
 * subtracts the log expected counts of the log-uniform sampler. */
void net_batch_sampled_f32(net_f32 *n, const int32_t *x, const int32_t *y, int T, float *h,
                           float *c, int train, float rate, rnnlm_rng *rng, const int32_t *cand,
                           int K, int64_t tries, batch_stats *st);
void net_batch_sampled_f64(net_f64 *n, const int32_t *x, const int32_t *y, int T, double *h,
                           double *c, int train, float rate, rnnlm_rng *rng, const int32_t *cand,
                           int K, int64_t tries, batch_stats *st);

/* From now on (NULL: off), an evaluation batch (train 0, full or adaptive
 * softmax) also writes into pos (B * T entries) the natural-log probability
 * of each position's target, in time-major order: position (b, t) at
 * t * B + b. Each row's softmax then runs alone, so the batch's loss sum may
 * differ from the unrecorded one in its last bits. */
void net_set_pos_logp_f32(net_f32 *n, double *pos);

/* Gradient of the last training batch w.r.t. its initial state: dh0, dc0
 * (L, B, H) each (dc0 meaningful only for kinds with a cell state). */
void net_state_grad_f32(const net_f32 *n, const float **dh0, const float **dc0);
void net_state_grad_f64(const net_f64 *n, const double **dh0, const double **dc0);

/* The activation regularisers' penalty (nn_reg.ar, .tar) of the last batch,
 * beside its mean loss: 0 unless it was a training batch with them. */
double net_penalty_f32(const net_f32 *n);
double net_penalty_f64(const net_f64 *n);

/* The union of candidates and targets of the last sampled batch: ids (U). */
const int32_t *net_sampled_union_f32(const net_f32 *n, int *U);

/* L2 weight decay (decay.c): g += wd * w over the weight matrices of lay
 * (embedding, W_ih, W_hh, output kernel; not the biases) of the buffers w
 * and g; returns the penalty (wd / 2) |w|^2 over the same tensors. */
double nn_weight_decay_f32(const nn_layout *lay, const float *w, float *g, double wd);
double nn_weight_decay_f64(const nn_layout *lay, const double *w, double *g, double wd);

/* ------------------------------------------------------------- inference */

/* Read-only weights for the one-step forward pass (step.c). */
typedef struct {
    const nn_layout *lay;
    nn_params_f32 p;     /* views into the parameters, only read */
    nn_compute cc;
} nn_weights_f32;

void nn_weights_bind_f32(nn_weights_f32 *w, const nn_layout *lay, const float *params,
                         const nn_compute *cc);

/* Floats of workspace infer_step_f32 needs for B lanes (alignment included). */
size_t infer_workspace_f32(const nn_weights_f32 *w, int B);

/* One step of B lanes, no dropout: x (B) ids in [0, V) (unchecked);
 * h, c (L, B, H) the state (c only for kinds with a cell state, else
 * unused), read and overwritten with the next state; ws
 * (infer_workspace_f32 floats); logits (B, V) written with the output bias
 * added; lse (B) or NULL: log-sum-exp of each row in double, so
 * log P(j) = logits[j] - lse. The layers run the training forward pass of
 * their cell with T = 1, product for product. Reads w only: steps of
 * separate states may run concurrently. */
void infer_step_f32(const nn_weights_f32 *w, const int32_t *x, int B, float *h, float *c,
                    float *ws, float *logits, double *lse);
/* With the adaptive softmax, infer_step_f32 writes the log-probabilities
 * themselves into logits (B, V) and 0 into lse. infer_step_target_f32 is
 * the cheap step of scoring for such a model: the same state update, and
 * lp (B) = log P(y[b]) from the head and the one cluster y[b] needs. */
void infer_step_target_f32(const nn_weights_f32 *w, const int32_t *x, int B, float *h, float *c,
                           float *ws, const int32_t *y, double *lp);

/* infer_step_f32 in two halves. infer_recur_f32: the layers only, the new
 * state in h, c (the top layer's h rows at h + (L-1) B H). infer_output_f32:
 * logits (R, V) and lse (R) of R rows X (R, H) of top-layer states (any
 * rows: the output layer does not feed back, so the rows of several steps
 * can go through it at once); ex (V) scratch. Each row of logits and lse is
 * computed as infer_step_f32 computes it. */
void infer_recur_f32(const nn_weights_f32 *w, const int32_t *x, int B, float *h, float *c, float *ws);
void infer_output_f32(const nn_weights_f32 *w, const float *X, int R, float *logits, double *lse,
                      float *ex);
/* The output layer of scoring: lp (R) = log P(y[r]) of R rows X (R, H),
 * without the whole distribution. The adaptive softmax takes the head and
 * the one cluster y[r] needs, in pieces of B rows (ws: infer_workspace_f32's
 * for B). The full softmax runs by tiles of columns, each row's log-sum-exp
 * gathered across them, in scratch (infer_output_scratch_f32 floats for R
 * rows); log P(y[r]) agrees with infer_output_f32's logits[y] - lse to
 * rounding (the sum is taken in another order). */
size_t infer_output_scratch_f32(const nn_weights_f32 *w, int R);
void infer_output_target_f32(const nn_weights_f32 *w, const float *X, int R, int B, const int32_t *y,
                             double *lp, float *ws, float *scratch);

#endif
