/* report.c: the CSV scalar log read back and drawn as an SVG (see report.h).
 * Three parts: the CSV reader (RFC 4180 records, one row per scalar), the
 * axis helpers (nice ticks, bucket averaging, batch-to-epoch mapping), and
 * the SVG writer (a grid of panels, two per row). */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>


/* The header line of a run's CSV scalar log (docs/FORMAT.md). */
#define CSVLOG_HEADER "wall_time,run,step,tag,value"

/* ==== the parsed log ======================================================== */

static char *dup_str(const char *s, rnnlm_err *err) {
    size_t n = strlen(s);
    char *d = rnnlm_calloc(n + 1, 1, "report string", err);
    if (d) memcpy(d, s, n + 1);
    return d;
}

void report_log_free(report_log *log) {
    if (!log) return;
    for (size_t i = 0; i < log->n_series; i++) {
        free(log->series[i].run);
        free(log->series[i].tag);
        free(log->series[i].step);
        free(log->series[i].value);
    }
    free(log->series);
    free(log->knots);
    free(log->source);
    memset(log, 0, sizeof *log);
}

static int is_per_epoch(const char *run, const char *tag) {
    return strncmp(tag, "epoch_", 6) == 0 || strcmp(run, "validation") == 0;
}

static rnnlm_status find_series(report_log *log, const char *run, const char *tag, report_series **out,
                                rnnlm_err *err) {
    for (size_t i = 0; i < log->n_series; i++)
        if (strcmp(log->series[i].run, run) == 0 && strcmp(log->series[i].tag, tag) == 0) {
            *out = &log->series[i];
            return RNNLM_OK;
        }
    rnnlm_status st = rnnlm_grow((void **)&log->series, &log->cap_series, log->n_series + 1,
                                 sizeof *log->series, "report series", err);
    if (st) return st;
    report_series *s = &log->series[log->n_series];
    memset(s, 0, sizeof *s);
    s->run = dup_str(run, err);
    s->tag = s->run ? dup_str(tag, err) : NULL;
    if (!s->tag) {
        free(s->run);
        return RNNLM_E_NOMEM;
    }
    s->per_epoch = is_per_epoch(run, tag);
    log->n_series++;
    *out = s;
    return RNNLM_OK;
}

rnnlm_status report_log_add(report_log *log, const char *run, const char *tag, int64_t step,
                            double value, rnnlm_err *err) {
    if (!log || !run || !*run || !tag || !*tag)
        return rnnlm_fail(err, RNNLM_E_ARG, "report_log_add: no log, run or tag");
    report_series *s;
    rnnlm_status st = find_series(log, run, tag, &s, err);
    if (st) return st;
    size_t cap = s->cap;
    st = rnnlm_grow((void **)&s->step, &cap, s->n + 1, sizeof *s->step, "report steps", err);
    if (st) return st;
    cap = s->cap;
    st = rnnlm_grow((void **)&s->value, &cap, s->n + 1, sizeof *s->value, "report values", err);
    if (st) return st;
    s->cap = cap;
    s->step[s->n] = step;
    s->value[s->n] = value;
    s->n++;
    log->n_rows++;
    return RNNLM_OK;
}

/* ==== the CSV reader ======================================================== */

enum { NFIELDS = 5 };

typedef struct {
    FILE *f;
    const char *path;
    size_t line;                       /* line the next character is on */
    char field[NFIELDS][REPORT_MAX_FIELD + 1];
    size_t len[NFIELDS];
    int nf;                            /* fields in the record */
    int terminated;                    /* the record ended with a line break */
} csv_reader;

/* Reads one record into r->field; *eof = 1 (and nothing read) at the end of
 * the file. *line_out is the line the record starts on. */
static rnnlm_status csv_record(csv_reader *r, int *eof, size_t *line_out, rnnlm_err *err) {
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
            if (c == '\r') {
                int d = getc(r->f);
                if (d != '\n')
                    return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: carriage return not followed by a line break",
                                      r->path, r->line);
                c = '\n';
            }
            if (c == '\n') {
                r->line++;
                r->terminated = 1;
                return RNNLM_OK;
            }
            if (r->nf == NFIELDS)
                return rnnlm_fail(err, RNNLM_E_FORMAT,
                                  "%s:%zu: more than %d fields (expected " CSVLOG_HEADER ")", r->path,
                                  *line_out, NFIELDS);
            r->len[r->nf++] = 0;
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
        if (r->len[f] >= REPORT_MAX_FIELD)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: field longer than %d bytes", r->path, *line_out,
                              REPORT_MAX_FIELD);
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

/* Checks a record's fields; fills the values or explains what is wrong. */
static int check_row(csv_reader *r, double *wall, int64_t *step, double *value, const char **why) {
    for (int i = 0; i < r->nf; i++) r->field[i][r->len[i]] = '\0';
    if (r->nf != NFIELDS) {
        *why = "wrong number of fields";
        return 0;
    }
    if (!parse_double(r->field[0], wall)) { *why = "wall_time is not a number"; return 0; }
    if (!r->len[1]) { *why = "empty run"; return 0; }
    if (!parse_int64(r->field[2], step)) { *why = "step is not an integer"; return 0; }
    if (!r->len[3]) { *why = "empty tag"; return 0; }
    if (!parse_double(r->field[4], value)) { *why = "value is not a number"; return 0; }
    return 1;
}

