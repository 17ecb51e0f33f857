import Foundation
import Testing
@testable import CPUBackend

/// The vector exp, sigmoid and tanh against double-precision libm over a sweep of inputs,
/// including the edges: under- and overflow, the switch between tanh's two formulas, NaN.
@Test("vector math matches double precision", arguments: ["exp", "sigmoid", "tanh"])
func vectorMathMatchesDoublePrecision(_ name: String) {
    var inputs = stride(from: -100.0, through: 100.0, by: 0.0137).map(Float.init)
    inputs += [0, -0, 1e-8, -1e-8, 0.6249, 0.625, -0.6251, 88.7, 88.8, -87.4, -104, .infinity, -.infinity]
    func exact(_ x: Double) -> Double {
        switch name {
        case "exp": return Foundation.exp(x)
        case "sigmoid": return 1 / (1 + Foundation.exp(-x))
        default: return Foundation.tanh(x)
        }
    }
    var output = [Float](repeating: 0, count: inputs.count + 1)
    let all = inputs + [.nan]
    all.withUnsafeBufferPointer { x in
        output.withUnsafeMutableBufferPointer { y in
            switch name {
            case "exp": VectorMath.map(all.count, x.baseAddress!, y.baseAddress!, VectorMath.exp)
            case "sigmoid": VectorMath.map(all.count, x.baseAddress!, y.baseAddress!, VectorMath.sigmoid)
            default: VectorMath.map(all.count, x.baseAddress!, y.baseAddress!, VectorMath.tanh)
            }
        }
    }
    for (x, y) in zip(inputs, output) {
        let want = Float(exact(Double(x)))
        if want.isInfinite || want == 0 {
            #expect(y == want, "\(name)(\(x)) = \(y), want \(want)")
        } else {
            #expect(Swift.abs(y - want) <= 4 * want.ulp, "\(name)(\(x)) = \(y), want \(want)")
        }
    }
    #expect(output.last!.isNaN)
}

/// The vector GELU and its derivative against double precision (x Φ(x), with Φ from libm's
/// erfc so the lower tail is exact too), over a sweep that reaches far into both tails.
@Test("vector GELU matches double precision", arguments: ["gelu", "geluDerivative"])
func vectorGELUMatchesDoublePrecision(_ name: String) {
    let inputs = stride(from: -15.0, through: 15.0, by: 0.0071).map(Float.init) + [0, -0, 1e-8, -1e-8, 40, -40]
    func exact(_ x: Double) -> Double {
        let cdf = 0.5 * Foundation.erfc(-x / 2.0.squareRoot())
        return name == "gelu" ? x * cdf : cdf + x * Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
    }
    var output = [Float](repeating: 0, count: inputs.count + 1)
    let all = inputs + [.nan]
    all.withUnsafeBufferPointer { x in
        output.withUnsafeMutableBufferPointer { y in
            VectorMath.map(all.count, x.baseAddress!, y.baseAddress!, name == "gelu" ? VectorMath.gelu : VectorMath.geluDerivative)
        }
    }
    for (x, y) in zip(inputs, output) {
        let want = exact(Double(x))
        // Relative in the tails (where Φ is tiny), a few float roundings elsewhere.
        #expect(Swift.abs(Double(y) - want) <= 2e-5 * Swift.abs(want) + 1e-7, "\(name)(\(x)) = \(y), want \(want)")
    }
    #expect(output.last!.isNaN)
}

/// GELU's gradient with a broadcast gradient (the scalar libm path) against the same gradient
/// repeated in full (the vector path, checked against double precision above).
@Test func broadcastGELUGradientMatchesTheContiguousOne() {
    let x = stride(from: -9.0, through: 9.0, by: 0.37).map(Float.init)
    let g: Float = 1.5
    var (contiguous, broadcast) = ([Float](repeating: 0, count: x.count), [Float](repeating: 0, count: x.count))
    contiguous.withUnsafeMutableBufferPointer {
        Elementwise.binary(.geluGradient, [Float](repeating: g, count: x.count), x, $0.baseAddress!, count: x.count)
    }
    broadcast.withUnsafeMutableBufferPointer {
        Elementwise.binary(.geluGradient, [g], strides: [0], x, strides: [1], $0.baseAddress!, shape: [x.count])
    }
    for k in x.indices {
        #expect(Swift.abs(broadcast[k] - contiguous[k]) <= 1e-5 * Swift.max(1, Swift.abs(contiguous[k])),
                "at \(x[k]): \(broadcast[k]) vs \(contiguous[k])")
    }
}
