/* tfevents.c: TensorBoard event files by hand: a few protobuf encoders, the
 * TFRecord frame and a writer that puts each record down in one write()
 * (see tfevents.h for the format and the guarantees). */
#include "io/tfevents.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "core/elapsed.h"
#include "core/crc32c.h"

/* ---- protobuf wire format --------------------------------------------------
 * A pb is a bounded output that counts every byte it is given but stores them
 * only while they fit; emitting into {NULL, 0} measures a message. */

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
} pb;

static void pb_raw(pb *p, const void *src, size_t n) {
    if (p->len <= p->cap && n <= p->cap - p->len && n) memcpy(p->buf + p->len, src, n);
    p->len += n;
}

static void pb_varint(pb *p, uint64_t v) {
    uint8_t b[10];
    size_t n = 0;
    do {
        uint8_t byte = (uint8_t)(v & 0x7f);
        v >>= 7;
        b[n++] = v ? (uint8_t)(byte | 0x80) : byte;
    } while (v);
    pb_raw(p, b, n);
}

static void pb_key(pb *p, uint32_t field, uint32_t wire) { pb_varint(p, (uint64_t)field << 3 | wire); }

static void pb_fixed64(pb *p, uint32_t field, uint64_t bits) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(bits >> (8 * i));
    pb_key(p, field, WIRE_FIXED64);
    pb_raw(p, b, 8);
}

static void pb_fixed32(pb *p, uint32_t field, uint32_t bits) {
    uint8_t b[4];
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(bits >> (8 * i));
    pb_key(p, field, WIRE_FIXED32);
    pb_raw(p, b, 4);
}

static void pb_bytes(pb *p, uint32_t field, const void *s, size_t n) {
    pb_key(p, field, WIRE_LEN);
    pb_varint(p, n);
    pb_raw(p, s, n);
}

static void pb_string(pb *p, uint32_t field, const char *s) { pb_bytes(p, field, s, strlen(s)); }

/* A nested message: its length first, so measure it, then emit it. */
typedef void (*pb_emit_fn)(pb *p, const void *arg);
static void pb_message(pb *p, uint32_t field, pb_emit_fn emit, const void *arg) {
    pb size = {NULL, 0, 0};
    emit(&size, arg);
    pb_key(p, field, WIRE_LEN);
    pb_varint(p, size.len);
    emit(p, arg);
}

static uint64_t double_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static uint32_t float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* ---- the messages ---------------------------------------------------------
 * Field numbers from tensorboard/compat/proto/{event,summary,tensor}.proto. */

enum {
    EVENT_WALL_TIME = 1, EVENT_STEP = 2, EVENT_FILE_VERSION = 3, EVENT_SUMMARY = 5,
    SUMMARY_VALUE = 1,
    VALUE_TAG = 1, VALUE_SIMPLE_VALUE = 2, VALUE_TENSOR = 8, VALUE_METADATA = 9,
    METADATA_PLUGIN_DATA = 1, METADATA_DATA_CLASS = 4,
    PLUGIN_DATA_PLUGIN_NAME = 1,
    TENSOR_DTYPE = 1, TENSOR_SHAPE = 2, TENSOR_STRING_VAL = 8,
};
enum { DT_STRING = 7, DATA_CLASS_TENSOR = 2 };

typedef struct {
    const char *tag;
    const char *text; /* NULL for a scalar */
    float value;
} value_args;

static void emit_empty(pb *p, const void *arg) { (void)p, (void)arg; }

static void emit_plugin_data_text(pb *p, const void *arg) {
    (void)arg;
    pb_string(p, PLUGIN_DATA_PLUGIN_NAME, "text");
    /* content: TextPluginData {version 0}, which serialises to nothing */
}

static void emit_metadata_text(pb *p, const void *arg) {
    pb_message(p, METADATA_PLUGIN_DATA, emit_plugin_data_text, arg);
    pb_key(p, METADATA_DATA_CLASS, WIRE_VARINT);
    pb_varint(p, DATA_CLASS_TENSOR);
}

static void emit_tensor_string(pb *p, const void *arg) {
    const value_args *v = arg;
    pb_key(p, TENSOR_DTYPE, WIRE_VARINT);
    pb_varint(p, DT_STRING);
    pb_message(p, TENSOR_SHAPE, emit_empty, NULL); /* rank 0: present, no dims */
    pb_string(p, TENSOR_STRING_VAL, v->text);
}

static void emit_value(pb *p, const void *arg) {
    const value_args *v = arg;
    pb_string(p, VALUE_TAG, v->tag);
    if (!v->text) {
        /* in a oneof, so written even when 0.0 */
        pb_fixed32(p, VALUE_SIMPLE_VALUE, float_bits(v->value));
    } else {
        pb_message(p, VALUE_TENSOR, emit_tensor_string, v);
        pb_message(p, VALUE_METADATA, emit_metadata_text, v);
    }
}

