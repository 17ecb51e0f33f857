import TensorCore

/// Batch normalization over the channel axis (axis 1) of `[N, C]`, `[N, C, L]` or `[N, C, H, W]`
/// input, as PyTorch's `BatchNorm1d`/`BatchNorm2d`: in training, normalize with the batch's mean
/// and biased variance and update running statistics (`running = (1 - momentum)·running +
/// momentum·batch`, with the unbiased variance); in inference, use the running statistics.
///
/// The running statistics are non-trainable `Parameter`s named `running_mean` and `running_var`
/// (PyTorch's buffer names), so they travel in checkpoints and count as non-trainable parameters
/// in `summary`, as in Keras.
///
/// Shape: unchanged.
public final class BatchNorm: ModeDependentLayer {
    public let features: Int
    public let momentum, epsilon: Float
    public var isTraining = true
    /// γ, shape `[C]`, initialized to 1.
    public let weight: Parameter
    /// β, shape `[C]`, initialized to 0.
    public let bias: Parameter
    public let running_mean: Parameter
    public let running_var: Parameter

    public init(_ features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.features = features; self.momentum = momentum; self.epsilon = epsilon
        weight = Parameter(.ones([features]))
        bias = Parameter(.zeros([features]))
        running_mean = Parameter(.zeros([features]), buffer: true)
        running_var = Parameter(.ones([features]), buffer: true)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank >= 2 && input.shape[1] == features,
                     "BatchNorm(\(features)): input of shape \(input.shape) should have \(features) channels on axis 1")
        if isTraining {
            let n = input.scalarCount / features
            let (output, mean, variance) = batchNormalized(input, gamma: weight.value, beta: bias.value, epsilon: epsilon)
            withoutGradients {
                let unbiased = variance * (Float(n) / Float(n - 1))
                running_mean.value = running_mean.value * (1 - momentum) + mean * momentum
                running_var.value = running_var.value * (1 - momentum) + unbiased * momentum
            }
            return output
        }
        var statShape = [Int](repeating: 1, count: input.rank)
        statShape[1] = features
        let shape = Shape(statShape)
        let scale = weight.value * rsqrt(running_var.value + epsilon)
        let shift = bias.value - running_mean.value * scale
        return input * scale.reshaped(to: shape) + shift.reshaped(to: shape)
    }

    public var description: String { "BatchNorm(\(features), momentum: \(momentum), epsilon: \(epsilon))" }
}

/// Layer normalization over the last `normalizedShape.rank` axes with an elementwise affine
/// transform (PyTorch's `LayerNorm`). Shape: unchanged.
public final class LayerNorm: Layer {
    public let normalizedShape: Shape
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter

    public init(_ normalizedShape: Shape, epsilon: Float = 1e-5) {
        self.normalizedShape = normalizedShape; self.epsilon = epsilon
        weight = Parameter(.ones(normalizedShape))
        bias = Parameter(.zeros(normalizedShape))
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let k = normalizedShape.rank
        require(input.rank >= k && Array(input.shape.suffix(k)) == normalizedShape.dimensions,
                     "LayerNorm(\(normalizedShape)): input of shape \(input.shape) should end in \(normalizedShape)")
        return layerNormalized(input, gamma: weight.value, beta: bias.value, epsilon: epsilon)
    }

    public var description: String { "LayerNorm(\(normalizedShape), epsilon: \(epsilon))" }
}

/// Group normalization (Wu & He, 2018): channels split into groups, each normalized over its
/// channels and positions, then a per-channel affine transform (PyTorch's `GroupNorm`).
///
/// Shape: `[N, C, ...]` unchanged.
public final class GroupNorm: Layer {
    public let groups, channels: Int
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter

    public init(groups: Int, channels: Int, epsilon: Float = 1e-5) {
        require(groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
        self.groups = groups; self.channels = channels; self.epsilon = epsilon
        weight = Parameter(.ones([channels]))
        bias = Parameter(.zeros([channels]))
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank >= 2 && input.shape[1] == channels,
                     "GroupNorm(\(groups), \(channels)): input of shape \(input.shape) should have \(channels) channels on axis 1")
        let grouped = input.reshaped(to: [input.shape[0], groups, -1])
        let mean = grouped.mean(along: 2, keepingDims: true)
        let centered = grouped - mean
        let variance = centered.squared().mean(along: 2, keepingDims: true)
        var affine = [Int](repeating: 1, count: input.rank)
        affine[1] = channels
        let normalized = (centered * rsqrt(variance + epsilon)).reshaped(to: input.shape)
        return normalized * weight.value.reshaped(to: Shape(affine)) + bias.value.reshaped(to: Shape(affine))
    }

    public var description: String { "GroupNorm(groups: \(groups), channels: \(channels))" }
}

/// Drops whole channels with probability `rate` while training, scaling the rest by
/// 1 / (1 - rate) (PyTorch's `Dropout2d`). Shape: `[N, C, ...]` unchanged.
public final class Dropout2D: ModeDependentLayer {
    public let rate: Float
    public var isTraining = true

    public init(rate: Float) {
        require((0..<1).contains(rate), "Dropout2D: rate \(rate) is not in [0, 1)")
        self.rate = rate
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining && rate > 0 else { return input }
        require(input.rank >= 3, "Dropout2D: input of shape \(input.shape) has no spatial axes")
        let maskShape = Shape([input.shape[0], input.shape[1]] + [Int](repeating: 1, count: input.rank - 2))
        return input * Tensor.bernoulli(maskShape, probability: 1 - rate) * (1 / (1 - rate))
    }

    public var description: String { "Dropout2D(rate: \(rate))" }
}

extension BatchNorm: ConfigurableLayer {
    public static let typeName = "BatchNorm"
    public var configuration: [String: any Sendable] {
        ["features": features, "momentum": Double(momentum), "epsilon": Double(epsilon)]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let features = try c.size("features", of: t)
        try LayerRegistry.reserve([[4, features]], of: t)
        self.init(features, momentum: try c.number("momentum", of: t, in: 0...1),
                  epsilon: try c.number("epsilon", of: t, in: .leastNonzeroMagnitude...1))
    }
}

extension LayerNorm: ConfigurableLayer {
    public static let typeName = "LayerNorm"
    public var configuration: [String: any Sendable] { ["shape": normalizedShape.dimensions, "epsilon": Double(epsilon)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let dims = try dimensions(c, "shape", of: t)
        try checkField(!dims.isEmpty, t, "shape", "is empty")
        try LayerRegistry.reserve([[2] + dims], of: t)
        self.init(Shape(dims), epsilon: try c.number("epsilon", of: t, in: .leastNonzeroMagnitude...1))
    }
}

extension GroupNorm: ConfigurableLayer {
    public static let typeName = "GroupNorm"
    public var configuration: [String: any Sendable] { ["groups": groups, "channels": channels, "epsilon": Double(epsilon)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (groups, channels) = (try c.size("groups", of: t), try c.size("channels", of: t))
        try checkField(channels % groups == 0, t, "groups", "\(groups) does not divide \(channels) channels")
        try LayerRegistry.reserve([[2, channels]], of: t)
        self.init(groups: groups, channels: channels, epsilon: try c.number("epsilon", of: t, in: .leastNonzeroMagnitude...1))
    }
}

extension Dropout2D: ConfigurableLayer {
    public static let typeName = "Dropout2D"
    public var configuration: [String: any Sendable] { ["rate": Double(rate)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(rate: try c.number("rate", of: Self.typeName, in: 0...1, openAbove: true))
    }
}
