/* ngram_read.c: the ARPA reader (rnnlm_ngram_load): plain or gzip, line by
 * line through the library's bounded reader (rnnlm_lines), every fault reported as
 * "path:line: cause" (docs/NGRAM.md lists what is refused). */
#include "ngram/ngram.h"
#include "core/linereader.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fields ----------------------------------------------------------------- */

static inline int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits s into at most max fields, each NUL-terminated in place; returns
 * the number of fields, or max + 1 when there are more. */
static size_t split_fields(char *s, char **f, size_t max) {
    size_t k = 0;
    for (;;) {
        while (is_space((unsigned char)*s)) s++;
        if (!*s) return k;
        if (k == max) return max + 1;
        f[k++] = s;
        while (*s && !is_space((unsigned char)*s)) s++;
        if (*s) *s++ = '\0';
    }
}

/* A decimal count (digits only, at most limit). */
static int parse_count(const char *s, const char **end, size_t limit, size_t *out) {
    size_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9') return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (!size_mul(v, 10, &v) || !size_add(v, (size_t)(*p - '0'), &v) || v > limit) return 0;
    }
    *end = p;
    *out = v;
    return 1;
}

static int parse_real(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end) return 0;
    *out = v;
    return 1;
}

/* The line, trimmed of trailing white space, equals lit. */
static int line_is(const char *s, size_t n, const char *lit) {
    while (n && is_space((unsigned char)s[n - 1])) n--;
    size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

/* "\k-grams:" -> k, else 0. */
static int section_order(const char *s, size_t n) {
    while (n && is_space((unsigned char)s[n - 1])) n--;
    if (n < 9 || s[0] != '\\' || memcmp(s + n - 7, "-grams:", 7)) return 0;
    size_t k = 0;
    for (size_t i = 1; i < n - 7; i++) {
        if (s[i] < '0' || s[i] > '9' || k > NGRAM_MAX_ORDER) return 0;
        k = k * 10 + (size_t)(s[i] - '0');
    }
    return k >= 1 && k <= NGRAM_MAX_ORDER ? (int)k : 0;
}

/* ---- the reader ------------------------------------------------------------- */

/* Fewest bytes an n-gram line of order k takes ("0 a b\n": a one-character
 * probability and words, single spaces): bounds what a plain file can hold. */
static size_t min_line_bytes(int k) { return 2 * (size_t)k + 2; }

/* The words of the previous entry line and their ids: files list n-grams
 * sorted, so most lines repeat the previous one's first words, and a
 * comparison with them saves the vocabulary's hash lookup. */
#define PREV_BYTES 1024

typedef struct {
    char text[PREV_BYTES];
    size_t off[NGRAM_MAX_ORDER], len[NGRAM_MAX_ORDER];
    uint32_t id[NGRAM_MAX_ORDER];
    int n;
} prev_words;

typedef struct {
    rnnlm_ngram *g;
    rnnlm_lines *r;   /* the file's lines (plain or gzip) */
    prev_words prev;
    size_t announced[NGRAM_MAX_ORDER];
    off_t file_size;
    int gzipped;
} reader;

/* The index of (w[i] .. w[k-1]) in order k-i, inserting fillers for the
 * suffixes the file lacks (ngram.h). */
static rnnlm_status suffix_index(rnnlm_ngram *g, const uint32_t *w, int k, int i, uint32_t *out, rnnlm_err *err) {
    uint32_t cur = w[k - 1];
    for (int j = k - 2; j >= i; j--) {
        ngram_table *t = &g->t[k - 1 - j];
        int64_t idx = ngram_find(t, cur, w[j]);
        if (idx >= 0) cur = (uint32_t)idx;
        else {
            rnnlm_status st = ngram_insert(t, cur, w[j], NAN, 0.0f, &cur, err);
            if (st) return st;
        }
    }
    *out = cur;
    return RNNLM_OK;
}

/* An entry line's fields f[0..nf) as values: the log10 probability (-99,
 * SRILM's zero, as -inf) and the optional back-off weight, in single
 * precision. */
static rnnlm_status entry_values(reader *rd, int k, char *const *f, size_t nf, float *p, float *b,
                                 rnnlm_err *err) {
    const char *path = rd->r->name;
    size_t ln = rd->r->lineno;
    if (nf < (size_t)k + 1 || nf > (size_t)k + 2)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: a %d-gram line holds a log10 probability, %d word%s and "
                          "an optional back-off weight; this one has %s%zu fields", path, ln, k, k,
                          k == 1 ? "" : "s", nf > (size_t)k + 2 ? "more than " : "",
                          nf > (size_t)k + 2 ? (size_t)k + 2 : nf);
    double prob, bow = 0;
    if (!parse_real(f[0], &prob))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: log10 probability '%s' is not a number", path, ln, f[0]);
    if (!isfinite(prob))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: log10 probability '%s' is not finite", path, ln, f[0]);
    if (prob > NGRAM_ROUNDING_LOG10)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: log10 probability %s is positive (a probability above 1)",
                          path, ln, f[0]);
    if (prob > 0) {   /* a probability of 1 written with a rounding error (IRSTLM does): 1, and counted */
        prob = 0;
        rd->g->rounded++;
    }
    if (nf == (size_t)k + 2) {
        if (k == rd->g->order)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: a back-off weight on an n-gram of the highest order %d",
                              path, ln, k);
        if (!parse_real(f[k + 1], &bow))
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: back-off weight '%s' is not a number", path, ln,
                              f[k + 1]);
        if (!isfinite(bow))
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: back-off weight '%s' is not finite", path, ln, f[k + 1]);
    }
    /* SRILM writes a zero probability (that of <s>) as -99 and reads it back as zero */
    if (prob < -FLT_MAX || fabs(bow) > FLT_MAX)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: a value outside single precision", path, ln);
    *p = prob == -99.0 ? -INFINITY : (float)prob;
    *b = (float)bow;
    return RNNLM_OK;
}

