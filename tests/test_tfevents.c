/* test_tfevents.c: CRC32C, the TensorBoard event encoder and writer, and the
 * CSV scalar log.
 *
 * The golden records are the recipe's (docs/RECIPE.md section 5); the text-summary bytes are
 * derived by hand from the field numbers of TensorBoard's protos. Files are
 * read back by a reader written here (TFRecord framing, both CRCs, a strict
 * protobuf decoder that refuses any field it does not expect), not by the
 * library's own code.
 *
 * With TFEVENTS_SAMPLE_DIR set, only test_sample_file runs: it writes the
 * event file that tests/test_tb_reader.sh checks with protobuf's own Python
 * decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "io/csvlog.h"
#include "io/tfevents.h"

/* ---- helpers ---------------------------------------------------------------- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ') { p++; continue; }
        unsigned v;
        assert_true(sscanf(p, "%2x", &v) == 1);
        assert_true(n < cap);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

static void assert_bytes(const uint8_t *got, size_t ngot, const char *want_hex) {
    uint8_t want[1024];
    size_t nwant = unhex(want_hex, want, sizeof want);
    if (ngot != nwant || memcmp(got, want, nwant) != 0) {
        fprintf(stderr, "want %s\ngot  ", want_hex);
        for (size_t i = 0; i < ngot; i++) fprintf(stderr, "%02x", got[i]);
        fprintf(stderr, "\n");
        fail_msg("bytes differ (%zu vs %zu bytes)", ngot, nwant);
    }
}



/* The only file in dir whose name starts with "events.out.tfevents." */
static char *find_event_file(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *found = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "events.out.tfevents.", 20) != 0) continue;
        assert_null(found);
        found = malloc(strlen(dir) + strlen(e->d_name) + 2);
        assert_non_null(found);
        sprintf(found, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    assert_non_null(found);
    return found;
}

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    buf[len] = 0;
    *n = (size_t)len;
    return buf;
}

/* ---- an independent TFRecord reader and strict Event decoder ------------- */

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p + 4) << 32 | le32(p); }

typedef enum { READ_END, READ_TORN, READ_BAD_CRC } read_tail;

typedef struct {
    size_t offset, n; /* where the data of each record lies */
} span;

/* Splits buf into records, checking both CRCs; how the file ends. */
static read_tail read_records(const uint8_t *buf, size_t size, span *out, size_t cap,
                              size_t *count) {
    size_t pos = 0;
    *count = 0;
    while (pos < size) {
        if (size - pos < 12) return READ_TORN;
        uint64_t n = le64(buf + pos);
        if (crc32c_unmask(le32(buf + pos + 8)) != crc32c(buf + pos, 8)) return READ_BAD_CRC;
        if (n > size - pos - 12 || size - pos - 12 - n < 4) return READ_TORN;
        if (crc32c_unmask(le32(buf + pos + 12 + n)) != crc32c(buf + pos + 12, n))
            return READ_BAD_CRC;
        assert_true(*count < cap);
        out[(*count)++] = (span){pos + 12, (size_t)n};
        pos += 16 + n;
    }
    return READ_END;
}

typedef struct {
    double wall;
    int64_t step;
    char file_version[32];
    int has_summary, has_simple, has_tensor, has_metadata, has_shape;
    char tag[64];
    float value;
    char text[256];
    char plugin[16];
    uint64_t dtype, data_class;
} event;

typedef struct {
    const uint8_t *p, *end;
} cursor;

static uint64_t get_varint(cursor *c) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        assert_true(c->p < c->end);
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    fail_msg("varint longer than 10 bytes");
    return 0;
}

static cursor get_len(cursor *c) {
    uint64_t n = get_varint(c);
    assert_true(n <= (uint64_t)(c->end - c->p));
    cursor sub = {c->p, c->p + n};
    c->p += n;
    return sub;
}

static void get_str(cursor *c, char *dst, size_t cap) {
    cursor s = get_len(c);
    size_t n = (size_t)(s.end - s.p);
    assert_true(n < cap);
    memcpy(dst, s.p, n);
    dst[n] = 0;
}

static void decode_plugin_data(cursor c, event *e) {
    while (c.p < c.end) {
        uint64_t key = get_varint(&c);
        assert_int_equal(key, 1 << 3 | 2); /* plugin_name */
        get_str(&c, e->plugin, sizeof e->plugin);
    }
}

static void decode_metadata(cursor c, event *e) {
    while (c.p < c.end) {
        uint64_t key = get_varint(&c);
        if (key == (1 << 3 | 2)) decode_plugin_data(get_len(&c), e);
        else if (key == (4 << 3 | 0)) e->data_class = get_varint(&c);
        else fail_msg("SummaryMetadata: unexpected key %" PRIu64, key);
    }
}

