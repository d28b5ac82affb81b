/* rundir.c: claiming a run's directories (see rundir.h). */
#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tfevents.h"

#define PROBE_PREFIX ".rnnlm-probe."
#define CHECKPOINT_TMP ".safetensors.tmp."

struct rundir {
    size_t n;
    int *fd;           /* (n) open lock files, each holding its flock */
    dev_t *dev;        /* (n) the locked directories */
    ino_t *ino;
};

/* "DIR/name" into buf; false when it does not fit. */
static bool join(char *buf, size_t cap, const char *dir, const char *name) {
    int k = snprintf(buf, cap, "%s/%s", dir, name);
    return k >= 0 && (size_t)k < cap;
}

/* True when s is one or more decimal digits and nothing else. */
static bool all_digits(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

/* A temporary that only a run of this directory makes: a checkpoint's
 * "<name>.safetensors.tmp.<pid>" or a probe ".rnnlm-probe.<pid>". */
static bool is_stale_name(const char *name) {
    if (strncmp(name, PROBE_PREFIX, strlen(PROBE_PREFIX)) == 0) return all_digits(name + strlen(PROBE_PREFIX));
    const char *t = strstr(name, CHECKPOINT_TMP);
    return t && t > name && all_digits(t + strlen(CHECKPOINT_TMP));
}

rnnlm_status rundir_clean(const char *dir, size_t *removed, rnnlm_err *err) {
    if (removed) *removed = 0;
    DIR *d = opendir(dir);
    if (!d) return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot list: %s", dir, strerror(errno));
    rnnlm_status st = RNNLM_OK;
    struct dirent *e;
    while (!st && (e = readdir(d))) {
        if (!is_stale_name(e->d_name)) continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
            if (removed) (*removed)++;
        } else if (errno != ENOENT) {
            st = rnnlm_fail(err, RNNLM_E_IO, "%s/%s: cannot remove a stale temporary file: %s", dir,
                            e->d_name, strerror(errno));
        }
    }
    closedir(d);
    return st;
}

/* Creates and removes DIR/.rnnlm-probe.<pid>: the directory takes new files. */
static rnnlm_status probe(const char *dir, rnnlm_err *err) {
    char path[4096], name[64];
    snprintf(name, sizeof name, PROBE_PREFIX "%ld", (long)getpid());
    if (!join(path, sizeof path, dir, name)) return rnnlm_fail(err, RNNLM_E_ARG, "%s: path too long", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot write in this directory: %s", dir, strerror(errno));
    close(fd);
    if (unlink(path) != 0)
        return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot remove a file of its own: %s", path, strerror(errno));
    return RNNLM_OK;
}

/* The pid written in an open lock file, or 0 when it holds none (yet). */
static long holder_pid(int fd) {
    char buf[32];
    ssize_t k = pread(fd, buf, sizeof buf - 1, 0);
    if (k <= 0) return 0;
    buf[k] = '\0';
    char *end;
    long pid = strtol(buf, &end, 10);
    return end != buf && pid > 0 ? pid : 0;
}

/* Takes DIR/.rnnlm.lock without waiting and writes our pid in it; *fd_out
 * holds the lock. */
static rnnlm_status take_lock(const char *dir, int *fd_out, rnnlm_err *err) {
    char path[4096];
    if (!join(path, sizeof path, dir, RUNDIR_LOCK_NAME))
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: path too long", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot open: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long pid = e == EWOULDBLOCK ? holder_pid(fd) : 0;
        close(fd);
        if (e != EWOULDBLOCK) return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot lock: %s", path, strerror(e));
        if (pid)
            return rnnlm_fail(err, RNNLM_E_IO, "%s: in use by another run (pid %ld holds %s); "
                              "wait for it to end or choose another directory", dir, pid, path);
        return rnnlm_fail(err, RNNLM_E_IO, "%s: in use by another run (it holds %s); "
                          "wait for it to end or choose another directory", dir, path);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        int e = errno;
        close(fd);
        return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot write: %s", path, strerror(e));
    }
    *fd_out = fd;
    return RNNLM_OK;
}

/* Claims one directory into slot r->n (unless r already holds it). */
static rnnlm_status claim(rundir *r, const char *dir, rnnlm_err *err) {
    rnnlm_status st = tfevents_mkdir_p(dir, err);
    if (st) return st;
    struct stat sb;
    if (stat(dir, &sb) != 0) return rnnlm_fail(err, RNNLM_E_IO, "%s: %s", dir, strerror(errno));
    for (size_t i = 0; i < r->n; i++)
        if (r->dev[i] == sb.st_dev && r->ino[i] == sb.st_ino) return RNNLM_OK;
    if ((st = probe(dir, err)) || (st = take_lock(dir, &r->fd[r->n], err))) return st;
    r->dev[r->n] = sb.st_dev;
    r->ino[r->n] = sb.st_ino;
    r->n++;
    return rundir_clean(dir, NULL, err);
}

rnnlm_status rundir_lock(rundir **out, const char *const *dirs, size_t n, rnnlm_err *err) {
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "rundir_lock: no output pointer");
    *out = NULL;
    rundir *r = rnnlm_calloc(1, sizeof *r, "run directories", err);
    if (!r) return RNNLM_E_NOMEM;
    size_t cap = n ? n : 1;
    r->fd = rnnlm_calloc(cap, sizeof *r->fd, "run directory locks", err);
    r->dev = r->fd ? rnnlm_calloc(cap, sizeof *r->dev, "run directory ids", err) : NULL;
    r->ino = r->dev ? rnnlm_calloc(cap, sizeof *r->ino, "run directory ids", err) : NULL;
    rnnlm_status st = r->ino ? RNNLM_OK : RNNLM_E_NOMEM;
    for (size_t i = 0; !st && i < n; i++)
        if (dirs[i]) st = claim(r, dirs[i], err);
    if (st) {
        rundir_unlock(r);
        return st;
    }
    *out = r;
    return RNNLM_OK;
}

void rundir_unlock(rundir *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) close(r->fd[i]);   /* closing drops the flock */
    free(r->fd);
    free(r->dev);
    free(r->ino);
    free(r);
}