/* The knots (report.h): on the first row of a new epoch e, epoch e ended after
 * the largest batch step read so far. */
static rnnlm_status note_epoch(report_log *log, int64_t epoch, int64_t max_batch, rnnlm_err *err) {
    double last_b = log->n_knots ? log->knots[log->n_knots - 1].batch : 0;
    double last_e = log->n_knots ? log->knots[log->n_knots - 1].epoch : 0;
    if (epoch < 0 || max_batch < 0 || (double)epoch <= last_e || (double)max_batch <= last_b) return RNNLM_OK;
    rnnlm_status st = rnnlm_grow((void **)&log->knots, &log->cap_knots, log->n_knots + 1, sizeof *log->knots,
                                 "report epoch boundaries", err);
    if (st) return st;
    log->knots[log->n_knots++] = (report_knot){(double)max_batch, (double)epoch};
    return RNNLM_OK;
}

rnnlm_status report_log_read(report_log *log, const char *csv_path, rnnlm_err *err) {
    if (!log || !csv_path) return rnnlm_fail(err, RNNLM_E_ARG, "report_log_read: no log or path");
    memset(log, 0, sizeof *log);
    log->source = dup_str(csv_path, err);
    if (!log->source) return RNNLM_E_NOMEM;
    csv_reader *r = rnnlm_calloc(1, sizeof *r, "csv reader", err);
    if (!r) return RNNLM_E_NOMEM;
    r->path = csv_path;
    r->line = 1;
    r->f = fopen(csv_path, "rb");
    rnnlm_status st = RNNLM_OK;
    if (!r->f) {
        st = rnnlm_fail(err, RNNLM_E_IO, "cannot open scalar log %s: %s", csv_path, strerror(errno));
        free(r);
        return st;
    }
    int eof;
    size_t line;
    st = csv_record(r, &eof, &line, err);
    if (!st && eof) st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: empty file (expected the header " CSVLOG_HEADER ")", csv_path);
    if (!st) {
        static const char *names[NFIELDS] = {"wall_time", "run", "step", "tag", "value"};
        int ok = r->nf == NFIELDS;
        for (int i = 0; ok && i < NFIELDS; i++) {
            r->field[i][r->len[i]] = '\0';
            ok = strcmp(r->field[i], names[i]) == 0;
        }
        if (!ok)
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:1: not an rnnlm scalar log (expected the header " CSVLOG_HEADER ")",
                            csv_path);
    }
    int64_t max_batch = -1;
    while (!st) {
        st = csv_record(r, &eof, &line, err);
        if (st && !r->terminated && feof(r->f) && r->line == line) {   /* a torn last line */
            st = RNNLM_OK;
            break;
        }
        if (st || eof) break;
        if (r->nf == 1 && r->len[0] == 0) continue;  /* blank line */
        double wall, value;
        int64_t step;
        const char *why;
        if (!check_row(r, &wall, &step, &value, &why)) {
            if (!r->terminated && r->line == line) break;   /* a torn last line */
            if (r->nf != NFIELDS)
                st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: %d field%s, expected 5 (" CSVLOG_HEADER ")",
                                csv_path, line, r->nf, r->nf == 1 ? "" : "s");
            else
                st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: %s", csv_path, line, why);
            break;
        }
        st = report_log_add(log, r->field[1], r->field[3], step, value, err);
        if (st) break;
        if (!is_per_epoch(r->field[1], r->field[3])) {
            if (step > max_batch) max_batch = step;
        } else {
            st = note_epoch(log, step, max_batch, err);
        }
    }
    fclose(r->f);
    free(r);
    return st;
}

/* ==== axis helpers ========================================================== */

static double nice_num(double x, int round_it) {
    double e = floor(log10(x));
    double f = x / pow(10, e);
    double nf;
    if (round_it) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * pow(10, e);
}

size_t report_nice_ticks(double lo, double hi, size_t target, double *first, double *step) {
    if (!isfinite(lo) || !isfinite(hi)) return 0;
    if (target < 2) target = 2;
    if (hi < lo) { double t = lo; lo = hi; hi = t; }
    if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi))) {
        double d = lo != 0 ? fabs(lo) * 0.1 : 1;
        lo -= d;
        hi += d;
    }
    double range = nice_num(hi - lo, 0);
    double st = nice_num(range / (double)(target - 1), 1);
    double a = floor(lo / st + 1e-9), b = ceil(hi / st - 1e-9);
    /* a span near DBL_MAX has no ticks a double can hold */
    if (!isfinite(range) || !isfinite(st) || !(st > 0) || !isfinite(a * st) || !isfinite(b * st)) return 0;
    *first = a * st;
    *step = st;
    return (size_t)(b - a + 0.5) + 1;
}

