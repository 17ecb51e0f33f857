#include "CSIMD.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <math.h>

void csimd_spin_pause(void) { _mm_pause(); }

int csimd_has_avx2_fma(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!(fma && osxsave && avx)) return 0;
    // The OS must save the YMM registers: XCR0 bits 1 (SSE) and 2 (AVX).
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;
}

#define AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline

/// e^r 2^n for x in range, as VectorMath.reduced: n = round(x / ln2), r = x - n ln2 in two
/// steps, e^r by Cephes' polynomial; 2^n from exponent bits for n in [-126, 127].
AVX2 __m256 exp_in_range(__m256 x) {
    __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(12582912.f));
    __m256 n = _mm256_sub_ps(shifted, _mm256_set1_ps(12582912.f));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.f)));
    __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(p, scale);
}

/// e^x with x clamped to [-87, 87] first (NaN stays NaN).
AVX2 __m256 exp_clamped(__m256 x) {
    x = _mm256_blendv_ps(x, _mm256_set1_ps(87.f), _mm256_cmp_ps(x, _mm256_set1_ps(87.f), _CMP_GT_OQ));
    x = _mm256_blendv_ps(x, _mm256_set1_ps(-87.f), _mm256_cmp_ps(x, _mm256_set1_ps(-87.f), _CMP_LT_OQ));
    return exp_in_range(x);
}

/// 1 / (1 + e^-x), with -x clamped to [-87, 87] (every intermediate a normal float); NaN
/// stays NaN (the clamps compare false for it).
AVX2 __m256 sigmoid8(__m256 x) {
    __m256 e = exp_clamped(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_add_ps(_mm256_set1_ps(1.f), e));
}

/// tanh as VectorMath.tanh: 1 - 2/(e^2|x| + 1) with the sign put back, Cephes' odd polynomial
/// below |x| = 0.625.
AVX2 __m256 tanh8(__m256 x) {
    __m256 signmask = _mm256_set1_ps(-0.f);
    __m256 a = _mm256_andnot_ps(signmask, x);
    __m256 twice = _mm256_add_ps(a, a);
    twice = _mm256_blendv_ps(twice, _mm256_set1_ps(87.f), _mm256_cmp_ps(twice, _mm256_set1_ps(87.f), _CMP_GT_OQ));
    __m256 large = _mm256_sub_ps(_mm256_set1_ps(1.f),
                                 _mm256_div_ps(_mm256_set1_ps(2.f), _mm256_add_ps(exp_in_range(twice), _mm256_set1_ps(1.f))));
    large = _mm256_or_ps(large, _mm256_and_ps(x, signmask));
    __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
    return _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

/// Loads `count` (< 8) floats, zero-filling the rest; stores the first `count`.
AVX2 __m256 load_part(const float *p, long count) {
    float buffer[8] = {0};
    for (long k = 0; k < count; k++) buffer[k] = p[k];
    return _mm256_loadu_ps(buffer);
}

AVX2 void store_part(float *p, __m256 v, long count) {
    float buffer[8];
    _mm256_storeu_ps(buffer, v);
    for (long k = 0; k < count; k++) p[k] = buffer[k];
}

#define LOAD(p) (full ? _mm256_loadu_ps(p) : load_part((p), width))
#define STORE(p, v) do { if (full) _mm256_storeu_ps((p), (v)); else store_part((p), (v), width); } while (0)

__attribute__((target("avx2,fma")))
void csimd_lstm_forward_row(float *z, const float *xp, const float *c_prev, float *h, float *c, long hidden) {
    const long H = hidden;
    for (long j = 0; j < H; j += 8) {
        const long width = H - j < 8 ? H - j : 8;
        const int full = width == 8;
        __m256 i = sigmoid8(_mm256_add_ps(LOAD(z + j), LOAD(xp + j)));
        __m256 f = sigmoid8(_mm256_add_ps(LOAD(z + H + j), LOAD(xp + H + j)));
        __m256 g = tanh8(_mm256_add_ps(LOAD(z + 2 * H + j), LOAD(xp + 2 * H + j)));
        __m256 o = sigmoid8(_mm256_add_ps(LOAD(z + 3 * H + j), LOAD(xp + 3 * H + j)));
        __m256 cell = _mm256_fmadd_ps(f, LOAD(c_prev + j), _mm256_mul_ps(i, g));
        __m256 tc = tanh8(cell);
        STORE(h + j, _mm256_mul_ps(o, tc));
        STORE(c + j, cell);
        STORE(z + j, i);
        STORE(z + H + j, f);
        STORE(z + 2 * H + j, g);
        STORE(z + 3 * H + j, o);
        STORE(z + 4 * H + j, tc);
    }
}

__attribute__((target("avx2,fma")))
void csimd_lstm_backward_row(const float *saved, const float *dout, const float *dh_next, float *dc_next,
                             const float *c_prev, float *dz, long hidden) {
    const long H = hidden;
    const __m256 one = _mm256_set1_ps(1.f);
    for (long j = 0; j < H; j += 8) {
        const long width = H - j < 8 ? H - j : 8;
        const int full = width == 8;
        __m256 i = LOAD(saved + j), f = LOAD(saved + H + j), g = LOAD(saved + 2 * H + j);
        __m256 o = LOAD(saved + 3 * H + j), tc = LOAD(saved + 4 * H + j);
        __m256 dh = _mm256_add_ps(LOAD(dout + j), LOAD(dh_next + j));
        // dc = dout_c + dc_next + dh o (1 - tc²)
        __m256 dc = _mm256_add_ps(LOAD(dout + H + j), LOAD(dc_next + j));
        dc = _mm256_fmadd_ps(_mm256_mul_ps(dh, o), _mm256_fnmadd_ps(tc, tc, one), dc);
        STORE(dz + j, _mm256_mul_ps(_mm256_mul_ps(dc, g), _mm256_mul_ps(i, _mm256_sub_ps(one, i))));
        STORE(dz + H + j, _mm256_mul_ps(_mm256_mul_ps(dc, LOAD(c_prev + j)), _mm256_mul_ps(f, _mm256_sub_ps(one, f))));
        STORE(dz + 2 * H + j, _mm256_mul_ps(_mm256_mul_ps(dc, i), _mm256_fnmadd_ps(g, g, one)));
        STORE(dz + 3 * H + j, _mm256_mul_ps(_mm256_mul_ps(dh, tc), _mm256_mul_ps(o, _mm256_sub_ps(one, o))));
        STORE(dc_next + j, _mm256_mul_ps(dc, f));
    }
}

/// Φ(x) as VectorMath.normalCDF: erfc(|x|/√2)/2 from Numerical Recipes' Chebyshev fit
/// t exp(-z² + P(t)), t = 1/(1 + z/2), then 1 - that above zero. Deep in the lower tail (x below
/// about -13) it stays near 1e-38 instead of reaching zero.
AVX2 __m256 normal_cdf8(__m256 x) {
    __m256 z = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.f), x), _mm256_set1_ps(0.70710678118654752f));
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_fmadd_ps(z, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.f)));
    __m256 p = _mm256_set1_ps(0.17087277f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
    __m256 half = _mm256_mul_ps(_mm256_mul_ps(t, exp_clamped(_mm256_fnmadd_ps(z, z, p))), _mm256_set1_ps(0.5f));
    return _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(1.f), half), half,
                            _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}

