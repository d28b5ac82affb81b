/* optim.c: Adam (Keras or PyTorch epsilon), Adagrad and SGD over one flat
 * parameter buffer, and global-norm clipping (see optim.h for the rules).
 *
 * The per-element loops are the hot path (millions of floats per step): they
 * are the backend's (backend/backend.h, opt_update), one call per range;
 * every scalar coefficient is computed here once per step in double and
 * rounded to float. */
#include "train/optim.h"

#include "backend/backend.h"
#include "rnnlm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STATE_HEADER 64   /* bytes before the float slots; keeps them 64-byte aligned */

typedef struct {
    int64_t step;
    int64_t reserved[7];
} state_header;

_Static_assert(sizeof(state_header) == STATE_HEADER, "optimiser state header is 64 bytes");
_Static_assert((int)OPT_ADAM == (int)BACKEND_ADAM && (int)OPT_ADAGRAD == (int)BACKEND_ADAGRAD && (int)OPT_SGD == (int)BACKEND_SGD,
               "the backend's optimiser kinds are opt_kind's");

struct optim {
    opt_config cfg;
    const backend *be;  /* whose kernel runs the update */
    size_t n;           /* parameters */
    size_t n_slots;     /* k * n floats */
    size_t bytes;       /* STATE_HEADER + 4 * n_slots */
    unsigned char *state;   /* (bytes), 64-byte aligned */
};

opt_config opt_config_default(opt_kind kind) {
    opt_config c = {
        .kind = kind, .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f,
        .eps_torch = 0, .adagrad_init = 0.1f, .clip = 5.0f,
    };
    if (kind != OPT_ADAM) c.lr = 0.1f;
    return c;
}

const char *opt_kind_name(opt_kind kind) {
    switch (kind) {
    case OPT_ADAM: return "adam";
    case OPT_ADAGRAD: return "adagrad";
    case OPT_SGD: return "sgd";
    }
    return NULL;
}

void optim_set_lr(optim *o, float lr) { o->cfg.lr = lr; }
float optim_lr(const optim *o) { return o->cfg.lr; }

static int slots_per_param(opt_kind kind) {
    return kind == OPT_ADAM ? 2 : kind == OPT_ADAGRAD ? 1 : 0;
}

static rnnlm_status check_config(const opt_config *c, rnnlm_err *err) {
    if (!opt_kind_name(c->kind))
        return rnnlm_fail(err, RNNLM_E_ARG, "optimiser: unknown kind %d", (int)c->kind);
    if (!(isfinite(c->lr) && c->lr > 0))
        return rnnlm_fail(err, RNNLM_E_ARG, "optimiser: learning rate %g must be > 0", c->lr);
    if (isnan(c->clip))
        return rnnlm_fail(err, RNNLM_E_ARG, "optimiser: clip is NaN");
    if (c->kind == OPT_ADAM) {
        if (!(c->beta1 >= 0 && c->beta1 < 1))
            return rnnlm_fail(err, RNNLM_E_ARG, "adam: beta1 %g must be in [0, 1)", c->beta1);
        if (!(c->beta2 >= 0 && c->beta2 < 1))
            return rnnlm_fail(err, RNNLM_E_ARG, "adam: beta2 %g must be in [0, 1)", c->beta2);
        /* eps 0 would divide 0 by 0 for a parameter whose gradient is 0 */
        if (!(isfinite(c->eps) && c->eps > 0))
            return rnnlm_fail(err, RNNLM_E_ARG, "adam: epsilon %g must be > 0", c->eps);
    } else if (c->kind == OPT_ADAGRAD) {
        if (!(isfinite(c->eps) && c->eps >= 0))
            return rnnlm_fail(err, RNNLM_E_ARG, "adagrad: epsilon %g must be >= 0", c->eps);
        if (!(isfinite(c->adagrad_init) && c->adagrad_init >= 0))
            return rnnlm_fail(err, RNNLM_E_ARG, "adagrad: initial accumulator %g must be >= 0",
                              c->adagrad_init);
        if (c->eps == 0 && c->adagrad_init == 0)
            return rnnlm_fail(err, RNNLM_E_ARG,
                              "adagrad: epsilon and initial accumulator cannot both be 0");
    }
    return RNNLM_OK;
}

static state_header *header(const optim *o) { return (state_header *)(void *)o->state; }

