/* nn/adaptive.h: the adaptive softmax output head (Grave et al. 2017), an
 * exact factorisation of the distribution over the whole vocabulary that
 * spends less arithmetic on rare words (docs/ADAPTIVE.md).
 *
 * Vocabulary ids are ordered by frequency (data/vocab.c), so a cluster is a
 * range of ids. With cutoffs c_0 < c_1 < ... < c_{n-1} < V and c_n = V:
 *   the head: a softmax over hs = c_0 + n classes, the c_0 most frequent
 *     words and one token per tail cluster, from the full width H:
 *     logits = h W_head + b_head, W_head (H, hs);
 *   tail cluster k (1..n): the words [c_{k-1}, c_k), size s_k, from a
 *     projection of width d_k = max(1, H / div^k):
 *     logits = (h P_k) W_k + b_k, P_k (H, d_k), W_k (d_k, s_k);
 *   log p(w | h) = log p_head(w)                               w < c_0,
 *                = log p_head(c_0 + k - 1) + log p_k(w | h)    w in cluster k.
 * Each factor is a proper softmax, so the probabilities of all V words sum
 * to one for every h.
 *
 * Tied (the embedding E (V, H) is the output layer, as a tied full softmax
 * has it): a word's output vector is its embedding row, at full width, in
 * the head and in its cluster alike; the head's own parameters are the n
 * cluster tokens' vectors C (H, n) and the biases:
 *   head logits = h [E_{[0, c_0)}^T  C] + b_head,
 *   cluster k's logits = h E_{[c_{k-1}, c_k)}^T + b_k (no projection, div unused).
 * The factorisation and its exactness are the same; the embedding's rows
 * get the output side's gradient as a tied full softmax gives it (a tail
 * word's row only from the positions whose target lies in its cluster).
 *
 * The head's parameters sit in one region of the flat parameter buffer
 * (offsets relative to its start, ada_layout); the functions take the
 * region's base in the parameters and in the gradients. */
#ifndef RNNLM_NN_ADAPTIVE_H
#define RNNLM_NN_ADAPTIVE_H

#include <stddef.h>
#include <stdint.h>
#include "core/common.h"
#include "nn/compute.h"

#define ADA_MAX_CLUSTERS 8

typedef struct {
    int V, H, div;
    int tied;                             /* output vectors are the embedding's rows */
    int n;                                /* tail clusters */
    int cut[ADA_MAX_CLUSTERS + 1];        /* cut[0] head words; cluster k: [cut[k-1], cut[k]); cut[n] = V */
    int hs;                               /* head classes: cut[0] + n */
    int d[ADA_MAX_CLUSTERS + 1];          /* d[k] (k >= 1): the projection width of cluster k */
    int maxw;                             /* the widest softmax row: max(hs, s_k) */
    int maxd;                             /* the widest projection */
    size_t head_w, head_b;                /* (H, hs) (tied: C (H, n)), (hs) */
    size_t proj[ADA_MAX_CLUSTERS + 1];    /* (H, d_k) (tied: none) */
    size_t w[ADA_MAX_CLUSTERS + 1];       /* (d_k, s_k) (tied: none) */
    size_t b[ADA_MAX_CLUSTERS + 1];       /* (s_k) */
    size_t n_params;                      /* elements of the region */
} ada_layout;

/* Lays the head out for V words, width H, the n cutoffs (the head's size
 * first) and the width divisor div, tied or not. RNNLM_E_ARG naming
 * `adaptive_cutoffs` or `adaptive_div` when the cutoffs are not strictly
 * increasing within (0, V), there are none or more than ADA_MAX_CLUSTERS,
 * or div < 1. */
rnnlm_status ada_layout_init(ada_layout *a, int V, int H, const int *cutoffs, int n, int div, int tied,
                             rnnlm_err *err);

/* Parses "2000,10000" (decimal integers separated by commas) into cut (at
 * most ADA_MAX_CLUSTERS); *n their count. Ordering is ada_layout_init's
 * check; a malformed list is RNNLM_E_ARG naming `adaptive_cutoffs`. */
rnnlm_status ada_parse_cutoffs(const char *s, int *cut, int *n, rnnlm_err *err);

