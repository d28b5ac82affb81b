/* precision.c: `auto` precision resolved by measurement (precision.h).
 *
 * One probe holds random operands of the model's widths and runs, in one
 * precision, the products one batch of (B, T) runs, as the network runs
 * them (src/nn/softmax.c, cell.c, cell_*.c): the output layer (an adaptive
 * one as its head's classes alone) on one slice of rows per worker, the
 * workers side by side with single-threaded products; each distinct
 * layer's products over a slice of rows with the context's threads; the
 * recurrent products once. Each part's time is scaled by how often a batch
 * runs it, so the total estimates a batch's product time. With bf16 a
 * training pass also rounds the weights' mirror and gives it a new
 * generation, as every training batch does (the packed weights are
 * redone), and rounds each slice's logit gradient. */
#include "model/precision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/elapsed.h"
#include "nn/cell.h"
#include "nn/compute.h"

#define PROBE_REPS 3          /* timed samples per precision, after one untimed pass each */
#define PROBE_SAMPLE_S 0.005  /* a sample's least duration (seconds), reached by repeating passes */
#define PROBE_MAX_K 200       /* passes a sample may repeat */

static double fixed_ratio;   /* precision_fix_measurement: > 0 replaces the timing */

void precision_fix_measurement(double ratio) { fixed_ratio = ratio > 0 ? ratio : 0; }

typedef struct {
    nn_compute cc;
    int V, E, H, GH, B, T, N, train, tied, layers;
    int nt, nc, R;             /* head workers, rows of a worker's slice, rows of a layer's slice */
    double head_scale;         /* a worker's slices in a batch */
    double rows_scale;         /* N / R: a layer's slices in a batch */
    float *w;                  /* (nw) the weights: output (H, V) or tied emb (V, H), emb, w_ih0, w_ih1, w_hh */
    uint16_t *w16;             /* (nw) their bf16 mirror */
    size_t nw;
    unsigned long gen;
    float *out_w, *emb, *wih0, *wih1, *whh;
    float *Y, *lg, *gw, *dY;   /* per worker: (nc, H), (nc, V), (V, H), (nc, H) */
    uint16_t *lg16;            /* per worker (nc, V) */
    float *X, *z, *gih, *ghh, *dX, *hs;   /* a layer's slice: (R, in), (R, GH), (in, GH), (H, GH), (R, in), (R, H) */
    float *hb, *zb, *db;       /* the recurrent products' (B, H), (B, GH), (B, H) */
    float *mem;
} probe;

typedef struct {
    const probe *p;
    int w;
} head_job;

/* One worker's slice of the output layer: logits, and in training the
 * weight gradient and dY, reading the logit gradient's bf16 copy. */
static void head_slice(void *arg, int w) {
    const probe *p = ((const head_job *)arg)->p;
    nn_compute one = p->cc;
    one.threads = 1;
    const int V = p->V, H = p->H, nc = p->nc;
    float *Y = p->Y + (size_t)w * nc * H, *lg = p->lg + (size_t)w * nc * V;
    float *gw = p->gw + (size_t)w * V * H, *dY = p->dY + (size_t)w * nc * H;
    if (p->tied) compute_gemm_f32(&one, NN_NOTRANS, NN_TRANS, nc, V, H, 1, Y, H, p->emb, H, 0, lg, V);
    else compute_gemm_f32(&one, NN_NOTRANS, NN_NOTRANS, nc, V, H, 1, Y, H, p->out_w, V, 0, lg, V);
    if (!p->train) return;
    if (one.bf16) {
        uint16_t *lg16 = p->lg16 + (size_t)w * nc * V;
        backend_of(&one)->bf16_round(lg16, lg, (size_t)nc * V);
        one.mirror[1].f = lg;
        one.mirror[1].h = lg16;
        one.mirror[1].n = (size_t)nc * V;
    }
    if (p->tied) {
        compute_gemm_f32(&one, NN_TRANS, NN_NOTRANS, V, H, nc, 1, lg, V, Y, H, 1, gw, H);
        compute_gemm_f32(&one, NN_NOTRANS, NN_NOTRANS, nc, H, V, 1, lg, V, p->emb, H, 0, dY, H);
    } else {
        compute_gemm_f32(&one, NN_TRANS, NN_NOTRANS, H, V, nc, 1, Y, H, lg, V, 1, gw, V);
        compute_gemm_f32(&one, NN_NOTRANS, NN_TRANS, nc, H, V, 1, lg, V, p->out_w, V, 0, dY, H);
    }
}

