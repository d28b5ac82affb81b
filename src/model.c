/* model.c: the language model of model.h: configuration checks, the flat
 * parameter buffer and its tensor list, initialisation, the carried state,
 * and the batch entry points, which run the fp32 network of nn_f32.c (the
 * double twin of nn_f64.c serves model_loss_f64).
 *
 * Size letters: V vocabulary, E embedding width, H hidden width, L layers,
 * B rows, T steps, G gates (1 RNN, 4 LSTM, 3 GRU). */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"

#define MODEL_MAX_WIDTH (1 << 24) /* bound on V, E, H before any size is computed */

struct model {
    model_config cfg;
    int G;                 /* gates per layer */
    size_t n_params;
    float *params;         /* (n_params) */
    float *grads;          /* (n_params) */
    int n_tensors;
    model_tensor tensors[3 + 3 * MODEL_MAX_LAYERS];
    int B, T;              /* reserved batch shape; 0 before model_reserve */
    int chunk;             /* softmax slice rows */
    size_t state_size;     /* L*B*H, doubled for LSTM */
    float *state;          /* (state_size) carried state: h (L, B, H) then c (L, B, H) */
    float *state_grad;     /* (state_size) gradient w.r.t. the last train batch's initial state */
    net_f32 net;           /* workspace of the fp32 network */
    /* sampled softmax bookkeeping (model_touched) */
    uint8_t *mark;         /* (V) scratch; all zero between calls */
    int32_t *touch_emb;    /* (V) embedding rows of the last sampled batch, ascending */
    int32_t *touch_cls;    /* (V) output classes of the last sampled batch, ascending */
    int n_touch_emb, n_touch_cls;
};

static const char *cell_name(cell_kind c) {
    return c == CELL_LSTM ? "LSTM" : c == CELL_GRU ? "GRU" : "RNN";
}

static const char *cell_prefix(cell_kind c) {
    return c == CELL_LSTM ? "lstm" : c == CELL_GRU ? "gru" : "rnn";
}

static void add_tensor(model *m, const char *name, int ndim, int d0, int d1) {
    model_tensor *t = &m->tensors[m->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = ndim > 1 ? d1 : 0;
    t->shape[2] = 0;
    t->count = (size_t)d0 * (size_t)(ndim > 1 ? d1 : 1);
    t->offset = m->n_params;
    m->n_params += t->count;
}

/* The tensor list, in the order nn_kernels.inc's net_bind walks it. Sizes are
 * bounded by MODEL_MAX_WIDTH and MODEL_MAX_LAYERS, so nothing overflows. */
static void layout(model *m) {
    const model_config *c = &m->cfg;
    int GH = m->G * c->H;
    char name[48];
    m->n_tensors = 0;
    m->n_params = 0;
    add_tensor(m, "embedding", 2, c->V, c->E);
    for (int l = 0; l < c->L; l++) {
        const char *p = cell_prefix(c->cell);
        snprintf(name, sizeof name, "%s.%d.kernel", p, l);
        add_tensor(m, name, 2, l == 0 ? c->E : c->H, GH);
        snprintf(name, sizeof name, "%s.%d.recurrent_kernel", p, l);
        add_tensor(m, name, 2, c->H, GH);
        snprintf(name, sizeof name, "%s.%d.bias", p, l);
        if (c->cell == CELL_GRU)
            add_tensor(m, name, 2, 2, GH);
        else
            add_tensor(m, name, 1, GH, 0);
    }
    if (!c->tied) add_tensor(m, "output.kernel", 2, c->H, c->V);
    add_tensor(m, "output.bias", 1, c->V, 0);
}

rnnlm_status model_create(model **out, const model_config *cfg, rnnlm_err *err) {
    *out = NULL;
    if (cfg->cell != CELL_RNN && cfg->cell != CELL_LSTM && cfg->cell != CELL_GRU)
        return rnnlm_fail(err, RNNLM_E_ARG, "cell kind %d: expected RNN, LSTM or GRU",
                          (int)cfg->cell);
    if (cfg->V < 1 || cfg->V > MODEL_MAX_WIDTH || cfg->E < 1 || cfg->E > MODEL_MAX_WIDTH ||
        cfg->H < 1 || cfg->H > MODEL_MAX_WIDTH / 4)
        return rnnlm_fail(err, RNNLM_E_ARG, "sizes V=%d E=%d H=%d: each must be in [1, %d]",
                          cfg->V, cfg->E, cfg->H, MODEL_MAX_WIDTH / 4);
    if (cfg->L < 1 || cfg->L > MODEL_MAX_LAYERS)
        return rnnlm_fail(err, RNNLM_E_ARG, "layers L=%d: must be in [1, %d]", cfg->L,
                          MODEL_MAX_LAYERS);
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f))
        return rnnlm_fail(err, RNNLM_E_ARG, "dropout %g: must be in [0, 1)", (double)cfg->dropout);
    if (cfg->tied && cfg->E != cfg->H)
        return rnnlm_fail(err, RNNLM_E_ARG,
                          "tied embeddings need E == H (E=%d, H=%d)", cfg->E, cfg->H);
    if (cfg->init != INIT_RECIPE && cfg->init != INIT_UNIFORM)
        return rnnlm_fail(err, RNNLM_E_ARG, "initialiser %d: expected recipe or uniform",
                          (int)cfg->init);
    model *m = rnnlm_calloc(1, sizeof *m, "model", err);
    if (!m) return err ? err->status : RNNLM_E_NOMEM;
    m->cfg = *cfg;
    m->cfg.tied = cfg->tied ? 1 : 0;
    m->G = cfg->cell == CELL_LSTM ? 4 : cfg->cell == CELL_GRU ? 3 : 1;
    m->chunk = MODEL_DEFAULT_CHUNK;
    layout(m);
    m->params = rnnlm_calloc(m->n_params, sizeof(float), "parameters", err);
    m->grads = m->params ? rnnlm_calloc(m->n_params, sizeof(float), "gradients", err) : NULL;
    if (!m->grads) {
        model_free(m);
        return err ? err->status : RNNLM_E_NOMEM;
    }
    net_bind_f32(&m->net, &m->cfg, m->tensors, m->params, m->grads);
    *out = m;
    return RNNLM_OK;
}

