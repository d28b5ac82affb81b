/* report.c: the CSV scalar log read back and drawn as an SVG (see report.h).
 * Three parts: the parsed log (its series, filled row by row from
 * csvlog.h's reader), the axis helpers (nice ticks, bucket averaging,
 * batch-to-epoch mapping), and the SVG writer (a grid of panels, two per
 * row). */
#include "io/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic_file.h"
#include "core/common.h"
#include "io/csvlog.h"

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
    csvlog_reader *r;
    rnnlm_status st = csvlog_reader_open(&r, csv_path, err);
    if (st) return st;
    int64_t max_batch = -1;
    for (;;) {
        csvlog_row row;
        int eof;
        st = csvlog_reader_next(r, &row, &eof, err);
        if (st || eof) break;
        st = report_log_add(log, row.run, row.tag, row.step, row.value, err);
        if (st) break;
        if (!is_per_epoch(row.run, row.tag)) {
            if (row.step > max_batch) max_batch = row.step;
        } else {
            st = note_epoch(log, row.step, max_batch, err);
            if (st) break;
        }
    }
    csvlog_reader_close(r);
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

/* The shared x axis: its ticks (values at most 64), the label step, the
 * label and the data range of the axis. */
typedef struct {
    double t[64];
    size_t n;
    double step;
    const char *label;
    double x0, x1;
} x_axis;

/* A panel's drawn points: their count, the non-finite values left out, and
 * the range of the drawn values (lo > hi when none). */
static size_t panel_extent(const panel *p, size_t *hidden, double *lo, double *hi) {
    size_t drawn = 0;
    *hidden = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < p->n_ps; i++) {
        drawn += p->ps[i].n;
        *hidden += p->ps[i].n_hidden;
        for (size_t j = 0; j < p->ps[i].n; j++) {
            *lo = fmin(*lo, p->ps[i].y[j]);
            *hi = fmax(*hi, p->ps[i].y[j]);
        }
    }
    return drawn;
}

/* The title, the count of values left out, and the legend: swatches and
 * labels, wrapping to a second line when long. */
