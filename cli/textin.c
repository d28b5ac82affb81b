/* textin.c: the text `rnnlm score` (and `eval --ngram`) read, whole, as
 * sentences of NUL-terminated words (textin.h). */
#include "textin.h"

#include <errno.h>
#include <stdio.h>
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
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    const char *name = f == stdin ? "<stdin>" : path;
    if (!f) {
        rnnlm_fail(err, RNNLM_E_IO, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 0;
    if (rnnlm_grow((void **)&in->sent, &in->sent_cap, 1, sizeof *in->sent, "sentences", err)) rc = -1;
    else in->sent[0] = 0;
    while (!rc && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        /* the rule of every text reader: no NUL, valid UTF-8, a bounded line */
        if (rnnlm_text_check_line(name, lineno, line, (size_t)len - (line[len - 1] == '\n'), max_line, err)) {
            rc = -1;
            break;
        }
        int first = 1;
        for (ssize_t i = 0; i < len && !rc;) {
            while (i < len && is_space(line[i])) i++;
            ssize_t j = i;
            while (j < len && !is_space(line[j])) j++;
            if (j == i) break;
            size_t at;
            if (utt_ids && first) {
                if (rnnlm_grow((void **)&in->uid, &in->uid_cap, in->n_sent + 1, sizeof *in->uid, "utterance ids",
                               err) ||
                    push_text(in, line + i, (size_t)(j - i), &at, err))
                    rc = -1;
                else
                    in->uid[in->n_sent] = at;
            } else if (rnnlm_grow((void **)&in->tok, &in->tok_cap, in->n_tok + 1, sizeof *in->tok, "tokens", err) ||
                       push_text(in, line + i, (size_t)(j - i), &at, err)) {
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
    if (!rc && ferror(f)) {
        rnnlm_fail(err, RNNLM_E_IO, "%s: read error: %s", name, strerror(errno));
        rc = -1;
    }
    free(line);
    if (f != stdin) fclose(f);
    return rc;
}

void text_input_free(text_input *in) {
    free(in->text);
    free(in->tok);
    free(in->sent);
    free(in->uid);
    memset(in, 0, sizeof *in);
}
