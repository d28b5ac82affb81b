/* backend/backend.h: the backend interface. Everything the network, the
 * model and the optimiser do to numbers goes through one table of function
 * pointers (after ggml's ggml_backend_i): allocation and copies, the matrix
 * products and the thread fan-out, the cells' pointwise forward and backward
 * steps, embedding gather and scatter, softmax with cross-entropy (full and
 * sampled), dropout's masks, the optimiser's update, and a gradient
 * all-reduce hook. What stays above it is shape bookkeeping: which product
 * with which operands, in which order, and the derivations (the cells keep
 * their products; their pointwise loops are here).
 *
 * Every operation works on a whole block (B rows of one step, N positions,
 * a tensor of the flat buffer), never on one element, so an indirect call
 * costs nothing next to the work it starts.
 *
 * A backend (src/backend/<name>/) fills one `backend` table; its kernels
 * exist in both precisions of backend/real.h (f32: production, f64: the
 * gradient check's reference). docs/ARCHITECTURE.md, "Backends", says how
 * to add one. A NULL operation is one the backend does not have:
 * backend_check refuses a configuration that needs it, with a status. */
#ifndef RNNLM_BACKEND_BACKEND_H
#define RNNLM_BACKEND_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "core/common.h"

#define COMPUTE_MAX_THREADS 64

typedef struct backend backend;

typedef enum { NN_NOTRANS = 0, NN_TRANS = 1 } nn_op;

#define BACKEND_MIRRORS 3   /* bf16 mirrors a context carries (backend_ctx) */

/* The context every operation receives: the backend, its thread count and
 * precision, the bf16 mirrors, and the gradient all-reduce hook. A model
 * owns one (model.c); a zeroed one means the default backend, one thread,
 * fp32. */
typedef struct backend_ctx {
    const backend *be; /* NULL: backend_default() */
    int threads;       /* workers a product or a head may use, in [1, COMPUTE_MAX_THREADS] */
    int bf16;          /* single-precision products: inputs rounded to bfloat16, sums in fp32 */
    /* bf16: mirrors, h[i] = bf16(f[i]) for i < n (h NULL: none): an
     * operand inside f is read from h instead of being rounded again.
     * mirror[0]: the model's weights, refreshed by its owner whenever they
     * change; mirror[1]: a scratch one, written where the values are
     * computed (the softmax's gradient of a slice of logits, read by two
     * products; an LSTM layer's gate gradients, read by four); mirror[2]:
     * the batch's recurrent weights after DropConnect, every layer's, one
     * buffer, rounded where the mask is applied.
     * gen: where set (mirror[0], mirror[2]), a value its owner sets from the
     * backend's generation() at every refresh; a product whose B lies in
     * such a mirror may keep B in the layout its kernel prefers and redo it
     * only when the counter moves or B moves (weights change once per batch,
     * products read them many times). */
    struct {
        const float *f;
        const uint16_t *h;
        size_t n;
        const unsigned long *gen;
    } mirror[BACKEND_MIRRORS];
    /* The gradient all-reduce of a data-parallel step: sums g (n) over the
     * processes in place. NULL for one process; src/train/comm.c provides
     * the MPI one (comm_allreduce_hook), installed by the trainer. */
    rnnlm_status (*allreduce)(void *arg, float *g, size_t n, rnnlm_err *err);
    void *allreduce_arg;
} backend_ctx;

/* The optimiser's update of one step (src/train/optim.h has the rules);
 * the coefficients are computed once per step by the caller. */
enum { BACKEND_ADAM = 0, BACKEND_ADAGRAD = 1, BACKEND_SGD = 2 };
typedef struct {
    int kind;             /* BACKEND_ADAM, _ADAGRAD, _SGD */
    int eps_torch;        /* Adam: PyTorch's placement of eps */
    float gs;             /* the gradient's scale (clipping) */
    float omb1, omb2;     /* Adam: 1 - beta1, 1 - beta2 */
    float a;              /* Adam Keras: lr sqrt(1 - b2^t) / (1 - b1^t) */
    float step_size, bc2; /* Adam PyTorch: lr / (1 - b1^t), sqrt(1 - b2^t) */
    float lr, eps;
} backend_opt;