static void draw_panel_title(svg_out *o, const panel *p, const frame *fr, double ox, double oy, size_t hidden) {
    out(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"ptitle\">", ox + PLOT_LEFT, oy + 18);
    out_title(o, p->metric, p->metric_len);
    if (p->log_y) out(o, " <tspan class=\"note\">(log scale)</tspan>");
    out(o, "</text>\n");
    if (hidden)
        out(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"note\" text-anchor=\"end\">%zu non-finite value%s "
               "not shown</text>\n", fr->px + fr->pw, oy + 18, hidden, hidden == 1 ? "" : "s");
    double lx = fr->px, ly = oy + 38;
    for (size_t i = 0; i < p->n_ps; i++) {
        const plot_series *s = &p->ps[i];
        char label[600];
        legend_label(s, label, sizeof label);
        double w = 26 + CHAR_W * (double)strlen(label) + 18;
        if (lx > fr->px && lx + w > fr->px + fr->pw) { lx = fr->px; ly += 14; }
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
}

/* The grid, the ticks and their labels, the plot area's border and the axis
 * labels; the y ticks are the panel's own (fr's y range set by y_ticks). */
static void draw_panel_axes(svg_out *o, const panel *p, const frame *fr, const double *yt, size_t nyt,
                            double y_step, const x_axis *xa, double ox, double oy) {
    char buf[64];
    for (size_t i = 0; i < nyt; i++) {
        double y = map_y(fr, yt[i]);
        out(o, "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", fr->px, y, fr->px + fr->pw, y);
        out(o, "<line class=\"ytick\" data-value=\"%.17g\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>",
            yt[i], fr->px - 5, y, fr->px, y);
        fmt_tick(buf, sizeof buf, yt[i], p->log_y ? yt[i] : y_step);
        out(o, "<text class=\"tick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n", fr->px - 8, y + 4, buf);
    }
    for (size_t i = 0; i < xa->n; i++) {
        double x = map_x(fr, xa->t[i]);
        out(o, "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", x, fr->py, x, fr->py + fr->ph);
        out(o, "<line class=\"xtick\" data-value=\"%.17g\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>",
            xa->t[i], x, fr->py + fr->ph, x, fr->py + fr->ph + 5);
        fmt_tick(buf, sizeof buf, xa->t[i], xa->step);
        out(o, "<text class=\"tick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n", x,
            fr->py + fr->ph + 19, buf);
    }
    out(o, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#9aa0a6\"/>\n",
        fr->px, fr->py, fr->pw, fr->ph);
    out(o, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", fr->px + fr->pw / 2,
        oy + PANEL_H - 8, xa->label);
    double yl_x = ox + 16, yl_y = fr->py + fr->ph / 2;
    out(o, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\">",
        yl_x, yl_y, yl_x, yl_y);
    out_text_n(o, p->metric, p->metric_len);
    out(o, "</text>\n");
}

/* The curves, clipped to the plot area: a polyline per series, markers on
 * per-epoch series (and on a lone point). */
static void draw_panel_curves(svg_out *o, const panel *p, const frame *fr, int id) {
    out(o, "<clipPath id=\"clip%d\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/></clipPath>\n", id,
        fr->px - 4, fr->py - 4, fr->pw + 8, fr->ph + 8);
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
            out(o, "%s%.2f,%.2f", j ? " " : "", map_x(fr, s->x[j]), map_y(fr, s->y[j]));
        out(o, "\"/>\n");
        if (s->s->per_epoch || s->n == 1) {
            out(o, "<g class=\"markers\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"1\">", s->colour);
            for (size_t j = 0; j < s->n && (s->n <= 400 || s->n == 1); j++)
                out(o, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.2\"/>", map_x(fr, s->x[j]), map_y(fr, s->y[j]));
            out(o, "</g>\n");
        }
    }
    out(o, "</g>\n");
}

/* One panel at (ox, oy): title and legend, then the plot area with "no
 * data", or its axes and curves. */
static void draw_panel(svg_out *o, const panel *p, double ox, double oy, const x_axis *xa, int id) {
    frame fr = {.px = ox + PLOT_LEFT, .py = oy + PLOT_TOP, .pw = PANEL_W - PLOT_LEFT - PLOT_RIGHT,
                .ph = PANEL_H - PLOT_TOP - PLOT_BOTTOM, .x0 = xa->x0, .x1 = xa->x1, .log_y = p->log_y};
    size_t hidden;
    double lo, hi;
    size_t drawn = panel_extent(p, &hidden, &lo, &hi);
    out(o, "<g class=\"panel\" data-metric=\"");
    out_text_n(o, p->metric, p->metric_len);
    out(o, "\" data-scale=\"%s\">\n", p->log_y ? "log" : "linear");
    draw_panel_title(o, p, &fr, ox, oy, hidden);
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
    draw_panel_axes(o, p, &fr, yt, nyt, y_step, xa, ox, oy);
    draw_panel_curves(o, p, &fr, id);
    out(o, "</g>\n");
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

/* The panels of a log: loss, accuracy, perplexity always, then one per
 * other metric; each series in the panel of its metric; in panel order. */
static rnnlm_status collect_panels(const report_log *log, panel **out_pan, size_t *out_np, rnnlm_err *err) {
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
    *out_pan = pan;
    *out_np = np;
    return RNNLM_OK;
}

/* A series' colour: train and validation their own, other runs one by name. */
static const char *run_colour(const char *run) {
    int rank = run_rank(run);
    if (rank != 2) return RUN_COLOURS[rank];
    unsigned h = 0;
    for (const char *c = run; *c; c++) h = h * 31u + (unsigned char)*c;
    return RUN_COLOURS[2 + h % (N_COLOURS - 2)];
}

/* A panel's points, its log decision and colours; widens [*xmin, *xmax] to
 * its x values. */
static rnnlm_status prepare_panel(const report_log *log, panel *p, int epochs, double *xmin, double *xmax,
                                  rnnlm_err *err) {
    if (p->n_ps > 1) qsort(p->ps, p->n_ps, sizeof *p->ps, series_cmp);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t j = 0; j < p->n_ps; j++) {
        rnnlm_status st = fill_points(log, &p->ps[j], epochs, err);
        if (st) return st;
        for (size_t k = 0; k < p->ps[j].n; k++) {
            lo = fmin(lo, p->ps[j].y[k]);
            hi = fmax(hi, p->ps[j].y[k]);
        }
    }
    /* more than a decade of positive values (perplexity, a grad-norm spike
     * at the first step, ...): a log axis; accuracy, a fraction, stays
     * linear */
    if (!metric_is(p, "accuracy") && lo > 0 && hi > 10 * lo) p->log_y = 1;
    for (size_t j = 0; j < p->n_ps; j++) {
        plot_series *ps = &p->ps[j];
        ps->colour = run_colour(ps->s->run);
        for (size_t k = 0; k < ps->n; k++) {
            *xmin = fmin(*xmin, ps->x[k]);
            *xmax = fmax(*xmax, ps->x[k]);
        }
    }
    return RNNLM_OK;
}

