/* step.h: the step engine (step_*), the training loop as a library object:
 * epochs of batches from either pipeline, a model step, the non-finite
 * guard, global-norm clipping and the optimiser update; evaluation on
 * held-out pairs (through model/eval.h); its state in checkpoints. The
 * caller (the run, trainer.c) drives it step by step and decides what to
 * print. */
#ifndef RNNLM_STEP_H
#define RNNLM_STEP_H

#include "train/comm.h"
#include "core/common.h"
#include "model/model.h"
#include "train/optim.h"
#include "io/safetensors.h"

typedef enum { PIPE_STATEFUL = 0, PIPE_WINDOWED = 1 } pipeline_kind;
/* Training loss: the full softmax, or the sampled softmax (docs/RECIPE.md
 * section 4): `samples` log-uniform candidates per batch, drawn from the
 * step engine's generator (saved in checkpoints, so a resumed run draws the
 * same); the embedding and output layer are then updated sparsely
 * (optim_clip_step_sparse; lazy Adam unless opt.dense_adam). Evaluation
 * always uses the full softmax. */
typedef enum { LOSS_FULL = 0, LOSS_SAMPLED = 1 } loss_kind;

typedef struct {
    model_config model;
    opt_config opt;
    int B, T;                 /* rows and time steps of a batch */
    pipeline_kind pipeline;   /* stateful truncated BPTT (default) or the recipe's windows (docs/DATA.md) */
    int reshuffle;            /* stateful: the sentences in a new order each epoch (data/reshuffle.h) */
    uint64_t seed;            /* initialisation, dropout masks, window shuffling */
    int max_bad_steps;        /* consecutive non-finite steps before training stops */
    size_t max_steps;         /* per epoch; 0: every batch */
    loss_kind loss;           /* LOSS_FULL (default) or LOSS_SAMPLED */
    int samples;              /* K, candidates per batch of the sampled loss, 1 <= K <= V */
    comm *comm;               /* the ranks sharing each batch (NULL: one process; see below) */
} step_config;

/* Data parallelism (comm of N > 1 ranks): every rank builds the same
 * step engine over the same data; of each batch of B rows (streams or windows)
 * rank r runs rows [r B/N, (r+1) B/N) (B must be a multiple of N), the
 * batch figures and the gradient (each rank's weighted by its share of the
 * positions, so that the sum is the gradient of the global batch's mean
 * loss) are summed across the ranks before the non-finite guard, clipping
 * and the optimiser step, which then run identically everywhere. The
 * sampled loss draws its candidates from the shared generator (the same on
 * every rank) and updates the union of the ranks' touched rows; dropout
 * masks come from a per-rank stream seeded by (seed, rank, epoch, step).
 * Evaluation shares the rows the same way and sums. step_save gathers
 * the carried state of every rank's rows (a collective: every rank calls
 * it; only rank 0 writes); step_restore takes this rank's rows of it. */

typedef struct {
    int epoch;                /* from 1 */
    size_t step, n_steps;     /* step within the epoch, from 1 */
    batch_stats batch;        /* this step (sampled loss: the sampled figures) */
    batch_stats epoch_sum;    /* this epoch so far (skipped steps excluded) */
    double grad_norm;         /* before clipping */
    int skipped;              /* 1: non-finite loss or norm, weights untouched */
    size_t skipped_total;
    double seconds;           /* since the epoch began */
    double comm_seconds;      /* of those, in the ranks' collectives */
    double wait_seconds;      /* of those, in the first collective of each step: mostly waiting
                                 for the slowest rank (the figures' sum, 3 doubles) */
    size_t steps_run;         /* steps run since the epoch began (or was restored) */
} step_progress;

typedef struct step_engine step_engine;

/* Builds the model (initialised from cfg->seed), optimiser and batcher over
 * the training pairs x[i] -> y[i], i < n. The arrays must outlive the engine. */
rnnlm_status step_create(step_engine **out, const step_config *cfg, const int32_t *x, const int32_t *y,
                         size_t n, rnnlm_err *err);
void step_free(step_engine *t);
model *step_model(step_engine *t);
/* The training batches' shape: cfg's B and T, or, on data too short for one
 * such batch, fewer rows (windowed: one batch of every window; stateful:
 * rows of T pairs, or one row of all pairs when they are fewer than T). */
void step_batch_shape(const step_engine *t, int *B, int *T);
size_t step_steps_per_epoch(const step_engine *t);

/* Starts the next epoch: zero state, a new window order. */
void step_begin_epoch(step_engine *t);
/* One step; *done = 1 (and nothing run) when the epoch is over. Fails with
 * RNNLM_E_NUMERIC after max_bad_steps consecutive non-finite steps. */
rnnlm_status step_run(step_engine *t, step_progress *p, int *done, rnnlm_err *err);
/* Loss and accuracy on held-out pairs with the training pipeline's batching
 * and cfg's B and T (zero state at the start; windows each from zero state,
 * full batches of them), no dropout. Pairs too few for that are not refused:
 * fewer windows make one smaller batch, fewer than one window or B x T pairs
 * are evaluated as a stream of fewer rows (one row when under T pairs). */
rnnlm_status step_evaluate(step_engine *t, const int32_t *x, const int32_t *y, size_t n, batch_stats *out,
                           rnnlm_err *err);

/* Position in the run: epoch (from 1) and steps done in it; after
 * step_restore the caller continues this epoch without step_begin_epoch
 * when steps < the epoch's steps. */
int step_epoch(const step_engine *t);
size_t step_epoch_step(const step_engine *t);
const step_progress *step_get_progress(const step_engine *t);

/* A checkpoint that resumes exactly: the model and vocabulary (checkpoint.h)
 * plus the training state as "train." tensors and metadata: optimiser slots
 * and step, carried recurrent state, dropout generator, epoch, step, the
 * epoch's running sums. extra_kv: n_extra more metadata pairs ("train." keys
 * are the step engine's own). Written atomically. */
rnnlm_status step_save(const step_engine *t, const char *path, const rnnlm_vocab *v, const char *const *extra_kv,
                       size_t n_extra, rnnlm_err *err);
/* step_save with n_more more tensors (names beginning with "train."). */
rnnlm_status step_save_ex(const step_engine *t, const char *path, const rnnlm_vocab *v, const char *const *extra_kv,
                          size_t n_extra, const st_tensor *more, size_t n_more, rnnlm_err *err);
/* Every rank's checksum (CRC-32C) of its weights compared: RNNLM_E_NUMERIC
 * naming the first rank that differs from rank 0 (a collective). */
rnnlm_status step_check_replicas(step_engine *t, rnnlm_err *err);
/* The optimiser's learning rate from the next step on (a schedule's). */
void step_set_lr(step_engine *t, float lr);
/* Restores a step engine created with the checkpoint's configuration from the
 * loaded model m (same configuration) and the training state in f. */
rnnlm_status step_restore(step_engine *t, const model *m, const st_file *f, rnnlm_err *err);

#endif
