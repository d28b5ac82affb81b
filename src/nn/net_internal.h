/* nn/net_internal.h: what the files of src/nn/ share: the network struct,
 * a layer's activations, the cell ops tables, and short aliases of the
 * per-precision names (backend/real.h). Not for use outside src/nn/. */
#ifndef RNNLM_NN_NET_INTERNAL_H
#define RNNLM_NN_NET_INTERNAL_H

#include <stdint.h>
#include "core/common.h"
#include "backend/real.h"
#include "nn/cell.h"
#include "nn/compute.h"
#include "nn/net.h"
#include "nn/params.h"

typedef NN_SFX(nn_layer_f32, nn_layer_f64) nn_layer;
typedef NN_SFX(nn_params_f32, nn_params_f64) nn_params;
typedef NN_SFX(net_f32, net_f64) net;
#define compute_gemm NN_SFX(compute_gemm_f32, compute_gemm_f64)
/* the pointwise kernels of cc's backend in this unit's precision */
#define nn_k(cc) NN_SFX(compute_k32, compute_k64)(cc)

/* The activations of one recurrent layer kept for the backward pass, carved
 * from the workspace (workspace.c). */
typedef struct {
    real *z;         /* (T, B, G*H) input projections, then the activated gates;
                        in backward the gradients of the pre-activations */
    real *hs;        /* (T+1, B, H) hidden states, slot 0 the initial state */
    real *cs;        /* (T+1, B, H) cell states, slot 0 initial (has_c); else NULL */
    real *tc;        /* (T, B, H) tanh(c) (has_c); else NULL */
    real *hp;        /* (T, B, G*H) h W_hh + b_hh, then its gradient (keeps_hproj); else NULL */
    real *mask;      /* (T, B, H) dropout scales, 0 or 1/(1-rate) */
    real *whd;       /* (H, G*H) W_hh after DropConnect (reg.weight > 0); else NULL; the
                        layers' are consecutive, one buffer (n->whd16 mirrors it in bf16) */
    real *whm;       /* (H, G*H) its mask */
    real *gwh;       /* (H, G*H) the gradient w.r.t. the dropped W_hh */
    real *drop;      /* (T, B, H) output after dropout */
    const real *y;   /* (T, B, H) the layer's output: drop, or hs + B*H */
    uint16_t *z16;   /* bf16 training: (T, B, G*H) the cell's backward rounds dz into it where it
                        computes dz, and its products read it (mirror[1]); else NULL */
} layer_acts;

/* One cell kind's arithmetic over one precision (cell_*.c).
 * forward: X (T*B, in) -> a->hs slots 1..T (a->hs slot 0, a->cs slot 0 hold
 *   the initial state), keeping in a what backward needs.
 * backward: dY (T*B, H) the gradient w.r.t. h_1..h_T (after dropout);
 *   ADDS the weight gradients into g, writes dX (T*B, in) unless NULL and
 *   the gradient w.r.t. the initial state into dh0 (and dc0); dh, dc (B, H)
 *   scratch for the gradient carried from step t to t-1. */
struct NN_SFX(cell_ops_f32, cell_ops_f64) {
    void (*forward)(const nn_layer *w, layer_acts *a, int in, const real *X, int T, int B, int H,
                    const nn_compute *cc);
    void (*backward)(nn_layer *g, const nn_layer *w, layer_acts *a, int in, const real *X,
                     const real *dY, real *dX, real *dh, real *dc, real *dh0, real *dc0, int T,
                     int B, int H, const nn_compute *cc);
};
typedef struct NN_SFX(cell_ops_f32, cell_ops_f64) cell_ops;
#define cell_ops_of(kind) NN_SFX((kind)->f32, (kind)->f64)

/* Shared by every cell once the pre-activation gradients of all N
 * positions are known (cell.c): dzx (N, G*H) feeds W_ih, b_ih and the
 * input; dzh (N, G*H) feeds W_hh (the same array except for GRU) and b_hh
 * when the kind has one. dX (N, in) = dzx W_ih^T, skipped when NULL. */
void NN_SFX(cell_weight_backward_f32, cell_weight_backward_f64)(
    nn_layer *g, const nn_layer *w, const layer_acts *a, int in, const real *X, real *dX,
    const real *dzx, const real *dzh, int N, int H, int GH, const nn_compute *cc);
#define cell_weight_backward NN_SFX(cell_weight_backward_f32, cell_weight_backward_f64)

