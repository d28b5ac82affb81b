/* backend/cpu/vmath.h: fast, accurate fp32 elementwise math for the hot loops of the
 * network (gate nonlinearities, softmax), written with GCC vector extensions
 * so that it vectorises at -O2 without -ffast-math or OpenMP.
 *
 *  - exp: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, Cephes'
 *    degree-6 polynomial for e^r, scaling by 2^n through the exponent bits.
 *    Inputs are clamped to [-87, 88] (results stay normal and finite);
 *    a NaN is returned as it is (never clamped to a finite value).
 *    Worst error measured by dev/kernel_fastmath.c: about 1 ulp.
 *  - tanh: Cephes' odd polynomial for |x| < 0.625, 1 - 2 / (e^{2|x|} + 1)
 *    above, sign restored; about 2 ulp.
 *  - sigmoid: 1 / (1 + e^{-x}).
 *
 * Every array function takes n elements, handles the tail by padding one
 * vector through a small stack buffer, and allows y == x (in place).
 * Vector width follows the target: 16 floats with AVX-512, 8 with AVX, else 4
 * (always the width of one native register, so no ABI warnings). */
#ifndef RNNLM_BACKEND_CPU_VMATH_H
#define RNNLM_BACKEND_CPU_VMATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__)
#define VF_N 16
#elif defined(__AVX__)
#define VF_N 8
#else
#define VF_N 4
#endif

typedef float vf __attribute__((vector_size(VF_N * 4)));
typedef int32_t vi __attribute__((vector_size(VF_N * 4)));

#define VF_INLINE static inline __attribute__((always_inline))

VF_INLINE vf vf_load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
VF_INLINE void vf_store(float *p, vf v) { memcpy(p, &v, sizeof v); }
VF_INLINE vf vf_splat(float a) { return a - (vf){0}; }   /* keeps -0.0f */
/* lane-wise select: m is all-ones where a is wanted */
VF_INLINE vf vf_blend(vi m, vf a, vf b) { return (vf)((m & (vi)a) | (~m & (vi)b)); }
VF_INLINE vf vf_min(vf a, vf b) { return vf_blend(a < b, a, b); }
VF_INLINE vf vf_max(vf a, vf b) { return vf_blend(a > b, a, b); }

/* e^x, lane-wise; NaN in, NaN out */
VF_INLINE vf vf_exp(vf x0) {
    vf x = vf_min(vf_max(x0, vf_splat(-87.0f)), vf_splat(88.0f));   /* NaN -> -87 here */
    /* n = round(x / ln2) by the 1.5 * 2^23 shifter */
    const vf shifter = vf_splat(12582912.0f);
    vf t = x * 1.44269504088896341f + shifter;
    vf n = t - shifter;
    vf r = x - n * 0.693359375f;          /* ln2 split: hi part exact in float */
    r = r - n * -2.12194440e-4f;          /* lo part */
    vf r2 = r * r;
    vf p = vf_splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r2 + r + 1.0f;
    /* 2^n: n is in [-126, 127] after the clamp; its integer is in t's low bits */
    vi e = ((vi)t - (vi)shifter + 127) << 23;
    /* a NaN stays NaN, so that the non-finite guards downstream see it */
    return vf_blend(x0 != x0, x0, p * (vf)e);
}

VF_INLINE vf vf_sigmoid(vf x) { return 1.0f / (1.0f + vf_exp(-x)); }

VF_INLINE vf vf_tanh(vf x) {
    const vi sign = (vi){0} + INT32_MIN;
    vi sx = (vi)x & sign;
    vf ax = (vf)((vi)x & ~sign);
    /* large: 1 - 2 / (e^{2|x|} + 1); e^{2|x|} saturates at e^88, giving 1 */
    vf big = 1.0f - 2.0f / (vf_exp(ax + ax) + 1.0f);
    vf z = ax * ax;
    vf p = vf_splat(-5.70498872745e-3f);
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    vf small = p * z * ax + ax;
    vf res = vf_blend(ax < 0.625f, small, big);
    return (vf)((vi)res | sx);
}

/* Applies F lane-wise to n floats of x into y (y may be x). */
#define VF_MAP(NAME, F)                                               \
    static inline void NAME(float *y, const float *x, size_t n) {     \
        size_t i = 0;                                                 \
        for (; i + VF_N <= n; i += VF_N) vf_store(y + i, F(vf_load(x + i))); \
        if (i < n) {                                                  \
            float buf[VF_N] = {0};                                    \
            memcpy(buf, x + i, (n - i) * sizeof *x);                  \
            vf_store(buf, F(vf_load(buf)));                           \
            memcpy(y + i, buf, (n - i) * sizeof *y);                  \
        }                                                             \
    }
VF_MAP(vexp_f32, vf_exp)
VF_MAP(vsigmoid_f32, vf_sigmoid)
VF_MAP(vtanh_f32, vf_tanh)
#undef VF_MAP

/* x[i] += b[i] for i < n (n >= 1); returns the largest x[i]. Four running
 * maxima, so that no step waits on the one before (the largest of a set
 * does not depend on the order it is taken in). */
