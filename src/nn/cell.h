/* nn/cell.h: the registry of recurrent cell kinds. What differs between
 * kinds is stated here once: names, gates per cell, bias rows, carried
 * state; the arithmetic is in one file per kind (cell_rnn.c, cell_lstm.c,
 * cell_gru.c), reached through the ops tables of the two precisions.
 *
 * A new kind: its file (defining nn_cell_<key> and its ops) and its line in
 * NN_CELLS, which also gives it its cell_kind value; the command line's and
 * the checkpoints' choices ("rnn|lstm|gru") are read off this registry. */
#ifndef RNNLM_NN_CELL_H
#define RNNLM_NN_CELL_H


/* The registry, in cell_kind order: X(kind, descriptor). */
#define NN_CELLS(X)             \
    X(CELL_RNN, nn_cell_rnn)    \
    X(CELL_LSTM, nn_cell_lstm)  \
    X(CELL_GRU, nn_cell_gru)

#define NN_CELL_ENUM(kind, desc) kind,
typedef enum { NN_CELLS(NN_CELL_ENUM) CELL_COUNT } cell_kind;
#undef NN_CELL_ENUM

struct cell_ops_f32;   /* forward and backward over float (net_internal.h) */
struct cell_ops_f64;   /* the same over double */

typedef struct {
    const char *name;   /* "LSTM": the summary */
    const char *key;    /* "lstm": checkpoint metadata, Keras tensor names */
    int gates;          /* G: blocks of H in a layer's pre-activations */
    int bias_rows;      /* 1: one bias (G*H); 2: an input and a recurrent bias (2, G*H) */
    int has_c;          /* carries a cell state c beside h (its own (L, B, H) block) */
    int keeps_hproj;    /* keeps h W_hh + b_hh per step for the backward pass */
    int forget_block;   /* gate block whose bias the recipe sets to 1; -1: none */
    int rounds_dz;      /* bf16 training: its backward writes layer_acts.z16 where it computes dz */
    const struct cell_ops_f32 *f32;
    const struct cell_ops_f64 *f64;
} nn_cell;

/* The descriptor of a kind; NULL outside the registry. */
const nn_cell *nn_cell_of(cell_kind kind);

/* The kind whose key is key (e.g. "gru"); -1 when none. */
int nn_cell_by_key(const char *key);

/* The keys of the registered kinds in cell_kind order, joined by '|'
 * ("rnn|lstm|gru"): the choices of an option naming a kind. */
const char *nn_cell_choices(void);

#endif
