/* canon.h: the recipe's canonicalisation of a word (docs/DATA.md section 2).
 * Step 1 lower-cases (ASCII letters; other bytes are kept). Step 2 applies to a
 * word with no letter at all (no ASCII letter and no non-ASCII character):
 * every digit becomes "DG", and if the result starts with "DG" every ',' is
 * deleted ("1,000" -> "DGDGDGDG": one DG per digit, which is what reproduces
 * the recipe's Brown figures),
 * "$1,000" -> "$DG,DGDGDG", "3.5" -> "DG.DG". */
#ifndef RNNLM_CANON_H
#define RNNLM_CANON_H

#include <stddef.h>

/* out must hold n bytes; returns the length written (always n). */
size_t canon_lower(const char *w, size_t n, char *out);
/* out must hold 2 * n bytes; returns the length written. A word with a letter
 * is copied unchanged. */
size_t canon_digits(const char *w, size_t n, char *out);
/* Both steps: out must hold 2 * n bytes. */
size_t canon_full(const char *w, size_t n, char *out);

#endif
