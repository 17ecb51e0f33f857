import TensorCore

/// Zeroes each element with probability `rate` while training and scales the rest by
/// 1 / (1 - rate) (inverted dropout), so inference is the identity. Masks come from the
/// process-wide generator (`Random.seed`).
///
/// Shape: unchanged.
public final class Dropout: ModeDependentLayer {
    public let rate: Float
    public var isTraining = true

    public init(rate: Float) {
        require((0..<1).contains(rate), "Dropout: rate \(rate) is not in [0, 1)")
        self.rate = rate
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining && rate > 0 else { return input }
        let keep = Tensor.bernoulli(input.shape, probability: 1 - rate)
        return input * keep * (1 / (1 - rate))
    }

    public var description: String { "Dropout(rate: \(rate))" }
}

extension Dropout: ConfigurableLayer {
    public static let typeName = "Dropout"
    public var configuration: [String: any Sendable] { ["rate": Double(rate)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(rate: try c.number("rate", of: Self.typeName, in: 0...1, openAbove: true))
    }
}