size_t report_downsample(const double *x, const double *y, size_t n, size_t max_points, double *ox, double *oy) {
    if (max_points == 0) return 0;
    if (n == 0) return 0;
    if (n <= max_points) {
        memcpy(ox, x, n * sizeof *x);
        memcpy(oy, y, n * sizeof *y);
        return n;
    }
    size_t k = n / max_points + (n % max_points != 0);
    size_t m = 0;
    for (size_t i = 0; i < n; i += k) {
        size_t end = i + k < n ? i + k : n;
        /* the mean as a sum of value / count: a plain sum of values near
         * DBL_MAX overflows to inf */
        double sx = 0, sy = 0, c = (double)(end - i);
        for (size_t j = i; j < end; j++) { sx += x[j] / c; sy += y[j] / c; }
        ox[m] = sx;
        oy[m] = sy;
        m++;
    }
    return m;
}

static int has_epochs(const report_log *log) {
    for (size_t i = 0; i < log->n_series; i++)
        if (log->series[i].per_epoch && log->series[i].n) return 1;
    return 0;
}

double report_epoch_of_batch(const report_log *log, double batch) {
    if (!has_epochs(log)) return batch;
    report_knot k[2];
    const report_knot *kn = log->knots;
    size_t n = log->n_knots;
    if (n == 0) {   /* uniform: batches per epoch = max batch step / max epoch */
        double max_b = 0, max_e = 0;
        for (size_t i = 0; i < log->n_series; i++)
            for (size_t j = 0; j < log->series[i].n; j++) {
                double s = (double)log->series[i].step[j];
                if (log->series[i].per_epoch) max_e = fmax(max_e, s);
                else max_b = fmax(max_b, s);
            }
        if (max_b <= 0 || max_e <= 0) return batch;
        k[0] = (report_knot){0, 0};
        k[1] = (report_knot){max_b, max_e};
        kn = k;
        n = 2;
    }
    /* the segments: (0,0) -> knot 0 -> knot 1 ...; ends extrapolated */
    double b0 = 0, e0 = 0;
    size_t i = 0;
    if (kn[0].batch <= 0) { b0 = kn[0].batch; e0 = kn[0].epoch; i = 1; }
    if (i >= n) return e0 + (batch - b0);   /* one knot at zero batches: no scale known */
    double b1 = kn[i].batch, e1 = kn[i].epoch;
    while (batch > b1 && i + 1 < n) {
        b0 = b1; e0 = e1;
        i++;
        b1 = kn[i].batch; e1 = kn[i].epoch;
    }
    return e0 + (batch - b0) * (e1 - e0) / (b1 - b0);
}

/* ==== the SVG writer ======================================================== */

/* Geometry, in px. */
#define PAGE_MARGIN 28.0
#define HEADER_H 78.0
#define PANEL_W 540.0
#define PANEL_H 330.0
#define PANEL_GAP_X 28.0
#define PANEL_GAP_Y 22.0
#define PLOT_LEFT 72.0     /* panel edge to plot area: tick labels and y label */
#define PLOT_RIGHT 16.0
#define PLOT_TOP 58.0      /* panel title and legend above */
#define PLOT_BOTTOM 50.0   /* tick labels and x label below */
#define CHAR_W 6.6         /* mean advance of a 12px sans-serif character */

static const char *const RUN_COLOURS[] = {"#1f77b4", "#e8710a", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
#define N_COLOURS (sizeof RUN_COLOURS / sizeof *RUN_COLOURS)

typedef struct {
    const report_series *s;
    double *x, *y;        /* [n] drawn points, finite, in data units */
    size_t n;
    size_t n_finite;      /* before downsampling */
    size_t n_hidden;      /* non-finite values, not drawn */
    size_t bucket;        /* points averaged into one (1: none) */
    const char *colour;
} plot_series;

typedef struct {
    const char *metric;   /* into a tag of the log */
    size_t metric_len;
    plot_series *ps;
    size_t n_ps, cap_ps;
    int log_y;
} panel;

typedef struct {
    FILE *f;
} svg_out;

static void out(svg_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(svg_out *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->f, fmt, ap);
    va_end(ap);
}

/* Text for XML: &<>"' escaped, control characters and bytes that are not
 * UTF-8 replaced, so any run or tag yields a well-formed file. */
static void out_text_n(svg_out *o, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c == '&') fputs("&amp;", o->f);
        else if (c == '<') fputs("&lt;", o->f);
        else if (c == '>') fputs("&gt;", o->f);
        else if (c == '"') fputs("&quot;", o->f);
        else if (c == '\'') fputs("&apos;", o->f);
        else if (c < 0x20 || c == 0x7f) fputc('?', o->f);
        else if (c < 0x80) fputc((int)c, o->f);
        else {
            size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            if (c > 0xf4) len = 0;
            int ok = len && (size_t)(end - p) >= len;
            for (size_t i = 1; ok && i < len; i++) ok = (p[i] & 0xc0) == 0x80;
            if (ok && len == 3) {
                unsigned cp = ((c & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
                ok = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) && cp != 0xfffe && cp != 0xffff;
            }
            if (ok && len == 4) {
                unsigned cp = ((c & 0x07u) << 18) | ((p[1] & 0x3fu) << 12) | ((p[2] & 0x3fu) << 6) | (p[3] & 0x3fu);
                ok = cp >= 0x10000 && cp <= 0x10ffff;
            }
            if (ok) {
                fwrite(p, 1, len, o->f);
                p += len;
                continue;
            }
            fputs("\xef\xbf\xbd", o->f); /* U+FFFD */
        }
        p++;
    }
}
static void out_text(svg_out *o, const char *s) { out_text_n(o, s, strlen(s)); }