static inline float vadd_max_f32(float *x, const float *b, size_t n) {
    size_t i = 0;
    float m = x[0] + b[0];
    if (n >= 4 * VF_N) {
        vf m0 = vf_load(x) + vf_load(b), m1 = m0, m2 = m0, m3 = m0;
        for (; i + 4 * VF_N <= n; i += 4 * VF_N) {
            vf v0 = vf_load(x + i) + vf_load(b + i), v1 = vf_load(x + i + VF_N) + vf_load(b + i + VF_N);
            vf v2 = vf_load(x + i + 2 * VF_N) + vf_load(b + i + 2 * VF_N);
            vf v3 = vf_load(x + i + 3 * VF_N) + vf_load(b + i + 3 * VF_N);
            vf_store(x + i, v0);
            vf_store(x + i + VF_N, v1);
            vf_store(x + i + 2 * VF_N, v2);
            vf_store(x + i + 3 * VF_N, v3);
            m0 = vf_max(m0, v0);
            m1 = vf_max(m1, v1);
            m2 = vf_max(m2, v2);
            m3 = vf_max(m3, v3);
        }
        vf vm = vf_max(vf_max(m0, m1), vf_max(m2, m3));
        for (int k = 0; k < VF_N; k++) m = vm[k] > m ? vm[k] : m;
    }
    for (; i < n; i++) {
        x[i] += b[i];
        m = x[i] > m ? x[i] : m;
    }
    return m;
}

/* x[i] = e^(x[i] - shift) in place; returns the sum of the results, which are
 * accumulated in VF_N float lanes (each lane sums n / VF_N terms <= 1). */
static inline double vexp_shift_sum_f32(float *x, size_t n, float shift) {
    size_t i = 0;
    vf acc = vf_splat(0.0f);
    for (; i + VF_N <= n; i += VF_N) {
        vf e = vf_exp(vf_load(x + i) - shift);
        vf_store(x + i, e);
        acc += e;
    }
    double s = 0.0;
    for (int k = 0; k < VF_N; k++) s += acc[k];
    for (; i < n; i++) {
        float buf[VF_N] = {0};
        buf[0] = x[i] - shift;
        vf e = vf_exp(vf_load(buf));
        x[i] = e[0];
        s += e[0];
    }
    return s;
}

/* The sum of e^(x[i] - shift) for i < n, x left as it is: vexp_shift_sum's
 * sum (the same terms added in the same order, so the same double) without
 * the stores, for a log-sum-exp that does not need the exponentials. */
static inline double vexp_shift_total_f32(const float *x, size_t n, float shift) {
    size_t i = 0;
    vf acc = vf_splat(0.0f);
    for (; i + VF_N <= n; i += VF_N) acc += vf_exp(vf_load(x + i) - shift);
    double s = 0.0;
    for (int k = 0; k < VF_N; k++) s += acc[k];
    for (; i < n; i++) {
        float buf[VF_N] = {0};
        buf[0] = x[i] - shift;
        s += vf_exp(vf_load(buf))[0];
    }
    return s;
}

/* Softmax gradient of one row, fused with the bias gradient:
 * x[i] = x[i] * scale; gb[i] += x[i]. */
static inline void vscale_acc_f32(float *x, float *gb, size_t n, float scale) {
    size_t i = 0;
    for (; i + VF_N <= n; i += VF_N) {
        vf v = vf_load(x + i) * scale;
        vf_store(x + i, v);
        vf_store(gb + i, vf_load(gb + i) + v);
    }
    for (; i < n; i++) {
        x[i] *= scale;
        gb[i] += x[i];
    }
}

/* The vector math of a translation unit over backend/real.h's scalar: in
 * the float instance the fast functions above (vsigmoid_f32, vtanh_f32, vadd_max_f32, vexp_shift_sum_f32,
 * vexp_shift_total_f32, vscale_acc_f32); in the double instance plain libm loops. Each takes n
 * elements; y may be x. */
#ifdef NN_F64
#include <math.h>
static inline void vsigmoid_f64(double *y, const double *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0 / (1.0 + exp(-x[i]));
}

static inline void vtanh_f64(double *y, const double *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = tanh(x[i]);
}

/* x += b; returns the largest x */
static inline double vadd_max_f64(double *x, const double *b, size_t n) {
    double m = x[0] += b[0];
    for (size_t i = 1; i < n; i++) {
        x[i] += b[i];
        m = x[i] > m ? x[i] : m;
    }
    return m;
}

/* x = e^(x - shift); returns the sum */
static inline double vexp_shift_sum_f64(double *x, size_t n, double shift) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += x[i] = exp(x[i] - shift);
    return s;
}

/* the sum of e^(x - shift), x unchanged */
static inline double vexp_shift_total_f64(const double *x, size_t n, double shift) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += exp(x[i] - shift);
    return s;
}

/* x *= scale; gb += x */
static inline void vscale_acc_f64(double *x, double *gb, size_t n, double scale) {
    for (size_t i = 0; i < n; i++) gb[i] += x[i] *= scale;
}
#endif

#define vsigmoid NN_SFX(vsigmoid_f32, vsigmoid_f64)
#define vtanh NN_SFX(vtanh_f32, vtanh_f64)
#define vadd_max NN_SFX(vadd_max_f32, vadd_max_f64)
#define vexp_shift_sum NN_SFX(vexp_shift_sum_f32, vexp_shift_sum_f64)
#define vexp_shift_total NN_SFX(vexp_shift_total_f32, vexp_shift_total_f64)
#define vscale_acc NN_SFX(vscale_acc_f32, vscale_acc_f64)

#endif