/* A layer of input width in with input kernel wih: its seconds in a batch. */
static double layer_time(probe *p, int in, const float *wih) {
    const nn_compute *c = &p->cc;
    const int R = p->R, GH = p->GH, H = p->H, B = p->B;
    double t0 = elapsed_now();
    compute_gemm_f32(c, NN_NOTRANS, NN_NOTRANS, R, GH, in, 1, p->X, in, wih, GH, 0, p->z, GH);
    if (p->train) {
        compute_gemm_f32(c, NN_TRANS, NN_NOTRANS, H, GH, R, 1, p->hs, H, p->z, GH, 1, p->ghh, GH);
        compute_gemm_f32(c, NN_TRANS, NN_NOTRANS, in, GH, R, 1, p->X, in, p->z, GH, 1, p->gih, GH);
        compute_gemm_f32(c, NN_NOTRANS, NN_TRANS, R, in, GH, 1, p->z, GH, wih, GH, 0, p->dX, in);
    }
    double t1 = elapsed_now();
    compute_gemm_f32(c, NN_NOTRANS, NN_NOTRANS, B, GH, H, 1, p->hb, H, p->whh, GH, 1, p->zb, GH);
    if (p->train) compute_gemm_f32(c, NN_NOTRANS, NN_TRANS, B, H, GH, 1, p->zb, GH, p->whh, GH, 0, p->db, H);
    double t2 = elapsed_now();
    return (t1 - t0) * p->rows_scale + (t2 - t1) * p->T;
}

/* One batch's product time in precision bf16 (0 or 1), estimated. */
static double pass(probe *p, int bf16) {
    const backend *be = backend_of(&p->cc);
    p->cc.bf16 = bf16;
    p->cc.mirror[0].f = bf16 ? p->w : NULL;
    p->cc.mirror[0].h = bf16 ? p->w16 : NULL;
    p->cc.mirror[0].n = bf16 ? p->nw : 0;
    p->cc.mirror[0].gen = bf16 ? &p->gen : NULL;
    double t0 = elapsed_now();
    if (bf16 && p->train) {   /* a training batch's refresh of the weights' mirror */
        be->bf16_round(p->w16, p->w, p->nw);
        p->gen = be->generation();
    }
    double t1 = elapsed_now();
    head_job jobs[NN_MAX_THREADS];
    for (int w = 0; w < p->nt; w++) jobs[w] = (head_job){p, w};
    compute_parallel_for(&p->cc, p->nt, head_slice, jobs);
    double t2 = elapsed_now();
    double t = (t1 - t0) + (t2 - t1) * p->head_scale + layer_time(p, p->E, p->wih0);
    if (p->layers > 1) t += (p->layers - 1) * layer_time(p, p->H, p->wih1);
    return t;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The probe's operands carved from one block of random values. */
static rnnlm_status probe_init(probe *p, const model_config *cfg, int B, int T, int train, rnnlm_err *err) {
    memset(p, 0, sizeof *p);
    compute_init(&p->cc, cfg->threads);
    p->V = cfg->V, p->E = cfg->E, p->H = cfg->H, p->GH = nn_cell_of(cfg->cell)->gates * cfg->H;
    /* an adaptive head: most positions run only the head's c0 + n classes
     * (its clusters' products, at the positions whose target is in them,
     * are left out of the estimate) */
    if (cfg->adaptive && cfg->ada_n > 0 && cfg->ada_cut[0] + cfg->ada_n < cfg->V) p->V = cfg->ada_cut[0] + cfg->ada_n;
    p->B = B, p->T = T, p->N = B * T, p->train = train, p->tied = cfg->tied && cfg->E == cfg->H;
    p->layers = cfg->L;
    p->nt = p->cc.threads < 1 ? 1 : p->cc.threads > NN_MAX_THREADS ? NN_MAX_THREADS : p->cc.threads;
    if (p->nt > p->N) p->nt = p->N;
    int rows_w = (p->N + p->nt - 1) / p->nt;
    p->nc = rows_w < MODEL_DEFAULT_CHUNK ? rows_w : MODEL_DEFAULT_CHUNK;
    p->head_scale = (double)rows_w / p->nc;
    p->R = p->N < MODEL_DEFAULT_CHUNK ? p->N : MODEL_DEFAULT_CHUNK;
    p->rows_scale = (double)p->N / p->R;
    size_t V = (size_t)p->V, E = (size_t)p->E, H = (size_t)p->H, GH = (size_t)p->GH, in = E > H ? E : H;
    size_t nt = (size_t)p->nt, nc = (size_t)p->nc, R = (size_t)p->R, Bz = (size_t)B;
    p->nw = V * H + V * E + E * GH + H * GH + H * GH;
    size_t sizes[] = {p->nw, nt * nc * H, nt * nc * V, nt * V * H, nt * nc * H, R * in, R * GH, in * GH,
                      H * GH, R * in, R * H, Bz * H, Bz * GH, Bz * H};
    float **dst[] = {&p->w, &p->Y, &p->lg, &p->gw, &p->dY, &p->X, &p->z, &p->gih, &p->ghh, &p->dX, &p->hs,
                     &p->hb, &p->zb, &p->db};
    size_t total = 0, n16 = p->nw + nt * nc * V;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) total += (sizes[i] + 15) & ~(size_t)15;
    if (!(p->mem = rnnlm_calloc(total, sizeof(float), "precision probe", err)) ||
        !(p->w16 = rnnlm_calloc(n16, sizeof(uint16_t), "precision probe", err))) {
        free(p->mem);
        return RNNLM_E_NOMEM;
    }
    p->lg16 = p->w16 + p->nw;
    rnnlm_rng r;
    rnnlm_rng_seed(&r, 1);
    for (size_t i = 0; i < total; i++) p->mem[i] = 0.1f * (2.0f * rnnlm_rng_float(&r) - 1.0f);
    float *q = p->mem;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        *dst[i] = q;
        q += (sizes[i] + 15) & ~(size_t)15;
    }
    p->out_w = p->w;   /* (H, V) untied; the tied product reads emb (V, H) */
    p->emb = p->w + V * H;
    if (p->tied) p->emb = p->w;
    p->wih0 = p->w + V * H + V * E;
    p->wih1 = p->wih0 + E * GH;
    p->whh = p->wih1 + H * GH;
    backend_of(&p->cc)->bf16_round(p->w16, p->w, p->nw);
    p->gen = backend_of(&p->cc)->generation();
    return RNNLM_OK;
}

