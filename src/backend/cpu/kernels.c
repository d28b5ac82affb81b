/* backend/cpu/kernels.c: the CPU backend's pointwise kernels (backend.h),
 * in both precisions: the cells' gate arithmetic of one step over its B
 * rows, the bias rows and their gradient, embedding and output-row gathers
 * and scatters, the softmax with cross-entropy (full and sampled), the
 * inference log-sum-exp, dropout's masks; and (float only) the optimiser's
 * update. The derivations are beside the code that calls each kernel
 * (src/nn/cell_*.c, softmax.c, sampled.c; src/train/optim.h). The loops run
 * in blocks the compiler vectorises (NN_FOR, restrict parameters) and the
 * float instance's exp, tanh and sigmoid are vmath.h's. */
#include "backend/cpu/cpu.h"

#include "backend/real.h"
#include "backend/cpu/vmath.h"

/* The bf16 copy of n values that products will read, made where they were
 * computed (backend.h's lstm_backward and softmax_xent); only the float
 * instance has bf16 products, so the double one is never given a copy. */
static inline void bf16_copy(uint16_t *dst, const real *src, size_t n) {
#ifndef NN_F64
    cpu_bf16_round(dst, src, n);
#else
    (void)dst, (void)src, (void)n;
#endif
}

/* ------------------------------------------------------------------ LSTM */

/* c = f cp + i g over one row (gates already activated) */
static inline void lstm_c(real *restrict c, const real *restrict gi, const real *restrict gf,
                          const real *restrict gg, const real *restrict cp, long H) {
    NN_FOR(j, 0, H, c[j] = gf[j] * cp[j] + gi[j] * gg[j];);
}

static void lstm_forward(real *z, const real *bias, const real *cp, real *c, real *tc, real *h, int B,
                         int H) {
    const int GH = 4 * H;
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * H;
        real *g = z + (size_t)b * GH;
        vadd(g, bias, GH);
        vsigmoid(g, g, 2 * (size_t)H);               /* i, f */
        vtanh(g + 2 * H, g + 2 * H, (size_t)H);      /* g */
        vsigmoid(g + 3 * H, g + 3 * H, (size_t)H);   /* o */
        lstm_c(c + o, g, g + H, g + 2 * H, cp + o, H);
        vtanh(tc + o, c + o, (size_t)H);
        vmul(h + o, g + 3 * H, tc + o, H);
    }
}

static inline void lstm_bwd_row(real *restrict gi, real *restrict gf, real *restrict gg,
                                real *restrict go, real *restrict dc, const real *restrict dy,
                                const real *restrict dh, const real *restrict tc,
                                const real *restrict cp, long H) {
    NN_FOR(j, 0, H,
        real i = gi[j]; real f = gf[j]; real c = gg[j]; real o = go[j];
        real dhv = dy[j] + dh[j];
        real dcv = dc[j] + dhv * o * (1 - tc[j] * tc[j]);
        gi[j] = dcv * c * i * (1 - i);
        gf[j] = dcv * cp[j] * f * (1 - f);
        gg[j] = dcv * i * (1 - c * c);
        go[j] = dhv * tc[j] * o * (1 - o);
        dc[j] = dcv * f;);
}

static void lstm_backward(real *z, real *dc, const real *dy, const real *dh, const real *tc,
                          const real *cp, int B, int H, uint16_t *z16) {
    const int GH = 4 * H;
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * H;
        real *gt = z + (size_t)b * GH;
        lstm_bwd_row(gt, gt + H, gt + 2 * H, gt + 3 * H, dc + o, dy + o, dh + o, tc + o, cp + o, H);
        if (z16) bf16_copy(z16 + (size_t)b * GH, gt, (size_t)GH);   /* while the row is in cache */
    }
}

/* ------------------------------------------------------------------- GRU */

/* candidate pre-activation of one row: n += bx_n + r q_n */
static inline void gru_n(real *restrict gn, const real *restrict bn, const real *restrict gr,
                         const real *restrict qn, long H) {
    NN_FOR(j, 0, H, gn[j] += bn[j] + gr[j] * qn[j];);
}

/* output of one row: h = (1 - u) n + u hp */
static inline void gru_h(real *restrict h, const real *restrict gu, const real *restrict gn,
                         const real *restrict hp, long H) {
    NN_FOR(j, 0, H, h[j] = (1 - gu[j]) * gn[j] + gu[j] * hp[j];);
}

