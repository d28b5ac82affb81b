/* test_isa.c: the single-precision products run on oneDNN, which picks its
 * kernels by the CPU's instruction set at run time. Forcing a lower set
 * (DNNL_MAX_CPU_ISA, read once by oneDNN, so in a forked child before its
 * first oneDNN call) must give the same results as the native path within
 * a stated tolerance:
 *  - products at the model's shapes (every transpose, beta 0 and 1, sliced
 *    over two threads): max |forced - native| <= 1e-5 max |native| in fp32,
 *    and the same in bf16 (both round the same inputs; products are exact in
 *    fp32, only the order of the fp32 sums differs);
 *  - eight Adam steps of a 2-layer LSTM: each step's loss within 1e-5
 *    relative and every parameter within 1e-4 absolute in fp32; in bf16
 *    (weights rounded through the model's mirror) each loss within 1e-3
 *    relative, and within 1e-2 of fp32's;
 *  - the path line names the forced set;
 *  - bf16 products at every reduction K = 1 .. 130, each in a forked child
 *    (a crash fails the test), equal the double-precision sum of the same
 *    rounded inputs (oneDNN 2.6.3's AMX kernels crashed at K = 63).
 * Sets: AVX2 (no AVX-512) and SSE41, the lowest oneDNN 2.6 knows (where it
 * has no bf16 matmul, as below AVX-512, the bf16 products run on OpenBLAS
 * over the rounded inputs). On a CPU whose native set is at or below the
 * forced one both runs take the same path, which the test allows. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model.h"
#include "nn/compute.h"
#include "core/rng.h"
#include "train/step.h"
#include "util.h"
#include "util_train.h"

#define STEPS 8
#define N_GEMM 5
#define PATH_LEN 256

typedef struct {
    int M, N, K;
    nn_op ta, tb;
    float beta;
} gemm_case;

/* the model's shapes: input projection, weight gradient, input gradient,
 * a softmax slice and its output-weight gradient (sizes cut to keep the
 * test short under the sanitizers) */
static const gemm_case CASES[N_GEMM] = {
    {500, 800, 200, NN_NOTRANS, NN_NOTRANS, 0.0f},
    {200, 800, 500, NN_TRANS, NN_NOTRANS, 1.0f},
    {500, 200, 800, NN_NOTRANS, NN_TRANS, 0.0f},
    {64, 2000, 200, NN_NOTRANS, NN_NOTRANS, 0.0f},
    {200, 2000, 64, NN_TRANS, NN_NOTRANS, 1.0f},
};

typedef struct {
    char path[PATH_LEN];
    double loss[STEPS], loss16[STEPS];
    float *params;
    size_t n_params;
    float *gemm[2][N_GEMM];   /* [bf16][case] */
} results;

static size_t gemm_size(const gemm_case *g) { return (size_t)g->M * (size_t)g->N; }

static float *random_matrix(size_t n, uint64_t seed) {
    float *a = malloc(n * sizeof *a);
    rnnlm_rng r;
    rnnlm_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) a[i] = (float)(rnnlm_rng_double(&r) * 2.0 - 1.0);
    return a;
}

/* Eight steps of a small LSTM; the losses into loss, the parameters into
 * out (when not NULL). */
static int train_steps(int bf16, double *loss, results *out) {
    step_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.model = (model_config){.cell = CELL_LSTM, .V = 300, .E = 64, .H = 64, .L = 2, .dropout = 0.1f, .threads = 2,
                                .bf16 = bf16};
    cfg.opt = opt_config_default(OPT_ADAM);
    cfg.B = 16;
    cfg.T = 10;
    cfg.seed = 5;
    cfg.max_bad_steps = 10;
    rnnlm_err err;
    float *params;
    size_t n_params;
    if (util_train_steps(&cfg, STEPS, loss, &params, &n_params, &err)) return -1;
    if (out) {   /* the path the products took: a model of the same configuration names it */
        model *m;
        if (model_create(&m, &cfg.model, &err)) return -1;
        model_compute_path(m, out->path, sizeof out->path);
        model_free(m);
        out->n_params = n_params;
        out->params = params;
    } else {
        free(params);
    }
    return 0;
}

