import TensorCore

/// Keras's `Normalization` preprocessing layer: standardizes each feature (the last axis) with a
/// mean and variance learned from training data by `adapt(_:)`, so that the scaling is part of
/// the model and travels in its checkpoint (scikit-learn's `StandardScaler` inside the network).
///
/// A feature whose variance is 0 in the data adapted to (a constant column) is only centered,
/// as scikit-learn does, instead of being divided by 0. With `invert` the layer undoes the
/// scaling (`x·σ + μ`): put last in a regression network adapted to the targets, it lets the
/// network learn standardized values while its outputs are in the targets' units.
///
/// The statistics are non-trainable parameters `mean` and `variance`, shape `[features]`
/// (empty until the layer is adapted or built).
///
/// ```swift
/// let norm = Normalization()
/// norm.adapt(trainingFeatures)            // [N, F]
/// let net = Sequential { norm; Dense(64, activation: .relu); Dense(3) }
/// ```
///
/// Shape: `[..., F]` unchanged.
public final class Normalization: Layer {
    public let invert: Bool
    public let mean: Parameter
    public let variance: Parameter
    /// The number of features, once known.
    public private(set) var features: Int?

    /// A layer to `adapt`; `features` may be given to build it at once (identity until adapted).
    public init(features: Int? = nil, invert: Bool = false) {
        require(features.map { $0 > 0 } ?? true, "Normalization: features must be positive, got \(features!)")
        self.invert = invert
        mean = Parameter(Tensor.zeros([features ?? 0]), buffer: true)
        variance = Parameter(Tensor.ones([features ?? 0]), buffer: true)
        self.features = features
    }

    /// A layer adapted to `data` (`[N, ..., F]`).
    public convenience init(adaptingTo data: Tensor, invert: Bool = false) {
        self.init(invert: invert)
        adapt(data)
    }

    /// Learns each feature's mean and (biased) variance over every other axis of `data`
    /// (`[N, ..., F]`), in double precision. Returns the features whose variance is 0.
    @discardableResult
    public func adapt(_ data: Tensor) -> [Int] {
        require(data.rank >= 1 && data.scalarCount > 0, "Normalization.adapt: data of shape \(data.shape) is empty")
        let f = data.shape[data.rank - 1]
        require(features == nil || features == f, "Normalization: built for \(features ?? 0) features, adapted to \(f)")
        let x = data.scalars, rows = x.count / f
        var sums = [Double](repeating: 0, count: f)
        for r in 0..<rows { for c in 0..<f { sums[c] += Double(x[r * f + c]) } }
        let means = sums.map { $0 / Double(rows) }
        var squares = [Double](repeating: 0, count: f)
        for r in 0..<rows { for c in 0..<f { let d = Double(x[r * f + c]) - means[c]; squares[c] += d * d } }
        let variances = squares.map { $0 / Double(rows) }
        features = f
        mean.value = Tensor(means.map { Float($0) })
        variance.value = Tensor(variances.map { Float($0) })
        return (0..<f).filter { variances[$0] == 0 }
    }

    /// 1/σ per feature, 1 where σ is 0.
    private var inverseDeviation: Tensor {
        Tensor(variance.value.scalars.map { $0 > 0 ? 1 / $0.squareRoot() : 1 })
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let f = input.rank >= 1 ? input.shape[input.rank - 1] : 0
        require(features == f, features == nil
                ? "Normalization: call adapt(_:) before using the layer"
                : "Normalization(\(features!)): input of shape \(input.shape) should end in \(features!)")
        return invert ? input / inverseDeviation + mean.value : (input - mean.value) * inverseDeviation
    }

    public var description: String { "Normalization(\(features.map(String.init) ?? "?")\(invert ? ", invert" : ""))" }
}

extension Normalization: ConfigurableLayer {
    public static let typeName = "Normalization"
    public var configuration: [String: any Sendable] {
        var c: [String: any Sendable] = ["invert": invert]
        if let features { c["features"] = features }
        return c
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let features = c["features"] == nil ? nil : try c.size("features", of: Self.typeName)
        try LayerRegistry.reserve([[features ?? 0], [features ?? 0]], of: Self.typeName)
        self.init(features: features, invert: (c["invert"] as? Bool) ?? false)
    }
}

extension Normalization: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard let last = input.last, last == features else {
            throw ShapeError("\(description): input of shape \(input) should end in \(features ?? 0)")
        }
        return input
    }
}
