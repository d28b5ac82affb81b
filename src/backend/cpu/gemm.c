/* backend/cpu/gemm.c: the CPU backend's matrix products (cpu.h).
 *
 * Single precision runs on oneDNN's matmul primitive (Debian's libdnnl,
 * 2.6), which dispatches on the CPU's instruction set at run time (AVX-512
 * with bf16, AVX-512, AVX2, ... down to SSE4.1); double precision (the
 * gradient check's reference) and any shape oneDNN refuses run on OpenBLAS.
 *
 * Both libraries have a process-wide thread setting (OpenBLAS 0.3.21's
 * count; Debian's oneDNN is built over OpenMP, whose count is per calling
 * thread): OpenBLAS is set to one thread, once (cpu.c), and every oneDNN
 * call runs with the calling thread's OpenMP count at one, restored
 * afterwards, so neither library starts threads. A large product is cut
 * into slices of rows (or columns) of C, one single-threaded product per
 * slice on a thread of the worker pool (pool.c); the softmax heads split
 * their rows the same way. Slicing C leaves every element's sum over K as
 * it is.
 *
 * oneDNN primitives are created once per (shape, transposes, leading
 * dimensions, alpha, beta, precision) and kept in a small cache of the
 * thread that runs them (pool workers live for the whole process), so a
 * primitive is never run by two threads at once.
 *
 * bf16 (c->bf16): A and B are rounded to bfloat16 (round to nearest even)
 * as they enter the product, into buffers of the calling thread; products
 * are exact in fp32 and the sums are accumulated in fp32; C stays fp32. */
#include "backend/cpu/cpu.h"

#include <cblas.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__AVX512BF16__) && defined(__AVX512F__)
#include <immintrin.h>
#endif

#ifndef NN_F64
#include <dnnl.h>
#include <omp.h>
#endif

#include "backend/real.h"

/* Products below this many multiply-adds run on one thread: waking a
 * worker and sharing the operands costs about what 2^22 multiply-adds take. */
#define COMPUTE_SPLIT_MIN (1L << 22)

static void blas_gemm(nn_op ta, nn_op tb, int M, int N, int K, real alpha, const real *A, int lda,
                      const real *B, int ldb, real beta, real *C, int ldc) {
    NN_SFX(cblas_sgemm, cblas_dgemm)(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                                     tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
                                     ldb, beta, C, ldc);
}

#ifdef NN_F64
#define slice_gemm(c, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) \
    blas_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
#else
/* ---- oneDNN ---- */

#define MM_CACHE 64

typedef struct {
    int M, N, K, ta, tb, lda, ldb, ldc, bf16;
    float alpha, beta;
    int packed;                  /* B is a generation-tracked weight: kept in the kernel's layout */
    int blas;                    /* oneDNN refused the shape: OpenBLAS runs it */
    dnnl_primitive_t prim;
    dnnl_memory_t a, b, c, s;    /* handles set per call; s the scratchpad (or NULL) */
    void *scratch;
    /* packed: b is the packed copy (wbuf), refreshed by the reorder rd from
     * wsrc (handle set per pack) when B's address or generation moves */
    dnnl_primitive_t rd;
    dnnl_memory_t wsrc;
    void *wbuf;
    const void *wfrom;
    unsigned long wgen;
} mm_entry;

typedef struct {
    dnnl_stream_t stream;
    int n, next;                 /* entries used; the next one to replace */
    mm_entry e[MM_CACHE];
    uint16_t *abuf, *bbuf;       /* bf16 copies of the operands */
    size_t acap, bcap;
} mm_cache;

static dnnl_engine_t dn_engine;
static int dn_ready;
static pthread_once_t dn_once = PTHREAD_ONCE_INIT;
static pthread_key_t dn_key;
static __thread mm_cache *dn_tc;

static void mm_entry_free(mm_entry *e) {
    if (e->prim) dnnl_primitive_destroy(e->prim);
    if (e->a) dnnl_memory_destroy(e->a);
    if (e->b) dnnl_memory_destroy(e->b);
    if (e->c) dnnl_memory_destroy(e->c);
    if (e->s) dnnl_memory_destroy(e->s);
    if (e->rd) dnnl_primitive_destroy(e->rd);
    if (e->wsrc) dnnl_memory_destroy(e->wsrc);
    free(e->scratch);
    free(e->wbuf);
    memset(e, 0, sizeof *e);
}

