/* test_comm.c: the communicator of src/train/comm.c as one process sees it (the
 * ranks' collectives are tests/test_mpi.sh's, under mpirun):
 *  - outside a launcher, rnnlm_comm_init gives rank 0 of 1, and every
 *    collective is the one-process identity (sums and maxima leave the
 *    buffers, a gather copies, an all-gather of one value, no time spent);
 *  - NULL is the one-process communicator;
 *  - a build without MPI started by a launcher refuses, saying why (a build
 *    with MPI only checks that it says it has MPI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "train/comm.h"

static void unset_launcher(void) {
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMIX_RANK");
    unsetenv("PMI_RANK");
}

static void test_one_process(void **state) {
    (void)state;
    unset_launcher();
    assert_int_equal(rnnlm_comm_launched(), 0);
    rnnlm_comm *c = NULL;
    rnnlm_err err;
    assert_int_equal(rnnlm_comm_init(&c, &err), RNNLM_OK);
    assert_non_null(c);
    assert_int_equal(rnnlm_comm_rank(c), 0);
    assert_int_equal(rnnlm_comm_size(c), 1);
    float f[3] = {1.5f, -2, 3};
    double d[2] = {0.25, 1e300};
    uint8_t m[4] = {0, 1, 0, 1};
    assert_int_equal(comm_sum_f32(c, f, 3, &err), RNNLM_OK);
    assert_int_equal(comm_sum_f64(c, d, 2, &err), RNNLM_OK);
    assert_int_equal(comm_max_u8(c, m, 4, &err), RNNLM_OK);
    assert_true(f[0] == 1.5f && f[1] == -2 && f[2] == 3);
    assert_true(d[0] == 0.25 && d[1] == 1e300);
    assert_memory_equal(m, ((uint8_t[]){0, 1, 0, 1}), 4);
    int v = 42;
    assert_int_equal(comm_bcast(c, &v, sizeof v, 0, &err), RNNLM_OK);
    assert_int_equal(v, 42);
    char got[6] = {0};
    assert_int_equal(comm_gather(c, "rank0", 6, got, &err), RNNLM_OK);
    assert_string_equal(got, "rank0");
    uint32_t all[1] = {0};
    assert_int_equal(comm_allgather_u32(c, 0xdeadbeefu, all, &err), RNNLM_OK);
    assert_int_equal(all[0], 0xdeadbeefu);
    assert_true(comm_seconds(c) == 0);
    rnnlm_comm_abort(c, 3);   /* one process: returns */
    rnnlm_comm_free(c);
    rnnlm_comm_free(NULL);
}

static void test_null(void **state) {
    (void)state;
    assert_int_equal(comm_rank(NULL), 0);
    assert_int_equal(comm_size(NULL), 1);
    float f = 7;
    assert_int_equal(comm_sum_f32(NULL, &f, 1, NULL), RNNLM_OK);
    assert_true(f == 7);
    assert_true(comm_seconds(NULL) == 0);
}

static void test_launched_without_mpi(void **state) {
    (void)state;
#ifdef RNNLM_MPI
    assert_int_equal(rnnlm_comm_has_mpi(), 1);
    return;   /* with MPI, a launcher's ranks are tests/test_mpi.sh's */
#endif
    assert_int_equal(rnnlm_comm_has_mpi(), 0);
    setenv("PMI_RANK", "0", 1);
    assert_int_equal(rnnlm_comm_launched(), 1);
    rnnlm_comm *c = (rnnlm_comm *)&c;
    rnnlm_err err;
    assert_int_equal(rnnlm_comm_init(&c, &err), RNNLM_E_ARG);
    assert_null(c);
    assert_non_null(strstr(err.msg, "built without MPI"));
    unset_launcher();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_process),
        cmocka_unit_test(test_null),
        cmocka_unit_test(test_launched_without_mpi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