static void decode_tensor(cursor c, event *e) {
    while (c.p < c.end) {
        uint64_t key = get_varint(&c);
        if (key == (1 << 3 | 0)) e->dtype = get_varint(&c);
        else if (key == (2 << 3 | 2)) {
            cursor shape = get_len(&c);
            assert_true(shape.p == shape.end); /* rank 0 */
            e->has_shape = 1;
        } else if (key == (8 << 3 | 2)) get_str(&c, e->text, sizeof e->text);
        else fail_msg("TensorProto: unexpected key %" PRIu64, key);
    }
}

static void decode_value(cursor c, event *e) {
    int last = 0; /* fields in increasing order, as protobuf writes them */
    while (c.p < c.end) {
        uint64_t key = get_varint(&c);
        assert_true((int)(key >> 3) > last);
        last = (int)(key >> 3);
        if (key == (1 << 3 | 2)) get_str(&c, e->tag, sizeof e->tag);
        else if (key == (2 << 3 | 5)) {
            assert_true(c.end - c.p >= 4);
            uint32_t bits = le32(c.p);
            memcpy(&e->value, &bits, 4);
            c.p += 4;
            e->has_simple = 1;
        } else if (key == (8 << 3 | 2)) {
            decode_tensor(get_len(&c), e);
            e->has_tensor = 1;
        } else if (key == (9 << 3 | 2)) {
            decode_metadata(get_len(&c), e);
            e->has_metadata = 1;
        } else fail_msg("Value: unexpected key %" PRIu64, key);
    }
}

static void decode_summary(cursor c, event *e) {
    int values = 0;
    while (c.p < c.end) {
        uint64_t key = get_varint(&c);
        assert_int_equal(key, 1 << 3 | 2);
        decode_value(get_len(&c), e);
        values++;
    }
    assert_int_equal(values, 1);
}

static event decode_event(const uint8_t *data, size_t n) {
    event e;
    memset(&e, 0, sizeof e);
    cursor c = {data, data + n};
    int last = 0;
    while (c.p < c.end) {
        uint64_t key = get_varint(&c);
        assert_true((int)(key >> 3) > last);
        last = (int)(key >> 3);
        if (key == (1 << 3 | 1)) {
            assert_true(c.end - c.p >= 8);
            uint64_t bits = le64(c.p);
            memcpy(&e.wall, &bits, 8);
            c.p += 8;
        } else if (key == (2 << 3 | 0)) e.step = (int64_t)get_varint(&c);
        else if (key == (3 << 3 | 2)) get_str(&c, e.file_version, sizeof e.file_version);
        else if (key == (5 << 3 | 2)) {
            decode_summary(get_len(&c), &e);
            e.has_summary = 1;
        } else fail_msg("Event: unexpected key %" PRIu64, key);
    }
    return e;
}

/* ---- CRC32C ---------------------------------------------------------------- */

static uint32_t crc32c_bitwise(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    }
    return ~c;
}

static void test_crc32c_check_value(void **state) {
    (void)state;
    assert_int_equal(crc32c("123456789", 9), 0xe3069283u);
    assert_int_equal(crc32c_update_portable(0, "123456789", 9), 0xe3069283u);
    assert_int_equal(crc32c("", 0), 0);
    /* RFC 3720 B.4: 32 bytes of zeros, of 0xff */
    uint8_t z[32];
    memset(z, 0, sizeof z);
    assert_int_equal(crc32c(z, 32), 0x8a9136aau);
    memset(z, 0xff, sizeof z);
    assert_int_equal(crc32c(z, 32), 0x62a8ab43u);
    print_message("crc32c: %s\n", crc32c_hardware() ? "SSE4.2 instruction" : "slicing-by-8");
}

static void test_crc32c_paths_agree(void **state) {
    (void)state;
    uint8_t buf[1100];
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= sizeof buf; n += (n < 70 ? 1 : 97)) {
            uint32_t want = crc32c_bitwise(buf + off, n);
            assert_int_equal(crc32c(buf + off, n), want);
            assert_int_equal(crc32c_update_portable(0, buf + off, n), want);
            size_t half = n / 3;
            assert_int_equal(crc32c_update(crc32c(buf + off, half), buf + off + half, n - half),
                             want);
        }
}

static void test_crc32c_mask(void **state) {
    (void)state;
    for (uint32_t c = 1; c < 0xf0000000u; c += 0x01234567u)
        assert_int_equal(crc32c_unmask(crc32c_mask(c)), c);
    assert_int_equal(crc32c_mask(0), 0xa282ead8u);
    assert_int_equal(crc32c_mask(1), 0xa284ead8u); /* 1 rotated right by 15 = 1 << 17 */
}

