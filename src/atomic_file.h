/* atomic_file.h: files that matter are written through rnnlm_atomic_file
 * (rnnlm.h): temporary name, fsync, rename, fsync of the directory. */
#ifndef RNNLM_ATOMIC_FILE_H
#define RNNLM_ATOMIC_FILE_H
#include "common.h"
#endif
