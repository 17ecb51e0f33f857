#if arch(x86_64)
import CSIMD
import Foundation
import Testing
@testable import CPUBackend

/// The AVX2 + FMA rows of the fused LSTM (CSIMD) against the portable SIMD8 rows: the same
/// values up to rounding, for a hidden size with a partial vector at the end and inputs from
/// saturated to NaN-free extremes. Where the processor lacks AVX2 there is nothing to compare.
@Test(.enabled(if: csimd_has_avx2_fma() == 1, "the processor has no AVX2 + FMA"))
func avx2LSTMRowsMatchThePortableRows() {
    let hidden = 13
    var salt = 0.0
    // Scattered values in [-scale, scale].
    func values(_ count: Int, scale: Float) -> [Float] {
        salt += 1
        return (0..<count).map { Float(sin(Double($0) * 2.3 + salt)) * scale }
    }
    for scale: Float in [0.5, 4, 100] {
        let (z, xp, cPrev) = (values(5 * hidden, scale: scale), values(4 * hidden, scale: scale), values(hidden, scale: scale))
        func forward(_ avx2: Bool) -> (z: [Float], h: [Float], c: [Float]) {
            var (z, h, c) = (z, [Float](repeating: 0, count: hidden), [Float](repeating: 0, count: hidden))
            z.withUnsafeMutableBufferPointer { z in h.withUnsafeMutableBufferPointer { h in c.withUnsafeMutableBufferPointer { c in
                if avx2 {
                    csimd_lstm_forward_row(z.baseAddress!, xp, cPrev, h.baseAddress!, c.baseAddress!, hidden)
                } else {
                    LSTMKernels.portableForwardRow(z: z.baseAddress!, xp: xp, cPrev: cPrev, h: h.baseAddress!, c: c.baseAddress!, hidden: hidden)
                }
            } } }
            return (z, h, c)
        }
        let (fast, portable) = (forward(true), forward(false))
        for (a, b) in zip(fast.z + fast.h + fast.c, portable.z + portable.h + portable.c) {
            #expect(Swift.abs(a - b) <= 1e-5 * Swift.max(1, Swift.abs(b)), "forward: \(a) vs \(b) at scale \(scale)")
        }

        let (dout, dh, dc) = (values(2 * hidden, scale: 1), values(hidden, scale: 1), values(hidden, scale: 1))
        func backward(_ avx2: Bool) -> (dz: [Float], dc: [Float]) {
            var (dz, dcOut) = ([Float](repeating: 0, count: 4 * hidden), dc)
            dz.withUnsafeMutableBufferPointer { dz in dcOut.withUnsafeMutableBufferPointer { dcOut in
                if avx2 {
                    csimd_lstm_backward_row(portable.z, dout, dh, dcOut.baseAddress!, cPrev, dz.baseAddress!, hidden)
                } else {
                    LSTMKernels.portableBackwardRow(saved: portable.z, dout: dout, dh: dh, dc: dcOut.baseAddress!, cPrev: cPrev,
                                                    dz: dz.baseAddress!, hidden: hidden)
                }
            } }
            return (dz, dcOut)
        }
        let (fastGrad, portableGrad) = (backward(true), backward(false))
        for (a, b) in zip(fastGrad.dz + fastGrad.dc, portableGrad.dz + portableGrad.dc) {
            #expect(Swift.abs(a - b) <= 1e-5 * Swift.max(1, Swift.abs(b)), "backward: \(a) vs \(b) at scale \(scale)")
        }
    }
}

/// The AVX2 + FMA GELU and its backward pass against double precision, as the portable ones are
/// checked in VectorMathTests.
@Test(.enabled(if: csimd_has_avx2_fma() == 1, "the processor has no AVX2 + FMA"))
func avx2GELUMatchesDoublePrecision() {
    let x = stride(from: -15.0, through: 15.0, by: 0.0071).map(Float.init) + [0, -0, 1e-8, -1e-8, 40, -40]
    let g = x.indices.map { Float(sin(Double($0))) }
    var (y, dx) = ([Float](repeating: 0, count: x.count), [Float](repeating: 0, count: x.count))
    y.withUnsafeMutableBufferPointer { csimd_gelu(x, $0.baseAddress!, x.count) }
    dx.withUnsafeMutableBufferPointer { csimd_gelu_backward(g, x, $0.baseAddress!, x.count) }
    for k in x.indices {
        let v = Double(x[k])
        let cdf = 0.5 * erfc(-v / 2.0.squareRoot())
        let (gelu, slope) = (v * cdf, cdf + v * exp(-v * v / 2) / (2 * Double.pi).squareRoot())
        #expect(Swift.abs(Double(y[k]) - gelu) <= 2e-5 * Swift.abs(gelu) + 1e-7, "gelu(\(v)) = \(y[k]), want \(gelu)")
        let want = Double(g[k]) * slope
        #expect(Swift.abs(Double(dx[k]) - want) <= 2e-5 * Swift.abs(want) + 1e-7, "gelu'(\(v)) = \(dx[k]) / \(g[k]), want \(slope)")
    }
}

/// The AVX2 softmax row and the portable one against double precision, for lengths with and
/// without a partial vector, with masked (-inf) entries and a wide range; NaN spreads to the row.
@Test(.enabled(if: csimd_has_avx2_fma() == 1, "the processor has no AVX2 + FMA"))
func avx2SoftmaxRowMatchesDoublePrecision() {
    for length in [1, 7, 8, 13, 64, 129] {
        for scale: Float in [1, 30] {
            var x = (0..<length).map { Float(sin(Double($0) * 1.7 + Double(length))) * scale }
            for k in stride(from: 3, to: length, by: 5) { x[k] = -.infinity }
            let shift = Double(x.max()!)
            let e = x.map { Foundation.exp(Double($0) - shift) }
            let want = e.map { $0 / e.reduce(0, +) }
            var (fast, portable) = ([Float](repeating: 0, count: length), [Float](repeating: 0, count: length))
            fast.withUnsafeMutableBufferPointer { csimd_softmax_row(x, $0.baseAddress!, length) }
            portable.withUnsafeMutableBufferPointer { Softmax.portableRow(x, $0.baseAddress!, length: length) }
            for k in 0..<length {
                // Rounding x - max to float costs up to |x - max|·2⁻²⁴ relative.
                let tolerance = want[k] == 0 ? 0 : (1e-6 + 1.2e-7 * Swift.abs(Double(x[k]) - shift)) * want[k] + 1e-30
                #expect(Swift.abs(Double(fast[k]) - want[k]) <= tolerance, "avx2 [\(length)] \(k): \(fast[k]) vs \(want[k])")
                #expect(Swift.abs(Double(portable[k]) - want[k]) <= tolerance, "portable [\(length)] \(k): \(portable[k]) vs \(want[k])")
            }
            let maskedAreZero = zip(x, fast).allSatisfy { $0 != -.infinity || $1 == 0 }
            #expect(maskedAreZero, "masked entries are exactly 0")
        }
    }
    var withNaN: [Float] = (0..<13).map(Float.init)
    withNaN[4] = .nan
    var y = [Float](repeating: 0, count: 13)
    y.withUnsafeMutableBufferPointer { csimd_softmax_row(withNaN, $0.baseAddress!, 13) }
    let allNaN = y.allSatisfy(\.isNaN)
    #expect(allNaN)
}
#endif