/* ---- the encoders, byte for byte ------------------------------------------- */

static void test_golden_file_version_record(void **state) {
    (void)state;
    uint8_t data[64], rec[128];
    size_t n = tfevents_encode_file_version(data, sizeof data, 1.0);
    assert_bytes(data, n, "09000000000000f03f1a0d627261696e2e4576656e743a32");
    size_t total = tfevents_frame_record(rec, sizeof rec, data, n);
    assert_int_equal(total, n + 16);
    assert_bytes(rec, total, "1800000000000000 a37f4b22 "
                             "09000000000000f03f1a0d627261696e2e4576656e743a32 86bf577a");
    /* framing in place: the data already at rec + 12 */
    uint8_t rec2[128];
    memcpy(rec2 + 12, data, n);
    assert_int_equal(tfevents_frame_record(rec2, sizeof rec2, rec2 + 12, n), total);
    assert_memory_equal(rec2, rec, total);
}

static void test_golden_scalar(void **state) {
    (void)state;
    uint8_t data[64];
    size_t n = tfevents_encode_scalar(data, sizeof data, 1.0, 7, "loss", 2.5f);
    assert_bytes(data, n, "09000000000000f03f10072a0d0a0b0a046c6f73731500002040");
}

static void test_scalar_defaults_and_varints(void **state) {
    (void)state;
    uint8_t data[128];
    /* wall 0 and step 0 are proto3 defaults: left out; the value stays (oneof) */
    size_t n = tfevents_encode_scalar(data, sizeof data, 0.0, 0, "x", 0.0f);
    assert_bytes(data, n, "2a0a0a080a01781500000000");
    /* step 300: varint ac 02 */
    n = tfevents_encode_scalar(data, sizeof data, 0.0, 300, "x", 0.0f);
    assert_bytes(data, n, "10ac022a0a0a080a01781500000000");
    /* negative steps: ten bytes of two's complement, and back */
    n = tfevents_encode_scalar(data, sizeof data, 0.0, -1, "x", 0.0f);
    assert_bytes(data, n, "10ffffffffffffffffff012a0a0a080a01781500000000");
    int64_t steps[] = {1, 127, 128, INT64_C(1) << 40, INT64_MAX, INT64_MIN, -300};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        n = tfevents_encode_scalar(data, sizeof data, 1700000000.5, steps[i], "loss/train",
                                   -1.25f);
        event e = decode_event(data, n);
        assert_true(e.step == steps[i]);
        assert_true(e.wall == 1700000000.5);
        assert_string_equal(e.tag, "loss/train");
        assert_true(e.has_simple && e.value == -1.25f);
    }
}

static void test_golden_text(void **state) {
    (void)state;
    uint8_t data[128];
    /* Event {wall_time 1.0, summary {value {tag "cfg", tensor {dtype 7,
     * tensor_shape {}, string_val "hi"}, metadata {plugin_data {plugin_name
     * "text"}, data_class 2}}}} */
    size_t n = tfevents_encode_text(data, sizeof data, 1.0, 0, "cfg", "hi");
    assert_bytes(data, n, "09000000000000f03f 2a1d 0a1b 0a03636667 "
                          "4208 0807 1200 42026869 "
                          "4a0a 0a06 0a0474657874 2002");
    event e = decode_event(data, n);
    assert_string_equal(e.tag, "cfg");
    assert_string_equal(e.text, "hi");
    assert_string_equal(e.plugin, "text");
    assert_int_equal(e.dtype, 7);
    assert_int_equal(e.data_class, 2);
    assert_true(e.has_shape && e.has_tensor && e.has_metadata && !e.has_simple);
}

