/* corpus.h: a corpus in memory: sentences of tokens, each token an interned
 * raw word type (the word exactly as the file spells it). Readers: the tagged
 * Brown corpus (a directory of files ca01..cr09), plain text (one sentence a
 * line, UTF-8, whitespace-separated), and the recipe's toy corpus. */
#ifndef RNNLM_CORPUS_H
#define RNNLM_CORPUS_H

#include "core/common.h"
#include "core/strtab.h"

struct rnnlm_corpus {
    strtab types;            /* raw word types, ids in order of first occurrence */
    uint64_t *type_count;    /* (n_types) occurrences of each type */
    size_t count_cap;
    uint32_t *tok;           /* (n_tokens) type id of each token */
    size_t n_tokens, tok_cap;
    size_t *sent;            /* (n_sents + 1) first token of each sentence */
    size_t n_sents, sent_cap;
    /* what the reader read (0 and 0 for the toy): the bytes, and their FNV-1a 64
     * (Brown: over each file's name with its NUL, its size as 8 bytes
     * little-endian, then its bytes, the files in name order) */
    uint64_t bytes, hash;
};

/* Appends one token / closes one sentence (used by the readers and tests). */
rnnlm_status corpus_add_token(rnnlm_corpus *c, const char *w, size_t len, rnnlm_err *err);
rnnlm_status corpus_end_sentence(rnnlm_corpus *c, rnnlm_err *err);

/* The rule every word obeys, as the readers cut them (a token of a line):
 * NULL when w[0..len) is a word, else what is wrong with it ("is empty",
 * "contains white space", "contains a NUL byte", "is not valid UTF-8").
 * Shared by the vocabulary file reader, rnnlm_vocab_from_words and the
 * checkpoint writer, so no word is accepted by one and refused by another. */
const char *corpus_word_problem(const char *w, size_t len);

/* The rule every reader of text applies to each line (s[0..n), without its
 * newline): no NUL byte, valid UTF-8 (no overlong forms, surrogates or code
 * points above U+10FFFF), at most max_line bytes (0: RNNLM_MAX_LINE_DEFAULT).
 * RNNLM_E_FORMAT with "path:lineno: ..." and the column of a bad byte. */
rnnlm_status corpus_check_line(const char *path, size_t lineno, const char *s, size_t n, size_t max_line,
                               rnnlm_err *err);

#endif
