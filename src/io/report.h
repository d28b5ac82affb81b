/* report.h: a training run's curves as one self-contained SVG, read from its
 * CSV scalar log (docs/FORMAT.md: `wall_time,run,step,tag,value`, LOGDIR/log.csv).
 *
 *     rnnlm_err err;
 *     if (rnnlm_report_write("runs/x/log.csv", "runs/x/report.svg", &err))
 *         fprintf(stderr, "%s\n", err.msg);
 *
 * What is drawn
 *   One panel per metric. A tag's metric is the tag without a "batch_" or
 *   "epoch_" prefix, so batch_loss and epoch_loss share the "loss" panel.
 *   Panels for loss, accuracy and perplexity always appear (saying "no data"
 *   when nothing was logged for them), followed by one panel per other metric
 *   present (learning_rate, grad_norm, tokens_per_second, ...) in name order.
 *   Per-batch series are a thin line, bucket-averaged down to at most
 *   REPORT_MAX_POINTS points; per-epoch series are a line with a marker at
 *   every point. Only finite values are drawn; the panel says how many were
 *   left out. A panel (any but accuracy) has a log-10 y axis when its drawn
 *   values are positive and span more than 10x. Ticks are "nice" (1, 2 or 5 times a power of ten).
 *
 * Steps and the x axis
 *   A series is per-epoch when its tag starts with "epoch_" or its run is
 *   "validation" (validation is run at the end of an epoch); its step is the
 *   epoch number. Every other series is per-batch; its step is the global
 *   batch number (batch k ends after k batches).
 *   When any per-epoch series exists the x axis is "epoch" and batch steps
 *   map to fractional epochs through the epoch boundaries read from the file
 *   order: the first row for epoch e (any per-epoch series) follows every
 *   batch row of epochs <= e, so "epoch e ended after B_e batches", where B_e
 *   is the largest batch step read before that row. Batch step s in epoch e
 *   is drawn at (e - 1) + (s - B_{e-1}) / (B_e - B_{e-1}) (B_0 = 0); steps
 *   after the last boundary (an epoch in progress) continue at the last
 *   epoch's rate. Without boundaries (a log built by hand, or no batch rows
 *   before the epoch rows) batches per epoch = max batch step / max epoch.
 *   With no per-epoch series the x axis is "step" and shows steps as logged.
 *
 * Reading
 *   Through csvlog.h's reader: the header checked, RFC 4180 fields, blank
 *   lines skipped, a malformed row RNNLM_E_FORMAT with "FILE:LINE: cause"
 *   (an unterminated last line, a row being written while the log is read,
 *   dropped when it does not parse), a missing or unreadable file
 *   RNNLM_E_IO. A log with a header and no rows is not an error: the SVG
 *   then says "no data". The public entry is rnnlm_report_write (rnnlm.h). */
#ifndef RNNLM_REPORT_H
#define RNNLM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "io/csvlog.h"
#include "rnnlm.h"

#define REPORT_MAX_POINTS 2000    /* per drawn series */
#define REPORT_MAX_FIELD CSVLOG_MAX_FIELD   /* bytes in one CSV field */

typedef struct {
    char *run;         /* "train", "validation", ... */
    char *tag;         /* "batch_loss", "epoch_perplexity", "grad_norm", ... */
    int per_epoch;     /* 1: step is an epoch number; 0: a global batch number */
    size_t n, cap;     /* points held, capacity */
    int64_t *step;     /* [n] in file order */
    double *value;     /* [n] as logged, possibly nan or inf */
} report_series;

/* An epoch boundary: `epoch` epochs were complete after `batch` batches. */
typedef struct {
    double batch;
    double epoch;
} report_knot;

typedef struct {
    report_series *series;   /* [n_series] in order of first appearance */
    size_t n_series, cap_series;
    report_knot *knots;      /* [n_knots] strictly increasing in both fields */
    size_t n_knots, cap_knots;
    size_t n_rows;           /* data rows read */
    char *source;            /* shown under the title (the CSV path); may be NULL */
} report_log;

/* Reads a CSV scalar log into *log (zeroed first; free with report_log_free
 * also after a failure). */
rnnlm_status report_log_read(report_log *log, const char *csv_path, rnnlm_err *err);
void report_log_free(report_log *log);
/* Appends one point to the series (run, tag), creating it when new. Knots are
 * not touched: a log built this way maps batches to epochs uniformly. */
rnnlm_status report_log_add(report_log *log, const char *run, const char *tag, int64_t step,
                            double value, rnnlm_err *err);

/* The lower level: the SVG of a parsed log, written to out. */
rnnlm_status report_render_svg(const report_log *log, FILE *out, rnnlm_err *err);
/* Reading csv_path and writing the SVG to svg_path atomically is the public
 * rnnlm_report_write (rnnlm.h). */

/* ---- pieces, exposed for the tests ------------------------------------------ */

/* The fractional epoch at the end of batch step `batch` (see the top). Returns
 * batch unchanged when the log has no per-epoch series. */
double report_epoch_of_batch(const report_log *log, double batch);
/* Loose "nice" ticks covering [lo, hi] with about `target` (>= 2) ticks:
 * first, first + step, ..., first + (count - 1) * step, where step is 1, 2 or
 * 5 times a power of ten, first <= lo and the last tick >= hi. lo == hi is
 * widened. Returns count, 0 when lo or hi is not finite or the span is too
 * wide for its ticks to be doubles (near DBL_MAX). */
size_t report_nice_ticks(double lo, double hi, size_t target, double *first, double *step);
/* Averages consecutive buckets of ceil(n / max_points) points (x and y alike)
 * so at most max_points remain; copies when n <= max_points. ox and oy hold
 * min(n, max_points) values. Returns the count written. */
size_t report_downsample(const double *x, const double *y, size_t n, size_t max_points,
                         double *ox, double *oy);

#endif
