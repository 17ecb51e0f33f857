import Foundation
import Layers
import TensorCore

/// Int8 quantization of dense layers (PyTorch's `torch.ao.quantization` on x86, fbgemm's scheme):
/// weights per output channel, symmetric, in int8 (scale = max |w| / 127); activations per tensor,
/// affine, in 7 bits (0...127, the reduced range that keeps the AVX2 kernel's int16 pair sums
/// exact). The products run in int32 (`quantizedMatmul`) and are turned back into float32 with
/// the bias (and ReLU, when fused) in one pass over the output.
public enum Quantization {
    /// How a layer's input is quantized: by a scale and zero point fixed by calibration
    /// (`static`), or measured from each batch (`dynamic`).
    public enum Mode: String, Sendable, CaseIterable { case `static`, dynamic }

    /// The fewest weights per output (C KH KW) for which a convolution is quantized: below one
    /// vector of 32 codes the int8 kernel has nothing to vectorize, and float32 is faster (the
    /// first 3x3 convolution of a grayscale image has 9).
    public static let smallestConvolution = 32

    /// The largest activation code: 7 bits.
    public static let activationMaximum: Float = 127

    /// The affine map of a tensor onto 0...127: x ≈ scale (q - zeroPoint).
    public struct ActivationRange: Sendable, Equatable, Codable {
        public let scale: Float, zeroPoint: Int

        /// The map covering [minimum, maximum] (widened to include 0, so zero is exact).
        public init(minimum: Float, maximum: Float) {
            let (low, high) = (Swift.min(minimum, 0), Swift.max(maximum, 0))
            let scale = high > low ? (high - low) / activationMaximum : 1
            self.scale = scale
            self.zeroPoint = Int(Swift.min(Swift.max((-low / scale).rounded(), 0), activationMaximum))
        }

        public init(scale: Float, zeroPoint: Int) {
            require(scale.isFinite && scale > 0 && (0...127).contains(zeroPoint), "ActivationRange: scale \(scale), zero point \(zeroPoint)")
            (self.scale, self.zeroPoint) = (scale, zeroPoint)
        }

        /// The range of `x`'s values.
        public init(of x: Tensor) {
            let (low, high) = Quantization.extremes(of: x)
            self.init(minimum: low.isFinite ? low : 0, maximum: high.isFinite ? high : 0)
        }

        /// `x` as uint8 codes: round(x / scale) + zeroPoint, clamped to 0...127 (NaN to 0).
        public func quantize(_ x: Tensor) -> Tensor { quantizeActivations(x, scale: scale, zeroPoint: zeroPoint) }
    }

    /// The smallest and largest of `x`'s values in one pass (NaN skipped; (inf, -inf) when empty).
    static func extremes(of x: Tensor) -> (low: Float, high: Float) {
        x.withUnsafeBufferPointer { b in b.reduce((Float.infinity, -Float.infinity)) { (Swift.min($0.0, $1), Swift.max($0.1, $1)) } }
    }

    /// A weight `[out, in]` as int8 per output row: q = round(w / scale), scale = max |w| / 127
    /// (1 for a row of zeros). Returns the codes and the scales.
    public static func quantizeWeight(_ weight: Tensor) -> (codes: Tensor, scales: [Float]) {
        require(weight.rank == 2, "quantizeWeight: expected [out, in], got \(weight.shape)")
        let (rows, columns) = (weight.shape[0], weight.shape[1])
        var codes = Tensor.zeros(weight.shape, dtype: .int8)
        var scales = [Float](repeating: 1, count: rows)
        weight.withUnsafeBufferPointer { w in
            codes.withUnsafeMutableIntegers(as: Int8.self) { q in
                for r in 0..<rows {
                    let row = w[(r * columns)..<((r + 1) * columns)]
                    let largest = row.reduce(Float(0)) { Swift.max($0, abs($1)) }
                    let scale = largest > 0 ? largest / 127 : 1
                    scales[r] = scale
                    for c in 0..<columns { q[r * columns + c] = Int8(Swift.min(Swift.max((w[r * columns + c] / scale).rounded(), -127), 127)) }
                }
            }
        }
        return (codes, scales)
    }
}

