/* csvlog.c: the CSV scalar log (see csvlog.h). */
#include "io/csvlog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
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

static double monotonic_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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
    c->last_sync = monotonic_now();
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
    if (!st && monotonic_now() - c->last_sync > CSVLOG_FLUSH_SECONDS) st = sync_now(c, err);
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
    c->last_sync = monotonic_now();
    *out = c;
    return RNNLM_OK;
}