/* A tick label: as many decimals as the tick step needs; thousands as k and
 * millions as M when the step allows; tiny values in %g. */
static void fmt_tick(char *buf, size_t cap, double v, double step) {
    if (!(step > 0) || !isfinite(step) || !isfinite(v)) { snprintf(buf, cap, "%.3g", v); return; }
    if (fabs(v) < step * 1e-9) v = 0;
    double a = fabs(v);
    if (v != 0 && a < 1e-3) { snprintf(buf, cap, "%.3g", v); return; }
    if (a >= 1e6 && step >= 1e5) {
        int d = step >= 1e6 ? 0 : (int)ceil(-log10(step / 1e6) - 1e-9);
        snprintf(buf, cap, "%.*fM", d, v / 1e6);
        return;
    }
    if (a >= 1e4 && step >= 1e3) {
        int d = step >= 1e3 * 1 && fmod(step, 1e3) == 0 ? 0 : 1;
        snprintf(buf, cap, "%.*fk", d, v / 1e3);
        return;
    }
    int d = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (d > 10) d = 10;
    snprintf(buf, cap, "%.*f", d, v);
}

/* A title from a metric: underscores as spaces, the first letter upper case. */
static void out_title(svg_out *o, const char *m, size_t n) {
    char buf[256];
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, m, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++) if (buf[i] == '_') buf[i] = ' ';
    if (buf[0] >= 'a' && buf[0] <= 'z') buf[0] = (char)(buf[0] - 'a' + 'A');
    out_text(o, buf);
}

static const char *metric_of(const char *tag, size_t *len) {
    if (strncmp(tag, "batch_", 6) == 0 && tag[6]) tag += 6;
    else if (strncmp(tag, "epoch_", 6) == 0 && tag[6]) tag += 6;
    *len = strlen(tag);
    return tag;
}

static int metric_is(const panel *p, const char *name) {
    return p->metric_len == strlen(name) && memcmp(p->metric, name, p->metric_len) == 0;
}

static int panel_rank(const panel *p) {
    if (metric_is(p, "loss")) return 0;
    if (metric_is(p, "accuracy")) return 1;
    if (metric_is(p, "perplexity")) return 2;
    return 3;
}

static int panel_cmp(const void *a, const void *b) {
    const panel *p = a, *q = b;
    int ra = panel_rank(p), rb = panel_rank(q);
    if (ra != rb) return ra - rb;
    size_t n = p->metric_len < q->metric_len ? p->metric_len : q->metric_len;
    int c = memcmp(p->metric, q->metric, n);
    return c ? c : (p->metric_len > q->metric_len) - (p->metric_len < q->metric_len);
}

/* Within a panel: per-batch lines first (drawn underneath), then by run. */
static int run_rank(const char *run) {
    return strcmp(run, "train") == 0 ? 0 : strcmp(run, "validation") == 0 ? 1 : 2;
}
static int series_cmp(const void *a, const void *b) {
    const report_series *s = ((const plot_series *)a)->s, *t = ((const plot_series *)b)->s;
    if (s->per_epoch != t->per_epoch) return s->per_epoch - t->per_epoch;
    int ra = run_rank(s->run), rb = run_rank(t->run);
    if (ra != rb) return ra - rb;
    int c = strcmp(s->run, t->run);
    return c ? c : strcmp(s->tag, t->tag);
}

typedef struct {
    double px, py, pw, ph;        /* plot area */
    double x0, x1, y0, y1;        /* data range of the axes (log10 of it on a log axis) */
    int log_y;
} frame;

/* Where v lies between a and b, as a fraction, finite for any finite values:
 * halves, since v - a and b - a overflow for values near +-DBL_MAX (which
 * put inf and nan into the SVG's coordinates); clamped to [-1, 2], a point
 * that far outside lies under the clip anyway. */
static double span_frac(double v, double a, double b) {
    double d = b / 2 - a / 2, f = d > 0 ? (v / 2 - a / 2) / d : 0.5;
    return isfinite(f) ? fmin(2, fmax(-1, f)) : f > 0 ? 2 : f < 0 ? -1 : 0.5;
}
static double map_x(const frame *fr, double v) { return fr->px + span_frac(v, fr->x0, fr->x1) * fr->pw; }
static double map_y(const frame *fr, double v) {
    if (fr->log_y) v = log10(v);
    return fr->py + fr->ph - span_frac(v, fr->y0, fr->y1) * fr->ph;
}

