/* test_checkpoint.c: checkpoints of small models of every cell kind: a save
 * and load round trip is bit-identical (weights, configuration, vocabulary,
 * extra metadata and tensors); the file holds the PyTorch names, shapes and
 * transposes; a PyTorch-style pair of biases loads as their sum; and damaged
 * checkpoints (missing, extra, reshaped, re-typed tensors, a vocabulary that
 * does not match V, an unknown version, a foreign format, bad configuration)
 * are each refused with a message of their own. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"

#include "model/checkpoint.h"

/* Size letters as model.h: V vocabulary, E embedding, H hidden, L layers. */
enum { V = 11, E = 5, H = 4, L = 2 };

static rnnlm_vocab *make_vocab(int n) {
    static char store[64][16];
    const char *words[64];
    uint64_t counts[64];
    for (int i = 0; i < n; i++) {
        if (i == 0) snprintf(store[i], sizeof store[i], "<s>");
        else if (i == 1) snprintf(store[i], sizeof store[i], "</s>");
        else if (i == 2) snprintf(store[i], sizeof store[i], "<unk>");
        else snprintf(store[i], sizeof store[i], "w%d", i);
        words[i] = store[i];
        counts[i] = i < 3 ? 0 : (uint64_t)(1000 - 7 * i) + ((uint64_t)1 << 40);
    }
    rnnlm_vocab *v = NULL;
    rnnlm_err err = {0};
    if (rnnlm_vocab_from_words(&v, words, counts, (size_t)n, RNNLM_CANON_RECIPE, 12345, &err))
        fail_msg("rnnlm_vocab_from_words: %s", err.msg);
    return v;
}

static model *make_model(cell_kind cell, int e, int h, int tied, float dropout, uint64_t seed) {
    model_config c = {.cell = cell, .V = V, .E = e, .H = h, .L = L, .dropout = dropout, .tied = tied,
                      .init = INIT_UNIFORM};
    model *m = NULL;
    rnnlm_err err = {0};
    if (model_create(&m, &c, &err)) fail_msg("model_create: %s", err.msg);
    model_init_params(m, seed);
    /* values a careless copy would change: -0.0 and a subnormal in a bias */
    for (int i = 0; i < model_n_tensors(m); i++) {
        const model_tensor *t = model_tensor_at(m, i);
        if (strstr(t->name, ".0.bias")) {
            model_params(m)[t->offset] = -0.0f;
            model_params(m)[t->offset + 1] = 1e-40f;
        }
    }
    return m;
}

static const model_tensor *keras(const model *m, const char *name) {
    for (int i = 0; i < model_n_tensors(m); i++)
        if (strcmp(model_tensor_at(m, i)->name, name) == 0) return model_tensor_at(m, i);
    fail_msg("model has no tensor %s", name);
    return NULL;
}

static void assert_same_vocab(const rnnlm_vocab *a, const rnnlm_vocab *b) {
    assert_int_equal(rnnlm_vocab_size(a), rnnlm_vocab_size(b));
    assert_int_equal(rnnlm_vocab_distinct(a), rnnlm_vocab_distinct(b));
    assert_int_equal(rnnlm_vocab_canon(a), rnnlm_vocab_canon(b));
    for (int32_t i = 0; i < (int32_t)rnnlm_vocab_size(a); i++) {
        assert_string_equal(rnnlm_vocab_word(a, i), rnnlm_vocab_word(b, i));
        assert_true(rnnlm_vocab_count(a, i) == rnnlm_vocab_count(b, i));
        const char *w = rnnlm_vocab_word(a, i);
        assert_int_equal(rnnlm_vocab_lookup(b, w, strlen(w)), rnnlm_vocab_lookup(a, w, strlen(w)));
    }
}

