/// The matrix product, with PyTorch's rules for ranks: 1-D operands are vectors, and leading
/// (batch) dimensions broadcast.
///
/// Shape: `[..., m, k] x [..., k, n] -> [..., m, n]`.
///
/// ```swift
/// let y = matmul(x, w)   // [32, 784] x [784, 10] -> [32, 10]
/// ```
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    a.requireFloat("matmul")
    b.requireFloat("matmul")
    precondition(a.rank >= 1 && b.rank >= 1, "matmul: operands must have rank >= 1, got \(a.shape) and \(b.shape)")
    if a.rank == 1 { return matmul(a.unsqueezed(at: 0), b).squeezed(at: -2) }
    if b.rank == 1 { return matmul(a, b.unsqueezed(at: 1)).squeezed(at: -1) }
    let k = a.shape[a.rank - 1]
    precondition(
        k == b.shape[b.rank - 2],
        "matmul: \(a.shape) x \(b.shape): inner dimensions \(k) and \(b.shape[b.rank - 2]) differ")
    let m = a.shape[a.rank - 2], n = b.shape[b.rank - 1]
    if b.rank == 2 {
        // A stack of rows times one matrix is a single large product.
        let rows = a.rank == 2 ? a : a.reshaped(to: [-1, k])
        var y = Kernels.matmul(rows, b, transposeA: false, transposeB: false)
        y.record(.matmul(rows, b), if: rows.node != nil || b.node != nil)
        return a.rank == 2 ? y : y.reshaped(to: Shape(Array(a.shape.dimensions.dropLast()) + [n]))
    }
    let batchA = Shape(Array(a.shape.dimensions.dropLast(2)))
    let batchB = Shape(Array(b.shape.dimensions.dropLast(2)))
    let batch = Shape.broadcast(batchA, batchB, op: "matmul")
    let lhs = a.expanded(to: Shape(batch.dimensions + [m, k])).reshaped(to: [-1, m, k])
    let rhs = b.expanded(to: Shape(batch.dimensions + [k, n])).reshaped(to: [-1, k, n])
    var y = Kernels.matmul(lhs, rhs, transposeA: false, transposeB: false)
    y.record(.matmul(lhs, rhs), if: lhs.node != nil || rhs.node != nil)
    return y.reshaped(to: Shape(batch.dimensions + [m, n]))
}

extension Tensor {
    /// `matmul(self, other)`.
    public func matmul(_ other: Tensor) -> Tensor { TensorCore.matmul(self, other) }
}
