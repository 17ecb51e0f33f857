import Testing
@testable import CPUBackend
#if arch(x86_64)
import CSIMD
#endif

/// Lengths that cover a lone scalar, a partial vector, exactly one AVX vector, vectors with a
/// scalar tail: every kernel here runs with a NaN at each position of each length.
let nanLengths = [1, 7, 8, 17, 33]

/// `count` finite values of both signs (none zero, few repeats), with NaN at `nanAt`.
func sample(_ count: Int, nanAt: Int? = nil) -> [Float] {
    var x = (0..<count).map { Float(($0 * 7) % 17) / 2 - 4.25 }
    if let nanAt { x[nanAt] = .nan }
    return x
}

func runUnary(_ f: UnaryFunction, _ x: [Float]) -> [Float] {
    var y = [Float](repeating: 0, count: x.count)
    y.withUnsafeMutableBufferPointer { Elementwise.unary(f, x, $0.baseAddress!, count: x.count) }
    return y
}

/// Expects `y` to be NaN exactly where `nan` says and bit-equal to `clean` elsewhere.
func expectNaN(_ y: [Float], at nan: (Int) -> Bool, elsewhere clean: [Float], _ what: String,
               sourceLocation: SourceLocation = #_sourceLocation) {
    for j in y.indices {
        if nan(j) {
            #expect(y[j].isNaN, "\(what): [\(j)] is \(y[j]), want NaN", sourceLocation: sourceLocation)
        } else {
            #expect(y[j].bitPattern == clean[j].bitPattern, "\(what): [\(j)] is \(y[j]), want \(clean[j])",
                    sourceLocation: sourceLocation)
        }
    }
}

