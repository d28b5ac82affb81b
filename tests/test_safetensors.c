/* test_safetensors.c: the safetensors writer round trip (bytes, values,
 * metadata, determinism) and the reader's refusal of hand-made corrupt files:
 * every case is read both from memory and from a file, must fail with
 * RNNLM_E_FORMAT (or E_IO) and a message of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "util.h"

#include "io/safetensors.h"

static void write_bytes(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)len + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

/* ------------------------------------------------------------ round trip */

static void test_round_trip(void **state) {
    (void)state;
    float a[6] = {1.5f, -2.25f, 3.0f, 0.0f, -0.0f, 1e-30f};
    float b[4] = {7.0f, 8.0f, 9.0f, 10.0f};
    float s = 42.0f;
    st_tensor t[4] = {
        {.name = "layer.a", .ndim = 2, .shape = {2, 3}, .data = a},
        {.name = "b", .ndim = 1, .shape = {4}, .data = b},
        {.name = "scalar", .ndim = 0, .data = &s},
        {.name = "empty", .ndim = 2, .shape = {0, 5}, .data = NULL},
    };
    const char *meta[] = {"zkey", "last", "akey", "first \"quoted\"\nline", "utf8", "caf\xc3\xa9"};
    char path[400];
    util_tmp_path(path, sizeof path, "rt.safetensors");
    rnnlm_err err = {0};
    assert_int_equal(st_write(path, t, 4, meta, 3, &err), RNNLM_OK);

    /* file bytes == memory image; writing again gives the same bytes */
    size_t flen, mlen, mlen2;
    unsigned char *fb = read_bytes(path, &flen);
    void *mb, *mb2;
    assert_int_equal(st_write_mem(&mb, &mlen, t, 4, meta, 3, &err), RNNLM_OK);
    assert_int_equal(st_write_mem(&mb2, &mlen2, t, 4, meta, 3, &err), RNNLM_OK);
    assert_int_equal(flen, mlen);
    assert_memory_equal(fb, mb, flen);
    assert_int_equal(mlen2, mlen);
    assert_memory_equal(mb, mb2, mlen);

    /* layout: LE length, header a multiple of 8 starting with '{', data last */
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | fb[i];
    assert_int_equal(n % 8, 0);
    assert_int_equal(fb[8], '{');
    assert_int_equal(flen, 8 + n + 4 * (6 + 4 + 1));
    assert_memory_equal(fb + 8 + n, a, sizeof a);                 /* in the order given */
    assert_memory_equal(fb + 8 + n + sizeof a, b, sizeof b);
    /* sorted keys: "__metadata__" < "b" < "empty" < "layer.a" < "scalar" */
    char *hdr = strndup((char *)fb + 8, n);
    char *pm = strstr(hdr, "\"__metadata__\""), *pb = strstr(hdr, "\"b\""), *pl = strstr(hdr, "\"layer.a\"");
    assert_true(pm && pb && pl && pm < pb && pb < pl);
    assert_true(strstr(hdr, "\"akey\"") < strstr(hdr, "\"zkey\""));
    free(hdr);

    st_file *f;
    assert_int_equal(st_read_file(&f, path, &err), RNNLM_OK);
    assert_int_equal(st_n_tensors(f), 4);
    const st_entry *e = st_find(f, "layer.a");
    assert_non_null(e);
    assert_int_equal(e->ndim, 2);
    assert_int_equal(e->shape[0], 2);
    assert_int_equal(e->shape[1], 3);
    assert_int_equal(e->count, 6);
    assert_int_equal(e->begin, 0);
    assert_int_equal(e->end, 24);
    assert_memory_equal(e->data, a, sizeof a);   /* bit-identical, -0.0 included */
    e = st_find(f, "b");
    assert_memory_equal(e->data, b, sizeof b);
    e = st_find(f, "scalar");
    assert_int_equal(e->ndim, 0);
    assert_int_equal(e->count, 1);
    assert_true(e->data[0] == 42.0f);
    e = st_find(f, "empty");
    assert_int_equal(e->count, 0);
    assert_null(e->data);
    assert_null(st_find(f, "missing"));
    assert_null(st_find(f, "__metadata__"));
    /* tensors by data offset */
    assert_string_equal(st_tensor_at(f, 0)->name, "layer.a");
    assert_string_equal(st_tensor_at(f, 1)->name, "b");
    assert_null(st_tensor_at(f, 4));
    /* metadata */
    assert_int_equal(st_n_meta(f), 3);
    assert_string_equal(st_meta(f, "akey"), "first \"quoted\"\nline");
    assert_string_equal(st_meta(f, "zkey"), "last");
    assert_string_equal(st_meta(f, "utf8"), "caf\xc3\xa9");
    assert_null(st_meta(f, "nope"));
    const char *k, *v;
    st_meta_at(f, 0, &k, &v);
    assert_string_equal(k, "akey");
    st_meta_at(f, 2, &k, &v);
    assert_string_equal(k, "zkey");
    st_free(f);

    /* the memory reader agrees */
    assert_int_equal(st_read_mem(&f, mb, mlen, "mem", &err), RNNLM_OK);
    assert_int_equal(st_n_tensors(f), 4);
    assert_memory_equal(st_find(f, "b")->data, b, sizeof b);
    st_free(f);
    free(fb); free(mb); free(mb2);
}