static void gru_forward(real *z, const real *qt, const real *bias, const real *hp, real *h, int B,
                        int H) {
    const int GH = 3 * H;
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * H;
        real *g = z + (size_t)b * GH;
        const real *q = qt + (size_t)b * GH;
        vadd(g, bias, 2 * H);
        vadd(g, q, 2 * H);
        vsigmoid(g, g, 2 * (size_t)H);   /* r, u */
        gru_n(g + 2 * H, bias + 2 * H, g, q + 2 * H, H);
        vtanh(g + 2 * H, g + 2 * H, (size_t)H);
        gru_h(h + o, g + H, g + 2 * H, hp + o, H);
    }
}

static inline void gru_bwd_row(real *restrict gr, real *restrict gu, real *restrict gn,
                               real *restrict qr, real *restrict qu, real *restrict qn,
                               real *restrict dh, const real *restrict dy, const real *restrict hp,
                               long H) {
    NN_FOR(j, 0, H,
        real r = gr[j]; real u = gu[j]; real nv = gn[j]; real hn = qn[j];
        real dhv = dy[j] + dh[j];
        real dnp = dhv * (1 - u) * (1 - nv * nv);
        real drp = dnp * hn * r * (1 - r);
        real dup = dhv * (hp[j] - nv) * u * (1 - u);
        dh[j] = dhv * u;
        gr[j] = drp;
        qr[j] = drp;
        gu[j] = dup;
        qu[j] = dup;
        gn[j] = dnp;
        qn[j] = dnp * r;);
}

static void gru_backward(real *z, real *qt, real *dh, const real *dy, const real *hp, int B, int H) {
    const int GH = 3 * H;
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * H;
        real *gt = z + (size_t)b * GH, *q = qt + (size_t)b * GH;
        gru_bwd_row(gt, gt + H, gt + 2 * H, q, q + H, q + 2 * H, dh + o, dy + o, hp + o, H);
    }
}

/* ------------------------------------------------------------------- RNN */

static void rnn_forward(real *h, const real *z, size_t n) { vtanh(h, z, n); }

static inline void rnn_bwd_block(real *restrict dz, const real *restrict dy,
                                 const real *restrict dh, const real *restrict h, long n) {
    NN_FOR(j, 0, n, dz[j] = (dy[j] + dh[j]) * (1 - h[j] * h[j]););
}

static void rnn_backward(real *dz, const real *dy, const real *dh, const real *h, size_t n) {
    rnn_bwd_block(dz, dy, dh, h, (long)n);
}

/* ------------------------------------------------- rows, gathers, scatters */

static void bias_rows(real *rows, const real *b, size_t n, int w) { fill_rows(rows, b, n, w); }
static void bias_grad(real *g, const real *rows, size_t n, int w) { colsum_acc(g, rows, n, w); }

static void gather_rows(real *x, const real *W, size_t ld, const int32_t *ids, int N, int E) {
    for (int p = 0; p < N; p++)
        memcpy(x + (size_t)p * E, W + (size_t)ids[p] * ld, (size_t)E * sizeof(real));
}

static void scatter_rows(real *gW, size_t ld, const real *dx, const int32_t *ids, int N, int E) {
    for (int p = 0; p < N; p++) vadd(gW + (size_t)ids[p] * ld, dx + (size_t)p * E, E);
}

/* Column gathers go in blocks of 16 rows of W, so that each id's 16 values
 * land in one cache line of x. */
static void gather_cols(real *x, const real *W, size_t ld, const int32_t *ids, int U, int H) {
    for (int h0 = 0; h0 < H; h0 += 16) {
        int h1 = h0 + 16 < H ? h0 + 16 : H;
        for (int u = 0; u < U; u++) {
            const real *src = W + ids[u];
            real *dst = x + (size_t)u * H;
            for (int h = h0; h < h1; h++) dst[h] = src[(size_t)h * ld];
        }
    }
}

static void scatter_cols(real *gW, size_t ld, const real *dx, const int32_t *ids, int U, int H) {
    for (int h0 = 0; h0 < H; h0 += 16) {
        int h1 = h0 + 16 < H ? h0 + 16 : H;
        for (int u = 0; u < U; u++) {
            real *dst = gW + ids[u];
            const real *src = dx + (size_t)u * H;
            for (int h = h0; h < h1; h++) dst[(size_t)h * ld] += src[h];
        }
    }
}

/* --------------------------------------------------------------- softmax */

