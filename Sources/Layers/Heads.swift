import TensorCore

/// A layer with several named outputs (Keras's multi-output models): `Model` trains it with a
/// loss per output. Called as a plain layer it returns its outputs joined on the last axis.
public protocol MultiOutputLayer: Layer {
    /// The outputs' names, in order.
    var outputNames: [String] { get }
    /// Every output for `input`, in `outputNames` order.
    func outputs(_ input: Tensor) -> [Tensor]
}

/// A shared trunk and named heads on its features: the multi-task network, each head one
/// output (`class` and `group` below) with its own loss and metrics in `Model`.
///
/// ```swift
/// let net = Heads(trunk: Sequential { Dense(128, activation: .relu, inputFeatures: 784) },
///                 heads: [("class", Dense(10)), ("group", Dense(4))])
/// model.compile(optimizer: .adam(), losses: ["class": .crossEntropy(), "group": .crossEntropy()],
///               lossWeights: ["group": 0.5], metrics: ["class": [Accuracy()], "group": [Accuracy()]])
/// ```
///
/// Shape: `[N, ...]` -> one `[N, ...]` per head (joined on the last axis when called).
public final class Heads: MultiOutputLayer {
    public let trunk: any Layer
    public let heads: [any Layer]
    public let outputNames: [String]

    public init(trunk: any Layer, heads: [(String, any Layer)]) {
        require(!heads.isEmpty, "Heads: needs at least one head")
        require(Set(heads.map(\.0)).count == heads.count && !heads.contains { $0.0.isEmpty },
                "Heads: head names must be distinct and not empty, got \(heads.map(\.0))")
        self.trunk = trunk
        self.heads = heads.map(\.1)
        self.outputNames = heads.map(\.0)
    }

    public func outputs(_ input: Tensor) -> [Tensor] {
        let features = trunk(input)
        return heads.map { $0(features) }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let all = outputs(input)
        return all.count == 1 ? all[0] : Tensor.concat(all, along: all[0].rank - 1)
    }

    public var description: String {
        let lines = [("trunk", trunk)] + zip(outputNames, heads).map { ($0, $1) }
        return "Heads(\n" + lines.map { name, layer in
            "  (\(name)): " + layer.description.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  ")
        }.joined(separator: "\n") + "\n)"
    }
}

extension Heads: ConfigurableLayer {
    public static let typeName = "Heads"
    public var configuration: [String: any Sendable] {
        get throws {
            ["trunk": try LayerRegistry.describe(trunk), "names": outputNames as [any Sendable],
             "heads": try heads.map { try LayerRegistry.describe($0) } as [any Sendable]]
        }
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        guard let names = c["names"] as? [String], let items = c["heads"] as? [Any], names.count == items.count, !names.isEmpty else {
            throw LayerConfigurationError.missingField(type: t, field: "heads")
        }
        try checkField(Set(names).count == names.count && !names.contains(""), t, "names", "must be distinct and not empty")
        let trunk = try LayerRegistry.make(nested: c["trunk"], field: "trunk", of: t)
        let heads = try items.map { try LayerRegistry.make(nested: $0, field: "heads", of: t) }
        self.init(trunk: trunk, heads: Array(zip(names, heads)))
    }
}

extension Heads: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        let features = try trunk.checkedOutputShape(for: input)
        let shapes = try heads.map { try $0.checkedOutputShape(for: features) }
        guard shapes.allSatisfy({ $0.dropLast() == shapes[0].dropLast() }) else {
            throw ShapeError("Heads: head outputs \(shapes) differ before the last axis")
        }
        return shapes[0].dropLast() + [shapes.reduce(0) { $0 + $1.last! }]
    }
}
