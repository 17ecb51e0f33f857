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

AVX2_FN void csimd_qgemm_u8s8_avx2(const uint8_t *a, const int8_t *b, int32_t *c, long m, long n, long k, long ldc) {
    const long body = k & ~31L;
    for (long i = 0; i < m; i++) {
        const uint8_t *ar = a + i * k;
        long j = 0;
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