static void softmax_xent(real *lg, const int32_t *tgt_, const real *bout, real *gb, int V, int rows,
                         int train, double inv_n, double *loss, int64_t *correct, uint16_t *lg16) {
    double ls = 0.0;
    int64_t cor = 0;
    for (int i = 0; i < rows; i++) {
        real *row = lg + (size_t)i * V;
        int tgt = tgt_[i];
        real mx = vadd_max(row, bout, (size_t)V), xt = row[tgt];
        if (xt == mx) {
            int j = 0;
            while (row[j] != mx) j++;
            cor += j == tgt;
        }
        double s = vexp_shift_sum(row, (size_t)V, mx);
        ls += log(s) + (double)mx - (double)xt;
        if (train) {
            vscale_acc(row, gb, (size_t)V, (real)(inv_n / s));
            row[tgt] -= (real)inv_n;
            gb[tgt] -= (real)inv_n;
            /* rounded while the row is in cache rather than in a later pass over the slice */
            if (lg16) bf16_copy(lg16 + (size_t)i * V, row, (size_t)V);
        }
    }
    *loss += ls;
    *correct += cor;
}

static void sampled_xent(real *lg, const real *Y, const real *wu, const real *uoff,
                         const int32_t *col, real *gb, real *dlt, int K, int H, int i0, int i1,
                         int train, double inv_n, double *loss, int64_t *correct) {
    double ls = 0.0;
    int64_t cor = 0;
    for (int i = i0; i < i1; i++) {
        real *row = lg + (size_t)i * K;
        const int c = col[i];
        const real *yi = Y + (size_t)i * H, *wc = wu + (size_t)c * H;
        real zt = 0;
        for (int h = 0; h < H; h++) zt += yi[h] * wc[h];
        zt += uoff[c];
        real mx = vadd_max(row, uoff, (size_t)K);
        if (c < K) row[c] = -INFINITY;   /* remove the accidental hit */
        if (zt > mx) mx = zt;            /* a bound on the unmasked max is enough */
        double s = vexp_shift_sum(row, (size_t)K, mx);
        if (c < K) {                     /* fast exp clamps: e^-inf is tiny, not 0 */
            s -= (double)row[c];
            row[c] = 0;
        }
        double et = exp((double)zt - (double)mx);
        s += et;
        ls += log(s) + (double)mx - (double)zt;
        real best = 0;
        for (int j = 0; j < K; j++) best = row[j] > best ? row[j] : best;
        cor += et >= (double)best;
        if (train) {
            vscale_acc(row, gb, (size_t)K, (real)(inv_n / s));
            real d = (real)((et / s - 1.0) * inv_n);
            dlt[i] = d;
            gb[c] += d;
        }
    }
    *loss += ls;
    *correct += cor;
}

/* ex is not needed: the exponentials are summed, never stored. */
static void logits_lse(real *logits, const real *b, int B, int V, real *ex, double *lse) {
    (void)ex;
    for (int r = 0; r < B; r++) {
        real *row = logits + (size_t)r * V;
        real mx = vadd_max(row, b, (size_t)V);
        if (lse) lse[r] = (double)mx + log(vexp_shift_total(row, (size_t)V, mx));
    }
}

/* ----------------------------------------------------------- elementwise */

static void k_mul(real *y, const real *a, const real *m, size_t n) { vmul(y, a, m, (long)n); }
static void k_mul_in(real *y, const real *m, size_t n) { vmul_in(y, m, (long)n); }
static void k_fma_in(real *y, const real *a, const real *m, size_t n) { vfma_in(y, a, m, (long)n); }
static void k_add(real *y, const real *x, size_t n) { vadd(y, x, (long)n); }
static void k_axpy(real *y, real s, const real *x, size_t n) { axpy(y, s, x, (long)n); }

const NN_SFX(backend_kernels_f32, backend_kernels_f64) NN_SFX(cpu_kernels_f32, cpu_kernels_f64) = {
    .gemm = NN_SFX(cpu_gemm_f32, cpu_gemm_f64),
    .lstm_forward = lstm_forward,
    .lstm_backward = lstm_backward,
    .gru_forward = gru_forward,
    .gru_backward = gru_backward,
    .rnn_forward = rnn_forward,
    .rnn_backward = rnn_backward,
    .bias_rows = bias_rows,
    .bias_grad = bias_grad,
    .gather_rows = gather_rows,
    .scatter_rows = scatter_rows,
    .gather_cols = gather_cols,
    .scatter_cols = scatter_cols,
    .softmax_xent = softmax_xent,
    .sampled_xent = sampled_xent,
    .logits_lse = logits_lse,
    .mul = k_mul,
    .mul_in = k_mul_in,
    .fma_in = k_fma_in,
    .add = k_add,
    .axpy = k_axpy,
};

/* ------------------------------------------------------------- optimiser */

#ifndef NN_F64
/* Each kernel runs its body over n rounded down to a multiple of 16, which
 * gcc -O2 vectorises (its cheap cost model refuses loops that would need a
 * scalar epilogue), then the remaining few elements. They stay out of line:
 * inlined into their caller, gcc 12 loses the restrict facts and gives up
 * vectorising. */
#define BODY(n) ((n) & ~(size_t)15)