void model_free(model *m) {
    if (!m) return;
    net_free_f32(&m->net);
    free(m->params);
    free(m->grads);
    free(m->state);
    free(m->state_grad);
    free(m->mark);
    free(m->touch_emb);
    free(m->touch_cls);
    free(m);
}

const model_config *model_cfg(const model *m) { return &m->cfg; }
size_t model_n_params(const model *m) { return m->n_params; }
float *model_params(model *m) { return m->params; }
float *model_grads(model *m) { return m->grads; }
int model_n_tensors(const model *m) { return m->n_tensors; }
const model_tensor *model_tensor_at(const model *m, int i) {
    return i >= 0 && i < m->n_tensors ? &m->tensors[i] : NULL;
}

/* ------------------------------------------------------------ initialisers */

static void fill_uniform(float *p, size_t n, float lim, rnnlm_rng *r) {
    for (size_t i = 0; i < n; i++) p[i] = lim * (2.0f * rnnlm_rng_float(r) - 1.0f);
}

static double gaussian(rnnlm_rng *r) {
    double u1 = 1.0 - rnnlm_rng_double(r), u2 = rnnlm_rng_double(r); /* u1 in (0, 1] */
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* w (rows, cols), rows <= cols: Gaussian rows made orthonormal by modified
 * Gram-Schmidt, run twice for accuracy (dot products in double). This is
 * Keras's Orthogonal initialiser (QR of a Gaussian, signs fixed by R's
 * diagonal, transposed when rows < cols) up to the random stream. */
static void fill_orthogonal(float *w, int rows, int cols, rnnlm_rng *r) {
    for (size_t i = 0; i < (size_t)rows * cols; i++) w[i] = (float)gaussian(r);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < rows; i++) {
            float *wi = w + (size_t)i * cols;
            for (int j = 0; j < i; j++) {
                const float *wj = w + (size_t)j * cols;
                double d = 0;
                for (int k = 0; k < cols; k++) d += (double)wi[k] * wj[k];
                for (int k = 0; k < cols; k++) wi[k] -= (float)(d * wj[k]);
            }
            double nrm = 0;
            for (int k = 0; k < cols; k++) nrm += (double)wi[k] * wi[k];
            nrm = sqrt(nrm);
            for (int k = 0; k < cols; k++) wi[k] = (float)(wi[k] / (nrm > 0 ? nrm : 1.0));
        }
}

