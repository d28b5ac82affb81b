/* nn/step.c: the one-token forward pass that runs a trained model
 * (src/model/infer.c): B lanes advance by one token each. Each layer runs its
 * cell's training forward pass with T = 1 (the same ops, product for
 * product), so a step computes what training computes; then
 * logits = h_{L-1} W_out + b_out (tied: h emb^T + b_out). No dropout. Float
 * only: the double instance is empty. */
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
} step_ws;

/* Lays the pieces out from ws and returns the floats they span from ws:
 * one function sizes and carves, so the two cannot disagree. With ws NULL
 * nothing is carved and the start is taken at its worst misalignment (15
 * floats short of a 64-byte line), which bounds every real start. */
static size_t step_carve(const nn_layout *lay, int B, float *ws, step_ws *out) {
    size_t BH = (size_t)B * (size_t)lay->H, BGH = BH * (size_t)lay->G;
    const size_t n[7] = {(size_t)B * (size_t)lay->E, BGH, 2 * BH, 2 * BH, BH, BGH, (size_t)lay->V};
    size_t off = ws ? (size_t)((64 - (uintptr_t)ws % 64) % 64) / sizeof(float) : 15, at[7];
    for (int i = 0; i < 7; i++) {
        at[i] = off;
        off += (n[i] + 15) & ~(size_t)15;
    }
    if (ws) {
        memset(out, 0, sizeof *out);
        out->x0 = ws + at[0];
        out->a.z = ws + at[1];
        out->a.hs = ws + at[2];
        out->a.cs = ws + at[3];
        out->a.tc = ws + at[4];
        out->a.hp = ws + at[5];
        out->ex = ws + at[6];
    }
    return off;
}

size_t infer_workspace_f32(const nn_weights_f32 *w, int B) { return step_carve(w->lay, B, NULL, NULL); }

void infer_step_f32(const nn_weights_f32 *w, const int32_t *x, int B, float *h, float *c,
                    float *ws, float *logits, double *lse) {
    const nn_layout *lay = w->lay;
    const int H = lay->H, E = lay->E, V = lay->V;
    const size_t BH = (size_t)B * H;
    const int has_c = lay->kind->has_c;
    const cell_ops *ops = cell_ops_of(lay->kind);
    step_ws p;
    step_carve(lay, B, ws, &p);

    for (int b = 0; b < B; b++)
        memcpy(p.x0 + (size_t)b * E, w->p.emb + (size_t)x[b] * E, (size_t)E * sizeof(float));
    const float *X = p.x0;
    for (int l = 0; l < lay->L; l++) {
        float *hl = h + l * BH;
        memcpy(p.a.hs, hl, BH * sizeof(float));
        if (has_c) memcpy(p.a.cs, c + l * BH, BH * sizeof(float));
        ops->forward(&w->p.layer[l], &p.a, l == 0 ? E : H, X, 1, B, H, &w->cc);
        memcpy(hl, p.a.hs + BH, BH * sizeof(float));
        if (has_c) memcpy(c + l * BH, p.a.cs + BH, BH * sizeof(float));
        X = hl;
    }
    if (lay->tied) /* logits (B, V) = h (B, H) @ emb^T (E = H, V) */
        compute_gemm(&w->cc, NN_NOTRANS, NN_TRANS, B, V, H, 1, X, H, w->p.emb, E, 0, logits, V);
    else /* logits (B, V) = h (B, H) @ W_out (H, V) */
        compute_gemm(&w->cc, NN_NOTRANS, NN_NOTRANS, B, V, H, 1, X, H, w->p.out_w, V, 0, logits, V);
    for (int b = 0; b < B; b++) {
        float *row = logits + (size_t)b * V;
        float mx = vadd_max(row, w->p.out_b, (size_t)V);
        if (!lse) continue;
        memcpy(p.ex, row, (size_t)V * sizeof(float));
        double s = vexp_shift_sum(p.ex, (size_t)V, mx);
        lse[b] = (double)mx + log(s);
    }
}
#endif