/* Saves m with extras, loads it back, compares everything. */
static void round_trip(cell_kind cell, int e, int h, int tied) {
    model *m = make_model(cell, e, h, tied, 0.25f, 7 + (uint64_t)cell);
    rnnlm_vocab *v = make_vocab(V);
    char path[400];
    util_tmp_path(path, sizeof path, "rt.safetensors");
    float slots[6] = {1, 2, 3, 4, 5, 6};
    st_tensor extra = {.name = "train.slots", .ndim = 2, .shape = {2, 3}, .data = slots};
    const char *kv[] = {"train.lr", "0.01", "train.note", "seed 7"};
    rnnlm_err err = {0};
    if (checkpoint_save(path, m, v, kv, 2, &extra, 1, &err)) fail_msg("checkpoint_save: %s", err.msg);

    model *m2;
    rnnlm_vocab *v2;
    st_file *keep;
    if (checkpoint_load(path, &m2, &v2, &keep, &err)) fail_msg("checkpoint_load: %s", err.msg);
    const model_config *a = model_cfg(m), *b = model_cfg(m2);
    assert_int_equal(a->cell, b->cell);
    assert_int_equal(a->V, b->V);
    assert_int_equal(a->E, b->E);
    assert_int_equal(a->H, b->H);
    assert_int_equal(a->L, b->L);
    assert_memory_equal(&a->dropout, &b->dropout, sizeof a->dropout);
    assert_int_equal(a->tied, b->tied);
    assert_int_equal(a->init, b->init);
    assert_int_equal(model_n_params(m), model_n_params(m2));
    assert_memory_equal(model_params(m), model_params(m2), model_n_params(m) * sizeof(float));
    assert_same_vocab(v, v2);
    assert_string_equal(checkpoint_get_meta(keep, "train.lr"), "0.01");
    assert_string_equal(checkpoint_get_meta(keep, "train.note"), "seed 7");
    const st_entry *x = st_find(keep, "train.slots");
    assert_non_null(x);
    assert_int_equal(x->shape[0], 2);
    assert_memory_equal(x->data, slots, sizeof slots);
    st_free(keep);
    model_free(m2);
    rnnlm_vocab_free(v2);

    /* keep may be NULL */
    if (checkpoint_load(path, &m2, &v2, NULL, &err)) fail_msg("checkpoint_load: %s", err.msg);
    assert_memory_equal(model_params(m), model_params(m2), model_n_params(m) * sizeof(float));
    model_free(m2);
    rnnlm_vocab_free(v2);
    model_free(m);
    rnnlm_vocab_free(v);
}

static void test_round_trip_lstm(void **s) { (void)s; round_trip(CELL_LSTM, E, H, 0); }
static void test_round_trip_gru(void **s) { (void)s; round_trip(CELL_GRU, E, H, 0); }
static void test_round_trip_rnn(void **s) { (void)s; round_trip(CELL_RNN, E, H, 0); }
static void test_round_trip_tied(void **s) { (void)s; round_trip(CELL_LSTM, H, H, 1); }