static void test_empty_file_of_tensors(void **state) {
    (void)state;
    void *mb;
    size_t len;
    rnnlm_err err = {0};
    assert_int_equal(st_write_mem(&mb, &len, NULL, 0, NULL, 0, &err), RNNLM_OK);
    assert_int_equal(len, 16);   /* "{}" padded to 8 */
    st_file *f;
    assert_int_equal(st_read_mem(&f, mb, len, "mem", &err), RNNLM_OK);
    assert_int_equal(st_n_tensors(f), 0);
    assert_int_equal(st_n_meta(f), 0);
    st_free(f);
    free(mb);
}

static void test_writer_rejects(void **state) {
    (void)state;
    float x = 1;
    rnnlm_err err = {0};
    void *mb;
    size_t len;
    st_tensor dup[2] = {{.name = "w", .ndim = 1, .shape = {1}, .data = &x},
                        {.name = "w", .ndim = 1, .shape = {1}, .data = &x}};
    assert_int_equal(st_write_mem(&mb, &len, dup, 2, NULL, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "used twice"));
    st_tensor meta_name = {.name = "__metadata__", .ndim = 1, .shape = {1}, .data = &x};
    assert_int_equal(st_write_mem(&mb, &len, &meta_name, 1, NULL, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "reserved"));
    st_tensor rank = {.name = "r", .ndim = 9, .data = &x};
    assert_int_equal(st_write_mem(&mb, &len, &rank, 1, NULL, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "rank 9"));
    st_tensor big = {.name = "big", .ndim = 2, .shape = {SIZE_MAX / 2, 3}, .data = &x};
    assert_int_equal(st_write_mem(&mb, &len, &big, 1, NULL, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "overflows"));
    st_tensor nodata = {.name = "nd", .ndim = 1, .shape = {3}, .data = NULL};
    assert_int_equal(st_write_mem(&mb, &len, &nodata, 1, NULL, 0, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "no data"));
    const char *kv[] = {"k", "1", "k", "2"};
    assert_int_equal(st_write_mem(&mb, &len, NULL, 0, kv, 2, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "given twice"));
    const char *bad_utf8[] = {"k", "\xff\xfe"};
    assert_int_equal(st_write_mem(&mb, &len, NULL, 0, bad_utf8, 1, &err), RNNLM_E_ARG);
    assert_non_null(strstr(err.msg, "UTF-8"));
    /* a failed write leaves the old file in place and no temporary behind */
    char path[400];
    util_tmp_path(path, sizeof path, "keep.safetensors");
    write_bytes(path, "old", 3);
    assert_int_equal(st_write(path, dup, 2, NULL, 0, &err), RNNLM_E_ARG);
    size_t n;
    unsigned char *p = read_bytes(path, &n);
    assert_int_equal(n, 3);
    free(p);
    char nodir[400];
    util_tmp_path(nodir, sizeof nodir, "no/such/dir/x.safetensors");
    assert_int_equal(st_write(nodir, NULL, 0, NULL, 0, &err), RNNLM_E_IO);
}

