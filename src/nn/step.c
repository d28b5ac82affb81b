/* nn/step.c: the one-token forward pass that runs a trained model
 * (src/model/infer.c): B lanes advance by one token each. Each layer runs its
 * cell's training forward pass with T = 1 (the same ops, product for
 * product), so a step computes what training computes; then
 * logits = h_{L-1} W_out + b_out (tied: h emb^T + b_out), or with the
 * adaptive softmax the log-probabilities themselves (nn/adaptive.h). No
 * dropout. Float only: the double instance is empty. */
#include "nn/net_internal.h"

#ifndef NN_F64
void nn_weights_bind_f32(nn_weights_f32 *w, const nn_layout *lay, const float *params,
                         const nn_compute *cc) {
    w->lay = lay;
    w->cc = *cc;
    /* the view takes a non-const buffer; the step only reads through it */
    nn_params_view_f32(&w->p, lay, (float *)(uintptr_t)params);
}

/* The pieces of the workspace of one step, each 64-byte aligned. */
typedef struct {
    float *x0;   /* (B, E) embedded inputs */
    layer_acts a;   /* z (B, G*H), hs and cs (2, B, H), tc (B, H), hp (B, G*H) */
    float *ex;   /* (V) one row of exponentials */
    void *ada;   /* the adaptive head's scratch (ada_infer_bytes); else NULL */
} step_ws;

/* Lays the pieces out from ws (the one carver, net_internal.h) and returns
 * the floats they span from ws. With ws NULL nothing is carved and the
 * start is taken at its worst misalignment (one float short of a 64-byte
 * line past ws: 60 bytes), which bounds every real start. */
static size_t step_carve(const nn_layout *lay, int B, float *ws, step_ws *out) {
    const size_t BH = (size_t)B * (size_t)lay->H, BGH = BH * (size_t)lay->G;
    const size_t lead = ws ? (size_t)((64 - (uintptr_t)ws % 64) % 64) : 64 - sizeof(float);
    nn_carver cv = {ws ? (char *)ws + lead : NULL, 0, 0};
    step_ws p;
    memset(&p, 0, sizeof p);
    p.x0 = carve_take(&cv, (size_t)B, (size_t)lay->E, 1, sizeof(float));
    p.a.z = carve_take(&cv, BGH, 1, 1, sizeof(float));
    p.a.hs = carve_take(&cv, 2, BH, 1, sizeof(float));
    p.a.cs = carve_take(&cv, 2, BH, 1, sizeof(float));
    p.a.tc = carve_take(&cv, BH, 1, 1, sizeof(float));
    p.a.hp = carve_take(&cv, BGH, 1, 1, sizeof(float));
    p.ex = carve_take(&cv, (size_t)lay->V, 1, 1, sizeof(float));
    p.ada = lay->adaptive ? carve_take(&cv, ada_infer_bytes(&lay->ada, B), 1, 1, 1) : NULL;
    if (ws) *out = p;
    return (lead + cv.off) / sizeof(float);
}

size_t infer_workspace_f32(const nn_weights_f32 *w, int B) { return step_carve(w->lay, B, NULL, NULL); }

/* The embedding and the layers of one step (p carved from the caller's
 * workspace); returns the last layer's output h (B, H), in h's storage. */
static const float *step_layers(const nn_weights_f32 *w, const int32_t *x, int B, float *h,
                                float *c, step_ws *pp) {
    const nn_layout *lay = w->lay;
    const int H = lay->H, E = lay->E;
    const size_t BH = (size_t)B * H;
    const int has_c = lay->kind->has_c;
    const cell_ops *ops = cell_ops_of(lay->kind);
    step_ws p = *pp;
    const backend *be = backend_of(&w->cc);
    be->f32->gather_rows(p.x0, w->p.emb, (size_t)E, x, B, E);
    const float *X = p.x0;
    for (int l = 0; l < lay->L; l++) {
        float *hl = h + l * BH;
        be->copy(p.a.hs, hl, BH * sizeof(float));
        if (has_c) be->copy(p.a.cs, c + l * BH, BH * sizeof(float));
        ops->forward(&w->p.layer[l], &p.a, l == 0 ? E : H, X, 1, B, H, &w->cc);
        be->copy(hl, p.a.hs + BH, BH * sizeof(float));
        if (has_c) be->copy(c + l * BH, p.a.cs + BH, BH * sizeof(float));
        X = hl;
    }
    return X;
}

void infer_recur_f32(const nn_weights_f32 *w, const int32_t *x, int B, float *h, float *c, float *ws) {
    step_ws p;
    step_carve(w->lay, B, ws, &p);
    step_layers(w, x, B, h, c, &p);
}

void infer_output_f32(const nn_weights_f32 *w, const float *X, int R, float *logits, double *lse,
                      float *ex) {
    const int H = w->lay->H, E = w->lay->E, V = w->lay->V;
    if (w->lay->tied) /* logits (R, V) = X (R, H) @ emb^T (E = H, V) */
        compute_gemm(&w->cc, NN_NOTRANS, NN_TRANS, R, V, H, 1, X, H, w->p.emb, E, 0, logits, V);
    else /* logits (R, V) = X (R, H) @ W_out (H, V) */
        compute_gemm(&w->cc, NN_NOTRANS, NN_NOTRANS, R, V, H, 1, X, H, w->p.out_w, V, 0, logits, V);
    /* the output bias, and each row's log-sum-exp */
    backend_of(&w->cc)->f32->logits_lse(logits, w->p.out_b, R, V, ex, lse);
}