static const char *legend_label(const plot_series *p, char *buf, size_t cap) {
    const report_series *s = p->s;
    const char *what = s->per_epoch ? "per epoch" : "per batch";
    if (s->per_epoch && strcmp(s->run, "validation") == 0) snprintf(buf, cap, "%s", s->run);
    else if (p->bucket > 1) snprintf(buf, cap, "%s, %s (mean of %zu)", s->run, what, p->bucket);
    else snprintf(buf, cap, "%s, %s", s->run, what);
    return buf;
}

/* Y ticks of a panel: count, values into t (capacity 64). */
static size_t y_ticks(const panel *p, double lo, double hi, double *t, double *label_step, frame *fr) {
    size_t n = 0;
    if (p->log_y) {
        double dlo = floor(log10(lo) + 1e-9), dhi = ceil(log10(hi) - 1e-9);
        /* decades a double holds as a normal number: 10^309 is inf, 10^-324 is 0 */
        dlo = fmax(dlo, -307);
        dhi = fmin(dhi, 308);
        if (dhi <= dlo) dhi = dlo + 1;
        if (dhi - dlo > 3) {          /* powers of ten only, at most 8 */
            double every = ceil((dhi - dlo) / 7);
            dlo = floor(dlo / every) * every;
            dhi = ceil(dhi / every) * every;
            for (double d = dlo; d <= dhi + 1e-9 && n < 64; d += every)
                if (d >= -307 && d <= 308) t[n++] = pow(10, d);   /* rounded out past the ends: no tick */
            fr->y0 = dlo;
            fr->y1 = dhi;
        } else {                       /* 1, 2, 5 times powers of ten, hugging the data */
            static const double m[3] = {1, 2, 5};
            double a = 0, b = 0;
            for (double d = dlo; d <= dhi && n < 64; d++)
                for (int i = 0; i < 3 && n < 64; i++) {
                    double v = m[i] * pow(10, d);
                    if (v <= lo * (1 + 1e-12)) { a = v; n = 0; }
                    t[n++] = v;
                    if (v >= hi * (1 - 1e-12)) { b = v; goto done; }
                }
            b = pow(10, dhi);
        done:
            if (a == 0) a = pow(10, dlo);
            fr->y0 = log10(a);
            fr->y1 = log10(b);
        }
        *label_step = 0;  /* per value */
        return n;
    }
    double first, st;
    n = report_nice_ticks(lo, hi, 6, &first, &st);
    if (n == 0) {   /* a span too wide for nice ticks: its two ends, labelled as they are */
        t[0] = lo;
        t[1] = hi > lo ? hi : lo + 1;
        fr->y0 = t[0];
        fr->y1 = t[1];
        *label_step = 0;
        return 2;
    }
    if (n > 64) n = 64;
    for (size_t i = 0; i < n; i++) t[i] = first + (double)i * st;
    fr->y0 = t[0];
    fr->y1 = t[n - 1];
    *label_step = st;
    return n;
}

