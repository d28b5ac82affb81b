/* csvlog.h: the scalars of a training run as CSV, beside its TensorBoard
 * event files (LOGDIR/log.csv next to LOGDIR/train/, LOGDIR/validation/ and
 * LOGDIR/test/, runlog.h), for readers without TensorBoard:
 *
 *     wall_time,run,step,tag,value
 *     1700000000.125000,train,100,batch_loss,5.27734375
 *
 * wall_time in seconds since the epoch, value printed with 9 significant
 * digits (enough to read back the same float). run and tag are quoted as
 * RFC 4180 says when they hold a comma, a quote or a line break.
 *
 * An existing log is appended to (a resumed run continues it) after checking
 * its header; a torn last row left by a crash is cut off first. Each row goes
 * to the kernel in one write(), whole or not at all: a write that fails part
 * way (a full disk) is cut back to the row's start and reported. fdatasync()
 * on csvlog_flush() and on its own when more than CSVLOG_FLUSH_SECONDS passed
 * since the last one.
 *
 * The reader (csvlog_reader_*) takes the log back row by row, for the SVG
 * report (report.h) and anyone else: the first line must be the header
 * above. Fields follow RFC 4180 (quoted fields may hold commas, doubled
 * quotes and line breaks); blank lines are skipped. A malformed row is
 * RNNLM_E_FORMAT with "FILE:LINE: cause", except an unterminated last line
 * (a row being written while the log is read), which is dropped when it does
 * not parse. A missing or unreadable file is RNNLM_E_IO. */
#ifndef RNNLM_CSVLOG_H
#define RNNLM_CSVLOG_H

#include <stdint.h>
#include "rnnlm.h"

/* The one definition of the log's columns: the writer's first line, and
 * what the reader requires of a file's first line. */
#define CSVLOG_HEADER "wall_time,run,step,tag,value"
#define CSVLOG_NFIELDS 5          /* the columns CSVLOG_HEADER names */
#define CSVLOG_MAX_FIELD 4096     /* bytes in one field the reader accepts */
#define CSVLOG_FLUSH_SECONDS 2.0

typedef struct csvlog csvlog;

/* Opens path for appending, creating its directory and the file with the
 * header line when missing. RNNLM_E_FORMAT when an existing file starts with
 * another header; RNNLM_E_IO when path is a symbolic link (never followed) or
 * not a regular file. */
rnnlm_status csvlog_open(csvlog **c, const char *path, rnnlm_err *err);
/* One row. run and tag may not be empty. */
rnnlm_status csvlog_scalar(csvlog *c, const char *run, const char *tag, int64_t step,
                           float value, double wall_time, rnnlm_err *err);
rnnlm_status csvlog_flush(csvlog *c, rnnlm_err *err);
/* Flushes, closes and frees (c may be NULL). */
rnnlm_status csvlog_close(csvlog *c, rnnlm_err *err);
const char *csvlog_path(const csvlog *c);

/* ---- the reader ------------------------------------------------------------ */

typedef struct csvlog_reader csvlog_reader;

/* One row read back; run and tag point into the reader, valid until its next
 * row. */
typedef struct {
    double wall_time;
    const char *run;   /* not empty */
    int64_t step;
    const char *tag;   /* not empty */
    double value;      /* as logged, possibly nan or inf */
    size_t line;       /* the line the row starts on */
} csvlog_row;

/* Opens path and checks its header line. */
rnnlm_status csvlog_reader_open(csvlog_reader **r, const char *path, rnnlm_err *err);
/* The next row into *row; *eof = 1 (and nothing read) after the last. */
rnnlm_status csvlog_reader_next(csvlog_reader *r, csvlog_row *row, int *eof, rnnlm_err *err);
/* Closes and frees (r may be NULL). */
void csvlog_reader_close(csvlog_reader *r);

#endif
