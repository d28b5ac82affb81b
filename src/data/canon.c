/* canon.c: word canonicalisation (see canon.h). */
#include "data/canon.h"

#include <string.h>

size_t canon_lower(const char *w, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    return n;
}

static int has_letter(const char *w, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80) return 1;
    }
    return 0;
}

/* Step 2 in place on s[0..n) (s holds 2n bytes): digits -> "DG" expanding from
 * the back so nothing unread is overwritten, then the comma rule. */
static size_t digits_in_place(char *s, size_t n) {
    if (has_letter(s, n)) return n;
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) digits += s[i] >= '0' && s[i] <= '9';
    size_t k = n + digits;
    for (size_t i = n, o = k; i-- > 0;) {
        if (s[i] >= '0' && s[i] <= '9') { s[--o] = 'G'; s[--o] = 'D'; }
        else s[--o] = s[i];
    }
    if (k >= 2 && s[0] == 'D' && s[1] == 'G') {
        size_t j = 0;
        for (size_t i = 0; i < k; i++)
            if (s[i] != ',') s[j++] = s[i];
        k = j;
    }
    return k;
}

size_t canon_digits(const char *w, size_t n, char *out) {
    memmove(out, w, n);
    return digits_in_place(out, n);
}

size_t canon_full(const char *w, size_t n, char *out) {
    return digits_in_place(out, canon_lower(w, n, out));
}
