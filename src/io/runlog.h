/* runlog.h: a training run's log directory, laid out as Keras does:
 *   LOGDIR/train/events.out.tfevents.*       TensorBoard events of training
 *   LOGDIR/validation/events.out.tfevents.*  TensorBoard events of validation
 *   LOGDIR/test/events.out.tfevents.*        of the test set, once it is logged
 *   LOGDIR/log.csv                           the same scalars as CSV
 * Each scalar goes to both the run's event file and the CSV. */
#ifndef RNNLM_RUNLOG_H
#define RNNLM_RUNLOG_H

#include "core/common.h"

typedef enum { RUN_TRAIN = 0, RUN_VALIDATION = 1, RUN_TEST = 2 } run_kind;

typedef struct runlog runlog;

rnnlm_status runlog_open(runlog **out, const char *logdir, rnnlm_err *err);
rnnlm_status runlog_scalar(runlog *r, run_kind run, const char *tag, int64_t step, double value,
                           rnnlm_err *err);
/* A text summary (the configuration) in the training run. */
rnnlm_status runlog_text(runlog *r, const char *tag, int64_t step, const char *text, rnnlm_err *err);
rnnlm_status runlog_flush(runlog *r, rnnlm_err *err);
/* Flushes and closes; NULL is fine. */
rnnlm_status runlog_close(runlog *r, rnnlm_err *err);

#endif
