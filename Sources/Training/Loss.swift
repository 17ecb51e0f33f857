import Layers
import TensorCore

/// A named loss for `Model.compile`: a function of (outputs, targets) to minimize.
public struct Loss: Sendable {
    public let name: String
    private let compute: @Sendable (Tensor, Tensor) -> Tensor

    public init(name: String, _ compute: @escaping @Sendable (_ outputs: Tensor, _ targets: Tensor) -> Tensor) {
        self.name = name
        self.compute = compute
    }

    public func callAsFunction(_ outputs: Tensor, _ targets: Tensor) -> Tensor { compute(outputs, targets) }

    /// Cross-entropy on logits against integer labels `[N]` or target distributions `[N, C]`.
    public static func crossEntropy(labelSmoothing: Float = 0) -> Loss {
        Loss(name: "cross_entropy") { outputs, targets in
            targets.dtype.isFloatingPoint
                ? Layers.crossEntropy(logits: outputs, targets: targets, labelSmoothing: labelSmoothing)
                : Layers.crossEntropy(logits: outputs, labels: targets, labelSmoothing: labelSmoothing)
        }
    }
    /// Keras's `categorical_crossentropy` (one-hot or soft targets `[N, C]`, or integer labels
    /// `[N]`): on the logits of a model without a final softmax when `fromLogits` (exact), or on
    /// the probabilities of a softmax output (clipped as Keras does).
    public static func categoricalCrossEntropy(fromLogits: Bool = false, labelSmoothing: Float = 0) -> Loss {
        if fromLogits { return crossEntropy(labelSmoothing: labelSmoothing) }
        return Loss(name: "categorical_cross_entropy") { outputs, targets in
            let classes = Float(outputs.shape[outputs.rank - 1])
            let t = targets.dtype.isFloatingPoint ? targets : targets.oneHot(classCount: Int(classes))
            return Layers.crossEntropy(probabilities: outputs, targets: labelSmoothing > 0 ? t * (1 - labelSmoothing) + labelSmoothing / classes : t)
        }
    }
    public static let meanSquaredError = Loss(name: "mse") { Layers.meanSquaredError($0, $1) }
    public static let meanAbsoluteError = Loss(name: "mae") { Layers.meanAbsoluteError($0, $1) }
    public static func huber(delta: Float = 1) -> Loss { Loss(name: "huber") { huberLoss($0, $1, delta: delta) } }
    /// Binary cross-entropy on probabilities (after a sigmoid).
    public static let binaryCrossEntropy = Loss(name: "binary_cross_entropy") { Layers.binaryCrossEntropy($0, $1) }
    /// Binary cross-entropy on logits (no sigmoid in the model): the stable choice.
    public static let binaryCrossEntropyWithLogits = Loss(name: "binary_cross_entropy") { Layers.binaryCrossEntropy(logits: $0, $1) }
    public static let hinge = Loss(name: "hinge") { hingeLoss($0, $1) }
    /// KL divergence from log-probability outputs to target distributions.
    public static let klDivergence = Loss(name: "kl_divergence") { Layers.klDivergence(logProbabilities: $0, targets: $1) }
}
