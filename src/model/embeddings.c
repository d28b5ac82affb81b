/* embeddings.c: projector export and cosine neighbours (see embeddings.h). */
#include "model/embeddings.h"
#include "core/atomic_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rnnlm_status embeddings_export(const char *dir, const float *emb, int V, int E, const rnnlm_vocab *v,
                               rnnlm_err *err) {
    if ((size_t)V != rnnlm_vocab_size(v))
        return rnnlm_fail(err, RNNLM_E_ARG, "embeddings: %d rows but %zu vocabulary words", V, rnnlm_vocab_size(v));
    char path[4096];
    rnnlm_atomic_file af;
    rnnlm_status st;
    snprintf(path, sizeof path, "%s/vectors.tsv", dir);
    if ((st = rnnlm_atomic_open(&af, path, err))) return st;
    for (int i = 0; i < V; i++)
        for (int j = 0; j < E; j++) fprintf(af.f, "%.6g%c", (double)emb[(size_t)i * E + j], j + 1 < E ? '\t' : '\n');
    if ((st = rnnlm_atomic_commit(&af, err))) return st;
    snprintf(path, sizeof path, "%s/metadata.tsv", dir);
    if ((st = rnnlm_atomic_open(&af, path, err))) return st;
    fprintf(af.f, "word\tcount\n");
    for (int i = 0; i < V; i++)
        fprintf(af.f, "%s\t%llu\n", rnnlm_vocab_word(v, i), (unsigned long long)rnnlm_vocab_count(v, i));
    return rnnlm_atomic_commit(&af, err);
}

int embeddings_neighbors(const float *emb, int V, int E, int32_t id, int k, int32_t *ids, float *sims) {
    if (id < 0 || id >= V || k <= 0) return 0;
    const float *q = emb + (size_t)id * E;
    double qn = 0;
    for (int j = 0; j < E; j++) qn += (double)q[j] * q[j];
    qn = sqrt(qn);
    int n = 0;
    for (int i = 0; i < V; i++) {
        if (i == id) continue;
        const float *r = emb + (size_t)i * E;
        double dot = 0, rn = 0;
        for (int j = 0; j < E; j++) { dot += (double)q[j] * r[j]; rn += (double)r[j] * r[j]; }
        float s = (qn > 0 && rn > 0) ? (float)(dot / (qn * sqrt(rn))) : 0.0f;
        /* insertion into the sorted top k */
        if (n == k && s <= sims[k - 1]) continue;
        int p = n < k ? n++ : k - 1;
        while (p > 0 && sims[p - 1] < s) { sims[p] = sims[p - 1]; ids[p] = ids[p - 1]; p--; }
        sims[p] = s;
        ids[p] = i;
    }
    return n;
}
