#include "CSIMD.h"

#include <stdint.h>

// Integer matrix products for int8 inference: C[i][j] = sum over p of a[i][p] * b[j][p], with a
// the activations (uint8, rows of length k) and b the weights (int8, one row per output, as a
// Linear layer stores them), accumulated exactly in int32.

void csimd_qgemm_u8s8_portable(const uint8_t *a, const int8_t *b, int32_t *c, long m, long n, long k, long ldc) {
    for (long i = 0; i < m; i++) {
        const uint8_t *ar = a + i * k;
        for (long j = 0; j < n; j++) {
            const int8_t *br = b + j * k;
            int32_t sum = 0;
            for (long p = 0; p < k; p++) sum += (int32_t)ar[p] * (int32_t)br[p];
            c[i * ldc + j] = sum;
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2_FN __attribute__((target("avx2,fma")))
#define AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

/// The four int32 sums of the eight lanes of each of `s0`...`s3`.
AVX2_INLINE __m128i sum4(__m256i s0, __m256i s1, __m256i s2, __m256i s3) {
    __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(s0, s1), _mm256_hadd_epi32(s2, s3));
    return _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
}

/// 32 products of u8 and s8 added pairwise to int16 (vpmaddubsw) and then in pairs to int32
/// (vpmaddwd with ones), added to `acc`. Exact while each pair sum fits int16: a <= 127.
AVX2_INLINE __m256i dot32(__m256i acc, __m256i va, const int8_t *b) {
    __m256i pairs = _mm256_maddubs_epi16(va, _mm256_loadu_si256((const __m256i *)b));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

/// Rows i and i + 1 of c against rows j...j+3 of b: 2 x 4 accumulators, each weight vector
/// loaded once for both rows.
AVX2_INLINE void block2x4(const uint8_t *a0, const uint8_t *a1, const int8_t *b, int32_t *c0, int32_t *c1, long k, long body) {
    const int8_t *b0 = b, *b1 = b0 + k, *b2 = b1 + k, *b3 = b2 + k;
    __m256i s00 = _mm256_setzero_si256(), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
    const __m256i ones = _mm256_set1_epi16(1);
#define STEP(acc0, acc1, row) { \
        __m256i vb = _mm256_loadu_si256((const __m256i *)((row) + p)); \
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_maddubs_epi16(va0, vb), ones)); \
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_maddubs_epi16(va1, vb), ones)); }
    for (long p = 0; p < body; p += 32) {
        __m256i va0 = _mm256_loadu_si256((const __m256i *)(a0 + p)), va1 = _mm256_loadu_si256((const __m256i *)(a1 + p));
        STEP(s00, s10, b0) STEP(s01, s11, b1) STEP(s02, s12, b2) STEP(s03, s13, b3)
    }
#undef STEP
    int32_t o0[4], o1[4];
    _mm_storeu_si128((__m128i *)o0, sum4(s00, s01, s02, s03));
    _mm_storeu_si128((__m128i *)o1, sum4(s10, s11, s12, s13));
    for (long p = body; p < k; p++) {
        int32_t x0 = a0[p], x1 = a1[p];
        o0[0] += x0 * b0[p]; o0[1] += x0 * b1[p]; o0[2] += x0 * b2[p]; o0[3] += x0 * b3[p];
        o1[0] += x1 * b0[p]; o1[1] += x1 * b1[p]; o1[2] += x1 * b2[p]; o1[3] += x1 * b3[p];
    }
    for (int q = 0; q < 4; q++) { c0[q] = o0[q]; c1[q] = o1[q]; }
}

AVX2_FN void csimd_qgemm_u8s8_avx2(const uint8_t *a, const int8_t *b, int32_t *c, long m, long n, long k, long ldc) {
    const long body = k & ~31L;
    // Pairs of rows in 2 x 4 blocks, columns in panels that keep their weight rows in L1/L2.
    long panel = k > 0 ? (16384 / k + 3) & ~3L : n;
    if (panel < 4) panel = 4;
    const long pairs = m & ~1L, quads = n & ~3L;
    for (long j0 = 0; j0 < quads; j0 += panel) {
        long j1 = j0 + panel < quads ? j0 + panel : quads;
        for (long i = 0; i < pairs; i += 2)
            for (long j = j0; j < j1; j += 4)
                block2x4(a + i * k, a + (i + 1) * k, b + j * k, c + i * ldc + j, c + (i + 1) * ldc + j, k, body);
    }
    // What the blocks left: the last columns (fewer than 4) of the paired rows, and all of an
    // odd last row.
    for (long i = 0; i < m; i++) {
        const uint8_t *ar = a + i * k;
        long j = i >= pairs ? 0 : quads;
        for (; j + 4 <= n; j += 4) {
            const int8_t *b0 = b + j * k, *b1 = b0 + k, *b2 = b1 + k, *b3 = b2 + k;
            __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
            for (long p = 0; p < body; p += 32) {
                __m256i va = _mm256_loadu_si256((const __m256i *)(ar + p));
                s0 = dot32(s0, va, b0 + p);
                s1 = dot32(s1, va, b1 + p);
                s2 = dot32(s2, va, b2 + p);
                s3 = dot32(s3, va, b3 + p);
            }
            int32_t out[4];
            _mm_storeu_si128((__m128i *)out, sum4(s0, s1, s2, s3));
            for (long p = body; p < k; p++) {
                int32_t x = ar[p];
                out[0] += x * b0[p]; out[1] += x * b1[p]; out[2] += x * b2[p]; out[3] += x * b3[p];
            }
            for (int q = 0; q < 4; q++) c[i * ldc + j + q] = out[q];
        }
        for (; j < n; j++) {
            const int8_t *br = b + j * k;
            __m256i s = _mm256_setzero_si256();
            for (long p = 0; p < body; p += 32) s = dot32(s, _mm256_loadu_si256((const __m256i *)(ar + p)), br + p);
            int32_t out[4];
            __m256i z = _mm256_setzero_si256();
            _mm_storeu_si128((__m128i *)out, sum4(s, z, z, z));
            int32_t sum = out[0];
            for (long p = body; p < k; p++) sum += (int32_t)ar[p] * br[p];
            c[i * ldc + j] = sum;
        }
    }
}
#endif

