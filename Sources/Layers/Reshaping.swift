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

extension Flatten: ConfigurableLayer {
    public static let typeName = "Flatten"
    public var configuration: [String: any Sendable] { [:] }
    public convenience init(configuration: [String: any Sendable]) throws { self.init() }
}

extension Reshape: ConfigurableLayer {
    public static let typeName = "Reshape"
    public var configuration: [String: any Sendable] { ["shape": shape.dimensions] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(Shape(try dimensions(c, "shape", of: Self.typeName)))
    }
}
