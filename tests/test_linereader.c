/* test_linereader.c: the bounded line reader (rnnlm_lines, src/core/linereader.c)
 * and the readers of text built on it (the plain-text and Brown corpus
 * readers, the vocabulary file):
 *  - lines, an empty line, a last line without '\n', the line numbers;
 *  - the limit: a line of exactly max_line bytes is read, one more byte is
 *    refused with "name:N: line longer than L bytes", also when the line
 *    spans several reads and buffer growths;
 *  - an endless line (/dev/zero) is refused while the reader holds at most
 *    max_line + 2 bytes;
 *  - a failed read (a directory: EISDIR) is an RNNLM_E_IO error naming the
 *    file, never the end of the input; the reader refuses to go on after it;
 *  - each reader of text reports a long line with the file and line number,
 *    and a read error as an error. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "rnnlm.h"
#include "core/linereader.h"
#include "util.h"

/* Writes len bytes to <group dir>/name; returns the path (static, one slot). */
static const char *put_file(const char *name, const void *bytes, size_t len) {
    static char path[4][4096];
    static int next;
    char *p = path[next++ % 4];
    util_tmp_path(p, 4096, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return p;
}

/* n copies of ch, then tail (NUL-terminated), malloc'ed; its length in *len */
static char *repeat(char ch, size_t n, const char *tail, size_t *len) {
    size_t t = strlen(tail);
    char *s = malloc(n + t + 1);
    assert_non_null(s);
    memset(s, ch, n);
    memcpy(s + n, tail, t + 1);
    *len = n + t;
    return s;
}

static void expect_msg(rnnlm_status st, const rnnlm_err *err, rnnlm_status want, const char *says) {
    if (st != want) fail_msg("status %d, expected %d (%s)", st, want, err->msg);
    if (!strstr(err->msg, says)) fail_msg("message lacks '%s': %s", says, err->msg);
}

static void test_lines(void **state) {
    (void)state;
    const char *p = put_file("lines.txt", "abc\n\nxyz", 8);
    rnnlm_lines *r;
    rnnlm_err err;
    const char *line;
    size_t n;
    assert_int_equal(rnnlm_lines_open(&r, p, 3, &err), RNNLM_OK);
    assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);
    assert_string_equal(line, "abc");
    assert_int_equal(n, 3);
    assert_int_equal(rnnlm_lines_lineno(r), 1);
    assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);
    assert_string_equal(line, "");
    assert_int_equal(n, 0);
    assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);
    assert_string_equal(line, "xyz");   /* the last line has no '\n' */
    assert_int_equal(rnnlm_lines_lineno(r), 3);
    assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);
    assert_null(line);
    assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);   /* the end stays the end */
    assert_null(line);
    rnnlm_lines_close(r);

    /* an empty file: no line at all */
    p = put_file("empty.txt", "", 0);
    assert_int_equal(rnnlm_lines_open(&r, p, 0, &err), RNNLM_OK);
    assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);
    assert_null(line);
    assert_int_equal(rnnlm_lines_lineno(r), 0);
    rnnlm_lines_close(r);

    /* a file that cannot be opened */
    char missing[4096];
    util_tmp_path(missing, sizeof missing, "missing.txt");
    expect_msg(rnnlm_lines_open(&r, missing, 0, &err), &err, RNNLM_E_IO, "missing.txt: cannot open");
    assert_null(r);
}

/* limit L: L bytes pass, L + 1 are refused; with L above the first buffer
 * (64 KiB) the line spans several reads and growths. Also the line without
 * '\n' at the end of the file. */
