/* util.h: helpers the C tests share (include after <cmocka.h>). */
#ifndef RNNLM_TESTS_UTIL_H
#define RNNLM_TESTS_UTIL_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "rnnlm.h"

/* The whole file, NUL-terminated (malloc'ed); its length in *n (may be
 * NULL). Fails the test when it cannot be read. */
static inline char *util_read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(len >= 0);
    char *s = malloc((size_t)len + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
    s[len] = '\0';
    fclose(f);
    if (n) *n = (size_t)len;
    return s;
}

/* A vocabulary of V <= 4096 words: the three specials, then w3, w4, ...
 * (no counts, the recipe's canonicalisation, capped at V). */
static inline rnnlm_vocab *util_make_vocab(int V) {
    assert_true(V >= 3 && V <= 4096);
    char (*store)[16] = calloc((size_t)V, sizeof *store);
    const char **words = calloc((size_t)V, sizeof *words);
    assert_non_null(store);
    assert_non_null(words);
    words[0] = "<s>";
    words[1] = "</s>";
    words[2] = "<unk>";
    for (int i = 3; i < V; i++) {
        snprintf(store[i], sizeof store[i], "w%d", i);
        words[i] = store[i];
    }
    rnnlm_vocab *v = NULL;
    rnnlm_err err;
    assert_int_equal(rnnlm_vocab_from_words(&v, words, NULL, (size_t)V, RNNLM_CANON_RECIPE, (size_t)V, &err),
                     RNNLM_OK);
    free(words);
    free(store);
    return v;
}

/* A fresh directory under $TMPDIR (else /tmp) named rnnlm-<what>-XXXXXX,
 * malloc'ed; fails the test when it cannot be made. */
static inline char *util_make_tmpdir(const char *what) {
    const char *base = getenv("TMPDIR");
    char *t = malloc(4096);
    assert_non_null(t);
    snprintf(t, 4096, "%s/rnnlm-%s-XXXXXX", base && *base ? base : "/tmp", what);
    assert_non_null(mkdtemp(t));
    return t;
}

static inline int util_rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* Removes dir and everything in it; 0 on success. */
static inline int util_rm_rf(const char *dir) { return nftw(dir, util_rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* A group fixture: a temporary directory for the whole group of tests
 * (util_group_tmpdir, made with the group's name), removed at its end. */
static inline char **util_group_dir(void) {
    static char *dir;
    return &dir;
}
static inline const char *util_group_tmpdir(void) { return *util_group_dir(); }
static inline int util_group_setup(void **state) {
    const char *name = *state ? (const char *)*state : "test";
    *util_group_dir() = util_make_tmpdir(name);
    return 0;
}
static inline int util_group_teardown(void **state) {
    (void)state;
    int rc = util_rm_rf(*util_group_dir());
    free(*util_group_dir());
    *util_group_dir() = NULL;
    return rc;
}
/* buf = "<the group's directory>/name" */
static inline void util_tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", util_group_tmpdir(), name);
}

/* n ids uniform in [0, V), from a generator seeded with seed. */
static inline void util_random_ids(int32_t *v, size_t n, int V, uint64_t seed) {
    rnnlm_rng r;
    rnnlm_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) v[i] = (int32_t)rnnlm_rng_below(&r, (uint64_t)V);
}

#endif