/* A 1-gram: its word interned (its id the next), its entry at that id. */
static rnnlm_status add_unigram(reader *rd, const char *word, float p, float b, rnnlm_err *err) {
    rnnlm_ngram *g = rd->g;
    ngram_table *t = &g->t[0];
    size_t len = strlen(word);
    if (strtab_find(&g->vocab, word, len) >= 0)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: duplicate 1-gram '%s'", rd->r->name, rd->r->lineno, word);
    uint32_t id;
    rnnlm_status st = strtab_intern(&g->vocab, word, len, &id, err);
    if (st) return st;
    if ((st = rnnlm_grow((void **)&t->e, &t->cap, (size_t)id + 1, sizeof *t->e, "n-gram entries", err))) return st;
    t->e[id] = (ngram_entry){.prob = p, .bow = b};
    t->n = (size_t)id + 1;
    t->listed++;
    return RNNLM_OK;
}

/* The ids of the k words words[0..k) into w: the previous line's where its
 * words repeat, else looked up (and kept for the next line). */
static rnnlm_status entry_words(reader *rd, int k, char *const *words, uint32_t *w, rnnlm_err *err) {
    prev_words *pv = &rd->prev;
    int same = 1;        /* the words so far are the previous line's */
    int keep = 1;        /* the words so far are in pv */
    size_t used = 0;
    for (int i = 0; i < k; i++) {
        size_t len = strlen(words[i]);
        if (same && i < pv->n && pv->len[i] == len && memcmp(pv->text + pv->off[i], words[i], len) == 0) {
            w[i] = pv->id[i];
            used = pv->off[i] + len;
            continue;
        }
        same = 0;
        int64_t id = strtab_find(&rd->g->vocab, words[i], len);
        if (id < 0)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: word '%s' of this %d-gram is not among the 1-grams",
                              rd->r->name, rd->r->lineno, words[i], k);
        w[i] = (uint32_t)id;
        if (keep && used + len <= PREV_BYTES) {
            memcpy(pv->text + used, words[i], len);
            pv->off[i] = used;
            pv->len[i] = len;
            pv->id[i] = w[i];
            used += len;
            pv->n = i + 1;
        } else if (keep) {
            pv->n = i;   /* what no longer fits is looked up next time */
            keep = 0;
        }
    }
    return RNNLM_OK;
}