/// A `Linear` layer (optionally with the ReLU after it) running in int8: what
/// `Quantization.quantize` puts in place of each Linear. Inference only.
///
/// Shape: `[N, in]` -> `[N, out]`.
public final class QuantizedLinear: Layer {
    public let inFeatures: Int, outFeatures: Int
    /// Shape `[out, in]`, int8.
    public let weight: Tensor
    /// Per output: the weight's scale.
    public let weightScales: [Float]
    public let bias: [Float]?
    /// The input's range when `mode` is static.
    public let inputRange: Quantization.ActivationRange?
    public let mode: Quantization.Mode
    /// Whether a ReLU is applied in the same pass as the bias.
    public let fusedReLU: Bool
    /// Each weight row's sum of codes: the zero point's share of each product.
    private let rowSums: [Int32]
    /// The output pass's scales and zero-point corrections for `inputRange` (static layers):
    /// computed once, not for every batch.
    private let fixedPass: (scales: [Float], corrections: [Int32])?

    public init(weight: Tensor, weightScales: [Float], bias: [Float]?, mode: Quantization.Mode,
                inputRange: Quantization.ActivationRange?, fusedReLU: Bool) {
        require(weight.dtype == .int8 && weight.rank == 2, "QuantizedLinear: the weight must be int8 [out, in], got \(weight.dtype) \(weight.shape)")
        (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        require(weightScales.count == outFeatures && (bias?.count ?? outFeatures) == outFeatures, "QuantizedLinear: one scale and bias per output")
        require(mode == .dynamic || inputRange != nil, "QuantizedLinear: a static layer needs its input range")
        (self.weight, self.weightScales, self.bias, self.mode, self.inputRange, self.fusedReLU) =
            (weight, weightScales, bias, mode, inputRange, fusedReLU)
        let sums = weight.withUnsafeIntegers(as: Int8.self) { w in
            (0..<weight.shape[0]).map { r in w[(r * weight.shape[1])..<((r + 1) * weight.shape[1])].reduce(Int32(0)) { $0 + Int32($1) } }
        }
        rowSums = sums
        fixedPass = inputRange.map { Self.outputPass(weightScales, sums, $0) }
    }

    /// Per output: the scale from int32 products back to float32, and the zero point's share.
    private static func outputPass(_ weightScales: [Float], _ rowSums: [Int32], _ range: Quantization.ActivationRange)
        -> (scales: [Float], corrections: [Int32])
    {
        let zero = Int32(range.zeroPoint)
        return (weightScales.map { $0 * range.scale }, rowSums.map { zero &* $0 })
    }

    /// `linear` quantized: its weight per row in int8, its input by `inputRange` (static) or by
    /// each batch (dynamic).
    public convenience init(_ linear: Linear, mode: Quantization.Mode, inputRange: Quantization.ActivationRange?, fusedReLU: Bool) {
        let (codes, scales) = Quantization.quantizeWeight(linear.weight.value)
        self.init(weight: codes, weightScales: scales, bias: linear.bias?.value.scalars, mode: mode, inputRange: inputRange, fusedReLU: fusedReLU)
    }

    public var namedChildren: [(name: String, layer: any Layer)] { [] }
    public var namedDirectParameters: [(name: String, parameter: Parameter)] { [] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank == 2 && input.shape[1] == inFeatures, "QuantizedLinear(\(inFeatures) => \(outFeatures)): input \(input.shape)")
        let range = inputRange ?? Quantization.ActivationRange(of: input)
        return product(range.quantize(input), range: range)
    }

    /// The layer's output for input codes `codes` (uint8 `[m, in]`) made with `range`.
    func product(_ codes: Tensor, range: Quantization.ActivationRange) -> Tensor {
        let product = quantizedMatmul(codes, weight)
        let pass = range == inputRange ? fixedPass! : Self.outputPass(weightScales, rowSums, range)
        return dequantizeProduct(product, scales: pass.scales, bias: bias ?? [Float](repeating: 0, count: outFeatures),
                                 corrections: pass.corrections, relu: fusedReLU)
    }

    public var description: String {
        "QuantizedLinear(\(inFeatures) => \(outFeatures), \(mode)\(fusedReLU ? ", relu" : ""))"
    }
}

extension QuantizedLinear: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 2, input[1] == inFeatures else {
            throw ShapeError("\(description): input \(input) should be [N, \(inFeatures)]")
        }
        return [input[0], outFeatures]
    }
}

