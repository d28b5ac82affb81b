/* backend_toy_kernels.h: the toy backend's kernels of one precision, read
 * twice by backend_toy.h (R the scalar, KTYPE its kernel table's type,
 * TOY(name) the name of the instance, EXP, TANH, LOG its libm functions). Plain loops, one element
 * at a time, in the order the rules are written (src/nn/cell_*.c,
 * softmax.c, sampled.c). No include guard: it is a template. */

static void TOY(gemm)(const backend_ctx *c, nn_op ta, nn_op tb, int M, int N, int K, R alpha,
                      const R *A, int lda, const R *B, int ldb, R beta, R *C, int ldc) {
    (void)c;
    toy_calls++;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            R s = 0;
            for (int k = 0; k < K; k++)
                s += (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) *
                     (tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
            R *cij = &C[(size_t)i * ldc + j];
            *cij = alpha * s + (beta != 0 ? beta * *cij : 0);
        }
}

static R TOY(sig)(R x) { return 1 / (1 + EXP(-x)); }

static void TOY(lstm_forward)(R *z, const R *b, const R *cp, R *c, R *tc, R *h, int B, int H) {
    for (int r = 0; r < B; r++) {
        R *g = z + (size_t)r * 4 * H;
        size_t o = (size_t)r * H;
        for (int j = 0; j < 4 * H; j++) g[j] += b[j];
        for (int j = 0; j < H; j++) {
            R i = g[j] = TOY(sig)(g[j]), f = g[H + j] = TOY(sig)(g[H + j]);
            R gg = g[2 * H + j] = TANH(g[2 * H + j]), og = g[3 * H + j] = TOY(sig)(g[3 * H + j]);
            c[o + j] = f * cp[o + j] + i * gg;
            tc[o + j] = TANH(c[o + j]);
            h[o + j] = og * tc[o + j];
        }
    }
}

static void TOY(lstm_backward)(R *z, R *dc, const R *dy, const R *dh, const R *tc, const R *cp, int B,
                               int H, uint16_t *z16) {
    (void)z16;   /* no bf16 products: never set */
    for (int r = 0; r < B; r++) {
        R *g = z + (size_t)r * 4 * H;
        size_t o = (size_t)r * H;
        for (int j = 0; j < H; j++) {
            R i = g[j], f = g[H + j], gg = g[2 * H + j], og = g[3 * H + j];
            R dhv = dy[o + j] + dh[o + j];
            R dcv = dc[o + j] + dhv * og * (1 - tc[o + j] * tc[o + j]);
            g[j] = dcv * gg * i * (1 - i);
            g[H + j] = dcv * cp[o + j] * f * (1 - f);
            g[2 * H + j] = dcv * i * (1 - gg * gg);
            g[3 * H + j] = dhv * tc[o + j] * og * (1 - og);
            dc[o + j] = dcv * f;
        }
    }
}

static void TOY(gru_forward)(R *z, const R *q, const R *b, const R *hp, R *h, int B, int H) {
    for (int r = 0; r < B; r++) {
        R *g = z + (size_t)r * 3 * H;
        const R *qq = q + (size_t)r * 3 * H;
        size_t o = (size_t)r * H;
        for (int j = 0; j < 2 * H; j++) g[j] = TOY(sig)(g[j] + b[j] + qq[j]);
        for (int j = 0; j < H; j++) {
            R n = g[2 * H + j] = TANH(g[2 * H + j] + b[2 * H + j] + g[j] * qq[2 * H + j]);
            h[o + j] = (1 - g[H + j]) * n + g[H + j] * hp[o + j];
        }
    }
}

static void TOY(gru_backward)(R *z, R *q, R *dh, const R *dy, const R *hp, int B, int H) {
    for (int r = 0; r < B; r++) {
        R *g = z + (size_t)r * 3 * H, *qq = q + (size_t)r * 3 * H;
        size_t o = (size_t)r * H;
        for (int j = 0; j < H; j++) {
            R rg = g[j], u = g[H + j], n = g[2 * H + j], hn = qq[2 * H + j];
            R dhv = dy[o + j] + dh[o + j];
            R dn = dhv * (1 - u) * (1 - n * n);
            R dr = dn * hn * rg * (1 - rg);
            R du = dhv * (hp[o + j] - n) * u * (1 - u);
            dh[o + j] = dhv * u;
            g[j] = qq[j] = dr;
            g[H + j] = qq[H + j] = du;
            g[2 * H + j] = dn;
            qq[2 * H + j] = dn * rg;
        }
    }
}

static void TOY(rnn_forward)(R *h, const R *z, size_t n) {
    for (size_t i = 0; i < n; i++) h[i] = TANH(z[i]);
}

static void TOY(rnn_backward)(R *dz, const R *dy, const R *dh, const R *h, size_t n) {
    for (size_t i = 0; i < n; i++) dz[i] = (dy[i] + dh[i]) * (1 - h[i] * h[i]);
}

static void TOY(bias_rows)(R *rows, const R *b, size_t n, int w) {
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < w; j++) rows[i * w + j] = b[j];
}

static void TOY(bias_grad)(R *g, const R *rows, size_t n, int w) {
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < w; j++) g[j] += rows[i * w + j];
}