static void emit_summary(pb *p, const void *arg) { pb_message(p, SUMMARY_VALUE, emit_value, arg); }

/* wall_time and step, left out at their proto3 defaults as protobuf does */
static void emit_event_head(pb *p, double wall_time, int64_t step) {
    if (double_bits(wall_time) != 0) pb_fixed64(p, EVENT_WALL_TIME, double_bits(wall_time));
    if (step != 0) {
        pb_key(p, EVENT_STEP, WIRE_VARINT);
        pb_varint(p, (uint64_t)step); /* negative: ten bytes, two's complement */
    }
}

static size_t encode_summary_event(uint8_t *buf, size_t cap, double wall_time, int64_t step,
                                   const value_args *v) {
    pb size = {NULL, 0, 0};
    emit_event_head(&size, wall_time, step);
    pb_message(&size, EVENT_SUMMARY, emit_summary, v);
    if (size.len <= cap) {
        pb out = {buf, cap, 0};
        emit_event_head(&out, wall_time, step);
        pb_message(&out, EVENT_SUMMARY, emit_summary, v);
    }
    return size.len;
}

size_t tfevents_encode_file_version(uint8_t *buf, size_t cap, double wall_time) {
    pb size = {NULL, 0, 0};
    emit_event_head(&size, wall_time, 0);
    pb_string(&size, EVENT_FILE_VERSION, TFEVENTS_FILE_VERSION);
    if (size.len <= cap) {
        pb out = {buf, cap, 0};
        emit_event_head(&out, wall_time, 0);
        pb_string(&out, EVENT_FILE_VERSION, TFEVENTS_FILE_VERSION);
    }
    return size.len;
}

size_t tfevents_encode_scalar(uint8_t *buf, size_t cap, double wall_time, int64_t step,
                              const char *tag, float value) {
    if (strlen(tag) > TFEVENTS_MAX_TAG) return 0;
    value_args v = {tag, NULL, value};
    return encode_summary_event(buf, cap, wall_time, step, &v);
}

size_t tfevents_encode_text(uint8_t *buf, size_t cap, double wall_time, int64_t step,
                            const char *tag, const char *text) {
    if (strlen(tag) > TFEVENTS_MAX_TAG || strlen(text) > TFEVENTS_MAX_TEXT) return 0;
    value_args v = {tag, text, 0.0f};
    return encode_summary_event(buf, cap, wall_time, step, &v);
}