/* The file as PyTorch sees it: names, shapes, transposes, biases, metadata. */
static void check_pytorch_layout(cell_kind cell, int tied) {
    int e = tied ? H : E, G = cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1;
    const char *p = cell == CELL_LSTM ? "lstm" : cell == CELL_GRU ? "gru" : "rnn";
    model *m = make_model(cell, e, H, tied, 0.0f, 99);
    rnnlm_vocab *v = make_vocab(V);
    char path[400];
    util_tmp_path(path, sizeof path, "layout.safetensors");
    rnnlm_err err = {0};
    if (checkpoint_save(path, m, v, NULL, 0, NULL, 0, &err)) fail_msg("checkpoint_save: %s", err.msg);
    st_file *f;
    if (st_read_file(&f, path, &err)) fail_msg("st_read_file: %s", err.msg);
    const float *w = model_params(m);

    assert_int_equal(st_n_tensors(f), (size_t)(1 + 4 * L + (tied ? 1 : 2)));
    const st_entry *t = st_find(f, "embedding.weight");
    assert_non_null(t);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], V);
    assert_int_equal(t->shape[1], e);
    assert_memory_equal(t->data, w + keras(m, "embedding")->offset, (size_t)V * e * sizeof(float));
    for (int l = 0; l < L; l++) {
        char name[64], kname[64];
        int in = l == 0 ? e : H;
        snprintf(name, sizeof name, "rnn.weight_ih_l%d", l);
        snprintf(kname, sizeof kname, "%s.%d.kernel", p, l);
        t = st_find(f, name);
        assert_non_null(t);
        assert_int_equal(t->ndim, 2);
        assert_int_equal(t->shape[0], G * H);
        assert_int_equal(t->shape[1], in);
        const float *k = w + keras(m, kname)->offset;   /* (in, G*H) */
        for (int r = 0; r < G * H; r++)
            for (int c = 0; c < in; c++) assert_true(t->data[r * in + c] == k[c * G * H + r]);
        snprintf(name, sizeof name, "rnn.weight_hh_l%d", l);
        snprintf(kname, sizeof kname, "%s.%d.recurrent_kernel", p, l);
        t = st_find(f, name);
        assert_non_null(t);
        assert_int_equal(t->shape[0], G * H);
        assert_int_equal(t->shape[1], H);
        k = w + keras(m, kname)->offset;                /* (H, G*H) */
        for (int r = 0; r < G * H; r++)
            for (int c = 0; c < H; c++) assert_true(t->data[r * H + c] == k[c * G * H + r]);
        snprintf(kname, sizeof kname, "%s.%d.bias", p, l);
        const float *bias = w + keras(m, kname)->offset;
        snprintf(name, sizeof name, "rnn.bias_ih_l%d", l);
        const st_entry *bi = st_find(f, name);
        snprintf(name, sizeof name, "rnn.bias_hh_l%d", l);
        const st_entry *bh = st_find(f, name);
        assert_non_null(bi);
        assert_non_null(bh);
        assert_int_equal(bi->ndim, 1);
        assert_int_equal(bi->shape[0], G * H);
        assert_int_equal(bh->ndim, 1);
        assert_int_equal(bh->shape[0], G * H);
        assert_memory_equal(bi->data, bias, (size_t)G * H * sizeof(float));
        for (int j = 0; j < G * H; j++)
            assert_true(cell == CELL_GRU ? bh->data[j] == bias[G * H + j] : bh->data[j] == 0.0f);
    }
    t = st_find(f, "output.weight");
    if (tied) {
        assert_null(t);
    } else {
        assert_non_null(t);
        assert_int_equal(t->shape[0], V);
        assert_int_equal(t->shape[1], H);
        const float *k = w + keras(m, "output.kernel")->offset;   /* (H, V) */
        for (int r = 0; r < V; r++)
            for (int c = 0; c < H; c++) assert_true(t->data[r * H + c] == k[c * V + r]);
    }
    t = st_find(f, "output.bias");
    assert_non_null(t);
    assert_int_equal(t->ndim, 1);
    assert_int_equal(t->shape[0], V);
    assert_memory_equal(t->data, w + keras(m, "output.bias")->offset, V * sizeof(float));

    assert_string_equal(st_meta(f, "format"), "rnnlm");
    assert_string_equal(st_meta(f, "format_version"), "1");
    assert_string_equal(st_meta(f, "cell"), p);
    assert_string_equal(st_meta(f, "vocab_size"), "11");
    assert_string_equal(st_meta(f, "hidden_size"), "4");
    assert_string_equal(st_meta(f, "num_layers"), "2");
    assert_string_equal(st_meta(f, "tied"), tied ? "1" : "0");
    assert_string_equal(st_meta(f, "init"), "uniform");
    assert_string_equal(st_meta(f, "canon"), "recipe");
    assert_string_equal(st_meta(f, "vocab_distinct"), "12345");
    assert_string_equal(st_meta(f, "vocab"), "<s>\n</s>\n<unk>\nw3\nw4\nw5\nw6\nw7\nw8\nw9\nw10");
    assert_non_null(strstr(st_meta(f, "vocab_counts"), "0 0 0 1099511628755 "));
    st_free(f);
    model_free(m);
    rnnlm_vocab_free(v);
}

static void test_pytorch_layout_lstm(void **s) { (void)s; check_pytorch_layout(CELL_LSTM, 0); }
static void test_pytorch_layout_gru(void **s) { (void)s; check_pytorch_layout(CELL_GRU, 0); }
static void test_pytorch_layout_rnn(void **s) { (void)s; check_pytorch_layout(CELL_RNN, 0); }
static void test_pytorch_layout_tied(void **s) { (void)s; check_pytorch_layout(CELL_RNN, 1); }

/* ------------------------------------------------------ damaged checkpoints */

/* A checkpoint taken apart for rewriting: tensors and metadata pairs. */
typedef struct {
    st_file *f;
    st_tensor t[64];
    size_t n;
    const char *kv[128];
    size_t nm;
} parts;

static void take_apart(parts *p, const char *path) {
    rnnlm_err err = {0};
    memset(p, 0, sizeof *p);
    if (st_read_file(&p->f, path, &err)) fail_msg("st_read_file: %s", err.msg);
    for (size_t i = 0; i < st_n_tensors(p->f); i++) {
        const st_entry *e = st_tensor_at(p->f, i);
        st_tensor *t = &p->t[p->n++];
        t->name = e->name;
        t->ndim = e->ndim;
        memcpy(t->shape, e->shape, sizeof t->shape);
        t->data = e->data;
    }
    for (size_t i = 0; i < st_n_meta(p->f); i++, p->nm++)
        st_meta_at(p->f, i, &p->kv[2 * p->nm], &p->kv[2 * p->nm + 1]);
}

static st_tensor *part_tensor(parts *p, const char *name) {
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->t[i].name, name) == 0) return &p->t[i];
    fail_msg("no tensor %s", name);
    return NULL;
}

