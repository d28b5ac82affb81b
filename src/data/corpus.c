/* corpus.c: corpus readers (Brown, plain text, toy) and the token store. */
#include "data/corpus.h"
#include "core/linereader.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static rnnlm_status corpus_new(rnnlm_corpus **out, rnnlm_err *err) {
    rnnlm_corpus *c = rnnlm_calloc(1, sizeof *c, "corpus", err);
    if (!c) return RNNLM_E_NOMEM;
    strtab_init(&c->types);
    rnnlm_status st = rnnlm_grow((void **)&c->sent, &c->sent_cap, 1, sizeof *c->sent, "sentences", err);
    if (st) { free(c); return st; }
    c->sent[0] = 0;
    *out = c;
    return RNNLM_OK;
}

void rnnlm_corpus_free(rnnlm_corpus *c) {
    if (!c) return;
    strtab_free(&c->types);
    free(c->type_count); free(c->tok); free(c->sent);
    free(c);
}

size_t rnnlm_corpus_sentences(const rnnlm_corpus *c) { return c->n_sents; }
size_t rnnlm_corpus_tokens(const rnnlm_corpus *c) { return c->n_tokens; }

size_t rnnlm_corpus_tokens_of(const rnnlm_corpus *c, const size_t *idx, size_t n) {
    if (!idx) return c->n_tokens;
    size_t t = 0;
    for (size_t i = 0; i < n; i++) t += c->sent[idx[i] + 1] - c->sent[idx[i]];
    return t;
}

rnnlm_status corpus_add_token(rnnlm_corpus *c, const char *w, size_t len, rnnlm_err *err) {
    uint32_t id;
    rnnlm_status st = strtab_intern(&c->types, w, len, &id, err);
    if (st) return st;
    if (id >= c->count_cap) {
        size_t old = c->count_cap;
        if ((st = rnnlm_grow((void **)&c->type_count, &c->count_cap, (size_t)id + 1,
                             sizeof *c->type_count, "type counts", err)))
            return st;
        memset(c->type_count + old, 0, (c->count_cap - old) * sizeof *c->type_count);
    }
    c->type_count[id]++;
    if ((st = rnnlm_grow((void **)&c->tok, &c->tok_cap, c->n_tokens + 1, sizeof *c->tok, "tokens", err)))
        return st;
    c->tok[c->n_tokens++] = id;
    return RNNLM_OK;
}

