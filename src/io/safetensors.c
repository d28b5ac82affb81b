/* safetensors.c: the safetensors writer and its strict reader (see
 * safetensors.h). Only F32 is written or accepted. */
#include "io/safetensors.h"
#include "core/atomic_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if !defined(__BYTE_ORDER__) || (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ && \
                                 __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__)
#error "safetensors.c needs to know the byte order"
#endif
#define ST_HOST_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

#define META_KEY "__metadata__"

static uint32_t bswap32(uint32_t x) { return __builtin_bswap32(x); }

/* ------------------------------------------------------------------ writer */

/* Adds tensor t (index i, its data at byte *off) to the header root;
 * *off moves past its data. */
static rnnlm_status header_tensor(json_t *root, const st_tensor *t, size_t i, size_t *off, rnnlm_err *err) {
    const char *name = t->name;
    if (!name || !*name) return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: tensor %zu has no name", i);
    if (strcmp(name, META_KEY) == 0)
        return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: '%s' is reserved, not a tensor name", name);
    if (json_object_get(root, name))
        return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: tensor name '%s' used twice", name);
    if (t->ndim < 0 || t->ndim > ST_MAX_DIMS)
        return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: tensor '%s': rank %d outside [0, %d]", name, t->ndim,
                          ST_MAX_DIMS);
    size_t count = 1, bytes, end;
    json_t *shape = json_array();
    int ok = shape != NULL;
    for (int d = 0; ok && d < t->ndim; d++) {
        ok = size_mul(count, t->shape[d], &count) && t->shape[d] <= (size_t)INT64_MAX &&
             json_array_append_new(shape, json_integer((json_int_t)t->shape[d])) == 0;
    }
    if (ok) ok = size_mul(count, 4, &bytes) && size_add(*off, bytes, &end) && end <= (size_t)INT64_MAX;
    if (!ok) {
        json_decref(shape);
        return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: tensor '%s': size overflows", name);
    }
    if (count && !t->data) {
        json_decref(shape);
        return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: tensor '%s' has no data", name);
    }
    json_t *e = json_pack("{s:s, s:o, s:[I, I]}", "dtype", "F32", "shape", shape, "data_offsets",
                          (json_int_t)*off, (json_int_t)end);
    if (!e || json_object_set_new(root, name, e) != 0)
        return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: tensor name '%s' is not valid UTF-8", name);
    *off = end;
    return RNNLM_OK;
}

/* Adds the n_meta key/value pairs kv as the header's __metadata__. */
static rnnlm_status header_metadata(json_t *root, const char *const *kv, size_t n_meta, rnnlm_err *err) {
    json_t *meta = json_object();
    if (!meta || json_object_set_new(root, META_KEY, meta) != 0)
        return rnnlm_fail(err, RNNLM_E_NOMEM, "safetensors header: out of memory");
    for (size_t i = 0; i < n_meta; i++) {
        const char *k = kv[2 * i], *v = kv[2 * i + 1];
        if (!k || !v)
            return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: metadata pair %zu has a NULL key or value", i);
        if (json_object_get(meta, k))
            return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: metadata key '%s' given twice", k);
        if (json_object_set_new(meta, k, json_string(v)) != 0)
            return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: metadata '%s' is not valid UTF-8", k);
    }
    return RNNLM_OK;
}

/* Checks the arguments and builds the header: *hdr (malloc'ed, *hlen bytes,
 * a multiple of 8, space-padded, not NUL-terminated) and the data length. */
static rnnlm_status header_build(char **hdr, size_t *hlen, size_t *data_len, const st_tensor *t,
                                 size_t n, const char *const *kv, size_t n_meta, rnnlm_err *err) {
    *hdr = NULL;
    json_t *root = json_object();
    if (!root) return rnnlm_fail(err, RNNLM_E_NOMEM, "safetensors header: out of memory");
    rnnlm_status st = RNNLM_OK;
    size_t off = 0;
    for (size_t i = 0; !st && i < n; i++) st = header_tensor(root, &t[i], i, &off, err);
    if (!st && n_meta) st = header_metadata(root, kv, n_meta, err);
    char *s = st ? NULL : json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(root);
    if (st) return st;
    if (!s) return rnnlm_fail(err, RNNLM_E_NOMEM, "safetensors header: out of memory");
    size_t len = strlen(s), padded = (len + 7) & ~(size_t)7;
    if (padded > ST_MAX_HEADER) {
        free(s);
        return rnnlm_fail(err, RNNLM_E_ARG, "safetensors: header of %zu bytes exceeds the %llu-byte cap",
                          len, (unsigned long long)ST_MAX_HEADER);
    }
    char *h = realloc(s, padded ? padded : 1);
    if (!h) { free(s); return rnnlm_fail(err, RNNLM_E_NOMEM, "safetensors header: out of memory"); }
    memset(h + len, ' ', padded - len);
    *hdr = h;
    *hlen = padded;
    *data_len = off;
    return RNNLM_OK;
}