static void drop_tensor(parts *p, const char *name) {
    st_tensor *t = part_tensor(p, name);
    memmove(t, t + 1, (size_t)(&p->t[p->n] - (t + 1)) * sizeof *t);
    p->n--;
}

/* Sets (value non-NULL) or removes (NULL) a metadata key. */
static void set_meta(parts *p, const char *key, const char *value) {
    for (size_t i = 0; i < p->nm; i++)
        if (strcmp(p->kv[2 * i], key) == 0) {
            if (value) { p->kv[2 * i + 1] = value; return; }
            memmove(&p->kv[2 * i], &p->kv[2 * i + 2], (p->nm - i - 1) * 2 * sizeof *p->kv);
            p->nm--;
            return;
        }
    if (!value) fail_msg("no metadata %s", key);
    p->kv[2 * p->nm] = key;
    p->kv[2 * p->nm + 1] = value;
    p->nm++;
}

static void write_parts(parts *p, const char *path) {
    rnnlm_err err = {0};
    if (st_write(path, p->t, p->n, p->kv, p->nm, &err)) fail_msg("st_write: %s", err.msg);
    st_free(p->f);
    p->f = NULL;
}

/* Loading path must fail with RNNLM_E_FORMAT and a message containing expect. */
static void expect_refused(const char *path, const char *expect) {
    model *m = (model *)1;
    rnnlm_vocab *v = (rnnlm_vocab *)1;
    st_file *keep = (st_file *)1;
    rnnlm_err err = {0};
    rnnlm_status s = checkpoint_load(path, &m, &v, &keep, &err);
    if (s != RNNLM_E_FORMAT) fail_msg("expected RNNLM_E_FORMAT for '%s', got %d: %s", expect, s, err.msg);
    if (!strstr(err.msg, expect)) fail_msg("message '%s' lacks '%s'", err.msg, expect);
    assert_null(m);
    assert_null(v);
    assert_null(keep);
}

/* A good checkpoint of an untied 2-layer LSTM (tied: a tied one) at path. */
static void good_checkpoint(const char *path, int tied) {
    model *m = make_model(CELL_LSTM, tied ? H : E, H, tied, 0.0f, 5);
    rnnlm_vocab *v = make_vocab(V);
    rnnlm_err err = {0};
    if (checkpoint_save(path, m, v, NULL, 0, NULL, 0, &err)) fail_msg("checkpoint_save: %s", err.msg);
    model_free(m);
    rnnlm_vocab_free(v);
}

typedef void (*mutator)(parts *p);

static void damage(mutator fn, int tied, const char *expect) {
    char good[400], bad[400];
    util_tmp_path(good, sizeof good, "good.safetensors");
    util_tmp_path(bad, sizeof bad, "bad.safetensors");
    good_checkpoint(good, tied);
    parts p;
    take_apart(&p, good);
    fn(&p);
    write_parts(&p, bad);
    expect_refused(bad, expect);
}

static void mut_missing(parts *p) { drop_tensor(p, "rnn.bias_hh_l1"); }
static void mut_extra(parts *p) {
    p->t[p->n] = *part_tensor(p, "rnn.weight_hh_l1");
    p->t[p->n++].name = "rnn.weight_hh_l2";
}
static float big[64];
static void mut_shape(parts *p) {
    st_tensor *t = part_tensor(p, "output.bias");
    t->shape[0] = V + 1;
    t->data = big;
}
static void mut_shape_rank(parts *p) {
    st_tensor *t = part_tensor(p, "embedding.weight");
    t->ndim = 1;
    t->shape[0] = (size_t)V * E;
}
static void mut_version(parts *p) { set_meta(p, "format_version", "2"); }
static void mut_no_version(parts *p) { set_meta(p, "format_version", NULL); }
static void mut_format(parts *p) { set_meta(p, "format", "pytorch"); }
static void mut_no_format(parts *p) { set_meta(p, "format", NULL); }
static void mut_vocab_short(parts *p) {
    set_meta(p, "vocab", "<s>\n</s>\n<unk>\nw3\nw4\nw5\nw6\nw7\nw8\nw9");
}
static void mut_counts(parts *p) { set_meta(p, "vocab_counts", "0 0 0 1 2"); }
static void mut_count_bad(parts *p) { set_meta(p, "vocab_counts", "0 0 0 1 2 3 4 5 6 7 x"); }
static void mut_specials(parts *p) {
    set_meta(p, "vocab", "<bos>\n</s>\n<unk>\nw3\nw4\nw5\nw6\nw7\nw8\nw9\nw10");
}
static void mut_cell(parts *p) { set_meta(p, "cell", "transformer"); }
static void mut_layers(parts *p) { set_meta(p, "num_layers", "0"); }
static void mut_vocab_size(parts *p) { set_meta(p, "vocab_size", "11x"); }
static void mut_dropout(parts *p) { set_meta(p, "dropout", "nan"); }
static void mut_dropout_range(parts *p) { set_meta(p, "dropout", "1.5"); }
static void mut_no_vocab(parts *p) { set_meta(p, "vocab", NULL); }
static void mut_tied_output(parts *p) {   /* applied to a tied checkpoint */
    p->t[p->n] = *part_tensor(p, "embedding.weight");
    p->t[p->n].name = "output.weight";
    p->t[p->n].shape[1] = H;
    p->n++;
}
static void mut_tied_bad_sizes(parts *p) {   /* untied E != H claims to be tied */
    set_meta(p, "tied", "1");
    drop_tensor(p, "output.weight");
}