/* The x ticks every panel shares, over [min(0, xmin), xmax] (none when
 * xmin > xmax: no data). */
static void shared_x_axis(x_axis *xa, double xmin, double xmax, int epochs) {
    xa->n = 0;
    xa->step = 1;
    xa->label = epochs ? "epoch" : "step";
    xa->x0 = 0;
    xa->x1 = 1;
    if (xmin > xmax) return;
    double lo = fmin(0, xmin), hi = xmax, first = 0;
    xa->n = report_nice_ticks(lo, hi, 8, &first, &xa->step);
    if (epochs && xa->step < 1 && hi - lo >= 2) {   /* whole epochs */
        xa->step = 1;
        first = floor(lo);
        xa->n = (size_t)(ceil(hi - 1e-9) - first) + 1;
    }
    if (xa->n == 0) {   /* a span too wide for nice ticks: its two ends */
        xa->n = 2;
        first = lo;
        xa->step = hi > lo ? hi - lo : 1;
    }
    if (xa->n > 64) xa->n = 64;
    for (size_t i = 0; i < xa->n; i++) xa->t[i] = first + (double)i * xa->step;
    xa->x0 = xa->t[0];
    xa->x1 = xa->t[xa->n - 1];
}

rnnlm_status report_render_svg(const report_log *log, FILE *f, rnnlm_err *err) {
    if (!log || !f) return rnnlm_fail(err, RNNLM_E_ARG, "report_render_svg: no log or output");
    svg_out o = {f};
    int epochs = has_epochs(log);
    panel *pan;
    size_t np;
    rnnlm_status st = collect_panels(log, &pan, &np, err);
    if (st) return st;
    double xmin = INFINITY, xmax = -INFINITY;
    for (size_t i = 0; i < np && !st; i++) st = prepare_panel(log, &pan[i], epochs, &xmin, &xmax, err);
    if (st) { free_panels(pan, np); return st; }
    x_axis xa;
    shared_x_axis(&xa, xmin, xmax, epochs);
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
        draw_panel(&o, &pan[i], ox, oy, &xa, (int)i);
    }
    out(&o, "</svg>\n");
    free_panels(pan, np);
    if (ferror(f)) return rnnlm_fail(err, RNNLM_E_IO, "report: writing the SVG failed");
    return RNNLM_OK;
}

rnnlm_status rnnlm_report_write(const char *csv_path, const char *svg_path, rnnlm_err *err) {
    if (!csv_path || !svg_path) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_report_write: no path");
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
