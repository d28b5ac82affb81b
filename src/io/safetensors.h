/* safetensors.h: a writer and a strict reader of the safetensors format
 * (https://github.com/huggingface/safetensors), float32 tensors only.
 *
 * Layout of a file:
 *   uint64 little-endian N                      the header length
 *   N bytes of UTF-8 JSON, padded with spaces   {"name": {"dtype": "F32",
 *                                                 "shape": [d0, d1, ...],
 *                                                 "data_offsets": [begin, end]},
 *                                                 ..., "__metadata__": {"k": "v"}}
 *   the data: every tensor's bytes, row-major, little-endian, at
 *   [begin, end) counted from the byte after the header
 *
 * The reader trusts nothing in the file: the header length is checked against
 * the file size and a cap before the header is read, every entry is checked
 * (dtype, shape, offsets, size == product of the shape * 4, computed with
 * overflow-checked arithmetic), the tensors must cover the data exactly
 * without gaps or overlaps and nothing may follow; only then is the data
 * allocated. Each rejection is RNNLM_E_FORMAT with a message naming the file,
 * the tensor and the cause (RNNLM_E_IO when the file cannot be read).
 *
 * The writer builds the header with jansson with sorted keys (the same
 * tensors and metadata give the same bytes), pads it with spaces to a
 * multiple of 8 (so the data, and every F32 tensor in it, is aligned), writes
 * the tensors in the order given and commits the file atomically
 * (atomic_file.h).
 */
#ifndef RNNLM_SAFETENSORS_H
#define RNNLM_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "core/common.h"

#define ST_MAX_DIMS 8                          /* highest rank accepted */
#define ST_MAX_HEADER ((uint64_t)100 << 20)    /* 100 MiB: larger headers are refused */

/* One tensor to write: float32, row-major, prod(shape) elements at data
 * (data may be NULL when that product is 0). */
typedef struct {
    const char *name;
    int ndim;                       /* 0 (a scalar) .. ST_MAX_DIMS */
    size_t shape[ST_MAX_DIMS];
    const float *data;
} st_tensor;

/* Writes the tensors (names unique, not "__metadata__") and the metadata
 * meta_kv = {key0, value0, key1, value1, ...} (n_meta pairs, keys unique)
 * to path, atomically. RNNLM_E_ARG for a bad argument, RNNLM_E_IO when
 * writing fails (the previous file at path, if any, is then untouched). */
rnnlm_status st_write(const char *path, const st_tensor *tensors, size_t n_tensors,
                      const char *const *meta_kv, size_t n_meta, rnnlm_err *err);
/* The same bytes into a malloc'ed buffer *buf of *len bytes (for tests and
 * for callers that send a file elsewhere). */
rnnlm_status st_write_mem(void **buf, size_t *len, const st_tensor *tensors, size_t n_tensors,
                          const char *const *meta_kv, size_t n_meta, rnnlm_err *err);

/* One tensor of a file that was read. */
typedef struct {
    const char *name;               /* valid while the st_file lives */
    int ndim;
    size_t shape[ST_MAX_DIMS];
    size_t count;                   /* prod(shape) */
    size_t begin, end;              /* byte offsets into the data */
    const float *data;              /* (count) native floats, aligned; NULL when count is 0 */
} st_entry;

typedef struct st_file st_file;     /* opaque */

/* Reads and validates path. */
rnnlm_status st_read_file(st_file **out, const char *path, rnnlm_err *err);
/* Validates a file image in memory; what names it in messages. The data is
 * copied: buf need not outlive *out. */
rnnlm_status st_read_mem(st_file **out, const void *buf, size_t len, const char *what,
                         rnnlm_err *err);
void st_free(st_file *f);

/* Tensors in order of their data offsets. */
size_t st_n_tensors(const st_file *f);
const st_entry *st_tensor_at(const st_file *f, size_t i);
/* The tensor called name, or NULL. */
const st_entry *st_find(const st_file *f, const char *name);

/* Metadata: the value of key, or NULL when absent; pairs in sorted key order. */
const char *st_meta(const st_file *f, const char *key);
size_t st_n_meta(const st_file *f);
void st_meta_at(const st_file *f, size_t i, const char **key, const char **value);

#endif