/* ----------------------------------------------------------- corruptions */

/* A file image: an 8-byte LE length (hlen_override when not UINT64_MAX, else
 * strlen(hdr)), the header, then data_len bytes of data. */
static unsigned char *image(const char *hdr, uint64_t hlen_override, size_t data_len, size_t *len) {
    size_t h = strlen(hdr);
    uint64_t n = hlen_override != UINT64_MAX ? hlen_override : h;
    *len = 8 + h + data_len;
    unsigned char *p = malloc(*len + 1);
    assert_non_null(p);
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(n >> (8 * i));
    memcpy(p + 8, hdr, h);
    for (size_t i = 0; i < data_len; i++) p[8 + h + i] = (unsigned char)(i * 37 + 1);
    return p;
}

/* A valid two-tensor header: "a" (2,) at [0, 8), "b" (1,) at [8, 12). */
#define A_OK "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"
#define B_OK "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}"
#define GOOD "{" A_OK "," B_OK "}"

typedef struct {
    const char *label;
    const char *hdr;
    uint64_t hlen;        /* UINT64_MAX: the header's own length */
    size_t data_len;
    long cut;             /* >= 0: keep only the first cut bytes of the image */
    rnnlm_status status;
    const char *expect;   /* distinctive substring of the message */
    const char *expect2;  /* another one (the tensor's name, the dtype), or NULL */
} corruption;