rnnlm_status optim_create(optim **out, const opt_config *cfg, size_t n_params, rnnlm_err *err) {
    *out = NULL;
    rnnlm_status s = check_config(cfg, err);
    if (s) return s;
    const backend_needs needs = {.cell = -1, .optimiser = 1};
    if ((s = backend_check(NULL, &needs, err))) return s;
    size_t n_slots, bytes;
    if (!size_mul(n_params, (size_t)slots_per_param(cfg->kind), &n_slots) ||
        !size_mul(n_slots, sizeof(float), &bytes) || !size_add(bytes, STATE_HEADER, &bytes) ||
        bytes > SIZE_MAX - 63)
        return rnnlm_fail(err, RNNLM_E_NOMEM, "optimiser state for %zu parameters overflows",
                          n_params);
    optim *o = rnnlm_calloc(1, sizeof *o, "optimiser", err);
    if (!o) return RNNLM_E_NOMEM;
    /* aligned_alloc wants a multiple of the alignment */
    o->state = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (!o->state) {
        free(o);
        return rnnlm_fail(err, RNNLM_E_NOMEM, "optimiser state: cannot allocate %zu bytes", bytes);
    }
    o->cfg = *cfg;
    o->be = backend_default();
    o->n = n_params;
    o->n_slots = n_slots;
    o->bytes = bytes;
    optim_reset(o);
    *out = o;
    return RNNLM_OK;
}

void optim_free(optim *o) {
    if (!o) return;
    free(o->state);
    free(o);
}


void optim_reset(optim *o) {
    memset(o->state, 0, STATE_HEADER);
    float *acc = optim_slots(o);
    if (o->cfg.kind == OPT_ADAGRAD) {
        const float init = o->cfg.adagrad_init;
        for (size_t i = 0; i < o->n_slots; i++) acc[i] = init;
    } else if (o->n_slots) {
        memset(acc, 0, o->n_slots * sizeof(float));
    }
}

const void *optim_state(const optim *o) { return o->state; }
size_t optim_state_bytes(const optim *o) { return o->bytes; }
int64_t optim_step_count(const optim *o) { return header(o)->step; }
float *optim_slots(optim *o) { return (float *)(void *)(o->state + STATE_HEADER); }
size_t optim_n_slots(const optim *o) { return o->n_slots; }

rnnlm_status optim_state_load(optim *o, const void *state, size_t bytes, rnnlm_err *err) {
    if (bytes != o->bytes)
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s state is %zu bytes, expected %zu for %zu parameters (another "
                          "optimiser or model size?)",
                          opt_kind_name(o->cfg.kind), bytes, o->bytes, o->n);
    state_header h;
    memcpy(&h, state, sizeof h);
    if (h.step < 0)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "optimiser state: negative step count %lld",
                          (long long)h.step);
    memcpy(o->state, state, bytes);
    return RNNLM_OK;
}

static double sum_squares(const float *restrict g, size_t n);

double grad_global_norm(const float *restrict g, size_t n) { return sqrt(sum_squares(g, n)); }

