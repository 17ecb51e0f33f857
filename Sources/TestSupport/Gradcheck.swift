import TensorCore

/// The outcome of comparing backward-mode gradients with central finite differences.
public struct GradcheckResult: CustomStringConvertible, Sendable {
    /// The largest `|numerical - analytical| / (absoluteTolerance + relativeTolerance * |numerical|)`;
    /// at most 1 means every element agrees within tolerance. Infinite where either gradient
    /// holds a NaN or an infinity.
    public let worstRatio: Double
    /// Which input and element gave `worstRatio`, with both values.
    public let worst: String
    public var passed: Bool { worstRatio <= 1 }
    public var description: String { "\(passed ? "passed" : "FAILED"): worst \(worst) (ratio \(worstRatio))" }
}

/// Checks the gradients `backward()` gives for `f` at `inputs` against central differences.
///
/// The output is reduced to a scalar with fixed random weights so that every output element
/// matters; that scalar is accumulated in double precision, which keeps the finite differences
/// accurate even though `f` itself runs in float32. Integer inputs are passed through unchanged.
public func gradcheck(
    _ f: ([Tensor]) -> Tensor, at inputs: [Tensor], epsilon: Float = 1e-2,
    absoluteTolerance: Double = 1e-3, relativeTolerance: Double = 1e-2, seed: UInt64 = 7
) -> GradcheckResult {
    let leaves = inputs.map { x -> Tensor in
        var leaf = x.detached()
        if x.dtype == .float32 { leaf.requiresGrad = true }
        return leaf
    }
    let output = f(leaves)
    var rng = RandomGenerator(seed: seed)
    let weights = Tensor.uniform(output.shape, low: 0.5, high: 1.5, using: &rng)
        * sign(Tensor.uniform(output.shape, low: -1, high: 1, using: &rng))
    if output.requiresGrad { (output * weights).sum().backward() }
    let w = weights.scalars.map(Double.init)

    func objective(_ xs: [Tensor]) -> Double {
        let y = withoutGradients { f(xs) }.scalars
        var total = 0.0
        for (value, weight) in zip(y, w) { total += Double(value) * weight }
        return total
    }

    var worstRatio = 0.0
    var worst = "none"
    for (i, input) in inputs.enumerated() where input.dtype == .float32 {
        let analytical = leaves[i].grad?.scalars ?? [Float](repeating: 0, count: input.scalarCount)
        let original = input.scalars
        for j in 0..<input.scalarCount {
            var xs = inputs.map { $0.detached() }
            let hi = original[j] + epsilon, lo = original[j] - epsilon
            xs[i].withUnsafeMutableBufferPointer { $0[j] = hi }
            let up = objective(xs)
            xs[i].withUnsafeMutableBufferPointer { $0[j] = lo }
            let down = objective(xs)
            let numerical = (up - down) / (Double(hi) - Double(lo))
            let error = Swift.abs(numerical - Double(analytical[j]))
            // A NaN or infinity on either side is a failure (NaN would compare false with everything).
            let ratio = numerical.isFinite && analytical[j].isFinite
                ? error / (absoluteTolerance + relativeTolerance * Swift.abs(numerical)) : .infinity
            if ratio > worstRatio {
                worstRatio = ratio
                worst = "input \(i) element \(j): numerical \(numerical), analytical \(analytical[j])"
            }
        }
    }
    return GradcheckResult(worstRatio: worstRatio, worst: worst)
}
