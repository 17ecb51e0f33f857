import TensorCore

/// `maxPool2d` as a layer. Shape: `[N, C, H, W] -> [N, C, OH, OW]`.
public final class MaxPool2D: Layer {
    public let kernelSize, stride: (Int, Int)
    public let padding: Padding
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
    }
    public convenience init(_ size: Int, stride: Int? = nil) {
        self.init(kernelSize: (size, size), stride: stride.map { ($0, $0) })
    }
    public func callAsFunction(_ input: Tensor) -> Tensor {
        maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding)
    }
    public var description: String { "MaxPool2D(\(kernelSize.0)x\(kernelSize.1), stride: \(stride.0)x\(stride.1))" }
}

/// `avgPool2d` as a layer. Shape: `[N, C, H, W] -> [N, C, OH, OW]`.
public final class AvgPool2D: Layer {
    public let kernelSize, stride: (Int, Int)
    public let padding: Padding
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
    }
    public convenience init(_ size: Int, stride: Int? = nil) {
        self.init(kernelSize: (size, size), stride: stride.map { ($0, $0) })
    }
    public func callAsFunction(_ input: Tensor) -> Tensor {
        avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding)
    }
    public var description: String { "AvgPool2D(\(kernelSize.0)x\(kernelSize.1), stride: \(stride.0)x\(stride.1))" }
}

/// `maxPool1d` as a layer. Shape: `[N, C, L] -> [N, C, OL]`.
public final class MaxPool1D: Layer {
    public let kernelSize, stride: Int
    public init(_ kernelSize: Int, stride: Int? = nil) { self.kernelSize = kernelSize; self.stride = stride ?? kernelSize }
    public func callAsFunction(_ input: Tensor) -> Tensor { maxPool1d(input, kernelSize: kernelSize, stride: stride) }
    public var description: String { "MaxPool1D(\(kernelSize), stride: \(stride))" }
}

/// `avgPool1d` as a layer. Shape: `[N, C, L] -> [N, C, OL]`.
public final class AvgPool1D: Layer {
    public let kernelSize, stride: Int
    public init(_ kernelSize: Int, stride: Int? = nil) { self.kernelSize = kernelSize; self.stride = stride ?? kernelSize }
    public func callAsFunction(_ input: Tensor) -> Tensor { avgPool1d(input, kernelSize: kernelSize, stride: stride) }
    public var description: String { "AvgPool1D(\(kernelSize), stride: \(stride))" }
}

/// The mean (or maximum) of each channel over all positions. Shape: `[N, C, ...] -> [N, C]`.
public final class GlobalPool: Layer {
    public enum Kind: String, Sendable { case average, max }
    public let kind: Kind
    public init(_ kind: Kind = .average) { self.kind = kind }
    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank >= 3, "GlobalPool: input of shape \(input.shape) has no spatial axes")
        let axes = Array(2..<input.rank)
        return kind == .average ? input.mean(along: axes) : input.max(along: axes)
    }
    public var description: String { kind == .average ? "GlobalAvgPool()" : "GlobalMaxPool()" }
}

/// Average pooling to a fixed output size (PyTorch's `AdaptiveAvgPool2d`): output cell `(i, j)`
/// averages input rows `⌊i·H/OH⌋ ..< ⌈(i+1)·H/OH⌉` and the like for columns, computed as
/// `A_h · x · A_wᵀ` with averaging matrices.
///
/// Shape: `[N, C, H, W] -> [N, C, OH, OW]`.
public final class AdaptiveAvgPool2D: Layer {
    public let outputSize: (Int, Int)
    public init(outputSize: (Int, Int)) { self.outputSize = outputSize }

    /// `[out, size]`: row i averages inputs ⌊i·size/out⌋ ..< ⌈(i+1)·size/out⌉.
    public static func averagingMatrix(from size: Int, to out: Int) -> Tensor {
        var m = [Float](repeating: 0, count: out * size)
        for i in 0..<out {
            let start = i * size / out, end = ((i + 1) * size + out - 1) / out
            for j in start..<end { m[i * size + j] = 1 / Float(end - start) }
        }
        return Tensor(m, shape: [out, size])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank == 4, "AdaptiveAvgPool2D: input must be [N, C, H, W], got \(input.shape)")
        let rows = Self.averagingMatrix(from: input.shape[2], to: outputSize.0)
        let cols = Self.averagingMatrix(from: input.shape[3], to: outputSize.1)
        return matmul(matmul(rows, input), cols, transposeA: false, transposeB: true)
    }
    public var description: String { "AdaptiveAvgPool2D(\(outputSize.0)x\(outputSize.1))" }
}