static void draw_panel(svg_out *o, const panel *p, double ox, double oy, const double *xt, size_t nxt,
                       double x_step, const char *x_label, double x0, double x1, int id) {
    frame fr = {.px = ox + PLOT_LEFT, .py = oy + PLOT_TOP, .pw = PANEL_W - PLOT_LEFT - PLOT_RIGHT,
                .ph = PANEL_H - PLOT_TOP - PLOT_BOTTOM, .x0 = x0, .x1 = x1, .log_y = p->log_y};
    size_t drawn = 0, hidden = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < p->n_ps; i++) {
        drawn += p->ps[i].n;
        hidden += p->ps[i].n_hidden;
        for (size_t j = 0; j < p->ps[i].n; j++) {
            lo = fmin(lo, p->ps[i].y[j]);
            hi = fmax(hi, p->ps[i].y[j]);
        }
    }
    out(o, "<g class=\"panel\" data-metric=\"");
    out_text_n(o, p->metric, p->metric_len);
    out(o, "\" data-scale=\"%s\">\n", p->log_y ? "log" : "linear");
    /* title, and the count of values left out */
    out(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"ptitle\">", ox + PLOT_LEFT, oy + 18);
    out_title(o, p->metric, p->metric_len);
    if (p->log_y) out(o, " <tspan class=\"note\">(log scale)</tspan>");
    out(o, "</text>\n");
    if (hidden)
        out(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"note\" text-anchor=\"end\">%zu non-finite value%s "
               "not shown</text>\n", fr.px + fr.pw, oy + 18, hidden, hidden == 1 ? "" : "s");
    /* legend: swatches and labels, wrapping to a second line when long */
    double lx = fr.px, ly = oy + 38;
    for (size_t i = 0; i < p->n_ps; i++) {
        const plot_series *s = &p->ps[i];
        char label[600];
        legend_label(s, label, sizeof label);
        double w = 26 + CHAR_W * (double)strlen(label) + 18;
        if (lx > fr.px && lx + w > fr.px + fr.pw) { lx = fr.px; ly += 14; }
        if (s->s->per_epoch) {
            out(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>",
                lx, ly - 4, lx + 22, ly - 4, s->colour);
            out(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"1\"/>",
                lx + 11, ly - 4, s->colour);
        } else {
            out(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
                   "stroke-opacity=\"0.55\"/>", lx, ly - 4, lx + 22, ly - 4, s->colour);
        }
        out(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">", lx + 27, ly);
        out_text(o, label);
        out(o, "</text>\n");
        lx += w;
    }
    /* plot area */
    out(o, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#fcfcfd\" stroke=\"none\"/>\n",
        fr.px, fr.py, fr.pw, fr.ph);
    if (!drawn) {
        out(o, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#9aa0a6\"/>\n",
            fr.px, fr.py, fr.pw, fr.ph);
        out(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"nodata\" text-anchor=\"middle\">no data</text>\n</g>\n",
            fr.px + fr.pw / 2, fr.py + fr.ph / 2 + 5);
        return;
    }
    double yt[64], y_step;
    size_t nyt = y_ticks(p, lo, hi, yt, &y_step, &fr);
    char buf[64];
    /* grid and ticks */
    for (size_t i = 0; i < nyt; i++) {
        double y = map_y(&fr, yt[i]);
        out(o, "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", fr.px, y, fr.px + fr.pw, y);
        out(o, "<line class=\"ytick\" data-value=\"%.17g\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>",
            yt[i], fr.px - 5, y, fr.px, y);
        fmt_tick(buf, sizeof buf, yt[i], p->log_y ? yt[i] : y_step);
        out(o, "<text class=\"tick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n", fr.px - 8, y + 4, buf);
    }
    for (size_t i = 0; i < nxt; i++) {
        double x = map_x(&fr, xt[i]);
        out(o, "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", x, fr.py, x, fr.py + fr.ph);
        out(o, "<line class=\"xtick\" data-value=\"%.17g\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>",
            xt[i], x, fr.py + fr.ph, x, fr.py + fr.ph + 5);
        fmt_tick(buf, sizeof buf, xt[i], x_step);
        out(o, "<text class=\"tick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n", x,
            fr.py + fr.ph + 19, buf);
    }
    out(o, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#9aa0a6\"/>\n",
        fr.px, fr.py, fr.pw, fr.ph);
    /* axis labels */
    out(o, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", fr.px + fr.pw / 2,
        oy + PANEL_H - 8, x_label);
    double yl_x = ox + 16, yl_y = fr.py + fr.ph / 2;
    out(o, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\">",
        yl_x, yl_y, yl_x, yl_y);
    out_text_n(o, p->metric, p->metric_len);
    out(o, "</text>\n");
    /* the curves, clipped to the plot area */
    out(o, "<clipPath id=\"clip%d\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/></clipPath>\n", id,
        fr.px - 4, fr.py - 4, fr.pw + 8, fr.ph + 8);
    out(o, "<g clip-path=\"url(#clip%d)\">\n", id);
    for (size_t i = 0; i < p->n_ps; i++) {
        const plot_series *s = &p->ps[i];
        if (!s->n) continue;
        out(o, "<polyline class=\"series\" data-run=\"");
        out_text(o, s->s->run);
        out(o, "\" data-tag=\"");
        out_text(o, s->s->tag);
        out(o, "\" data-n=\"%zu\" fill=\"none\" stroke=\"%s\" ", s->n, s->colour);
        if (s->s->per_epoch) out(o, "stroke-width=\"2\" stroke-linejoin=\"round\"");
        else out(o, "stroke-width=\"1\" stroke-opacity=\"0.55\" stroke-linejoin=\"round\"");
        out(o, " points=\"");
        for (size_t j = 0; j < s->n; j++)
            out(o, "%s%.2f,%.2f", j ? " " : "", map_x(&fr, s->x[j]), map_y(&fr, s->y[j]));
        out(o, "\"/>\n");
        if (s->s->per_epoch || s->n == 1) {
            out(o, "<g class=\"markers\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"1\">", s->colour);
            for (size_t j = 0; j < s->n && (s->n <= 400 || s->n == 1); j++)
                out(o, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.2\"/>", map_x(&fr, s->x[j]), map_y(&fr, s->y[j]));
            out(o, "</g>\n");
        }
    }
    out(o, "</g>\n</g>\n");
}

static rnnlm_status add_plot(panel *p, const report_series *s, rnnlm_err *err) {
    rnnlm_status st = rnnlm_grow((void **)&p->ps, &p->cap_ps, p->n_ps + 1, sizeof *p->ps, "report panel", err);
    if (st) return st;
    plot_series *ps = &p->ps[p->n_ps++];
    memset(ps, 0, sizeof *ps);
    ps->s = s;
    return RNNLM_OK;
}

static void free_panels(panel *pan, size_t n) {
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < pan[i].n_ps; j++) {
            free(pan[i].ps[j].x);
            free(pan[i].ps[j].y);
        }
        free(pan[i].ps);
    }
    free(pan);
}

/* Fills the drawn points of a series: x mapped, non-finite values left out,
 * then bucket-averaged. */
