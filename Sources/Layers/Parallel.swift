import TensorCore

/// Branches applied to the same input, their outputs added, averaged, or laid side by side on
/// the last axis: Keras's functional `Add()`, `Average()` and `Concatenate()` of `[a(x), b(x)]`.
/// Wide and deep networks (a linear path beside a deep one), ensembles (members averaged) and
/// models with several heads over a shared trunk are built with it.
///
/// ```swift
/// let wideAndDeep = Parallel(combine: .sum) {
///     Dense(3)                                                  // wide: linear
///     Sequential { Dense(100, activation: .relu); Dense(3) }    // deep
/// }
/// ```
///
/// Shape: `[..., in]` -> the branches' common shape (sum, mean), or their shapes joined on the
/// last axis (concatenate).
public final class Parallel: Layer {
    public enum Combination: String, Sendable { case sum, mean, concatenate }

    public let branches: [any Layer]
    public let combine: Combination

    public init(_ branches: [any Layer], combine: Combination) {
        require(!branches.isEmpty, "Parallel: needs at least one branch")
        self.branches = branches
        self.combine = combine
    }

    public convenience init(combine: Combination, @LayerBuilder _ build: () -> [any Layer]) {
        self.init(build(), combine: combine)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let outputs = branches.map { $0(input) }
        switch combine {
        case .sum, .mean:
            for o in outputs.dropFirst() where o.shape != outputs[0].shape {
                requirementFailure("Parallel(\(combine.rawValue)): branch outputs \(outputs.map(\.shape)) differ in shape")
            }
            let sum = outputs.dropFirst().reduce(outputs[0], +)
            return combine == .sum || outputs.count == 1 ? sum : sum / Float(outputs.count)
        case .concatenate:
            return outputs.count == 1 ? outputs[0] : Tensor.concat(outputs, along: outputs[0].rank - 1)
        }
    }

    public var description: String {
        let lines = branches.enumerated().map { i, layer in
            "  (\(i)): " + layer.description.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  ")
        }
        return "Parallel(\(combine.rawValue),\n" + lines.joined(separator: "\n") + "\n)"
    }
}

extension Parallel: ConfigurableLayer {
    public static let typeName = "Parallel"
    public var configuration: [String: any Sendable] {
        get throws {
            ["combine": combine.rawValue, "branches": try branches.map { try LayerRegistry.describe($0) } as [any Sendable]]
        }
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        guard let items = c["branches"] as? [Any], !items.isEmpty else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "branches")
        }
        guard let combine = (c["combine"] as? String).flatMap(Combination.init(rawValue:)) else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "combine")
        }
        self.init(try items.map { try LayerRegistry.make(nested: $0, field: "branches", of: Self.typeName) }, combine: combine)
    }
}

extension Parallel: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        let shapes = try branches.map { try $0.checkedOutputShape(for: input) }
        switch combine {
        case .sum, .mean:
            guard shapes.allSatisfy({ $0 == shapes[0] }) else {
                throw ShapeError("Parallel(\(combine.rawValue)): branch outputs \(shapes) differ in shape")
            }
            return shapes[0]
        case .concatenate:
            guard shapes.allSatisfy({ $0.count == shapes[0].count && $0.dropLast() == shapes[0].dropLast() && !$0.isEmpty }) else {
                throw ShapeError("Parallel(concatenate): branch outputs \(shapes) differ before the last axis")
            }
            return shapes[0].dropLast() + [shapes.reduce(0) { $0 + $1.last! }]
        }
    }
}
