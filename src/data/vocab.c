/* vocab.c: the size-capped vocabulary: building, lookup, the vocabulary file. */
#include "data/vocab.h"

#include "core/atomic_file.h"
#include "core/common.h"
#include "core/linereader.h"
#include "core/strtab.h"
#include "data/canon.h"
#include "data/corpus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct rnnlm_vocab {
    strtab words;        /* distinct spellings; an id may share one (see map) */
    uint32_t *word_of;   /* (size) strtab id of each vocabulary id */
    int32_t *map;        /* (words.n) vocabulary id of each spelling: the later id wins */
    uint64_t *count;     /* (size) */
    size_t size, distinct;
    rnnlm_canon canon;
};

static const char *const SPECIALS[3] = {"<s>", "</s>", "<unk>"};

void rnnlm_vocab_free(rnnlm_vocab *v) {
    if (!v) return;
    strtab_free(&v->words);
    free(v->word_of); free(v->map); free(v->count);
    free(v);
}

size_t rnnlm_vocab_size(const rnnlm_vocab *v) { return v->size; }
size_t rnnlm_vocab_distinct(const rnnlm_vocab *v) { return v->distinct; }
rnnlm_canon rnnlm_vocab_canon(const rnnlm_vocab *v) { return v->canon; }

const char *rnnlm_vocab_word(const rnnlm_vocab *v, int32_t id) {
    if (id < 0 || (size_t)id >= v->size) return NULL;
    return strtab_str(&v->words, v->word_of[id]);
}

uint64_t rnnlm_vocab_count(const rnnlm_vocab *v, int32_t id) {
    return (id < 0 || (size_t)id >= v->size) ? 0 : v->count[id];
}

/* Allocates the arrays for `size` ids. */
static rnnlm_status vocab_alloc(rnnlm_vocab **out, size_t size, rnnlm_canon canon, rnnlm_err *err) {
    rnnlm_vocab *v = rnnlm_calloc(1, sizeof *v, "vocabulary", err);
    if (!v) return RNNLM_E_NOMEM;
    strtab_init(&v->words);
    v->canon = canon;
    v->word_of = rnnlm_calloc(size, sizeof *v->word_of, "vocabulary", err);
    v->map = rnnlm_calloc(size, sizeof *v->map, "vocabulary", err);
    v->count = rnnlm_calloc(size, sizeof *v->count, "vocabulary", err);
    if (!v->word_of || !v->map || !v->count) { rnnlm_vocab_free(v); return RNNLM_E_NOMEM; }
    *out = v;
    return RNNLM_OK;
}

/* Appends id v->size with the given spelling and count. */
static rnnlm_status vocab_push(rnnlm_vocab *v, const char *w, size_t len, uint64_t count,
                               rnnlm_err *err) {
    uint32_t sid;
    rnnlm_status st = strtab_intern(&v->words, w, len, &sid, err);
    if (st) return st;
    v->word_of[v->size] = sid;
    v->map[sid] = (int32_t)v->size;   /* a repeated spelling now means this later id */
    v->count[v->size] = count;
    v->size++;
    return RNNLM_OK;
}

/* The specials that ids 0..2 must spell. */
static int is_special(size_t id, const char *w, size_t len) {
    return strlen(SPECIALS[id]) == len && memcmp(w, SPECIALS[id], len) == 0;
}

/* Largest vocabulary a file may declare: ids are int32. */
#define VOCAB_MAX_SIZE ((size_t)1 << 30)

rnnlm_status rnnlm_vocab_from_words(rnnlm_vocab **out, const char *const *words,
                                    const uint64_t *counts, size_t n, rnnlm_canon canon,
                                    size_t distinct, rnnlm_err *err) {
    *out = NULL;
    if (n < 4 || n > VOCAB_MAX_SIZE)
        return rnnlm_fail(err, RNNLM_E_ARG, "vocabulary of %zu words: the size must be in [4, %zu]", n,
                          VOCAB_MAX_SIZE);
    if (canon != RNNLM_CANON_NONE && canon != RNNLM_CANON_RECIPE)
        return rnnlm_fail(err, RNNLM_E_ARG, "unknown canonicalisation %d", (int)canon);
    for (size_t i = 0; i < n; i++) {
        const char *w = words[i], *bad = w ? corpus_word_problem(w, strlen(w)) : "is NULL";
        if (bad) return rnnlm_fail(err, RNNLM_E_ARG, "vocabulary word %zu %s", i, bad);
        if (i < 3 && !is_special(i, w, strlen(w)))
            return rnnlm_fail(err, RNNLM_E_ARG, "vocabulary id %zu must be %s, not '%s'", i, SPECIALS[i], w);
    }
    rnnlm_vocab *v;
    rnnlm_status st = vocab_alloc(&v, n, canon, err);
    for (size_t i = 0; !st && i < n; i++) st = vocab_push(v, words[i], strlen(words[i]), counts ? counts[i] : 0, err);
    if (st) { rnnlm_vocab_free(v); return st; }
    v->distinct = distinct;
    *out = v;
    return RNNLM_OK;
}

