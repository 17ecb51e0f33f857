import Layers
import TensorCore

/// A Linear or Conv2D layer whose weight is divided by its largest singular value (Miyato et al.
/// 2018), as PyTorch's `spectral_norm` does: the weight, viewed as `[out, in·kh·kw]`, is divided
/// by `σ = uᵀ W v`, with `u` and `v` refined by one power iteration per training call and `u` kept
/// between calls. Gradients flow through `σ`'s dependence on `W`, not through `u` and `v`. This
/// bounds each layer's Lipschitz constant by 1, which keeps a discriminator's gradients tame.
public final class SpectralNormalized: ModeDependentLayer {
    public let layer: any Layer
    /// The left singular vector estimate, `[out]` (a buffer: saved, not trained).
    public let u: Parameter
    public var isTraining = true
    private let weight: Parameter

    /// Wraps `layer`, which must be a `Linear` or a `Conv2D`.
    public init(_ layer: any Layer, seed: UInt64 = 0) {
        switch layer {
        case let linear as Linear: weight = linear.weight
        case let conv as Conv2D: weight = conv.weight
        default: requirementFailure("SpectralNormalized: wraps a Linear or a Conv2D, not \(layer)")
        }
        self.layer = layer
        var generator = RandomGenerator(seed: seed)
        let start = Tensor.normal([weight.shape[0]], using: &generator)
        u = Parameter(start / sqrt((start * start).sum()), buffer: true)
    }

    /// The weight divided by its spectral norm (and, in training, `u` moved one iteration on).
    public func normalizedWeight() -> Tensor {
        let w = weight.value
        let matrix = w.reshaped(to: [w.shape[0], -1])
        let (left, right) = withoutGradients { () -> (Tensor, Tensor) in
            func unit(_ x: Tensor) -> Tensor { x / (sqrt((x * x).sum()) + 1e-12) }
            let v = unit(matmul(matrix, u.value.reshaped(to: [-1, 1]), transposeA: true, transposeB: false))
            let next = unit(matmul(matrix, v))
            return (isTraining ? next : u.value.reshaped(to: [-1, 1]), v)
        }
        if isTraining { u.value = left.reshaped(to: [w.shape[0]]) }
        let sigma = matmul(matmul(left, matrix, transposeA: true, transposeB: false), right).reshaped(to: [])
        return w / sigma
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let w = normalizedWeight()
        switch layer {
        case let dense as Linear:
            return linear(input, weight: w, bias: dense.bias?.value)
        case let conv as Conv2D:
            return conv2d(input, w, bias: conv.bias?.value, stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups)
        default:
            fatalError("unreachable")
        }
    }

    public var namedDirectParameters: [(name: String, parameter: Parameter)] { [("u", u)] }
    public var description: String { "SpectralNormalized(\(layer))" }
}

extension SpectralNormalized: ConfigurableLayer {
    public static let typeName = "SpectralNormalized"
    public var configuration: [String: any Sendable] { get throws { ["layer": try LayerRegistry.describe(layer)] } }
    /// The wrapped layer rebuilt; `u` is a buffer, so a checkpoint restores it with the weights.
    public convenience init(configuration c: [String: any Sendable]) throws {
        guard let item = c["layer"] as? [String: any Sendable] else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "layer")
        }
        let inner = try LayerRegistry.make(from: item)
        guard inner is Linear || inner is Conv2D else {
            throw LayerConfigurationError.invalidField(type: Self.typeName, field: "layer", reason: "must be a Linear or a Conv2D")
        }
        self.init(inner)
    }
}
