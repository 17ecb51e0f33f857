import TensorCore

/// Layers applied one after another; parameters are named by position (`0.weight`), as in
/// PyTorch's `nn.Sequential`.
///
/// ```swift
/// let model = Sequential {
///     Linear(784, 256)
///     ReLU()
///     Linear(256, 10)
/// }
/// ```
public final class Sequential: Layer {
    public private(set) var layers: [any Layer]

    public init(_ layers: [any Layer]) {
        self.layers = layers
    }

    public convenience init(@LayerBuilder _ build: () -> [any Layer]) {
        self.init(build())
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }

    public var namedChildren: [(name: String, layer: any Layer)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public var namedDirectParameters: [(name: String, parameter: Parameter)] { [] }

    /// Adds a layer at the end.
    public func append(_ layer: any Layer) { layers.append(layer) }

    public subscript(index: Int) -> any Layer { layers[index] }

    public var count: Int { layers.count }

    /// One line per layer, indented like PyTorch's printout.
    public var description: String {
        let lines = layers.enumerated().map { i, layer in
            "  (\(i)): " + layer.description.replacingOccurrences(of: "\n", with: "\n  ")
        }
        return "Sequential(\n" + lines.joined(separator: "\n") + "\n)"
    }
}

/// Builds the layer list of `Sequential { ... }`, with `if` and `for` allowed inside.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    public static func buildEither(first part: [any Layer]) -> [any Layer] { part }
    public static func buildEither(second part: [any Layer]) -> [any Layer] { part }
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

extension Sequential: ConfigurableLayer {
    public static let typeName = "Sequential"
    public var configuration: [String: any Sendable] {
        get throws { ["layers": try layers.map { try LayerRegistry.describe($0) } as [any Sendable]] }
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        guard let items = c["layers"] as? [Any] else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "layers")
        }
        self.init(try items.map { try LayerRegistry.make(nested: $0, field: "layers", of: Self.typeName) })
    }
}