void model_init_params(model *m, uint64_t seed) {
    rnnlm_rng r;
    rnnlm_rng_seed(&r, seed);
    const model_config *c = &m->cfg;
    int H = c->H, GH = m->G * H;
    for (int i = 0; i < m->n_tensors; i++) {
        const model_tensor *t = &m->tensors[i];
        float *p = m->params + t->offset;
        if (c->init == INIT_UNIFORM) {
            fill_uniform(p, t->count, 0.1f, &r);
        } else if (strstr(t->name, ".recurrent_kernel")) {
            if (H <= GH) fill_orthogonal(p, H, GH, &r);
        } else if (strstr(t->name, ".kernel") && strcmp(t->name, "output.kernel") != 0) {
            fill_uniform(p, t->count, sqrtf(6.0f / (float)(t->shape[0] + t->shape[1])), &r);
        } else if (strstr(t->name, ".bias")) {
            memset(p, 0, t->count * sizeof *p);
            if (c->cell == CELL_LSTM && strcmp(t->name, "output.bias") != 0)
                for (int j = 0; j < H; j++) p[H + j] = 1.0f; /* unit forget bias */
        } else { /* embedding, output.kernel */
            fill_uniform(p, t->count, 1.0f, &r);
        }
    }
}

/* ------------------------------------------------------------------- state */

rnnlm_status model_reserve(model *m, int B, int T, rnnlm_err *err) {
    if (B < 1 || T < 1 || (int64_t)B * T > (1 << 24))
        return rnnlm_fail(err, RNNLM_E_ARG, "batch shape B=%d T=%d: need B, T >= 1, B*T <= %d",
                          B, T, 1 << 24);
    size_t ss = (size_t)m->cfg.L * (size_t)B * (size_t)m->cfg.H * (m->cfg.cell == CELL_LSTM ? 2 : 1);
    rnnlm_status s = net_reserve_f32(&m->net, B, T, m->chunk, err);
    if (s) {
        m->B = m->T = 0;
        return s;
    }
    if (B != m->B || !m->state) {
        float *st = rnnlm_calloc(ss, sizeof(float), "recurrent state", err);
        float *sg = st ? rnnlm_calloc(ss, sizeof(float), "state gradient", err) : NULL;
        if (!sg) {
            free(st);
            net_free_f32(&m->net);
            m->B = m->T = 0;
            return err ? err->status : RNNLM_E_NOMEM;
        }
        free(m->state);
        free(m->state_grad);
        m->state = st;
        m->state_grad = sg;
        m->state_size = ss;
    }
    m->B = B;
    m->T = T;
    return RNNLM_OK;
}

rnnlm_status model_set_softmax_chunk(model *m, int rows, rnnlm_err *err) {
    if (rows < 1) return rnnlm_fail(err, RNNLM_E_ARG, "softmax chunk %d: must be >= 1", rows);
    m->chunk = rows;
    return m->B ? model_reserve(m, m->B, m->T, err) : RNNLM_OK;
}

void model_reset_state(model *m) {
    if (m->state) memset(m->state, 0, m->state_size * sizeof *m->state);
}

float *model_state(model *m) { return m->state; }
size_t model_state_size(const model *m) { return m->state_size; }
const float *model_state_grad(const model *m) { return m->state_grad; }

void model_zero_grads(model *m) { memset(m->grads, 0, m->n_params * sizeof *m->grads); }

/* ------------------------------------------------------------------ batches */

static rnnlm_status check_batch(const model *m, const int32_t *x, const int32_t *y, int B, int T,
                                rnnlm_err *err) {
    if (!m->B) return rnnlm_fail(err, RNNLM_E_STATE, "model_reserve was not called");
    if (B != m->B || T < 1 || T > m->T)
        return rnnlm_fail(err, RNNLM_E_ARG, "batch (%d, %d) does not fit the reserved (%d, %d)",
                          B, T, m->B, m->T);
    for (size_t i = 0; i < (size_t)B * T; i++)
        if (x[i] < 0 || x[i] >= m->cfg.V || y[i] < 0 || y[i] >= m->cfg.V)
            return rnnlm_fail(err, RNNLM_E_ARG,
                              "batch row %zu step %zu: id %d -> %d outside the vocabulary [0, %d)",
                              i / (size_t)T, i % (size_t)T, (int)x[i], (int)y[i], m->cfg.V);
    return RNNLM_OK;
}

