/* embeddings.h: what the recipe's helpers do with word embeddings: export them
 * for TensorBoard's Embedding Projector and find nearest words by cosine. */
#ifndef RNNLM_EMBEDDINGS_H
#define RNNLM_EMBEDDINGS_H

#include "core/common.h"

/* Writes dir/vectors.tsv (V lines of E tab-separated values) and
 * dir/metadata.tsv (a "word<TAB>count" header, as the projector needs for two
 * columns, then V lines in the same order), each atomically. emb: (V, E). */
rnnlm_status embeddings_export(const char *dir, const float *emb, int V, int E, const rnnlm_vocab *v,
                               rnnlm_err *err);

/* The k ids most similar to id by cosine similarity (id itself excluded),
 * most similar first: ids (k), sims (k). Returns how many were written
 * (fewer when V - 1 < k). emb: (V, E). */
int embeddings_neighbors(const float *emb, int V, int E, int32_t id, int k, int32_t *ids, float *sims);

#endif