typedef struct { uint64_t count; uint32_t id; } ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

rnnlm_status rnnlm_vocab_build(rnnlm_vocab **out, const rnnlm_corpus *c, size_t max_size,
                               rnnlm_canon canon, rnnlm_err *err) {
    if (max_size != 0 && max_size < 4)
        return rnnlm_fail(err, RNNLM_E_ARG, "vocabulary size %zu is too small: it must be at least 4 "
                          "(3 specials and one word)", max_size);
    /* Canonical words, ids in order of first occurrence: raw types are already
     * in that order, so the first raw type of a canonical word is its first use. */
    strtab canon_words;
    strtab_init(&canon_words);
    size_t n_types = c->types.n;
    ranked *rank = rnnlm_calloc(n_types ? n_types : 1, sizeof *rank, "vocabulary counts", err);
    char *buf = NULL;
    size_t buf_cap = 0;
    rnnlm_status st = rank ? RNNLM_OK : RNNLM_E_NOMEM;
    for (uint32_t t = 0; !st && t < n_types; t++) {
        const char *w = strtab_str(&c->types, t);
        size_t len = strtab_len(&c->types, t), need = 2 * len + 1;
        if ((st = rnnlm_grow((void **)&buf, &buf_cap, need, 1, "word buffer", err))) break;
        size_t cl = canon == RNNLM_CANON_RECIPE ? canon_full(w, len, buf) : (memcpy(buf, w, len), len);
        uint32_t cid;
        if ((st = strtab_intern(&canon_words, buf, cl, &cid, err))) break;
        rank[cid].id = cid;
        rank[cid].count += c->type_count[t];
    }
    size_t distinct = canon_words.n;
    if (!st) qsort(rank, distinct, sizeof *rank, cmp_ranked);
    size_t keep = distinct;
    if (max_size && keep > max_size - 3) keep = max_size - 3;
    rnnlm_vocab *v = NULL;
    if (!st) st = vocab_alloc(&v, keep + 3, canon, err);
    for (int i = 0; !st && i < 3; i++) st = vocab_push(v, SPECIALS[i], strlen(SPECIALS[i]), 0, err);
    for (size_t i = 0; !st && i < keep; i++) {
        uint32_t cid = rank[i].id;
        st = vocab_push(v, strtab_str(&canon_words, cid), strtab_len(&canon_words, cid), rank[i].count, err);
    }
    free(rank); free(buf);
    strtab_free(&canon_words);
    if (st) { rnnlm_vocab_free(v); return st; }
    v->distinct = distinct;
    *out = v;
    return RNNLM_OK;
}

static int32_t find_exact(const rnnlm_vocab *v, const char *w, size_t len) {
    int64_t sid = strtab_find(&v->words, w, len);
    return sid < 0 ? -1 : v->map[sid];
}

int32_t rnnlm_vocab_lookup(const rnnlm_vocab *v, const char *w, size_t len) {
    if (v->canon == RNNLM_CANON_NONE) {
        int32_t id = find_exact(v, w, len);
        return id < 0 ? RNNLM_UNK : id;
    }
    /* a word spelled as the vocabulary has it is that word: text already
     * canonical maps to itself (canonicalising "DG" again would give "dg") */
    int32_t id = find_exact(v, w, len);
    if (id >= 0) return id;
    char small[512], *buf = 2 * len <= sizeof small ? small : malloc(2 * len);
    if (!buf) return RNNLM_UNK;
    /* step 1; kept when the vocabulary has it, else step 2 */
    id = find_exact(v, buf, canon_lower(w, len, buf));
    if (id < 0) id = find_exact(v, buf, canon_full(w, len, buf));
    if (buf != small) free(buf);
    return id < 0 ? RNNLM_UNK : id;
}

rnnlm_status rnnlm_vocab_save(const rnnlm_vocab *v, const char *path, rnnlm_err *err) {
    rnnlm_atomic_file af;
    rnnlm_status st = rnnlm_atomic_open(&af, path, err);
    if (st) return st;
    fprintf(af.f, "%s %d canon=%s size=%zu distinct=%zu\n", VOCAB_MAGIC, VOCAB_VERSION,
            v->canon == RNNLM_CANON_RECIPE ? "recipe" : "none", v->size, v->distinct);
    for (size_t i = 0; i < v->size; i++)
        fprintf(af.f, "%s\t%llu\n", strtab_str(&v->words, v->word_of[i]), (unsigned long long)v->count[i]);
    return rnnlm_atomic_commit(&af, err);
}