/* One entry line of section k: "logprob w1 .. wk [bow]". */
static rnnlm_status read_entry(reader *rd, int k, char *s, rnnlm_err *err) {
    rnnlm_ngram *g = rd->g;
    char *f[NGRAM_MAX_ORDER + 2];
    size_t nf = split_fields(s, f, (size_t)k + 2);
    float p = 0, b = 0;
    rnnlm_status st = entry_values(rd, k, f, nf, &p, &b, err);
    if (st) return st;
    ngram_table *t = &g->t[k - 1];
    if (t->listed == rd->announced[k - 1])
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: more %d-grams than the %zu that \\data\\ announced",
                          rd->r->name, rd->r->lineno, k, rd->announced[k - 1]);
    if (k == 1) return add_unigram(rd, f[1], p, b, err);
    uint32_t w[NGRAM_MAX_ORDER];
    if ((st = entry_words(rd, k, f + 1, w, err))) return st;
    uint32_t suffix, idx;
    if ((st = suffix_index(g, w, k, 1, &suffix, err))) return st;
    if (ngram_find(t, suffix, w[0]) >= 0) {
        /* the words again, as they stood (split_fields cut the line) */
        char words[160];
        size_t o = 0;
        for (int i = 0; i < k && o < sizeof words; i++)
            o += (size_t)snprintf(words + o, sizeof words - o, "%s%s", i ? " " : "", f[i + 1]);
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: duplicate %d-gram '%s'", rd->r->name, rd->r->lineno, k,
                          words);
    }
    if ((st = ngram_insert(t, suffix, w[0], p, b, &idx, err))) return st;
    t->listed++;
    return RNNLM_OK;
}

/* Room for what \data\ announced for order k, but never more than the file
 * can hold: a header may announce anything. */
static rnnlm_status reserve_order(reader *rd, int k, rnnlm_err *err) {
    size_t want = rd->announced[k - 1];
    size_t bound = rd->gzipped ? (size_t)1 << 16 : (size_t)rd->file_size / min_line_bytes(k) + 1;
    if (want > bound) want = bound;
    return ngram_reserve(&rd->g->t[k - 1], want, k > 1, err);
}

static rnnlm_status check_section_count(reader *rd, int k, rnnlm_err *err) {
    size_t got = rd->g->t[k - 1].listed;
    if (got != rd->announced[k - 1])
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: the \\%d-grams: section holds %zu entries, \\data\\ announced "
                          "%zu", rd->r->name, rd->r->lineno, k, got, rd->announced[k - 1]);
    return RNNLM_OK;
}

/* One "ngram k=count" line of \data\ (p past its leading white space): k
 * and count, or a message. */
static rnnlm_status count_line(const rnnlm_lines *r, const char *p, size_t *k, size_t *count, rnnlm_err *err) {
    const char *e;
    if (strncmp(p, "ngram", 5) || !is_space((unsigned char)p[5]))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: expected 'ngram N=count' in \\data\\", r->name, r->lineno);
    p += 5;
    while (is_space((unsigned char)*p)) p++;
    if (!parse_count(p, &e, (size_t)1 << 20, k))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: expected 'ngram N=count' in \\data\\", r->name, r->lineno);
    for (p = e; is_space((unsigned char)*p); p++) {}
    if (*p++ != '=')
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: expected 'ngram N=count' in \\data\\", r->name, r->lineno);
    while (is_space((unsigned char)*p)) p++;
    if (!parse_count(p, &e, (size_t)UINT32_MAX - 2, count)) {
        if (*p >= '0' && *p <= '9')
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: count of %zu-grams above the limit of 2^32 - 2",
                              r->name, r->lineno, *k);
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: expected 'ngram N=count' in \\data\\", r->name, r->lineno);
    }
    for (p = e; is_space((unsigned char)*p); p++) {}
    if (*p) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: text after the count", r->name, r->lineno);
    return RNNLM_OK;
}

/* \data\ (anything before it ignored) and its counts, k = 1, 2, ... in
 * order, into rd->announced and g->order; *s, *n: the line after them,
 * which starts with '\'. */
