import CPUBackend

/// max(x, 0); NaN stays NaN (and its gradient passes through, as in PyTorch).
public func relu(_ x: Tensor) -> Tensor { unaryOp(.relu, x, "relu") }

/// 1 / (1 + e⁻ˣ), computed without overflow.
public func sigmoid(_ x: Tensor) -> Tensor { unaryOp(.sigmoid, x, "sigmoid") }

/// x where x > 0, `negativeSlope * x` elsewhere (PyTorch's default slope 0.01).
public func leakyRelu(_ x: Tensor, negativeSlope: Float = 0.01) -> Tensor {
    select(x .> 0, x, x * negativeSlope)
}

/// `alpha * (eˣ - 1)` where x <= 0, x elsewhere (NaN included, whose gradient passes, as in
/// PyTorch); the derivative at 0 is `alpha`, PyTorch's.
public func elu(_ x: Tensor, alpha: Float = 1) -> Tensor {
    // The exponential's argument is x where it is used and 0 elsewhere: the unused branch must
    // stay finite or its zero gradient becomes NaN, and at x = 0 it must pass the whole gradient
    // (a `minimum(x, 0)` would split it at the tie).
    let isNegative = x .<= 0
    return select(isNegative, alpha * (exp(select(isNegative, x, Tensor(0))) - 1), x)
}

/// Gaussian error linear unit: x Φ(x) exactly (PyTorch's default), or its tanh approximation.
/// The exact form's gradient at +inf is 1, its limit (PyTorch's formula gives inf · 0 = NaN).
public func gelu(_ x: Tensor, approximate: Bool = false) -> Tensor {
    if approximate {
        let c = (2 / Float.pi).squareRoot()
        return 0.5 * x * (1 + tanh(c * (x + 0.044715 * x * x * x)))
    }
    return unaryOp(.gelu, x, "gelu")
}

/// ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^-|x|) so that it never overflows; its
/// derivative is σ(x) everywhere, 0.5 at 0 (a composition of relu and abs would give their
/// subgradients' 0 there).
public func softplus(_ x: Tensor) -> Tensor { Tensor.custom(Softplus(), [x]) }

/// `softplus` as one op with the exact derivative.
struct Softplus: CustomOp {
    var name: String { "softplus" }
    func forward(_ inputs: [Tensor]) -> Tensor { relu(inputs[0]) + log1p(exp(-abs(inputs[0]))) }
    func gradients(_ g: Tensor, inputs: [Tensor], output: Tensor) -> [Tensor?] { [g * sigmoid(inputs[0])] }
}

/// eˣ / Σ eˣ along `axis`, shifted by the maximum for stability; one primitive, whose backward
/// pass is `y (g - Σ g y)`.
///
/// Shape: same as `x`.
public func softmax(_ x: Tensor, along axis: Int = -1) -> Tensor {
    x.requireFloat("softmax")
    let axis = x.shape.axis(axis, op: "softmax")
    var y = Kernels.softmax(x, axis: axis)
    y.record(.softmax(x, axis: axis), if: x.node != nil)
    return y
}

/// log(softmax(x)) along `axis`, computed as x - logsumexp(x) for stability.
///
/// Shape: same as `x`.
public func logSoftmax(_ x: Tensor, along axis: Int = -1) -> Tensor {
    x - x.logSumExp(along: axis, keepingDims: true)
}