@Test("unary kernels keep NaN where it was", arguments: [UnaryFunction.relu, .sign, .abs, .negate, .exp, .sigmoid, .tanh, .gelu])
func unaryKernelsPropagateNaN(_ f: UnaryFunction) {
    for n in nanLengths {
        let clean = runUnary(f, sample(n))
        for k in 0..<n {
            expectNaN(runUnary(f, sample(n, nanAt: k)), at: { $0 == k }, elsewhere: clean, "\(f) n=\(n) NaN at \(k)")
        }
    }
    if f == .relu { #expect(runUnary(.relu, [-2, -0.0, 0, 3]).map(\.bitPattern) == [0, 0, 0, Float(3).bitPattern]) }
    if f == .sign { #expect(runUnary(.sign, [-2, -0.0, 0, 3]) == [-1, 0, 0, 1]) }
}

/// `maximum`/`minimum` through each of the row loops: both contiguous, one operand broadcast
/// from a scalar (either side), and both strided; a NaN on either side wins.
@Test("maximum and minimum propagate NaN from either operand", arguments: [BinaryFunction.maximum, .minimum])
func maximumAndMinimumPropagateNaN(_ f: BinaryFunction) {
    func reference(_ a: Float, _ b: Float) -> Float {
        a.isNaN || b.isNaN ? .nan : (f == .maximum ? Swift.max(a, b) : Swift.min(a, b))
    }
    for n in nanLengths {
        let other = sample(n).map { 0.5 - $0 }
        for k in 0..<n {
            let a = sample(n, nanAt: k)
            for (name, x, y) in [("a", a, other), ("b", other, a)] {
                let want = zip(x, y).map(reference)
                var out = [Float](repeating: 0, count: n)
                out.withUnsafeMutableBufferPointer { Elementwise.binary(f, x, y, $0.baseAddress!, count: n) }
                expectNaN(out, at: { want[$0].isNaN }, elsewhere: want, "\(f) contiguous n=\(n) NaN in \(name) at \(k)")
                // Strided: every other element of buffers twice as long.
                let wx: [Float] = x.flatMap { [$0, 99] }, wy: [Float] = y.flatMap { [$0, -99] }
                out.withUnsafeMutableBufferPointer {
                    Elementwise.binary(f, wx, strides: [2], wy, strides: [2], $0.baseAddress!, shape: [n])
                }
                expectNaN(out, at: { want[$0].isNaN }, elsewhere: want, "\(f) strided n=\(n) NaN in \(name) at \(k)")
            }
        }
        // A NaN scalar broadcast over a row, on either side, and a row with a NaN against a scalar.
        for (sa, sb) in [([0], [1]), ([1], [0])] {
            let scalar: [Float] = [.nan], row = sample(n)
            let (x, y) = sa == [0] ? (scalar, row) : (row, scalar)
            var out = [Float](repeating: 0, count: n)
            out.withUnsafeMutableBufferPointer { Elementwise.binary(f, x, strides: sa, y, strides: sb, $0.baseAddress!, shape: [n]) }
            #expect(out.allSatisfy { $0.isNaN }, "\(f) NaN scalar broadcast with strides \(sa), \(sb)")
            for k in 0..<n {
                let (x, y): ([Float], [Float]) = sa == [0] ? ([1], sample(n, nanAt: k)) : (sample(n, nanAt: k), [1])
                let want = (0..<n).map { reference(x[sa == [0] ? 0 : $0], y[sb == [0] ? 0 : $0]) }
                out.withUnsafeMutableBufferPointer { Elementwise.binary(f, x, strides: sa, y, strides: sb, $0.baseAddress!, shape: [n]) }
                expectNaN(out, at: { $0 == k }, elsewhere: want, "\(f) broadcast \(sa), \(sb) n=\(n) NaN at \(k)")
            }
        }
    }
    // The documented order on ties: the second operand, as Swift.max gives.
    var tie = [Float](repeating: 1, count: 1)
    tie.withUnsafeMutableBufferPointer { Elementwise.binary(f, [0.0], [-0.0], $0.baseAddress!, count: 1) }
    #expect(tie[0].bitPattern == Float(-0.0).bitPattern)
}

@Test func reluGradientPassesTheGradientAtNaN() {
    for n in nanLengths {
        let g = (0..<n).map { Float($0) + 1 }
        let clean = zip(g, sample(n)).map { $1 > 0 ? $0 : 0 }
        for k in 0..<n {
            var dx = [Float](repeating: -1, count: n)
            dx.withUnsafeMutableBufferPointer { Elementwise.binary(.reluGradient, g, sample(n, nanAt: k), $0.baseAddress!, count: n) }
            var want = clean
            want[k] = g[k]
            #expect(dx == want, "n=\(n) NaN at \(k)")
        }
    }
}

/// Max and min along the middle axis, contiguous (inner 1) and across rows (inner 3), and
/// argmax/argmin: a NaN anywhere in a slice makes it NaN and is the index reported.
@Test("max, min, argmax and argmin see NaN", arguments: [ReduceFunction.max, .min])
func reductionsPropagateNaN(_ f: ReduceFunction) {
    for n in nanLengths {
        for k in 0..<n {
            // [outer 2, length n, inner 1]: the NaN in the first slice only.
            let x = sample(n, nanAt: k) + sample(n)
            var out = [Float](repeating: 0, count: 2)
            out.withUnsafeMutableBufferPointer { Reduce.reduce(f, x, outer: 2, length: n, inner: 1, $0.baseAddress!) }
            let extreme = f == .max ? sample(n).max()! : sample(n).min()!
            #expect(out[0].isNaN && out[1] == extreme, "\(f) contiguous n=\(n) NaN at \(k): \(out)")
            // [outer 1, length n, inner 3]: the NaN in the middle column only.
            let rows = (0..<n).flatMap { [sample(n)[$0], sample(n, nanAt: k)[$0], -sample(n)[$0]] }
            var columns = [Float](repeating: 0, count: 3)
            columns.withUnsafeMutableBufferPointer { Reduce.reduce(f, rows, outer: 1, length: n, inner: 3, $0.baseAddress!) }
            let negated = f == .max ? -sample(n).min()! : -sample(n).max()!
            #expect(columns[0] == extreme && columns[1].isNaN && columns[2] == negated, "\(f) rows n=\(n) NaN at \(k): \(columns)")
            // The first NaN wins even with a second one after it.
            var twice = sample(n, nanAt: k)
            if k + 1 < n { twice[k + 1] = .nan }
            var index: [Int64] = [-1]
            index.withUnsafeMutableBufferPointer {
                Reduce.argExtremum(largest: f == .max, twice, outer: 1, length: n, inner: 1, $0.baseAddress!)
            }
            #expect(index == [Int64(k)], "arg\(f) n=\(n) NaN at \(k)")
        }
    }
}

/// Runs `Pooling.maxPool` over one plane with a NaN at each position in turn and checks every
/// window against the loops: NaN where the window holds one (with the index pointing at it),
/// the largest value and its index elsewhere.
func checkMaxPoolPropagatesNaN(_ g: ConvGeometry, sourceLocation: SourceLocation = #_sourceLocation) {
    let plane = g.height * g.width
    let count = g.outputHeight * g.outputWidth
    for k in 0..<plane {
        let x = sample(plane, nanAt: k)
        var out = [Float](repeating: 0, count: count), argmax = [Int](repeating: -7, count: count)
        out.withUnsafeMutableBufferPointer { po in
            argmax.withUnsafeMutableBufferPointer { pa in Pooling.maxPool(x, g, po.baseAddress!, argmax: pa.baseAddress!) }
        }
        for i in 0..<g.outputHeight {
            for j in 0..<g.outputWidth {
                var window: [Int] = []
                for ki in 0..<g.kernelHeight {
                    let y = i * g.strideHeight + ki * g.dilationHeight - g.padTop
                    for kj in 0..<g.kernelWidth {
                        let xx = j * g.strideWidth + kj * g.dilationWidth - g.padLeft
                        if y >= 0 && y < g.height && xx >= 0 && xx < g.width { window.append(y * g.width + xx) }
                    }
                }
                let o = i * g.outputWidth + j
                if window.contains(k) {
                    #expect(out[o].isNaN && argmax[o] == k, "\(g) NaN at \(k), window (\(i), \(j)): \(out[o]) at \(argmax[o])",
                            sourceLocation: sourceLocation)
                } else {
                    let best = window.map { x[$0] }.max()!
                    #expect(out[o] == best && window.contains(argmax[o]) && x[argmax[o]] == best,
                            "\(g) NaN at \(k), window (\(i), \(j))",
                            sourceLocation: sourceLocation)
                }
            }
        }
    }
}

