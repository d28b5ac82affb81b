/* nn/params.h: the one named view of the parameters.
 *
 * All parameters live in one flat buffer; nn_layout names each tensor of it
 * (offset, shape, Keras name) once, from the sizes, and the typed views
 * (nn_params_f32, nn_params_f64) point a struct of named tensors into any
 * buffer of that layout: the parameters, their gradients, the optimiser's
 * moments. Every consumer finds a tensor through these, never by position
 * or by name.
 *
 * Shapes are the recipe's (Keras) layout: embedding (V, E); per layer
 * w_ih (in, G*H) with in = E for layer 0 and H above, w_hh (H, G*H), bias
 * (G*H) or, for kinds with two bias rows (GRU), (2, G*H) = b_ih then b_hh;
 * output weight (H, V) unless tied (then the transposed embedding serves),
 * output bias (V); with the adaptive softmax (nn/adaptive.h) its tensors
 * take the output layer's place, after the layers. Gate blocks: LSTM i, f, g, o; GRU r, z, n. */
#ifndef RNNLM_NN_PARAMS_H
#define RNNLM_NN_PARAMS_H

#include <stddef.h>
#include "rnnlm.h"
#include "nn/adaptive.h"
#include "nn/cell.h"

#define NN_MAX_LAYERS RNNLM_MAX_LAYERS   /* rnnlm.h: the one bound */

typedef struct {
    char name[48];     /* Keras name: "embedding", "lstm.0.kernel", ..., "output.bias" */
    int ndim;
    int shape[3];      /* Keras layout */
    size_t offset;     /* into the flat buffer, in elements */
    size_t count;      /* 0: absent (the output weight of a tied model) */
} nn_tensor;

typedef struct {
    nn_tensor w_ih, w_hh, bias;
} nn_layer_tensors;

typedef struct {
    cell_kind cell;
    const nn_cell *kind;   /* the registry entry of cell */
    int V, E, H, L, G, tied;
    nn_tensor emb;
    nn_layer_tensors layer[NN_MAX_LAYERS];   /* the first L */
    nn_tensor out_w;       /* count 0 when tied */
    nn_tensor out_b;
    int adaptive;          /* 1: the adaptive softmax head replaces out_w and out_b (count 0) */
    ada_layout ada;        /* its layout, offsets relative to ada_base */
    size_t ada_base;       /* where its region starts in the flat buffer */
    nn_tensor ada_t[2 + 3 * ADA_MAX_CLUSTERS];   /* its tensors, offsets into the flat buffer */
    int n_tensors;         /* tensors present: 3 L + 2, or 3 L + 3 untied, or 3 L + 3 + 3 n adaptive */
    size_t n_params;
} nn_layout;

/* Lays the tensors out in file order (embedding, per layer w_ih, w_hh, bias,
 * output weight unless tied, output bias). The caller has checked the sizes
 * (a registered cell, 1 <= L <= NN_MAX_LAYERS, widths bounded so that no
 * count overflows). */
void nn_layout_init(nn_layout *lay, cell_kind cell, int V, int E, int H, int L, int tied);

/* Replaces the output layer of an untied layout from nn_layout_init by the
 * adaptive softmax head a (same V and H). */
void nn_layout_set_adaptive(nn_layout *lay, const ada_layout *a);

/* The i-th present tensor in file order; NULL outside [0, n_tensors). */
const nn_tensor *nn_layout_tensor(const nn_layout *lay, int i);

typedef struct {
    float *w_ih;   /* (in, G*H) */
    float *w_hh;   /* (H, G*H) */
    float *b_ih;   /* (G*H) the (first) bias */
    float *b_hh;   /* (G*H) the recurrent bias; NULL for kinds with one bias row */
} nn_layer_f32;

typedef struct {
    float *emb;                          /* (V, E) */
    nn_layer_f32 layer[NN_MAX_LAYERS];   /* the first L */
    float *out_w;                        /* (H, V); NULL when tied */
    float *out_b;                        /* (V); NULL when adaptive */
    float *ada;                          /* the adaptive head's region (nn/adaptive.h); else NULL */
} nn_params_f32;

typedef struct {
    double *w_ih, *w_hh, *b_ih, *b_hh;   /* as nn_layer_f32 */
} nn_layer_f64;

typedef struct {
    double *emb;
    nn_layer_f64 layer[NN_MAX_LAYERS];
    double *out_w, *out_b;
    double *ada;
} nn_params_f64;

/* Points v's tensors into base (n_params elements in lay's layout). */
void nn_params_view_f32(nn_params_f32 *v, const nn_layout *lay, float *base);
void nn_params_view_f64(nn_params_f64 *v, const nn_layout *lay, double *base);

#endif