static void put_u64le(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Copies count floats to dst as little-endian bytes. */
static void put_f32le(unsigned char *dst, const float *src, size_t count) {
    if (ST_HOST_LE) {
        memcpy(dst, src, count * 4);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &src[i], 4);
        u = bswap32(u);
        memcpy(dst + 4 * i, &u, 4);
    }
}

static size_t tensor_count(const st_tensor *t) {
    size_t c = 1;
    for (int d = 0; d < t->ndim; d++) c *= t->shape[d];   /* checked by header_build */
    return c;
}

rnnlm_status st_write(const char *path, const st_tensor *t, size_t n, const char *const *kv,
                      size_t n_meta, rnnlm_err *err) {
    char *hdr;
    size_t hlen, data_len;
    rnnlm_status st = header_build(&hdr, &hlen, &data_len, t, n, kv, n_meta, err);
    if (st) return st;
    rnnlm_atomic_file af;
    if ((st = rnnlm_atomic_open(&af, path, err))) { free(hdr); return st; }
    unsigned char prefix[8];
    put_u64le(prefix, hlen);
    int ok = fwrite(prefix, 1, 8, af.f) == 8 && fwrite(hdr, 1, hlen, af.f) == hlen;
    free(hdr);
    unsigned char chunk[4096];
    for (size_t i = 0; ok && i < n; i++) {
        size_t count = tensor_count(&t[i]);
        if (ST_HOST_LE) {
            ok = count == 0 || fwrite(t[i].data, 4, count, af.f) == count;
            continue;
        }
        for (size_t j = 0; ok && j < count; j += sizeof chunk / 4) {
            size_t k = count - j < sizeof chunk / 4 ? count - j : sizeof chunk / 4;
            put_f32le(chunk, t[i].data + j, k);
            ok = fwrite(chunk, 4, k, af.f) == k;
        }
    }
    if (!ok) {
        int e = errno;
        rnnlm_atomic_abort(&af);
        return rnnlm_fail(err, RNNLM_E_IO, "%s: write failed: %s", path, strerror(e));
    }
    return rnnlm_atomic_commit(&af, err);
}

rnnlm_status st_write_mem(void **buf, size_t *len, const st_tensor *t, size_t n,
                          const char *const *kv, size_t n_meta, rnnlm_err *err) {
    char *hdr;
    size_t hlen, data_len, total;
    rnnlm_status st = header_build(&hdr, &hlen, &data_len, t, n, kv, n_meta, err);
    if (st) return st;
    if (!size_add(8, hlen, &total) || !size_add(total, data_len, &total)) {
        free(hdr);
        return rnnlm_fail(err, RNNLM_E_NOMEM, "safetensors: file size overflows");
    }
    unsigned char *p = rnnlm_calloc(total, 1, "safetensors image", err);
    if (!p) { free(hdr); return RNNLM_E_NOMEM; }
    put_u64le(p, hlen);
    memcpy(p + 8, hdr, hlen);
    free(hdr);
    size_t off = 8 + hlen;
    for (size_t i = 0; i < n; i++) {
        size_t count = tensor_count(&t[i]);
        if (count) put_f32le(p + off, t[i].data, count);
        off += 4 * count;
    }
    *buf = p;
    *len = total;
    return RNNLM_OK;
}

/* ------------------------------------------------------------------ reader */

struct st_file {
    json_t *root;            /* the parsed header: names and metadata point into it */
    st_entry *entries;       /* (n) sorted by begin */
    size_t n;
    const char **meta_key, **meta_val;   /* (n_meta) sorted by key */
    size_t n_meta;
    unsigned char *data;     /* (data_len) */
    size_t data_len;
};

