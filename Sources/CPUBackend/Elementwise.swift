import CSIMD

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pointwise functions of one argument.
public enum UnaryFunction: Sendable, Hashable {
    /// `relu` is `max(x, 0)` and `sign` is -1, 0 or 1; both keep NaN (as PyTorch's `relu` and
    /// NumPy's `sign` do).
    case negate, exp, log, log1p, sqrt, sin, cos, tanh, sigmoid, abs, relu, erf, sign
    /// `x Φ(x) = x (1 + erf(x/√2)) / 2`, the exact GELU, in one sweep.
    case gelu
}

/// Pointwise functions of two arguments; comparisons give 1 where true and 0 where false.
public enum BinaryFunction: Sendable, Hashable {
    case add, subtract, multiply, divide, pow, maximum, minimum
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    /// `b <= 0 ? 0 : a`: ReLU's backward pass in one sweep (a is the gradient, b the input); a NaN
    /// input lets the gradient through, as PyTorch's `threshold_backward` does.
    case reluGradient
    /// `a (Φ(b) + b φ(b))`: GELU's backward pass in one sweep (a is the gradient, b the input).
    case geluGradient
}

/// Elementwise kernels over contiguous float buffers; large buffers are split over the cores.
public enum Elementwise {
    /// `output[i] = f(input[i])` for `i` in `0..<count`.
    public static func unary(
        _ f: UnaryFunction, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        Parallel.forChunks(of: count, grain: f.isCheap ? Parallel.defaultGrain : 4096) { range in
            let x = input + range.lowerBound
            let y = output + range.lowerBound
            let n = range.count
            switch f {
            case .negate: map(n, x, y) { -$0 }
            case .exp: VectorMath.map(n, x, y, VectorMath.exp)
            case .log: map(n, x, y) { logf($0) }
            case .log1p: map(n, x, y) { log1pf($0) }
            case .sqrt: map(n, x, y) { $0.squareRoot() }
            case .sin: map(n, x, y) { sinf($0) }
            case .cos: map(n, x, y) { cosf($0) }
            case .tanh: VectorMath.map(n, x, y, VectorMath.tanh)
            case .sigmoid: VectorMath.map(n, x, y, VectorMath.sigmoid)
            case .abs: map(n, x, y) { Swift.abs($0) }
            // `<=` is false for NaN, which passes through; -0 becomes +0 as before.
            case .relu: map(n, x, y) { $0 <= 0 ? 0 : $0 }
            case .erf: map(n, x, y) { erff($0) }
            case .sign: map(n, x, y) { $0 > 0 ? 1 : ($0 < 0 ? -1 : ($0 == 0 ? 0 : $0)) }
            case .gelu:
                #if arch(x86_64)
                if VectorMath.usesAVX2 { csimd_gelu(x, y, n); break }
                #endif
                VectorMath.map(n, x, y, VectorMath.gelu)
            }
        }
    }

    @inline(__always)
    static func map(
        _ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ f: (Float) -> Float
    ) {
        for i in 0..<n { y[i] = f(x[i]) }
    }

    /// `output[i] = f(a[i], b[i])` for operands of one shape, with no stride bookkeeping: the
    /// common case, and the one that decides the overhead of small ops.
    public static func binary(
        _ f: BinaryFunction, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ output: UnsafeMutablePointer<Float>, count: Int
    ) {
        if count <= Parallel.defaultGrain {
            row(f, count, a, 1, b, 1, output)
            return
        }
        Parallel.forChunks(of: count) { r in
            row(f, r.count, a + r.lowerBound, 1, b + r.lowerBound, 1, output + r.lowerBound)
        }
    }

    /// `output = f(a, b)` with NumPy broadcasting, given each operand's strides over `shape`
    /// (0 along broadcast dimensions). `output` is contiguous with `shape`.
    public static func binary(
        _ f: BinaryFunction, _ a: UnsafePointer<Float>, strides aStrides: [Int],
        _ b: UnsafePointer<Float>, strides bStrides: [Int],
        _ output: UnsafeMutablePointer<Float>, shape: [Int]
    ) {
        let count = shape.reduce(1, *)
        if count == 0 { return }
        var (dims, sa, sb) = StridedRows.coalesce(shape, aStrides, bStrides)
        let inner = dims.removeLast(), ia = sa.removeLast(), ib = sb.removeLast()
        let outer = count / inner
        // Split over rows of the innermost dimension, or within it when there is one row.
        if outer == 1 {
            Parallel.forChunks(of: inner) { r in
                row(f, r.count, a + r.lowerBound * ia, ia, b + r.lowerBound * ib, ib, output + r.lowerBound)
            }
            return
        }
        Parallel.forChunks(of: outer, grain: max(1, Parallel.defaultGrain / inner)) { rows in
            StridedRows.forEach(rows, outer: dims, sa, sb) { r, offA, offB in
                row(f, inner, a + offA, ia, b + offB, ib, output + r * inner)
            }
        }
    }

