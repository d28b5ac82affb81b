/* test_rundir.c: claiming run directories (src/rundir.c): a second claim of a
 * locked directory is refused with the holder's pid, even through another
 * name of it; one claim may name the same directory twice; unlocking frees
 * it; stale checkpoint temporaries and probes go, other files stay; a file in
 * the way (as the directory or a parent) is refused. tests/test_rundir.sh
 * checks the same through `rnnlm train`, across processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rundir.h"



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
    assert_int_equal(rundir_lock(&r, both, 3, &err), RNNLM_OK);
    assert_true(exists(run, RUNDIR_LOCK_NAME));
    const char *again[] = {alias};
    assert_int_equal(rundir_lock(&r2, again, 1, &err), RNNLM_E_IO);
    assert_null(r2);
    assert_non_null(strstr(err.msg, pid));
    assert_non_null(strstr(err.msg, alias));
    rundir_unlock(r);
    assert_int_equal(rundir_lock(&r2, again, 1, &err), RNNLM_OK);
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
    assert_int_equal(rundir_lock(&r, dirs, 1, &err), RNNLM_OK);
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
    assert_int_equal(rundir_lock(&r, a, 1, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, file));
    assert_int_equal(rundir_lock(&r, b, 1, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, file));
    /* a directory that takes no new file; the first one is released again */
    assert_int_equal(rundir_lock(&r, c, 2, &err), RNNLM_E_IO);
    assert_null(r);
    assert_non_null(strstr(err.msg, "/proc/self"));
    assert_int_equal(rundir_lock(&r, c, 1, &err), RNNLM_OK);
    rundir_unlock(r);
    util_rm_rf(tmp);
    free(tmp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_refuses_a_second_claim),
        cmocka_unit_test(test_stale_temporaries),
        cmocka_unit_test(test_unusable_directories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