/* Everything the comparison needs, computed on this process's path. */
static int compute_all(results *out) {
    nn_compute c;
    compute_init(&c, 2);
    for (int b = 0; b < 2; b++) {
        c.bf16 = b;
        for (int k = 0; k < N_GEMM; k++) {
            const gemm_case *g = &CASES[k];
            float *A = random_matrix((size_t)g->M * g->K, 11 + k), *B = random_matrix((size_t)g->K * g->N, 23 + k);
            float *C = random_matrix(gemm_size(g), 37 + k);
            int lda = g->ta ? g->M : g->K, ldb = g->tb ? g->K : g->N;
            compute_gemm_f32(&c, g->ta, g->tb, g->M, g->N, g->K, 1.0f, A, lda, B, ldb, g->beta, C, g->N);
            out->gemm[b][k] = C;
            free(A);
            free(B);
        }
    }
    return train_steps(0, out->loss, out) || train_steps(1, out->loss16, NULL) ? -1 : 0;
}

static void results_free(results *r) {
    free(r->params);
    for (int b = 0; b < 2; b++)
        for (int k = 0; k < N_GEMM; k++) free(r->gemm[b][k]);
}

static int write_all(int fd, const void *p, size_t n) {
    for (const char *c = p; n;) {
        ssize_t w = write(fd, c, n);
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n) {
    for (char *c = p; n;) {
        ssize_t w = read(fd, c, n);
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Forked children, started before this process makes its first oneDNN call
 * (oneDNN reads DNNL_MAX_CPU_ISA once). */
#define N_FORCED 2
static const char *const FORCED[N_FORCED] = {"AVX2", "SSE41"};
static const char *const FORCED_NAME[N_FORCED] = {"avx2", "sse41"};
static int fds[N_FORCED];
static pid_t pids[N_FORCED];

static void start_children(void) {
    for (int i = 0; i < N_FORCED; i++) {
        int p[2];
        if (pipe(p)) { fds[i] = -1; continue; }
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            setenv("DNNL_MAX_CPU_ISA", FORCED[i], 1);
            results r;
            memset(&r, 0, sizeof r);
            int ok = compute_all(&r) == 0 && write_all(p[1], r.path, sizeof r.path) == 0 &&
                     write_all(p[1], r.loss, sizeof r.loss) == 0 && write_all(p[1], r.loss16, sizeof r.loss16) == 0 &&
                     write_all(p[1], &r.n_params, sizeof r.n_params) == 0 &&
                     write_all(p[1], r.params, r.n_params * sizeof(float)) == 0;
            for (int b = 0; ok && b < 2; b++)
                for (int k = 0; ok && k < N_GEMM; k++)
                    ok = write_all(p[1], r.gemm[b][k], gemm_size(&CASES[k]) * sizeof(float)) == 0;
            results_free(&r);
            _exit(ok ? 0 : 1);
        }
        close(p[1]);
        fds[i] = pid > 0 ? p[0] : -1;
        pids[i] = pid;
        if (pid < 0) close(p[0]);
    }
}

static double max_abs(const float *a, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i]));
    return m;
}

