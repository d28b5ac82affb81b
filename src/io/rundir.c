/* rundir.c: claiming a run's directories (see rundir.h). */
#include "io/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "io/tfevents.h"

#define PROBE_PREFIX ".rnnlm-probe."
#define CHECKPOINT_TMP ".safetensors.tmp."
#define EVENTS_PREFIX "events.out.tfevents."

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

/* True when s is one or more lowercase hex digits and nothing else: the
 * random suffix of a temporary, or the pid that older versions used. */
static bool all_hex(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return false;
    return true;
}

static bool has_prefix(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* A temporary that only a run of this directory makes: a checkpoint's
 * "<name>.safetensors.tmp.<hex>" or a probe ".rnnlm-probe.<hex>". */
static bool is_stale_name(const char *name) {
    if (has_prefix(name, PROBE_PREFIX)) return all_hex(name + strlen(PROBE_PREFIX));
    const char *t = strstr(name, CHECKPOINT_TMP);
    return t && t > name && all_hex(t + strlen(CHECKPOINT_TMP));
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

/* Creates and removes DIR/.rnnlm-probe.<random hex>: the directory takes
 * new files. The name is drawn at random and created exclusively, so a link
 * planted there beforehand is never followed. */
static rnnlm_status probe(const char *dir, rnnlm_err *err) {
    char path[4096], prefix[4096];
    if (!join(prefix, sizeof prefix, dir, PROBE_PREFIX)) return rnnlm_fail(err, RNNLM_E_ARG, "%s: path too long", dir);
    int fd = atomic_create_excl(path, sizeof path, prefix, 100);
    if (fd < 0)
        return rnnlm_fail(err, errno == ENAMETOOLONG ? RNNLM_E_ARG : RNNLM_E_IO,
                          "%s: cannot write in this directory: %s", dir, strerror(errno));
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
 * holds the lock. The lock file outlives its runs, so it is opened without
 * O_EXCL, but never through a symbolic link (O_NOFOLLOW) and only when it is
 * a regular file: a link planted there would have the pid written over its
 * target. */
static rnnlm_status take_lock(const char *dir, int *fd_out, rnnlm_err *err) {
    char path[4096];
    if (!join(path, sizeof path, dir, RUNDIR_LOCK_NAME))
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: path too long", dir);
    /* O_NONBLOCK: a FIFO in its place cannot hang the open */
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    struct stat sb;
    if (fd < 0 && errno == ELOOP)
        return rnnlm_fail(err, RNNLM_E_IO, "%s: a symbolic link, not the lock file this program makes; "
                          "refusing to follow it (remove it if it is not meant to be there)", path);
    if (fd < 0) return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return rnnlm_fail(err, RNNLM_E_IO, "%s: not a regular file, not the lock file this program makes", path);
    }
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

/* The names a run gives its checkpoints in save_dir. */
static bool is_checkpoint_file(const char *name) {
    if (strcmp(name, "last.safetensors") == 0 || strcmp(name, "best.safetensors") == 0) return true;
    const char *end = strstr(name, ".safetensors");   /* epoch-N.safetensors of --keep-epochs */
    if (!has_prefix(name, "epoch-") || !end || strcmp(end, ".safetensors") != 0) return false;
    for (const char *c = name + strlen("epoch-"); c < end; c++)
        if (*c < '0' || *c > '9') return false;
    return end > name + strlen("epoch-");
}

/* What run_files found: the first names, for a message. */
typedef struct {
    size_t n;
    char names[256];
} found_files;

static void note_file(found_files *f, const char *sub, const char *name) {
    size_t len = strlen(f->names);
    if (f->n++ < 3)
        snprintf(f->names + len, sizeof f->names - len, "%s%s%s%s", f->n > 1 ? ", " : "", sub ? sub : "",
                 sub ? "/" : "", name);
}

/* The entries of the open directory d that keep(name) selects: noted in *f,
 * and removed (the entry itself: a symbolic link goes, its target stays)
 * when remove is set. */
static rnnlm_status sweep(DIR *d, const char *dir, const char *sub, bool (*keep)(const char *), bool remove,
                          found_files *f, rnnlm_err *err) {
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!keep(e->d_name)) continue;
        struct stat sb;   /* a directory of such a name is not a run's file (the run's write will fail on it) */
        if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode)) continue;
        note_file(f, sub, e->d_name);
        if (remove && unlinkat(dirfd(d), e->d_name, 0) != 0 && errno != ENOENT)
            return rnnlm_fail(err, RNNLM_E_IO, "%s/%s%s%s: cannot remove the old run's file: %s", dir, sub ? sub : "",
                              sub ? "/" : "", e->d_name, strerror(errno));
    }
    return RNNLM_OK;
}

