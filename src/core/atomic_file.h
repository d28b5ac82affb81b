/* atomic_file.h: files that matter are written through rnnlm_atomic_file
 * (rnnlm.h): temporary name, fsync, rename, fsync of the directory.
 *
 * The temporary is "<path>.tmp.<16 hex digits>", the digits from the
 * kernel's random source, created with O_CREAT | O_EXCL | O_NOFOLLOW: nobody
 * can plant a link at a name before it is chosen, and a name that exists
 * (a link included) is never opened but replaced by another draw. */
#ifndef RNNLM_ATOMIC_FILE_H
#define RNNLM_ATOMIC_FILE_H
#include "core/common.h"

#define ATOMIC_RANDOM_HEX 16

/* ATOMIC_RANDOM_HEX lowercase hex digits of randomness, NUL-terminated. */
void atomic_random_hex(char out[ATOMIC_RANDOM_HEX + 1]);
/* Creates the new file "<prefix><random hex>" (its name into name, cap
 * bytes) for writing, O_EXCL | O_NOFOLLOW, 0666 less the umask; a name that
 * exists is drawn again, up to attempts times. The descriptor, or -1 with
 * errno set (EEXIST after attempts clashes, ENAMETOOLONG). */
int atomic_create_excl(char *name, size_t cap, const char *prefix, int attempts);
#endif