static double sum_squares(const float *restrict g, size_t n) {
    /* eight independent double sums: the compiler vectorises them (a single
     * running sum would be a serial chain), and double keeps the order of
     * summation from mattering at float precision */
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += (double)g[i + j] * (double)g[i + j];
    for (; i < n; i++) acc[0] += (double)g[i] * (double)g[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

void grad_scale(float *restrict g, size_t n, float s) {
    size_t nb = n & ~(size_t)15, i;
    for (i = 0; i < nb; i++) g[i] *= s;
    for (; i < n; i++) g[i] *= s;
}

float grad_clip_factor(double norm, float clip) {
    if (!(clip > 0) || !(norm > clip)) return 1.0f;
    return (float)((double)clip / norm);
}

/* The scalar coefficients of one step t, computed once in double. */
static backend_opt coefficients(const opt_config *c, int64_t t, float gscale) {
    backend_opt k = {.kind = (int)c->kind, .eps_torch = c->eps_torch, .gs = gscale,
                     .omb1 = 1.0f - c->beta1, .omb2 = 1.0f - c->beta2, .lr = c->lr, .eps = c->eps};
    if (c->kind == OPT_ADAM) {
        double b1t = pow((double)c->beta1, (double)t), b2t = pow((double)c->beta2, (double)t);
        k.a = (float)((double)c->lr * sqrt(1.0 - b2t) / (1.0 - b1t));
        k.step_size = (float)((double)c->lr / (1.0 - b1t));
        k.bc2 = (float)sqrt(1.0 - b2t);
    }
    return k;
}

/* The update of the contiguous range [i0, i0 + n) of the buffers (the
 * backend's kernel: one pass, vectorised). */
static void update_range(optim *o, float *params, const float *grads, size_t i0, size_t n,
                         const backend_opt *k) {
    float *slots = optim_slots(o);
    o->be->opt_update(k, params + i0, grads + i0, slots + i0, slots + o->n + i0, n);
}

/* The same rule for the listed elements idx (n_idx) of the row starting at
 * element row (the columns of a sparse part). */
static void update_cols(optim *o, float *params, const float *grads, size_t row, const int32_t *idx,
                        size_t n_idx, const backend_opt *k) {
    float *slots = optim_slots(o);
    o->be->opt_update_cols(k, params + row, grads + row, slots + row, slots + o->n + row, idx, n_idx);
}

void optim_step_scaled(optim *o, float *params, const float *grads, float gscale) {
    int64_t t = ++header(o)->step;
    backend_opt k = coefficients(&o->cfg, t, gscale);
    update_range(o, params, grads, 0, o->n, &k);
}

void optim_step(optim *o, float *params, const float *grads) {
    optim_step_scaled(o, params, grads, 1.0f);
}

rnnlm_status optim_clip_step(optim *o, float *params, const float *grads, double *norm,
                             rnnlm_err *err) {
    double n = grad_global_norm(grads, o->n);
    if (norm) *norm = n;
    if (!isfinite(n))
        return rnnlm_fail(err, RNNLM_E_NUMERIC,
                          "gradient global norm is %g: step %lld skipped, weights unchanged", n,
                          (long long)(header(o)->step + 1));
    optim_step_scaled(o, params, grads, grad_clip_factor(n, o->cfg.clip));
    return RNNLM_OK;
}

/* ------------------------------------------------------------ sparse steps */

static rnnlm_status check_parts(const optim *o, const opt_sparse_part *p, int n_parts,
                                rnnlm_err *err) {
    size_t end = 0;
    for (int i = 0; i < n_parts; i++) {
        size_t count;
        if (!size_mul(p[i].rows, p[i].cols, &count) || p[i].offset < end ||
            count > o->n - p[i].offset || p[i].offset > o->n || (p[i].n_idx && !p[i].idx))
            return rnnlm_fail(err, RNNLM_E_ARG,
                              "sparse step: part %d (offset %zu, %zu x %zu) overlaps another or "
                              "leaves the %zu parameters", i, p[i].offset, p[i].rows, p[i].cols, o->n);
        size_t lim = p[i].by_col ? p[i].cols : p[i].rows;
        for (size_t j = 0; j < p[i].n_idx; j++)
            if (p[i].idx[j] < 0 || (size_t)p[i].idx[j] >= lim)
                return rnnlm_fail(err, RNNLM_E_ARG, "sparse step: part %d index %d outside [0, %zu)",
                                  i, (int)p[i].idx[j], lim);
        end = p[i].offset + count;
    }
    return RNNLM_OK;
}

rnnlm_status optim_clip_step_sparse(optim *o, float *params, const float *grads,
                                    const opt_sparse_part *parts, int n_parts, double *norm,
                                    rnnlm_err *err) {
    rnnlm_status s = check_parts(o, parts, n_parts, err);
    if (s) return s;
    /* the squared norm: dense ranges between the parts, then the listed rows */
    double ss = 0;
    size_t at = 0;
    for (int i = 0; i <= n_parts; i++) {
        size_t next = i < n_parts ? parts[i].offset : o->n;
        ss += sum_squares(grads + at, next - at);
        if (i == n_parts) break;
        const opt_sparse_part *p = &parts[i];
        const float *g = grads + p->offset;
        for (size_t j = 0; j < p->n_idx; j++) {
            size_t r = (size_t)p->idx[j];
            if (!p->by_col)
                ss += sum_squares(g + r * p->cols, p->cols);
            else
                for (size_t q = 0; q < p->rows; q++) ss += (double)g[q * p->cols + r] * g[q * p->cols + r];
        }
        at = p->offset + p->rows * p->cols;
    }
    double n = sqrt(ss);
    if (norm) *norm = n;
    if (!isfinite(n))
        return rnnlm_fail(err, RNNLM_E_NUMERIC,
                          "gradient global norm is %g: step %lld skipped, weights unchanged", n,
                          (long long)(header(o)->step + 1));
    float gs = grad_clip_factor(n, o->cfg.clip);
    if (o->cfg.kind == OPT_ADAM && o->cfg.dense_adam) {
        optim_step_scaled(o, params, grads, gs);
        return RNNLM_OK;
    }
    int64_t t = ++header(o)->step;
    backend_opt k = coefficients(&o->cfg, t, gs);
    at = 0;
    for (int i = 0; i <= n_parts; i++) {
        size_t next = i < n_parts ? parts[i].offset : o->n;
        if (next > at) update_range(o, params, grads, at, next - at, &k);
        if (i == n_parts) break;
        const opt_sparse_part *p = &parts[i];
        if (!p->by_col) {
            for (size_t j = 0; j < p->n_idx; j++)
                update_range(o, params, grads, p->offset + (size_t)p->idx[j] * p->cols, p->cols, &k);
        } else {
            for (size_t q = 0; q < p->rows; q++)
                update_cols(o, params, grads, p->offset + q * p->cols, p->idx, p->n_idx, &k);
        }
        at = p->offset + p->rows * p->cols;
    }
    return RNNLM_OK;
}