/* The kernels of one precision R. Shapes as in nn/net.h: B rows, H hidden
 * width, G gates, N positions, V classes; a step's blocks are (B, H) or
 * (B, G*H), rows contiguous. */
#define BACKEND_KERNELS(R)                                                                          \
    struct {                                                                                        \
        /* C (M, N) = alpha op(A) (M, K) op(B) (K, N) + beta C, row-major, leading dimensions       \
         * lda, ldb, ldc, on up to c->threads workers (c NULL: one); each element of C is           \
         * computed the same way whatever the split. */                                             \
        void (*gemm)(const backend_ctx *c, nn_op ta, nn_op tb, int M, int N, int K, R alpha,        \
                     const R *A, int lda, const R *B, int ldb, R beta, R *C, int ldc);              \
        /* LSTM, one step: z (B, 4H) pre-activations without b (i, f, g, o) become the gates;       \
         * c = f cp + i g, tc = tanh c, h = o tc (cell_lstm.c) */                                   \
        void (*lstm_forward)(R *z, const R *b, const R *cp, R *c, R *tc, R *h, int B, int H);       \
        /* the gates become dz; dc (B, H) the carried cell gradient, in and out; dh from t+1;       \
         * z16 (B, 4H), where not NULL (a bf16 context only), receives dz rounded as bf16_round     \
         * would, each row while it is in cache */                                                  \
        void (*lstm_backward)(R *z, R *dc, const R *dy, const R *dh, const R *tc, const R *cp,      \
                              int B, int H, uint16_t *z16);                                         \
        /* GRU, one step: z (B, 3H) = x W_ih, q (B, 3H) = hp W_hh + b_hh; h the new state */        \
        void (*gru_forward)(R *z, const R *q, const R *b, const R *hp, R *h, int B, int H);         \
        /* z, q become the input- and recurrent-side gradients; dh the direct part into hp */       \
        void (*gru_backward)(R *z, R *q, R *dh, const R *dy, const R *hp, int B, int H);            \
        /* RNN: h (n) = tanh z; dz (n) = (dy + dh) (1 - h^2) */                                     \
        void (*rnn_forward)(R *h, const R *z, size_t n);                                            \
        void (*rnn_backward)(R *dz, const R *dy, const R *dh, const R *h, size_t n);                \
        /* rows (n, w) = b each; g (w) += the column sums of rows (n, w) */                         \
        void (*bias_rows)(R *rows, const R *b, size_t n, int w);                                    \
        void (*bias_grad)(R *g, const R *rows, size_t n, int w);                                    \
        /* x (N, E) = rows ids of W (., ld); gW rows ids += dx (N, E) */                            \
        void (*gather_rows)(R *x, const R *W, size_t ld, const int32_t *ids, int N, int E);         \
        void (*scatter_rows)(R *gW, size_t ld, const R *dx, const int32_t *ids, int N, int E);      \
        /* the same over columns: x (U, H) = columns ids of W (H, ld); gW columns += dx */          \
        void (*gather_cols)(R *x, const R *W, size_t ld, const int32_t *ids, int U, int H);         \
        void (*scatter_cols)(R *gW, size_t ld, const R *dx, const int32_t *ids, int U, int H);      \
        /* Softmax with cross-entropy of rows (rows, V) of logits lg (bias not yet added):          \
         * adds *loss the sum of -log p(target), *correct the rows whose first arg-max is the       \
         * target; train: the row becomes (p - onehot) inv_n, added into gb (V), and where lg16     \
         * is not NULL (train in a bf16 context only) also rounded into lg16 (rows, V) as           \
         * bf16_round would, while the row is still in cache. */                                     \
        void (*softmax_xent)(R *lg, const int32_t *tgt, const R *b, R *gb, int V, int rows,         \
                             int train, double inv_n, double *loss, int64_t *correct,               \
                             uint16_t *lg16);                                                       \
        /* The sampled softmax of rows [i0, i1) of lg (rows, K) (sampled.c has the rules). */       \
        void (*sampled_xent)(R *lg, const R *Y, const R *wu, const R *uoff, const int32_t *col,     \
                             R *gb, R *dlt, int K, int H, int i0, int i1, int train, double inv_n,  \
                             double *loss, int64_t *correct);                                       \
        /* Inference: logits (B, V) += b; lse (B) (NULL: not wanted) the log-sum-exp of each        \
         * row, ex (V) scratch. */                                                                  \
        void (*logits_lse)(R *logits, const R *b, int B, int V, R *ex, double *lse);                \
        /* y (n) = a * m, dropout's forward; y (n) *= m, its backward; y (n) += a * m;              \
         * y (n) += x; y (n) += s x */                                                              \
        void (*mul)(R *y, const R *a, const R *m, size_t n);                                        \
        void (*mul_in)(R *y, const R *m, size_t n);                                                 \
        void (*fma_in)(R *y, const R *a, const R *m, size_t n);                                     \
        void (*add)(R *y, const R *x, size_t n);                                                    \
        void (*axpy)(R *y, R s, const R *x, size_t n);                                              \
    }

