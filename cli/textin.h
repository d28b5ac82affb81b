/* textin.h: text to score, read whole: one sentence per line, its words
 * separated by ASCII white space (so CRLF line ends are white space), each
 * line held to the rule of every text reader (rnnlm_text_check_line: no NUL,
 * valid UTF-8, bounded length). With utt_ids the first token of a line is
 * its utterance id (any bytes but white space), never a word. */
#ifndef RNNLM_CLI_TEXTIN_H
#define RNNLM_CLI_TEXTIN_H

#include <stddef.h>

#include "rnnlm.h"

/* Every token NUL-terminated in text, tok[k] its offset; sentence i is
 * tokens sent[i] .. sent[i+1], its id (utt_ids) at text + uid[i]. */
typedef struct {
    char *text;
    size_t text_len, text_cap;
    size_t *tok, n_tok, tok_cap;
    size_t *sent, n_sent, sent_cap;
    size_t *uid, uid_cap;   /* NULL unless utt_ids */
} text_input;

/* Reads path ("-": stdin). A line without a token is an empty sentence, or,
 * with utt_ids, an error (a line needs its id). max_line: bytes (0: the
 * default). -1 with err set (naming "path:line:" for a bad line). */
int text_input_read(text_input *in, const char *path, int utt_ids, size_t max_line, rnnlm_err *err);
void text_input_free(text_input *in);
static inline const char *text_word(const text_input *in, size_t k) { return in->text + in->tok[k]; }

#endif