/// A `Conv2D` (optionally with the ReLU after it, and with a batch norm after it folded in) running
/// in int8: the input quantized, its windows laid out as rows (channels last), one int8 product
/// with the weights as `[out, KH KW C]`, and the output pass back to float32 `[N, out, OH, OW]`.
/// Inference only.
public final class QuantizedConv2D: Layer {
    public let inChannels: Int, outChannels: Int
    public let kernelSize: (Int, Int), stride: (Int, Int), dilation: (Int, Int)
    public let padding: Padding
    /// The weights as a matrix `[out, KH KW C]` (channels last, the windows' order), int8, one
    /// output channel per row.
    public let matrix: QuantizedLinear

    public init(inChannels: Int, kernelSize: (Int, Int), stride: (Int, Int), padding: Padding, dilation: (Int, Int), matrix: QuantizedLinear) {
        require(matrix.inFeatures == inChannels * kernelSize.0 * kernelSize.1, "QuantizedConv2D: \(matrix.inFeatures) weights per output for \(inChannels) channels of \(kernelSize)")
        (self.inChannels, self.outChannels, self.kernelSize, self.stride, self.padding, self.dilation, self.matrix) =
            (inChannels, matrix.outFeatures, kernelSize, stride, padding, dilation, matrix)
    }

    /// `conv` quantized (after folding `batchNorm`, when given, into its weights and bias).
    public convenience init(_ conv: Conv2D, batchNorm: BatchNorm?, mode: Quantization.Mode, inputRange: Quantization.ActivationRange?, fusedReLU: Bool) {
        require(conv.groups == 1, "QuantizedConv2D: grouped convolutions are not quantized")
        let out = conv.outChannels, perOutput = conv.weight.value.scalarCount / out
        var weight = conv.weight.value.scalars
        var bias = conv.bias?.value.scalars ?? [Float](repeating: 0, count: out)
        if let bn = batchNorm {
            // y = γ (conv(x) + b - μ) / sqrt(σ² + ε) + β: per output channel, a scale and a shift.
            let (gamma, beta, mean, variance) = (bn.weight.value.scalars, bn.bias.value.scalars, bn.running_mean.value.scalars, bn.running_var.value.scalars)
            for o in 0..<out {
                let scale = gamma[o] / (variance[o] + bn.epsilon).squareRoot()
                for i in 0..<perOutput { weight[o * perOutput + i] *= scale }
                bias[o] = (bias[o] - mean[o]) * scale + beta[o]
            }
        }
        // [out, C, KH, KW] as [out, KH, KW, C]: the order of the windows' rows.
        let (c, kh, kw) = (conv.inChannels, conv.kernelSize.0, conv.kernelSize.1)
        let channelsLast = Tensor(weight, shape: [out, c, kh, kw]).permuted(0, 2, 3, 1).reshaped(to: [out, perOutput])
        let (codes, scales) = Quantization.quantizeWeight(channelsLast)
        let matrix = QuantizedLinear(weight: codes, weightScales: scales, bias: bias, mode: mode, inputRange: inputRange, fusedReLU: fusedReLU)
        self.init(inChannels: conv.inChannels, kernelSize: conv.kernelSize, stride: conv.stride, padding: conv.padding,
                  dilation: conv.dilation, matrix: matrix)
    }

    public var namedChildren: [(name: String, layer: any Layer)] { [] }
    public var namedDirectParameters: [(name: String, parameter: Parameter)] { [] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank == 4 && input.shape[1] == inChannels, "QuantizedConv2D(\(inChannels) => \(outChannels)): input \(input.shape)")
        let range = matrix.inputRange ?? Quantization.ActivationRange(of: input)
        let windows = quantizedConvolutionWindows(range.quantize(input), kernelSize: kernelSize, stride: stride, padding: padding,
                                                  dilation: dilation, pad: UInt8(range.zeroPoint))
        let (n, oh, ow) = (windows.shape[0], windows.shape[1], windows.shape[2])
        let flat = matrix.product(windows.reshaped(to: [n * oh * ow, windows.shape[3]]), range: range)
        return flat.reshaped(to: [n, oh, ow, outChannels]).permuted(0, 3, 1, 2)
    }

    public var description: String { "QuantizedConv2D(\(inChannels) => \(outChannels), kernel: \(kernelSize.0)x\(kernelSize.1), \(matrix.mode)\(matrix.fusedReLU ? ", relu" : ""))" }
}

extension QuantizedConv2D: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 4, input[1] == inChannels else { throw ShapeError("\(description): input \(input) should be [N, \(inChannels), H, W]") }
        let (oh, ow) = try windowOutput(self, input, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation)
        return [input[0], outChannels, oh, ow]
    }
}
