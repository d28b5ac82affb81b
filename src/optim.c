/* optim.c: Adam (Keras or PyTorch epsilon), Adagrad and SGD over one flat
 * parameter buffer, and global-norm clipping (see optim.h for the rules).
 *
 * The per-element loops are the hot path (millions of floats per step): each
 * is one pass with restrict pointers and no branches, so the compiler turns
 * it into SIMD code; every scalar coefficient is computed once per step in
 * double and rounded to float. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STATE_HEADER 64   /* bytes before the float slots; keeps them 64-byte aligned */

typedef struct {
    int64_t step;
    int64_t reserved[7];
} state_header;

_Static_assert(sizeof(state_header) == STATE_HEADER, "optimiser state header is 64 bytes");

struct optim {
    opt_config cfg;
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

const opt_config *optim_cfg(const optim *o) { return &o->cfg; }
size_t optim_n_params(const optim *o) { return o->n; }

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

double grad_global_norm(const float *restrict g, size_t n) {
    /* eight independent double sums: the compiler vectorises them (a single
     * running sum would be a serial chain), and double keeps the order of
     * summation from mattering at float precision */
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += (double)g[i + j] * (double)g[i + j];
    for (; i < n; i++) acc[0] += (double)g[i] * (double)g[i];
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    return sqrt(s);
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

/* Each kernel runs its body over n rounded down to a multiple of 16, which
 * gcc -O2 vectorises (its cheap cost model refuses loops that would need a
 * scalar epilogue), then the remaining few elements. They stay out of line:
 * inlined into optim_step_scaled, gcc 12 loses the restrict facts and gives
 * up vectorising. */
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

void optim_step_scaled(optim *o, float *params, const float *grads, float gscale) {
    const opt_config *c = &o->cfg;
    int64_t t = ++header(o)->step;
    float *slots = optim_slots(o);
    switch (c->kind) {
    case OPT_ADAM: {
        double b1t = pow((double)c->beta1, (double)t), b2t = pow((double)c->beta2, (double)t);
        float omb1 = 1.0f - c->beta1, omb2 = 1.0f - c->beta2;
        if (c->eps_torch) {
            adam_torch(params, grads, slots, slots + o->n, o->n, gscale, omb1, omb2,
                       (float)((double)c->lr / (1.0 - b1t)), (float)sqrt(1.0 - b2t), c->eps);
        } else {
            float a = (float)((double)c->lr * sqrt(1.0 - b2t) / (1.0 - b1t));
            adam_keras(params, grads, slots, slots + o->n, o->n, gscale, omb1, omb2, a, c->eps);
        }
        break;
    }
    case OPT_ADAGRAD:
        adagrad(params, grads, slots, o->n, gscale, c->lr, c->eps);
        break;
    case OPT_SGD:
        sgd(params, grads, o->n, gscale, c->lr);
        break;
    }
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