/* Columns of the full softmax that infer_output_target_f32 takes at once:
 * with H = 200 the tile of W_out (H, 512) and the rows' logits (128, 512)
 * are 656 KB together, so the log-sum-exp reads what the product has just
 * written from the core's L2 rather than a (128, V) block from memory.
 * With bf16 products the whole row is one tile: the CPU backend keeps one
 * packed bf16 copy per product shape, and tiles of one shape at other
 * addresses would repack it at every call (measured 11% slower). */
#define OUT_TILE 512

static int out_tile(const nn_weights_f32 *w) {
    const int V = w->lay->V;
    return w->cc.bf16 || V < OUT_TILE ? V : OUT_TILE;
}

/* log(e^a + e^b) in double */
static double log_add(double a, double b) {
    double hi = a > b ? a : b, lo = a > b ? b : a;
    return hi + log1p(exp(lo - hi));
}

/* The full softmax's lp (R) = log P(y[r]) by column tiles: each tile's
 * logits (R, nc) in scratch, each row's log-sum-exp over the tile by the
 * backend's logits_lse, added into lp[r] (log_add) across tiles; the
 * target's logit is picked up from its tile. */
static void output_target_full(const nn_weights_f32 *w, const float *X, int R, const int32_t *y, double *lp,
                               float *scratch) {
    const int H = w->lay->H, E = w->lay->E, V = w->lay->V;
    const int tile = out_tile(w);
    float *tl = scratch + (size_t)R * (size_t)tile;   /* (R) the targets' logits */
    const backend *be = backend_of(&w->cc);
    enum { CH = 64 };   /* rows per logits_lse call: its lse on the stack */
    double part[CH];
    for (int c0 = 0; c0 < V; c0 += tile) {
        const int nc = V - c0 < tile ? V - c0 : tile;
        if (w->lay->tied) /* (R, nc) = X (R, H) @ emb[c0 .. c0 + nc)^T */
            compute_gemm(&w->cc, NN_NOTRANS, NN_TRANS, R, nc, H, 1, X, H, w->p.emb + (size_t)c0 * E, E, 0,
                         scratch, nc);
        else /* (R, nc) = X (R, H) @ W_out[:, c0 .. c0 + nc) */
            compute_gemm(&w->cc, NN_NOTRANS, NN_NOTRANS, R, nc, H, 1, X, H, w->p.out_w + c0, V, 0, scratch, nc);
        for (int r0 = 0; r0 < R; r0 += CH) {
            const int n = R - r0 < CH ? R - r0 : CH;
            float *blk = scratch + (size_t)r0 * nc;
            be->f32->logits_lse(blk, w->p.out_b + c0, n, nc, NULL, part);
            for (int i = 0; i < n; i++) {
                const int r = r0 + i;
                if (y[r] >= c0 && y[r] < c0 + nc) tl[r] = blk[(size_t)i * nc + (y[r] - c0)];
                lp[r] = c0 ? log_add(lp[r], part[i]) : part[i];
            }
        }
    }
    for (int r = 0; r < R; r++) lp[r] = (double)tl[r] - lp[r];
}

size_t infer_output_scratch_f32(const nn_weights_f32 *w, int R) {
    return w->lay->adaptive ? 0 : (size_t)R * ((size_t)out_tile(w) + 1);
}

void infer_output_target_f32(const nn_weights_f32 *w, const float *X, int R, int B, const int32_t *y,
                             double *lp, float *ws, float *scratch) {
    if (!w->lay->adaptive) {
        output_target_full(w, X, R, y, lp, scratch);
        return;
    }
    step_ws p;
    step_carve(w->lay, B, ws, &p);
    for (int r = 0; r < R; r += B) {   /* the head's scratch holds B rows */
        int n = R - r < B ? R - r : B;
        ada_logprob_f32(&w->lay->ada, w->p.ada, w->p.emb, &w->cc, X + (size_t)r * (size_t)w->lay->H, n, y + r, p.ada,
                        lp + r);
    }
}

void infer_step_f32(const nn_weights_f32 *w, const int32_t *x, int B, float *h, float *c,
                    float *ws, float *logits, double *lse) {
    const nn_layout *lay = w->lay;
    step_ws p;
    step_carve(lay, B, ws, &p);
    const float *X = step_layers(w, x, B, h, c, &p);
    if (lay->adaptive) {   /* the log-probabilities through the head: lse 0 */
        ada_logprob_all_f32(&lay->ada, w->p.ada, w->p.emb, &w->cc, X, B, p.ada, logits);
        for (int b = 0; lse && b < B; b++) lse[b] = 0;
        return;
    }
    infer_output_f32(w, X, B, logits, lse, p.ex);
}

void infer_step_target_f32(const nn_weights_f32 *w, const int32_t *x, int B, float *h, float *c,
                           float *ws, const int32_t *y, double *lp) {
    step_ws p;
    step_carve(w->lay, B, ws, &p);
    const float *X = step_layers(w, x, B, h, c, &p);
    ada_logprob_f32(&w->lay->ada, w->p.ada, w->p.emb, &w->cc, X, B, y, p.ada, lp);
}
#endif