@Test func maxPoolPropagatesNaNOnEveryPath() {
    // The 2x2 stride-2 path (four outputs per step, and the scalar path below four).
    for width in [2, 4, 7, 8, 17] { checkMaxPoolPropagatesNaN(ConvGeometry(batch: 1, channels: 1, height: 4, width: width,
                                                                             kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2)) }
    // Unpadded windows: overlapping 3x3, and 1-D windows (maxPool1d's 1 x k) over rows of every length.
    checkMaxPoolPropagatesNaN(ConvGeometry(batch: 1, channels: 1, height: 5, width: 7, kernelHeight: 3, kernelWidth: 3))
    for n in nanLengths {
        checkMaxPoolPropagatesNaN(ConvGeometry(batch: 1, channels: 1, height: 1, width: n, kernelHeight: 1,
                                               kernelWidth: Swift.min(3, n), strideHeight: 1, strideWidth: 2))
        // Padded: the bounds-checked loop.
        checkMaxPoolPropagatesNaN(ConvGeometry(batch: 1, channels: 1, height: 1, width: n, kernelHeight: 1, kernelWidth: 3,
                                               strideHeight: 1, strideWidth: 1, padLeft: 1, padRight: 1))
    }
    checkMaxPoolPropagatesNaN(ConvGeometry(batch: 1, channels: 1, height: 4, width: 5, kernelHeight: 3, kernelWidth: 3,
                                           padTop: 1, padBottom: 1, padLeft: 1, padRight: 1))
    checkMaxPoolPropagatesNaN(ConvGeometry(batch: 1, channels: 1, height: 6, width: 6, kernelHeight: 2, kernelWidth: 2,
                                           strideHeight: 2, strideWidth: 2, dilationHeight: 2, dilationWidth: 2))
}

