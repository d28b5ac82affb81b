/* rundir.h: the directories a training run writes (--save-dir, --logdir),
 * claimed before the first step so that a bad one fails at once and two runs
 * never write the same one:
 *
 *   - each is created when missing (with its parents), must be a directory,
 *     and must let us create a file: a probe DIR/.rnnlm-probe.<random hex>
 *     is created (exclusively: never through a planted link) and removed;
 *   - an exclusive flock() on DIR/.rnnlm.lock (which holds the pid of the
 *     run owning it) is taken without waiting; a second writer is refused
 *     with the holder's pid. The kernel drops the lock when the process ends,
 *     however it ends, so a killed run leaves no stale lock (the file itself
 *     stays; it is only the thing locked). A lock file that is a symbolic
 *     link, or not a regular file, is refused, never followed;
 *   - once locked, the temporaries a killed run left behind are removed:
 *     only names of the atomic writer's pattern for checkpoints,
 *     "<name>.safetensors.tmp.<hex digits>", and stale probes;
 *   - then another run's files in it (rnnlm_dirs_mode in rnnlm.h), by the
 *     directory's role: checkpoints (last, best and epoch-N.safetensors)
 *     where checkpoints go, logs (log.csv, report.svg, the event files in
 *     train/, validation/, test/) where logs go, refuse the directory
 *     (RNNLM_DIRS_NEW), are removed (RNNLM_DIRS_OVERWRITE; links among them
 *     are removed, not followed; a directory of such a name is not a run's
 *     file) or kept (RNNLM_DIRS_RESUME). An event directory that is a
 *     symbolic link is refused in every mode. */
#ifndef RNNLM_RUNDIR_H
#define RNNLM_RUNDIR_H

#include "core/common.h"

#define RUNDIR_LOCK_NAME ".rnnlm.lock"
/* What a directory holds for the run (rundir_lock's holds) */
#define RUNDIR_CHECKPOINTS 1u   /* save_dir */
#define RUNDIR_LOGS 2u          /* logdir */

typedef struct rundir rundir;

/* Claims every distinct directory of dirs[0..n) (NULL entries are skipped;
 * two names of the same directory are claimed once); holds[i] says what
 * dirs[i] is for (RUNDIR_CHECKPOINTS and/or RUNDIR_LOGS; holds NULL: both
 * for every one); mode is an rnnlm_dirs_mode. On failure nothing stays
 * locked and err names the directory: not a directory, not writable, locked
 * by pid N, or holding another run's files. */
rnnlm_status rundir_lock(rundir **out, const char *const *dirs, const unsigned *holds, size_t n, int mode,
                         rnnlm_err *err);
/* Releases the locks and frees (r may be NULL). */
void rundir_unlock(rundir *r);
/* Removes the stale temporaries of dir (see above); the caller holds its
 * lock. The number removed goes to *removed (may be NULL). */
rnnlm_status rundir_clean(const char *dir, size_t *removed, rnnlm_err *err);

#endif
