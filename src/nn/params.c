/* nn/params.c: the parameter layout and its typed views (params.h). */
#include "nn/net_internal.h"

#include <stdio.h>

#ifndef NN_F64
static void put(nn_tensor *t, size_t *at, const char *name, int ndim, int d0, int d1) {
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = ndim > 1 ? d1 : 0;
    t->shape[2] = 0;
    t->count = (size_t)d0 * (size_t)(ndim > 1 ? d1 : 1);
    t->offset = *at;
    *at += t->count;
}

void nn_layout_init(nn_layout *lay, cell_kind cell, int V, int E, int H, int L, int tied) {
    memset(lay, 0, sizeof *lay);
    const nn_cell *k = nn_cell_of(cell);
    lay->cell = cell;
    lay->kind = k;
    lay->V = V;
    lay->E = E;
    lay->H = H;
    lay->L = L;
    lay->G = k->gates;
    lay->tied = tied ? 1 : 0;
    const int GH = k->gates * H;
    size_t at = 0;
    char name[48];
    put(&lay->emb, &at, "embedding", 2, V, E);
    for (int l = 0; l < L; l++) {
        nn_layer_tensors *t = &lay->layer[l];
        snprintf(name, sizeof name, "%s.%d.kernel", k->key, l);
        put(&t->w_ih, &at, name, 2, l == 0 ? E : H, GH);
        snprintf(name, sizeof name, "%s.%d.recurrent_kernel", k->key, l);
        put(&t->w_hh, &at, name, 2, H, GH);
        snprintf(name, sizeof name, "%s.%d.bias", k->key, l);
        if (k->bias_rows > 1)
            put(&t->bias, &at, name, 2, k->bias_rows, GH);
        else
            put(&t->bias, &at, name, 1, GH, 0);
    }
    if (!lay->tied) put(&lay->out_w, &at, "output.kernel", 2, H, V);
    put(&lay->out_b, &at, "output.bias", 1, V, 0);
    lay->n_tensors = 3 * L + (lay->tied ? 2 : 3);
    lay->n_params = at;
}

void nn_layout_set_adaptive(nn_layout *lay, const ada_layout *a) {
    size_t at = lay->out_w.count ? lay->out_w.offset : lay->out_b.offset;
    memset(&lay->out_w, 0, sizeof lay->out_w);
    memset(&lay->out_b, 0, sizeof lay->out_b);
    lay->adaptive = 1;
    lay->ada = *a;
    lay->ada_base = at;
    int n = ada_n_tensors(a);
    for (int i = 0; i < n; i++) {
        nn_tensor *t = &lay->ada_t[i];
        ada_tensor(a, i, t->name, sizeof t->name, &t->ndim, t->shape, &t->offset, &t->count);
        t->offset += at;
    }
    lay->n_tensors = 3 * lay->L + 1 + n;
    lay->n_params = at + a->n_params;
}

const nn_tensor *nn_layout_tensor(const nn_layout *lay, int i) {
    if (i < 0 || i >= lay->n_tensors) return NULL;
    if (i == 0) return &lay->emb;
    if (lay->adaptive && i > 3 * lay->L) return &lay->ada_t[i - 3 * lay->L - 1];
    if (i <= 3 * lay->L) {
        const nn_layer_tensors *t = &lay->layer[(i - 1) / 3];
        return (i - 1) % 3 == 0 ? &t->w_ih : (i - 1) % 3 == 1 ? &t->w_hh : &t->bias;
    }
    return i == lay->n_tensors - 1 ? &lay->out_b : &lay->out_w;
}
#endif

void NN_SFX(nn_params_view_f32, nn_params_view_f64)(nn_params *v, const nn_layout *lay,
                                                    real *base) {
    memset(v, 0, sizeof *v);
    const size_t GH = (size_t)lay->G * (size_t)lay->H;
    v->emb = base + lay->emb.offset;
    for (int l = 0; l < lay->L; l++) {
        const nn_layer_tensors *t = &lay->layer[l];
        nn_layer *w = &v->layer[l];
        w->w_ih = base + t->w_ih.offset;
        w->w_hh = base + t->w_hh.offset;
        w->b_ih = base + t->bias.offset;
        w->b_hh = lay->kind->bias_rows > 1 ? base + t->bias.offset + GH : NULL;
    }
    v->out_w = lay->tied || lay->adaptive ? NULL : base + lay->out_w.offset;
    v->out_b = lay->adaptive ? NULL : base + lay->out_b.offset;
    v->ada = lay->adaptive ? base + lay->ada_base : NULL;
}
