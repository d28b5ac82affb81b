/* fingerprint.c: the data.* keys of a run's data and their check on resume
 * (fingerprint.h). */
#include "train/fingerprint.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model/checkpoint.h"

/* The vocabulary's fingerprint: FNV-1a 64 over each word in id order with its
 * NUL and its count (8 bytes little-endian), then the canonicalisation (0
 * none, 1 recipe, 8 bytes). */
static uint64_t vocab_hash(const rnnlm_vocab *v) {
    uint64_t h = FNV1A64_INIT;
    for (size_t i = 0; i < rnnlm_vocab_size(v); i++) {
        const char *w = rnnlm_vocab_word(v, (int32_t)i);
        h = fnv1a64_u64(fnv1a64(h, w, strlen(w) + 1), rnnlm_vocab_count(v, (int32_t)i));
    }
    return fnv1a64_u64(h, (uint64_t)rnnlm_vocab_canon(v));
}

void fingerprint_make(fingerprint_keys *k, const rnnlm_dataset *d) {
    size_t n = 0;
    char files[64] = "";
    for (int i = 0; i < d->n_files && i < (int)FINGERPRINT_MAX_FILES; i++) {
        const rnnlm_data_file *f = &d->files[i];
        size_t used = strlen(files);
        snprintf(files + used, sizeof files - used, "%s%s", i ? " " : "", f->role);
        snprintf(k->kv[n][0], sizeof k->kv[n][0], "data.%s.bytes", f->role);
        snprintf(k->kv[n++][1], sizeof k->kv[0][1], "%llu", (unsigned long long)f->bytes);
        snprintf(k->kv[n][0], sizeof k->kv[n][0], "data.%s.fnv1a64", f->role);
        snprintf(k->kv[n++][1], sizeof k->kv[0][1], "%016llx", (unsigned long long)f->hash);
    }
    snprintf(k->kv[n][0], sizeof k->kv[n][0], "data.files");
    snprintf(k->kv[n++][1], sizeof k->kv[0][1], "%s", files);
    snprintf(k->kv[n][0], sizeof k->kv[n][0], "data.vocab.fnv1a64");
    snprintf(k->kv[n++][1], sizeof k->kv[0][1], "%016llx", (unsigned long long)vocab_hash(d->vocab));
    k->n = n;
}

/* The value k holds under the data key `key` (NULL: none). */
static const char *data_value(const fingerprint_keys *k, const char *key) {
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->kv[i][0], key) == 0) return k->kv[i][1];
    return NULL;
}

/* A fingerprint of the checkpoint's metadata: exactly 16 lower-case hex digits. */
static rnnlm_status meta_hash(const st_file *f, const char *key, uint64_t *out, const char *path, rnnlm_err *err) {
    const char *v = checkpoint_get_meta(f, key);
    if (!v) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata %s is missing (data.files lists it)", path, key);
    uint64_t h = 0;
    size_t n = 0;
    for (; v[n] && n < 17; n++) {
        char ch = v[n];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) break;
        h = h << 4 | (uint64_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
    }
    if (n != 16 || v[n])
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: metadata %s='%s' is not a valid value", path, key, v);
    *out = h;
    return RNNLM_OK;
}

/* Into why (cap bytes, left "" when they agree): how the files d read
 * differ from those the checkpoint f records. */
static rnnlm_status files_differ(const rnnlm_dataset *d, const st_file *f, const char *path, char *why, size_t cap,
                                 rnnlm_err *err) {
    rnnlm_status st;
    for (int i = 0; !*why && i < d->n_files; i++) {
        const rnnlm_data_file *df = &d->files[i];
        char key[64];
        long long bytes;
        uint64_t hash;
        snprintf(key, sizeof key, "data.%s.bytes", df->role);
        if ((st = checkpoint_meta_int(f, key, 0, INT64_MAX, &bytes, path, err))) return st;
        snprintf(key, sizeof key, "data.%s.fnv1a64", df->role);
        if ((st = meta_hash(f, key, &hash, path, err))) return st;
        /* the option that named the file: corpus, brown_dir, train_file, valid_file, test_file */
        const char *opt = strcmp(df->role, "brown") == 0 ? "brown_dir" : df->role;
        const char *suffix = strcmp(df->role, "brown") && strcmp(df->role, "corpus") ? "_file" : "";
        if ((uint64_t)bytes != df->bytes)
            snprintf(why, cap, "%s (`%s%s`) holds %llu bytes, the checkpoint's run read %lld", df->path, opt,
                     suffix, (unsigned long long)df->bytes, bytes);
        else if (hash != df->hash)
            snprintf(why, cap, "%s (`%s%s`) has the size the checkpoint's run read (%lld bytes) but other "
                     "content", df->path, opt, suffix, bytes);
    }
    return RNNLM_OK;
}

rnnlm_status fingerprint_check(const fingerprint_keys *k, const rnnlm_dataset *d, const st_file *f,
                               const char *path, int allow_change, char *note, size_t cap, rnnlm_err *err) {
    const char *files = checkpoint_get_meta(f, "data.files"), *cur = data_value(k, "data.files");
    char why[900] = "";
    rnnlm_status st;
    note[0] = 0;
    if (!files) {
        snprintf(note, cap, "%s records no fingerprint of its data (it was written before "
                 "checkpoints held them): the data are not checked against the checkpoint's", path);
        return RNNLM_OK;
    }
    if (strcmp(files, cur) != 0)
        snprintf(why, sizeof why, "the checkpoint's run read %s, this one reads %s", *files ? files : "no file",
                 *cur ? cur : "no file");
    if ((st = files_differ(d, f, path, why, sizeof why, err))) return st;
    uint64_t vh;
    if (!*why && (st = meta_hash(f, "data.vocab.fnv1a64", &vh, path, err))) return st;
    if (!*why && vh != vocab_hash(d->vocab))
        snprintf(why, sizeof why, "the vocabulary (%zu words) is not the one the checkpoint's run used",
                 rnnlm_vocab_size(d->vocab));
    if (!*why) return RNNLM_OK;
    if (!allow_change)
        return rnnlm_fail(err, RNNLM_E_ARG, "the data differ from the checkpoint's: %s "
                          "(`allow_data_change` resumes on them anyway)", why);
    snprintf(note, cap, "the data differ from the checkpoint's: %s; resumed on them "
             "(`allow_data_change`)", why);
    return RNNLM_OK;
}