static void test_encoders_measure_without_writing(void **state) {
    (void)state;
    size_t need = tfevents_encode_scalar(NULL, 0, 1.0, 7, "loss", 2.5f);
    assert_int_equal(need, 26);
    uint8_t buf[64];
    memset(buf, 0xee, sizeof buf);
    assert_int_equal(tfevents_encode_scalar(buf, need - 1, 1.0, 7, "loss", 2.5f), need);
    for (size_t i = 0; i < sizeof buf; i++) assert_int_equal(buf[i], 0xee);
    assert_int_equal(tfevents_encode_file_version(buf, 5, 1.0), 24);
    assert_int_equal(buf[0], 0xee);
    assert_int_equal(tfevents_frame_record(buf, 20, buf + 12, 8), 24);
    assert_int_equal(buf[0], 0xee);
    /* a long text: the length varint grows to two bytes */
    char text[200];
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = 0;
    size_t m = tfevents_encode_text(NULL, 0, 1.0, 0, "cfg", text);
    uint8_t *big = malloc(m);
    assert_non_null(big);
    assert_int_equal(tfevents_encode_text(big, m, 1.0, 0, "cfg", text), m);
    event e = decode_event(big, m);
    assert_string_equal(e.text, text);
    assert_int_equal(big[m - 1 - 12 - 199 - 2], 0x42); /* string_val key, then c7 01 */
    assert_int_equal(big[m - 12 - 199 - 2], 0xc7);
    assert_int_equal(big[m - 12 - 199 - 1], 0x01);
    free(big);
    /* too long a tag is refused */
    char *tag = malloc(TFEVENTS_MAX_TAG + 2);
    assert_non_null(tag);
    memset(tag, 't', TFEVENTS_MAX_TAG + 1);
    tag[TFEVENTS_MAX_TAG + 1] = 0;
    assert_int_equal(tfevents_encode_scalar(NULL, 0, 1.0, 0, tag, 1.0f), 0);
    free(tag);
}

/* ---- the writer -------------------------------------------------------------- */

static const char *const TAGS[] = {"loss/train", "ppl/valid", "lr"};

static void test_write_and_read_back(void **state) {
    (void)state;
    char *dir = util_make_tmpdir("tfevents");
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/run/a/train", dir); /* mkdir -p */
    rnnlm_err err;
    tfevents *w;
    assert_int_equal(tfevents_open(&w, sub, &err), RNNLM_OK);
    const int steps = 50;
    for (int s = 0; s < steps; s++)
        for (int t = 0; t < 3; t++)
            assert_int_equal(tfevents_scalar(w, TAGS[t], s * 10, 0.5f * (float)s + (float)t,
                                             1700000000.0 + s, &err),
                             RNNLM_OK);
    assert_int_equal(tfevents_text(w, "config", 0, "hidden = 200\nlayers = 2", 1700000100.0,
                                   &err),
                     RNNLM_OK);
    assert_int_equal(tfevents_flush(w, &err), RNNLM_OK);
    char *path = strdup(tfevents_path(w));
    assert_int_equal(tfevents_close(w, &err), RNNLM_OK);

    /* the name: events.out.tfevents.<10 digits>.<host>.<pid>.<n>.v2 */
    char *found = find_event_file(sub);
    assert_string_equal(found, path);
    const char *base = strrchr(path, '/') + 1;
    long long secs;
    int used = 0;
    assert_int_equal(sscanf(base, "events.out.tfevents.%10lld.%n", &secs, &used), 1);
    assert_int_equal(used, 31);
    assert_true(secs > 1600000000LL);
    char pidpart[64];
    snprintf(pidpart, sizeof pidpart, ".%ld.", (long)getpid());
    assert_non_null(strstr(base, pidpart));
    assert_string_equal(base + strlen(base) - 3, ".v2");

    size_t size;
    uint8_t *buf = slurp(path, &size);
    span recs[512];
    size_t count;
    assert_int_equal(read_records(buf, size, recs, 512, &count), READ_END);
    assert_int_equal(count, 1 + 3 * steps + 1);
    event e = decode_event(buf + recs[0].offset, recs[0].n);
    assert_string_equal(e.file_version, "brain.Event:2");
    assert_true(e.wall > 1600000000.0 && !e.has_summary);
    for (int s = 0; s < steps; s++)
        for (int t = 0; t < 3; t++) {
            span r = recs[1 + 3 * s + t];
            e = decode_event(buf + r.offset, r.n);
            assert_string_equal(e.tag, TAGS[t]);
            assert_int_equal(e.step, s * 10);
            assert_true(e.value == 0.5f * (float)s + (float)t);
            assert_true(e.wall == 1700000000.0 + s);
        }
    e = decode_event(buf + recs[count - 1].offset, recs[count - 1].n);
    assert_string_equal(e.text, "hidden = 200\nlayers = 2");
    assert_string_equal(e.plugin, "text");

    /* a second writer in the same directory gets a file of its own */
    assert_int_equal(tfevents_open(&w, sub, &err), RNNLM_OK);
    assert_string_not_equal(tfevents_path(w), path);
    assert_int_equal(tfevents_close(w, &err), RNNLM_OK);
    assert_int_equal(tfevents_close(NULL, &err), RNNLM_OK);

    free(buf);
    free(found);
    free(path);
    util_rm_rf(dir);
    free(dir);
}