/* The most words the rest of a regular file f can hold after its first
 * line of `first` bytes: each takes at least "w<TAB>0" and a newline but
 * the last. Other files (pipes): VOCAB_MAX_SIZE, their size is unknown. */
static size_t vocab_file_room(int fd, size_t first) {
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) return VOCAB_MAX_SIZE;
    size_t total = (size_t)sb.st_size, rest = total > first ? total - first : 0;
    return (rest + 1) / 4;
}

/* A count of the version line: decimal digits only (sscanf's %zu takes "-1"
 * as SIZE_MAX), at most 20 of them. */
static int parse_size(const char *s, size_t *out) {
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 20 || s[n]) return 0;
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno || x > SIZE_MAX) return 0;
    *out = (size_t)x;
    return 1;
}

rnnlm_status rnnlm_vocab_load(rnnlm_vocab **out, const char *path, rnnlm_err *err) {
    rnnlm_lines *f;
    rnnlm_status st = rnnlm_lines_open(&f, path, RNNLM_MAX_LINE_DEFAULT, err);
    if (st) return st;
    const char *line;
    size_t n, lineno = 1;
    char canon_s[16], size_s[24], distinct_s[24];
    int version;
    size_t size = 0, distinct = 0;
    rnnlm_vocab *v = NULL;
    if ((st = rnnlm_lines_next(f, &line, &n, err)))
        ;
    else if (!line || strncmp(line, VOCAB_MAGIC " ", sizeof VOCAB_MAGIC) != 0)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: not an rnnlm vocabulary file (no '%s' line)", path,
                        VOCAB_MAGIC);
    else if (sscanf(line + sizeof VOCAB_MAGIC, "%d canon=%15s size=%23s distinct=%23s", &version,
                    canon_s, size_s, distinct_s) != 4)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: malformed version line", path);
    else if (!parse_size(size_s, &size))
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: vocabulary size '%s' is not a count", path, size_s);
    else if (!parse_size(distinct_s, &distinct))
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: distinct-word count '%s' is not a count", path, distinct_s);
    else if (version != VOCAB_VERSION)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: vocabulary format version %d; this rnnlm reads %d",
                        path, version, VOCAB_VERSION);
    else if (strcmp(canon_s, "recipe") != 0 && strcmp(canon_s, "none") != 0)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: unknown canonicalisation '%s'", path, canon_s);
    else if (size < 4 || size > VOCAB_MAX_SIZE)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: vocabulary size %zu out of range [4, %zu]", path,
                        size, VOCAB_MAX_SIZE);
    else if (size > vocab_file_room(f->fd, n + 1))
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: declares %zu words, but the rest of the file can hold at "
                        "most %zu", path, size, vocab_file_room(f->fd, n + 1));
    else
        st = vocab_alloc(&v, size, strcmp(canon_s, "recipe") == 0 ? RNNLM_CANON_RECIPE : RNNLM_CANON_NONE,
                         err);
    while (!st && !(st = rnnlm_lines_next(f, &line, &n, err)) && line) {
        lineno++;
        const char *tab = memchr(line, '\t', n);
        char *end;
        if (!tab || tab == line) {
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: expected 'word<TAB>count'", path, lineno);
            break;
        }
        errno = 0;
        unsigned long long count = strtoull(tab + 1, &end, 10);
        if (errno || end == tab + 1 || *end || tab[1] == '-') {
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: malformed count '%s'", path, lineno, tab + 1);
            break;
        }
        if (v->size >= size) {
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: more words than the declared size %zu", path,
                            lineno, size);
            break;
        }
        const char *bad = corpus_word_problem(line, (size_t)(tab - line));
        if (bad) {
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: the word %s", path, lineno, bad);
            break;
        }
        size_t id = v->size;
        if (id < 3 && !is_special(id, line, (size_t)(tab - line))) {
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: id %zu must be %s", path, lineno, id, SPECIALS[id]);
            break;
        }
        st = vocab_push(v, line, (size_t)(tab - line), count, err);
    }
    if (!st && v->size != size)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: %zu words, but the version line declares %zu", path,
                        v->size, size);
    rnnlm_lines_close(f);
    if (st) { rnnlm_vocab_free(v); return st; }
    v->distinct = distinct;
    *out = v;
    return RNNLM_OK;
}
