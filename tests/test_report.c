/* test_report.c: the training report (src/io/report.c over io/csvlog's reader): the CSV reader and its
 * errors (FILE:LINE), the batch-to-epoch mapping, nice ticks, bucket
 * averaging, and the SVG itself: the curves are read back out of the SVG and
 * checked against the logged values through the axes' own tick marks (each
 * tick line carries its value), so a wrong mapping or scale fails.
 *
 * With RNNLM_REPORT_OUT set, the SVG of tests/data/report_log.csv is also
 * written there, and the escaping test's SVG to RNNLM_REPORT_OUT.escape.svg;
 * tests/test_report.sh checks both with xmllint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/report.h"
#include "util.h"

#define SAMPLE "tests/data/report_log.csv"

/* ---- helpers ---------------------------------------------------------------- */

static char tmpdir[256];

static int setup_dir(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/test_report.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state) {
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

static void write_file(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static char *render(const report_log *log, size_t *n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    rnnlm_err err = {0};
    rnnlm_status st = report_render_svg(log, f, &err);
    if (st) fail_msg("render: %s", err.msg);
    assert_int_equal(fclose(f), 0);
    if (n) *n = len;
    return buf;
}

static const report_series *series(const report_log *log, const char *run, const char *tag) {
    for (size_t i = 0; i < log->n_series; i++)
        if (!strcmp(log->series[i].run, run) && !strcmp(log->series[i].tag, tag)) return &log->series[i];
    fail_msg("no series %s/%s", run, tag);
    return NULL;
}

/* The text of one panel of the SVG (a copy). */
static char *panel_of(const char *svg, const char *metric) {
    char key[128];
    snprintf(key, sizeof key, "<g class=\"panel\" data-metric=\"%s\"", metric);
    const char *a = strstr(svg, key);
    if (!a) {
        fail_msg("no panel %s", metric);
        return NULL;
    }
    const char *b = strstr(a + 1, "<g class=\"panel\"");
    if (!b) b = a + strlen(a);
    char *s = strndup(a, (size_t)(b - a));
    assert_non_null(s);
    return s;
}

/* The points of the polyline of (run, tag) in a panel: count, first two
 * coordinates into *x, *y (arrays of cap). */
static size_t polyline(const char *panel, const char *run, const char *tag, double *x, double *y, size_t cap) {
    char key[256];
    snprintf(key, sizeof key, "<polyline class=\"series\" data-run=\"%s\" data-tag=\"%s\"", run, tag);
    const char *p = strstr(panel, key);
    if (!p) fail_msg("no polyline %s/%s", run, tag);
    size_t data_n = 0;
    const char *dn = strstr(p, "data-n=\"");
    assert_non_null(dn);
    data_n = strtoul(dn + 8, NULL, 10);
    p = strstr(p, " points=\"");
    assert_non_null(p);
    p += 9;
    size_t n = 0;
    while (*p != '"') {
        char *end;
        double a = strtod(p, &end);
        assert_true(end != p && *end == ',');
        double b = strtod(end + 1, &end);
        if (n < cap) { x[n] = a; y[n] = b; }
        n++;
        p = end;
        while (*p == ' ') p++;
    }
    assert_int_equal(n, data_n);
    return n;
}

/* The tick lines of one axis ("ytick" or "xtick"): values and positions (y1 of
 * a y tick, x1 of an x tick). */
static size_t ticks(const char *panel, const char *cls, double *v, double *pos, size_t cap) {
    char key[64];
    snprintf(key, sizeof key, "<line class=\"%s\" data-value=\"", cls);
    size_t n = 0;
    for (const char *p = strstr(panel, key); p && n < cap; p = strstr(p + 1, key)) {
        double x1, y1, x2, y2;
        int k = sscanf(p + strlen(key), "%lf\" x1=\"%lf\" y1=\"%lf\" x2=\"%lf\" y2=\"%lf\"", &v[n], &x1, &y1, &x2, &y2);
        assert_int_equal(k, 5);
        pos[n] = strcmp(cls, "ytick") == 0 ? y1 : x1;
        /* the label printed beside the tick says the same value */
        const char *t = strstr(p, "<text class=\"tick\"");
        assert_non_null(t);
        t = strchr(t, '>') + 1;
        char *end;
        double label = strtod(t, &end);
        if (*end == 'k') label *= 1e3;
        else if (*end == 'M') label *= 1e6;
        if (fabs(label - v[n]) > 1e-9 * fmax(1, fabs(v[n])))
            fail_msg("%s tick at %g is labelled \"%.*s\"", cls, v[n], (int)strcspn(t, "<"), t);
        n++;
    }
    return n;
}

/* Where a value sits on an axis, by interpolating between its first and last
 * tick marks (in log10 on a log axis). */
static double axis_pos(const double *v, const double *pos, size_t n, double value, int log_axis) {
    assert_true(n >= 2);
    double a = v[0], b = v[n - 1], t = value;
    if (log_axis) { a = log10(a); b = log10(b); t = log10(t); }
    return pos[0] + (t - a) / (b - a) * (pos[n - 1] - pos[0]);
}

static int is_nice(double step) {
    double m = step / pow(10, floor(log10(step)));
    return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9 || fabs(m - 10) < 1e-9;
}

/* ---- reading ----------------------------------------------------------------- */

static void test_parse_sample(void **state) {
    (void)state;
    report_log log;
    rnnlm_err err = {0};
    rnnlm_status st = report_log_read(&log, SAMPLE, &err);
    if (st) fail_msg("%s", err.msg);
    assert_int_equal(log.n_rows, 850);
    const report_series *vp = series(&log, "validation", "epoch_perplexity");
    assert_int_equal(vp->n, 5);
    assert_true(vp->per_epoch);
    assert_int_equal(vp->step[0], 1);
    assert_float_equal(vp->value[0], 323.759186, 1e-6);
    const report_series *bl = series(&log, "train", "batch_loss");
    assert_false(bl->per_epoch);
    assert_int_equal(bl->n, 160);
    assert_int_equal(bl->step[56], 57);
    assert_true(isnan(bl->value[56]));         /* the skipped step */
    assert_true(isinf(series(&log, "train", "grad_norm")->value[56]));
    assert_false(series(&log, "train", "learning_rate")->per_epoch);
    assert_true(series(&log, "train", "epoch_accuracy")->per_epoch);
    assert_int_equal(series(&log, "train", "tokens_per_second")->n, 20);
    /* epoch boundaries from the file order: 32 batches an epoch */
    assert_int_equal(log.n_knots, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_float_equal(log.knots[i].batch, 32.0 * (double)(i + 1), 0);
        assert_float_equal(log.knots[i].epoch, (double)(i + 1), 0);
    }
    assert_float_equal(report_epoch_of_batch(&log, 16), 0.5, 1e-12);
    assert_float_equal(report_epoch_of_batch(&log, 32), 1.0, 1e-12);
    assert_float_equal(report_epoch_of_batch(&log, 40), 1.25, 1e-12);
    assert_float_equal(report_epoch_of_batch(&log, 160), 5.0, 1e-12);
    report_log_free(&log);
}

/* Epochs of different lengths, an epoch in progress, and the uniform fallback
 * of a log built by hand. */
static void test_epoch_mapping(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/uneven.csv", tmpdir);
    char csv[8192] = "wall_time,run,step,tag,value\n";
    for (int s = 1; s <= 50; s++) {
        char row[128];
        snprintf(row, sizeof row, "%d.0,train,%d,batch_loss,%g\n", s, s, 5.0 - s * 0.01);
        strcat(csv, row);
        if (s == 10) strcat(csv, "10.5,train,1,epoch_loss,4.9\n10.6,validation,1,epoch_loss,5.1\n");
        if (s == 40) strcat(csv, "40.5,train,2,epoch_loss,4.7\n40.6,validation,2,epoch_loss,4.9\n");
    }
    write_file(path, csv, strlen(csv));
    report_log log;
    rnnlm_err err = {0};
    assert_int_equal(report_log_read(&log, path, &err), RNNLM_OK);
    assert_int_equal(log.n_knots, 2);
    assert_float_equal(report_epoch_of_batch(&log, 5), 0.5, 1e-12);
    assert_float_equal(report_epoch_of_batch(&log, 25), 1.5, 1e-12);
    assert_float_equal(report_epoch_of_batch(&log, 50), 2.0 + 10.0 / 30.0, 1e-12);  /* in progress */
    report_log_free(&log);

    memset(&log, 0, sizeof log);
    for (int s = 1; s <= 100; s++) assert_int_equal(report_log_add(&log, "train", "batch_loss", s, 1.0, &err), 0);
    assert_float_equal(report_epoch_of_batch(&log, 50), 50, 0);    /* no epochs: steps */
    for (int e = 1; e <= 4; e++) assert_int_equal(report_log_add(&log, "validation", "epoch_loss", e, 1.0, &err), 0);
    assert_float_equal(report_epoch_of_batch(&log, 50), 2.0, 1e-12); /* 100 batches / 4 epochs */
    assert_float_equal(report_epoch_of_batch(&log, 100), 4.0, 1e-12);
    assert_int_equal(report_log_add(&log, "", "x", 1, 1.0, &err), RNNLM_E_ARG);
    report_log_free(&log);
}

/* RFC 4180 quoting, CRLF, blank lines; line numbers stay right after a quoted
 * line break. */
static void test_parse_quoting(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/quoted.csv", tmpdir);
    const char *csv = "wall_time,run,step,tag,value\r\n"
                      "1.5,\"my,run\",1,\"say \"\"hi\"\"\",2.5\r\n"
                      "\n"
                      "2.5,train,2,\"two\nlines\",-inf\n"
                      "3.5,train,3,batch_loss,-nan\n"
                      "4.5,train,4,batch_loss,oops\n";
    write_file(path, csv, strlen(csv));
    report_log log;
    rnnlm_err err = {0};
    assert_int_equal(report_log_read(&log, path, &err), RNNLM_E_FORMAT);
    char want[600];
    snprintf(want, sizeof want, "%s:7: value is not a number", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(log.n_rows, 3);
    const report_series *s = series(&log, "my,run", "say \"hi\"");
    assert_int_equal(s->step[0], 1);
    assert_float_equal(s->value[0], 2.5, 0);
    assert_true(isinf(series(&log, "train", "two\nlines")->value[0]));
    assert_true(isnan(series(&log, "train", "batch_loss")->value[0]));
    report_log_free(&log);
}

static void test_bad_lines(void **state) {
    (void)state;
    static const struct { const char *csv; size_t len; size_t line; const char *cause; } cases[] = {
#define C(s, line, cause) {s, sizeof s - 1, line, cause}
        C("", 1, "empty file"),
        C("time,run,step,tag,value\n1,train,1,x,1\n", 1, "not an rnnlm scalar log"),
        C("wall_time,run,step,tag\n", 1, "not an rnnlm scalar log"),
        C("wall_time,run,step,tag,value\n1,train,1,x,1\n1,train,2,x\n", 3, "4 fields, expected 5"),
        C("wall_time,run,step,tag,value\n1,train,1,x,1,9\n", 2, "more than 5 fields"),
        C("wall_time,run,step,tag,value\n \n", 2, "1 field, expected 5"),
        C("wall_time,run,step,tag,value\nnow,train,1,x,1\n", 2, "wall_time is not a number"),
        C("wall_time,run,step,tag,value\n1,,1,x,1\n", 2, "empty run"),
        C("wall_time,run,step,tag,value\n1,train,one,x,1\n", 2, "step is not an integer"),
        C("wall_time,run,step,tag,value\n1,train,1.5,x,1\n", 2, "step is not an integer"),
        C("wall_time,run,step,tag,value\n1,train,99999999999999999999,x,1\n", 2, "step is not an integer"),
        C("wall_time,run,step,tag,value\n1,train,1,,1\n", 2, "empty tag"),
        C("wall_time,run,step,tag,value\n1,train,1,x,1.2.3\n", 2, "value is not a number"),
        C("wall_time,run,step,tag,value\n1,train,1,x,\n", 2, "value is not a number"),
        C("wall_time,run,step,tag,value\n1,tr\"ain,1,x,1\n", 2, "quote inside an unquoted field"),
        C("wall_time,run,step,tag,value\n1,\"train\"x,1,x,1\n", 2, "text after a closing quote"),
        C("wall_time,run,step,tag,value\n1,train,1,x,1\n2,\"train,2,x,1\n3,train,3,x,1\n", 3,
          "unterminated quoted field"),
        C("wall_time,run,step,tag,value\n1,train,1,x\0,1\n", 2, "NUL byte"),
        C("wall_time,run,step,tag,value\n1,train,1,x,1\r2,train,2,x,1\n", 2, "carriage return"),
#undef C
    };
    char path[512];
    snprintf(path, sizeof path, "%s/bad.csv", tmpdir);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_file(path, cases[i].csv, cases[i].len);
        report_log log;
        rnnlm_err err = {0};
        rnnlm_status st = report_log_read(&log, path, &err);
        char want[600];
        snprintf(want, sizeof want, "%s:%zu: ", path, cases[i].line);
        if (st != RNNLM_E_FORMAT || strncmp(err.msg, want, strlen(want)) || !strstr(err.msg, cases[i].cause))
            fail_msg("case %zu: status %d, message \"%s\"; want \"%s%s...\"", i, st, err.msg, want, cases[i].cause);
        report_log_free(&log);
    }
    /* an over-long field */
    size_t n = REPORT_MAX_FIELD + 200;
    char *big = malloc(n + 64);
    assert_non_null(big);
    int k = sprintf(big, "wall_time,run,step,tag,value\n1,train,1,");
    memset(big + k, 'a', REPORT_MAX_FIELD + 1);
    strcpy(big + k + REPORT_MAX_FIELD + 1, ",1\n");
    write_file(path, big, strlen(big));
    free(big);
    report_log log;
    rnnlm_err err = {0};
    assert_int_equal(report_log_read(&log, path, &err), RNNLM_E_FORMAT);
    assert_non_null(strstr(err.msg, ":2: field longer than"));
    report_log_free(&log);
}

/* A row being written while the log is read: dropped when it does not parse,
 * kept when it does; a complete bad last row is still an error. */
static void test_torn_last_line(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/torn.csv", tmpdir);
    const char *a = "wall_time,run,step,tag,value\n1,train,1,batch_loss,2.5\n1,train,2,batch_lo";
    write_file(path, a, strlen(a));
    report_log log;
    rnnlm_err err = {0};
    assert_int_equal(report_log_read(&log, path, &err), RNNLM_OK);
    assert_int_equal(log.n_rows, 1);
    report_log_free(&log);
    const char *b = "wall_time,run,step,tag,value\n1,train,1,batch_loss,2.5\n1,train,2,batch_loss,2.25";
    write_file(path, b, strlen(b));
    assert_int_equal(report_log_read(&log, path, &err), RNNLM_OK);
    assert_int_equal(log.n_rows, 2);
    report_log_free(&log);
    const char *c = "wall_time,run,step,tag,value\n1,train,1,batch_loss,2.5\n1,train,2,batch_lo\n";
    write_file(path, c, strlen(c));
    assert_int_equal(report_log_read(&log, path, &err), RNNLM_E_FORMAT);
    report_log_free(&log);
}

static void test_missing_file(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/no-such-log.csv", tmpdir);
    report_log log;
    rnnlm_err err = {0};
    assert_int_equal(report_log_read(&log, path, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, path));
    report_log_free(&log);
    char svg[512];
    snprintf(svg, sizeof svg, "%s/out.svg", tmpdir);
    assert_int_equal(rnnlm_report_write(path, svg, &err), RNNLM_E_IO);
    assert_int_equal(access(svg, F_OK), -1);
    /* a log that cannot be read (a directory: read() fails with EISDIR) is
     * an error naming it, not an empty log */
    assert_int_equal(report_log_read(&log, tmpdir, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, "read failed: Is a directory"));
    report_log_free(&log);
}

/* ---- axis helpers ------------------------------------------------------------ */

static void test_nice_ticks(void **state) {
    (void)state;
    double first, step;
    assert_int_equal(report_nice_ticks(0, 1, 6, &first, &step), 6);
    assert_float_equal(first, 0, 0);
    assert_float_equal(step, 0.2, 1e-15);
    assert_int_equal(report_nice_ticks(0.13, 9.7, 6, &first, &step), 6);
    assert_float_equal(first, 0, 0);
    assert_float_equal(step, 2, 0);
    assert_int_equal(report_nice_ticks(0.3, 0.7, 5, &first, &step), 5);   /* no extra tick from 0.3/0.1 */
    assert_float_equal(first, 0.3, 1e-12);
    assert_float_equal(step, 0.1, 1e-15);
    assert_int_equal(report_nice_ticks(1, NAN, 6, &first, &step), 0);
    assert_int_equal(report_nice_ticks(-INFINITY, 1, 6, &first, &step), 0);
    /* spans whose width or ticks overflow a double (found by fuzz_csvlog) */
    assert_int_equal(report_nice_ticks(-1.7e308, 1.7e308, 6, &first, &step), 0);
    assert_int_equal(report_nice_ticks(0, 1.7131e308, 8, &first, &step), 0);
    static const double ranges[][2] = {{0, 1},       {0.13, 9.7},  {-7, 23},     {4.61, 9.21}, {0.0009, 0.0011},
                                       {3.2, 3.2},   {0, 0},       {-5, -5},     {1e-5, 3e-4}, {38000, 44000},
                                       {1, 160},     {0.5, 0.503}, {-1e9, 1e9},  {9.7, 0.13},  {123456, 123457}};
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
        double lo = fmin(ranges[i][0], ranges[i][1]), hi = fmax(ranges[i][0], ranges[i][1]);
        size_t n = report_nice_ticks(ranges[i][0], ranges[i][1], 6, &first, &step);
        double last = first + (double)(n - 1) * step;
        if (!(n >= 3 && n <= 12 && step > 0 && is_nice(step) && first <= lo + 1e-12 * fabs(lo) &&
              last >= hi - 1e-12 * fabs(hi) && (lo == hi || (first > lo - step && last < hi + step)) &&
              fabs(first / step - round(first / step)) < 1e-6))
            fail_msg("range [%g, %g]: %zu ticks from %.17g by %.17g", ranges[i][0], ranges[i][1], n, first, step);
    }
}

static void test_downsample(void **state) {
    (void)state;
    enum { N = 100000, M = 2000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    double *ox = malloc(M * sizeof *ox), *oy = malloc(M * sizeof *oy);
    assert_true(x && y && ox && oy);
    double sum = 0;
    for (int i = 0; i < N; i++) {
        x[i] = i + 1;
        y[i] = 10 - 9.0 * i / (N - 1) + (i % 2 ? 0.5 : -0.5);   /* a ramp 10 -> 1 with noise */
        sum += y[i];
    }
    size_t m = report_downsample(x, y, N, M, ox, oy);
    assert_int_equal(m, M);                                   /* buckets of 50 */
    assert_float_equal(ox[0], 25.5, 1e-9);
    assert_float_equal(ox[m - 1], N - 24.5, 1e-9);
    double lo = INFINITY, hi = -INFINITY, osum = 0;
    for (size_t i = 0; i < m; i++) {
        lo = fmin(lo, oy[i]);
        hi = fmax(hi, oy[i]);
        osum += oy[i];
        if (i) assert_true(ox[i] > ox[i - 1]);
    }
    /* the trend's extremes keep their scale (within a bucket's share of the
     * ramp); only the noise is averaged away */
    assert_true(hi > 10 - 9.0 * 50 / N - 1e-9 && hi <= 10);
    assert_true(lo < 1 + 9.0 * 50 / N + 1e-9 && lo >= 1);
    assert_float_equal(osum / M, sum / N, 1e-9);
    /* short series are copied as they are */
    assert_int_equal(report_downsample(x, y, 1500, M, ox, oy), 1500);
    assert_memory_equal(oy, y, 1500 * sizeof *y);
    /* an uneven last bucket */
    m = report_downsample(x, y, 4001, M, ox, oy);
    assert_int_equal(m, 1334);                                /* buckets of 3, the last of 2 */
    assert_float_equal(ox[m - 1], 4000.5, 1e-9);
    free(x); free(y); free(ox); free(oy);
}

/* ---- the SVG ----------------------------------------------------------------- */

/* The curves of the sample hold the logged values under the drawn axes. */
static void test_svg_curves(void **state) {
    (void)state;
    report_log log;
    rnnlm_err err = {0};
    assert_int_equal(report_log_read(&log, SAMPLE, &err), RNNLM_OK);
    size_t len;
    char *svg = render(&log, &len);
    assert_true(len < 200000);
    assert_non_null(strstr(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns="));
    assert_non_null(strstr(svg, "</svg>\n"));
    assert_null(strstr(svg, "href"));                 /* self-contained */
    assert_non_null(strstr(svg, "5 epochs \xc2\xb7 160 batches \xc2\xb7 850 rows"));
    assert_null(strstr(svg, "nan"));
    assert_null(strstr(svg, "inf"));
    /* panels: the three always there, then the other tags by name */
    const char *order[] = {"loss", "accuracy", "perplexity", "grad_norm", "learning_rate", "tokens_per_second"};
    const char *at = svg;
    for (size_t i = 0; i < 6; i++) {
        char key[128];
        snprintf(key, sizeof key, "<g class=\"panel\" data-metric=\"%s\"", order[i]);
        const char *p = strstr(at, key);
        if (!p) fail_msg("panel %s missing or out of order", order[i]);
        at = p;
    }

    /* validation perplexity: 5 points on a log axis */
    char *pp = panel_of(svg, "perplexity");
    assert_non_null(strstr(pp, "data-scale=\"log\""));
    double px[8], py[8], tv[64], tp[64], xv[64], xp[64];
    assert_int_equal(polyline(pp, "validation", "epoch_perplexity", px, py, 8), 5);
    size_t nt = ticks(pp, "ytick", tv, tp, 64), nx = ticks(pp, "xtick", xv, xp, 64);
    assert_true(nt >= 2 && nx >= 2);
    const report_series *vp = series(&log, "validation", "epoch_perplexity");
    for (size_t i = 0; i < 5; i++) {
        assert_float_equal(py[i], axis_pos(tv, tp, nt, vp->value[i], 1), 0.02);
        assert_float_equal(px[i], axis_pos(xv, xp, nx, (double)(i + 1), 0), 0.02);   /* epoch i+1 */
    }
    for (size_t i = 0; i < nt; i++) assert_true(is_nice(tv[i]));
    assert_true(tv[0] <= 100 && tv[nt - 1] >= 10000);                 /* covers ~180 .. ~9500 */
    /* per-batch perplexity: 159 finite of 160, batch 1 at epoch 1/32 */
    double bx[2], by[2];
    assert_int_equal(polyline(pp, "train", "batch_perplexity", bx, by, 2), 159);
    const report_series *bp = series(&log, "train", "batch_perplexity");
    assert_float_equal(bx[0], axis_pos(xv, xp, nx, 1.0 / 32, 0), 0.02);
    assert_float_equal(by[0], axis_pos(tv, tp, nt, bp->value[0], 1), 0.02);
    assert_non_null(strstr(pp, "1 non-finite value not shown"));
    free(pp);

    /* loss on a linear axis with nice ticks */
    char *lp = panel_of(svg, "loss");
    assert_non_null(strstr(lp, "data-scale=\"linear\""));
    assert_int_equal(polyline(lp, "validation", "epoch_loss", px, py, 8), 5);
    nt = ticks(lp, "ytick", tv, tp, 64);
    assert_true(nt >= 3 && nt <= 12);
    double step = tv[1] - tv[0];
    assert_true(is_nice(step));
    for (size_t i = 1; i < nt; i++) assert_float_equal(tv[i] - tv[i - 1], step, 1e-9);
    assert_float_equal(py[0], axis_pos(tv, tp, nt, 5.78000021, 0), 0.02);
    assert_int_equal(polyline(lp, "train", "epoch_loss", px, py, 8), 5);
    assert_int_equal(polyline(lp, "train", "batch_loss", bx, by, 2), 159);
    assert_non_null(strstr(lp, ">epoch</text>"));
    assert_non_null(strstr(lp, ">loss</text>"));
    assert_non_null(strstr(lp, ">validation</text>"));
    assert_non_null(strstr(lp, ">train, per batch</text>"));
    free(lp);

    /* tick labels: the x axis of whole epochs 0..5 */
    char *ap = panel_of(svg, "accuracy");
    nx = ticks(ap, "xtick", xv, xp, 64);
    assert_int_equal(nx, 6);
    for (size_t i = 0; i < nx; i++) assert_float_equal(xv[i], (double)i, 0);
    assert_non_null(strstr(ap, "text-anchor=\"middle\">5</text>"));
    free(ap);

    const char *out = getenv("RNNLM_REPORT_OUT");
    if (out && *out) {
        assert_int_equal(rnnlm_report_write(SAMPLE, out, &err), RNNLM_OK);
        size_t n;
        char *back = util_read_file(out, &n);
        assert_int_equal(n, len);
        assert_memory_equal(back, svg, len);
        free(back);
    }
    free(svg);
    report_log_free(&log);
}

/* A long run: per-batch lines averaged to at most REPORT_MAX_POINTS, the file
 * stays small, and the averaged curve still spans the logged range. */
static void test_svg_downsampled(void **state) {
    (void)state;
    report_log log = {0};
    rnnlm_err err = {0};
    enum { BATCHES = 50000, EPOCHS = 10 };
    for (int s = 1; s <= BATCHES; s++) {
        double v = 2 + 6 * exp(-s / 5000.0);
        assert_int_equal(report_log_add(&log, "train", "batch_loss", s, v, &err), 0);
        if (s % (BATCHES / EPOCHS) == 0)
            assert_int_equal(report_log_add(&log, "validation", "epoch_loss", s / (BATCHES / EPOCHS), v + 0.3, &err), 0);
    }
    size_t len;
    char *svg = render(&log, &len);
    assert_true(len < 120000);
    char *lp = panel_of(svg, "loss");
    double x[2000], y[2000], tv[64], tp[64], xv[64], xp[64];
    size_t n = polyline(lp, "train", "batch_loss", x, y, 2000);
    assert_int_equal(n, 2000);
    assert_non_null(strstr(lp, "train, per batch (mean of 25)"));
    size_t nt = ticks(lp, "ytick", tv, tp, 64), nx = ticks(lp, "xtick", xv, xp, 64);
    /* the first bucket (batches 1..25) sits at its mean, at epoch 13/5000 */
    double mean = 0;
    for (int s = 1; s <= 25; s++) mean += (2 + 6 * exp(-s / 5000.0)) / 25;
    assert_float_equal(y[0], axis_pos(tv, tp, nt, mean, 0), 0.02);
    assert_float_equal(x[0], axis_pos(xv, xp, nx, 13.0 / 5000, 0), 0.02);
    assert_true(tv[0] <= 2.05 && tv[nt - 1] >= 7.9);
    free(lp);
    free(svg);
    report_log_free(&log);
}

/* A grad-norm spike at the first step (300, then about 1): the panel spans
 * more than a decade, so its axis is log-10 and the later steps are spread
 * out rather than flattened; a panel within a decade and accuracy stay linear. */
static void test_svg_log_scale_of_spike(void **state) {
    (void)state;
    report_log log = {0};
    rnnlm_err err = {0};
    for (int s = 1; s <= 100; s++) {
        assert_int_equal(report_log_add(&log, "train", "grad_norm", s, s == 1 ? 300.0 : 1.0 + 0.01 * s, &err), 0);
        assert_int_equal(report_log_add(&log, "train", "learning_rate", s, 0.001 * (1 + (s > 50)), &err), 0);
        assert_int_equal(report_log_add(&log, "train", "batch_accuracy", s, 0.001 * s, &err), 0);
    }
    size_t len;
    char *svg = render(&log, &len);
    char *gp = panel_of(svg, "grad_norm");
    assert_non_null(strstr(gp, "data-scale=\"log\""));
    double x[128], y[128], tv[64], tp[64];
    assert_int_equal(polyline(gp, "train", "grad_norm", x, y, 128), 100);
    size_t nt = ticks(gp, "ytick", tv, tp, 64);
    assert_true(nt >= 2);
    assert_float_equal(y[0], axis_pos(tv, tp, nt, 300.0, 1), 0.02);
    assert_float_equal(y[99], axis_pos(tv, tp, nt, 2.0, 1), 0.02);
    /* the steps after the spike (1.02 .. 2.0) cover more than a tenth of
     * the plot's height, not a sliver (on a linear axis: 1/300) */
    double top = fmin(tp[0], tp[nt - 1]), bottom = fmax(tp[0], tp[nt - 1]);
    assert_true(fabs(y[1] - y[99]) > 0.1 * (bottom - top));
    free(gp);
    char *lp = panel_of(svg, "learning_rate");
    assert_non_null(strstr(lp, "data-scale=\"linear\""));
    free(lp);
    char *ap = panel_of(svg, "accuracy");
    assert_non_null(strstr(ap, "data-scale=\"linear\""));
    free(ap);
    free(svg);
    report_log_free(&log);
}

/* Values near the ends of the double range (a diverged run's loss, a
 * perplexity of 1e300): every coordinate and tick of the SVG is a finite
 * number, on a linear axis (-1e308 .. 1e308: the span itself overflows) and
 * on a log one (1e-300 .. 1e300, 1e306 .. 1e308: 10^309 would be inf).
 * The SVG used to hold "nan" and "inf" coordinates and an "inf" tick. */
static void test_svg_extreme_values(void **state) {
    (void)state;
    static const double sets[][3] = {
        {1e308, -1e308, 5}, {-1.7e308, 1.7e308, 0}, {1e-300, 1e300, 2}, {1e306, 1e308, 1e307}, {5e-324, 1, 2},
    };
    for (size_t k = 0; k < sizeof sets / sizeof *sets; k++) {
        report_log log = {0};
        rnnlm_err err = {0};
        for (int s = 0; s < 3; s++) {
            assert_int_equal(report_log_add(&log, "train", "batch_loss", s + 1, sets[k][s], &err), 0);
            assert_int_equal(report_log_add(&log, "validation", "epoch_perplexity", s + 1, sets[k][s], &err), 0);
        }
        char *svg = render(&log, NULL);
        for (char *c = svg; *c; c++) *c = (char)tolower((unsigned char)*c);
        if (strstr(svg, "nan") || strstr(svg, "inf"))
            fail_msg("set %zu: a non-finite number in the SVG: ...%.80s", k,
                     strstr(svg, "nan") ? strstr(svg, "nan") - 40 : strstr(svg, "inf") - 40);
        double x[8], y[8];
        char *lp = panel_of(svg, "loss");
        assert_int_equal(polyline(lp, "train", "batch_loss", x, y, 8), 3);
        for (int i = 0; i < 3; i++) assert_true(isfinite(x[i]) && isfinite(y[i]));
        /* the largest value drawn above the smallest (y grows downwards) */
        int hi = sets[k][0] > sets[k][1] ? 0 : 1, lo = 1 - hi;
        assert_true(y[hi] < y[lo]);
        free(lp);
        free(svg);
        report_log_free(&log);
    }
}

/* Runs and tags are text: escaped, and bytes that are not UTF-8 replaced. */
static void test_svg_escape(void **state) {
    (void)state;
    report_log log = {0};
    rnnlm_err err = {0};
    const char *run = "a<b&\"c'd\x01\xff";
    assert_int_equal(report_log_add(&log, run, "epoch_x>y", 1, 1.0, &err), 0);
    assert_int_equal(report_log_add(&log, run, "epoch_x>y", 2, 0.5, &err), 0);
    assert_int_equal(report_log_add(&log, "train", "na\xc3\xafve", 1, 0.25, &err), 0);
    log.source = strdup("runs/<&>/log.csv");
    size_t len;
    char *svg = render(&log, &len);
    assert_non_null(strstr(svg, "data-run=\"a&lt;b&amp;&quot;c&apos;d?\xef\xbf\xbd\""));
    assert_non_null(strstr(svg, "data-metric=\"x&gt;y\""));
    assert_non_null(strstr(svg, "runs/&lt;&amp;&gt;/log.csv"));
    assert_non_null(strstr(svg, "na\xc3\xafve"));
    /* every < opens markup and every & an entity */
    for (const char *p = svg; (p = strchr(p, '<')); p++)
        assert_true(p[1] == '/' || p[1] == '?' || (p[1] >= 'a' && p[1] <= 'z'));
    for (const char *p = svg; (p = strchr(p, '&')); p++)
        assert_true(!strncmp(p, "&amp;", 5) || !strncmp(p, "&lt;", 4) || !strncmp(p, "&gt;", 4) ||
                    !strncmp(p, "&quot;", 6) || !strncmp(p, "&apos;", 6));
    for (size_t i = 0; i < len; i++) assert_true((unsigned char)svg[i] >= 0x20 || svg[i] == '\n');
    const char *out = getenv("RNNLM_REPORT_OUT");
    if (out && *out) {
        char path[4096];
        snprintf(path, sizeof path, "%s.escape.svg", out);
        write_file(path, svg, len);
    }
    free(svg);
    report_log_free(&log);
}

/* A header-only log is not an error: the SVG says "no data". A log without
 * epochs is drawn against steps. */
static void test_svg_empty_and_steps(void **state) {
    (void)state;
    char csv[512], svg[512];
    snprintf(csv, sizeof csv, "%s/empty.csv", tmpdir);
    snprintf(svg, sizeof svg, "%s/empty.svg", tmpdir);
    write_file(csv, "wall_time,run,step,tag,value\n", 29);
    rnnlm_err err = {0};
    assert_int_equal(rnnlm_report_write(csv, svg, &err), RNNLM_OK);
    char *s = util_read_file(svg, NULL);
    assert_non_null(strstr(s, "no data"));
    assert_non_null(strstr(s, "data-metric=\"perplexity\""));
    assert_null(strstr(s, "<polyline"));
    free(s);

    const char *steps = "wall_time,run,step,tag,value\n1,train,100,batch_loss,5\n2,train,200,batch_loss,4\n"
                        "3,train,300,batch_loss,nan\n";
    write_file(csv, steps, strlen(steps));
    assert_int_equal(rnnlm_report_write(csv, svg, &err), RNNLM_OK);
    s = util_read_file(svg, NULL);
    char *lp = panel_of(s, "loss");
    assert_non_null(strstr(lp, ">step</text>"));
    double x[4], y[4], xv[64], xp[64];
    assert_int_equal(polyline(lp, "train", "batch_loss", x, y, 4), 2);
    size_t nx = ticks(lp, "xtick", xv, xp, 64);
    assert_float_equal(x[1], axis_pos(xv, xp, nx, 200, 0), 0.02);
    free(lp);
    free(s);

    /* nothing left behind but the two files; a directory that is not there */
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while ((e = readdir(d))) assert_null(strstr(e->d_name, ".tmp."));
    closedir(d);
    snprintf(svg, sizeof svg, "%s/no/such/dir/r.svg", tmpdir);
    assert_int_equal(rnnlm_report_write(csv, svg, &err), RNNLM_E_IO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_sample),
        cmocka_unit_test(test_epoch_mapping),
        cmocka_unit_test(test_parse_quoting),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_torn_last_line),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_nice_ticks),
        cmocka_unit_test(test_downsample),
        cmocka_unit_test(test_svg_curves),
        cmocka_unit_test(test_svg_downsampled),
        cmocka_unit_test(test_svg_log_scale_of_spike),
        cmocka_unit_test(test_svg_extreme_values),
        cmocka_unit_test(test_svg_escape),
        cmocka_unit_test(test_svg_empty_and_steps),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