static void test_truncated_file_keeps_earlier_records(void **state) {
    (void)state;
    char *dir = util_make_tmpdir("tfevents");
    rnnlm_err err;
    tfevents *w;
    assert_int_equal(tfevents_open(&w, dir, &err), RNNLM_OK);
    for (int s = 1; s <= 6; s++)
        assert_int_equal(tfevents_scalar(w, "loss", s, (float)s, 1700000000.0, &err), RNNLM_OK);
    assert_int_equal(tfevents_text(w, "config", 0, "a text summary", 1700000000.0, &err),
                     RNNLM_OK);
    char *path = strdup(tfevents_path(w));
    assert_int_equal(tfevents_close(w, &err), RNNLM_OK);

    size_t size;
    uint8_t *buf = slurp(path, &size);
    span whole[16];
    size_t nrec;
    assert_int_equal(read_records(buf, size, whole, 16, &nrec), READ_END);
    assert_int_equal(nrec, 8);

    /* every cut: the records that end before it read back, the rest is torn */
    for (size_t cut = 0; cut <= size; cut++) {
        FILE *f = fopen(path, "wb"); /* the file as a crash at byte cut left it */
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, cut, f), cut);
        assert_int_equal(fclose(f), 0);
        size_t got;
        uint8_t *part = slurp(path, &got);
        assert_int_equal(got, cut);
        span recs[16];
        size_t count;
        read_tail tail = read_records(part, cut, recs, 16, &count);
        size_t complete = 0;
        while (complete < nrec && whole[complete].offset + whole[complete].n + 4 <= cut)
            complete++;
        assert_int_equal(count, complete);
        bool boundary = cut == 0 || (complete > 0 && whole[complete - 1].offset +
                                                             whole[complete - 1].n + 4 == cut);
        assert_int_equal(tail, boundary ? READ_END : READ_TORN);
        for (size_t i = 0; i < count; i++) {
            assert_memory_equal(part + recs[i].offset, buf + whole[i].offset, whole[i].n);
            event e = decode_event(part + recs[i].offset, recs[i].n);
            if (i >= 1 && i <= 6) assert_true(e.step == (int64_t)i && e.value == (float)i);
        }
        free(part);
    }

    /* a flipped byte is caught by the CRC of its record, earlier ones stand */
    for (size_t i = 0; i < nrec; i++) {
        size_t at = whole[i].offset + whole[i].n / 2;
        buf[at] ^= 0x20;
        span recs[16];
        size_t count;
        assert_int_equal(read_records(buf, size, recs, 16, &count), READ_BAD_CRC);
        assert_int_equal(count, i);
        buf[at] ^= 0x20;
        buf[whole[i].offset - 12] ^= 0x01; /* the length */
        assert_int_equal(read_records(buf, size, recs, 16, &count), READ_BAD_CRC);
        assert_int_equal(count, i);
        buf[whole[i].offset - 12] ^= 0x01;
    }
    free(buf);
    free(path);
    util_rm_rf(dir);
    free(dir);
}

/* A process killed without closing its writer leaves every record it wrote
 * (each went to the kernel in one write()), with no flush needed. */
static void test_killed_writer_leaves_whole_records(void **state) {
    (void)state;
    char *dir = util_make_tmpdir("tfevents");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        rnnlm_err err;
        tfevents *w;
        if (tfevents_open(&w, dir, &err)) _exit(2);
        for (int s = 0; s < 100; s++)
            if (tfevents_scalar(w, "loss", s, (float)s, 1700000000.0, &err)) _exit(3);
        raise(SIGKILL);
        _exit(4);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    char *path = find_event_file(dir);
    size_t size, count;
    uint8_t *buf = slurp(path, &size);
    span recs[128];
    assert_int_equal(read_records(buf, size, recs, 128, &count), READ_END);
    assert_int_equal(count, 101);
    event e = decode_event(buf + recs[100].offset, recs[100].n);
    assert_true(e.step == 99 && e.value == 99.0f);
    free(buf);
    free(path);
    util_rm_rf(dir);
    free(dir);
}

/* A write that fails half way (here: past the file-size limit) is cut back,
 * so the file still ends on a whole record. */
static void test_failed_write_leaves_no_torn_record(void **state) {
    (void)state;
    char *dir = util_make_tmpdir("tfevents");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {1000, 1000};
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(2);
        rnnlm_err err;
        tfevents *w;
        if (tfevents_open(&w, dir, &err)) _exit(3);
        rnnlm_status st = RNNLM_OK;
        for (int s = 0; s < 100 && st == RNNLM_OK; s++)
            st = tfevents_scalar(w, "a rather long tag name", s, (float)s, 1700000000.0, &err);
        if (st != RNNLM_E_IO || !strstr(err.msg, tfevents_path(w))) _exit(4);
        tfevents_close(w, NULL);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char *path = find_event_file(dir);
    size_t size, count;
    uint8_t *buf = slurp(path, &size);
    span recs[128];
    assert_int_equal(read_records(buf, size, recs, 128, &count), READ_END);
    assert_true(size <= 1000 && size > 1000 - 70 && count > 10);
    free(buf);
    free(path);
    util_rm_rf(dir);
    free(dir);
}

