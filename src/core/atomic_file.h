/* atomic_file.h: files that matter are written through rnnlm_atomic_file:
 * temporary name, fsync, rename, fsync of the directory. The library's own
 * (not in rnnlm.h): a program reaches it through the functions that write
 * the library's files (rnnlm_vocab_save, rnnlm_ids_save, ...).
 *
 * The temporary is "<path>.tmp.<16 hex digits>", the digits from the
 * kernel's random source, created with O_CREAT | O_EXCL | O_NOFOLLOW: nobody
 * can plant a link at a name before it is chosen, and a name that exists
 * (a link included) is never opened but replaced by another draw. */
#ifndef RNNLM_ATOMIC_FILE_H
#define RNNLM_ATOMIC_FILE_H
#include <stdio.h>

#include "core/common.h"

/* A file that matters, written so that a crash never leaves half of it where
 * a whole one was: written to "<path>.tmp.<16 random hex digits>" (created
 * exclusively, never through a symbolic link), flushed, fsync'ed, renamed
 * over path (a link at path is replaced, not followed), the directory
 * fsync'ed. */
typedef struct {
    FILE *f;   /* write here */
    char path[4096];
    char tmp[4200];
} rnnlm_atomic_file;

rnnlm_status rnnlm_atomic_open(rnnlm_atomic_file *af, const char *path, rnnlm_err *err);
/* Flushes, syncs and renames; closes af->f in every case. */
rnnlm_status rnnlm_atomic_commit(rnnlm_atomic_file *af, rnnlm_err *err);
/* Closes and removes the temporary file (nothing after a failed rnnlm_atomic_open). */
void rnnlm_atomic_abort(rnnlm_atomic_file *af);

#define ATOMIC_RANDOM_HEX 16

/* ATOMIC_RANDOM_HEX lowercase hex digits of randomness, NUL-terminated. */
void atomic_random_hex(char out[ATOMIC_RANDOM_HEX + 1]);
/* Creates the new file "<prefix><random hex>" (its name into name, cap
 * bytes) for writing, O_EXCL | O_NOFOLLOW, 0666 less the umask; a name that
 * exists is drawn again, up to attempts times. The descriptor, or -1 with
 * errno set (EEXIST after attempts clashes, ENAMETOOLONG). */
int atomic_create_excl(char *name, size_t cap, const char *prefix, int attempts);
#endif
