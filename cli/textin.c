/* textin.c: the text `rnnlm score` (and `eval --ngram`) read, whole, as
 * sentences of NUL-terminated words (textin.h). */
#include "textin.h"

#include <stdlib.h>
#include <string.h>

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* Appends s[0..w) as one NUL-terminated token at the end of text; its offset into *at. */
static int push_text(text_input *in, const char *s, size_t w, size_t *at, rnnlm_err *err) {
    if (rnnlm_grow((void **)&in->text, &in->text_cap, in->text_len + w + 1, 1, "input text", err)) return -1;
    memcpy(in->text + in->text_len, s, w);
    in->text[in->text_len + w] = '\0';
    *at = in->text_len;
    in->text_len += w + 1;
    return 0;
}

int text_input_read(text_input *in, const char *path, int utt_ids, size_t max_line, rnnlm_err *err) {
    memset(in, 0, sizeof *in);
    /* the bounded reader: a line over max_line is refused before it is read
     * whole, and a read error is an error, not the end of the input */
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    rnnlm_lines *f;
    if (is_stdin ? rnnlm_lines_open_fd(&f, 0, name, max_line, err) : rnnlm_lines_open(&f, path, max_line, err))
        return -1;
    const char *line;
    size_t len, lineno = 0;
    int rc = 0;
    if (rnnlm_grow((void **)&in->sent, &in->sent_cap, 1, sizeof *in->sent, "sentences", err)) rc = -1;
    else in->sent[0] = 0;
    while (!rc && !(rc = rnnlm_lines_next(f, &line, &len, err) ? -1 : 0) && line) {
        lineno++;
        /* the rule of every text reader: no NUL, valid UTF-8, a bounded line */
        if (rnnlm_text_check_line(name, lineno, line, len, max_line, err)) {
            rc = -1;
            break;
        }
        int first = 1;
        for (size_t i = 0; i < len && !rc;) {
            while (i < len && is_space(line[i])) i++;
            size_t j = i;
            while (j < len && !is_space(line[j])) j++;
            if (j == i) break;
            size_t at;
            if (utt_ids && first) {
                if (rnnlm_grow((void **)&in->uid, &in->uid_cap, in->n_sent + 1, sizeof *in->uid, "utterance ids",
                               err) ||
                    push_text(in, line + i, j - i, &at, err))
                    rc = -1;
                else
                    in->uid[in->n_sent] = at;
            } else if (rnnlm_grow((void **)&in->tok, &in->tok_cap, in->n_tok + 1, sizeof *in->tok, "tokens", err) ||
                       push_text(in, line + i, j - i, &at, err)) {
                rc = -1;
            } else {
                in->tok[in->n_tok++] = at;
            }
            first = 0;
            i = j;
        }
        if (!rc && utt_ids && first) {
            rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: no utterance id (a blank line; every line is \"ID word ...\")",
                       name, lineno);
            rc = -1;
        }
        if (!rc && rnnlm_grow((void **)&in->sent, &in->sent_cap, in->n_sent + 2, sizeof *in->sent,
                              "sentences", err))
            rc = -1;
        if (!rc) in->sent[++in->n_sent] = in->n_tok;
    }
    rnnlm_lines_close(f);
    return rc;
}

void text_input_free(text_input *in) {
    free(in->text);
    free(in->tok);
    free(in->sent);
    free(in->uid);
    memset(in, 0, sizeof *in);
}