static void test_missing_tensor(void **s) { (void)s; damage(mut_missing, 0, "tensor 'rnn.bias_hh_l1' is missing"); }
static void test_extra_tensor(void **s) { (void)s; damage(mut_extra, 0, "unexpected tensor 'rnn.weight_hh_l2'"); }
static void test_wrong_shape(void **s) {
    (void)s;
    damage(mut_shape, 0, "tensor 'output.bias' has shape (12,), expected (11,)");
}
static void test_wrong_rank(void **s) {
    (void)s;
    damage(mut_shape_rank, 0, "tensor 'embedding.weight' has shape (55,), expected (11, 5)");
}
static void test_unknown_version(void **s) {
    (void)s;
    damage(mut_version, 0, "checkpoint format version '2' is not supported: this rnnlm reads version 1");
}
static void test_no_version(void **s) { (void)s; damage(mut_no_version, 0, "no 'format_version'"); }
static void test_wrong_format(void **s) { (void)s; damage(mut_format, 0, "format='pytorch', expected 'rnnlm'"); }
static void test_no_format(void **s) { (void)s; damage(mut_no_format, 0, "no 'format' metadata"); }
static void test_vocab_not_V(void **s) {
    (void)s;
    damage(mut_vocab_short, 0, "the vocabulary has 10 words, but vocab_size (V) is 11");
}
static void test_vocab_counts(void **s) { (void)s; damage(mut_counts, 0, "vocab_counts has 5 counts for 11 words"); }
static void test_vocab_count_bad(void **s) { (void)s; damage(mut_count_bad, 0, "count 10 is not a count"); }
static void test_vocab_specials(void **s) { (void)s; damage(mut_specials, 0, "vocabulary id 0 must be <s>"); }
static void test_no_vocab(void **s) { (void)s; damage(mut_no_vocab, 0, "metadata has no 'vocab'"); }
static void test_bad_cell(void **s) { (void)s; damage(mut_cell, 0, "cell='transformer' is not one of"); }
static void test_bad_layers(void **s) { (void)s; damage(mut_layers, 0, "num_layers='0': expected an integer in [1, 16]"); }
static void test_bad_vocab_size(void **s) { (void)s; damage(mut_vocab_size, 0, "vocab_size='11x'"); }
static void test_bad_dropout(void **s) { (void)s; damage(mut_dropout, 0, "dropout='nan' is not a number"); }
static void test_dropout_range(void **s) {
    (void)s;
    damage(mut_dropout_range, 0, "model configuration rejected: dropout 1.5");
}
static void test_tied_with_output(void **s) {
    (void)s;
    damage(mut_tied_output, 1, "unexpected tensor 'output.weight' (the embedding is tied)");
}
static void test_tied_bad_sizes(void **s) {
    (void)s;
    damage(mut_tied_bad_sizes, 0, "model configuration rejected: tied embeddings need E == H");
}

/* The reader refuses other dtypes, naming the tensor: patch one "F32" of the header. */
static void test_wrong_dtype(void **s) {
    (void)s;
    char good[400];
    util_tmp_path(good, sizeof good, "dtype.safetensors");
    good_checkpoint(good, 0);
    FILE *f = fopen(good, "r+b");
    assert_non_null(f);
    unsigned char len8[8];
    assert_int_equal(fread(len8, 1, 8, f), 8);
    size_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | len8[i];
    char *hdr = calloc(n + 1, 1);
    assert_int_equal(fread(hdr, 1, n, f), n);
    char *at = strstr(hdr, "\"output.bias\":{\"data_offsets\"");
    assert_non_null(at);
    at = strstr(at, "\"F32\"");
    assert_non_null(at);
    memcpy(at, "\"F16\"", 5);
    fseek(f, 8, SEEK_SET);
    assert_int_equal(fwrite(hdr, 1, n, f), n);
    fclose(f);
    free(hdr);
    expect_refused(good, "tensor 'output.bias': dtype F16 is not supported");
}

