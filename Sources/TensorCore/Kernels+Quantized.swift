import CPUBackend

extension Kernels {
    /// `a bᵀ` in exact int32 for uint8 activations `a` `[m, k]` (each at most 127) and int8
    /// weights `b` `[n, k]`, on `path` (the fastest the processor has when nil).
    static func quantizedMatmul(_ a: Tensor, _ b: Tensor, path: Int8Gemm.Path?) -> Tensor {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[0])
        let out = a.device.allocate(.int32, count: m * n)
        switch a.device {
        case .cpu:
            Int8Gemm.multiply(a.storage.raw.assumingMemoryBound(to: UInt8.self), b.storage.raw.assumingMemoryBound(to: Int8.self),
                              out.raw.assumingMemoryBound(to: Int32.self), m: m, n: n, k: k, path: path ?? Int8Gemm.defaultPath)
        }
        return Tensor(shape: [m, n], storage: out)
    }
}

/// The int8 matrix product of quantized inference: `a bᵀ` in exact int32, for activations `a`
/// (uint8 `[m, k]`, every value at most 127: a 7-bit range) and weights `b` (int8 `[n, k]`, one
/// row per output as a Linear layer stores them). `path` forces the portable loop or a vector
/// kernel (`Int8Gemm.availablePaths`). Not differentiable.
///
/// Shape: `[m, k]`, `[n, k]` -> `[m, n]` (int32).
public func quantizedMatmul(_ a: Tensor, _ b: Tensor, path: Int8Gemm.Path? = nil) -> Tensor {
    require(a.dtype == .uint8 && b.dtype == .int8, "quantizedMatmul: expected uint8 activations and int8 weights, got \(a.dtype) and \(b.dtype)")
    require(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[1],
            "quantizedMatmul: [m, k] and [n, k] operands needed, got \(a.shape) and \(b.shape)")
    if let path { require(Int8Gemm.availablePaths.contains(path), "quantizedMatmul: this processor has no \(path) path") }
    return Kernels.quantizedMatmul(a, b, path: path)
}

public typealias Int8GemmPath = Int8Gemm.Path

/// The paths `quantizedMatmul` can take on this processor, the default (fastest) last.
public var quantizedMatmulPaths: [Int8GemmPath] { Int8Gemm.availablePaths }