static void TOY(gather_rows)(R *x, const R *W, size_t ld, const int32_t *ids, int N, int E) {
    for (int p = 0; p < N; p++)
        for (int j = 0; j < E; j++) x[(size_t)p * E + j] = W[(size_t)ids[p] * ld + j];
}

static void TOY(scatter_rows)(R *gW, size_t ld, const R *dx, const int32_t *ids, int N, int E) {
    for (int p = 0; p < N; p++)
        for (int j = 0; j < E; j++) gW[(size_t)ids[p] * ld + j] += dx[(size_t)p * E + j];
}

static void TOY(gather_cols)(R *x, const R *W, size_t ld, const int32_t *ids, int U, int H) {
    for (int u = 0; u < U; u++)
        for (int h = 0; h < H; h++) x[(size_t)u * H + h] = W[(size_t)h * ld + ids[u]];
}

static void TOY(scatter_cols)(R *gW, size_t ld, const R *dx, const int32_t *ids, int U, int H) {
    for (int u = 0; u < U; u++)
        for (int h = 0; h < H; h++) gW[(size_t)h * ld + ids[u]] += dx[(size_t)u * H + h];
}

static void TOY(softmax_xent)(R *lg, const int32_t *tgt, const R *b, R *gb, int V, int rows, int train,
                              double inv_n, double *loss, int64_t *correct, uint16_t *lg16) {
    (void)lg16;   /* no bf16 products: never set */
    for (int i = 0; i < rows; i++) {
        R *row = lg + (size_t)i * V;
        int best = 0;
        for (int j = 0; j < V; j++) {
            row[j] += b[j];
            if (row[j] > row[best]) best = j;
        }
        R mx = row[best];
        *correct += best == tgt[i];
        double s = 0;
        for (int j = 0; j < V; j++) s += (double)EXP(row[j] - mx);
        *loss += LOG(s) + (double)mx - (double)row[tgt[i]];
        if (!train) continue;
        for (int j = 0; j < V; j++) {
            row[j] = (R)((double)EXP(row[j] - mx) / s * inv_n);
            gb[j] += row[j];
        }
        row[tgt[i]] -= (R)inv_n;
        gb[tgt[i]] -= (R)inv_n;
    }
}

static void TOY(sampled_xent)(R *lg, const R *Y, const R *wu, const R *uoff, const int32_t *col, R *gb,
                              R *dlt, int K, int H, int i0, int i1, int train, double inv_n, double *loss,
                              int64_t *correct) {
    for (int i = i0; i < i1; i++) {
        R *row = lg + (size_t)i * K;
        const int c = col[i];
        R zt = uoff[c];
        for (int h = 0; h < H; h++) zt += Y[(size_t)i * H + h] * wu[(size_t)c * H + h];
        R mx = zt;
        for (int j = 0; j < K; j++) {
            row[j] += uoff[j];
            if (j != c && row[j] > mx) mx = row[j];
        }
        double s = 0, et = (double)EXP(zt - mx);
        for (int j = 0; j < K; j++) {
            row[j] = j == c ? 0 : EXP(row[j] - mx);   /* the accidental hit: probability 0 */
            s += (double)row[j];
        }
        s += et;
        *loss += LOG(s) + (double)mx - (double)zt;
        R best = 0;
        for (int j = 0; j < K; j++) best = row[j] > best ? row[j] : best;
        *correct += et >= (double)best;
        if (!train) continue;
        for (int j = 0; j < K; j++) {
            row[j] = (R)((double)row[j] * inv_n / s);
            gb[j] += row[j];
        }
        dlt[i] = (R)((et / s - 1.0) * inv_n);
        gb[c] += dlt[i];
    }
}

static void TOY(logits_lse)(R *logits, const R *b, int B, int V, R *ex, double *lse) {
    (void)ex;
    for (int r = 0; r < B; r++) {
        R *row = logits + (size_t)r * V, mx = row[0] + b[0];
        for (int j = 0; j < V; j++) {
            row[j] += b[j];
            if (row[j] > mx) mx = row[j];
        }
        if (!lse) continue;
        double s = 0;
        for (int j = 0; j < V; j++) s += (double)EXP(row[j] - mx);
        lse[r] = (double)mx + LOG(s);
    }
}

static void TOY(mul)(R *y, const R *a, const R *m, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = a[i] * m[i];
}
static void TOY(mul_in)(R *y, const R *m, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] *= m[i];
}
static void TOY(fma_in)(R *y, const R *a, const R *m, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += a[i] * m[i];
}
static void TOY(add)(R *y, const R *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}
static void TOY(axpy)(R *y, R s, const R *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += s * x[i];
}

static const KTYPE TOY(kernels) = {
    TOY(gemm), TOY(lstm_forward), TOY(lstm_backward), TOY(gru_forward), TOY(gru_backward),
    TOY(rnn_forward), TOY(rnn_backward), TOY(bias_rows), TOY(bias_grad), TOY(gather_rows),
    TOY(scatter_rows), TOY(gather_cols), TOY(scatter_cols), TOY(softmax_xent), TOY(sampled_xent),
    TOY(logits_lse), TOY(mul), TOY(mul_in), TOY(fma_in), TOY(add), TOY(axpy),
};
