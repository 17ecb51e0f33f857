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

/// `x` (float32) as 7-bit codes (uint8): round(x / scale) + zeroPoint clamped to 0...127, NaN to 0.
/// Not differentiable.
public func quantizeActivations(_ x: Tensor, scale: Float, zeroPoint: Int, path: Int8Gemm.Path? = nil) -> Tensor {
    x.requireFloat("quantizeActivations")
    require(scale.isFinite && scale > 0 && (0...127).contains(zeroPoint), "quantizeActivations: scale \(scale), zero point \(zeroPoint)")
    if let path { require(Int8Gemm.availablePaths.contains(path), "quantizeActivations: this processor has no \(path) path") }
    let out = x.device.allocate(.uint8, count: x.scalarCount)
    switch x.device {
    case .cpu:
        Int8Gemm.quantize(x.storage.floats, out.raw.assumingMemoryBound(to: UInt8.self), count: x.scalarCount, inverseScale: 1 / scale,
                          zeroPoint: Float(zeroPoint), path: path ?? Int8Gemm.defaultPath)
    }
    return Tensor(shape: x.shape, storage: out)
}

/// A quantized product `acc` (int32 `[m, n]`) back to float32: (acc - corrections[j]) scales[j] +
/// bias[j], then ReLU when `relu`. Not differentiable.
public func dequantizeProduct(_ acc: Tensor, scales: [Float], bias: [Float], corrections: [Int32], relu: Bool,
                              path: Int8Gemm.Path? = nil) -> Tensor {
    require(acc.dtype == .int32 && acc.rank == 2, "dequantizeProduct: expected int32 [m, n], got \(acc.dtype) \(acc.shape)")
    let n = acc.shape[1]
    require(scales.count == n && bias.count == n && corrections.count == n, "dequantizeProduct: one scale, bias and correction per column")
    if let path { require(Int8Gemm.availablePaths.contains(path), "dequantizeProduct: this processor has no \(path) path") }
    let out = acc.device.allocate(.float32, count: acc.scalarCount)
    switch acc.device {
    case .cpu:
        Int8Gemm.dequantize(acc.storage.raw.assumingMemoryBound(to: Int32.self), out.floats, rows: acc.shape[0], columns: n,
                            scales: scales, bias: bias, corrections: corrections, relu: relu, path: path ?? Int8Gemm.defaultPath)
    }
    return Tensor(shape: acc.shape, storage: out)
}

/// The windows of a 2-D convolution over uint8 codes `x` `[N, C, H, W]` as rows:
/// `[N, OH, OW, KH * KW * C]`, each row in (kernel row, kernel column, channel) order, padding
/// filled with `pad` (the codes' zero point). With the weights laid out `[out, KH, KW, C]`,
/// `quantizedMatmul` of the rows (reshaped to `[N * OH * OW, KH * KW * C]`) and the weights is the
/// convolution in `[N, OH, OW, out]` order. Not differentiable.
public func quantizedConvolutionWindows(_ x: Tensor, kernelSize: (Int, Int), stride: (Int, Int), padding: Padding,
                                        dilation: (Int, Int), pad: UInt8) -> Tensor {
    require(x.dtype == .uint8, "quantizedConvolutionWindows: expected uint8 codes, got \(x.dtype)")
    let g = windowGeometry(x, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, op: "quantizedConvolutionWindows")
    let columns = g.channels * g.taps
    let out = x.device.allocate(.uint8, count: g.batch * g.outputHeight * g.outputWidth * columns)
    switch x.device {
    case .cpu:
        Int8Gemm.windows(x.storage.raw.assumingMemoryBound(to: UInt8.self), out.raw.assumingMemoryBound(to: UInt8.self), geometry: g, pad: pad)
    }
    return Tensor(shape: [g.batch, g.outputHeight, g.outputWidth, columns], storage: out)
}

public typealias Int8GemmPath = Int8Gemm.Path

/// The paths `quantizedMatmul` can take on this processor, the default (fastest) last.
public var quantizedMatmulPaths: [Int8GemmPath] { Int8Gemm.availablePaths }