/* fp32's time over bf16's: the medians of PROBE_REPS passes each, taken in turn. */
static rnnlm_status measure(const model_config *cfg, int B, int T, int train, double *ratio, rnnlm_err *err) {
    probe p;
    rnnlm_status st = probe_init(&p, cfg, B, T, train, err);
    if (st) return st;
    double t32[PROBE_REPS], t16[PROBE_REPS];
    pass(&p, 1);   /* the primitives of both precisions created, caches warm */
    double t = pass(&p, 0);
    /* a small model's pass is too short to time alone: each sample is the
     * mean of k passes, k making it about PROBE_SAMPLE_S */
    int k = t >= PROBE_SAMPLE_S ? 1 : t * PROBE_MAX_K < PROBE_SAMPLE_S ? PROBE_MAX_K : (int)(PROBE_SAMPLE_S / t) + 1;
    for (int r = 0; r < PROBE_REPS; r++) {
        t32[r] = t16[r] = 0;
        for (int i = 0; i < k; i++) t32[r] += pass(&p, 0) / k;
        for (int i = 0; i < k; i++) t16[r] += pass(&p, 1) / k;
    }
    qsort(t32, PROBE_REPS, sizeof t32[0], cmp_double);
    qsort(t16, PROBE_REPS, sizeof t16[0], cmp_double);
    *ratio = t16[PROBE_REPS / 2] > 0 ? t32[PROBE_REPS / 2] / t16[PROBE_REPS / 2] : 1;
    free(p.mem);
    free(p.w16);
    return RNNLM_OK;
}

rnnlm_status precision_choose(const model_config *cfg, int B, int T, int train, precision_choice *out,
                              rnnlm_err *err) {
    memset(out, 0, sizeof *out);
    const backend *be = backend_default();
    if (!be->bf16_round || !be->generation) {
        snprintf(out->why, sizeof out->why, "fp32 (backend %s has no bf16 products)", be->name);
        return RNNLM_OK;
    }
    if (B < 1 || T < 1 || !nn_cell_of(cfg->cell) || cfg->V < 1 || cfg->E < 1 || cfg->H < 1 || cfg->L < 1)
        return rnnlm_fail(err, RNNLM_E_ARG, "precision auto: no model shape to measure (B=%d T=%d V=%d E=%d H=%d)",
                          B, T, cfg->V, cfg->E, cfg->H);
    double ratio = fixed_ratio, t0 = elapsed_now();
    rnnlm_status st = ratio > 0 ? RNNLM_OK : measure(cfg, B, T, train, &ratio, err);
    if (st) return st;
    char took[48] = "";
    if (!(fixed_ratio > 0)) snprintf(took, sizeof took, ", measured in %.2f s", elapsed_now() - t0);
    out->ratio = ratio;
    out->bf16 = ratio > PRECISION_MARGIN;
    snprintf(out->why, sizeof out->why, "%s (bf16 products %.2fx as fast as fp32 at this model's %s shapes%s%s)",
             out->bf16 ? "bf16" : "fp32", ratio, train ? "training" : "scoring",
             out->bf16 ? "" : "; bf16 needs 1.05x", took);
    return RNNLM_OK;
}
