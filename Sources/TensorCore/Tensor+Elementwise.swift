import CPUBackend

// MARK: Primitive plumbing

@inline(__always)
func unaryOp(_ f: UnaryFunction, _ x: Tensor, _ name: StaticString) -> Tensor {
    x.requireFloat(name)
    var y = Kernels.unary(f, x)
    y.record(.unary(f, x), if: x.node != nil && f != .sign)
    return y
}

@inline(__always)
func binaryOp(_ f: BinaryFunction, _ a: Tensor, _ b: Tensor, _ name: StaticString) -> Tensor {
    a.requireFloat(name)
    b.requireFloat(name)
    var y = Kernels.binary(f, a, b, op: name)
    y.record(.binary(f, a, b), if: a.node != nil || b.node != nil)
    return y
}

/// Comparisons read integer tensors as floats (exact for |values| < 2²⁴) and are not recorded.
@inline(__always)
func compareOp(_ f: BinaryFunction, _ a: Tensor, _ b: Tensor, _ name: StaticString) -> Tensor {
    Kernels.binary(f, a.converted(to: .float32), b.converted(to: .float32), op: name)
}

// MARK: Arithmetic operators (NumPy broadcasting)

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { binaryOp(.add, a, b, "+") }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binaryOp(.subtract, a, b, "-") }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binaryOp(.multiply, a, b, "*") }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binaryOp(.divide, a, b, "/") }

    public static func + (a: Tensor, b: Float) -> Tensor { a + Tensor(b) }
    public static func - (a: Tensor, b: Float) -> Tensor { a - Tensor(b) }
    public static func * (a: Tensor, b: Float) -> Tensor { a * Tensor(b) }
    public static func / (a: Tensor, b: Float) -> Tensor { a / Tensor(b) }
    public static func + (a: Float, b: Tensor) -> Tensor { Tensor(a) + b }
    public static func - (a: Float, b: Tensor) -> Tensor { Tensor(a) - b }
    public static func * (a: Float, b: Tensor) -> Tensor { Tensor(a) * b }
    public static func / (a: Float, b: Tensor) -> Tensor { Tensor(a) / b }

    public static prefix func - (x: Tensor) -> Tensor { unaryOp(.negate, x, "negate") }

    /// `x += y` and friends: `x = x + y` while recording; under `withoutGradients` they write
    /// into `x`'s storage and keep it on the tape, like PyTorch's in-place updates of weights.
    public static func += (a: inout Tensor, b: Tensor) { a.update(.add, b, "+=") }
    public static func -= (a: inout Tensor, b: Tensor) { a.update(.subtract, b, "-=") }
    public static func *= (a: inout Tensor, b: Tensor) { a.update(.multiply, b, "*=") }
    public static func /= (a: inout Tensor, b: Tensor) { a.update(.divide, b, "/=") }
    public static func += (a: inout Tensor, b: Float) { a.update(.add, Tensor(b), "+=") }
    public static func -= (a: inout Tensor, b: Float) { a.update(.subtract, Tensor(b), "-=") }
    public static func *= (a: inout Tensor, b: Float) { a.update(.multiply, Tensor(b), "*=") }
    public static func /= (a: inout Tensor, b: Float) { a.update(.divide, Tensor(b), "/=") }

    private mutating func update(_ f: BinaryFunction, _ b: Tensor, _ name: StaticString) {
        if GradMode.isEnabled && (node != nil || b.node != nil) {
            require(
                !(node != nil && isLeaf),
                "\(name): in-place update of a leaf that requires gradients; do it inside withoutGradients { }")
            self = binaryOp(f, self, b, name)
            return
        }
        requireFloat(name)
        b.requireFloat(name)
        let result = Shape.broadcast(shape, b.shape, op: "\(name)")
        require(result == shape, "\(name): cannot write shape \(result) into a tensor of shape \(shape)")
        makeStorageUnique()
        Kernels.binaryInPlace(f, self, b)
    }

    /// `self * self`.
    public func squared() -> Tensor { self * self }
}

// MARK: Comparisons (float masks: 1 where true, 0 where false; not differentiable)

