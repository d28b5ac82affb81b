/* linereader.h: the library's side of the bounded line reader (rnnlm_lines,
 * declared in rnnlm.h): the record itself, so that readers in the library can
 * look at the descriptor (a regular file's size, for instance). */
#ifndef RNNLM_LINEREADER_H
#define RNNLM_LINEREADER_H

#include "common.h"

struct rnnlm_lines {
    int fd;
    int own_fd;            /* opened here, closed by rnnlm_lines_close */
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

#endif
