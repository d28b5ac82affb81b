/* model.c: the language model of model.h: configuration checks, the flat
 * parameter buffer and its named view (nn/params.h), initialisation, the
 * carried state, and the batch entry points, which run the fp32 network of
 * src/nn/ (its double twin serves model_loss_f64).
 *
 * Size letters: V vocabulary, E embedding width, H hidden width, L layers,
 * B rows, T steps, G gates (1 RNN, 4 LSTM, 3 GRU). */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define MODEL_MAX_WIDTH (1 << 24) /* bound on V, E, H before any size is computed */

struct model {
    model_config cfg;
    nn_layout lay;         /* the named tensors of params, grads */
    nn_compute cc;         /* thread count of the network */
    size_t n_params;
    float *params;         /* (n_params) */
    float *grads;          /* (n_params) */
    int B, T;              /* reserved batch shape; 0 before model_reserve */
    int chunk;             /* softmax slice rows */
    size_t state_size;     /* L*B*H, doubled for kinds with a cell state */
    float *state;          /* (state_size) carried state: h (L, B, H) then c (L, B, H) */
    float *state_grad;     /* (state_size) gradient w.r.t. the last train batch's initial state */
    net_f32 *net;          /* the fp32 network and its workspace */
    uint16_t *w16;         /* (n_params) bf16 mirror of params (cfg.bf16), refreshed before each batch */
    unsigned long w16_gen; /* bumped at every refresh of w16 (packed copies follow it) */
    char precision_note[192]; /* how precision `auto` was resolved ("": not asked for) */
    /* sampled softmax bookkeeping (model_touched) */
    uint8_t *mark;         /* (V) scratch; all zero between calls */
    int32_t *touch_emb;    /* (V) embedding rows of the last sampled batch, ascending */
    int32_t *touch_cls;    /* (V) output classes of the last sampled batch, ascending */
    int n_touch_emb, n_touch_cls;
};

rnnlm_status model_create(model **out, const model_config *cfg, rnnlm_err *err) {
    *out = NULL;
    if (!nn_cell_of(cfg->cell))
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
    const float rates[] = {cfg->reg.out, cfg->reg.emb, cfg->reg.word, cfg->reg.weight};
    const char *rname[] = {"output dropout", "embedding dropout", "word dropout", "weight drop"};
    for (int i = 0; i < 4; i++)
        if (!(rates[i] >= 0.0f && rates[i] < 1.0f))
            return rnnlm_fail(err, RNNLM_E_ARG, "%s %g: must be in [0, 1)", rname[i], (double)rates[i]);
    if (!(cfg->reg.ar >= 0.0f && cfg->reg.ar <= 1000.0f) || !(cfg->reg.tar >= 0.0f && cfg->reg.tar <= 1000.0f))
        return rnnlm_fail(err, RNNLM_E_ARG, "activation regularisation ar %g, tar %g: each must be in [0, 1000]",
                          (double)cfg->reg.ar, (double)cfg->reg.tar);
    if (!(cfg->weight_decay >= 0.0f && cfg->weight_decay < 1.0f))
        return rnnlm_fail(err, RNNLM_E_ARG, "weight decay %g: must be in [0, 1)",
                          (double)cfg->weight_decay);
    if (cfg->tied && cfg->E != cfg->H)
        return rnnlm_fail(err, RNNLM_E_ARG,
                          "tied embeddings need E == H (E=%d, H=%d)", cfg->E, cfg->H);
    if (cfg->init != INIT_RECIPE && cfg->init != INIT_UNIFORM)
        return rnnlm_fail(err, RNNLM_E_ARG, "initialiser %d: expected recipe or uniform",
                          (int)cfg->init);
    ada_layout ada;
    if (cfg->adaptive) {
        rnnlm_status s = ada_layout_init(&ada, cfg->V, cfg->H, cfg->ada_cut, cfg->ada_n, cfg->ada_div, cfg->tied, err);
        if (s) return s;
    }
    model *m = rnnlm_calloc(1, sizeof *m, "model", err);
    if (!m) return err ? err->status : RNNLM_E_NOMEM;
    m->cfg = *cfg;
    m->cfg.tied = cfg->tied ? 1 : 0;
    m->cfg.adaptive = cfg->adaptive ? 1 : 0;
    m->chunk = MODEL_DEFAULT_CHUNK;
    nn_layout_init(&m->lay, cfg->cell, cfg->V, cfg->E, cfg->H, cfg->L, m->cfg.tied);
    if (m->cfg.adaptive) nn_layout_set_adaptive(&m->lay, &ada);
    m->n_params = m->lay.n_params;
    compute_init(&m->cc, cfg->threads);
    m->cfg.bf16 = 0;
    backend_needs needs = {.cell = (int)cfg->cell, .bf16 = cfg->bf16 != 0};
    rnnlm_status s = backend_check(m->cc.be, &needs, err);
    if (s) {
        model_free(m);
        return s;
    }
    m->params = rnnlm_calloc(m->n_params, sizeof(float), "parameters", err);
    m->grads = m->params ? rnnlm_calloc(m->n_params, sizeof(float), "gradients", err) : NULL;
    if (!m->grads) {
        model_free(m);
        return err ? err->status : RNNLM_E_NOMEM;
    }
    s = net_create_f32(&m->net, &m->lay, m->params, m->grads, &m->cc, err);
    if (!s) net_set_reg_f32(m->net, &m->cfg.reg);
    if (!s) s = model_set_bf16(m, cfg->bf16, err);
    if (s) {
        model_free(m);
        return s;
    }
    *out = m;
    return RNNLM_OK;
}

