import Layers
import TensorCore

/// A named loss for `Model.compile`: a function of (outputs, targets) to minimize.
///
/// The built-in losses know their per-example values, so `fit` can weight examples
/// (`sampleWeight`, `classWeight`: Σ wᵢ lᵢ / N, Keras's `sum_over_batch_size`), and carry their
/// `configuration`, so a saved model can be compiled again when loaded.
public struct Loss: Sendable {
    /// A built-in loss and its settings.
    public enum Configuration: Codable, Sendable, Equatable {
        case crossEntropy(labelSmoothing: Float)
        case categoricalCrossEntropy(fromLogits: Bool, labelSmoothing: Float)
        case meanSquaredError, meanAbsoluteError
        case huber(delta: Float)
        case binaryCrossEntropy(fromLogits: Bool)
        case hinge, klDivergence

        /// Whether the outputs this loss takes are logits (to be passed through a softmax or
        /// sigmoid for probabilities), probabilities, or neither (regression).
        public var outputKind: OutputKind {
            switch self {
            case .crossEntropy: return .logits
            case .categoricalCrossEntropy(let fromLogits, _), .binaryCrossEntropy(let fromLogits):
                return fromLogits ? .logits : .probabilities
            case .klDivergence: return .logProbabilities
            case .meanSquaredError, .meanAbsoluteError, .huber, .hinge: return .values
            }
        }

        /// Throws unless the settings are usable (from a file, they are checked before use).
        public func validate() throws {
            switch self {
            case .crossEntropy(let s), .categoricalCrossEntropy(_, let s):
                guard (0..<1).contains(s) else { throw Checkpoint.MismatchError(description: "loss \(self): label smoothing must be in [0, 1)") }
            case .huber(let delta):
                guard delta.isFinite && delta > 0 else { throw Checkpoint.MismatchError(description: "loss \(self): delta must be > 0") }
            default: break
            }
        }
    }

    public enum OutputKind: Sendable { case logits, probabilities, logProbabilities, values }

    public let name: String
    /// The built-in loss this is, nil for a custom one.
    public let configuration: Configuration?
    private let compute: @Sendable (Tensor, Tensor) -> Tensor
    private let perExample: (@Sendable (Tensor, Tensor) -> Tensor)?

    /// A custom loss: `compute` returns the (scalar) value to minimize. It cannot weight
    /// examples unless `perExample` gives each example's value (shape `[N]`).
    public init(name: String, perExample: (@Sendable (_ outputs: Tensor, _ targets: Tensor) -> Tensor)? = nil,
                _ compute: @escaping @Sendable (_ outputs: Tensor, _ targets: Tensor) -> Tensor) {
        self.name = name
        self.configuration = nil
        self.compute = compute
        self.perExample = perExample
    }

    /// The built-in loss `configuration` describes.
    public init(_ configuration: Configuration) {
        self.configuration = configuration
        switch configuration {
        case .crossEntropy(let smoothing):
            name = "cross_entropy"
            compute = { Loss.crossEntropyOnLogits($0, $1, smoothing, .mean) }
            perExample = { Loss.crossEntropyOnLogits($0, $1, smoothing, .none) }
        case .categoricalCrossEntropy(true, let smoothing):
            name = "cross_entropy"
            compute = { Loss.crossEntropyOnLogits($0, $1, smoothing, .mean) }
            perExample = { Loss.crossEntropyOnLogits($0, $1, smoothing, .none) }
        case .categoricalCrossEntropy(false, let smoothing):
            name = "categorical_cross_entropy"
            compute = { Loss.crossEntropyOnProbabilities($0, $1, smoothing, .mean) }
            perExample = { Loss.crossEntropyOnProbabilities($0, $1, smoothing, .none) }
        case .meanSquaredError:
            name = "mse"
            compute = { Layers.meanSquaredError($0, $1) }
            perExample = { Loss.rowMeans(Layers.meanSquaredError($0, $1, reduction: .none)) }
        case .meanAbsoluteError:
            name = "mae"
            compute = { Layers.meanAbsoluteError($0, $1) }
            perExample = { Loss.rowMeans(Layers.meanAbsoluteError($0, $1, reduction: .none)) }
        case .huber(let delta):
            name = "huber"
            compute = { huberLoss($0, $1, delta: delta) }
            perExample = { Loss.rowMeans(huberLoss($0, $1, delta: delta, reduction: .none)) }
        case .binaryCrossEntropy(let fromLogits):
            name = "binary_cross_entropy"
            compute = { fromLogits ? Layers.binaryCrossEntropy(logits: $0, $1) : Layers.binaryCrossEntropy($0, $1) }
            perExample = {
                Loss.rowMeans(fromLogits ? Layers.binaryCrossEntropy(logits: $0, $1, reduction: .none)
                                         : Layers.binaryCrossEntropy($0, $1, reduction: .none))
            }
        case .hinge:
            name = "hinge"
            compute = { hingeLoss($0, $1) }
            perExample = { Loss.rowMeans(hingeLoss($0, $1, reduction: .none)) }
        case .klDivergence:
            name = "kl_divergence"
            compute = { Layers.klDivergence(logProbabilities: $0, targets: $1) }
            perExample = { Layers.klDivergence(logProbabilities: $0, targets: $1, reduction: .none) }
        }
    }

