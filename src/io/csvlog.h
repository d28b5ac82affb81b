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
 * since the last one. */
#ifndef RNNLM_CSVLOG_H
#define RNNLM_CSVLOG_H

#include <stdint.h>
#include "rnnlm.h"

#define CSVLOG_HEADER "wall_time,run,step,tag,value"
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

#endif
