/* linereader.c: the bounded line reader every reader of text uses
 * (rnnlm_lines, rnnlm.h). It holds at most max_line + 2 bytes: when the
 * line being read has more than max_line bytes and still no '\n', it stops
 * there with an error instead of reading on (a getline() loop reads the whole
 * line into memory first, so `/dev/zero` grows without bound); and a failed
 * read() is an error, never the end of the input. Bytes come through zlib,
 * so a gzip-compressed file reads as its text (a gzip stream cut short is
 * an error) and a plain one as itself. */
#include "core/linereader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the first buffer; it doubles up to max_line + 2 as long lines need */
#define LINES_FIRST_CAP ((size_t)64 << 10)

static rnnlm_status lines_new(rnnlm_lines **out, int fd, int own_fd, const char *name, size_t max_line,
                              rnnlm_err *err) {
    if (max_line == 0) max_line = RNNLM_MAX_LINE_DEFAULT;
    if (max_line > SIZE_MAX / 4)
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: line limit %zu is too large", name, max_line);
    rnnlm_lines *r = rnnlm_calloc(1, sizeof *r, "line reader", err);
    if (!r) return RNNLM_E_NOMEM;
    size_t n = strlen(name);
    r->name = rnnlm_calloc(n + 1, 1, "line reader", err);
    r->cap = max_line + 2 < LINES_FIRST_CAP ? max_line + 2 : LINES_FIRST_CAP;
    r->buf = r->name ? rnnlm_calloc(r->cap, 1, "line buffer", err) : NULL;
    if (!r->buf) {
        free(r->name);
        free(r);
        return RNNLM_E_NOMEM;
    }
    memcpy(r->name, name, n + 1);
    /* zlib closes the descriptor it is given: a borrowed one is duplicated */
    int zfd = own_fd ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 0);
    r->gz = zfd >= 0 ? gzdopen(zfd, "rb") : NULL;
    if (!r->gz) {
        if (zfd >= 0 && !own_fd) close(zfd);
        free(r->buf);
        free(r->name);
        free(r);
        return rnnlm_fail(err, zfd < 0 ? RNNLM_E_IO : RNNLM_E_NOMEM, "%s: cannot set up the reader: %s", name,
                          zfd < 0 ? strerror(errno) : "zlib");
    }
    gzbuffer(r->gz, 128u << 10);   /* zlib's reads: larger than its default 8 KiB, for big files */
    r->fd = fd;
    r->own_fd = own_fd;
    r->max_line = max_line;
    r->hash = FNV1A64_INIT;
    *out = r;
    return RNNLM_OK;
}

rnnlm_status rnnlm_lines_open(rnnlm_lines **out, const char *path, size_t max_line, rnnlm_err *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot open: %s", path, strerror(errno));
    rnnlm_status st = lines_new(out, fd, 1, path, max_line, err);
    if (st) close(fd);   /* a reader that failed to start never holds fd */
    return st;
}

rnnlm_status rnnlm_lines_open_fd(rnnlm_lines **out, int fd, const char *name, size_t max_line,
                                 rnnlm_err *err) {
    *out = NULL;
    if (fd < 0) return rnnlm_fail(err, RNNLM_E_ARG, "%s: no file descriptor", name);
    return lines_new(out, fd, 0, name, max_line, err);
}

void rnnlm_lines_close(rnnlm_lines *r) {
    if (!r) return;
    gzclose(r->gz);   /* closes fd, or the duplicate of a borrowed one */
    free(r->buf);
    free(r->name);
    free(r);
}

size_t rnnlm_lines_lineno(const rnnlm_lines *r) { return r->lineno; }

static rnnlm_status lines_fail(rnnlm_lines *r, rnnlm_status st) {
    r->failed = 1;
    return st;
}

static rnnlm_status too_long(rnnlm_lines *r, rnnlm_err *err) {
    return lines_fail(r, rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: line longer than %zu bytes", r->name,
                                    r->lineno + 1, r->max_line));
}

rnnlm_status rnnlm_lines_next(rnnlm_lines *r, const char **line, size_t *len, rnnlm_err *err) {
    *line = NULL;
    *len = 0;
    if (r->failed)
        return rnnlm_fail(err, RNNLM_E_STATE, "%s: read on after an error", r->name);
    for (;;) {
        char *nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
        if (nl) {
            size_t n = (size_t)(nl - (r->buf + r->start));
            if (n > r->max_line) return too_long(r, err);
            *nl = '\0';
            *line = r->buf + r->start;
            *len = n;
            r->start = r->scan = (size_t)(nl - r->buf) + 1;
            r->lineno++;
            return RNNLM_OK;
        }
        r->scan = r->end;
        size_t have = r->end - r->start;
        if (have > r->max_line) return too_long(r, err);
        if (r->eof) {
            if (have == 0) return RNNLM_OK;   /* the end */
            r->buf[r->end] = '\0';            /* a last line without '\n'; end < cap (below) */
            *line = r->buf + r->start;
            *len = have;
            r->start = r->scan = r->end;
            r->lineno++;
            return RNNLM_OK;
        }
        /* room to read into, always one byte kept for the NUL */
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, have);
            r->start = 0;
            r->end = r->scan = have;
        }
        if (r->end + 1 >= r->cap) {   /* have <= max_line here, so cap < max_line + 2 */
            size_t cap = r->cap * 2 < r->max_line + 2 ? r->cap * 2 : r->max_line + 2;
            char *b = realloc(r->buf, cap);
            if (!b)
                return lines_fail(r, rnnlm_fail(err, RNNLM_E_NOMEM, "%s:%zu: cannot allocate %zu bytes for a line",
                                                r->name, r->lineno + 1, cap));
            r->buf = b;
            r->cap = cap;
        }
        size_t room = r->cap - 1 - r->end;
        int k = gzread(r->gz, r->buf + r->end, room < (1u << 30) ? (unsigned)room : 1u << 30);
        int zerr = Z_OK;
        const char *zmsg = k <= 0 ? gzerror(r->gz, &zerr) : "";
        if (k < 0)
            return lines_fail(r, rnnlm_fail(err, zerr == Z_ERRNO ? RNNLM_E_IO : RNNLM_E_FORMAT,
                                            "%s:%zu: read error: %s", r->name, r->lineno + 1,
                                            zerr == Z_ERRNO ? strerror(errno) : zmsg));
        if (k == 0 && zerr == Z_BUF_ERROR)
            return lines_fail(r, rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: truncated gzip stream (the file ends "
                                            "inside it)", r->name, r->lineno + 1));
        if (k == 0) r->eof = 1;
        else {
            r->hash = fnv1a64(r->hash, r->buf + r->end, (size_t)k);
            r->bytes += (uint64_t)k;
            r->end += (size_t)k;
        }
    }
}

int lines_next_text(rnnlm_lines *r, char **line, size_t *len, rnnlm_err *err) {
    const char *l;
    size_t n;
    if (rnnlm_lines_next(r, &l, &n, err)) return -1;
    if (!l) return 0;
    char *s = r->buf + (size_t)(l - r->buf);   /* the reader's own buffer */
    if (n > 0 && s[n - 1] == '\r') s[--n] = '\0';
    if (rnnlm_text_check_line(r->name, r->lineno, s, n, r->max_line, err)) return lines_fail(r, -1);
    *line = s;
    *len = n;
    return 1;
}