static void mm_cache_free(void *p) {
    mm_cache *tc = p;
    for (int i = 0; i < tc->n; i++) mm_entry_free(&tc->e[i]);
    if (tc->stream) dnnl_stream_destroy(tc->stream);
    free(tc->abuf);
    free(tc->bbuf);
    free(tc);
}

static void dn_init(void) {
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    dn_ready = pthread_key_create(&dn_key, mm_cache_free) == 0 &&
               dnnl_engine_create(&dn_engine, dnnl_cpu, 0) == dnnl_success;
    omp_set_num_threads(saved);
}

/* The calling thread's cache; NULL where oneDNN or memory is missing. */
static mm_cache *dn_cache(void) {
    pthread_once(&dn_once, dn_init);
    if (!dn_ready) return NULL;
    if (dn_tc) return dn_tc;
    mm_cache *tc = calloc(1, sizeof *tc);
    if (!tc) return NULL;
    if (dnnl_stream_create(&tc->stream, dn_engine, dnnl_stream_default_flags) != dnnl_success) {
        free(tc);
        return NULL;
    }
    pthread_setspecific(dn_key, tc);
    return dn_tc = tc;
}

/* oneDNN 2.6.3's AMX bf16 matmul executes an invalid AMX instruction
 * (SIGILL: tdpbf16ps under a tile configuration that does not fit) for a
 * reduction of exactly 63, at shapes such as (1, 400) and (2000, 1) of C
 * (every transpose; K = 1 .. 520 swept at the model's shapes on a Xeon with
 * AMX, tests/test_isa.c): such products run on OpenBLAS over the rounded
 * inputs instead, the path of a shape oneDNN refuses. */
#define AMX_BAD_K 63

/* Builds the primitive of e's key; e->blas = 1 where oneDNN has none. */
/* impl: where the implementation's name is copied (NULL: not wanted). */
static void mm_entry_build(mm_entry *e, char *impl, size_t cap) {
    if (e->bf16 && e->K == AMX_BAD_K && dnnl_get_effective_cpu_isa() >= dnnl_cpu_isa_avx512_core_amx) {
        e->blas = 1;
        if (impl) snprintf(impl, cap, "none (K = %d on AMX)", AMX_BAD_K);
        return;
    }
    dnnl_data_type_t in = e->bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_memory_desc_t amd, bmd, cmd;
    dnnl_dims_t ad = {e->M, e->K}, bd = {e->K, e->N}, cd = {e->M, e->N};
    dnnl_dims_t as = {e->ta ? 1 : e->lda, e->ta ? e->lda : 1};
    dnnl_dims_t bs = {e->tb ? 1 : e->ldb, e->tb ? e->ldb : 1};
    dnnl_dims_t cs = {e->ldc, 1};
    dnnl_matmul_desc_t md;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_memory_desc_t wmd;   /* packed: B in whatever layout the kernel prefers */
    int ok = dnnl_memory_desc_init_by_strides(&amd, 2, ad, in, as) == dnnl_success &&
             dnnl_memory_desc_init_by_strides(&bmd, 2, bd, in, bs) == dnnl_success &&
             dnnl_memory_desc_init_by_strides(&cmd, 2, cd, dnnl_f32, cs) == dnnl_success &&
             (!e->packed || dnnl_memory_desc_init_by_tag(&wmd, 2, bd, in, dnnl_format_tag_any) == dnnl_success) &&
             dnnl_matmul_desc_init(&md, &amd, e->packed ? &wmd : &bmd, NULL, &cmd) == dnnl_success &&
             dnnl_primitive_attr_create(&attr) == dnnl_success &&
             dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) == dnnl_success;
    if (ok && e->alpha != 1.0f) ok = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &e->alpha) == dnnl_success;
    if (ok && e->beta != 0.0f)
        ok = dnnl_post_ops_create(&po) == dnnl_success && dnnl_post_ops_append_sum(po, e->beta) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
    ok = ok && dnnl_primitive_desc_create(&pd, &md, attr, dn_engine, NULL) == dnnl_success;
    const char *name = NULL;
    if (ok) dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
    if (impl) snprintf(impl, cap, "%s", name ? name : "?");
    /* oneDNN's reference kernels are naive loops: OpenBLAS is faster */
    if (ok && name && strncmp(name, "ref", 3) == 0) ok = 0;
    ok = ok && dnnl_primitive_create(&e->prim, pd) == dnnl_success &&
         dnnl_memory_create(&e->a, &amd, dn_engine, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&e->c, &cmd, dn_engine, DNNL_MEMORY_NONE) == dnnl_success;
    if (ok && e->packed) {   /* the packed copy of B and the reorder that fills it */
        const dnnl_memory_desc_t *pmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        size_t sz = pmd ? dnnl_memory_desc_get_size(pmd) : 0;
        ok = sz > 0 && (e->wbuf = aligned_alloc(64, (sz + 63) / 64 * 64)) != NULL &&
             dnnl_memory_create(&e->b, pmd, dn_engine, e->wbuf) == dnnl_success &&
             dnnl_memory_create(&e->wsrc, &bmd, dn_engine, DNNL_MEMORY_NONE) == dnnl_success &&
             dnnl_reorder_primitive_desc_create(&rpd, &bmd, dn_engine, pmd, dn_engine, NULL) == dnnl_success &&
             dnnl_primitive_create(&e->rd, rpd) == dnnl_success;
    } else if (ok) {
        ok = dnnl_memory_create(&e->b, &bmd, dn_engine, DNNL_MEMORY_NONE) == dnnl_success;
    }
    if (ok) {
        const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        size_t sz = smd ? dnnl_memory_desc_get_size(smd) : 0;
        if (sz > 0)
            ok = (e->scratch = aligned_alloc(64, (sz + 63) / 64 * 64)) != NULL &&
                 dnnl_memory_create(&e->s, smd, dn_engine, e->scratch) == dnnl_success;
    }
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!ok) {
        mm_entry key = *e;
        mm_entry_free(e);
        *e = (mm_entry){.M = key.M, .N = key.N, .K = key.K, .ta = key.ta, .tb = key.tb, .lda = key.lda,
                        .ldb = key.ldb, .ldc = key.ldc, .bf16 = key.bf16, .alpha = key.alpha,
                        .beta = key.beta, .packed = key.packed, .blas = 1};
    }
}

