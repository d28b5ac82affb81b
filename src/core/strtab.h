/* strtab.h: a string interning table: byte strings -> dense ids 0, 1, 2, ...
 * in order of first insertion. One arena holds the bytes (NUL-terminated),
 * an open-addressing table (FNV-1a, linear probing, load <= 1/2) the ids. */
#ifndef RNNLM_STRTAB_H
#define RNNLM_STRTAB_H

#include <stddef.h>
#include <stdint.h>
#include "core/common.h"

typedef struct {
    char *arena;   size_t arena_len, arena_cap;   /* the strings, each NUL-terminated */
    uint64_t *off; size_t n, off_cap;             /* (n + 1) start offsets into arena */
    uint32_t *slot; size_t n_slots;               /* id + 1, 0 = empty; n_slots a power of 2 */
} strtab;

void strtab_init(strtab *t);
void strtab_free(strtab *t);
/* Finds s (len bytes) or inserts it; *id receives its id. */
rnnlm_status strtab_intern(strtab *t, const char *s, size_t len, uint32_t *id, rnnlm_err *err);
/* Id of s, or -1 when absent. */
int64_t strtab_find(const strtab *t, const char *s, size_t len);
static inline const char *strtab_str(const strtab *t, uint32_t id) { return t->arena + t->off[id]; }
static inline size_t strtab_len(const strtab *t, uint32_t id) { return (size_t)(t->off[id + 1] - t->off[id] - 1); }

#endif