static rnnlm_status fill_points(const report_log *log, plot_series *ps, int epochs, rnnlm_err *err) {
    const report_series *s = ps->s;
    double *x = rnnlm_calloc(s->n, sizeof *x, "report points", err);
    double *y = x ? rnnlm_calloc(s->n, sizeof *y, "report points", err) : NULL;
    if (!y) { free(x); return RNNLM_E_NOMEM; }
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++) {
        double v = s->value[i];
        if (!isfinite(v)) continue;
        double st = (double)s->step[i];
        x[m] = epochs && !s->per_epoch ? report_epoch_of_batch(log, st) : st;
        y[m++] = v;
    }
    ps->n_finite = m;
    ps->n_hidden = s->n - m;
    ps->bucket = m > REPORT_MAX_POINTS ? m / REPORT_MAX_POINTS + (m % REPORT_MAX_POINTS != 0) : 1;
    free(ps->x);
    free(ps->y);
    size_t k = m < REPORT_MAX_POINTS ? m : REPORT_MAX_POINTS;
    ps->x = rnnlm_calloc(k, sizeof *ps->x, "report points", err);
    ps->y = ps->x ? rnnlm_calloc(k, sizeof *ps->y, "report points", err) : NULL;
    if (!ps->y) { free(x); free(y); return RNNLM_E_NOMEM; }
    ps->n = report_downsample(x, y, m, REPORT_MAX_POINTS, ps->x, ps->y);
    free(x);
    free(y);
    return RNNLM_OK;
}

/* A whole count with thousands separators: 120,000. */
static const char *fmt_count(char buf[32], double v) {
    char d[32];
    int n = snprintf(d, sizeof d, "%.0f", v), lead = d[0] == '-';
    size_t k = 0;
    for (int i = 0; i < n && k < 30; i++) {
        buf[k++] = d[i];
        int left = n - 1 - i;
        if (i >= lead && left > 0 && left % 3 == 0) buf[k++] = ',';
    }
    buf[k] = '\0';
    return buf;
}

