/* fuzz_textrule.c: libFuzzer harness of the text rule every reader applies to
 * a line, and the Python module to every sentence and word it is handed
 * (rnnlm_text_check_line). The library's verdict is checked against a
 * validator written here from the other direction: the table of well-formed
 * UTF-8 byte sequences of the Unicode standard (ranges of each byte, no code
 * point arithmetic), plus "no NUL" and the length limit. Both must agree on
 * accept or refuse, on which fault comes first and at which column, and a
 * refusal must carry RNNLM_E_FORMAT and a message naming the line.
 *
 * Input: byte 0 picks the limit (below 64: that many bytes; otherwise 0, the
 * default of 1 MiB), the rest is the line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlm.h"

enum { FAULT_NONE, FAULT_NUL, FAULT_UTF8, FAULT_LONG };

/* Length of the well-formed sequence at s[0..n), 0 when there is none:
 * Unicode's table "Well-Formed UTF-8 Byte Sequences", row by row. */
static size_t table_seq(const uint8_t *s, size_t n) {
    static const struct { uint8_t lo0, hi0, lo1, hi1; size_t len; } rows[] = {
        {0x00, 0x7f, 0, 0, 1},
        {0xc2, 0xdf, 0x80, 0xbf, 2},
        {0xe0, 0xe0, 0xa0, 0xbf, 3},
        {0xe1, 0xec, 0x80, 0xbf, 3},
        {0xed, 0xed, 0x80, 0x9f, 3},
        {0xee, 0xef, 0x80, 0xbf, 3},
        {0xf0, 0xf0, 0x90, 0xbf, 4},
        {0xf1, 0xf3, 0x80, 0xbf, 4},
        {0xf4, 0xf4, 0x80, 0x8f, 4},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        if (s[0] < rows[r].lo0 || s[0] > rows[r].hi0) continue;
        size_t len = rows[r].len;
        if (n < len) return 0;
        if (len > 1 && (s[1] < rows[r].lo1 || s[1] > rows[r].hi1)) return 0;
        for (size_t i = 2; i < len; i++)   /* the third and fourth bytes: 80..BF */
            if (s[i] < 0x80 || s[i] > 0xbf) return 0;
        return len;
    }
    return 0;   /* 80..C1, F5..FF never start a sequence */
}

/* The first fault of the line and its 1-based column (FAULT_NONE: none). */
static int expected_fault(const uint8_t *s, size_t n, size_t limit, size_t *column) {
    for (size_t i = 0; i < n;) {
        if (s[i] == 0) { *column = i + 1; return FAULT_NUL; }
        size_t k = table_seq(s + i, n - i);
        if (!k) { *column = i + 1; return FAULT_UTF8; }
        i += k;
    }
    return n > limit ? FAULT_LONG : FAULT_NONE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t max_line = data[0] < 64 ? data[0] : 0;
    size_t limit = max_line ? max_line : RNNLM_MAX_LINE_DEFAULT;
    const uint8_t *line = data + 1;
    size_t n = size - 1;
    /* a copy of exactly n bytes: a read past the line is an ASan finding */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) abort();
    memcpy(copy, line, n);

    rnnlm_err err;
    memset(&err, 0, sizeof err);
    rnnlm_status st = rnnlm_text_check_line("fuzz", 7, (const char *)copy, n, max_line, &err);
    size_t column = 0;
    int want = expected_fault(copy, n, limit, &column);
    free(copy);

    if (want == FAULT_NONE) {
        if (st != RNNLM_OK) abort();
        return 0;
    }
    if (st != RNNLM_E_FORMAT || err.status != RNNLM_E_FORMAT) abort();
    if (strncmp(err.msg, "fuzz:7: ", 8) != 0) abort();
    char where[64];
    switch (want) {
    case FAULT_NUL:
        snprintf(where, sizeof where, "NUL byte at column %zu:", column);
        break;
    case FAULT_UTF8:
        snprintf(where, sizeof where, "invalid UTF-8 byte 0x%02x at column %zu", line[column - 1], column);
        break;
    default:
        snprintf(where, sizeof where, "line longer than %zu bytes", limit);
        break;
    }
    if (strncmp(err.msg + 8, where, strlen(where)) != 0) abort();
    return 0;
}
