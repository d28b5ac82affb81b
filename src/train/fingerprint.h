/* fingerprint.h: the data a run trains on, as checkpoint metadata (the
 * data.* keys, docs/FORMAT.md), so that a resumed run can tell that it
 * reads the same data: each file's size and FNV-1a 64, and the vocabulary's. */
#ifndef RNNLM_FINGERPRINT_H
#define RNNLM_FINGERPRINT_H

#include <stddef.h>

#include "core/common.h"
#include "io/safetensors.h"

#define FINGERPRINT_MAX_FILES (sizeof ((rnnlm_dataset *)0)->files / sizeof ((rnnlm_dataset *)0)->files[0])
/* data.files, data.vocab.fnv1a64; data.<role>.bytes and .fnv1a64 of each file */
#define FINGERPRINT_MAX_KEYS (2 + 2 * FINGERPRINT_MAX_FILES)

typedef struct {
    char kv[FINGERPRINT_MAX_KEYS][2][64];   /* key, value */
    size_t n;
} fingerprint_keys;

/* The data.* keys of d. */
void fingerprint_make(fingerprint_keys *k, const rnnlm_dataset *d);
/* d (whose keys are k) against the checkpoint f's: a difference is refused
 * (RNNLM_E_ARG), naming the file and whether its size or its content
 * differs, unless allow_change (then a note). A checkpoint without them
 * (written before they existed) passes with a note. note (cap bytes)
 * receives the note, "" for none. */
rnnlm_status fingerprint_check(const fingerprint_keys *k, const rnnlm_dataset *d, const st_file *f,
                               const char *path, int allow_change, char *note, size_t cap, rnnlm_err *err);

#endif