static mm_entry *mm_lookup(mm_cache *tc, int bf16, int packed, nn_op ta, nn_op tb, int M, int N, int K,
                           float alpha, int lda, int ldb, float beta, int ldc) {
    for (int i = 0; i < tc->n; i++) {
        mm_entry *e = &tc->e[i];
        if (e->M == M && e->N == N && e->K == K && e->ta == (int)ta && e->tb == (int)tb && e->lda == lda &&
            e->ldb == ldb && e->ldc == ldc && e->bf16 == bf16 && e->alpha == alpha && e->beta == beta &&
            e->packed == packed)
            return e;
    }
    mm_entry *e;
    if (tc->n < MM_CACHE) {
        e = &tc->e[tc->n++];
    } else {
        e = &tc->e[tc->next];
        tc->next = (tc->next + 1) % MM_CACHE;
        mm_entry_free(e);
    }
    *e = (mm_entry){.M = M, .N = N, .K = K, .ta = ta, .tb = tb, .lda = lda, .ldb = ldb, .ldc = ldc,
                    .bf16 = bf16, .alpha = alpha, .beta = beta, .packed = packed};
    mm_entry_build(e, NULL, 0);
    return e;
}

/* fp32 -> bf16 as the AVX512_BF16 instruction VCVTNEPS2BF16 defines it, so
 * that every machine rounds alike: round to nearest even; a subnormal input
 * gives a zero of its sign (the instruction treats subnormal inputs as
 * zero); NaN stays NaN, quieted, sign kept; a finite value past the largest
 * bf16 rounds to infinity. */
static inline uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16, q = (u >> 16) | 0x40u;
    r = (u & 0x7f800000u) == 0 ? (u >> 16) & 0x8000u : r;
    return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? q : r);   /* branch-free: vectorised */
}

#if defined(__AVX512BF16__) && defined(__AVX512F__)
/* n values: the instruction itself, 32 at a time, the tail in software */
static void to_bf16_n(uint16_t *restrict y, const float *restrict x, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
        _mm512_storeu_si512((void *)(y + i), (__m512i)v);
    }
    for (; i < n; i++) y[i] = to_bf16(x[i]);
}
#else
/* n values; blocks of 16 (a constant trip count) so that gcc vectorises at -O2 */
static void to_bf16_n(uint16_t *restrict y, const float *restrict x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) y[i + k] = to_bf16(x[i + k]);
    for (; i < n; i++) y[i] = to_bf16(x[i]);
}
#endif

/* Copies the rows x cols matrix X (leading dimension ld) to bf16 with the
 * same leading dimension's layout compacted: out has leading dimension cols. */