static inline void adam_keras_1(float *restrict w, const float *restrict g, float *restrict m,
                                float *restrict v, size_t i, float gs, float omb1, float omb2,
                                float a, float eps) {
    float gi = g[i] * gs;
    float mi = m[i] + (gi - m[i]) * omb1;
    float vi = v[i] + (gi * gi - v[i]) * omb2;
    m[i] = mi;
    v[i] = vi;
    w[i] -= (a * mi) / (sqrtf(vi) + eps);
}

__attribute__((noinline)) static void adam_keras(float *restrict w, const float *restrict g, float *restrict m,
                       float *restrict v, size_t n, float gs, float omb1, float omb2, float a,
                       float eps) {
    size_t nb = BODY(n), i;
    for (i = 0; i < nb; i++) adam_keras_1(w, g, m, v, i, gs, omb1, omb2, a, eps);
    for (; i < n; i++) adam_keras_1(w, g, m, v, i, gs, omb1, omb2, a, eps);
}

static inline void adam_torch_1(float *restrict w, const float *restrict g, float *restrict m,
                                float *restrict v, size_t i, float gs, float omb1, float omb2,
                                float step_size, float bc2_sqrt, float eps) {
    float gi = g[i] * gs;
    float mi = m[i] + (gi - m[i]) * omb1;
    float vi = v[i] + (gi * gi - v[i]) * omb2;
    m[i] = mi;
    v[i] = vi;
    w[i] -= step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
}

__attribute__((noinline)) static void adam_torch(float *restrict w, const float *restrict g, float *restrict m,
                       float *restrict v, size_t n, float gs, float omb1, float omb2,
                       float step_size, float bc2_sqrt, float eps) {
    size_t nb = BODY(n), i;
    for (i = 0; i < nb; i++) adam_torch_1(w, g, m, v, i, gs, omb1, omb2, step_size, bc2_sqrt, eps);
    for (; i < n; i++) adam_torch_1(w, g, m, v, i, gs, omb1, omb2, step_size, bc2_sqrt, eps);
}

static inline void adagrad_1(float *restrict w, const float *restrict g, float *restrict acc,
                             size_t i, float gs, float lr, float eps) {
    float gi = g[i] * gs;
    float ai = acc[i] + gi * gi;
    acc[i] = ai;
    w[i] -= lr * gi / (sqrtf(ai) + eps);
}

__attribute__((noinline)) static void adagrad(float *restrict w, const float *restrict g, float *restrict acc, size_t n,
                    float gs, float lr, float eps) {
    size_t nb = BODY(n), i;
    for (i = 0; i < nb; i++) adagrad_1(w, g, acc, i, gs, lr, eps);
    for (; i < n; i++) adagrad_1(w, g, acc, i, gs, lr, eps);
}

__attribute__((noinline)) static void sgd(float *restrict w, const float *restrict g, size_t n, float gs, float lr) {
    size_t nb = BODY(n), i;
    for (i = 0; i < nb; i++) w[i] -= lr * (g[i] * gs);
    for (; i < n; i++) w[i] -= lr * (g[i] * gs);
}

void cpu_opt_update(const backend_opt *k, float *w, const float *g, float *s1, float *s2, size_t n) {
    switch (k->kind) {
    case BACKEND_ADAM:
        if (k->eps_torch)
            adam_torch(w, g, s1, s2, n, k->gs, k->omb1, k->omb2, k->step_size, k->bc2, k->eps);
        else
            adam_keras(w, g, s1, s2, n, k->gs, k->omb1, k->omb2, k->a, k->eps);
        break;
    case BACKEND_ADAGRAD:
        adagrad(w, g, s1, n, k->gs, k->lr, k->eps);
        break;
    case BACKEND_SGD:
        sgd(w, g, n, k->gs, k->lr);
        break;
    }
}

void cpu_opt_update_cols(const backend_opt *k, float *w, const float *g, float *s1, float *s2,
                         const int32_t *idx, size_t n_idx) {
    for (size_t j = 0; j < n_idx; j++) {
        size_t i = (size_t)idx[j];
        switch (k->kind) {
        case BACKEND_ADAM:
            if (k->eps_torch)
                adam_torch_1(w, g, s1, s2, i, k->gs, k->omb1, k->omb2, k->step_size, k->bc2, k->eps);
            else
                adam_keras_1(w, g, s1, s2, i, k->gs, k->omb1, k->omb2, k->a, k->eps);
            break;
        case BACKEND_ADAGRAD:
            adagrad_1(w, g, s1, i, k->gs, k->lr, k->eps);
            break;
        case BACKEND_SGD:
            w[i] -= k->lr * (g[i] * k->gs);
            break;
        }
    }
}
#endif