rnnlm_status corpus_end_sentence(rnnlm_corpus *c, rnnlm_err *err) {
    if (c->n_tokens == c->sent[c->n_sents]) return RNNLM_OK;   /* empty: nothing to close */
    rnnlm_status st = rnnlm_grow((void **)&c->sent, &c->sent_cap, c->n_sents + 2, sizeof *c->sent,
                                 "sentences", err);
    if (st) return st;
    c->sent[++c->n_sents] = c->n_tokens;
    return RNNLM_OK;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t k;
    unsigned cp, min;
    if (c >= 0xc2 && c <= 0xdf) { k = 2; cp = c & 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { k = 3; cp = c & 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { k = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return k;
}

static inline int is_space(unsigned char ch) {
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

const char *corpus_word_problem(const char *w, size_t len) {
    const unsigned char *s = (const unsigned char *)w;
    if (len == 0) return "is empty";
    for (size_t i = 0; i < len;) {
        if (s[i] == 0) return "contains a NUL byte";
        if (is_space(s[i])) return "contains white space";
        size_t k = s[i] < 0x80 ? 1 : utf8_seq(s + i, len - i);
        if (!k) return "is not valid UTF-8";
        i += k;
    }
    return NULL;
}

rnnlm_status corpus_check_line(const char *path, size_t lineno, const char *line, size_t n, size_t max_line,
                               rnnlm_err *err) {
    const unsigned char *s = (const unsigned char *)line;
    size_t limit = max_line ? max_line : RNNLM_MAX_LINE_DEFAULT;
    for (size_t i = 0; i < n;) {
        if (s[i] == 0)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: NUL byte at column %zu: a binary file, not text",
                              path, lineno, i + 1);
        if (s[i] < 0x80) { i++; continue; }
        size_t k = utf8_seq(s + i, n - i);
        if (!k)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: invalid UTF-8 byte 0x%02x at column %zu", path,
                              lineno, s[i], i + 1);
        i += k;
    }
    if (n > limit)
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s:%zu: line longer than %zu bytes", path, lineno, limit);   /* as rnnlm_lines says it */
    return RNNLM_OK;
}

rnnlm_status rnnlm_text_check_line(const char *name, size_t lineno, const char *s, size_t n, size_t max_line,
                                   rnnlm_err *err) {
    return corpus_check_line(name, lineno, s, n, max_line, err);
}

/* Reads path line by line (rnnlm_lines: a line longer than max_line is
 * refused without being read whole, a read error is an error), validating
 * each line (corpus_check_line) and cutting it into tokens. brown (the
 * file's name in a Brown directory, else NULL): tokens are word/tag and the
 * word is kept. Each non-blank line closes one sentence. Only regular files:
 * a corpus is read again on resume. c's fingerprint takes in the bytes read.
 * *lines: the lines read. */
static rnnlm_status read_lines(rnnlm_corpus *c, const char *path, const char *brown, size_t max_line,
                               size_t *lines, rnnlm_err *err) {
    rnnlm_lines *r;
    rnnlm_status st = rnnlm_lines_open(&r, path, max_line, err);
    if (st) return st;
    struct stat sb;
    if (fstat(r->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rnnlm_lines_close(r);
        return rnnlm_fail(err, RNNLM_E_IO, "%s: not a regular file", path);
    }
    /* the fingerprint (docs/FORMAT.md, data.* keys) of the bytes as the reader
     * reads them: a text file's bytes; a Brown file's name, size and bytes,
     * chained onto the files before it */
    if (brown) r->hash = fnv1a64_u64(fnv1a64(c->hash, brown, strlen(brown) + 1), (uint64_t)sb.st_size);
    const char *buf;
    size_t len;
    while (!(st = rnnlm_lines_next(r, &buf, &len, err)) && buf) {
        const unsigned char *s = (const unsigned char *)buf;
        if ((st = corpus_check_line(path, r->lineno, buf, len, max_line, err))) break;
        for (size_t p = 0; p < len && !st;) {
            while (p < len && is_space(s[p])) p++;
            if (p == len) break;
            size_t q = p;
            while (q < len && !is_space(s[q])) q++;
            size_t wl = q - p;
            if (brown) {   /* the word is everything before the last '/' */
                const char *slash = memrchr(buf + p, '/', wl);
                if (slash) wl = (size_t)(slash - (buf + p));
            }
            st = corpus_add_token(c, buf + p, wl, err);
            p = q;
        }
        if (st || (st = corpus_end_sentence(c, err))) break;
    }
    *lines = r->lineno;
    if (!st && brown && gzdirect(r->gz) && r->bytes != (uint64_t)sb.st_size)
        st = rnnlm_fail(err, RNNLM_E_IO, "%s: changed while it was read", path);
    c->bytes += r->bytes;
    c->hash = r->hash;
    rnnlm_lines_close(r);
    return st;
}

rnnlm_status rnnlm_corpus_read_text(rnnlm_corpus **out, const char *path, size_t max_line,
                                    rnnlm_err *err) {
    rnnlm_corpus *c;
    rnnlm_status st = corpus_new(&c, err);
    if (st) return st;
    size_t lines = 0;
    st = read_lines(c, path, NULL, max_line ? max_line : RNNLM_MAX_LINE_DEFAULT, &lines, err);
    if (!st && lines == 0) st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: file is empty", path);
    if (!st && c->n_sents == 0)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: no sentences (every line is blank)", path);
    if (st) { rnnlm_corpus_free(c); return st; }
    *out = c;
    return RNNLM_OK;
}

static int is_brown_name(const char *n) {
    return strlen(n) == 4 && n[0] == 'c' && n[1] >= 'a' && n[1] <= 'r' && n[2] >= '0' &&
           n[2] <= '9' && n[3] >= '0' && n[3] <= '9';
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

rnnlm_status rnnlm_corpus_read_brown(rnnlm_corpus **out, const char *dir, rnnlm_err *err) {
    DIR *d = opendir(dir);
    if (!d)
        return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot open the Brown corpus directory: %s "
                          "(run scripts/setup.sh to fetch it)", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    rnnlm_status st = RNNLM_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_brown_name(e->d_name)) continue;
        if ((st = rnnlm_grow((void **)&names, &cap, n + 1, sizeof *names, "file list", err))) break;
        if (!(names[n] = strdup(e->d_name))) { st = rnnlm_fail(err, RNNLM_E_NOMEM, "file list"); break; }
        n++;
    }
    closedir(d);
    rnnlm_corpus *c = NULL;
    if (!st && n == 0)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: no Brown files (ca01 ... cr09) in this directory", dir);
    if (!st) {
        qsort(names, n, sizeof *names, cmp_str);
        if (!(st = corpus_new(&c, err))) c->hash = FNV1A64_INIT;
    }
    for (size_t i = 0; !st && i < n; i++) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path) {
            st = rnnlm_fail(err, RNNLM_E_ARG, "%s: path too long", dir);
            break;
        }
        size_t lines;
        st = read_lines(c, path, names[i], RNNLM_MAX_LINE_DEFAULT, &lines, err);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    if (st) { rnnlm_corpus_free(c); return st; }
    *out = c;
    return RNNLM_OK;
}

rnnlm_status rnnlm_corpus_toy(rnnlm_corpus **out, rnnlm_err *err) {
    static const char *toy[] = {"<s>", "Mary", "had", "a", "little", "lamb", ".", "<s>",
                                "The", "lamb", "was", "white", "as", "snow", ".", "<s>"};
    rnnlm_corpus *c;
    rnnlm_status st = corpus_new(&c, err);
    for (size_t i = 0; !st && i < sizeof toy / sizeof *toy; i++)
        st = corpus_add_token(c, toy[i], strlen(toy[i]), err);
    if (!st) st = corpus_end_sentence(c, err);
    if (st) { rnnlm_corpus_free(c); return st; }
    *out = c;
    return RNNLM_OK;
}
