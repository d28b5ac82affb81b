/* test_toy_reference.c: the PyTorch reference fixtures (tests/test_reference.c,
 * unchanged: losses, gradients, states and four optimisers' steps) with the
 * toy backend of tests/backend_toy.h registered: plain C loops, no oneDNN,
 * no OpenBLAS, no worker pool. */
#include "backend_toy.h"

#define main reference_main
#include "test_reference.c"
#undef main

int main(void) {
    rnnlm_err err;
    if (backend_register(&backend_toy, &err)) {   /* the one registration line */
        printf("backend_register: %s\n", err.msg);
        return 1;
    }
    int rc = reference_main();
    if (toy_calls == 0) {
        printf("the toy backend ran no product: the fixtures did not run on it\n");
        rc = 1;
    }
    printf("toy backend: %lu products\n", toy_calls);
    return rc;
}
