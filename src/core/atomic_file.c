/* atomic_file.c: temporary name, fsync, rename, fsync of the directory. */
#include "core/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* splitmix64's finaliser: the fallback's mixing. */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void atomic_random_hex(char out[ATOMIC_RANDOM_HEX + 1]) {
    static atomic_uint_fast64_t calls;
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        /* no kernel randomness (yet): the clock, the pid and a counter,
         * mixed; unique enough, and O_EXCL makes a clash harmless */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 16) ^
                  mix64(atomic_fetch_add(&calls, 1)));
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < ATOMIC_RANDOM_HEX; i++) out[i] = hex[(r >> (4 * i)) & 15];
    out[ATOMIC_RANDOM_HEX] = '\0';
}

int atomic_create_excl(char *name, size_t cap, const char *prefix, int attempts) {
    for (int i = 0; i < attempts; i++) {
        char rnd[ATOMIC_RANDOM_HEX + 1];
        atomic_random_hex(rnd);
        int k = snprintf(name, cap, "%s%s", prefix, rnd);
        if (k < 0 || (size_t)k >= cap) {
            errno = ENAMETOOLONG;
            return -1;
        }
        /* O_EXCL: a name that exists, a planted symbolic link included, is
         * never opened (O_NOFOLLOW says so once more) */
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

rnnlm_status rnnlm_atomic_open(rnnlm_atomic_file *af, const char *path, rnnlm_err *err) {
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path)
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: path too long", path);
    strcpy(af->path, path);
    char prefix[sizeof af->path + 8];
    snprintf(prefix, sizeof prefix, "%s.tmp.", path);
    int fd = atomic_create_excl(af->tmp, sizeof af->tmp, prefix, 100);
    rnnlm_status st = RNNLM_OK;
    if (fd < 0) {
        st = rnnlm_fail(err, RNNLM_E_IO, "%s: cannot create: %s", af->tmp, strerror(errno));
    } else if (!(af->f = fdopen(fd, "wb"))) {
        st = rnnlm_fail(err, RNNLM_E_IO, "%s: cannot create: %s", af->tmp, strerror(errno));
        close(fd);
        unlink(af->tmp);
    }
    if (st) af->tmp[0] = '\0';   /* no temporary of ours: an abort removes nothing (the name may be another's) */
    return st;
}

void rnnlm_atomic_abort(rnnlm_atomic_file *af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp[0]) unlink(af->tmp);
    af->tmp[0] = '\0';
}

rnnlm_status rnnlm_atomic_commit(rnnlm_atomic_file *af, rnnlm_err *err) {
    int bad = fflush(af->f) != 0 || ferror(af->f) || fsync(fileno(af->f)) != 0;
    int e = errno;
    if (fclose(af->f) != 0 && !bad) { bad = 1; e = errno; }
    af->f = NULL;
    if (bad) {
        unlink(af->tmp);
        return rnnlm_fail(err, RNNLM_E_IO, "%s: write failed: %s", af->tmp, strerror(e));
    }
    /* When path is a symbolic link, rename() replaces the link itself and
     * never writes where it points: the file lands here, the target stays. */
    if (rename(af->tmp, af->path) != 0) {
        e = errno;
        unlink(af->tmp);
        return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot rename into place: %s", af->path, strerror(e));
    }
    char dir[4096];
    strcpy(dir, af->path);
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) { fsync(fd); close(fd); }
    return RNNLM_OK;
}
