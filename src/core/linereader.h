/* linereader.h: the library's side of the bounded line reader (rnnlm_lines,
 * declared in rnnlm.h): the record itself, so that readers in the library can
 * look at the descriptor (a regular file's size, for instance). */
#ifndef RNNLM_LINEREADER_H
#define RNNLM_LINEREADER_H

#include <zlib.h>

#include "core/common.h"

struct rnnlm_lines {
    int fd;                /* for fstat (a regular file's size, for instance) */
    gzFile gz;             /* reads fd (or its duplicate): gzip is inflated, plain text passes through */
    int own_fd;            /* opened here: gz holds fd itself (else a duplicate of it) */
    char *name;            /* for messages */
    size_t max_line;       /* longest line accepted, without its '\n' */
    char *buf;             /* buf[start, end): bytes read and not yet returned */
    size_t cap, start, end;
    size_t scan;           /* [start, scan) is known to hold no '\n' */
    size_t lineno;         /* lines returned so far */
    int eof;               /* read() returned 0 */
    int failed;            /* an error was returned: the reader is spent */
    uint64_t bytes;        /* bytes read so far */
    uint64_t hash;         /* FNV-1a 64 of those bytes (from FNV1A64_INIT unless the caller seeds it) */
};

/* The next line as text, for the readers whose lines are words: a CR
 * before the newline dropped, then the text rule (rnnlm_text_check_line:
 * no NUL, valid UTF-8). Its bytes may be changed in place (cut into fields)
 * until the next call. 1 a line, 0 the end, -1 with err set. */
int lines_next_text(rnnlm_lines *r, char **line, size_t *len, rnnlm_err *err);

#endif
