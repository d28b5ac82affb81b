/* csvlog.c: the CSV scalar log (see csvlog.h): the writer, then the reader. */
#include "io/csvlog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "core/elapsed.h"
#include "io/tfevents.h"

struct csvlog {
    int fd;
    char *path;
    char *row;        /* the row being formatted */
    size_t cap;       /* bytes in row */
    size_t len;       /* bytes used in row */
    double last_sync; /* monotonic seconds */
    bool dirty;
};

const char *csvlog_path(const csvlog *c) { return c->path; }

/* Appends s[0..n) whole or not at all. A row normally goes in one write();
 * when the kernel takes only part of it (a full disk, a file size limit) the
 * rest is tried, and if that fails the file is cut back to where the row
 * began, so no torn row stays behind, and the error is reported. */
static rnnlm_status write_row(csvlog *c, const char *s, size_t n, rnnlm_err *err) {
    off_t start = lseek(c->fd, 0, SEEK_END);
    if (start < 0) return rnnlm_fail(err, RNNLM_E_IO, "%s: %s", c->path, strerror(errno));
    size_t done = 0;
    while (done < n) {
        ssize_t k = write(c->fd, s + done, n - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            int e = k < 0 ? errno : ENOSPC;
            if (done && ftruncate(c->fd, start) != 0)
                return rnnlm_fail(err, RNNLM_E_IO, "%s: write failed (%s) and the partial row could "
                                  "not be removed: %s", c->path, strerror(e), strerror(errno));
            return rnnlm_fail(err, RNNLM_E_IO, "%s: write failed, the row was not written: %s", c->path,
                              strerror(e));
        }
        done += (size_t)k;
    }
    c->dirty = true;
    return RNNLM_OK;
}

static rnnlm_status sync_now(csvlog *c, rnnlm_err *err) {
    c->last_sync = elapsed_now();
    if (!c->dirty) return RNNLM_OK;
    if (fdatasync(c->fd) != 0)
        return rnnlm_fail(err, RNNLM_E_IO, "%s: fdatasync failed: %s", c->path, strerror(errno));
    c->dirty = false;
    return RNNLM_OK;
}

/* ---- row formatting into c->row ------------------------------------------ */

static rnnlm_status row_put(csvlog *c, const char *s, size_t n, rnnlm_err *err) {
    size_t need;
    if (!size_add(c->len, n, &need) || !size_add(need, 1, &need))
        return rnnlm_fail(err, RNNLM_E_NOMEM, "%s: row too long", c->path);
    rnnlm_status st = rnnlm_grow((void **)&c->row, &c->cap, need, 1, "csv row", err);
    if (st) return st;
    memcpy(c->row + c->len, s, n);
    c->len += n;
    c->row[c->len] = '\0';
    return RNNLM_OK;
}

