/* test_cell_rows.c: a recurrent layer runs its T steps over slices of the
 * batch's rows, one slice per thread (nn/cell.c, cell_rows), since row b of
 * h_t depends only on row b of h_{t-1}. Slicing must change nothing but the
 * time: for each cell kind (RNN, LSTM, GRU; two layers with dropout between
 * them; B = 24 on three threads: three slices of 8 rows; B = 22 on two:
 * slices of 11), eight fp32 Adam steps give the losses and parameters of
 * the same steps on one thread (one slice), within 1e-5 relative for each
 * loss and 1e-5 for each parameter (the softmax head's rows are also shared
 * out by thread count and its gradients summed in another order: that
 * differs in the last bits, no more). A slice reading or writing another's
 * rows (a wrong offset) is far off. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"
#include "util_train.h"

#define STEPS 8

static void train(cell_kind cell, int B, int threads, double *loss, float **params, size_t *n) {
    step_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.model = (model_config){.cell = cell, .V = 60, .E = 16, .H = 24, .L = 2, .dropout = 0.2f,
                                .threads = threads};
    cfg.opt = opt_config_default(OPT_ADAM);
    cfg.B = B;
    cfg.T = 7;
    cfg.seed = 11;
    cfg.max_bad_steps = 10;
    rnnlm_err err;
    if (util_train_steps(&cfg, STEPS, loss, params, n, &err)) fail_msg("training: %s", err.msg);
}

static void compare(cell_kind cell, int B, int threads) {
    double l1[STEPS], l2[STEPS];
    float *p1, *p2;
    size_t n1, n2;
    train(cell, B, 1, l1, &p1, &n1);
    train(cell, B, threads, l2, &p2, &n2);
    assert_int_equal(n1, n2);
    double dl = 0, dp = 0;
    for (int k = 0; k < STEPS; k++) dl = fmax(dl, fabs(l1[k] - l2[k]) / l1[k]);
    for (size_t i = 0; i < n1; i++) dp = fmax(dp, fabs((double)p1[i] - (double)p2[i]));
    printf("%s, B = %d, %d threads against 1: losses %.2e relative, parameters %.2e\n",
           cell == CELL_LSTM ? "LSTM" : cell == CELL_GRU ? "GRU" : "RNN", B, threads, dl, dp);
    assert_true(dl <= 1e-5);
    assert_true(dp <= 1e-5);
    free(p1);
    free(p2);
}

static void test_rows_match_one_thread(void **state) {
    (void)state;
    const cell_kind cells[3] = {CELL_RNN, CELL_LSTM, CELL_GRU};
    for (int c = 0; c < 3; c++) {
        compare(cells[c], 24, 3);
        compare(cells[c], 22, 2);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_match_one_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