static void put_le(uint8_t *p, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

size_t tfevents_frame_record(uint8_t *rec, size_t cap, const uint8_t *data, size_t n) {
    if (n > SIZE_MAX - TFEVENTS_FRAME_OVERHEAD) return SIZE_MAX;
    size_t total = n + TFEVENTS_FRAME_OVERHEAD;
    if (total > cap) return total;
    memmove(rec + 12, data, n);
    put_le(rec, (uint64_t)n, 8);
    put_le(rec + 8, crc32c_mask(crc32c(rec, 8)), 4);
    put_le(rec + 12 + n, crc32c_mask(crc32c(rec + 12, n)), 4);
    return total;
}

/* ---- files ----------------------------------------------------------------- */

rnnlm_status tfevents_mkdir_p(const char *dir, rnnlm_err *err) {
    if (!dir || !*dir) return rnnlm_fail(err, RNNLM_E_ARG, "event directory: empty path");
    size_t n = strlen(dir);
    char *path = rnnlm_calloc(n + 1, 1, "directory path", err);
    if (!path) return RNNLM_E_NOMEM;
    memcpy(path, dir, n + 1);
    rnnlm_status st = RNNLM_OK;
    /* each prefix ending before a '/', then the whole path */
    for (size_t i = 1; i <= n && st == RNNLM_OK; i++) {
        if (i < n && path[i] != '/') continue;
        if (i < n && path[i - 1] == '/') continue; /* "a//b" */
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            st = rnnlm_fail(err, RNNLM_E_IO, "cannot create directory %s: %s", path,
                            strerror(errno));
        path[i] = saved;
    }
    struct stat sb;
    if (st == RNNLM_OK && stat(dir, &sb) != 0)
        st = rnnlm_fail(err, RNNLM_E_IO, "cannot create directory %s: %s", dir, strerror(errno));
    else if (st == RNNLM_OK && !S_ISDIR(sb.st_mode))
        st = rnnlm_fail(err, RNNLM_E_IO, "cannot create directory %s: a file of that name "
                        "exists", dir);
    free(path);
    return st;
}

double tfevents_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct tfevents {
    int fd;
    char *path;
    uint8_t *buf;     /* one framed record */
    size_t cap;       /* bytes in buf */
    off_t end;        /* bytes of complete records in the file */
    double last_sync; /* monotonic seconds */
    bool dirty;       /* written since the last fdatasync */
    bool broken;      /* a torn record could not be cut off: refuse more */
};

const char *tfevents_path(const tfevents *w) { return w->path; }

/* Writes all n bytes, in one write() unless the kernel takes fewer. On failure
 * cuts the file back to the last complete record, so no torn record is ever
 * followed by another. */
static rnnlm_status write_record(tfevents *w, const uint8_t *rec, size_t n, rnnlm_err *err) {
    if (w->broken)
        return rnnlm_fail(err, RNNLM_E_STATE, "%s: an earlier write failed and left a torn "
                          "record", w->path);
    size_t done = 0;
    while (done < n) {
        ssize_t k = write(w->fd, rec + done, n - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            int e = k < 0 ? errno : EIO;
            if (ftruncate(w->fd, w->end) != 0 || lseek(w->fd, w->end, SEEK_SET) < 0)
                w->broken = true;
            return rnnlm_fail(err, RNNLM_E_IO, "%s: write failed: %s", w->path, strerror(e));
        }
        done += (size_t)k;
    }
    w->end += (off_t)n;
    w->dirty = true;
    return RNNLM_OK;
}

static rnnlm_status sync_now(tfevents *w, rnnlm_err *err) {
    w->last_sync = elapsed_now();
    if (!w->dirty) return RNNLM_OK;
    if (fdatasync(w->fd) != 0)
        return rnnlm_fail(err, RNNLM_E_IO, "%s: fdatasync failed: %s", w->path, strerror(errno));
    w->dirty = false;
    return RNNLM_OK;
}

rnnlm_status tfevents_flush(tfevents *w, rnnlm_err *err) {
    if (!w) return rnnlm_fail(err, RNNLM_E_ARG, "tfevents_flush: no writer");
    return sync_now(w, err);
}

/* Frames an encoded event of n bytes (measured beforehand) and writes it. */
typedef size_t (*encode_fn)(uint8_t *buf, size_t cap, const void *arg);

static rnnlm_status put_event(tfevents *w, size_t n, encode_fn encode, const void *arg,
                              rnnlm_err *err) {
    size_t total;
    if (!size_add(n, TFEVENTS_FRAME_OVERHEAD, &total))
        return rnnlm_fail(err, RNNLM_E_NOMEM, "%s: record size overflows", w->path);
    rnnlm_status st = rnnlm_grow((void **)&w->buf, &w->cap, total, 1, "event record", err);
    if (st) return st;
    encode(w->buf + 12, n, arg);
    tfevents_frame_record(w->buf, total, w->buf + 12, n);
    st = write_record(w, w->buf, total, err);
    if (st) return st;
    if (elapsed_now() - w->last_sync > TFEVENTS_FLUSH_SECONDS) return sync_now(w, err);
    return RNNLM_OK;
}

typedef struct {
    double wall_time;
    int64_t step;
    const char *tag;
    const char *text;
    float value;
} event_args;

static size_t encode_file_version_arg(uint8_t *buf, size_t cap, const void *arg) {
    return tfevents_encode_file_version(buf, cap, ((const event_args *)arg)->wall_time);
}
static size_t encode_scalar_arg(uint8_t *buf, size_t cap, const void *arg) {
    const event_args *a = arg;
    return tfevents_encode_scalar(buf, cap, a->wall_time, a->step, a->tag, a->value);
}
static size_t encode_text_arg(uint8_t *buf, size_t cap, const void *arg) {
    const event_args *a = arg;
    return tfevents_encode_text(buf, cap, a->wall_time, a->step, a->tag, a->text);
}

/* Proto3 strings must be UTF-8 or readers refuse the whole event. */
static bool valid_utf8(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p++;
        int more;
        uint32_t cp;
        if (c < 0x80) continue;
        else if (c >= 0xc2 && c <= 0xdf) more = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef) more = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4) more = 3, cp = c & 0x07;
        else return false;
        for (int i = 0; i < more; i++) {
            if ((*p & 0xc0) != 0x80) return false;
            cp = cp << 6 | (*p++ & 0x3f);
        }
        if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (more == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
    }
    return true;
}

static rnnlm_status check_tag(const tfevents *w, const char *tag, rnnlm_err *err) {
    if (!tag || !*tag) return rnnlm_fail(err, RNNLM_E_ARG, "%s: empty tag", w->path);
    if (strlen(tag) > TFEVENTS_MAX_TAG)
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: tag of %zu bytes (at most %d)", w->path,
                          strlen(tag), TFEVENTS_MAX_TAG);
    if (!valid_utf8(tag))
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: tag \"%.64s\" is not UTF-8", w->path, tag);
    return RNNLM_OK;
}