/* A checkpoint written by PyTorch keeps two non-zero LSTM biases: rnnlm
 * folds them into its one bias as their sum. */
static void test_pytorch_bias_sum(void **s) {
    (void)s;
    char good[400], bad[400];
    util_tmp_path(good, sizeof good, "good.safetensors");
    util_tmp_path(bad, sizeof bad, "torch.safetensors");
    good_checkpoint(good, 0);
    parts p;
    take_apart(&p, good);
    float hh[4 * H];
    for (int j = 0; j < 4 * H; j++) hh[j] = 0.125f * (float)(j + 1);
    part_tensor(&p, "rnn.bias_hh_l1")->data = hh;
    const float *ih = part_tensor(&p, "rnn.bias_ih_l1")->data;
    float want[4 * H];
    for (int j = 0; j < 4 * H; j++) want[j] = ih[j] + hh[j];
    write_parts(&p, bad);
    model *m;
    rnnlm_vocab *v;
    rnnlm_err err = {0};
    if (checkpoint_load(bad, &m, &v, NULL, &err)) fail_msg("checkpoint_load: %s", err.msg);
    assert_memory_equal(model_params(m) + keras(m, "lstm.1.bias")->offset, want, sizeof want);
    model_free(m);
    rnnlm_vocab_free(v);
}

/* "train." tensors ride along; a file that is not safetensors at all fails in the reader. */
static void test_extras_and_garbage(void **s) {
    (void)s;
    char good[400], bad[400];
    util_tmp_path(good, sizeof good, "good.safetensors");
    util_tmp_path(bad, sizeof bad, "extras.safetensors");
    good_checkpoint(good, 0);
    parts p;
    take_apart(&p, good);
    float rng[2] = {1, 2};
    p.t[p.n++] = (st_tensor){.name = "train.rng", .ndim = 1, .shape = {2}, .data = rng};
    write_parts(&p, bad);
    model *m;
    rnnlm_vocab *v;
    rnnlm_err err = {0};
    if (checkpoint_load(bad, &m, &v, NULL, &err)) fail_msg("checkpoint_load: %s", err.msg);
    model_free(m);
    rnnlm_vocab_free(v);
    FILE *f = fopen(bad, "wb");
    fputs("not a checkpoint at all", f);
    fclose(f);
    expect_refused(bad, "exceeds the cap");
    util_tmp_path(bad, sizeof bad, "missing.safetensors");
    assert_int_equal(checkpoint_load(bad, &m, &v, NULL, &err), RNNLM_E_IO);
}

static void test_save_rejects(void **s) {
    (void)s;
    char path[400];
    util_tmp_path(path, sizeof path, "reject.safetensors");
    model *m = make_model(CELL_GRU, E, H, 0, 0.0f, 1);
    rnnlm_vocab *v = make_vocab(V - 1);
    rnnlm_err err = {0};
    assert_int_equal(checkpoint_save(path, m, v, NULL, 0, NULL, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "the vocabulary has 10 words but the model's V is 11"));
    rnnlm_vocab_free(v);
    v = make_vocab(V);
    const char *kv[] = {"vocab", "mine"};
    assert_int_equal(checkpoint_save(path, m, v, kv, 1, NULL, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "extra metadata key 'vocab' is reserved"));
    float x = 0;
    st_tensor t = {.name = "optim.m", .ndim = 1, .shape = {1}, .data = &x};
    assert_int_equal(checkpoint_save(path, m, v, NULL, 0, &t, 1, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "extra tensor 'optim.m' must be named 'train.") );
    t.name = "train.m";
    const char *dup[] = {"train.a", "1", "train.a", "2"};
    assert_int_equal(checkpoint_save(path, m, v, dup, 2, &t, 1, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "given twice"));
    model_free(m);
    rnnlm_vocab_free(v);
}