typedef BACKEND_KERNELS(float) backend_kernels_f32;
typedef BACKEND_KERNELS(double) backend_kernels_f64;

struct backend {
    const char *name;
    /* Sets up c for this backend with `threads` workers (<= 0: one per
     * core), fp32, no mirror, no hook. */
    void (*init)(backend_ctx *c, int threads);
    /* One line naming the path the single-precision products take. */
    void (*describe)(const backend_ctx *c, char *buf, size_t size);
    /* Memory the kernels work on: bytes zeroed, 64-byte aligned (NULL: no
     * memory); its release; a copy of bytes between two such buffers. */
    void *(*alloc)(size_t bytes);
    void (*release)(void *p);
    void (*copy)(void *dst, const void *src, size_t bytes);
    /* Runs fn(arg, i) for every i in [0, n), n <= COMPUTE_MAX_THREADS,
     * concurrently where it can, and returns when all are done. */
    void (*parallel_for)(const backend_ctx *c, int n, void (*fn)(void *arg, int i), void *arg);
    /* bf16: dst (n) = src (n) rounded to bfloat16 (nearest even), the
     * weights' mirror; a value never returned before (a mirror's
     * generation). NULL: the backend has no bf16 products. */
    void (*bf16_round)(uint16_t *dst, const float *src, size_t n);
    unsigned long (*generation)(void);
    /* The optimiser's update of n parameters w from g: s1, s2 its slots
     * (Adam m and v, Adagrad's accumulator, SGD none), all at the same
     * offset; update_cols the same for the listed elements idx (n_idx) of
     * one row only (the sampled loss's output columns). */
    void (*opt_update)(const backend_opt *k, float *w, const float *g, float *s1, float *s2,
                       size_t n);
    void (*opt_update_cols)(const backend_opt *k, float *w, const float *g, float *s1, float *s2,
                            const int32_t *idx, size_t n_idx);
    const backend_kernels_f32 *f32;
    const backend_kernels_f64 *f64;
};

/* The built-in backends (one line each in backend/registry.c) and the ones
 * registered at run time; the default is the last registered, else the
 * first built-in (the CPU backend). */
const backend *backend_default(void);
const backend *backend_by_name(const char *name);
/* Adds be (its table must outlive the process) and makes it the default for
 * contexts set up from now on; RNNLM_E_ARG when be lacks what every model
 * needs or the table is full. */
rnnlm_status backend_register(const backend *be, rnnlm_err *err);

/* The backend of c: c's, else the default. */
static inline const backend *backend_of(const backend_ctx *c) {
    return c && c->be ? c->be : backend_default();
}

/* What a configuration needs beyond what every model uses. */
typedef struct {
    int cell;      /* rnnlm_cell (RNN, LSTM, GRU); -1: none */
    int bf16;      /* bf16 products */
    int sampled;   /* the sampled softmax */
    int optimiser; /* the optimiser's update */
} backend_needs;

/* RNNLM_OK when be (NULL: the default) has every operation n needs, else
 * RNNLM_E_ARG naming the first one missing. */
rnnlm_status backend_check(const backend *be, const backend_needs *n, rnnlm_err *err);

#endif