// Quantization of activations and the output pass of a quantized product.

#include <math.h>

void csimd_quantize_u7_portable(const float *x, uint8_t *q, long count, float inverse_scale, float zero_point) {
    for (long i = 0; i < count; i++) {
        float v = fminf(fmaxf(fmaf(x[i], inverse_scale, zero_point), 0.f), 127.f);   // NaN becomes 0
        q[i] = (uint8_t)nearbyintf(v);
    }
}

void csimd_dequantize_portable(const int32_t *acc, float *y, long rows, long columns, const float *scales, const float *bias,
                               const int32_t *corrections, int relu) {
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < columns; j++) {
            float v = fmaf((float)(acc[i * columns + j] - corrections[j]), scales[j], bias[j]);
            y[i * columns + j] = relu ? fmaxf(v, 0.f) : v;
        }
}

#if defined(__x86_64__)
AVX2_FN void csimd_quantize_u7_avx2(const float *x, uint8_t *q, long count, float inverse_scale, float zero_point) {
    const __m256 s = _mm256_set1_ps(inverse_scale), z = _mm256_set1_ps(zero_point);
    const __m256 low = _mm256_setzero_ps(), high = _mm256_set1_ps(127.f);
    long i = 0;
    for (; i + 32 <= count; i += 32) {
        __m256i w[4];
        for (int part = 0; part < 4; part++) {
            __m256 v = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8 * part), s, z);
            // max(v, 0) gives 0 for NaN (its second operand), as fmaxf does.
            v = _mm256_min_ps(_mm256_max_ps(v, low), high);
            w[part] = _mm256_cvtps_epi32(v);   // round to nearest even, as nearbyintf
        }
        // int32 -> int16 -> uint8 (values are already in 0...127), then undo the lane interleaving.
        __m256i p16a = _mm256_packs_epi32(w[0], w[1]), p16b = _mm256_packs_epi32(w[2], w[3]);
        __m256i p8 = _mm256_packus_epi16(p16a, p16b);
        p8 = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + i), p8);
    }
    // The same rounding as above: fmadd of the single values matches fmaf, not x * s + z.
    for (; i < count; i++) {
        float v = fminf(fmaxf(fmaf(x[i], inverse_scale, zero_point), 0.f), 127.f);
        q[i] = (uint8_t)nearbyintf(v);
    }
}

AVX2_FN void csimd_dequantize_avx2(const int32_t *acc, float *y, long rows, long columns, const float *scales, const float *bias,
                                   const int32_t *corrections, int relu) {
    const __m256 zero = _mm256_setzero_ps();
    for (long i = 0; i < rows; i++) {
        const int32_t *a = acc + i * columns;
        float *out = y + i * columns;
        long j = 0;
        for (; j + 8 <= columns; j += 8) {
            __m256i d = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(a + j)), _mm256_loadu_si256((const __m256i *)(corrections + j)));
            __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), _mm256_loadu_ps(scales + j), _mm256_loadu_ps(bias + j));
            if (relu) v = _mm256_max_ps(v, zero);
            _mm256_storeu_ps(out + j, v);
        }
        for (; j < columns; j++) {
            float v = fmaf((float)(a[j] - corrections[j]), scales[j], bias[j]);
            out[j] = relu ? fmaxf(v, 0.f) : v;
        }
    }
}
#endif

#include <stdlib.h>
#include <string.h>

void csimd_im2row_u8(const uint8_t *x, uint8_t *rows, long channels, long height, long width, long kh, long kw, long sh, long sw,
                     long pt, long pl, long dh, long dw, long oh, long ow, uint8_t pad) {
    const long taps = channels * kh * kw;
    // The image, channels last, in a frame of `pad` wide enough for every window: then each
    // kernel row of a window is kw x C contiguous bytes (for dilation 1), copied without checks.
    const long ph = (oh - 1) * sh + (kh - 1) * dh + 1, pw = (ow - 1) * sw + (kw - 1) * dw + 1;
    const long fh = ph > pt + height ? ph : pt + height, fw = pw > pl + width ? pw : pl + width;
    uint8_t *frame = malloc((size_t)(channels * fh * fw));
    if (!frame) abort();
    memset(frame, pad, (size_t)(channels * fh * fw));
    for (long c = 0; c < channels; c++)
        for (long y = 0; y < height; y++) {
            const uint8_t *src = x + (c * height + y) * width;
            uint8_t *dst = frame + ((y + pt) * fw + pl) * channels + c;
            for (long i = 0; i < width; i++) dst[i * channels] = src[i];
        }
    for (long y = 0; y < oh; y++)
        for (long x0 = 0; x0 < ow; x0++) {
            uint8_t *row = rows + (y * ow + x0) * taps;
            for (long i = 0; i < kh; i++) {
                const uint8_t *src = frame + ((y * sh + i * dh) * fw + x0 * sw) * channels;
                if (dw == 1) {
                    memcpy(row, src, (size_t)(kw * channels));
                } else {
                    for (long j = 0; j < kw; j++) memcpy(row + j * channels, src + j * dw * channels, (size_t)channels);
                }
                row += kw * channels;
            }
        }
    free(frame);
}