static void test_limit(void **state) {
    (void)state;
    static const size_t limits[] = {1, 5, 65536, 200000};
    for (size_t k = 0; k < sizeof limits / sizeof *limits; k++) {
        size_t L = limits[k], len;
        rnnlm_lines *r;
        rnnlm_err err;
        const char *line;
        size_t n;
        /* "x" then L bytes then L + 1 bytes */
        char *a = repeat('a', L, "\n", &len);
        char *b = repeat('b', L + 1, "\n", &len);
        size_t la = strlen(a), lb = strlen(b);
        char *all = malloc(2 + la + lb);
        assert_non_null(all);
        memcpy(all, "x\n", 2);
        memcpy(all + 2, a, la);
        memcpy(all + 2 + la, b, lb);
        const char *p = put_file("limit.txt", all, 2 + la + lb);
        assert_int_equal(rnnlm_lines_open(&r, p, L, &err), RNNLM_OK);
        assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);
        assert_string_equal(line, "x");
        assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);
        assert_int_equal(n, L);
        assert_true(line[0] == 'a' && line[L - 1] == 'a' && line[L] == '\0');
        char says[128];
        snprintf(says, sizeof says, "limit.txt:3: line longer than %zu bytes", L);
        expect_msg(rnnlm_lines_next(r, &line, &n, &err), &err, RNNLM_E_FORMAT, says);
        assert_null(line);
        assert_true(r->cap <= L + 2);
        /* spent after a fault */
        expect_msg(rnnlm_lines_next(r, &line, &n, &err), &err, RNNLM_E_STATE, "after an error");
        rnnlm_lines_close(r);

        /* the same lines, the long one last and without '\n' */
        b[L + 1] = '\0';
        p = put_file("limit_end.txt", b, L + 1);
        assert_int_equal(rnnlm_lines_open(&r, p, L, &err), RNNLM_OK);
        snprintf(says, sizeof says, "limit_end.txt:1: line longer than %zu bytes", L);
        expect_msg(rnnlm_lines_next(r, &line, &n, &err), &err, RNNLM_E_FORMAT, says);
        rnnlm_lines_close(r);
        b[L] = '\0';   /* exactly L bytes, no '\n' */
        p = put_file("limit_end.txt", b, L);
        assert_int_equal(rnnlm_lines_open(&r, p, L, &err), RNNLM_OK);
        assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);
        assert_int_equal(n, L);
        assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);
        assert_null(line);
        rnnlm_lines_close(r);
        free(a);
        free(b);
        free(all);
    }
}

/* An endless line: refused at the limit, the buffer never above L + 2 bytes
 * (a getline() loop grows until memory runs out). */
static void test_endless(void **state) {
    (void)state;
    rnnlm_lines *r;
    rnnlm_err err;
    const char *line;
    size_t n;
    assert_int_equal(rnnlm_lines_open(&r, "/dev/zero", 0, &err), RNNLM_OK);
    expect_msg(rnnlm_lines_next(r, &line, &n, &err), &err, RNNLM_E_FORMAT,
               "/dev/zero:1: line longer than 1048576 bytes");
    assert_true(r->cap <= RNNLM_MAX_LINE_DEFAULT + 2);
    assert_true(r->end <= r->cap);
    rnnlm_lines_close(r);
    /* through a descriptor, named as given */
    int fd = open("/dev/zero", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(rnnlm_lines_open_fd(&r, fd, "<stdin>", 4096, &err), RNNLM_OK);
    expect_msg(rnnlm_lines_next(r, &line, &n, &err), &err, RNNLM_E_FORMAT, "<stdin>:1: line longer than 4096 bytes");
    assert_true(r->cap <= 4096 + 2);
    rnnlm_lines_close(r);
    assert_int_equal(fcntl(fd, F_GETFD), 0);   /* left open */
    close(fd);
}

/* A read that fails (a directory: EISDIR) is an error, not the end. */
static void test_read_error(void **state) {
    (void)state;
    rnnlm_lines *r;
    rnnlm_err err;
    const char *line;
    size_t n;
    const char *dir = util_group_tmpdir();
    assert_int_equal(rnnlm_lines_open(&r, dir, 0, &err), RNNLM_OK);
    expect_msg(rnnlm_lines_next(r, &line, &n, &err), &err, RNNLM_E_IO, ":1: read error: Is a directory");
    assert_non_null(strstr(err.msg, dir));
    assert_null(line);
    rnnlm_lines_close(r);
    /* after some lines: the number of the line being read */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "one\ntwo\nthr", 11), 11);
    close(fds[1]);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    assert_int_equal(rnnlm_lines_open_fd(&r, fds[0], "pipe", 0, &err), RNNLM_OK);
    assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);
    assert_string_equal(line, "one");
    gzclose(r->gz);   /* the descriptor now fails, as a disk giving EIO would */
    r->gz = gzdopen(dup(dfd), "rb");
    assert_non_null(r->gz);
    assert_int_equal(rnnlm_lines_next(r, &line, &n, &err), RNNLM_OK);   /* buffered */
    assert_string_equal(line, "two");
    expect_msg(rnnlm_lines_next(r, &line, &n, &err), &err, RNNLM_E_IO, "pipe:3: read error: Is a directory");
    rnnlm_lines_close(r);
    close(dfd);
    close(fds[0]);
    expect_msg(rnnlm_lines_open_fd(&r, -1, "none", 0, &err), &err, RNNLM_E_ARG, "none");
}

