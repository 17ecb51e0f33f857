import TensorCore

/// A lookup table of `count` learned vectors of `dimension` values (PyTorch's `Embedding`),
/// initialized from N(0, 1). With `paddingIndex`, that row starts at zero and never receives a
/// gradient; ids equal to it embed to the stored row, as in PyTorch (so weights loaded from
/// PyTorch give its outputs).
///
/// Shape: integer ids `[...]` -> `[..., dimension]`.
public final class Embedding: Layer {
    public let count: Int, dimension: Int
    public let paddingIndex: Int?
    /// Shape: `[count, dimension]`.
    public let weight: Parameter

    public init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil) {
        require(count > 0 && dimension > 0, "Embedding: sizes must be positive, got \(count) x \(dimension)")
        require(paddingIndex.map { (0..<count).contains($0) } ?? true,
                     "Embedding: paddingIndex \(paddingIndex!) outside 0..<\(count)")
        self.count = count
        self.dimension = dimension
        self.paddingIndex = paddingIndex
        var table = Initializer.normal(std: 1).make([count, dimension])
        if let paddingIndex {
            table = table * Tensor((0..<count).map { $0 == paddingIndex ? 0 : 1 }, shape: [count, 1])
        }
        weight = Parameter(table)
    }

    public func callAsFunction(_ ids: Tensor) -> Tensor {
        require(ids.dtype != .float32, "Embedding: ids must be integers, got a float tensor of shape \(ids.shape)")
        let flat = ids.reshaped(to: [ids.scalarCount])
        var rows = weight.value.selecting(along: 0, indices: flat)
        if let paddingIndex, rows.node != nil {
            // The stored row forward; no gradient back to it.
            let keep = Tensor(flat.integers.map { $0 == paddingIndex ? Float(0) : 1 }, shape: [ids.scalarCount, 1])
            rows = select(keep, rows, rows.detached())
        }
        return rows.reshaped(to: Shape(ids.shape.dimensions + [dimension]))
    }

    public var description: String {
        "Embedding(\(count), \(dimension)\(paddingIndex.map { ", paddingIndex: \($0)" } ?? ""))"
    }
}

extension Embedding: ConfigurableLayer {
    public static let typeName = "Embedding"
    public var configuration: [String: any Sendable] {
        var c: [String: any Sendable] = ["count": count, "dimension": dimension]
        if let paddingIndex { c["paddingIndex"] = paddingIndex }
        return c
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (count, dimension) = (try c.size("count", of: t), try c.size("dimension", of: t))
        let padding = c["paddingIndex"] == nil ? nil : try c.size("paddingIndex", of: t, minimum: 0, maximum: count - 1)
        try LayerRegistry.reserve([[count, dimension]], of: t)
        self.init(count, dimension, paddingIndex: padding)
    }
}