void model_free(model *m) {
    if (!m) return;
    net_free_f32(m->net);
    free(m->params);
    free(m->grads);
    free(m->w16);
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
const nn_layout *model_layout(const model *m) { return &m->lay; }
int model_n_tensors(const model *m) { return m->lay.n_tensors; }
const model_tensor *model_tensor_at(const model *m, int i) { return nn_layout_tensor(&m->lay, i); }
const nn_compute *model_compute(const model *m) { return &m->cc; }

rnnlm_status model_set_threads(model *m, int threads, rnnlm_err *err) {
    m->cc.be->init(&m->cc, threads);   /* the same backend, and the same all-reduce hook */
    m->cfg.threads = threads;
    rnnlm_status s = model_set_bf16(m, m->cfg.bf16, err);
    if (s) return s;
    return m->B ? model_reserve(m, m->B, m->T, err) : RNNLM_OK;
}

void model_set_allreduce(model *m, rnnlm_status (*fn)(void *arg, float *g, size_t n, rnnlm_err *err),
                         void *arg) {
    m->cc.allreduce = fn;
    m->cc.allreduce_arg = arg;
    net_set_compute_f32(m->net, &m->cc);
}

/* The bf16 mirror of the weights (backend/backend.h): rounded once per batch
 * rather than in every product that reads a weight. Without memory for it
 * the products round their operands themselves (same results). */
static void bf16_refresh(model *m) {
    if (m->cfg.bf16 && m->w16) {
        m->cc.be->bf16_round(m->w16, m->params, m->n_params);
        m->w16_gen = m->cc.be->generation();
    }
}

rnnlm_status model_set_bf16(model *m, int bf16, rnnlm_err *err) {
    if (bf16 && (!m->cc.be->bf16_round || !m->cc.be->generation))
        return rnnlm_fail(err, RNNLM_E_ARG, "backend %s has no bf16 products", m->cc.be->name);
    m->cc.bf16 = m->cfg.bf16 = bf16 ? 1 : 0;
    if (bf16 && !m->w16) m->w16 = malloc(m->n_params * sizeof *m->w16);
    m->cc.mirror[0].f = bf16 && m->w16 ? m->params : NULL;
    m->cc.mirror[0].h = bf16 ? m->w16 : NULL;
    m->cc.mirror[0].n = bf16 && m->w16 ? m->n_params : 0;
    m->cc.mirror[0].gen = bf16 && m->w16 ? &m->w16_gen : NULL;
    bf16_refresh(m);
    net_set_compute_f32(m->net, &m->cc);
    return RNNLM_OK;
}

void model_compute_path(const model *m, char *buf, size_t size) {
    compute_describe(&m->cc, buf, size);
    size_t n = strlen(buf);
    if (m->precision_note[0] && n + 1 < size) snprintf(buf + n, size - n, "; precision auto: %s", m->precision_note);
}

void model_set_precision_note(model *m, const char *note) {
    snprintf(m->precision_note, sizeof m->precision_note, "%s", note ? note : "");
}

void model_weights_bind(model *m, model_weights *w) { nn_weights_bind_f32(w, &m->lay, m->params, &m->cc); }

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

/* The recipe's initialiser of one layer: Glorot-uniform w_ih, orthogonal
 * w_hh, zero bias but for the kind's forget block (unit forget bias). */
static void init_layer(float *p, const nn_layer_tensors *t, const nn_cell *kind, int H,
                       rnnlm_rng *r) {
    const int GH = kind->gates * H;
    fill_uniform(p + t->w_ih.offset, t->w_ih.count,
                 sqrtf(6.0f / (float)(t->w_ih.shape[0] + t->w_ih.shape[1])), r);
    if (H <= GH) fill_orthogonal(p + t->w_hh.offset, H, GH, r);
    float *b = p + t->bias.offset;
    memset(b, 0, t->bias.count * sizeof *b);
    if (kind->forget_block >= 0)
        for (int j = 0; j < H; j++) b[kind->forget_block * H + j] = 1.0f;
}

void model_init_params(model *m, uint64_t seed) {
    rnnlm_rng r;
    rnnlm_rng_seed(&r, seed);
    const nn_layout *lay = &m->lay;
    float *p = m->params;
    if (m->cfg.init == INIT_UNIFORM) {   /* every tensor in file order */
        for (int i = 0; i < lay->n_tensors; i++) {
            const nn_tensor *t = nn_layout_tensor(lay, i);
            fill_uniform(p + t->offset, t->count, 0.1f, &r);
        }
        return;
    }
    fill_uniform(p + lay->emb.offset, lay->emb.count, 1.0f, &r);
    for (int l = 0; l < lay->L; l++) init_layer(p, &lay->layer[l], lay->kind, lay->H, &r);
    if (!lay->tied) fill_uniform(p + lay->out_w.offset, lay->out_w.count, 1.0f, &r);
    memset(p + lay->out_b.offset, 0, lay->out_b.count * sizeof *p);
    /* the adaptive head: its kernels as the recipe's output layer (uniform
     * [-1, 1]; tied, the cluster tokens' vectors as the embedding's rows),
     * each projection uniform with variance 1 / H (it keeps the hidden
     * state's scale, so a cluster's logits start as the full layer's
     * would), zero biases */
    for (int i = 0; lay->adaptive && i < ada_n_tensors(&lay->ada); i++) {
        const nn_tensor *t = &lay->ada_t[i];
        int proj = !lay->ada.tied && i >= 2 && (i - 2) % 3 == 0;
        if (t->ndim == 2) fill_uniform(p + t->offset, t->count, proj ? sqrtf(3.0f / (float)lay->H) : 1.0f, &r);
        else memset(p + t->offset, 0, t->count * sizeof *p);
    }
}

/* ------------------------------------------------------------------- state */

rnnlm_status model_reserve(model *m, int B, int T, rnnlm_err *err) {
    if (B < 1 || T < 1 || (int64_t)B * T > (1 << 24))
        return rnnlm_fail(err, RNNLM_E_ARG, "batch shape B=%d T=%d: need B, T >= 1, B*T <= %d",
                          B, T, 1 << 24);
    size_t ss = (size_t)m->cfg.L * (size_t)B * (size_t)m->cfg.H * (m->lay.kind->has_c ? 2 : 1);
    rnnlm_status s = net_reserve_f32(m->net, B, T, m->chunk, err);
    if (s) {
        m->B = m->T = 0;
        return s;
    }
    if (B != m->B || !m->state) {
        float *st = rnnlm_calloc(ss, sizeof(float), "recurrent state", err);
        float *sg = st ? rnnlm_calloc(ss, sizeof(float), "state gradient", err) : NULL;
        if (!sg) {
            free(st);
            net_release_f32(m->net);
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

/* The network's gradient w.r.t. the batch's initial state into state_grad. */
static void copy_state_grad(model *m, int has_c, size_t LBH) {
    const float *dh0, *dc0;
    net_state_grad_f32(m->net, &dh0, &dc0);
    memcpy(m->state_grad, dh0, LBH * sizeof(float));
    if (has_c) memcpy(m->state_grad + LBH, dc0, LBH * sizeof(float));
}

rnnlm_status model_train_batch(model *m, const int32_t *x, const int32_t *y, int B, int T,
                               rnnlm_rng *rng, batch_stats *st, rnnlm_err *err) {
    rnnlm_status s = check_batch(m, x, y, B, T, err);
    if (s) return s;
    bf16_refresh(m);   /* the weights may have changed since the last batch */
    batch_stats local = {0, 0, 0};
    size_t LBH = (size_t)m->cfg.L * B * m->cfg.H;
    float *c = m->lay.kind->has_c ? m->state + LBH : NULL;
    net_batch_f32(m->net, x, y, T, m->state, c, 1, m->cfg.dropout, rng, &local);
    nn_weight_decay_f32(&m->lay, m->params, m->grads, m->cfg.weight_decay);
    m->n_touch_emb = m->n_touch_cls = 0;   /* the gradient may be dense now */
    copy_state_grad(m, c != NULL, LBH);
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
    bf16_refresh(m);   /* the weights may have changed since the last batch */
    const int V = m->cfg.V;
    if (m->cfg.adaptive)
        return rnnlm_fail(err, RNNLM_E_ARG, "the sampled softmax loss needs the full output layer, "
                          "not the adaptive softmax");
    backend_needs needs = {.cell = (int)m->cfg.cell, .sampled = 1};
    if (!m->mark && (s = backend_check(m->cc.be, &needs, err))) return s;
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
    if (net_sampled_capacity_f32(m->net) < cand->K &&
        (s = net_reserve_sampled_f32(m->net, cand->K, err)))
        return s;
    batch_stats local = {0, 0, 0};
    size_t LBH = (size_t)m->cfg.L * B * m->cfg.H;
    float *c = m->lay.kind->has_c ? m->state + LBH : NULL;
    net_batch_sampled_f32(m->net, x, y, T, m->state, c, 1, m->cfg.dropout, rng, cand->ids,
                          cand->K, cand->tries, &local);
    copy_state_grad(m, c != NULL, LBH);
    /* what the batch touched: output classes = the union; embedding rows =
     * the inputs (and the classes when the output is the tied embedding) */
    int U;
    const int32_t *uid = net_sampled_union_f32(m->net, &U);
    for (int u = 0; u < U; u++) m->mark[uid[u]] = 1;
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
    /* the recurrent tensors lie between the embedding and the output layer */
    const nn_tensor *te = &m->lay.emb, *tb = &m->lay.out_b;
    const nn_tensor *tk = m->lay.tied ? NULL : &m->lay.out_w;
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
    return model_eval_batch_logp(m, x, y, B, T, st, NULL, err);
}

rnnlm_status model_eval_batch_logp(model *m, const int32_t *x, const int32_t *y, int B, int T,
                                   batch_stats *st, double *logp, rnnlm_err *err) {
    rnnlm_status s = check_batch(m, x, y, B, T, err);
    if (s) return s;
    double *pos = NULL;   /* the net's time-major positions, when logp is asked for */
    if (logp && !(pos = rnnlm_calloc((size_t)B * (size_t)T, sizeof *pos, "log-probabilities", err)))
        return RNNLM_E_NOMEM;
    bf16_refresh(m);   /* the weights may have changed since the last batch */
    batch_stats local = {0, 0, 0};
    size_t LBH = (size_t)m->cfg.L * B * m->cfg.H;
    float *c = m->lay.kind->has_c ? m->state + LBH : NULL;
    net_set_pos_logp_f32(m->net, pos);
    net_batch_f32(m->net, x, y, T, m->state, c, 0, 0.0f, NULL, &local);
    net_set_pos_logp_f32(m->net, NULL);
    for (int b = 0; pos && b < B; b++)   /* time-major positions to the rows of x */
        for (int t = 0; t < T; t++) logp[(size_t)b * T + t] = pos[(size_t)t * B + b];
    free(pos);
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
    int lstm = m->lay.kind->has_c;
    size_t ss = LBH * (lstm ? 2 : 1);
    double *state = rnnlm_calloc(ss, sizeof(double), "f64 state", err);
    double *scratch = grads ? NULL : rnnlm_calloc(m->n_params, sizeof(double), "f64 grads", err);
    if (!state || (!grads && !scratch)) {
        free(state);
        free(scratch);
        return err ? err->status : RNNLM_E_NOMEM;
    }
    if (state0) memcpy(state, state0, ss * sizeof *state);
    net_f64 *n = NULL;
    const nn_compute one = {.threads = 1};   /* the reference runs on one thread */
    /* the parameters are only read; the view takes one non-const pointer type */
    rnnlm_status s = net_create_f64(&n, &m->lay, (double *)(uintptr_t)params,
                                    grads ? grads : scratch, &one, err);
    if (!s && dropout_rng) net_set_reg_f64(n, &m->cfg.reg);
    if (!s) s = net_reserve_f64(n, B, T, m->chunk, err);
    if (!s && cand) {
        uint8_t *mark = rnnlm_calloc((size_t)m->cfg.V, 1, "f64 marks", err);
        s = mark ? check_candidates(m, cand, mark, err) : RNNLM_E_NOMEM;
        free(mark);
        if (!s) s = net_reserve_sampled_f64(n, cand->K, err);
    }
    if (!s) {
        batch_stats st = {0, 0, 0};
        if (cand)
            net_batch_sampled_f64(n, x, y, T, state, lstm ? state + LBH : NULL, grads != NULL,
                                  dropout_rng ? m->cfg.dropout : 0.0f, dropout_rng, cand->ids,
                                  cand->K, cand->tries, &st);
        else
            net_batch_f64(n, x, y, T, state, lstm ? state + LBH : NULL, grads != NULL,
                          dropout_rng ? m->cfg.dropout : 0.0f, dropout_rng, &st);
        *loss = st.loss_sum / (double)st.count + net_penalty_f64(n);
        /* the objective training minimises: the penalties of the activation
         * regularisers and of weight decay too */
        if (!cand)
            *loss += nn_weight_decay_f64(&m->lay, params, grads ? grads : scratch,
                                         m->cfg.weight_decay);
        if (state_grad && grads) {
            const double *dh0, *dc0;
            net_state_grad_f64(n, &dh0, &dc0);
            memcpy(state_grad, dh0, LBH * sizeof(double));
            if (lstm) memcpy(state_grad + LBH, dc0, LBH * sizeof(double));
        }
    }
    net_free_f64(n);
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
    if (m->cfg.adaptive)
        return rnnlm_fail(err, RNNLM_E_ARG, "the sampled softmax loss needs the full output layer");
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
    const nn_layout *lay = &m->lay;
    char a[32], b[32], d[32];
    shape_str(a, sizeof a, &lay->emb);
    APPEND("Embedding weights %s\n", a);
    const nn_reg *r = &c->reg;
    const char *lk = r->locked ? " (locked)" : "";
    if (r->word > 0) APPEND("Word dropout %g\n", (double)r->word);
    if (r->emb > 0) APPEND("Embedding dropout %g%s\n", (double)r->emb, lk);
    for (int l = 0; l < c->L; l++) {
        shape_str(a, sizeof a, &lay->layer[l].w_ih);
        shape_str(b, sizeof b, &lay->layer[l].w_hh);
        shape_str(d, sizeof d, &lay->layer[l].bias);
        APPEND("Hidden (%s) layer %d: input weights %s, state-input weights %s, biases %s\n",
               lay->kind->name, l + 1, a, b, d);
        if (r->weight > 0) APPEND("Weight drop %g on the state-input weights\n", (double)r->weight);
        float rate = l == c->L - 1 && r->out > 0 ? r->out : c->dropout;
        APPEND("Dropout %g%s\n", (double)rate, rate > 0 ? lk : "");
    }
    if (r->ar > 0 || r->tar > 0)
        APPEND("Activation regularisation of the last layer: ar %g, tar %g\n", (double)r->ar, (double)r->tar);
    shape_str(b, sizeof b, &lay->out_b);
    if (c->adaptive && lay->ada.tied) {
        const ada_layout *a = &lay->ada;
        APPEND("Adaptive softmax tied to the embedding: head of %d words (the embedding's rows) + %d "
               "cluster%s, weights (%d, %d)\n", a->cut[0], a->n, a->n == 1 ? "" : "s", a->H, a->n);
        for (int k = 1; k <= a->n; k++)
            APPEND("Tail cluster %d: words [%d, %d), the embedding's rows at full width\n", k,
                   a->cut[k - 1], a->cut[k]);
    } else if (c->adaptive) {
        const ada_layout *a = &lay->ada;
        APPEND("Adaptive softmax: head of %d words + %d cluster%s, weights (%d, %d)\n", a->cut[0], a->n,
               a->n == 1 ? "" : "s", a->H, a->hs);
        for (int k = 1; k <= a->n; k++)
            APPEND("Tail cluster %d: words [%d, %d), projection (%d, %d), weights (%d, %d)\n", k,
                   a->cut[k - 1], a->cut[k], a->H, a->d[k], a->d[k], a->cut[k] - a->cut[k - 1]);
    } else if (c->tied) {
        APPEND("Output layer weights (%d, %d) tied to the embedding (transposed), biases %s\n",
               c->H, c->V, b);
    } else {
        shape_str(a, sizeof a, &lay->out_w);
        APPEND("Output layer weights %s, biases %s\n", a, b);
    }
    if (c->weight_decay > 0) APPEND("Weight decay %g\n", (double)c->weight_decay);
    APPEND("Total parameters: %zu\n", m->n_params);
}
