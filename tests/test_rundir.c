/* test_rundir.c: claiming run directories (src/io/rundir.c): a second claim of a
 * locked directory is refused with the holder's pid, even through another
 * name of it; one claim may name the same directory twice; unlocking frees
 * it; stale checkpoint temporaries and probes go, other files stay; a file in
 * the way (as the directory or a parent) is refused; a lock file that is a
 * symbolic link is refused and its target untouched; the atomic writer's
 * temporaries are random, exclusive, and of the pattern a claim cleans; a
 * directory holding another run's files (by its role: checkpoints, logs) is
 * refused, cleared of exactly those files, or kept, per rnnlm_dirs_mode. tests/test_rundir.sh checks the same
 * through `rnnlm train`, across processes; tests/test_symlinks.sh every
 * command against planted links. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "io/rundir.h"



static void touch(const char *dir, const char *name) {
    char p[8400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
}

static int exists(const char *dir, const char *name) {
    char p[8400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void test_lock_refuses_a_second_claim(void **state) {
    (void)state;
    char *tmp = util_make_tmpdir("rundir");
    char run[4200], alias[4300], pid[32];
    snprintf(run, sizeof run, "%s/a/run", tmp);   /* parents are made */
    snprintf(alias, sizeof alias, "%s/a/../a/run", tmp);
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    rnnlm_err err;
    rundir *r, *r2 = (rundir *)&err;
    const char *both[] = {run, NULL, alias};   /* the same directory twice: claimed once */
    assert_int_equal(rundir_lock(&r, both, NULL, 3, RNNLM_DIRS_NEW, &err), RNNLM_OK);
    assert_true(exists(run, RUNDIR_LOCK_NAME));
    const char *again[] = {alias};
    assert_int_equal(rundir_lock(&r2, again, NULL, 1, RNNLM_DIRS_NEW, &err), RNNLM_E_IO);
    assert_null(r2);
    assert_non_null(strstr(err.msg, pid));
    assert_non_null(strstr(err.msg, alias));
    rundir_unlock(r);
    assert_int_equal(rundir_lock(&r2, again, NULL, 1, RNNLM_DIRS_NEW, &err), RNNLM_OK);
    rundir_unlock(r2);
    rundir_unlock(NULL);
    util_rm_rf(tmp);
    free(tmp);
}

static void test_stale_temporaries(void **state) {
    (void)state;
    char *tmp = util_make_tmpdir("rundir");
    const char *stale[] = {"last.safetensors.tmp.123", "best.safetensors.tmp.9", ".rnnlm-probe.77"};
    const char *kept[] = {"last.safetensors", "last.safetensors.tmp.", "last.safetensors.tmp.12x",
                          ".safetensors.tmp.5", "notes.tmp.5", "report.svg.tmp.5", ".rnnlm-probe."};
    for (size_t i = 0; i < 3; i++) touch(tmp, stale[i]);
    for (size_t i = 0; i < 7; i++) touch(tmp, kept[i]);
    rnnlm_err err;
    size_t removed;
    assert_int_equal(rundir_clean(tmp, &removed, &err), RNNLM_OK);
    assert_int_equal(removed, 3);
    for (size_t i = 0; i < 3; i++) assert_false(exists(tmp, stale[i]));
    for (size_t i = 0; i < 7; i++) assert_true(exists(tmp, kept[i]));
    /* claiming cleans too */
    touch(tmp, "last.safetensors.tmp.5");
    rundir *r;
    const char *dirs[] = {tmp};
    assert_int_equal(rundir_lock(&r, dirs, NULL, 1, RNNLM_DIRS_RESUME, &err), RNNLM_OK);
    assert_false(exists(tmp, "last.safetensors.tmp.5"));
    rundir_unlock(r);
    util_rm_rf(tmp);
    free(tmp);
}

static void test_unusable_directories(void **state) {
    (void)state;
    char *tmp = util_make_tmpdir("rundir");
    touch(tmp, "file");
    char file[4200], below[4300];
    snprintf(file, sizeof file, "%s/file", tmp);
    snprintf(below, sizeof below, "%s/file/run", tmp);
    rnnlm_err err;
    rundir *r;
    const char *a[] = {file}, *b[] = {below}, *c[] = {tmp, "/proc/self"};
    assert_int_equal(rundir_lock(&r, a, NULL, 1, RNNLM_DIRS_NEW, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, file));
    assert_int_equal(rundir_lock(&r, b, NULL, 1, RNNLM_DIRS_NEW, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, file));
    /* a directory that takes no new file; the first one is released again */
    assert_int_equal(rundir_lock(&r, c, NULL, 2, RNNLM_DIRS_NEW, &err), RNNLM_E_IO);
    assert_null(r);
    assert_non_null(strstr(err.msg, "/proc/self"));
    assert_int_equal(rundir_lock(&r, c, NULL, 1, RNNLM_DIRS_NEW, &err), RNNLM_OK);
    rundir_unlock(r);
    util_rm_rf(tmp);
    free(tmp);
}

