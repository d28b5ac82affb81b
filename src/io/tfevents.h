/* tfevents.h: TensorBoard event files written without TensorFlow.
 *
 * A file is a sequence of TFRecords, each
 *     uint64 LE length | uint32 LE masked crc32c(length) | data | uint32 LE masked crc32c(data)
 * whose data is a protobuf Event (tensorboard/compat/proto/event.proto),
 * encoded here by hand:
 *     Event   { double wall_time = 1; int64 step = 2; string file_version = 3;
 *               Summary summary = 5; }
 *     Summary { repeated Value value = 1; }
 *     Value   { string tag = 1; float simple_value = 2; TensorProto tensor = 8;
 *               SummaryMetadata metadata = 9; }
 * The first record of every file is the Event {wall_time, file_version
 * "brain.Event:2"}. Scalars are Values with simple_value; text (the run's
 * configuration) is a Value whose metadata names the "text" plugin and whose
 * tensor is a rank-0 DT_STRING TensorProto. Fields are written in field-number
 * order and proto3 defaults (step 0, wall_time 0.0) are left out, so the bytes
 * are what protobuf itself would serialise (docs/RECIPE.md section 5;
 * tests/test_tfevents.c holds golden records).
 *
 * Crash safety: every record goes to the kernel in one write() of the whole
 * record, so a killed process leaves every complete record readable (a reader
 * stops at the torn tail). tfevents_flush() adds fdatasync() for power loss; the
 * writer also calls it on its own when more than TFEVENTS_FLUSH_SECONDS passed
 * since the last one.
 *
 *     tfevents *w;
 *     rnnlm_err err;
 *     if (tfevents_open(&w, "runs/brown/train", &err)) return err.status;   // err.msg says why
 *     tfevents_scalar(w, "loss", step, loss, tfevents_now(), &err);
 *     tfevents_close(w, &err);
 */
#ifndef RNNLM_TFEVENTS_H
#define RNNLM_TFEVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "rnnlm.h"

#define TFEVENTS_FILE_VERSION "brain.Event:2"
#define TFEVENTS_FLUSH_SECONDS 2.0
#define TFEVENTS_MAX_TAG 4096                /* bytes of a tag */
#define TFEVENTS_MAX_TEXT (64u << 20)        /* bytes of a text summary */
#define TFEVENTS_FRAME_OVERHEAD 16           /* length, its CRC, the data's CRC */

typedef struct tfevents tfevents;

/* ---- the writer ---------------------------------------------------------- */

/* Creates dir (like mkdir -p) and in it a new file
 * events.out.tfevents.<10-digit unix time>.<host>.<pid>.<n>.v2, where n counts
 * the files this process opened (never an existing file: O_EXCL), and writes
 * the file-version record. dir's last component is never followed when it is
 * a symbolic link (the run makes that directory; a link there is refused). */
rnnlm_status tfevents_open(tfevents **w, const char *dir, rnnlm_err *err);
/* One scalar: tag (UTF-8, 1..TFEVENTS_MAX_TAG bytes), step, value, wall_time in
 * seconds since the epoch (tfevents_now()). */
rnnlm_status tfevents_scalar(tfevents *w, const char *tag, int64_t step, float value,
                             double wall_time, rnnlm_err *err);
/* One text summary (shown by TensorBoard's Text tab, which renders markdown):
 * any bytes up to TFEVENTS_MAX_TEXT, e.g. the configuration of the run. */
rnnlm_status tfevents_text(tfevents *w, const char *tag, int64_t step, const char *text,
                           double wall_time, rnnlm_err *err);
/* fdatasync(): what was written survives a power loss. */
rnnlm_status tfevents_flush(tfevents *w, rnnlm_err *err);
/* Flushes, closes and frees (w may be NULL); the status of the last flush. */
rnnlm_status tfevents_close(tfevents *w, rnnlm_err *err);
/* The path of the file being written (owned by w). */
const char *tfevents_path(const tfevents *w);
/* Seconds since the epoch, with sub-second resolution (CLOCK_REALTIME). */
double tfevents_now(void);

/* mkdir -p: creates dir and every missing parent (mode 0777 & ~umask);
 * RNNLM_E_IO naming the directory that could not be made. */
rnnlm_status tfevents_mkdir_p(const char *dir, rnnlm_err *err);

/* ---- pure encoders (snprintf-like: each returns the full size in bytes and
 * writes only when it fits in cap; buf may be NULL when cap is 0) ---------- */

/* Event {wall_time, file_version "brain.Event:2"}. */
size_t tfevents_encode_file_version(uint8_t *buf, size_t cap, double wall_time);
/* Event {wall_time, step, summary {value {tag, simple_value}}}; 0 when the tag
 * is longer than TFEVENTS_MAX_TAG. */
size_t tfevents_encode_scalar(uint8_t *buf, size_t cap, double wall_time, int64_t step,
                              const char *tag, float value);
/* Event {wall_time, step, summary {value {tag, tensor {dtype DT_STRING,
 * tensor_shape {}, string_val text}, metadata {plugin_data {plugin_name "text"},
 * data_class DATA_CLASS_TENSOR}}}}; 0 when tag or text is too long. */
size_t tfevents_encode_text(uint8_t *buf, size_t cap, double wall_time, int64_t step,
                            const char *tag, const char *text);
/* The TFRecord of data[0..n): n + TFEVENTS_FRAME_OVERHEAD bytes into rec when
 * they fit. data may point into rec (at rec + 12 nothing moves). */
size_t tfevents_frame_record(uint8_t *rec, size_t cap, const uint8_t *data, size_t n);

#endif
