/* atomic_file.h: write a file that matters so that a crash never leaves half of
 * it where a whole one was: write to "<path>.tmp.<pid>", fflush, fsync, rename
 * over path, fsync the directory. */
#ifndef RNNLM_ATOMIC_FILE_H
#define RNNLM_ATOMIC_FILE_H

#include <stdio.h>
#include "common.h"

typedef struct {
    FILE *f;                 /* write here */
    char path[4096];
    char tmp[4200];
} atomic_file;

rnnlm_status atomic_open(atomic_file *af, const char *path, rnnlm_err *err);
/* Flushes, syncs and renames; closes af->f in every case. */
rnnlm_status atomic_commit(atomic_file *af, rnnlm_err *err);
/* Closes and removes the temporary file. */
void atomic_abort(atomic_file *af);

#endif