/* The text of dir/name (at most 63 bytes), "" when unreadable. */
static const char *content(const char *dir, const char *name) {
    static char buf[64];
    char p[8400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    buf[0] = '\0';
    FILE *f = fopen(p, "r");
    if (f) {
        buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
        fclose(f);
    }
    return buf;
}

static void write_file(const char *dir, const char *name, const char *text) {
    char p[8400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_lock_link_refused(void **state) {
    (void)state;
    char *tmp = util_make_tmpdir("rundir");
    char run[4200], victim[4200], lock[4300];
    snprintf(run, sizeof run, "%s/run", tmp);
    snprintf(victim, sizeof victim, "%s/victim", tmp);
    snprintf(lock, sizeof lock, "%s/" RUNDIR_LOCK_NAME, run);
    write_file(tmp, "victim", "precious\n");
    assert_int_equal(mkdir(run, 0700), 0);
    assert_int_equal(symlink(victim, lock), 0);
    rnnlm_err err;
    rundir *r = (rundir *)&err;
    const char *dirs[] = {run};
    assert_int_equal(rundir_lock(&r, dirs, NULL, 1, RNNLM_DIRS_NEW, &err), RNNLM_E_IO);
    assert_null(r);
    assert_non_null(strstr(err.msg, lock));
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_string_equal(content(tmp, "victim"), "precious\n");
    /* a dangling link: nothing is created where it points */
    assert_int_equal(unlink(lock), 0);
    char nowhere[4300];
    snprintf(nowhere, sizeof nowhere, "%s/nowhere", tmp);
    assert_int_equal(symlink(nowhere, lock), 0);
    assert_int_equal(rundir_lock(&r, dirs, NULL, 1, RNNLM_DIRS_NEW, &err), RNNLM_E_IO);
    assert_false(exists(tmp, "nowhere"));
    util_rm_rf(tmp);
    free(tmp);
}

static bool hex_suffix(const char *s) {
    if (strlen(s) != ATOMIC_RANDOM_HEX) return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return false;
    return true;
}

static void test_atomic_temporaries(void **state) {
    (void)state;
    char *tmp = util_make_tmpdir("rundir");
    char path[4200], prefix[4300];
    snprintf(path, sizeof path, "%s/last.safetensors", tmp);
    snprintf(prefix, sizeof prefix, "%s.tmp.", path);
    rnnlm_err err;
    rnnlm_atomic_file a, b;
    assert_int_equal(rnnlm_atomic_open(&a, path, &err), RNNLM_OK);
    assert_int_equal(rnnlm_atomic_open(&b, path, &err), RNNLM_OK);
    /* "<path>.tmp.<16 hex digits>", a new draw each time */
    assert_memory_equal(a.tmp, prefix, strlen(prefix));
    assert_memory_equal(b.tmp, prefix, strlen(prefix));
    assert_true(hex_suffix(a.tmp + strlen(prefix)));
    assert_true(hex_suffix(b.tmp + strlen(prefix)));
    assert_string_not_equal(a.tmp, b.tmp);
    fputs("b", b.f);
    rnnlm_atomic_abort(&b);
    assert_int_not_equal(access(b.tmp, F_OK), 0);
    /* a writer killed before its rename leaves its temporary: the next
     * claim of the directory removes it */
    fputs("a", a.f);
    fclose(a.f);
    assert_int_equal(access(a.tmp, F_OK), 0);
    size_t removed;
    assert_int_equal(rundir_clean(tmp, &removed, &err), RNNLM_OK);
    assert_int_equal(removed, 1);
    assert_int_not_equal(access(a.tmp, F_OK), 0);
    /* the final name a symbolic link: the rename replaces the link, the
     * target keeps its content */
    write_file(tmp, "victim", "precious\n");
    char victim[4300];
    snprintf(victim, sizeof victim, "%s/victim", tmp);
    assert_int_equal(symlink(victim, path), 0);
    assert_int_equal(rnnlm_atomic_open(&a, path, &err), RNNLM_OK);
    fputs("new", a.f);
    assert_int_equal(rnnlm_atomic_commit(&a, &err), RNNLM_OK);
    struct stat sb;
    assert_int_equal(lstat(path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_string_equal(content(tmp, "last.safetensors"), "new");
    assert_string_equal(content(tmp, "victim"), "precious\n");
    util_rm_rf(tmp);
    free(tmp);
}

static void test_another_runs_files(void **state) {
    (void)state;
    char *tmp = util_make_tmpdir("rundir");
    char sub[4300];
    const char *run_files[] = {"last.safetensors", "best.safetensors", "epoch-3.safetensors", "log.csv",
                               "report.svg", "train/events.out.tfevents.1.h.1.0.v2",
                               "validation/events.out.tfevents.1.h.1.1.v2"};
    const char *others[] = {"notes.txt", "epoch-x.safetensors", "epoch-.safetensors", "last.safetensors.bak",
                            "vocab.tsv", "train/README"};
    snprintf(sub, sizeof sub, "%s/train", tmp);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof sub, "%s/validation", tmp);
    assert_int_equal(mkdir(sub, 0700), 0);
    rnnlm_err err;
    rundir *r = (rundir *)&err;
    const char *dirs[] = {tmp};
    /* others' files alone: not a run */
    for (size_t i = 0; i < 6; i++) touch(tmp, others[i]);
    assert_int_equal(rundir_lock(&r, dirs, NULL, 1, RNNLM_DIRS_NEW, &err), RNNLM_OK);
    rundir_unlock(r);
    /* each run file alone makes it one: refused, naming the directory, the
     * file and the ways out, and nothing removed */
    for (size_t k = 0; k < 7; k++) {
        touch(tmp, run_files[k]);
        r = (rundir *)&err;
        assert_int_equal(rundir_lock(&r, dirs, NULL, 1, RNNLM_DIRS_NEW, &err), RNNLM_E_IO);
        assert_null(r);
        assert_non_null(strstr(err.msg, tmp));
        assert_non_null(strstr(err.msg, strchr(run_files[k], '/') ? strchr(run_files[k], '/') + 1 : run_files[k]));
        assert_non_null(strstr(err.msg, "--overwrite"));
        assert_non_null(strstr(err.msg, "--resume"));
        assert_true(exists(tmp, run_files[k]));
        assert_int_equal(unlink(strcat(strcat(strcpy(sub, tmp), "/"), run_files[k])), 0);
    }
    for (size_t k = 0; k < 7; k++) touch(tmp, run_files[k]);
    /* resume: all kept */
    assert_int_equal(rundir_lock(&r, dirs, NULL, 1, RNNLM_DIRS_RESUME, &err), RNNLM_OK);
    rundir_unlock(r);
    for (size_t k = 0; k < 7; k++) assert_true(exists(tmp, run_files[k]));
    /* overwrite: the run's files go, the others stay; then a new claim takes it */
    assert_int_equal(rundir_lock(&r, dirs, NULL, 1, RNNLM_DIRS_OVERWRITE, &err), RNNLM_OK);
    rundir_unlock(r);
    for (size_t k = 0; k < 7; k++) assert_false(exists(tmp, run_files[k]));
    for (size_t i = 0; i < 6; i++) assert_true(exists(tmp, others[i]));
    assert_int_equal(rundir_lock(&r, dirs, NULL, 1, RNNLM_DIRS_NEW, &err), RNNLM_OK);
    rundir_unlock(r);
    /* an event directory that is a link: refused in every mode, and nothing
     * removed through it */
    char victim_dir[4300], link[4300];
    snprintf(victim_dir, sizeof victim_dir, "%s/elsewhere", tmp);
    assert_int_equal(mkdir(victim_dir, 0700), 0);
    touch(victim_dir, "events.out.tfevents.1.h.1.0.v2");
    snprintf(link, sizeof link, "%s/test", tmp);
    assert_int_equal(symlink(victim_dir, link), 0);
    for (int mode = RNNLM_DIRS_NEW; mode <= RNNLM_DIRS_RESUME; mode++) {
        assert_int_equal(rundir_lock(&r, dirs, NULL, 1, mode, &err), RNNLM_E_IO);
        assert_non_null(strstr(err.msg, link));
        assert_non_null(strstr(err.msg, "symbolic link"));
        assert_true(exists(victim_dir, "events.out.tfevents.1.h.1.0.v2"));
    }
    /* by role: where only checkpoints go, logs (and the event directories)
     * are not the run's, and where only logs go, checkpoints are not */
    const unsigned ckpt[] = {RUNDIR_CHECKPOINTS}, logs[] = {RUNDIR_LOGS};
    touch(tmp, "log.csv");
    assert_int_equal(rundir_lock(&r, dirs, ckpt, 1, RNNLM_DIRS_NEW, &err), RNNLM_OK);
    rundir_unlock(r);
    assert_int_equal(unlink(link), 0);
    touch(tmp, "test");   /* a plain file of that name: for the event writer to refuse */
    assert_int_equal(rundir_lock(&r, dirs, logs, 1, RNNLM_DIRS_NEW, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, "log.csv"));
    assert_int_equal(rundir_lock(&r, dirs, logs, 1, RNNLM_DIRS_OVERWRITE, &err), RNNLM_OK);
    rundir_unlock(r);
    assert_false(exists(tmp, "log.csv"));
    touch(tmp, "best.safetensors");
    assert_int_equal(rundir_lock(&r, dirs, logs, 1, RNNLM_DIRS_NEW, &err), RNNLM_OK);
    rundir_unlock(r);
    assert_int_equal(rundir_lock(&r, dirs, ckpt, 1, RNNLM_DIRS_NEW, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, "best.safetensors"));
    util_rm_rf(tmp);
    free(tmp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_refuses_a_second_claim),
        cmocka_unit_test(test_stale_temporaries),
        cmocka_unit_test(test_unusable_directories),
        cmocka_unit_test(test_lock_link_refused),
        cmocka_unit_test(test_atomic_temporaries),
        cmocka_unit_test(test_another_runs_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