void st_free(st_file *f) {
    if (!f) return;
    json_decref(f->root);
    free(f->entries);
    free(f->meta_key);
    free(f->meta_val);
    free(f->data);
    free(f);
}

size_t st_n_tensors(const st_file *f) { return f->n; }
const st_entry *st_tensor_at(const st_file *f, size_t i) { return i < f->n ? &f->entries[i] : NULL; }
size_t st_n_meta(const st_file *f) { return f->n_meta; }

const st_entry *st_find(const st_file *f, const char *name) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->entries[i].name, name) == 0) return &f->entries[i];
    return NULL;
}

const char *st_meta(const st_file *f, const char *key) {
    for (size_t i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_key[i], key) == 0) return f->meta_val[i];
    return NULL;
}

void st_meta_at(const st_file *f, size_t i, const char **key, const char **value) {
    *key = i < f->n_meta ? f->meta_key[i] : NULL;
    *value = i < f->n_meta ? f->meta_val[i] : NULL;
}

static const char *json_kind(const json_t *j) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* A JSON integer in [0, SIZE_MAX] into *out; otherwise a message naming
 * what (e.g. "shape[1]") and why. */
static rnnlm_status json_size(const json_t *j, size_t *out, const char *file, const char *tensor,
                              const char *what, size_t idx, rnnlm_err *err) {
    if (!json_is_integer(j))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': %s[%zu] is %s, not an integer", file,
                          tensor, what, idx, json_kind(j));
    json_int_t v = json_integer_value(j);
    if (v < 0)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': %s[%zu] = %lld is negative", file, tensor,
                          what, idx, (long long)v);
    if ((unsigned long long)v > SIZE_MAX)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': %s[%zu] = %lld exceeds this machine's size_t",
                          file, tensor, what, idx, (long long)v);
    *out = (size_t)v;
    return RNNLM_OK;
}

/* Checks one tensor entry and fills e (name set by the caller). */
static rnnlm_status check_entry(st_entry *e, const json_t *j, size_t data_len, const char *what,
                                rnnlm_err *err) {
    const char *name = e->name;
    if (!json_is_object(j))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': entry is %s, not an object", what, name,
                          json_kind(j));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        if (strcmp(k, "dtype") && strcmp(k, "shape") && strcmp(k, "data_offsets"))
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': unexpected key '%s'", what, name, k);
    }
    const json_t *dtype = json_object_get(j, "dtype"), *shape = json_object_get(j, "shape"),
                 *offs = json_object_get(j, "data_offsets");
    if (!dtype) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': no dtype", what, name);
    if (!shape) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': no shape", what, name);
    if (!offs) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': no data_offsets", what, name);
    if (!json_is_string(dtype))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': dtype is %s, not a string", what, name,
                          json_kind(dtype));
    if (strcmp(json_string_value(dtype), "F32") != 0)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': dtype %s is not supported (only F32)",
                          what, name, json_string_value(dtype));
    if (!json_is_array(shape))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': shape is %s, not an array", what, name,
                          json_kind(shape));
    size_t nd = json_array_size(shape);
    if (nd > ST_MAX_DIMS)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': rank %zu exceeds %d", what, name, nd,
                          ST_MAX_DIMS);
    e->ndim = (int)nd;
    size_t count = 1, bytes;
    for (size_t d = 0; d < nd; d++) {
        rnnlm_status st = json_size(json_array_get(shape, d), &e->shape[d], what, name, "shape", d, err);
        if (st) return st;
        if (!size_mul(count, e->shape[d], &count))
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': element count overflows", what, name);
    }
    if (!size_mul(count, 4, &bytes))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': byte size overflows", what, name);
    e->count = count;
    if (!json_is_array(offs) || json_array_size(offs) != 2)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': data_offsets is not a pair [begin, end]",
                          what, name);
    rnnlm_status st;
    if ((st = json_size(json_array_get(offs, 0), &e->begin, what, name, "data_offsets", 0, err)) ||
        (st = json_size(json_array_get(offs, 1), &e->end, what, name, "data_offsets", 1, err)))
        return st;
    if (e->begin > e->end)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s': data_offsets begin %zu > end %zu", what,
                          name, e->begin, e->end);
    if (e->end - e->begin != bytes)
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s: tensor '%s': data_offsets span %zu bytes, but the shape needs %zu", what,
                          name, e->end - e->begin, bytes);
    if (e->begin > data_len)
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s: tensor '%s': data_offsets [%zu, %zu] lie outside the %zu bytes of data",
                          what, name, e->begin, e->end, data_len);
    return RNNLM_OK;
}