static void test_forced_isa_matches_native(void **state) {
    (void)state;
    results native;
    memset(&native, 0, sizeof native);
    assert_int_equal(compute_all(&native), 0);
    printf("native: %s\n", native.path);
    double d16 = 0;
    for (int k = 0; k < STEPS; k++) d16 = fmax(d16, fabs(native.loss16[k] - native.loss[k]) / native.loss[k]);
    printf("native bf16 against fp32 training: loss rel diff %.2e\n", d16);
    assert_true(d16 <= 1e-2);
    for (int i = 0; i < N_FORCED; i++) {
        assert_true(fds[i] >= 0);
        results f;
        memset(&f, 0, sizeof f);
        assert_int_equal(read_all(fds[i], f.path, sizeof f.path), 0);
        assert_int_equal(read_all(fds[i], f.loss, sizeof f.loss), 0);
        assert_int_equal(read_all(fds[i], f.loss16, sizeof f.loss16), 0);
        assert_int_equal(read_all(fds[i], &f.n_params, sizeof f.n_params), 0);
        assert_int_equal(f.n_params, native.n_params);
        f.params = malloc(f.n_params * sizeof(float));
        assert_int_equal(read_all(fds[i], f.params, f.n_params * sizeof(float)), 0);
        for (int b = 0; b < 2; b++)
            for (int k = 0; k < N_GEMM; k++) {
                f.gemm[b][k] = malloc(gemm_size(&CASES[k]) * sizeof(float));
                assert_int_equal(read_all(fds[i], f.gemm[b][k], gemm_size(&CASES[k]) * sizeof(float)), 0);
            }
        close(fds[i]);
        int ws = 0;
        assert_int_equal(waitpid(pids[i], &ws, 0), pids[i]);
        assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
        printf("%s: %s\n", FORCED[i], f.path);
        char want[32];
        snprintf(want, sizeof want, "ISA %s,", FORCED_NAME[i]);
        /* the forced set, or a lower native one */
        assert_true(strstr(f.path, want) || strcmp(f.path, native.path) == 0);
        for (int b = 0; b < 2; b++)
            for (int k = 0; k < N_GEMM; k++) {
                size_t n = gemm_size(&CASES[k]);
                double worst = 0, scale = max_abs(native.gemm[b][k], n);
                for (size_t j = 0; j < n; j++)
                    worst = fmax(worst, fabs((double)f.gemm[b][k][j] - (double)native.gemm[b][k][j]));
                printf("  %s product %d: max diff %.2e of max %.2e\n", b ? "bf16" : "fp32", k, worst, scale);
                assert_true(worst <= 1e-5 * scale);
            }
        double wl = 0, wp = 0;
        for (int k = 0; k < STEPS; k++) wl = fmax(wl, fabs(f.loss[k] - native.loss[k]) / fabs(native.loss[k]));
        for (size_t j = 0; j < f.n_params; j++) wp = fmax(wp, fabs((double)f.params[j] - (double)native.params[j]));
        printf("  training: loss rel diff %.2e, parameter max diff %.2e\n", wl, wp);
        assert_true(wl <= 1e-5);
        assert_true(wp <= 1e-4);
        double w16 = 0;
        for (int k = 0; k < STEPS; k++) w16 = fmax(w16, fabs(f.loss16[k] - native.loss16[k]) / native.loss16[k]);
        printf("  bf16 training: loss rel diff %.2e\n", w16);
        assert_true(w16 <= 1e-3);
        results_free(&f);
    }
    results_free(&native);
}

/* A weight read from the model's bf16 mirror gives the same product as
 * the same weight rounded by the product itself. */
static void test_mirror_same_as_rounding(void **state) {
    (void)state;
    const int M = 300, N = 800, K = 200;
    float *A = random_matrix((size_t)M * K, 1), *B = random_matrix((size_t)K * N, 2);
    float *C1 = calloc((size_t)M * N, sizeof(float)), *C2 = calloc((size_t)M * N, sizeof(float));
    uint16_t *B16 = malloc((size_t)K * N * sizeof *B16);
    compute_bf16_mirror(B16, B, (size_t)K * N);
    nn_compute c;
    compute_init(&c, 2);
    c.bf16 = 1;
    compute_gemm_f32(&c, NN_NOTRANS, NN_NOTRANS, M, N, K, 1.0f, A, K, B, N, 0.0f, C1, N);
    c.mirror[0].f = B;
    c.mirror[0].h = B16;
    c.mirror[0].n = (size_t)K * N;
    compute_gemm_f32(&c, NN_NOTRANS, NN_NOTRANS, M, N, K, 1.0f, A, K, B, N, 0.0f, C2, N);
    assert_memory_equal(C1, C2, (size_t)M * N * sizeof(float));
    free(A); free(B); free(C1); free(C2); free(B16);
}

/* A weight kept packed (a mirror with a generation): the same products as
 * the plain mirror, in both transposes, and packed again when the weights
 * change and the generation moves (a stale copy would repeat C). */