static rnnlm_status row_printf(csvlog *c, rnnlm_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static rnnlm_status row_printf(csvlog *c, rnnlm_err *err, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: number does not format", c->path);
    return row_put(c, tmp, (size_t)n, err);
}

/* A field, quoted when it holds a separator, a quote or a line break. */
static rnnlm_status row_field(csvlog *c, const char *s, rnnlm_err *err) {
    if (!strpbrk(s, ",\"\r\n")) return row_put(c, s, strlen(s), err);
    rnnlm_status st = row_put(c, "\"", 1, err);
    for (const char *q; !st && (q = strchr(s, '"')); s = q + 1) {
        st = row_put(c, s, (size_t)(q - s) + 1, err);
        if (!st) st = row_put(c, "\"", 1, err); /* "" inside quotes */
    }
    if (!st) st = row_put(c, s, strlen(s), err);
    if (!st) st = row_put(c, "\"", 1, err);
    return st;
}

rnnlm_status csvlog_scalar(csvlog *c, const char *run, const char *tag, int64_t step,
                           float value, double wall_time, rnnlm_err *err) {
    if (!c) return rnnlm_fail(err, RNNLM_E_ARG, "csvlog_scalar: no log");
    if (!run || !*run || !tag || !*tag)
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: empty run or tag", c->path);
    c->len = 0;
    rnnlm_status st = row_printf(c, err, "%.6f,", wall_time);
    if (!st) st = row_field(c, run, err);
    if (!st) st = row_printf(c, err, ",%" PRId64 ",", step);
    if (!st) st = row_field(c, tag, err);
    if (!st) st = row_printf(c, err, ",%.9g\n", (double)value);
    if (!st) st = write_row(c, c->row, c->len, err);
    if (!st && elapsed_now() - c->last_sync > CSVLOG_FLUSH_SECONDS) st = sync_now(c, err);
    return st;
}

rnnlm_status csvlog_flush(csvlog *c, rnnlm_err *err) {
    if (!c) return rnnlm_fail(err, RNNLM_E_ARG, "csvlog_flush: no log");
    return sync_now(c, err);
}

rnnlm_status csvlog_close(csvlog *c, rnnlm_err *err) {
    if (!c) return RNNLM_OK;
    rnnlm_status st = c->fd >= 0 ? sync_now(c, err) : RNNLM_OK;
    if (c->fd >= 0 && close(c->fd) != 0 && st == RNNLM_OK)
        st = rnnlm_fail(err, RNNLM_E_IO, "%s: close failed: %s", c->path, strerror(errno));
    free(c->row);
    free(c->path);
    free(c);
    return st;
}

/* ---- opening --------------------------------------------------------------- */

/* An existing log: its header must be ours; a torn last row (no final newline,
 * left by a crash) is cut off so the next row starts on a line of its own. */
static rnnlm_status adopt_existing(csvlog *c, off_t size, rnnlm_err *err) {
    const size_t hlen = sizeof CSVLOG_HEADER; /* header and its newline */
    char head[sizeof CSVLOG_HEADER];
    ssize_t k = pread(c->fd, head, hlen, 0);
    if (k < 0) return rnnlm_fail(err, RNNLM_E_IO, "%s: %s", c->path, strerror(errno));
    if ((size_t)k < hlen || memcmp(head, CSVLOG_HEADER "\n", hlen) != 0)
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s: not an rnnlm scalar log (its first line is not \"%s\"); "
                          "choose another path or move the file away", c->path, CSVLOG_HEADER);
    /* find the last newline, reading backwards in blocks */
    char blk[4096];
    off_t end = size;
    while (end > 0) {
        off_t from = end > (off_t)sizeof blk ? end - (off_t)sizeof blk : 0;
        k = pread(c->fd, blk, (size_t)(end - from), from);
        if (k != end - from)
            return rnnlm_fail(err, RNNLM_E_IO, "%s: read failed: %s", c->path,
                              k < 0 ? strerror(errno) : "short read");
        for (off_t i = end - from; i > 0; i--)
            if (blk[i - 1] == '\n') {
                off_t keep = from + i;
                if (keep != size && ftruncate(c->fd, keep) != 0)
                    return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot cut a torn row: %s",
                                      c->path, strerror(errno));
                return RNNLM_OK;
            }
        end = from;
    }
    return RNNLM_OK; /* unreachable: the header ends in a newline */
}

rnnlm_status csvlog_open(csvlog **out, const char *path, rnnlm_err *err) {
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "csvlog_open: no output pointer");
    *out = NULL;
    if (!path || !*path) return rnnlm_fail(err, RNNLM_E_ARG, "csv log: empty path");
    csvlog *c = rnnlm_calloc(1, sizeof *c, "csv log", err);
    if (!c) return RNNLM_E_NOMEM;
    c->fd = -1;
    size_t n = strlen(path);
    c->path = rnnlm_calloc(n + 1, 1, "csv log path", err);
    if (!c->path) {
        free(c);
        return RNNLM_E_NOMEM;
    }
    memcpy(c->path, path, n + 1);

    rnnlm_status st = RNNLM_OK;
    char *slash = strrchr(c->path, '/');
    if (slash && slash != c->path) {
        *slash = '\0';
        st = tfevents_mkdir_p(c->path, err);
        *slash = '/';
    }
    if (!st) {
        /* O_NOFOLLOW: the log is appended to in place, so a symbolic link
         * planted at its name is refused, never written through */
        c->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
        if (c->fd < 0 && errno == ELOOP)
            st = rnnlm_fail(err, RNNLM_E_IO, "csv log %s: a symbolic link; refusing to follow it", path);
        else if (c->fd < 0)
            st = rnnlm_fail(err, RNNLM_E_IO, "cannot open csv log %s: %s", path, strerror(errno));
    }
    struct stat sb;
    if (!st && fstat(c->fd, &sb) != 0)
        st = rnnlm_fail(err, RNNLM_E_IO, "%s: %s", path, strerror(errno));
    if (!st && !S_ISREG(sb.st_mode))
        st = rnnlm_fail(err, RNNLM_E_IO, "%s: not a regular file", path);
    if (!st && sb.st_size > 0) st = adopt_existing(c, sb.st_size, err);
    if (!st && sb.st_size == 0) st = write_row(c, CSVLOG_HEADER "\n", sizeof CSVLOG_HEADER, err);
    if (st) {
        csvlog_close(c, NULL);
        return st;
    }
    c->last_sync = elapsed_now();
    *out = c;
    return RNNLM_OK;
}