#define NOLEN UINT64_MAX
static const corruption CASES[] = {
    {"empty file", "", NOLEN, 0, 0, RNNLM_E_FORMAT, "empty file", NULL},
    {"file of 7 bytes", GOOD, NOLEN, 12, 7, RNNLM_E_FORMAT, "7 bytes: truncated inside the 8-byte", NULL},
    {"truncated inside the length prefix", GOOD, NOLEN, 12, 3, RNNLM_E_FORMAT,
     "3 bytes: truncated inside the 8-byte", NULL},
    {"truncated inside the header", GOOD, NOLEN, 12, 8 + 20, RNNLM_E_FORMAT, "runs past the end of the file", NULL},
    {"truncated inside the data", GOOD, NOLEN, 12, 8 + (long)sizeof GOOD - 1 + 10, RNNLM_E_FORMAT,
     "data truncated: the tensors need 12 bytes, the file holds 10", NULL},
    {"header length 2^63", GOOD, (uint64_t)1 << 63, 12, -1, RNNLM_E_FORMAT, "9223372036854775808 exceeds the cap", NULL},
    {"header length 2^64-2", GOOD, UINT64_MAX - 1, 12, -1, RNNLM_E_FORMAT, "18446744073709551614 exceeds the cap",
     NULL},
    {"header length larger than the file", GOOD, 4096, 12, -1, RNNLM_E_FORMAT,
     "header length 4096 runs past the end", NULL},
    {"header length 0", GOOD, 0, 12, -1, RNNLM_E_FORMAT, "too short for a JSON object", NULL},
    {"header not JSON", "this is not json", NOLEN, 0, -1, RNNLM_E_FORMAT, "not valid JSON", NULL},
    {"header JSON with trailing garbage", "{} x", NOLEN, 0, -1, RNNLM_E_FORMAT, "end of file expected", NULL},
    {"header an array", "[1, 2, 3]", NOLEN, 0, -1, RNNLM_E_FORMAT, "header is an array, not a JSON object", NULL},
    {"header a string", "\"F32\"", NOLEN, 0, -1, RNNLM_E_FORMAT, "header is a string, not a JSON object", NULL},
    {"header not starting with '{'", "  {}    ", NOLEN, 0, -1, RNNLM_E_FORMAT, "does not begin with '{'", NULL},
    {"invalid UTF-8 in the header", "{\"\xff\":1}", NOLEN, 0, -1, RNNLM_E_FORMAT, "unable to decode byte", NULL},
    {"entry not an object", "{\"a\":[0,8]}", NOLEN, 8, -1, RNNLM_E_FORMAT,
     "entry is an array, not an object", "'a'"},
    {"missing dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", NOLEN, 8, -1, RNNLM_E_FORMAT,
     "no dtype", "'a'"},
    {"missing shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", NOLEN, 8, -1, RNNLM_E_FORMAT,
     "no shape", "'a'"},
    {"missing data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", NOLEN, 8, -1, RNNLM_E_FORMAT,
     "no data_offsets", "'a'"},
    {"unexpected key in an entry", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}",
     NOLEN, 8, -1, RNNLM_E_FORMAT, "unexpected key 'x'", "'a'"},
    {"dtype F16", "{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", NOLEN, 8, -1,
     RNNLM_E_FORMAT, "dtype F16 is not supported", "'a'"},
    {"dtype I64", "{" A_OK ",\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}}", NOLEN, 16, -1,
     RNNLM_E_FORMAT, "dtype I64 is not supported", "'b'"},
    {"dtype not a string", "{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", NOLEN, 8, -1,
     RNNLM_E_FORMAT, "dtype is an integer, not a string", "'a'"},
    {"shape not an array", "{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", NOLEN, 8, -1,
     RNNLM_E_FORMAT, "shape is a string, not an array", "'a'"},
    {"shape with a negative entry", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,8]}}",
     NOLEN, 8, -1, RNNLM_E_FORMAT, "shape[1] = -1 is negative", "'a'"},
    {"shape with a non-integer entry", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}",
     NOLEN, 8, -1, RNNLM_E_FORMAT, "shape[0] is a real number, not an integer", "'a'"},
    {"shape with a huge entry",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807],\"data_offsets\":[0,8]}}", NOLEN, 8, -1,
     RNNLM_E_FORMAT, "byte size overflows", "'a'"},
    {"shape product overflows size_t",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", NOLEN, 8, -1,
     RNNLM_E_FORMAT, "element count overflows", "'a'"},
    {"shape of rank 9", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}",
     NOLEN, 8, -1, RNNLM_E_FORMAT, "rank 9 exceeds 8", "'a'"},
    {"data_offsets not a pair", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", NOLEN,
     8, -1, RNNLM_E_FORMAT, "data_offsets is not a pair", "'a'"},
    {"data_offsets negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", NOLEN, 8,
     -1, RNNLM_E_FORMAT, "data_offsets[0] = -8 is negative", "'a'"},
    {"data_offsets not integers", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,\"8\"]}}",
     NOLEN, 8, -1, RNNLM_E_FORMAT, "data_offsets[1] is a string, not an integer", "'a'"},
    {"begin > end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", NOLEN, 8, -1,
     RNNLM_E_FORMAT, "begin 8 > end 0", "'a'"},
    {"size does not match the shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
     NOLEN, 8, -1, RNNLM_E_FORMAT, "span 8 bytes, but the shape needs 12", "'a'"},
    {"offsets out of range",
     "{" A_OK ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4611686018427387904,4611686018427387908]}}",
     NOLEN, 12, -1, RNNLM_E_FORMAT, "lie outside the 12 bytes of data", "'b'"},
    {"overlapping tensors", "{" A_OK ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", NOLEN, 8,
     -1, RNNLM_E_FORMAT, "tensor 'b' [4, 8] overlaps tensor 'a'", NULL},
    {"a gap between tensors", "{" A_OK ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}",
     NOLEN, 16, -1, RNNLM_E_FORMAT, "gap in the data: bytes [8, 12) before tensor 'b'", NULL},
    {"a gap before the first tensor", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
     NOLEN, 12, -1, RNNLM_E_FORMAT, "gap in the data: bytes [0, 4) before tensor 'a'", NULL},
    {"trailing bytes after the data", GOOD, NOLEN, 15, -1, RNNLM_E_FORMAT,
     "3 trailing bytes after the data", NULL},
    {"duplicate tensor names", "{" A_OK "," A_OK "}", NOLEN, 8, -1, RNNLM_E_FORMAT, "duplicate name", NULL},
    {"duplicate metadata keys", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", NOLEN, 0, -1, RNNLM_E_FORMAT,
     "header: duplicate name", NULL},
    {"__metadata__ not an object", "{\"__metadata__\":[\"k\",\"v\"]," A_OK "}", NOLEN, 8, -1, RNNLM_E_FORMAT,
     "__metadata__ is an array, not an object", NULL},
    {"__metadata__ with a non-string value", "{\"__metadata__\":{\"k\":\"v\",\"n\":5}," A_OK "}", NOLEN, 8, -1,
     RNNLM_E_FORMAT, "__metadata__ value of 'n' is an integer, not a string", NULL},
};
#define N_CASES (sizeof CASES / sizeof CASES[0])

