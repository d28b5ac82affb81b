/* test_toy_gradcheck.c: the gradient check (tests/test_gradcheck.c, unchanged)
 * with the toy backend of tests/backend_toy.h registered: every cell kind
 * and regulariser differentiated in double on plain C loops, no
 * oneDNN, no OpenBLAS, no worker pool. Also: the toy ran (its products
 * were counted), and what it lacks (bf16 products; a table without a cell's
 * kernels) is refused with a status, not a crash. */
#include "backend_toy.h"

#define main gradcheck_main
#include "test_gradcheck.c"
#undef main

/* A table without the LSTM kernels: refused for an LSTM, not for a GRU. */
static int check_refusals(void) {
    rnnlm_err err;
    backend_kernels_f32 k32 = *backend_toy.f32;
    backend_kernels_f64 k64 = *backend_toy.f64;
    k32.lstm_forward = NULL;
    k64.lstm_backward = NULL;
    backend partial = backend_toy;
    partial.f32 = &k32;
    partial.f64 = &k64;
    backend_needs lstm = {.cell = RNNLM_CELL_LSTM}, gru = {.cell = RNNLM_CELL_GRU};
    int bad = 0;
    if (backend_check(&partial, &lstm, &err) != RNNLM_E_ARG || !strstr(err.msg, "lstm_forward")) {
        printf("a backend without lstm_forward passed the check for an LSTM\n");
        bad++;
    }
    if (backend_check(&partial, &gru, &err) != RNNLM_OK) {
        printf("a backend with the GRU kernels was refused for a GRU: %s\n", err.msg);
        bad++;
    }
    /* the registered toy has no bf16 products: a bf16 model is refused */
    model_config cfg = {.cell = CELL_LSTM, .V = 7, .E = 3, .H = 3, .L = 1, .bf16 = 1};
    model *m = NULL;
    if (model_create(&m, &cfg, &err) != RNNLM_E_ARG || m) {
        printf("a bf16 model was created on a backend without bf16 products\n");
        model_free(m);
        bad++;
    }
    return bad;
}

int main(void) {
    rnnlm_err err;
    if (backend_register(&backend_toy, &err)) {   /* the one registration line */
        printf("backend_register: %s\n", err.msg);
        return 1;
    }
    if (strcmp(backend_default()->name, "toy") != 0) return 1;
    int rc = gradcheck_main();
    if (toy_calls == 0) {
        printf("the toy backend ran no product: the check did not run on it\n");
        rc = 1;
    }
    if (check_refusals()) rc = 1;
    printf("toy backend: %lu products\n", toy_calls);
    return rc;
}