/* The rows of a recurrence are independent (row b of h_t depends only on
 * row b of h_{t-1}), so a cell runs its T steps over slices [r0, r1) of the
 * B batch rows, one slice per thread of cc, each thread through all T steps
 * with single-threaded products and no wait for the others (cell.c):
 * body(arg, r0, r1, one). With one thread, or fewer than 2 * CELL_MIN_ROWS
 * rows, body runs once over [0, B) with cc itself (its products then
 * sliced by columns). */
#define CELL_MIN_ROWS 8
typedef void (*cell_rows_fn)(void *arg, int r0, int r1, const nn_compute *one);
/* What a cell's row slices read and write: the layer's weights and
 * activations; backward: dY (T, B, H) and the carried gradients dh, dc
 * (B, H) (dc: LSTM only). */
typedef struct {
    const nn_layer *w;
    layer_acts *a;
    const real *dY;
    real *dh, *dc;
    int T, B, H;
} cell_rec;
void cell_rows(const nn_compute *cc, int B, cell_rows_fn body, void *arg);

struct NN_SFX(net_f32, net_f64) {
    const nn_layout *lay;
    const nn_cell *kind;
    int V, E, H, L, G, tied;
    nn_compute cc;
    nn_params w, g;           /* views of the parameters and of their gradients */
    int B, T;                 /* reserved rows and steps */
    int chunk;                /* rows of logits per softmax slice */
    layer_acts acts[NN_MAX_LAYERS];   /* the first L */
    nn_reg reg;               /* regularisers (net_set_reg) */
    double penalty;           /* AR + TAR of the last batch (actreg.c); 0 without them */
    double *pos_logp;         /* NULL, or (N) where an evaluation batch writes each position's log p of its
                                 target, positions in the workspace's time-major order (net_set_pos_logp) */
    real *x0;                 /* (T, B, E) embedded inputs, after the input regularisers */
    real *xmask;              /* (T, B, E) per-position scale of x0: word and embedding dropout */
    real *wscale;             /* (V) word dropout's scale of each vocabulary row this batch */
    real *dya, *dyb;          /* (T, B, max(E, H)) gradients of layer outputs, ping-pong */
    int nth;                  /* workers of the softmax head (fixed at reserve) */
    real *logits;             /* (nth, chunk, V) one slice of logits / their gradient per worker */
    uint16_t *lg16;           /* bf16 training: (lg16_n) the gradients of logits rounded once, per worker */
    size_t lg16_n;
    uint16_t *z16;            /* bf16 training: (z16_n) a layer's dz rounded once (layer_acts.z16) */
    size_t z16_n;
    uint16_t *whd16;          /* bf16 training with DropConnect: (whd16_n) every layer's dropped W_hh
                                 rounded once per batch, the context's mirror[2] */
    size_t whd16_n;
    unsigned long whd_gen;    /* mirror[2]'s generation, new at every layer's mask */
    real *gbt;                /* (NN_MAX_THREADS-1, V) output bias gradients of helper workers */
    real *gwt;                /* (nth-1, H*V) output weight (tied: embedding) gradients of helpers */
    real *dh, *dc;            /* (B, H) gradient carried from step t to t-1 */
    real *dh0, *dc0;          /* (L, B, H) gradient w.r.t. the initial state (dc0: has_c) */
    int32_t *tx, *ty;         /* (T, B) the batch's ids, time-major */
    void *mem;                /* the one allocation everything above is carved from */
    /* Sampled softmax (net_reserve_sampled): the union of the K candidates
     * and the batch's targets, U <= Umax = min(V, kmax + T*B) classes. */
    int kmax;                 /* candidates the workspace holds; 0: not reserved */
    int n_union;              /* U of the last sampled batch */
    int32_t *uid;             /* (Umax) union ids: the K candidates, then the other targets */
    int32_t *ucol;            /* (T, B) union column of each position's target */
    int32_t *umark;           /* (V) union column + 1 of each id; all zero between batches */
    real *wu, *gwu;           /* (Umax, H) gathered output rows and their gradients */
    real *uoff;               /* (Umax) output bias minus log expected count, per union id */
    real *gbu;                /* (Umax) output bias gradient per union id */
    real *dlt;                /* (chunk) gradient of each row's true-class logit */
    void *smem;               /* the allocation the sampled workspace is carved from */
    NN_SFX(ada_ws_f32, ada_ws_f64) *ada;   /* the adaptive head's workspace (lay->adaptive); else NULL */
};

/* The one workspace carver (workspace.c, step.c): a layout function calls
 * carve_take for each piece in order, twice: a first pass with base NULL
 * only adds up the size (with overflow checks), the second hands out the
 * pieces from base, each a multiple of 64 bytes from the last (64-byte
 * aligned when base is). */