/* ==== the reader ============================================================= */

struct csvlog_reader {
    FILE *f;
    char *path;
    size_t line;                       /* line the next character is on */
    char field[CSVLOG_NFIELDS][CSVLOG_MAX_FIELD + 1];
    size_t len[CSVLOG_NFIELDS];
    int nf;                            /* fields in the record */
    int terminated;                    /* the record ended with a line break */
};

/* A separator or line end outside quotes: 1 when it ends the record (a line
 * break, CRLF read as one), 0 when it starts the next field. */
static rnnlm_status csv_separator(csvlog_reader *r, int c, size_t start, int *ends, rnnlm_err *err) {
    if (c == '\r') {
        int d = getc(r->f);
        if (d != '\n')
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: carriage return not followed by a line break",
                              r->path, r->line);
        c = '\n';
    }
    *ends = c == '\n';
    if (*ends) {
        r->line++;
        r->terminated = 1;
        return RNNLM_OK;
    }
    if (r->nf == CSVLOG_NFIELDS)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: more than %d fields (expected " CSVLOG_HEADER ")",
                          r->path, start, CSVLOG_NFIELDS);
    r->len[r->nf++] = 0;
    return RNNLM_OK;
}

/* Reads one record into r->field; *eof = 1 (and nothing read) at the end of
 * the file. *line_out is the line the record starts on. */
static rnnlm_status csv_record(csvlog_reader *r, int *eof, size_t *line_out, rnnlm_err *err) {
    *eof = 0;
    *line_out = r->line;
    r->nf = 1;
    r->len[0] = 0;
    r->terminated = 0;
    int c = getc(r->f);
    if (c == EOF) {
        if (ferror(r->f)) return rnnlm_fail(err, RNNLM_E_IO, "%s: read failed: %s", r->path, strerror(errno));
        *eof = 1;
        return RNNLM_OK;
    }
    int quoted = 0, closed = 0, at_start = 1;
    for (;; c = getc(r->f)) {
        if (c == EOF) {
            if (ferror(r->f))
                return rnnlm_fail(err, RNNLM_E_IO, "%s: read failed: %s", r->path, strerror(errno));
            if (quoted && !closed)
                return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: unterminated quoted field", r->path, *line_out);
            return RNNLM_OK;
        }
        if (c == '\0') return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: NUL byte", r->path, r->line);
        int f = r->nf - 1;
        if (quoted && !closed) {
            if (c == '"') {
                int d = getc(r->f);
                if (d == '"') {
                    c = '"';          /* a doubled quote stands for one */
                } else {
                    closed = 1;
                    if (d != EOF) ungetc(d, r->f);
                    continue;
                }
            }
            if (c == '\n') r->line++;
        } else if (c == ',' || c == '\n' || c == '\r') {
            int ends;
            rnnlm_status st = csv_separator(r, c, *line_out, &ends, err);
            if (st || ends) return st;
            quoted = closed = 0;
            at_start = 1;
            continue;
        } else if (closed) {
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: text after a closing quote", r->path, r->line);
        } else if (c == '"') {
            if (!at_start)
                return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: quote inside an unquoted field", r->path, r->line);
            quoted = 1;
            at_start = 0;
            continue;
        }
        at_start = 0;
        if (r->len[f] >= CSVLOG_MAX_FIELD)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: field longer than %d bytes", r->path, *line_out,
                              CSVLOG_MAX_FIELD);
        r->field[f][r->len[f]++] = (char)c;
    }
}

static int parse_double(const char *s, double *out) {
    if (!*s) return 0;
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return *end == '\0' && !(errno == ERANGE && fabs(*out) < 1); /* overflow reads as inf */
}

