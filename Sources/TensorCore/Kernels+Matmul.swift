import CPUBackend

extension Kernels {
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
                Gemm.sgemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                    a: a.storage.floats + i * ar * ac, lda: ac, b: b.storage.floats + i * br * bc, ldb: bc,
                    c: out.floats + i * m * n, ldc: n)
            }
        }
        return Tensor(shape: a.rank == 3 ? [batch, m, n] : [m, n], storage: out)
    }
}