static void test_packed_weights(void **state) {
    (void)state;
    const int M = 300, N = 800, K = 200;
    float *A = random_matrix((size_t)M * K, 3), *B = random_matrix((size_t)K * N, 4);
    float *At = random_matrix((size_t)M * N, 5);
    float *C1 = calloc((size_t)M * N, sizeof(float)), *C2 = calloc((size_t)M * N, sizeof(float));
    float *D1 = calloc((size_t)M * K, sizeof(float)), *D2 = calloc((size_t)M * K, sizeof(float));
    uint16_t *B16 = malloc((size_t)K * N * sizeof *B16);
    for (int round = 0; round < 2; round++) {
        if (round) for (size_t i = 0; i < (size_t)K * N; i++) B[i] *= -0.5f;   /* new weights */
        compute_bf16_mirror(B16, B, (size_t)K * N);
        unsigned long gen = compute_generation();
        nn_compute c;
        compute_init(&c, 2);
        c.bf16 = 1;
        c.mirror[0].f = B;
        c.mirror[0].h = B16;
        c.mirror[0].n = (size_t)K * N;
        /* C (M, N) = A (M, K) B (K, N);  D (M, K) = At (M, N) B^T (N, K) */
        compute_gemm_f32(&c, NN_NOTRANS, NN_NOTRANS, M, N, K, 1.0f, A, K, B, N, 0.0f, C1, N);
        compute_gemm_f32(&c, NN_NOTRANS, NN_TRANS, M, K, N, 1.0f, At, N, B, N, 0.0f, D1, K);
        c.mirror[0].gen = &gen;
        for (int rep = 0; rep < 2; rep++) {   /* the second reads the packed copy */
            compute_gemm_f32(&c, NN_NOTRANS, NN_NOTRANS, M, N, K, 1.0f, A, K, B, N, 0.0f, C2, N);
            compute_gemm_f32(&c, NN_NOTRANS, NN_TRANS, M, K, N, 1.0f, At, N, B, N, 0.0f, D2, K);
            assert_memory_equal(C1, C2, (size_t)M * N * sizeof(float));
            assert_memory_equal(D1, D2, (size_t)M * K * sizeof(float));
        }
    }
    free(A); free(B); free(At); free(C1); free(C2); free(D1); free(D2); free(B16);
}

/* bf16 products at every reduction K = 1 .. 130 (and at shapes where
 * oneDNN 2.6.3's AMX kernels once executed an invalid instruction for
 * K = 63), each in a forked child so that a crash is a failure of this test,
 * against a double-precision sum of the same rounded inputs. */
static int small_k_product(int ta, int tb, int M, int N, int K) {
    float *A = random_matrix((size_t)M * K, 31 + K), *B = random_matrix((size_t)K * N, 37 + K);
    float *C = calloc((size_t)M * N, sizeof *C);
    uint16_t *a16 = malloc((size_t)M * K * sizeof *a16), *b16 = malloc((size_t)K * N * sizeof *b16);
    if (!A || !B || !C || !a16 || !b16) return 2;
    nn_compute c;
    compute_init(&c, 1);
    c.bf16 = 1;
    int lda = ta ? M : K, ldb = tb ? K : N;
    compute_gemm_f32(&c, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, N);
    compute_bf16_mirror(a16, A, (size_t)M * K);
    compute_bf16_mirror(b16, B, (size_t)K * N);
    double worst = 0, mag = 1e-30;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double sum = 0;
            for (int k = 0; k < K; k++) {
                uint32_t ua = (uint32_t)a16[ta ? (size_t)k * lda + i : (size_t)i * lda + k] << 16;
                uint32_t ub = (uint32_t)b16[tb ? (size_t)j * ldb + k : (size_t)k * ldb + j] << 16;
                float fa, fb;
                memcpy(&fa, &ua, 4);
                memcpy(&fb, &ub, 4);
                sum += (double)fa * (double)fb;
            }
            worst = fmax(worst, fabs(sum - C[(size_t)i * N + j]));
            mag = fmax(mag, fabs(sum));
        }
    free(A); free(B); free(C); free(a16); free(b16);
    return worst <= 1e-5 * mag + 1e-6 ? 0 : 1;
}

static void test_bf16_every_small_k(void **state) {
    (void)state;
    static const int shapes[][4] = {{0, 0, 7, 400}, {0, 0, 1, 400}, {1, 0, 2000, 1}, {0, 1, 64, 17}, {1, 0, 400, 2}};
    int bad = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int K = 1; K <= 130; K++) {
            if (s && K != 63 && K != 64 && K != 31) continue;   /* the sweep on the first shape, the edges on all */
            fflush(NULL);
            pid_t pid = fork();
            if (pid == 0) _exit(small_k_product(shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3], K));
            int ws = 0;
            assert_int_equal(waitpid(pid, &ws, 0), pid);
            if (!WIFEXITED(ws) || WEXITSTATUS(ws)) {
                printf("bf16 product ta=%d tb=%d M=%d N=%d K=%d: %s %d\n", shapes[s][0], shapes[s][1], shapes[s][2],
                       shapes[s][3], K, WIFEXITED(ws) ? "exit" : "signal", WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
                bad++;
            }
        }
    assert_int_equal(bad, 0);
}

int main(void) {
    start_children();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forced_isa_matches_native),
        cmocka_unit_test(test_mirror_same_as_rounding),
        cmocka_unit_test(test_packed_weights),
        cmocka_unit_test(test_bf16_every_small_k),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