static int parse_int64(const char *s, int64_t *out) {
    if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9'))) return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || errno == ERANGE) return 0;
    *out = v;
    return 1;
}

/* Checks a record's fields; fills the row or explains what is wrong. */
static int check_row(csvlog_reader *r, csvlog_row *row, const char **why) {
    for (int i = 0; i < r->nf; i++) r->field[i][r->len[i]] = '\0';
    if (r->nf != CSVLOG_NFIELDS) {
        *why = "wrong number of fields";
        return 0;
    }
    if (!parse_double(r->field[0], &row->wall_time)) { *why = "wall_time is not a number"; return 0; }
    if (!r->len[1]) { *why = "empty run"; return 0; }
    if (!parse_int64(r->field[2], &row->step)) { *why = "step is not an integer"; return 0; }
    if (!r->len[3]) { *why = "empty tag"; return 0; }
    if (!parse_double(r->field[4], &row->value)) { *why = "value is not a number"; return 0; }
    row->run = r->field[1];
    row->tag = r->field[3];
    return 1;
}

/* The record read is the header: CSVLOG_HEADER's names, one per field. */
static int is_header(const csvlog_reader *r) {
    if (r->nf != CSVLOG_NFIELDS) return 0;
    const char *h = CSVLOG_HEADER;
    for (int i = 0; i < r->nf; i++) {
        size_t n = strcspn(h, ",");
        if (r->len[i] != n || memcmp(r->field[i], h, n) != 0) return 0;
        h += n + (h[n] == ',');
    }
    return *h == '\0';
}

rnnlm_status csvlog_reader_open(csvlog_reader **out, const char *path, rnnlm_err *err) {
    if (!out || !path) return rnnlm_fail(err, RNNLM_E_ARG, "csvlog_reader_open: no reader or path");
    *out = NULL;
    csvlog_reader *r = rnnlm_calloc(1, sizeof *r, "csv reader", err);
    if (!r) return RNNLM_E_NOMEM;
    size_t n = strlen(path);
    r->path = rnnlm_calloc(n + 1, 1, "csv reader path", err);
    if (!r->path) {
        free(r);
        return RNNLM_E_NOMEM;
    }
    memcpy(r->path, path, n + 1);
    r->line = 1;
    r->f = fopen(path, "rb");
    if (!r->f) {
        rnnlm_status st = rnnlm_fail(err, RNNLM_E_IO, "cannot open scalar log %s: %s", path, strerror(errno));
        csvlog_reader_close(r);
        return st;
    }
    int eof;
    size_t line;
    rnnlm_status st = csv_record(r, &eof, &line, err);
    if (!st && eof)
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: empty file (expected the header " CSVLOG_HEADER ")", path);
    if (!st && !is_header(r))
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: not an rnnlm scalar log (expected the header " CSVLOG_HEADER ")",
                        path);
    if (st) {
        csvlog_reader_close(r);
        return st;
    }
    *out = r;
    return RNNLM_OK;
}

rnnlm_status csvlog_reader_next(csvlog_reader *r, csvlog_row *row, int *eof, rnnlm_err *err) {
    *eof = 0;
    for (;;) {
        size_t line;
        int end;
        rnnlm_status st = csv_record(r, &end, &line, err);
        /* an unterminated last line is a row being written: dropped when it
         * does not parse */
        int torn = !r->terminated && r->line == line;
        if (st && torn && feof(r->f)) {
            end = 1;
            st = RNNLM_OK;
        }
        if (st) return st;
        if (end) {
            *eof = 1;
            return RNNLM_OK;
        }
        if (r->nf == 1 && r->len[0] == 0) continue;  /* blank line */
        const char *why;
        if (check_row(r, row, &why)) {
            row->line = line;
            return RNNLM_OK;
        }
        if (torn) {
            *eof = 1;
            return RNNLM_OK;
        }
        if (r->nf != CSVLOG_NFIELDS)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: %d field%s, expected %d (" CSVLOG_HEADER ")", r->path,
                              line, r->nf, r->nf == 1 ? "" : "s", CSVLOG_NFIELDS);
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: %s", r->path, line, why);
    }
}

void csvlog_reader_close(csvlog_reader *r) {
    if (!r) return;
    if (r->f) fclose(r->f);
    free(r->path);
    free(r);
}