__attribute__((target("avx2,fma")))
void csimd_gelu(const float *x, float *y, long count) {
    for (long j = 0; j < count; j += 8) {
        const long width = count - j < 8 ? count - j : 8;
        const int full = width == 8;
        __m256 v = LOAD(x + j);
        STORE(y + j, _mm256_mul_ps(v, normal_cdf8(v)));
    }
}

__attribute__((target("avx2,fma")))
void csimd_gelu_backward(const float *g, const float *x, float *dx, long count) {
    for (long j = 0; j < count; j += 8) {
        const long width = count - j < 8 ? count - j : 8;
        const int full = width == 8;
        __m256 v = LOAD(x + j);
        // φ(x) = e^(-x²/2) / √(2π)
        __m256 density = _mm256_mul_ps(exp_clamped(_mm256_mul_ps(_mm256_mul_ps(v, v), _mm256_set1_ps(-0.5f))),
                                       _mm256_set1_ps(0.39894228040143268f));
        STORE(dx + j, _mm256_mul_ps(LOAD(g + j), _mm256_fmadd_ps(v, density, normal_cdf8(v))));
    }
}

__attribute__((target("avx2,fma")))
void csimd_softmax_row(const float *x, float *y, long length) {
    __m256 largest8 = _mm256_set1_ps(-INFINITY);
    long j = 0;
    for (; j + 8 <= length; j += 8) largest8 = _mm256_max_ps(largest8, _mm256_loadu_ps(x + j));
    float lanes[8], largest = -INFINITY;
    _mm256_storeu_ps(lanes, largest8);
    for (int k = 0; k < 8; k++) largest = lanes[k] > largest ? lanes[k] : largest;
    for (; j < length; j++) largest = x[j] > largest ? x[j] : largest;

    // e^(x - max): every argument is at most 0; below -87 the result is flushed to 0 (a masked
    // -inf gives exactly 0), and a NaN anywhere makes the sum, and so the whole row, NaN.
    const __m256 shift = _mm256_set1_ps(largest), floor = _mm256_set1_ps(-87.f);
    __m256 sum8 = _mm256_setzero_ps();
    float sum = 0;
    for (j = 0; j < length; j += 8) {
        const long width = length - j < 8 ? length - j : 8;
        const int full = width == 8;
        __m256 v = _mm256_sub_ps(LOAD(x + j), shift);
        __m256 e = _mm256_andnot_ps(_mm256_cmp_ps(v, floor, _CMP_LT_OQ), exp_clamped(v));
        STORE(y + j, e);
        if (full) sum8 = _mm256_add_ps(sum8, e);
        else for (long k = 0; k < width; k++) sum += y[j + k];
    }
    _mm256_storeu_ps(lanes, sum8);
    for (int k = 0; k < 8; k++) sum += lanes[k];

    const __m256 scale = _mm256_set1_ps(1.f / sum);
    for (j = 0; j + 8 <= length; j += 8) _mm256_storeu_ps(y + j, _mm256_mul_ps(_mm256_loadu_ps(y + j), scale));
    for (; j < length; j++) y[j] *= 1.f / sum;
}

#else

int csimd_has_avx2_fma(void) { return 0; }

void csimd_spin_pause(void) {}

#endif