/* Shapes and checkpoint names of the head's tensors, i in [0,
 * ada_n_tensors(a)): "adaptive.head.kernel", "adaptive.head.bias", then per
 * cluster "adaptive.tail.K.proj", ".kernel", ".bias"; tied:
 * "adaptive.head.clusters" (H, n), "adaptive.head.bias", then per cluster
 * "adaptive.tail.K.bias". */
static inline int ada_n_tensors(const ada_layout *a) { return 2 + (a->tied ? 1 : 3) * a->n; }
void ada_tensor(const ada_layout *a, int i, char *name, size_t size, int *ndim, int shape[2],
                size_t *offset, size_t *count);

/* The training workspace of one precision: N positions, slices of chunk
 * rows (ada_reserve). */
typedef struct ada_ws_f32 ada_ws_f32;
typedef struct ada_ws_f64 ada_ws_f64;

rnnlm_status ada_reserve_f32(ada_ws_f32 **ws, const ada_layout *a, int N, int chunk,
                             const nn_compute *cc, rnnlm_err *err);
rnnlm_status ada_reserve_f64(ada_ws_f64 **ws, const ada_layout *a, int N, int chunk,
                             const nn_compute *cc, rnnlm_err *err);
void ada_free_f32(ada_ws_f32 *ws, const nn_compute *cc);
void ada_free_f64(ada_ws_f64 *ws, const nn_compute *cc);

/* Cross-entropy of Y (N, H) against tgt (N) ids in [0, V), N <= reserved:
 * adds to *loss the sum of -log p(tgt | y), to *correct the positions whose
 * head arg-max is the target (or its cluster's token, and the cluster's
 * arg-max the target: the greedy decision, not the arg-max over V), to
 * *count N. train: the gradient of inv_n times that sum ADDED into g (the
 * head's region of the gradient buffer) and written into dY (N, H).
 * emb, gemb: tied, the embedding (V, H) and its gradient (ADDED into);
 * else unused (NULL). */
void ada_head_f32(ada_ws_f32 *ws, const ada_layout *a, const float *w, float *g, const float *emb,
                  float *gemb, const nn_compute *cc, const float *Y, const int32_t *tgt, int N,
                  int train, double inv_n, double *loss, int64_t *correct, int64_t *count,
                  float *dY);
void ada_head_f64(ada_ws_f64 *ws, const ada_layout *a, const double *w, double *g, const double *emb,
                  double *gemb, const nn_compute *cc, const double *Y, const int32_t *tgt, int N,
                  int train, double inv_n, double *loss, int64_t *correct, int64_t *count,
                  double *dY);

/* The next ada_head's per-position output (NULL: none): pos (N) receives
 * the natural-log probability of each position's target, each row's
 * softmax then run alone (net_set_pos_logp). */
void ada_set_pos_logp_f32(ada_ws_f32 *ws, double *pos);
void ada_set_pos_logp_f64(ada_ws_f64 *ws, double *pos);

/* Inference over B rows h (B, H) (no training workspace needed), with
 * scratch ws of ada_infer_bytes(a, B) bytes, 64-byte aligned:
 * ada_logprob: out (B) = log p(tgt[b] | h_b), from the head and the one
 *   cluster each target needs;
 * ada_logprob_all: logp (B, V) = log p(. | h_b), the whole distribution.
 * emb: tied, the embedding (V, H); else unused (NULL). */
size_t ada_infer_bytes(const ada_layout *a, int B);
void ada_logprob_f32(const ada_layout *a, const float *w, const float *emb, const nn_compute *cc,
                     const float *h, int B, const int32_t *tgt, void *ws, double *out);
void ada_logprob_f64(const ada_layout *a, const double *w, const double *emb, const nn_compute *cc,
                     const double *h, int B, const int32_t *tgt, void *ws, double *out);
void ada_logprob_all_f32(const ada_layout *a, const float *w, const float *emb, const nn_compute *cc,
                         const float *h, int B, void *ws, float *logp);
void ada_logprob_all_f64(const ada_layout *a, const double *w, const double *emb,
                         const nn_compute *cc, const double *h, int B, void *ws, double *logp);

#endif