rnnlm_status model_train_batch(model *m, const int32_t *x, const int32_t *y, int B, int T,
                               rnnlm_rng *rng, batch_stats *st, rnnlm_err *err) {
    rnnlm_status s = check_batch(m, x, y, B, T, err);
    if (s) return s;
    batch_stats local = {0, 0, 0};
    size_t LBH = (size_t)m->cfg.L * B * m->cfg.H;
    float *c = m->cfg.cell == CELL_LSTM ? m->state + LBH : NULL;
    net_batch_f32(&m->net, x, y, T, m->state, c, 1, m->cfg.dropout, rng, &local);
    m->n_touch_emb = m->n_touch_cls = 0;   /* the gradient may be dense now */
    memcpy(m->state_grad, m->net.dh0, LBH * sizeof(float));
    if (c) memcpy(m->state_grad + LBH, m->net.dc0, LBH * sizeof(float));
    if (st) *st = local;
    return RNNLM_OK;
}

static rnnlm_status check_candidates(const model *m, const model_candidates *cd, uint8_t *mark,
                                     rnnlm_err *err) {
    if (!cd || !cd->ids || cd->K < 1 || cd->K > m->cfg.V || cd->tries < 0)
        return rnnlm_fail(err, RNNLM_E_ARG, "sampled softmax: %d candidates (need 1 <= K <= V = %d)",
                          cd ? cd->K : 0, m->cfg.V);
    rnnlm_status s = RNNLM_OK;
    int k = 0;
    for (; k < cd->K; k++) {
        int32_t id = cd->ids[k];
        if (id < 0 || id >= m->cfg.V || mark[id]) {
            s = rnnlm_fail(err, RNNLM_E_ARG, "sampled softmax: candidate %d (id %d) %s", k, (int)id,
                           id < 0 || id >= m->cfg.V ? "outside the vocabulary" : "repeated");
            break;
        }
        mark[id] = 1;
    }
    for (int j = 0; j < k; j++) mark[cd->ids[j]] = 0;
    return s;
}

/* The ids marked in mark (V) into out, ascending; clears the marks. */
static int collect_marked(uint8_t *mark, int V, int32_t *out) {
    int n = 0;
    for (int i = 0; i < V; i++)
        if (mark[i]) {
            out[n++] = i;
            mark[i] = 0;
        }
    return n;
}

rnnlm_status model_train_batch_sampled(model *m, const int32_t *x, const int32_t *y, int B, int T,
                                       const model_candidates *cand, rnnlm_rng *rng,
                                       batch_stats *st, rnnlm_err *err) {
    rnnlm_status s = check_batch(m, x, y, B, T, err);
    if (s) return s;
    const int V = m->cfg.V;
    if (!m->mark) {
        m->mark = rnnlm_calloc((size_t)V, 1, "sampled marks", err);
        m->touch_emb = m->mark ? rnnlm_calloc((size_t)V, sizeof(int32_t), "touched rows", err) : NULL;
        m->touch_cls = m->touch_emb ? rnnlm_calloc((size_t)V, sizeof(int32_t), "touched rows", err)
                                    : NULL;
        if (!m->touch_cls) {
            free(m->mark); free(m->touch_emb);
            m->mark = NULL; m->touch_emb = NULL;
            return err ? err->status : RNNLM_E_NOMEM;
        }
    }
    if ((s = check_candidates(m, cand, m->mark, err))) return s;
    if (m->net.kmax < cand->K && (s = net_reserve_sampled_f32(&m->net, cand->K, err))) return s;
    batch_stats local = {0, 0, 0};
    size_t LBH = (size_t)m->cfg.L * B * m->cfg.H;
    float *c = m->cfg.cell == CELL_LSTM ? m->state + LBH : NULL;
    net_batch_sampled_f32(&m->net, x, y, T, m->state, c, 1, m->cfg.dropout, rng, cand->ids,
                          cand->K, cand->tries, &local);
    memcpy(m->state_grad, m->net.dh0, LBH * sizeof(float));
    if (c) memcpy(m->state_grad + LBH, m->net.dc0, LBH * sizeof(float));
    /* what the batch touched: output classes = the union; embedding rows =
     * the inputs (and the classes when the output is the tied embedding) */
    for (int u = 0; u < m->net.n_union; u++) m->mark[m->net.uid[u]] = 1;
    m->n_touch_cls = collect_marked(m->mark, V, m->touch_cls);
    for (size_t i = 0; i < (size_t)B * T; i++) m->mark[x[i]] = 1;
    if (m->cfg.tied)
        for (int u = 0; u < m->n_touch_cls; u++) m->mark[m->touch_cls[u]] = 1;
    m->n_touch_emb = collect_marked(m->mark, V, m->touch_emb);
    if (st) *st = local;
    return RNNLM_OK;
}