/// Softmax rows with a NaN are NaN throughout, on the dispatching kernel (AVX2 where present),
/// the portable row, and along a strided middle axis; rows without one are untouched.
@Test func softmaxRowsWithNaNAreNaN() {
    func softmax(_ x: [Float], outer: Int, length: Int, inner: Int) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        y.withUnsafeMutableBufferPointer { Softmax.forward(x, $0.baseAddress!, outer: outer, length: length, inner: inner) }
        return y
    }
    for n in nanLengths {
        let clean = softmax(sample(n), outer: 1, length: n, inner: 1)
        let cleanStrided = softmax((0..<n).flatMap { [sample(n)[$0], sample(n)[$0]] }, outer: 1, length: n, inner: 2)
        for k in 0..<n {
            let y = softmax(sample(n, nanAt: k) + sample(n), outer: 2, length: n, inner: 1)
            expectNaN(y, at: { $0 < n }, elsewhere: clean + clean, "softmax n=\(n) NaN at \(k)")
            var portable = [Float](repeating: 0, count: n)
            portable.withUnsafeMutableBufferPointer { Softmax.portableRow(sample(n, nanAt: k), $0.baseAddress!, length: n) }
            #expect(portable.allSatisfy { $0.isNaN }, "portable softmax n=\(n) NaN at \(k)")
            #if arch(x86_64)
            if csimd_has_avx2_fma() == 1 {
                var fast = [Float](repeating: 0, count: n)
                fast.withUnsafeMutableBufferPointer { csimd_softmax_row(sample(n, nanAt: k), $0.baseAddress!, n) }
                #expect(fast.allSatisfy { $0.isNaN }, "AVX2 softmax n=\(n) NaN at \(k)")
            }
            #endif
            // [1, n, 2]: the NaN in column 0 only.
            let strided = softmax((0..<n).flatMap { [sample(n, nanAt: k)[$0], sample(n)[$0]] }, outer: 1, length: n, inner: 2)
            #expect(stride(from: 0, to: 2 * n, by: 2).allSatisfy { strided[$0].isNaN }, "strided softmax n=\(n) NaN at \(k)")
            #expect(stride(from: 1, to: 2 * n, by: 2).allSatisfy { strided[$0] == cleanStrided[$0] }, "strided softmax n=\(n) NaN at \(k)")
        }
    }
}

@Test func amsgradKeepsANaNSecondMoment() {
    for n in nanLengths {
        for k in 0..<n {
            var w = [Float](repeating: 1, count: n), m = [Float](repeating: 0, count: n)
            var v = [Float](repeating: 0, count: n), vMax = [Float](repeating: 0.5, count: n)
            // v = 0.001 g² stays below vMax where g is finite; where it is NaN, vMax must become NaN.
            FusedUpdates.adamAMSGrad(
                weights: &w, gradients: sample(n, nanAt: k), firstMoments: &m, secondMoments: &v, maxSecondMoments: &vMax,
                count: n, learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: true,
                correction1: 1, correction2: 1)
            #expect(vMax[k].isNaN && w[k].isNaN, "n=\(n) NaN at \(k)")
            #expect((0..<n).allSatisfy { $0 == k || (vMax[$0] == 0.5 && w[$0].isFinite) }, "n=\(n) NaN at \(k)")
        }
    }
}

#if arch(x86_64)
/// The AVX2 GELU (forward and backward) and the fused LSTM row keep a NaN in its own lane, in
/// full vectors and in the partial last one.
@Test(.enabled(if: csimd_has_avx2_fma() == 1, "the processor has no AVX2 + FMA"))
func avx2RowsPropagateNaN() {
    for n in nanLengths {
        func gelu(_ x: [Float]) -> (y: [Float], dx: [Float]) {
            var (y, dx) = ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
            y.withUnsafeMutableBufferPointer { csimd_gelu(x, $0.baseAddress!, n) }
            dx.withUnsafeMutableBufferPointer { csimd_gelu_backward([Float](repeating: 1, count: n), x, $0.baseAddress!, n) }
            return (y, dx)
        }
        let clean = gelu(sample(n))
        for k in 0..<n {
            let dirty = gelu(sample(n, nanAt: k))
            expectNaN(dirty.y, at: { $0 == k }, elsewhere: clean.y, "AVX2 gelu n=\(n) NaN at \(k)")
            expectNaN(dirty.dx, at: { $0 == k }, elsewhere: clean.dx, "AVX2 gelu backward n=\(n) NaN at \(k)")
            // A NaN in the input gate's pre-activation at unit k: h and c NaN at k only.
            var xp = (0..<(4 * n)).map { Float(($0 * 5) % 9) / 4 - 1 }
            xp[k] = .nan
            var (z, h, c) = ([Float](repeating: 0.1, count: 5 * n), [Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
            z.withUnsafeMutableBufferPointer { z in h.withUnsafeMutableBufferPointer { h in c.withUnsafeMutableBufferPointer { c in
                csimd_lstm_forward_row(z.baseAddress!, xp, sample(n), h.baseAddress!, c.baseAddress!, n)
            } } }
            #expect((0..<n).allSatisfy { h[$0].isNaN == ($0 == k) && c[$0].isNaN == ($0 == k) }, "AVX2 LSTM n=\(n) NaN at \(k)")
        }
    }
}
#endif