/* The readers of text: a long line names the file and line; a read error is
 * an error. */
static void test_readers(void **state) {
    (void)state;
    rnnlm_err err;
    size_t len;
    /* plain text: line 2 over the limit */
    rnnlm_corpus *c = NULL;
    const char *p = put_file("text.txt", "a b\nabcdef\n", 11);
    expect_msg(rnnlm_corpus_read_text(&c, p, 5, &err), &err, RNNLM_E_FORMAT, "text.txt:2: line longer than 5 bytes");
    assert_null(c);
    /* ... a directory, a device */
    expect_msg(rnnlm_corpus_read_text(&c, util_group_tmpdir(), 0, &err), &err, RNNLM_E_IO, "not a regular file");
    expect_msg(rnnlm_corpus_read_text(&c, "/dev/zero", 0, &err), &err, RNNLM_E_IO, "/dev/zero: not a regular file");
    /* the default limit on a 2 MiB line */
    char *big = repeat('w', 2u << 20, "\n", &len);
    p = put_file("big.txt", big, len);
    expect_msg(rnnlm_corpus_read_text(&c, p, 0, &err), &err, RNNLM_E_FORMAT, "big.txt:1: line longer than 1048576 bytes");
    /* ... and read when the limit allows it */
    assert_int_equal(rnnlm_corpus_read_text(&c, p, 3u << 20, &err), RNNLM_OK);
    assert_int_equal(rnnlm_corpus_tokens(c), 1);
    rnnlm_corpus_free(c);
    c = NULL;

    /* Brown: a long line in ca02 */
    char dir[4096], path[4096];
    util_tmp_path(dir, sizeof dir, "brown");
    assert_int_equal(mkdir(dir, 0700), 0);
    put_file("brown/ca01", "\tThe/at cat/nn\n", 15);
    memcpy(big, "\tx/nn ", 6);
    put_file("brown/ca02", big, len);
    expect_msg(rnnlm_corpus_read_brown(&c, dir, &err), &err, RNNLM_E_FORMAT, "ca02:1: line longer than 1048576 bytes");
    assert_null(c);
    /* ... and a Brown file that is a directory */
    util_tmp_path(path, sizeof path, "brown/ca02");
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    expect_msg(rnnlm_corpus_read_brown(&c, dir, &err), &err, RNNLM_E_IO, "ca02: not a regular file");

    /* the vocabulary file: a long line 3, and a directory */
    rnnlm_vocab *v = NULL;
    const char *head = "#rnnlm-vocab 1 canon=none size=4 distinct=4\n<s>\t0\n";
    size_t hl = strlen(head);
    char *vbuf = malloc(hl + len);
    assert_non_null(vbuf);
    memcpy(vbuf, head, hl);
    memcpy(vbuf + hl, big, len);
    p = put_file("vocab.txt", vbuf, hl + len);
    expect_msg(rnnlm_vocab_load(&v, p, &err), &err, RNNLM_E_FORMAT, "vocab.txt:3: line longer than 1048576 bytes");
    assert_null(v);
    expect_msg(rnnlm_vocab_load(&v, util_group_tmpdir(), &err), &err, RNNLM_E_IO, ":1: read error: Is a directory");
    expect_msg(rnnlm_vocab_load(&v, "/dev/zero", &err), &err, RNNLM_E_FORMAT, "/dev/zero:1: line longer than");
    free(vbuf);
    free(big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_endless),
        cmocka_unit_test(test_read_error),
        cmocka_unit_test(test_readers),
    };
    return cmocka_run_group_tests(tests, util_group_setup, util_group_teardown);
}
