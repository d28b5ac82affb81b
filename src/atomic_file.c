/* atomic_file.c: temporary name, fsync, rename, fsync of the directory. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>

rnnlm_status rnnlm_atomic_open(rnnlm_atomic_file *af, const char *path, rnnlm_err *err) {
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path)
        return rnnlm_fail(err, RNNLM_E_ARG, "%s: path too long", path);
    strcpy(af->path, path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    af->f = fopen(af->tmp, "wb");
    if (!af->f) return rnnlm_fail(err, RNNLM_E_IO, "%s: cannot create: %s", af->tmp, strerror(errno));
    return RNNLM_OK;
}

void rnnlm_atomic_abort(rnnlm_atomic_file *af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    unlink(af->tmp);
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