static int cmp_entry(const void *a, const void *b) {
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int cmp_meta(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Parses and checks the header (hlen bytes) of a file whose data region is
 * data_len bytes long; allocates nothing sized by the file beyond what the
 * header itself holds. */
static rnnlm_status parse_header(st_file *f, const char *hdr, size_t hlen, size_t data_len,
                                 const char *what, rnnlm_err *err) {
    json_error_t je;
    f->root = json_loadb(hdr, hlen, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!f->root) {
        if (strstr(je.text, "duplicate"))
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: header: duplicate name (%s, column %d)", what,
                              je.text, je.column);
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: header is not valid JSON: %s (column %d)", what,
                          je.text, je.column);
    }
    if (!json_is_object(f->root))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: header is %s, not a JSON object", what,
                          json_kind(f->root));
    if (hdr[0] != '{')
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: header does not begin with '{'", what);
    json_t *meta = json_object_get(f->root, META_KEY);
    size_t n_obj = json_object_size(f->root), n = n_obj - (meta != NULL);
    if (meta) {
        if (!json_is_object(meta))
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: %s is %s, not an object", what, META_KEY,
                              json_kind(meta));
        size_t nm = json_object_size(meta);
        f->meta_key = rnnlm_calloc(nm ? nm : 1, sizeof *f->meta_key, "safetensors metadata", err);
        f->meta_val = rnnlm_calloc(nm ? nm : 1, sizeof *f->meta_val, "safetensors metadata", err);
        if (!f->meta_key || !f->meta_val) return RNNLM_E_NOMEM;
        const char *k;
        json_t *v;
        json_object_foreach(meta, k, v) {
            if (!json_is_string(v))
                return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: %s value of '%s' is %s, not a string", what,
                                  META_KEY, k, json_kind(v));
            f->meta_key[f->n_meta++] = k;
        }
        qsort(f->meta_key, f->n_meta, sizeof *f->meta_key, cmp_meta);
        for (size_t i = 0; i < f->n_meta; i++)
            f->meta_val[i] = json_string_value(json_object_get(meta, f->meta_key[i]));
    }
    f->entries = rnnlm_calloc(n ? n : 1, sizeof *f->entries, "safetensors entries", err);
    if (!f->entries) return RNNLM_E_NOMEM;
    const char *k;
    json_t *v;
    json_object_foreach(f->root, k, v) {
        if (strcmp(k, META_KEY) == 0) continue;
        st_entry *e = &f->entries[f->n++];
        e->name = k;
        rnnlm_status st = check_entry(e, v, data_len, what, err);
        if (st) return st;
    }
    /* exact coverage of [0, data_len): sorted by begin, each starts where the last ended */
    qsort(f->entries, f->n, sizeof *f->entries, cmp_entry);
    size_t at = 0;
    const char *prev = NULL;
    for (size_t i = 0; i < f->n; i++) {
        const st_entry *e = &f->entries[i];
        if (e->begin > at)
            return rnnlm_fail(err, RNNLM_E_FORMAT,
                              "%s: gap in the data: bytes [%zu, %zu) before tensor '%s' belong to no tensor",
                              what, at, e->begin, e->name);
        if (e->begin < at)
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: tensor '%s' [%zu, %zu] overlaps tensor '%s'", what,
                              e->name, e->begin, e->end, prev);
        at = e->end;
        prev = e->name;
    }
    if (at > data_len)
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s: data truncated: the tensors need %zu bytes, the file holds %zu", what, at,
                          data_len);
    if (at < data_len)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: %zu trailing bytes after the data of the last tensor",
                          what, data_len - at);
    return RNNLM_OK;
}

/* Checks the 8-byte prefix of a file of file_len bytes: *hlen the header
 * length, *data_len what follows the header. */