    public func callAsFunction(_ outputs: Tensor, _ targets: Tensor) -> Tensor { compute(outputs, targets) }

    /// Whether `callAsFunction(_:_:weights:)` can be used.
    public var canWeightExamples: Bool { perExample != nil }

    /// Σ wᵢ lᵢ / N: each example's loss scaled by its weight (shape `[N]`), averaged over the batch.
    public func callAsFunction(_ outputs: Tensor, _ targets: Tensor, weights: Tensor) -> Tensor {
        guard let perExample else { requirementFailure("loss '\(name)' has no per-example values, so it cannot weight examples") }
        let values = perExample(outputs, targets)
        require(values.shape == weights.shape, "loss '\(name)': \(values.shape) example losses for weights \(weights.shape)")
        return (values * weights).mean()
    }

    /// Per-example means over every axis but the first.
    private static func rowMeans(_ x: Tensor) -> Tensor {
        x.rank <= 1 ? x : x.reshaped(to: [x.shape[0], -1]).mean(along: 1)
    }

    private static func crossEntropyOnLogits(_ outputs: Tensor, _ targets: Tensor, _ smoothing: Float, _ reduction: Reduction) -> Tensor {
        targets.dtype.isFloatingPoint
            ? Layers.crossEntropy(logits: outputs, targets: targets, labelSmoothing: smoothing, reduction: reduction)
            : Layers.crossEntropy(logits: outputs, labels: targets, labelSmoothing: smoothing, reduction: reduction)
    }

    private static func crossEntropyOnProbabilities(_ outputs: Tensor, _ targets: Tensor, _ smoothing: Float, _ reduction: Reduction) -> Tensor {
        let classes = Float(outputs.shape[outputs.rank - 1])
        let t = targets.dtype.isFloatingPoint ? targets : targets.oneHot(classCount: Int(classes))
        return Layers.crossEntropy(probabilities: outputs, targets: smoothing > 0 ? t * (1 - smoothing) + smoothing / classes : t,
                                   reduction: reduction)
    }

    /// Cross-entropy on logits against integer labels `[N]` or target distributions `[N, C]`.
    public static func crossEntropy(labelSmoothing: Float = 0) -> Loss { Loss(.crossEntropy(labelSmoothing: labelSmoothing)) }
    /// Keras's `categorical_crossentropy` (one-hot or soft targets `[N, C]`, or integer labels
    /// `[N]`): on the logits of a model without a final softmax when `fromLogits` (exact), or on
    /// the probabilities of a softmax output (clipped as Keras does).
    public static func categoricalCrossEntropy(fromLogits: Bool = false, labelSmoothing: Float = 0) -> Loss {
        Loss(.categoricalCrossEntropy(fromLogits: fromLogits, labelSmoothing: labelSmoothing))
    }
    public static let meanSquaredError = Loss(.meanSquaredError)
    public static let meanAbsoluteError = Loss(.meanAbsoluteError)
    public static func huber(delta: Float = 1) -> Loss { Loss(.huber(delta: delta)) }
    /// Binary cross-entropy on probabilities (after a sigmoid).
    public static let binaryCrossEntropy = Loss(.binaryCrossEntropy(fromLogits: false))
    /// Binary cross-entropy on logits (no sigmoid in the model): the stable choice.
    public static let binaryCrossEntropyWithLogits = Loss(.binaryCrossEntropy(fromLogits: true))
    public static let hinge = Loss(.hinge)
    /// KL divergence from log-probability outputs to target distributions.
    public static let klDivergence = Loss(.klDivergence)
}