static void test_vocab_from_words(void **s) {
    (void)s;
    rnnlm_vocab *v = NULL;
    rnnlm_err err = {0};
    const char *ok[] = {"<s>", "</s>", "<unk>", "Cat"};
    uint64_t c[] = {0, 0, 0, 5};
    assert_int_equal(rnnlm_vocab_from_words(&v, ok, c, 4, RNNLM_CANON_NONE, 9, &err), RNNLM_OK);
    assert_int_equal(rnnlm_vocab_size(v), 4);
    assert_int_equal(rnnlm_vocab_lookup(v, "Cat", 3), 3);
    assert_int_equal(rnnlm_vocab_lookup(v, "cat", 3), RNNLM_UNK);
    assert_true(rnnlm_vocab_count(v, 3) == 5);
    assert_int_equal(rnnlm_vocab_distinct(v), 9);
    rnnlm_vocab_free(v);
    const char *few[] = {"<s>", "</s>", "<unk>"};
    assert_int_equal(rnnlm_vocab_from_words(&v, few, NULL, 3, RNNLM_CANON_NONE, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "must be in [4,"));
    const char *sp[] = {"<s>", "</s>", "<unk>", "a b"};
    assert_int_equal(rnnlm_vocab_from_words(&v, sp, NULL, 4, RNNLM_CANON_NONE, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "word 3 contains white space"));
    const char *empty[] = {"<s>", "</s>", "<unk>", ""};
    assert_int_equal(rnnlm_vocab_from_words(&v, empty, NULL, 4, RNNLM_CANON_NONE, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "word 3 is empty"));
    const char *order[] = {"</s>", "<s>", "<unk>", "x"};
    assert_int_equal(rnnlm_vocab_from_words(&v, order, NULL, 4, RNNLM_CANON_NONE, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "id 0 must be <s>"));
    assert_null(v);
}

/* A NaN or an infinity in any tensor (the caller's "train." ones too) is
 * refused, naming the tensor, the kind and the element; with
 * RNNLM_LOAD_ALLOW_NONFINITE the file loads with the value kept. */
static void check_nonfinite(const char *keras_name, size_t at, float bad, const char *expect) {
    model *m = make_model(CELL_GRU, E, H, 0, 0.0f, 3);
    rnnlm_vocab *v = make_vocab(V);
    char path[400];
    util_tmp_path(path, sizeof path, "nonfinite.safetensors");
    float slots[4] = {1, 2, 3, 4};
    st_tensor extra = {.name = "train.slots", .ndim = 1, .shape = {4}, .data = slots};
    if (keras_name) model_params(m)[keras(m, keras_name)->offset + at] = bad;
    else slots[at] = bad;
    rnnlm_err err = {0};
    if (checkpoint_save(path, m, v, NULL, 0, &extra, 1, &err)) fail_msg("checkpoint_save: %s", err.msg);
    expect_refused(path, expect);
    model *m2 = NULL;
    rnnlm_vocab *v2 = NULL;
    st_file *keep = NULL;
    if (checkpoint_load_ex(path, RNNLM_LOAD_ALLOW_NONFINITE, &m2, &v2, &keep, &err))
        fail_msg("checkpoint_load_ex: %s", err.msg);
    const float *x = keras_name ? model_params(m2) + keras(m2, keras_name)->offset + at
                                : st_find(keep, "train.slots")->data + at;
    assert_true(isnan(bad) ? isnan(*x) : *x == bad);
    model_free(m);
    model_free(m2);
    rnnlm_vocab_free(v);
    rnnlm_vocab_free(v2);
    st_free(keep);
}

static void test_nonfinite_tensors(void **s) {
    (void)s;
    /* the embedding, one recurrent weight, the output layer, a caller's tensor */
    check_nonfinite("embedding", 0, NAN,
                    "tensor 'embedding.weight' holds a non-finite value (NaN at element 0)");
    /* Keras (H, 3H) element 1 is PyTorch (3H, H) element H */
    check_nonfinite("gru.1.recurrent_kernel", 1, NAN,
                    "tensor 'rnn.weight_hh_l1' holds a non-finite value (NaN at element 4)");
    check_nonfinite("output.kernel", 0, INFINITY,
                    "tensor 'output.weight' holds a non-finite value (+Inf at element 0)");
    check_nonfinite("output.bias", 2, -INFINITY,
                    "tensor 'output.bias' holds a non-finite value (-Inf at element 2)");
    check_nonfinite(NULL, 3, NAN, "tensor 'train.slots' holds a non-finite value (NaN at element 3)");
}

/* Metadata numbers: the whole value, no white space, sign or trailing
 * text, no overflow, no NaN; infinity only where the range allows it. */
static st_file *meta_file(const char *key, const char *value) {
    const char *kv[] = {key, value};
    float x = 0.0f;
    st_tensor t = {.name = "x", .ndim = 1, .shape = {1}, .data = &x};
    void *buf;
    size_t len;
    st_file *f;
    rnnlm_err err = {0};
    if (st_write_mem(&buf, &len, &t, 1, kv, 1, &err) || st_read_mem(&f, buf, len, "meta", &err))
        fail_msg("%s", err.msg);
    free(buf);
    return f;
}