extension Tensor {
    public static func .== (a: Tensor, b: Tensor) -> Tensor { compareOp(.equal, a, b, ".==") }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { compareOp(.notEqual, a, b, ".!=") }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { compareOp(.less, a, b, ".<") }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { compareOp(.lessEqual, a, b, ".<=") }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { compareOp(.greater, a, b, ".>") }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { compareOp(.greaterEqual, a, b, ".>=") }
    public static func .== (a: Tensor, b: Float) -> Tensor { a .== Tensor(b) }
    public static func .!= (a: Tensor, b: Float) -> Tensor { a .!= Tensor(b) }
    public static func .< (a: Tensor, b: Float) -> Tensor { a .< Tensor(b) }
    public static func .<= (a: Tensor, b: Float) -> Tensor { a .<= Tensor(b) }
    public static func .> (a: Tensor, b: Float) -> Tensor { a .> Tensor(b) }
    public static func .>= (a: Tensor, b: Float) -> Tensor { a .>= Tensor(b) }
}

// MARK: Elementwise math

/// e^x, elementwise.
public func exp(_ x: Tensor) -> Tensor { unaryOp(.exp, x, "exp") }
/// Natural logarithm, elementwise.
public func log(_ x: Tensor) -> Tensor { unaryOp(.log, x, "log") }
/// ln(1 + x), accurate for small x.
public func log1p(_ x: Tensor) -> Tensor { unaryOp(.log1p, x, "log1p") }
/// Square root, elementwise.
public func sqrt(_ x: Tensor) -> Tensor { unaryOp(.sqrt, x, "sqrt") }
/// 1 / √x, elementwise.
public func rsqrt(_ x: Tensor) -> Tensor { 1 / sqrt(x) }
public func sin(_ x: Tensor) -> Tensor { unaryOp(.sin, x, "sin") }
public func cos(_ x: Tensor) -> Tensor { unaryOp(.cos, x, "cos") }
public func tanh(_ x: Tensor) -> Tensor { unaryOp(.tanh, x, "tanh") }
/// The Gauss error function.
public func erf(_ x: Tensor) -> Tensor { unaryOp(.erf, x, "erf") }
/// |x|, elementwise (gradient sign(x): 0 at 0, NaN at NaN, where PyTorch's is 0).
public func abs(_ x: Tensor) -> Tensor { unaryOp(.abs, x, "abs") }
/// -1, 0 or 1 by the sign of each element, NaN for NaN (as NumPy; PyTorch gives 0, its open
/// issue 41245); not differentiable.
public func sign(_ x: Tensor) -> Tensor { unaryOp(.sign, x, "sign") }

/// aᵇ, elementwise with broadcasting.
public func pow(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.pow, a, b, "pow") }
/// aᵇ for a scalar exponent.
public func pow(_ a: Tensor, _ b: Float) -> Tensor { pow(a, Tensor(b)) }
/// The larger of each pair (NaN wins, and both inputs of a NaN pair take the gradient; ties
/// share it).
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.maximum, a, b, "maximum") }
/// The smaller of each pair (NaN wins, as in `maximum`; ties share the gradient).
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.minimum, a, b, "minimum") }
public func maximum(_ a: Tensor, _ b: Float) -> Tensor { maximum(a, Tensor(b)) }
public func minimum(_ a: Tensor, _ b: Float) -> Tensor { minimum(a, Tensor(b)) }

/// Elements of `a` where `condition` is non-zero, of `b` elsewhere (PyTorch's `where`).
///
/// Shape: the broadcast of the three shapes.
public func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    a.requireFloat("select")
    b.requireFloat("select")
    let c = condition.converted(to: .float32)
    var y = Kernels.conditional(c, a, b)
    y.record(.conditional(condition: c, a, b), if: a.node != nil || b.node != nil)
    return y
}

extension Tensor {
    /// Each element limited to `[min, max]`; NaN stays NaN. The gradient passes where the input
    /// is within the bounds, at exactly a bound, and at NaN (PyTorch passes none at a bound or
    /// at NaN: a documented convention of `OpInfoTests`).
    public func clamped(min lower: Float? = nil, max upper: Float? = nil) -> Tensor {
        var y = self
        if let lower { y = maximum(y, lower) }
        if let upper { y = minimum(y, upper) }
        return y
    }
}