void model_touched(const model *m, const int32_t **emb_rows, int *n_emb, const int32_t **classes,
                   int *n_cls) {
    *emb_rows = m->touch_emb;
    *n_emb = m->n_touch_emb;
    *classes = m->touch_cls;
    *n_cls = m->n_touch_cls;
}

void model_zero_grads_touched(model *m) {
    if (!m->n_touch_cls) {
        model_zero_grads(m);
        return;
    }
    /* tensor 0 is the embedding; the last is the output bias, preceded by
     * the output kernel unless tied; the recurrent tensors lie between */
    const model_tensor *te = &m->tensors[0], *tb = &m->tensors[m->n_tensors - 1];
    const model_tensor *tk = m->cfg.tied ? NULL : &m->tensors[m->n_tensors - 2];
    const size_t E = (size_t)m->cfg.E, V = (size_t)m->cfg.V;
    float *g = m->grads;
    for (int i = 0; i < m->n_touch_emb; i++)
        memset(g + te->offset + (size_t)m->touch_emb[i] * E, 0, E * sizeof *g);
    size_t r0 = te->offset + te->count, r1 = tk ? tk->offset : tb->offset;
    memset(g + r0, 0, (r1 - r0) * sizeof *g);
    for (int i = 0; i < m->n_touch_cls; i++) {
        size_t k = (size_t)m->touch_cls[i];
        g[tb->offset + k] = 0;
        if (tk)
            for (int h = 0; h < m->cfg.H; h++) g[tk->offset + (size_t)h * V + k] = 0;
    }
}

rnnlm_status model_eval_batch(model *m, const int32_t *x, const int32_t *y, int B, int T,
                              batch_stats *st, rnnlm_err *err) {
    rnnlm_status s = check_batch(m, x, y, B, T, err);
    if (s) return s;
    batch_stats local = {0, 0, 0};
    size_t LBH = (size_t)m->cfg.L * B * m->cfg.H;
    float *c = m->cfg.cell == CELL_LSTM ? m->state + LBH : NULL;
    net_batch_f32(&m->net, x, y, T, m->state, c, 0, 0.0f, NULL, &local);
    if (st) *st = local;
    return RNNLM_OK;
}

/* The double twin of one batch: the full softmax when cand is NULL, else
 * the sampled one (see model_loss_f64 and model_loss_sampled_f64). */
static rnnlm_status loss_f64(const model *m, const double *params, const double *state0,
                             const int32_t *x, const int32_t *y, int B, int T,
                             rnnlm_rng *dropout_rng, const model_candidates *cand, double *loss,
                             double *grads, double *state_grad, rnnlm_err *err) {
    if (B < 1 || T < 1 || (int64_t)B * T > (1 << 24))
        return rnnlm_fail(err, RNNLM_E_ARG, "batch shape B=%d T=%d", B, T);
    for (size_t i = 0; i < (size_t)B * T; i++)
        if (x[i] < 0 || x[i] >= m->cfg.V || y[i] < 0 || y[i] >= m->cfg.V)
            return rnnlm_fail(err, RNNLM_E_ARG, "id outside the vocabulary at %zu", i);
    size_t LBH = (size_t)m->cfg.L * B * m->cfg.H;
    int lstm = m->cfg.cell == CELL_LSTM;
    size_t ss = LBH * (lstm ? 2 : 1);
    double *state = rnnlm_calloc(ss, sizeof(double), "f64 state", err);
    double *scratch = grads ? NULL : rnnlm_calloc(m->n_params, sizeof(double), "f64 grads", err);
    if (!state || (!grads && !scratch)) {
        free(state);
        free(scratch);
        return err ? err->status : RNNLM_E_NOMEM;
    }
    if (state0) memcpy(state, state0, ss * sizeof *state);
    net_f64 n;
    memset(&n, 0, sizeof n);
    /* the parameters are only read; net_bind takes one non-const pointer type */
    net_bind_f64(&n, &m->cfg, m->tensors, (double *)(uintptr_t)params, grads ? grads : scratch);
    rnnlm_status s = net_reserve_f64(&n, B, T, m->chunk, err);
    if (!s && cand) {
        uint8_t *mark = rnnlm_calloc((size_t)m->cfg.V, 1, "f64 marks", err);
        s = mark ? check_candidates(m, cand, mark, err) : RNNLM_E_NOMEM;
        free(mark);
        if (!s) s = net_reserve_sampled_f64(&n, cand->K, err);
    }
    if (!s) {
        batch_stats st = {0, 0, 0};
        if (cand)
            net_batch_sampled_f64(&n, x, y, T, state, lstm ? state + LBH : NULL, grads != NULL,
                                  dropout_rng ? m->cfg.dropout : 0.0f, dropout_rng, cand->ids,
                                  cand->K, cand->tries, &st);
        else
            net_batch_f64(&n, x, y, T, state, lstm ? state + LBH : NULL, grads != NULL,
                          dropout_rng ? m->cfg.dropout : 0.0f, dropout_rng, &st);
        *loss = st.loss_sum / (double)st.count;
        if (state_grad && grads) {
            memcpy(state_grad, n.dh0, LBH * sizeof(double));
            if (lstm) memcpy(state_grad + LBH, n.dc0, LBH * sizeof(double));
        }
    }
    net_free_f64(&n);
    free(state);
    free(scratch);
    return s;
}