static int real_ok(const char *value, double lo, double hi, double *out) {
    st_file *f = meta_file("k", value);
    rnnlm_err err = {0};
    rnnlm_status s = checkpoint_meta_real(f, "k", lo, hi, out, "p.st", &err);
    if (s) assert_non_null(strstr(err.msg, "p.st: metadata k='"));
    st_free(f);
    return s == RNNLM_OK;
}

static int int_ok(const char *value, long long lo, long long hi, long long *out) {
    st_file *f = meta_file("k", value);
    rnnlm_err err = {0};
    rnnlm_status s = checkpoint_meta_int(f, "k", lo, hi, out, "p.st", &err);
    if (s) assert_non_null(strstr(err.msg, "p.st: metadata k='"));
    st_free(f);
    return s == RNNLM_OK;
}

static void test_meta_numbers(void **s) {
    (void)s;
    double d = 0;
    long long i = 0;
    assert_true(real_ok("0x1.8p+1", 1, INFINITY, &d) && d == 3.0);   /* the "%a" the trainer writes */
    assert_true(real_ok("2.5", 1, 3, &d) && d == 2.5);
    assert_true(real_ok("inf", 1, INFINITY, &d) && isinf(d));
    assert_false(real_ok("inf", 1, 1e300, &d));
    assert_false(real_ok("-inf", -1e300, 1e300, &d));
    const char *bad_real[] = {"nan", "-nan", "NAN", "", " 2", "2 ", "+2", "2x", "1e999", "0.5", "4", "x"};
    for (size_t k = 0; k < sizeof bad_real / sizeof *bad_real; k++)
        if (real_ok(bad_real[k], 1, 3, &d)) fail_msg("real '%s' accepted", bad_real[k]);
    assert_true(int_ok("42", 0, 100, &i) && i == 42);
    assert_true(int_ok("-3", -5, 100, &i) && i == -3);
    const char *bad_int[] = {"", " 4", "+4", "4x", "4.0", "101", "-1", "99999999999999999999", "0x10", "inf"};
    for (size_t k = 0; k < sizeof bad_int / sizeof *bad_int; k++)
        if (int_ok(bad_int[k], 0, 100, &i)) fail_msg("integer '%s' accepted", bad_int[k]);
    /* an absent key names itself */
    st_file *f = meta_file("other", "1");
    rnnlm_err err = {0};
    assert_int_equal(checkpoint_meta_int(f, "k", 0, 1, &i, "p.st", &err), RNNLM_E_FORMAT);
    assert_non_null(strstr(err.msg, "p.st: checkpoint metadata has no 'k'"));
    st_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocab_from_words),
        cmocka_unit_test(test_nonfinite_tensors),
        cmocka_unit_test(test_meta_numbers),
        cmocka_unit_test(test_round_trip_lstm),
        cmocka_unit_test(test_round_trip_gru),
        cmocka_unit_test(test_round_trip_rnn),
        cmocka_unit_test(test_round_trip_tied),
        cmocka_unit_test(test_pytorch_layout_lstm),
        cmocka_unit_test(test_pytorch_layout_gru),
        cmocka_unit_test(test_pytorch_layout_rnn),
        cmocka_unit_test(test_pytorch_layout_tied),
        cmocka_unit_test(test_pytorch_bias_sum),
        cmocka_unit_test(test_extras_and_garbage),
        cmocka_unit_test(test_save_rejects),
        cmocka_unit_test(test_missing_tensor),
        cmocka_unit_test(test_extra_tensor),
        cmocka_unit_test(test_wrong_shape),
        cmocka_unit_test(test_wrong_rank),
        cmocka_unit_test(test_wrong_dtype),
        cmocka_unit_test(test_unknown_version),
        cmocka_unit_test(test_no_version),
        cmocka_unit_test(test_wrong_format),
        cmocka_unit_test(test_no_format),
        cmocka_unit_test(test_vocab_not_V),
        cmocka_unit_test(test_vocab_counts),
        cmocka_unit_test(test_vocab_count_bad),
        cmocka_unit_test(test_vocab_specials),
        cmocka_unit_test(test_no_vocab),
        cmocka_unit_test(test_bad_cell),
        cmocka_unit_test(test_bad_layers),
        cmocka_unit_test(test_bad_vocab_size),
        cmocka_unit_test(test_bad_dropout),
        cmocka_unit_test(test_dropout_range),
        cmocka_unit_test(test_tied_with_output),
        cmocka_unit_test(test_tied_bad_sizes),
    };
    return cmocka_run_group_tests(tests, util_group_setup, util_group_teardown);
}
