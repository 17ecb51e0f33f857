import CPUBackend

extension Kernels {
    /// The most rows of a product computed by one BLAS call (for weights that fit in cache):
    /// `HalvingTree.productLeaf`, so that a batch's leaves line up with the blocks.
    static let rowBlock = HalvingTree.productLeaf

    /// `op(a) @ op(b)` for rank-2 operands, or rank-3 ones with equal batch sizes.
    static func matmul(_ a: Tensor, _ b: Tensor, _ transposeA: Bool, _ transposeB: Bool) -> Tensor {
        let batch = a.rank == 3 ? a.shape[0] : 1
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let m = transposeA ? ac : ar, k = transposeA ? ar : ac
        let n = transposeB ? br : bc
        let out = a.device.allocate(.float32, count: batch * m * n)
        switch a.device {
        case .cpu:
            for i in 0..<batch {
                let (sa, sb, sc) = (a.storage.floats + i * ar * ac, b.storage.floats + i * br * bc, out.floats + i * m * n)
                // The rows in blocks of at most `rowBlock`, cut as `HalvingTree` halves a batch: a
                // BLAS's result for a row depends on where the row falls among its kernel's row tiles,
                // so fixed blocks give a row the same bits whichever rows come with it (one half of a
                // batch on each of two processes). Only for a second operand under 4 MiB (a layer's
                // weights), which stays in cache between blocks; a larger one would be streamed again
                // for every block.
                let blocks = k * n < 1 << 20 ? HalvingTree.leaves(of: m, leaf: rowBlock) : [0..<m]
                for rows in blocks {
                    let r = rows.lowerBound
                    Gemm.sgemm(
                        transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k,
                        a: sa + (transposeA ? r : r * ac), lda: ac, b: sb, ldb: bc, c: sc + r * n, ldc: n)
                }
            }
        }
        return Tensor(shape: a.rank == 3 ? [batch, m, n] : [m, n], storage: out)
    }

    /// `aᵀ b` (per slice for rank 3), whose contraction runs over the rows of both: a weight
    /// gradient summed over a batch. The rows are cut into the tree's leaves of at most
    /// `HalvingTree.productLeaf`, one whole product each, added up the tree: the same bits whether
    /// one process has the whole batch or two processes have a half each.
    ///
    /// Shape: a `[(B,) K, M]`, b `[(B,) K, N]` -> `[(B,) M, N]`.
    static func matmulSummingRows(_ a: Tensor, _ b: Tensor) -> Tensor {
        let k = a.shape[a.rank - 2], leaf = HalvingTree.productLeaf
        let batch = a.rank == 3 ? a.shape[0] : 1
        let (m, n) = (a.shape[a.rank - 1], b.shape[b.rank - 1])
        let out = a.device.allocate(.float32, count: batch * m * n)
        switch a.device {
        case .cpu:
            for i in 0..<batch {
                let (sa, sb) = (a.storage.floats + i * k * m, b.storage.floats + i * k * n)
                HalvingTree.sum(count: k, leaf: leaf, length: m * n, into: out.floats + i * m * n) { rows, c in
                    Gemm.sgemm(transposeA: true, transposeB: false, m: m, n: n, k: rows.count,
                               a: sa + rows.lowerBound * m, lda: m, b: sb + rows.lowerBound * n, ldb: n, c: c, ldc: n)
                }
            }
        }
        return Tensor(shape: a.rank == 3 ? [batch, m, n] : [m, n], storage: out)
    }
}
