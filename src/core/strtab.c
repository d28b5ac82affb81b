/* strtab.c: string interning (see strtab.h). */
#include "core/strtab.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 0x100000001b3ull; }
    return h;
}

void strtab_init(strtab *t) { memset(t, 0, sizeof *t); }

void strtab_free(strtab *t) {
    free(t->arena); free(t->off); free(t->slot);
    memset(t, 0, sizeof *t);
}

int64_t strtab_find(const strtab *t, const char *s, size_t len) {
    if (!t->n_slots) return -1;
    size_t mask = t->n_slots - 1;
    for (size_t i = fnv1a(s, len) & mask;; i = (i + 1) & mask) {
        uint32_t v = t->slot[i];
        if (!v) return -1;
        uint32_t id = v - 1;
        if (strtab_len(t, id) == len && memcmp(strtab_str(t, id), s, len) == 0) return id;
    }
}

static rnnlm_status rehash(strtab *t, size_t n_slots, rnnlm_err *err) {
    uint32_t *slot = rnnlm_calloc(n_slots, sizeof *slot, "string table", err);
    if (!slot) return err ? err->status : RNNLM_E_NOMEM;
    size_t mask = n_slots - 1;
    for (uint32_t id = 0; id < t->n; id++) {
        size_t i = fnv1a(strtab_str(t, id), strtab_len(t, id)) & mask;
        while (slot[i]) i = (i + 1) & mask;
        slot[i] = id + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->n_slots = n_slots;
    return RNNLM_OK;
}

rnnlm_status strtab_intern(strtab *t, const char *s, size_t len, uint32_t *id, rnnlm_err *err) {
    int64_t found = strtab_find(t, s, len);
    if (found >= 0) { *id = (uint32_t)found; return RNNLM_OK; }
    if (t->n >= UINT32_MAX - 1)
        return rnnlm_fail(err, RNNLM_E_NOMEM, "string table: more than 2^32 distinct strings");
    rnnlm_status st;
    if ((t->n + 1) * 2 > t->n_slots && (st = rehash(t, t->n_slots ? t->n_slots * 2 : 1024, err)))
        return st;
    size_t need;
    if (!size_add(t->arena_len, len + 1, &need))
        return rnnlm_fail(err, RNNLM_E_NOMEM, "string table: arena size overflows");
    if ((st = rnnlm_grow((void **)&t->arena, &t->arena_cap, need, 1, "string arena", err))) return st;
    if ((st = rnnlm_grow((void **)&t->off, &t->off_cap, t->n + 2, sizeof *t->off, "string offsets", err)))
        return st;
    if (t->n == 0) t->off[0] = 0;
    memcpy(t->arena + t->arena_len, s, len);
    t->arena[t->arena_len + len] = '\0';
    t->arena_len = need;
    uint32_t nid = (uint32_t)t->n++;
    t->off[t->n] = t->arena_len;
    size_t mask = t->n_slots - 1;
    size_t i = fnv1a(s, len) & mask;
    while (t->slot[i]) i = (i + 1) & mask;
    t->slot[i] = nid + 1;
    *id = nid;
    return RNNLM_OK;
}
