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