typedef struct {
    char *base;
    size_t off;
    int overflow;
} nn_carver;

static inline void *carve_take(nn_carver *cv, size_t a, size_t b, size_t c, size_t elsize) {
    size_t bytes;
    if (!size_mul(a, b, &bytes) || !size_mul(bytes, c, &bytes) ||
        !size_mul(bytes, elsize, &bytes) || !size_add(bytes, 63, &bytes)) {
        cv->overflow = 1;
        return NULL;
    }
    bytes &= ~(size_t)63;
    void *p = cv->base ? cv->base + cv->off : NULL;
    if (!size_add(cv->off, bytes, &cv->off)) cv->overflow = 1;
    return p;
}

#define workspace_release NN_SFX(net_release_f32, net_release_f64)

/* dropout.c: draws the masks of one layer and applies them (forward), or
 * applies them to the gradient (backward), in place. locked: one mask of
 * (B, width) repeated over the n / (B * width) steps. */
void NN_SFX(dropout_forward_f32, dropout_forward_f64)(const nn_compute *cc, layer_acts *a, const real *h, size_t n,
                                                      size_t row, int locked, float rate,
                                                      rnnlm_rng *rng);
void NN_SFX(dropout_backward_f32, dropout_backward_f64)(const nn_compute *cc, real *dy, const layer_acts *a, size_t n);
#define dropout_forward NN_SFX(dropout_forward_f32, dropout_forward_f64)
#define dropout_backward NN_SFX(dropout_backward_f32, dropout_backward_f64)

/* mask (n) of inverted dropout scales (0 or 1 / (1 - rate)); locked: the
 * first row values drawn and repeated over n / row copies. */
void NN_SFX(dropout_mask_f32, dropout_mask_f64)(real *mask, size_t n, size_t row, int locked,
                                                float rate, rnnlm_rng *rng);
#define dropout_mask NN_SFX(dropout_mask_f32, dropout_mask_f64)

/* The input regularisers of a training batch: x0 (N, E) scaled in place by
 * word dropout (whole vocabulary rows) and embedding dropout, the combined
 * scale of each value kept in n->xmask for the backward pass. */
void NN_SFX(input_dropout_f32, input_dropout_f64)(net *n, int N, rnnlm_rng *rng);
#define input_dropout NN_SFX(input_dropout_f32, input_dropout_f64)

/* DropConnect on layer a's W_hh: a->whd = w_hh * a fresh mask a->whm;
 * where h16 is not NULL (bf16), also rounded into h16 (n). */
void NN_SFX(weight_drop_f32, weight_drop_f64)(const nn_compute *cc, layer_acts *a, const real *w_hh, size_t n,
                                              float rate, rnnlm_rng *rng, uint16_t *h16);
#define weight_drop NN_SFX(weight_drop_f32, weight_drop_f64)

/* actreg.c: AR and TAR of the last layer in a training batch (nn_reg.ar,
 * .tar). forward, after the head wrote dya: returns the penalty and, with
 * train, adds AR's gradient into n->dya. backward: adds TAR's gradient into
 * dh (T, B, H), the gradient w.r.t. the last layer's output before its
 * dropout. */
double NN_SFX(actreg_forward_f32, actreg_forward_f64)(net *n, int T, int train);
void NN_SFX(actreg_backward_f32, actreg_backward_f64)(net *n, real *dh, int T);
#define actreg_forward NN_SFX(actreg_forward_f32, actreg_forward_f64)
#define actreg_backward NN_SFX(actreg_backward_f32, actreg_backward_f64)

/* softmax.c: logits, full softmax and cross-entropy of Y (N, H); with train
 * the output-layer gradients (ADDED) and dY (N, H) (written). */
void NN_SFX(softmax_head_f32, softmax_head_f64)(real *dY, net *n, const real *Y, int N, int train,
                                                batch_stats *st);
#define softmax_head NN_SFX(softmax_head_f32, softmax_head_f64)

/* sampled.c: the same with the sampled softmax loss. */
void NN_SFX(sampled_head_f32, sampled_head_f64)(real *dY, net *n, const real *Y, int N,
                                                const int32_t *cand, int K, int64_t tries,
                                                int train, batch_stats *st);
#define sampled_head NN_SFX(sampled_head_f32, sampled_head_f64)
#define ada_head NN_SFX(ada_head_f32, ada_head_f64)
#define ada_set_pos_logp NN_SFX(ada_set_pos_logp_f32, ada_set_pos_logp_f64)

#endif