static rnnlm_status read_counts(reader *rd, char **s, size_t *n, rnnlm_err *err) {
    rnnlm_lines *r = rd->r;
    int got;
    while ((got = lines_next_text(r, s, n, err)) > 0 && !line_is(*s, *n, "\\data\\")) {}
    if (got < 0) return err->status;
    if (got == 0) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: no \\data\\ line: not an ARPA file", r->name,
                                    r->lineno);
    int order = 0;
    while ((got = lines_next_text(r, s, n, err)) > 0) {
        const char *p = *s;
        while (is_space((unsigned char)*p)) p++;
        if (!*p) continue;
        if (*p == '\\') break;
        size_t k = 0, count = 0;
        rnnlm_status st = count_line(r, p, &k, &count, err);
        if (st) return st;
        if (k > NGRAM_MAX_ORDER)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: order %zu is above the limit of %d", r->name, r->lineno,
                              k, NGRAM_MAX_ORDER);
        if (k != (size_t)order + 1)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: 'ngram %zu=' where 'ngram %d=' was due (orders 1, 2, ... "
                              "in turn)", r->name, r->lineno, k, order + 1);
        if (k == 1 && count == 0)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: no 1-grams", r->name, r->lineno);
        rd->announced[order++] = count;
    }
    if (got < 0) return err->status;
    if (got == 0) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: the file ends inside \\data\\", r->name, r->lineno);
    if (!order) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: \\data\\ announces no 'ngram N=count'", r->name,
                                  r->lineno);
    rd->g->order = order;
    return RNNLM_OK;
}

static rnnlm_status parse(reader *rd, rnnlm_err *err) {
    rnnlm_lines *r = rd->r;
    char *s;
    size_t n;
    int got;
    rnnlm_status st = read_counts(rd, &s, &n, err);
    if (st) return st;
    const int order = rd->g->order;
    /* the sections; s holds a line that starts with '\' */
    for (int k = 1;; k++) {
        if (k <= order) {
            if (section_order(s, n) != k)
                return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: expected the \\%d-grams: section", r->name, r->lineno,
                                  k);
            if ((st = reserve_order(rd, k, err))) return st;
        } else {
            if (!line_is(s, n, "\\end\\"))
                return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: expected \\end\\ after the \\%d-grams: section",
                                  r->name, r->lineno, order);
            return RNNLM_OK;
        }
        while ((got = lines_next_text(r, &s, &n, err)) > 0) {
            const char *p = s;
            while (is_space((unsigned char)*p)) p++;
            if (!*p) continue;
            if (*p == '\\') break;
            if ((st = read_entry(rd, k, s, err))) return st;
        }
        if (got < 0) return err->status;
        if (got == 0)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: the file ends in the \\%d-grams: section, before \\end\\",
                              r->name, r->lineno, k);
        if ((st = check_section_count(rd, k, err))) return st;
    }
}

rnnlm_status rnnlm_ngram_load(rnnlm_ngram **out, const char *path, rnnlm_err *err) {
    rnnlm_err local;
    if (!err) err = &local;
    if (!out || !path) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_ngram_load: NULL argument");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return rnnlm_fail(err, RNNLM_E_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    unsigned char magic[2] = {0, 0};
    if (fstat(fd, &sb) < 0 || (S_ISREG(sb.st_mode) && pread(fd, magic, 2, 0) < 0)) {
        int e = errno;
        close(fd);
        return rnnlm_fail(err, RNNLM_E_IO, "%s: %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return rnnlm_fail(err, RNNLM_E_IO, "%s: is a directory", path);
    }
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.file_size = S_ISREG(sb.st_mode) ? sb.st_size : 0;
    rd.gzipped = magic[0] == 0x1f && magic[1] == 0x8b;
    if (!S_ISREG(sb.st_mode)) rd.gzipped = 1;   /* a pipe: its size says nothing; grow as entries come */
    rnnlm_status st = rnnlm_lines_open_fd(&rd.r, fd, path, RNNLM_MAX_LINE_DEFAULT, err);
    close(fd);   /* the reader reads a duplicate of it */
    if (st) return st;
    st = RNNLM_E_NOMEM;
    rd.g = rnnlm_calloc(1, sizeof *rd.g, "n-gram model", err);
    if (rd.g) {
        strtab_init(&rd.g->vocab);
        st = parse(&rd, err);
    }
    rnnlm_lines_close(rd.r);
    if (st) {
        rnnlm_ngram_free(rd.g);
        return st;
    }
    rnnlm_ngram *g = rd.g;
    int64_t id;
    g->bos = (id = strtab_find(&g->vocab, "<s>", 3)) >= 0 ? (int32_t)id : -1;
    g->eos = (id = strtab_find(&g->vocab, "</s>", 4)) >= 0 ? (int32_t)id : -1;
    g->unk = (id = strtab_find(&g->vocab, "<unk>", 5)) >= 0 ? (int32_t)id : -1;
    *out = g;
    return RNNLM_OK;
}
