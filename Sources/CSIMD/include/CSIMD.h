#ifndef CSIMD_H
#define CSIMD_H

/// AVX2 + FMA versions of the hottest elementwise loops, compiled for those instructions with a
/// function attribute (the rest of the package keeps the baseline x86-64 target) and chosen at
/// run time: call them only where `csimd_has_avx2_fma()` returned 1. On other architectures
/// `csimd_has_avx2_fma()` returns 0 and the other functions are absent.

/// 1 when the processor and the operating system support AVX2 and FMA, else 0.
int csimd_has_avx2_fma(void);

/// A hint that the caller is spinning on a shared value (x86's `pause`; nothing elsewhere).
void csimd_spin_pause(void);

#include <stdint.h>

/// The int8 matrix product of quantized inference, in plain C: c[i * ldc + j] = sum over p < k
/// of a[i * k + p] * b[j * k + p], for i < m and j < n: activations `a` (uint8, m rows of k),
/// weights `b` (int8, n rows of k: one per output, as a Linear layer stores them), exact int32
/// sums. The reference the vector versions must equal.
void csimd_qgemm_u8s8_portable(const uint8_t *a, const int8_t *b, int32_t *c, long m, long n, long k, long ldc);

/// Activations to 7-bit codes: q = round(fma(x, inverse_scale, zero_point)) clamped to 0...127
/// (round to nearest even; NaN gives 0).
void csimd_quantize_u7_portable(const float *x, uint8_t *q, long count, float inverse_scale, float zero_point);

/// The output pass of a quantized product: y = fma(acc - corrections[j], scales[j], bias[j]) for
/// each row, then max(y, 0) when `relu` (`corrections` is the input zero point times each weight
/// row's sum; `scales` the input scale times each row's scale).
/// One image's convolution windows as rows of uint8 codes: row y * ow + x holds, for each kernel
/// row, kernel column and channel (in that order: channels last), the input under that tap of
/// output position (y, x), or `pad` (the zero point) outside the image. `x` is one image,
/// C x H x W; weights multiplied with these rows are laid out [out, KH, KW, C].
void csimd_im2row_u8(const uint8_t *x, uint8_t *rows, long channels, long height, long width, long kh, long kw, long sh, long sw,
                     long pt, long pl, long dh, long dw, long oh, long ow, uint8_t pad);

void csimd_dequantize_portable(const int32_t *acc, float *y, long rows, long columns, const float *scales, const float *bias,
                               const int32_t *corrections, int relu);

#if defined(__x86_64__)
/// One row of a fused LSTM step, forward: from the state's share of the gates `z` (4H, in the
/// order i, f, g, o) and the input's `xp` (4H), with `c_prev` (H), writes `h` and `c` (H each)
/// and overwrites `z` with the activated gates followed by tanh(c) (5H in all).
void csimd_lstm_forward_row(float *z, const float *xp, const float *c_prev, float *h, float *c, long hidden);

/// One row of a fused LSTM step, backward: from the saved gates and tanh(c) (5H), the
/// gradients reaching `h` and `c` from the output (`dout`, 2H) and from the next step (`dh`,
/// `dc`, H each) and `c_prev` (H), writes the gates' pre-activation gradients `dz` (4H) and
/// replaces `dc` with the gradient for the previous step's c.
void csimd_lstm_backward_row(const float *saved, const float *dout, const float *dh, float *dc,
                             const float *c_prev, float *dz, long hidden);

/// The exact GELU, y = x Φ(x), for `count` floats.
void csimd_gelu(const float *x, float *y, long count);

/// GELU's backward pass, dx = g (Φ(x) + x φ(x)), for `count` floats.
void csimd_gelu_backward(const float *g, const float *x, float *dx, long count);

/// Softmax of one contiguous row of `length` floats: y = e^(x - max) / sum. Entries of -inf get
/// exactly 0; a NaN anywhere makes the whole row NaN.
void csimd_softmax_row(const float *x, float *y, long length);

/// `csimd_qgemm_u8s8_portable` with AVX2 (`vpmaddubsw`, then `vpmaddwd` into int32): equal to
/// it exactly when every activation is at most 127, as quantization with a 7-bit activation
/// range makes them (PyTorch's x86 backend reduces the range for the same reason: with 8 bits
/// a pair of products can overflow vpmaddubsw's saturating int16). Needs AVX2.
void csimd_qgemm_u8s8_avx2(const uint8_t *a, const int8_t *b, int32_t *c, long m, long n, long k, long ldc);

/// `csimd_quantize_u7_portable` with AVX2, equal to it exactly.
void csimd_quantize_u7_avx2(const float *x, uint8_t *q, long count, float inverse_scale, float zero_point);

/// `csimd_dequantize_portable` with AVX2, equal to it exactly.
void csimd_dequantize_avx2(const int32_t *acc, float *y, long rows, long columns, const float *scales, const float *bias,
                           const int32_t *corrections, int relu);
#endif

#endif