rnnlm_status model_loss_f64(const model *m, const double *params, const double *state0,
                            const int32_t *x, const int32_t *y, int B, int T,
                            rnnlm_rng *dropout_rng, double *loss, double *grads,
                            double *state_grad, rnnlm_err *err) {
    return loss_f64(m, params, state0, x, y, B, T, dropout_rng, NULL, loss, grads, state_grad,
                    err);
}

rnnlm_status model_loss_sampled_f64(const model *m, const double *params, const double *state0,
                                    const int32_t *x, const int32_t *y, int B, int T,
                                    const model_candidates *cand, double *loss, double *grads,
                                    double *state_grad, rnnlm_err *err) {
    if (!cand) return rnnlm_fail(err, RNNLM_E_ARG, "sampled softmax: no candidates");
    return loss_f64(m, params, state0, x, y, B, T, NULL, cand, loss, grads, state_grad, err);
}

/* ----------------------------------------------------------------- summary */

#define APPEND(...)                                                    \
    do {                                                               \
        if (len < cap) {                                               \
            int k_ = snprintf(buf + len, cap - len, __VA_ARGS__);      \
            if (k_ > 0) len += (size_t)k_;                             \
        }                                                              \
    } while (0)

static void shape_str(char *s, size_t cap, const model_tensor *t) {
    if (t->ndim == 1)
        snprintf(s, cap, "(%d,)", t->shape[0]);
    else
        snprintf(s, cap, "(%d, %d)", t->shape[0], t->shape[1]);
}

void model_summary(const model *m, char *buf, size_t cap) {
    if (!buf || cap == 0) return;
    buf[0] = '\0';
    size_t len = 0;
    const model_config *c = &m->cfg;
    char a[32], b[32], d[32];
    int k = 0;
    shape_str(a, sizeof a, &m->tensors[k++]);
    APPEND("Embedding weights %s\n", a);
    for (int l = 0; l < c->L; l++) {
        shape_str(a, sizeof a, &m->tensors[k++]);
        shape_str(b, sizeof b, &m->tensors[k++]);
        shape_str(d, sizeof d, &m->tensors[k++]);
        APPEND("Hidden (%s) layer %d: input weights %s, state-input weights %s, biases %s\n",
               cell_name(c->cell), l + 1, a, b, d);
        APPEND("Dropout %g\n", (double)c->dropout);
    }
    if (c->tied) {
        shape_str(b, sizeof b, &m->tensors[k++]);
        APPEND("Output layer weights (%d, %d) tied to the embedding (transposed), biases %s\n",
               c->H, c->V, b);
    } else {
        shape_str(a, sizeof a, &m->tensors[k++]);
        shape_str(b, sizeof b, &m->tensors[k++]);
        APPEND("Output layer weights %s, biases %s\n", a, b);
    }
    APPEND("Total parameters: %zu\n", m->n_params);
}