static void out_header(svg_out *o, double width, double height, const report_log *log, int epochs) {
    out(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
           "font-family=\"'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif\">\n", width, height, width, height);
    out(o, "<title>rnnlm training report</title>\n");
    out(o, "<style>\n"
           ".ptitle{font-size:14px;font-weight:bold;fill:#202124}\n"
           ".note{font-size:11px;font-weight:normal;fill:#70757a}\n"
           ".legend{font-size:12px;fill:#3c4043}\n"
           ".tick{font-size:11px;fill:#5f6368}\n"
           ".axis{font-size:12px;fill:#3c4043}\n"
           ".nodata{font-size:14px;fill:#9aa0a6}\n"
           ".grid{stroke:#e8eaed;stroke-width:1}\n"
           ".ytick,.xtick{stroke:#9aa0a6;stroke-width:1}\n"
           "</style>\n");
    out(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    out(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"20\" font-weight=\"bold\" fill=\"#202124\">"
           "rnnlm training report</text>\n", PAGE_MARGIN, PAGE_MARGIN + 16);
    /* the subtitle: source, epochs, batches, rows */
    double max_e = 0, max_b = 0;
    int any_b = 0;
    for (size_t i = 0; i < log->n_series; i++)
        for (size_t j = 0; j < log->series[i].n; j++) {
            double s = (double)log->series[i].step[j];
            if (log->series[i].per_epoch) max_e = fmax(max_e, s);
            else { max_b = fmax(max_b, s); any_b = 1; }
        }
    out(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"#5f6368\">", PAGE_MARGIN, PAGE_MARGIN + 38);
    if (log->source) {
        out_text(o, log->source);
        out(o, " \xc2\xb7 ");
    }
    char num[32];
    if (epochs) out(o, "%s epoch%s \xc2\xb7 ", fmt_count(num, max_e), max_e == 1 ? "" : "s");
    if (any_b) out(o, "%s batch%s \xc2\xb7 ", fmt_count(num, max_b), max_b == 1 ? "" : "es");
    out(o, "%s row%s</text>\n", fmt_count(num, (double)log->n_rows), log->n_rows == 1 ? "" : "s");
}

rnnlm_status report_render_svg(const report_log *log, FILE *f, rnnlm_err *err) {
    if (!log || !f) return rnnlm_fail(err, RNNLM_E_ARG, "report_render_svg: no log or output");
    svg_out o = {f};
    int epochs = has_epochs(log);
    /* panels: loss, accuracy, perplexity always, then one per other metric */
    size_t cap = 3 + log->n_series;
    panel *pan = rnnlm_calloc(cap, sizeof *pan, "report panels", err);
    if (!pan) return RNNLM_E_NOMEM;
    size_t np = 3;
    pan[0].metric = "loss";
    pan[1].metric = "accuracy";
    pan[2].metric = "perplexity";
    for (int i = 0; i < 3; i++) pan[i].metric_len = strlen(pan[i].metric);
    rnnlm_status st = RNNLM_OK;
    for (size_t i = 0; i < log->n_series && !st; i++) {
        size_t len;
        const char *m = metric_of(log->series[i].tag, &len);
        size_t k = 0;
        while (k < np && !(pan[k].metric_len == len && memcmp(pan[k].metric, m, len) == 0)) k++;
        if (k == np) {
            pan[np].metric = m;
            pan[np].metric_len = len;
            np++;
        }
        st = add_plot(&pan[k], &log->series[i], err);
    }
    if (st) { free_panels(pan, np); return st; }
    qsort(pan, np, sizeof *pan, panel_cmp);
    /* points, the log decision, the shared x range */
    double xmin = INFINITY, xmax = -INFINITY;
    for (size_t i = 0; i < np && !st; i++) {
        panel *p = &pan[i];
        if (p->n_ps > 1) qsort(p->ps, p->n_ps, sizeof *p->ps, series_cmp);
        double lo = INFINITY, hi = -INFINITY;
        for (size_t j = 0; j < p->n_ps && !st; j++) {
            st = fill_points(log, &p->ps[j], epochs, err);
            for (size_t k = 0; !st && k < p->ps[j].n; k++) {
                lo = fmin(lo, p->ps[j].y[k]);
                hi = fmax(hi, p->ps[j].y[k]);
            }
        }
        /* more than a decade of positive values (perplexity, a grad-norm
         * spike at the first step, ...): a log axis; accuracy, a fraction,
         * stays linear */
        if (!st && !metric_is(p, "accuracy") && lo > 0 && hi > 10 * lo) p->log_y = 1;
        for (size_t j = 0; j < p->n_ps && !st; j++) {
            plot_series *ps = &p->ps[j];
            ps->colour = RUN_COLOURS[(size_t)run_rank(ps->s->run) < N_COLOURS ? (size_t)run_rank(ps->s->run) : 0];
            if (run_rank(ps->s->run) == 2) {   /* other runs: a colour by name */
                unsigned h = 0;
                for (const char *c = ps->s->run; *c; c++) h = h * 31u + (unsigned char)*c;
                ps->colour = RUN_COLOURS[2 + h % (N_COLOURS - 2)];
            }
            for (size_t k = 0; k < ps->n; k++) {
                xmin = fmin(xmin, ps->x[k]);
                xmax = fmax(xmax, ps->x[k]);
            }
        }
    }
    if (st) { free_panels(pan, np); return st; }
    /* x ticks, shared by every panel */
    double xt[64], x_first = 0, x_step = 1;
    size_t nxt = 0;
    double x0 = 0, x1 = 1;
    if (xmin <= xmax) {
        double lo = fmin(0, xmin), hi = xmax;
        nxt = report_nice_ticks(lo, hi, 8, &x_first, &x_step);
        if (epochs && x_step < 1 && hi - lo >= 2) {   /* whole epochs */
            x_step = 1;
            x_first = floor(lo);
            nxt = (size_t)(ceil(hi - 1e-9) - x_first) + 1;
        }
        if (nxt == 0) {   /* a span too wide for nice ticks: its two ends */
            nxt = 2;
            x_first = lo;
            x_step = hi > lo ? hi - lo : 1;
        }
        if (nxt > 64) nxt = 64;
        for (size_t i = 0; i < nxt; i++) xt[i] = x_first + (double)i * x_step;
        x0 = xt[0];
        x1 = xt[nxt - 1];
    }
    size_t cols = 2, rows = (np + cols - 1) / cols;
    double width = 2 * PAGE_MARGIN + (double)cols * PANEL_W + (double)(cols - 1) * PANEL_GAP_X;
    double height = HEADER_H + (double)rows * PANEL_H + (double)(rows - 1) * PANEL_GAP_Y + PAGE_MARGIN;
    out_header(&o, width, height, log, epochs);
    if (xmin > xmax)
        out(&o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" fill=\"#d93025\" text-anchor=\"end\">"
                "no data: %s</text>\n", width - PAGE_MARGIN, PAGE_MARGIN + 16,
            log->n_rows ? "the log holds no finite values" : "the log holds no rows yet");
    for (size_t i = 0; i < np; i++) {
        double ox = PAGE_MARGIN + (double)(i % cols) * (PANEL_W + PANEL_GAP_X);
        double oy = HEADER_H + (double)(i / cols) * (PANEL_H + PANEL_GAP_Y);
        draw_panel(&o, &pan[i], ox, oy, xt, nxt, x_step, epochs ? "epoch" : "step", x0, x1, (int)i);
    }
    out(&o, "</svg>\n");
    free_panels(pan, np);
    if (ferror(f)) return rnnlm_fail(err, RNNLM_E_IO, "report: writing the SVG failed");
    return RNNLM_OK;
}

rnnlm_status report_write_svg(const char *csv_path, const char *svg_path, rnnlm_err *err) {
    if (!csv_path || !svg_path) return rnnlm_fail(err, RNNLM_E_ARG, "report_write_svg: no path");
    report_log log;
    rnnlm_status st = report_log_read(&log, csv_path, err);
    rnnlm_atomic_file af;
    if (!st) st = rnnlm_atomic_open(&af, svg_path, err);
    if (!st) {
        st = report_render_svg(&log, af.f, err);
        if (st) rnnlm_atomic_abort(&af);
        else st = rnnlm_atomic_commit(&af, err);
    }
    report_log_free(&log);
    return st;
}