static uint16_t *bf16_copy(uint16_t **buf, size_t *cap, const float *X, int rows, int cols, int ld) {
    size_t need = (size_t)rows * (size_t)cols;
    if (need > *cap) {
        uint16_t *nb = realloc(*buf, need * sizeof *nb);
        if (!nb) return NULL;
        *buf = nb;
        *cap = need;
    }
    uint16_t *o = *buf;
    for (int r = 0; r < rows; r++) {
        const float *x = X + (size_t)r * ld;
        uint16_t *y = o + (size_t)r * cols;
        to_bf16_n(y, x, (size_t)cols);
    }
    return o;
}

/* The bf16 operand X (rows x cols, leading dimension *ld): the model's
 * mirror when X lies in the mirrored buffer (same layout), else a copy into
 * *buf (leading dimension cols). NULL when out of memory. */
/* *gen: the mirror's generation when X lies in one that has it, else NULL. */
static const uint16_t *bf16_operand(const backend_ctx *c, uint16_t **buf, size_t *cap, const float *X, int rows,
                                    int cols, int *ld, const unsigned long **gen) {
    *gen = NULL;
    for (int k = 0; k < BACKEND_MIRRORS; k++) {
        const float *f = c->mirror[k].f;
        if (!c->mirror[k].h || X < f || X >= f + c->mirror[k].n) continue;
        size_t off = (size_t)(X - f);
        if (off + (size_t)(rows - 1) * (size_t)*ld + (size_t)cols <= c->mirror[k].n) {
            *gen = c->mirror[k].gen;
            return c->mirror[k].h + off;
        }
    }
    const uint16_t *o = bf16_copy(buf, cap, X, rows, cols, *ld);
    if (o) *ld = cols;
    return o;
}

/* rows x cols of bf16 X (leading dimension ld) to fp32, exactly */
static float *bf16_widen(const uint16_t *X, int rows, int cols, int ld) {
    float *o = malloc((size_t)rows * (size_t)cols * sizeof *o);
    if (!o) return NULL;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) {
            uint32_t u = (uint32_t)X[(size_t)r * ld + j] << 16;
            memcpy(&o[(size_t)r * cols + j], &u, 4);
        }
    return o;
}

/* One single-threaded product on the calling thread. */
static void slice_gemm(const backend_ctx *c, nn_op ta, nn_op tb, int M, int N, int K, float alpha, const float *A,
                       int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    mm_cache *tc = dn_cache();
    int bf16 = c && c->bf16 && tc && K > 0;
    /* stored shapes of A and B: rows x cols with leading dimension ld */
    int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
    const void *a = A, *b = B;
    int la = lda, lb = ldb;
    const unsigned long *agen, *bgen = NULL;
    if (bf16) {
        const uint16_t *a16 = bf16_operand(c, &tc->abuf, &tc->acap, A, ar, ac, &la, &agen);
        const uint16_t *b16 = a16 ? bf16_operand(c, &tc->bbuf, &tc->bcap, B, br, bc, &lb, &bgen) : NULL;
        if (b16) a = a16, b = b16;
        else bf16 = 0, la = lda, lb = ldb, bgen = NULL;   /* no memory: fp32 rather than nothing */
    }
    int saved = omp_get_max_threads();
    if (saved != 1) omp_set_num_threads(1);
    mm_entry *e = tc && K > 0 ? mm_lookup(tc, bf16, bgen != NULL, ta, tb, M, N, K, alpha, la, lb, beta, ldc) : NULL;
    if (e && !e->blas) {
        if (e->packed && (e->wfrom != b || e->wgen != *bgen)) {   /* B moved or changed: pack it again */
            dnnl_memory_set_data_handle(e->wsrc, (void *)b);
            dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, e->wsrc}, {DNNL_ARG_TO, e->b}};
            dnnl_primitive_execute(e->rd, tc->stream, 2, rargs);
            e->wfrom = b;
            e->wgen = *bgen;
        }
        dnnl_memory_set_data_handle(e->a, (void *)a);
        if (!e->packed) dnnl_memory_set_data_handle(e->b, (void *)b);
        dnnl_memory_set_data_handle(e->c, C);
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c},
                                   {DNNL_ARG_SCRATCHPAD, e->s}};
        dnnl_primitive_execute(e->prim, tc->stream, e->s ? 4 : 3, args);
        dnnl_stream_wait(tc->stream);
    } else if (bf16) {   /* no oneDNN kernel: OpenBLAS over the rounded inputs, widened exactly */
        float *wa = bf16_widen(a, ar, ac, la), *wb = wa ? bf16_widen(b, br, bc, lb) : NULL;
        if (wb) blas_gemm(ta, tb, M, N, K, alpha, wa, ac, wb, bc, beta, C, ldc);
        else blas_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        free(wa);
        free(wb);
    } else {
        blas_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
    if (saved != 1) omp_set_num_threads(saved);
}

