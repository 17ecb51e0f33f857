import TensorCore

/// Merges all dimensions after the first (the batch). Shape: `[N, d1, d2, ...] -> [N, d1*d2*...]`.
public final class Flatten: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.flattened(from: 1) }
    public var description: String { "Flatten()" }
}

/// Gives each example a new shape, keeping the batch dimension. Shape: `[N, ...] -> [N] + shape`.
public final class Reshape: Layer {
    public let shape: Shape
    public init(_ shape: Shape) { self.shape = shape }
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.reshaped(to: Shape([input.shape[0]] + shape.dimensions))
    }
    public var description: String { "Reshape(\(shape))" }
}