/* The names a run gives its logs in logdir (report.svg: `rnnlm report`'s
 * picture of log.csv). */
static bool is_log_file(const char *name) { return strcmp(name, "log.csv") == 0 || strcmp(name, "report.svg") == 0; }

static bool is_event_file(const char *name) { return has_prefix(name, EVENTS_PREFIX); }

/* The run files of dir that holds says (RUNDIR_CHECKPOINTS, RUNDIR_LOGS; see
 * rnnlm_dirs_mode in rnnlm.h): noted in *f, and removed when remove is set.
 * The event directories are opened without following a link: one that is a
 * link is refused, since the run would write its event files, and
 * --overwrite remove files, through it. */
static rnnlm_status run_files(const char *dir, unsigned holds, bool remove, found_files *f, rnnlm_err *err) {
    static const char *const subs[] = {"train", "validation", "test"};
    DIR *d = opendir(dir);
    if (!d) return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot list: %s", dir, strerror(errno));
    rnnlm_status st = RNNLM_OK;
    if (holds & RUNDIR_CHECKPOINTS) st = sweep(d, dir, NULL, is_checkpoint_file, remove, f, err);
    if (!st && (holds & RUNDIR_LOGS)) {
        rewinddir(d);
        st = sweep(d, dir, NULL, is_log_file, remove, f, err);
    }
    for (size_t i = 0; !st && (holds & RUNDIR_LOGS) && i < sizeof subs / sizeof *subs; i++) {
        struct stat sb;
        if (fstatat(dirfd(d), subs[i], &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT) st = rnnlm_fail(err, RNNLM_E_IO, "%s/%s: %s", dir, subs[i], strerror(errno));
            continue;
        }
        if (S_ISLNK(sb.st_mode)) {
            st = rnnlm_fail(err, RNNLM_E_IO, "%s/%s: a symbolic link where the run keeps its event files; "
                            "refusing to follow it", dir, subs[i]);
            break;
        }
        if (!S_ISDIR(sb.st_mode)) continue;   /* a file: creating the event directory fails, naming it */
        int fd = openat(dirfd(d), subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *sd = fd >= 0 ? fdopendir(fd) : NULL;
        if (!sd) {
            st = rnnlm_fail(err, RNNLM_E_IO, "%s/%s: cannot list: %s", dir, subs[i], strerror(errno));
            if (fd >= 0) close(fd);
            break;
        }
        st = sweep(sd, dir, subs[i], is_event_file, remove, f, err);
        closedir(sd);
    }
    closedir(d);
    return st;
}

/* A claimed directory against another run's files, as mode says. */
static rnnlm_status prior_run(const char *dir, unsigned holds, int mode, rnnlm_err *err) {
    found_files f = {0, ""};
    rnnlm_status st = run_files(dir, holds, mode == RNNLM_DIRS_OVERWRITE, &f, err);
    if (st || mode != RNNLM_DIRS_NEW || !f.n) return st;
    return rnnlm_fail(err, RNNLM_E_IO, "%s: holds another run's files (%s%s); give --overwrite to replace "
                      "that run (its checkpoints and logs are removed), --resume CHECKPOINT to continue it, "
                      "or choose another directory", dir, f.names, f.n > 3 ? ", ..." : "");
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

rnnlm_status rundir_lock(rundir **out, const char *const *dirs, const unsigned *holds, size_t n, int mode,
                         rnnlm_err *err) {
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
    /* once every directory is ours: another run's files (a directory named
     * twice is checked for each role) */
    for (size_t i = 0; !st && i < n; i++)
        if (dirs[i]) st = prior_run(dirs[i], holds ? holds[i] : RUNDIR_CHECKPOINTS | RUNDIR_LOGS, mode, err);
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
