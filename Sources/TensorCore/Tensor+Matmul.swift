/// The matrix product, with PyTorch's rules for ranks: 1-D operands are vectors, and leading
/// (batch) dimensions broadcast.
///
/// Shape: `[..., m, k] x [..., k, n] -> [..., m, n]`.
///
/// ```swift
/// let y = matmul(x, w)   // [32, 784] x [784, 10] -> [32, 10]
/// ```
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    matmul(a, b, transposeA: false, transposeB: false)
}

/// `matmul` with the last two axes of `a` and/or `b` transposed, without copying them.
///
/// Shape: `op(a)` is `[..., m, k]` and `op(b)` is `[..., k, n]`; the result is `[..., m, n]`.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
    a.requireFloat("matmul")
    b.requireFloat("matmul")
    require(a.rank >= 1 && b.rank >= 1, "matmul: operands must have rank >= 1, got \(a.shape) and \(b.shape)")
    if a.rank == 1 && b.rank == 1 {
        // Two vectors: their dot product, a scalar (as in PyTorch).
        require(a.shape == b.shape, "matmul: \(a.shape) x \(b.shape): vectors of different lengths")
        return matmul(a.unsqueezed(at: 0), b.unsqueezed(at: 1)).reshaped(to: [])
    }
    if a.rank == 1 { return matmul(a.unsqueezed(at: 0), b, transposeA: false, transposeB: transposeB).squeezed(at: -2) }
    if b.rank == 1 { return matmul(a, b.unsqueezed(at: 1), transposeA: transposeA, transposeB: false).squeezed(at: -1) }
    let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    let (m, k) = transposeA ? (ac, ar) : (ar, ac)
    let (kb, n) = transposeB ? (bc, br) : (br, bc)
    require(
        k == kb,
        "matmul: \(a.shape)\(transposeA ? "ᵀ" : "") x \(b.shape)\(transposeB ? "ᵀ" : ""): inner dimensions \(k) and \(kb) differ")
    if b.rank == 2 && (a.rank == 2 || !transposeA) {
        // A stack of rows times one matrix is a single large product.
        let rows = a.rank == 2 ? a : a.reshaped(to: [-1, k])
        var y = Kernels.matmul(rows, b, transposeA, transposeB)
        y.record(.matmul(rows, b, transposeA: transposeA, transposeB: transposeB), if: rows.node != nil || b.node != nil)
        return a.rank == 2 ? y : y.reshaped(to: Shape(Array(a.shape.dimensions.dropLast()) + [n]))
    }
    let batchA = Shape(Array(a.shape.dimensions.dropLast(2)))
    let batchB = Shape(Array(b.shape.dimensions.dropLast(2)))
    let batch = Shape.broadcast(batchA, batchB, op: "matmul")
    let lhs = a.expanded(to: Shape(batch.dimensions + [ar, ac])).reshaped(to: [-1, ar, ac])
    let rhs = b.expanded(to: Shape(batch.dimensions + [br, bc])).reshaped(to: [-1, br, bc])
    var y = Kernels.matmul(lhs, rhs, transposeA, transposeB)
    y.record(.matmul(lhs, rhs, transposeA: transposeA, transposeB: transposeB), if: lhs.node != nil || rhs.node != nil)
    return y.reshaped(to: Shape(batch.dimensions + [m, n]))
}

/// `x @ weightᵀ + bias`, PyTorch's `linear` with the weight stored `[out, in]`.
///
/// Shape: x `[..., in]`, weight `[out, in]`, bias `[out]` -> `[..., out]`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    let y = matmul(x, weight, transposeA: false, transposeB: true)
    return bias.map { y + $0 } ?? y
}

extension Tensor {
    /// `matmul(self, other)`.
    public func matmul(_ other: Tensor) -> Tensor { TensorCore.matmul(self, other) }
}
