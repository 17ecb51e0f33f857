import TensorCore

/// A fully connected layer: `y = x Wᵀ + b`, with `W` stored `[out, in]` as in PyTorch.
///
/// Shape: `[..., inFeatures] -> [..., outFeatures]`.
///
/// Initialization defaults to PyTorch's: weight and bias from U(-1/√in, 1/√in).
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    /// Shape: `[outFeatures, inFeatures]`.
    public let weight: Parameter
    /// Shape: `[outFeatures]`; nil without bias.
    public let bias: Parameter?

    public init(
        _ inFeatures: Int, _ outFeatures: Int, bias: Bool = true,
        weightInitializer: Initializer = .fanInUniform, biasInitializer: Initializer = .fanInUniform
    ) {
        require(inFeatures > 0 && outFeatures > 0, "Linear: sizes must be positive, got \(inFeatures) => \(outFeatures)")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(weightInitializer.make([outFeatures, inFeatures]))
        self.bias = bias ? Parameter(biasInitializer.make([outFeatures], fanIn: inFeatures)) : nil
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(
            input.rank >= 1 && input.shape[input.rank - 1] == inFeatures,
            "Linear(\(inFeatures) => \(outFeatures)): input of shape \(input.shape) should end in \(inFeatures)")
        return linear(input, weight: weight.value, bias: bias?.value)
    }

    public var description: String { "Linear(\(inFeatures) => \(outFeatures), bias: \(bias != nil))" }
}

extension Linear: ConfigurableLayer {
    public static let typeName = "Linear"
    public var configuration: [String: any Sendable] {
        ["inFeatures": inFeatures, "outFeatures": outFeatures, "bias": bias != nil]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let (i, o, bias) = (try c.size("inFeatures", of: Self.typeName), try c.size("outFeatures", of: Self.typeName), (c["bias"] as? Bool) ?? true)
        try LayerRegistry.reserve([[o, i], bias ? [o] : [0]], of: Self.typeName)
        self.init(i, o, bias: bias)
    }
}