static void test_error_paths(void **state) {
    (void)state;
    char *dir = util_make_tmpdir("tfevents");
    rnnlm_err err;
    tfevents *w = (tfevents *)&err;

    /* a directory below a regular file cannot be made */
    char file[4200], bad[4300];
    snprintf(file, sizeof file, "%s/plainfile", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(bad, sizeof bad, "%s/logs/train", file);
    memset(&err, 0, sizeof err);
    assert_int_equal(tfevents_open(&w, bad, &err), RNNLM_E_IO);
    assert_null(w);
    assert_int_equal(err.status, RNNLM_E_IO);
    assert_non_null(strstr(err.msg, file));
    /* the directory is a file */
    assert_int_equal(tfevents_open(&w, file, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, file));
    /* a directory where no file can be created, even by root (/proc/<pid>:
     * /proc/self is a symbolic link, which is refused before any file) */
    struct stat sb;
    char proc[64], proc_file[96];
    snprintf(proc, sizeof proc, "/proc/%ld", (long)getpid());
    snprintf(proc_file, sizeof proc_file, "%s/events.out.tfevents.", proc);
    if (stat(proc, &sb) == 0) {
        assert_int_equal(tfevents_open(&w, proc, &err), RNNLM_E_IO);
        assert_non_null(strstr(err.msg, proc_file));
    }
    /* the directory (the last component) is a symbolic link: refused, nothing
     * written where it points */
    char target[4200], link[4200];
    snprintf(target, sizeof target, "%s/elsewhere", dir);
    snprintf(link, sizeof link, "%s/linked", dir);
    assert_int_equal(mkdir(target, 0700), 0);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(tfevents_open(&w, link, &err), RNNLM_E_IO);
    assert_null(w);
    assert_non_null(strstr(err.msg, link));
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_int_equal(rmdir(target), 0);   /* still empty */
    /* a read-only directory, where permissions bind (not for root) */
    if (geteuid() != 0) {
        char ro[4200];
        snprintf(ro, sizeof ro, "%s/readonly", dir);
        assert_int_equal(mkdir(ro, 0500), 0);
        assert_int_equal(tfevents_open(&w, ro, &err), RNNLM_E_IO);
        assert_non_null(strstr(err.msg, ro));
        chmod(ro, 0700);
    }
    assert_int_equal(tfevents_open(&w, "", &err), RNNLM_E_ARG);
    assert_int_equal(tfevents_open(&w, NULL, &err), RNNLM_E_ARG);
    assert_int_equal(tfevents_open(NULL, dir, &err), RNNLM_E_ARG);

    /* bad tags and text */
    assert_int_equal(tfevents_open(&w, dir, &err), RNNLM_OK);
    assert_int_equal(tfevents_scalar(w, "", 0, 1.0f, 1.0, &err), RNNLM_E_ARG);
    assert_int_equal(tfevents_scalar(w, NULL, 0, 1.0f, 1.0, &err), RNNLM_E_ARG);
    assert_int_equal(tfevents_scalar(w, "bad\xff", 0, 1.0f, 1.0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "UTF-8"));
    assert_int_equal(tfevents_scalar(w, "\xc3\x28", 0, 1.0f, 1.0, &err), RNNLM_E_ARG);
    assert_int_equal(tfevents_scalar(w, "\xed\xa0\x80", 0, 1.0f, 1.0, &err), RNNLM_E_ARG);
    assert_int_equal(tfevents_scalar(w, "na\xc3\xafve/\xe2\x82\xac", 0, 1.0f, 1.0, &err),
                     RNNLM_OK);
    char *tag = malloc(TFEVENTS_MAX_TAG + 2);
    assert_non_null(tag);
    memset(tag, 't', TFEVENTS_MAX_TAG + 1);
    tag[TFEVENTS_MAX_TAG + 1] = 0;
    assert_int_equal(tfevents_scalar(w, tag, 0, 1.0f, 1.0, &err), RNNLM_E_ARG);
    free(tag);
    assert_int_equal(tfevents_text(w, "config", 0, NULL, 1.0, &err), RNNLM_E_ARG);
    assert_int_equal(tfevents_scalar(NULL, "x", 0, 1.0f, 1.0, &err), RNNLM_E_ARG);
    assert_int_equal(tfevents_flush(NULL, &err), RNNLM_E_ARG);
    /* refused calls wrote nothing: the file holds two whole records */
    char *path = strdup(tfevents_path(w));
    assert_int_equal(tfevents_close(w, &err), RNNLM_OK);
    size_t size, count;
    uint8_t *buf = slurp(path, &size);
    span recs[8];
    assert_int_equal(read_records(buf, size, recs, 8, &count), READ_END);
    assert_int_equal(count, 2);
    free(buf);
    free(path);
    util_rm_rf(dir);
    free(dir);
}

/* ---- the CSV log ------------------------------------------------------------- */

static void test_csvlog(void **state) {
    (void)state;
    char *dir = util_make_tmpdir("tfevents");
    char path[4200];
    snprintf(path, sizeof path, "%s/runs/x/scalars.csv", dir);
    rnnlm_err err;
    csvlog *c;
    assert_int_equal(csvlog_open(&c, path, &err), RNNLM_OK);
    assert_string_equal(csvlog_path(c), path);
    assert_int_equal(csvlog_scalar(c, "train", "loss", 100, 5.27734375f, 1700000000.125, &err),
                     RNNLM_OK);
    assert_int_equal(csvlog_scalar(c, "valid", "a,b \"q\"", -3, 0.1f, 1700000001.0, &err),
                     RNNLM_OK);
    assert_int_equal(csvlog_scalar(c, "", "loss", 1, 1.0f, 1.0, &err), RNNLM_E_ARG);
    assert_int_equal(csvlog_flush(c, &err), RNNLM_OK);
    assert_int_equal(csvlog_close(c, &err), RNNLM_OK);
    size_t n;
    char *text = (char *)slurp(path, &n);
    assert_string_equal(text, "wall_time,run,step,tag,value\n"
                              "1700000000.125000,train,100,loss,5.27734375\n"
                              "1700000001.000000,valid,-3,\"a,b \"\"q\"\"\",0.100000001\n");
    free(text);

    /* reopening appends, without a second header; a torn last row is cut */
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("1700000002.000000,train,2", f);
    fclose(f);
    assert_int_equal(csvlog_open(&c, path, &err), RNNLM_OK);
    assert_int_equal(csvlog_scalar(c, "train", "loss", 200, 4.5f, 1700000003.0, &err), RNNLM_OK);
    assert_int_equal(csvlog_close(c, &err), RNNLM_OK);
    text = (char *)slurp(path, &n);
    assert_string_equal(text, "wall_time,run,step,tag,value\n"
                              "1700000000.125000,train,100,loss,5.27734375\n"
                              "1700000001.000000,valid,-3,\"a,b \"\"q\"\"\",0.100000001\n"
                              "1700000003.000000,train,200,loss,4.5\n");
    free(text);

    /* a file that is not ours is refused, and left alone */
    char other[4300];
    snprintf(other, sizeof other, "%s/other.csv", dir);
    f = fopen(other, "w");
    assert_non_null(f);
    fputs("a,b\n1,2\n", f);
    fclose(f);
    c = (csvlog *)&err;
    assert_int_equal(csvlog_open(&c, other, &err), RNNLM_E_FORMAT);
    assert_null(c);
    assert_non_null(strstr(err.msg, other));
    text = (char *)slurp(other, &n);
    assert_string_equal(text, "a,b\n1,2\n");
    free(text);

    /* a directory below a regular file */
    char bad[4400];
    snprintf(bad, sizeof bad, "%s/sub/scalars.csv", other);
    assert_int_equal(csvlog_open(&c, bad, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, other));
    assert_int_equal(csvlog_open(&c, dir, &err), RNNLM_E_IO); /* a directory */
    assert_non_null(strstr(err.msg, dir));
    assert_int_equal(csvlog_open(&c, "", &err), RNNLM_E_ARG);
    assert_int_equal(csvlog_close(NULL, &err), RNNLM_OK);
    /* a symbolic link at the log's name (to an empty file, which an append
     * would give the header) is refused and its target left empty */
    char victim[4300], link[4300];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(link, sizeof link, "%s/linked.csv", dir);
    f = fopen(victim, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(symlink(victim, link), 0);
    assert_int_equal(csvlog_open(&c, link, &err), RNNLM_E_IO);
    assert_null(c);
    assert_non_null(strstr(err.msg, link));
    assert_non_null(strstr(err.msg, "symbolic link"));
    text = (char *)slurp(victim, &n);
    assert_int_equal(n, 0);
    free(text);
    util_rm_rf(dir);
    free(dir);
}

/* A full disk (here: the file-size limit, with SIGXFSZ ignored) in the middle
 * of a row: the row is cut back whole, the error names the log, and the file
 * still ends on a complete row. */
static void test_csvlog_full_disk_leaves_no_torn_row(void **state) {
    (void)state;
    char *dir = util_make_tmpdir("tfevents");
    char path[4200];
    snprintf(path, sizeof path, "%s/log.csv", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {1000, 1000};
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(2);
        rnnlm_err err;
        csvlog *c;
        if (csvlog_open(&c, path, &err)) _exit(3);
        rnnlm_status st = RNNLM_OK;
        int rows = 0;
        for (; rows < 100 && st == RNNLM_OK; rows++)
            st = csvlog_scalar(c, "train", "a rather long tag", rows, 0.1f * (float)rows, 1700000000.0, &err);
        if (st != RNNLM_E_IO || !strstr(err.msg, path) || rows < 10) _exit(4);
        /* the same row again fails the same way and leaves the file as it was */
        int last = rows - 1;
        if (csvlog_scalar(c, "train", "a rather long tag", last, 0.1f * (float)last, 1700000000.0, &err) !=
            RNNLM_E_IO)
            _exit(5);
        csvlog_close(c, NULL);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    size_t n;
    char *text = (char *)slurp(path, &n);
    assert_true(n > 1000 - 60 && n < 1000); /* the limit fell inside a row */
    assert_int_equal(text[n - 1], '\n');
    size_t rows = 0;
    for (char *line = strchr(text, '\n') + 1; line < text + n; line = strchr(line, '\n') + 1, rows++) {
        char tag[32];
        int step;
        assert_int_equal(sscanf(line, "1700000000.000000,train,%d,%31[^,],", &step, tag), 2);
        assert_int_equal(step, (int)rows);
    }
    assert_true(rows >= 10);
    free(text);
    util_rm_rf(dir);
    free(dir);
}

/* ---- the sample for tests/test_tb_reader.sh ---------------------------------
 * Keep in step with the expectations in that script. */

static void test_sample_file(void **state) {
    (void)state;
    const char *dir = getenv("TFEVENTS_SAMPLE_DIR");
    assert_non_null(dir);
    rnnlm_err err;
    tfevents *w;
    if (tfevents_open(&w, dir, &err)) fail_msg("%s", err.msg);
    for (int s = 0; s < 5; s++) {
        assert_int_equal(tfevents_scalar(w, "loss/train", 100 * s, 6.0f - 0.5f * (float)s,
                                         1700000000.0 + s, &err), RNNLM_OK);
        assert_int_equal(tfevents_scalar(w, "ppl/valid", 100 * s, 400.0f - 32.0f * (float)s,
                                         1700000000.0 + s, &err), RNNLM_OK);
    }
    assert_int_equal(tfevents_scalar(w, "zero", 0, 0.0f, 1700000010.0, &err), RNNLM_OK);
    assert_int_equal(tfevents_scalar(w, "big/step", INT64_C(1) << 40, -1.5f, 1700000011.0,
                                     &err), RNNLM_OK);
    assert_int_equal(tfevents_scalar(w, "na\xc3\xafve", 3, 0.25f, 1700000012.0, &err), RNNLM_OK);
    assert_int_equal(tfevents_text(w, "config", 0, "hidden: 200\nlayers: 2\nna\xc3\xafve: yes",
                                   1700000013.0, &err), RNNLM_OK);
    assert_int_equal(tfevents_close(w, &err), RNNLM_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_check_value),
        cmocka_unit_test(test_crc32c_paths_agree),
        cmocka_unit_test(test_crc32c_mask),
        cmocka_unit_test(test_golden_file_version_record),
        cmocka_unit_test(test_golden_scalar),
        cmocka_unit_test(test_scalar_defaults_and_varints),
        cmocka_unit_test(test_golden_text),
        cmocka_unit_test(test_encoders_measure_without_writing),
        cmocka_unit_test(test_write_and_read_back),
        cmocka_unit_test(test_truncated_file_keeps_earlier_records),
        cmocka_unit_test(test_killed_writer_leaves_whole_records),
        cmocka_unit_test(test_failed_write_leaves_no_torn_record),
        cmocka_unit_test(test_error_paths),
        cmocka_unit_test(test_csvlog),
        cmocka_unit_test(test_csvlog_full_disk_leaves_no_torn_row),
    };
    /* with TFEVENTS_SAMPLE_DIR set, only the sample for the shell test */
    const struct CMUnitTest sample[] = {cmocka_unit_test(test_sample_file)};
    const char *dir = getenv("TFEVENTS_SAMPLE_DIR");
    if (dir && *dir) return cmocka_run_group_tests(sample, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