rnnlm_status tfevents_scalar(tfevents *w, const char *tag, int64_t step, float value,
                             double wall_time, rnnlm_err *err) {
    if (!w) return rnnlm_fail(err, RNNLM_E_ARG, "tfevents_scalar: no writer");
    rnnlm_status st = check_tag(w, tag, err);
    if (st) return st;
    event_args a = {wall_time, step, tag, NULL, value};
    return put_event(w, encode_scalar_arg(NULL, 0, &a), encode_scalar_arg, &a, err);
}

rnnlm_status tfevents_text(tfevents *w, const char *tag, int64_t step, const char *text,
                           double wall_time, rnnlm_err *err) {
    if (!w) return rnnlm_fail(err, RNNLM_E_ARG, "tfevents_text: no writer");
    rnnlm_status st = check_tag(w, tag, err);
    if (st) return st;
    if (!text) return rnnlm_fail(err, RNNLM_E_ARG, "%s: text summary %s: no text", w->path, tag);
    if (strlen(text) > TFEVENTS_MAX_TEXT)
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: text summary %s of %zu bytes (at most %u)",
                          w->path, tag, strlen(text), TFEVENTS_MAX_TEXT);
    event_args a = {wall_time, step, tag, text, 0.0f};
    return put_event(w, encode_text_arg(NULL, 0, &a), encode_text_arg, &a, err);
}

/* A host name as a file-name component: [A-Za-z0-9._-], the rest '_'. */
static void file_safe_hostname(char *host, size_t cap) {
    if (gethostname(host, cap) != 0 || !host[0]) snprintf(host, cap, "localhost");
    host[cap - 1] = '\0';
    for (char *c = host; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_';
        if (!ok) *c = '_';
    }
}

rnnlm_status tfevents_open(tfevents **out, const char *dir, rnnlm_err *err) {
    static atomic_uint files_opened;
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "tfevents_open: no output pointer");
    *out = NULL;
    rnnlm_status st = tfevents_mkdir_p(dir, err);
    if (st) return st;
    tfevents *w = rnnlm_calloc(1, sizeof *w, "event writer", err);
    if (!w) return RNNLM_E_NOMEM;
    w->fd = -1;

    char host[256];
    file_safe_hostname(host, sizeof host);
    double wall = tfevents_now();
    long long secs = (long long)wall;
    size_t pathcap = strlen(dir) + strlen(host) + 96;
    w->path = rnnlm_calloc(pathcap, 1, "event file path", err);
    if (!w->path) {
        free(w);
        return RNNLM_E_NOMEM;
    }
    /* The directory's last component is one the run makes (LOGDIR/train):
     * never written through a symbolic link planted there. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        struct stat sb;
        st = lstat(dir, &sb) == 0 && S_ISLNK(sb.st_mode)
                 ? rnnlm_fail(err, RNNLM_E_IO, "%s: a symbolic link where the run keeps its event files; "
                              "refusing to follow it", dir)
                 : rnnlm_fail(err, RNNLM_E_IO, "%s: cannot open: %s", dir, strerror(errno));
        free(w->path);
        free(w);
        return st;
    }
    /* O_EXCL: never append to or clobber another writer's file, nor open one
     * planted there (O_NOFOLLOW: nor a link) */
    for (int attempt = 0; attempt < 1000 && w->fd < 0; attempt++) {
        unsigned n = atomic_fetch_add(&files_opened, 1);
        char name[sizeof host + 96];
        snprintf(name, sizeof name, "events.out.tfevents.%010lld.%s.%ld.%u.v2", secs, host, (long)getpid(), n);
        snprintf(w->path, pathcap, "%s/%s", dir, name);
        w->fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (w->fd < 0 && errno != EEXIST) break;
    }
    int e = errno;
    close(dfd);
    if (w->fd < 0) {
        st = rnnlm_fail(err, RNNLM_E_IO, "cannot create event file %s: %s", w->path, strerror(e));
        free(w->path);
        free(w);
        return st;
    }
    w->last_sync = elapsed_now();
    event_args a = {wall, 0, NULL, NULL, 0.0f};
    st = put_event(w, encode_file_version_arg(NULL, 0, &a), encode_file_version_arg, &a, err);
    if (st) {
        tfevents_close(w, NULL);
        return st;
    }
    *out = w;
    return RNNLM_OK;
}

rnnlm_status tfevents_close(tfevents *w, rnnlm_err *err) {
    if (!w) return RNNLM_OK;
    rnnlm_status st = w->broken ? RNNLM_OK : sync_now(w, err);
    if (close(w->fd) != 0 && st == RNNLM_OK)
        st = rnnlm_fail(err, RNNLM_E_IO, "%s: close failed: %s", w->path, strerror(errno));
    free(w->buf);
    free(w->path);
    free(w);
    return st;
}