static void check_msg(const corruption *c, rnnlm_status got, const rnnlm_err *err, const char *via) {
    if (got != c->status || err->status != c->status)
        fail_msg("%s (%s): status %d, expected %d (%s)", c->label, via, got, c->status, err->msg);
    if (!strstr(err->msg, c->expect))
        fail_msg("%s (%s): message '%s' lacks '%s'", c->label, via, err->msg, c->expect);
    if (c->expect2 && !strstr(err->msg, c->expect2))
        fail_msg("%s (%s): message '%s' lacks '%s'", c->label, via, err->msg, c->expect2);
}

static void test_corruptions(void **state) {
    (void)state;
    assert_true(N_CASES >= 25);
    for (size_t i = 0; i < N_CASES; i++) {
        const corruption *c = &CASES[i];
        size_t len;
        unsigned char *img = image(c->hdr, c->hlen, c->data_len, &len);
        if (c->cut >= 0) {
            assert_true((size_t)c->cut <= len);
            len = (size_t)c->cut;
        }
        /* from memory */
        rnnlm_err err = {0};
        st_file *f = (st_file *)1;
        rnnlm_status s = st_read_mem(&f, img, len, "mem", &err);
        assert_null(f);
        check_msg(c, s, &err, "memory");
        /* from a file */
        char path[400];
        util_tmp_path(path, sizeof path, "bad.safetensors");
        write_bytes(path, img, len);
        rnnlm_err err2 = {0};
        f = (st_file *)1;
        s = st_read_file(&f, path, &err2);
        assert_null(f);
        check_msg(c, s, &err2, "file");
        assert_non_null(strstr(err2.msg, path));
        free(img);
    }
    /* every case has a message of its own */
    for (size_t i = 0; i < N_CASES; i++)
        for (size_t j = i + 1; j < N_CASES; j++)
            if (strcmp(CASES[i].expect, CASES[j].expect) == 0)
                fail_msg("cases '%s' and '%s' expect the same message", CASES[i].label, CASES[j].label);
}

/* The good image really is good: the corruptions above differ from it only
 * in what they break. */
static void test_good_image_reads(void **state) {
    (void)state;
    size_t len;
    unsigned char *img = image(GOOD, NOLEN, 12, &len);
    st_file *f;
    rnnlm_err err = {0};
    assert_int_equal(st_read_mem(&f, img, len, "mem", &err), RNNLM_OK);
    assert_int_equal(st_n_tensors(f), 2);
    assert_int_equal(st_find(f, "b")->begin, 8);
    st_free(f);
    /* and padded with spaces, as the writer pads */
    unsigned char *img2 = image(GOOD "      ", NOLEN, 12, &len);
    assert_int_equal(st_read_mem(&f, img2, len, "mem", &err), RNNLM_OK);
    st_free(f);
    free(img); free(img2);
}

static void test_unreadable(void **state) {
    (void)state;
    char path[400];
    st_file *f;
    rnnlm_err err = {0};
    util_tmp_path(path, sizeof path, "does-not-exist.safetensors");
    assert_int_equal(st_read_file(&f, path, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_null(f);
    assert_int_equal(st_read_file(&f, util_group_tmpdir(), &err), RNNLM_E_IO);   /* a directory */
    assert_non_null(strstr(err.msg, "not a regular file"));
    assert_null(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty_file_of_tensors),
        cmocka_unit_test(test_writer_rejects),
        cmocka_unit_test(test_good_image_reads),
        cmocka_unit_test(test_corruptions),
        cmocka_unit_test(test_unreadable),
    };
    return cmocka_run_group_tests(tests, util_group_setup, util_group_teardown);
}