static rnnlm_status check_prefix(const unsigned char *p, size_t file_len, size_t *hlen,
                                 size_t *data_len, const char *what, rnnlm_err *err) {
    if (file_len == 0) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: empty file", what);
    if (file_len < 8)
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s: %zu bytes: truncated inside the 8-byte header length", what, file_len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | p[i];
    if (n > ST_MAX_HEADER)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: header length %llu exceeds the cap of %llu bytes", what,
                          (unsigned long long)n, (unsigned long long)ST_MAX_HEADER);
    if (n > file_len - 8)
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s: header length %llu runs past the end of the file (%zu bytes)", what,
                          (unsigned long long)n, file_len);
    if (n < 2)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: header length %llu is too short for a JSON object",
                          what, (unsigned long long)n);
    *hlen = (size_t)n;
    *data_len = file_len - 8 - (size_t)n;
    return RNNLM_OK;
}

/* After parse_header: points the entries at the data (and converts it to
 * native floats on a big-endian host). */
static void bind_data(st_file *f) {
    if (!ST_HOST_LE)
        for (size_t i = 0; i + 4 <= f->data_len; i += 4) {
            uint32_t u;
            memcpy(&u, f->data + i, 4);
            u = bswap32(u);
            memcpy(f->data + i, &u, 4);
        }
    for (size_t i = 0; i < f->n; i++) {
        st_entry *e = &f->entries[i];
        /* begin is a multiple of 4: every tensor before it is whole floats */
        e->data = e->count ? (const float *)(const void *)(f->data + e->begin) : NULL;
    }
}

rnnlm_status st_read_mem(st_file **out, const void *buf, size_t len, const char *what, rnnlm_err *err) {
    *out = NULL;
    const unsigned char *p = buf;
    size_t hlen, data_len;
    rnnlm_status st = check_prefix(p, len, &hlen, &data_len, what, err);
    if (st) return st;
    st_file *f = rnnlm_calloc(1, sizeof *f, "safetensors file", err);
    if (!f) return RNNLM_E_NOMEM;
    st = parse_header(f, (const char *)p + 8, hlen, data_len, what, err);
    if (!st && !(f->data = rnnlm_calloc(data_len ? data_len : 1, 1, "safetensors data", err)))
        st = RNNLM_E_NOMEM;
    if (st) { st_free(f); return st; }
    memcpy(f->data, p + 8 + hlen, data_len);
    f->data_len = data_len;
    bind_data(f);
    *out = f;
    return RNNLM_OK;
}

static int read_all(FILE *fp, void *dst, size_t n) { return fread(dst, 1, n, fp) == n; }

rnnlm_status st_read_file(st_file **out, const char *path, rnnlm_err *err) {
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0 ||
        (unsigned long long)sb.st_size > SIZE_MAX) {
        fclose(fp);
        return rnnlm_fail(err, RNNLM_E_IO, "%s: not a regular file", path);
    }
    size_t file_len = (size_t)sb.st_size, hlen = 0, data_len = 0;
    unsigned char prefix[8] = {0};
    rnnlm_status st = RNNLM_OK;
    if (!read_all(fp, prefix, file_len < 8 ? file_len : 8))
        st = rnnlm_fail(err, RNNLM_E_IO, "%s: read error", path);
    if (!st) st = check_prefix(prefix, file_len, &hlen, &data_len, path, err);
    st_file *f = NULL;
    char *hdr = NULL;
    if (!st && !(f = rnnlm_calloc(1, sizeof *f, "safetensors file", err))) st = RNNLM_E_NOMEM;
    /* hlen is bounded by the cap and by the file size */
    if (!st && !(hdr = rnnlm_calloc(hlen, 1, "safetensors header", err))) st = RNNLM_E_NOMEM;
    if (!st && !read_all(fp, hdr, hlen)) st = rnnlm_fail(err, RNNLM_E_IO, "%s: read error in the header", path);
    if (!st) st = parse_header(f, hdr, hlen, data_len, path, err);
    free(hdr);
    if (!st && !(f->data = rnnlm_calloc(data_len ? data_len : 1, 1, "safetensors data", err)))
        st = RNNLM_E_NOMEM;
    if (!st && !read_all(fp, f->data, data_len))
        st = rnnlm_fail(err, RNNLM_E_IO, "%s: read error in the data (file changed while read?)", path);
    fclose(fp);
    if (st) { st_free(f); return st; }
    f->data_len = data_len;
    bind_data(f);
    *out = f;
    return RNNLM_OK;
}