/// Spatial upsampling by an integer factor (PyTorch's `Upsample`): `nearest` repeats pixels,
/// `bilinear` interpolates with `align_corners=False`.
///
/// Shape: `[N, C, H, W] -> [N, C, H·scale, W·scale]`.
public final class Upsample: Layer {
    public enum Mode: String, Sendable { case nearest, bilinear }
    public let scale: Int
    public let mode: Mode
    public init(scale: Int, mode: Mode = .nearest) {
        require(scale >= 1, "Upsample: scale must be at least 1")
        self.scale = scale; self.mode = mode
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank == 4, "Upsample: input must be [N, C, H, W], got \(input.shape)")
        return resize(resize(input, axis: 2), axis: 3)
    }

    private func resize(_ x: Tensor, axis: Int) -> Tensor {
        let size = x.shape[axis], out = size * scale
        if mode == .nearest {
            return x.selecting(along: axis, indices: Tensor(integers: (0..<out).map { $0 / scale }))
        }
        // Source coordinate of output i: (i + 0.5) / scale - 0.5, clamped at 0.
        var low: [Int] = [], high: [Int] = [], weight: [Float] = []
        for i in 0..<out {
            let src = Swift.max((Float(i) + 0.5) / Float(scale) - 0.5, 0)
            let l = Swift.min(Int(src), size - 1)
            low.append(l)
            high.append(Swift.min(l + 1, size - 1))
            weight.append(src - Float(l))
        }
        var shape = [Int](repeating: 1, count: 4)
        shape[axis] = out
        let w = Tensor(weight, shape: Shape(shape))
        return x.selecting(along: axis, indices: Tensor(integers: low)) * (1 - w)
            + x.selecting(along: axis, indices: Tensor(integers: high)) * w
    }

    public var description: String { "Upsample(scale: \(scale), mode: \(mode.rawValue))" }
}

extension MaxPool2D: ConfigurableLayer {
    public static let typeName = "MaxPool2D"
    public var configuration: [String: any Sendable] {
        ["kernelSize": [kernelSize.0, kernelSize.1], "stride": [stride.0, stride.1], "padding": padding.configuration]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(kernelSize: try pair(c, "kernelSize", of: Self.typeName), stride: try pair(c, "stride", of: Self.typeName),
                  padding: try Padding(configuration: c["padding"], of: Self.typeName))
    }
}

extension AvgPool2D: ConfigurableLayer {
    public static let typeName = "AvgPool2D"
    public var configuration: [String: any Sendable] {
        ["kernelSize": [kernelSize.0, kernelSize.1], "stride": [stride.0, stride.1], "padding": padding.configuration]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(kernelSize: try pair(c, "kernelSize", of: Self.typeName), stride: try pair(c, "stride", of: Self.typeName),
                  padding: try Padding(configuration: c["padding"], of: Self.typeName))
    }
}

extension MaxPool1D: ConfigurableLayer {
    public static let typeName = "MaxPool1D"
    public var configuration: [String: any Sendable] { ["kernelSize": kernelSize, "stride": stride] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(try c.size("kernelSize", of: Self.typeName), stride: try c.size("stride", of: Self.typeName))
    }
}

extension AvgPool1D: ConfigurableLayer {
    public static let typeName = "AvgPool1D"
    public var configuration: [String: any Sendable] { ["kernelSize": kernelSize, "stride": stride] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(try c.size("kernelSize", of: Self.typeName), stride: try c.size("stride", of: Self.typeName))
    }
}

extension GlobalPool: ConfigurableLayer {
    public static let typeName = "GlobalPool"
    public var configuration: [String: any Sendable] { ["kind": kind.rawValue] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        guard let k = (c["kind"] as? String).flatMap(Kind.init(rawValue:)) else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "kind")
        }
        self.init(k)
    }
}

extension AdaptiveAvgPool2D: ConfigurableLayer {
    public static let typeName = "AdaptiveAvgPool2D"
    public var configuration: [String: any Sendable] { ["outputSize": [outputSize.0, outputSize.1]] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(outputSize: try pair(c, "outputSize", of: Self.typeName))
    }
}

extension Upsample: ConfigurableLayer {
    public static let typeName = "Upsample"
    public var configuration: [String: any Sendable] { ["scale": scale, "mode": mode.rawValue] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        guard let m = (c["mode"] as? String).flatMap(Mode.init(rawValue:)) else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "mode")
        }
        self.init(scale: try c.size("scale", of: Self.typeName, maximum: 1024), mode: m)
    }
}