unsigned long cpu_generation(void) {
    static unsigned long next;
    return __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
}

/* fp32 -> bf16 of n values, the mirror of a weight buffer */
void cpu_bf16_round(uint16_t *dst, const float *src, size_t n) {
    to_bf16_n(dst, src, n);
}

static const char *isa_name(dnnl_cpu_isa_t isa) {
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

void cpu_describe(const backend_ctx *c, char *buf, size_t size) {
    int bf16 = c ? c->bf16 : 0, threads = c ? c->threads : 1;
    const char *prec = bf16 ? "bf16 inputs, fp32 sums" : "fp32";
    if (!dn_cache()) {
        snprintf(buf, size, "OpenBLAS (oneDNN unavailable), %s, %d thread%s", prec, threads, threads == 1 ? "" : "s");
        return;
    }
    /* the shape of one slice of the output layer: (256, 10000) x 200 */
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    char impl[64] = "";
    mm_entry e = {.M = 256, .N = 10000, .K = 200, .lda = 200, .ldb = 10000, .ldc = 10000, .bf16 = bf16,
                  .alpha = 1.0f, .packed = bf16};
    mm_entry_build(&e, impl, sizeof impl);
    char name[96];
    snprintf(name, sizeof name, e.blas ? "none (%s refused): OpenBLAS fallback" : "%s", impl[0] ? impl : "all");
    mm_entry_free(&e);
    omp_set_num_threads(saved);
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, size, "oneDNN %d.%d.%d matmul %s, ISA %s, %s, %d thread%s", v->major, v->minor, v->patch,
             name, isa_name(dnnl_get_effective_cpu_isa()), prec, threads, threads == 1 ? "" : "s");
}
#endif

typedef struct {
    nn_op ta, tb;
    int M, N, K, lda, ldb, ldc, parts, by_cols;
    const backend_ctx *c;
    real alpha, beta;
    const real *A, *B;
    real *C;
} gemm_job;

/* Slice i of parts: rows [i0, i1) of C (and of op(A)), or columns [j0, j1)
 * of C (and of op(B)). */
static void gemm_slice(void *p, int i) {
    const gemm_job *g = p;
    if (g->by_cols) {
        int j0 = (int)((long)g->N * i / g->parts), j1 = (int)((long)g->N * (i + 1) / g->parts);
        const real *B = g->tb ? g->B + (size_t)j0 * g->ldb : g->B + j0;
        slice_gemm(g->c, g->ta, g->tb, g->M, j1 - j0, g->K, g->alpha, g->A, g->lda, B, g->ldb, g->beta,
                  g->C + j0, g->ldc);
    } else {
        int i0 = (int)((long)g->M * i / g->parts), i1 = (int)((long)g->M * (i + 1) / g->parts);
        const real *A = g->ta ? g->A + i0 : g->A + (size_t)i0 * g->lda;
        slice_gemm(g->c, g->ta, g->tb, i1 - i0, g->N, g->K, g->alpha, A, g->lda, g->B, g->ldb, g->beta,
                  g->C + (size_t)i0 * g->ldc, g->ldc);
    }
}

void NN_SFX(cpu_gemm_f32, cpu_gemm_f64)(const backend_ctx *c, nn_op op_a, nn_op op_b,
                                                int M, int N, int K, real alpha, const real *A,
                                                int lda, const real *B, int ldb, real beta,
                                                real *C, int ldc) {
    int nt = c ? c->threads : 1;
    int by_cols = N > M, span = by_cols ? N : M;
    if (nt > span / 8) nt = span / 8;   /* slices of at least 8 rows or columns */
    if (nt <= 1 || (long)M * N * K < COMPUTE_SPLIT_MIN) {
        slice_gemm(c, op_a, op_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    gemm_job g = {op_a, op_b, M, N, K, lda, ldb, ldc, nt, by_cols, c, alpha, beta, A, B, C};
    cpu_parallel_for(c, nt, gemm_slice, &g);
}