    @inline(__always)
    static func row(
        _ f: BinaryFunction, _ n: Int, _ a: UnsafePointer<Float>, _ sa: Int,
        _ b: UnsafePointer<Float>, _ sb: Int, _ y: UnsafeMutablePointer<Float>
    ) {
        switch f {
        case .add: zip(n, a, sa, b, sb, y) { $0 + $1 }
        case .subtract: zip(n, a, sa, b, sb, y) { $0 - $1 }
        case .multiply: zip(n, a, sa, b, sb, y) { $0 * $1 }
        case .divide: zip(n, a, sa, b, sb, y) { $0 / $1 }
        case .pow: zip(n, a, sa, b, sb, y) { powf($0, $1) }
        case .maximum: zip(n, a, sa, b, sb, y, Float.propagatingMaximum)
        case .minimum: zip(n, a, sa, b, sb, y, Float.propagatingMinimum)
        case .equal: zip(n, a, sa, b, sb, y) { $0 == $1 ? 1 : 0 }
        case .notEqual: zip(n, a, sa, b, sb, y) { $0 != $1 ? 1 : 0 }
        case .less: zip(n, a, sa, b, sb, y) { $0 < $1 ? 1 : 0 }
        case .lessEqual: zip(n, a, sa, b, sb, y) { $0 <= $1 ? 1 : 0 }
        case .greater: zip(n, a, sa, b, sb, y) { $0 > $1 ? 1 : 0 }
        case .greaterEqual: zip(n, a, sa, b, sb, y) { $0 >= $1 ? 1 : 0 }
        case .reluGradient: zip(n, a, sa, b, sb, y) { $1 <= 0 ? 0 : $0 }
        case .geluGradient:
            if sa == 1 && sb == 1 {
                #if arch(x86_64)
                if VectorMath.usesAVX2 { csimd_gelu_backward(a, b, y, n); break }
                #endif
                VectorMath.map(n, a, b, y) { $0 * VectorMath.geluDerivative($1) }
            } else {
                // Broadcast operands (gradients share their input's shape, so autodiff never
                // comes here): one scalar at a time through libm.
                zip(n, a, sa, b, sb, y) { g, x in
                    g * (0.5 * erfcf(-x * 0.70710678118654752) + x * 0.39894228040143268 * expf(-0.5 * x * x))
                }
            }
        }
    }

    /// One row with each operand's stride being 1 (contiguous), 0 (broadcast) or anything else.
    /// The first three cases are separate loops so that the compiler vectorizes them.
    @inline(__always)
    static func zip(
        _ n: Int, _ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>, _ sb: Int,
        _ y: UnsafeMutablePointer<Float>, _ f: (Float, Float) -> Float
    ) {
        if sa == 1 && sb == 1 {
            for i in 0..<n { y[i] = f(a[i], b[i]) }
        } else if sa == 1 && sb == 0 {
            let s = b[0]
            for i in 0..<n { y[i] = f(a[i], s) }
        } else if sa == 0 && sb == 1 {
            let s = a[0]
            for i in 0..<n { y[i] = f(s, b[i]) }
        } else {
            for i in 0..<n { y[i] = f(a[i * sa], b[i * sb]) }
        }
    }

    /// `output[i] = condition[i] != 0 ? a[i] : b[i]`, broadcasting like `binary`.
    public static func conditional(
        _ condition: UnsafePointer<Float>, strides cs: [Int], _ a: UnsafePointer<Float>,
        strides sa: [Int], _ b: UnsafePointer<Float>, strides sb: [Int],
        _ output: UnsafeMutablePointer<Float>, shape: [Int]
    ) {
        let count = shape.reduce(1, *)
        if count == 0 { return }
        // Each operand laid out like the output or a single broadcast value (leaky ReLU, the
        // gradients of select and clamp): one flat loop, split over the cores.
        var contiguous = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { contiguous[d] = contiguous[d + 1] * shape[d + 1] }
        func step(_ s: [Int]) -> Int? { s == contiguous ? 1 : s.allSatisfy { $0 == 0 } ? 0 : nil }
        if let kc = step(cs), let ka = step(sa), let kb = step(sb) {
            Parallel.forChunks(of: count) { r in
                for i in r { output[i] = condition[i &* kc] != 0 ? a[i &* ka] : b[i &* kb] }
            }
            return
        }
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<count {
            var oc = 0, oa = 0, ob = 0
            for d in 0..<shape.count {
                oc += index[d] * cs[d]
                oa += index[d] * sa[d]
                ob += index[d] * sb[d]
            }
            output[i] = condition[oc] != 0 ? a[oa] : b[ob]
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }
}

extension Float {
    /// The larger of `a` and `b`, NaN when either is (PyTorch's `maximum`): `Swift.max` and
    /// `a > b ? a : b` return the other operand when one is NaN. Ties give `b`, as `Swift.max` does.
    @inline(__always)
    static func propagatingMaximum(_ a: Float, _ b: Float) -> Float { a.isNaN || a > b ? a : b }

    /// The smaller of `a` and `b`, NaN when either is (PyTorch's `minimum`).
    @inline(__always)
    static func propagatingMinimum(_ a: Float, _ b: Float) -> Float { a.isNaN || a < b ? a : b }
}

extension UnaryFunction {
    /// Whether the function is a few instructions (worth threading only for large buffers).
    var isCheap: Bool {
        switch self {
        case .negate, .sqrt, .abs, .relu, .sign: return true
        default: return false
        }
    }
}
