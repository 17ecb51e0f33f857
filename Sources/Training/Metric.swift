import TensorCore

/// A score accumulated over batches during `fit` and `evaluate`, named in logs and histories.
public protocol Metric: AnyObject {
    /// The key in logs (`accuracy`; validation adds `val_`).
    var name: String { get }
    /// Adds a batch: model outputs and targets as given to the loss.
    func update(outputs: Tensor, targets: Tensor)
    /// The score over everything added since the last `reset()`.
    func result() -> Float
    func reset()
}

/// Whether outputs are class scores (`[N, C]` logits against `[N]` integer labels) and what
/// the prediction is.
private func predictedClasses(_ outputs: Tensor) -> [Int] {
    outputs.argmax(along: -1).integers
}

/// The fraction of examples whose highest-scoring class is the label.
public final class Accuracy: Metric {
    public let name = "accuracy"
    private var correct = 0, total = 0
    public init() {}
    public func update(outputs: Tensor, targets: Tensor) {
        let truth = targets.dtype.isFloatingPoint && targets.rank == outputs.rank
            ? targets.argmax(along: -1).integers : targets.integers
        for (p, t) in zip(predictedClasses(outputs), truth) where p == t { correct += 1 }
        total += truth.count
    }
    public func result() -> Float { total == 0 ? 0 : Float(correct) / Float(total) }
    public func reset() { correct = 0; total = 0 }
}

/// The fraction of examples whose label is among the `k` highest scores.
public final class TopKAccuracy: Metric {
    public let k: Int
    public var name: String { "top\(k)_accuracy" }
    private var hits: Float = 0, total = 0
    public init(k: Int = 5) { self.k = k }
    public func update(outputs: Tensor, targets: Tensor) {
        let n = targets.shape[0]
        hits += Metrics.topKAccuracy(logits: outputs, labels: targets, k: k) * Float(n)
        total += n
    }
    public func result() -> Float { total == 0 ? 0 : hits / Float(total) }
    public func reset() { hits = 0; total = 0 }
}

/// Precision, recall or F1 over classes, from an accumulated confusion matrix.
public final class ClassificationScore: Metric {
    public enum Kind: String, Sendable { case precision, recall, f1 }
    public let kind: Kind
    public let average: Metrics.Average
    public let classCount: Int
    private var predicted: [Int] = [], actual: [Int] = []

    public init(_ kind: Kind, classCount: Int, average: Metrics.Average = .macro) {
        self.kind = kind
        self.classCount = classCount
        self.average = average
    }

    public var name: String { "\(kind.rawValue)_\(average.rawValue)" }

    public func update(outputs: Tensor, targets: Tensor) {
        predicted += predictedClasses(outputs)
        actual += targets.integers
    }

    /// The confusion matrix of everything added so far.
    public var confusionMatrix: [[Int]] {
        Metrics.confusionMatrix(predicted: predicted, actual: actual, classCount: classCount)
    }

    public func result() -> Float {
        let scores = Metrics.precisionRecallF1(confusionMatrix, average: average)
        switch kind {
        case .precision: return scores.precision
        case .recall: return scores.recall
        case .f1: return scores.f1
        }
    }

    public func reset() { predicted = []; actual = [] }
}

/// Area under the ROC curve for binary problems: outputs are one logit or probability per
/// example (higher means class 1), targets are 0 or 1.
public final class AUC: Metric {
    public let name = "auc"
    private var scores: [Float] = [], labels: [Int] = []
    public init() {}
    public func update(outputs: Tensor, targets: Tensor) {
        scores += outputs.scalars
        labels += targets.integers
    }
    public func result() -> Float { Metrics.auc(scores: scores, labels: labels) }
    public func reset() { scores = []; labels = [] }
}

/// Mean squared or absolute error of regression outputs.
public final class RegressionError: Metric {
    public enum Kind: String, Sendable { case mse, mae }
    public let kind: Kind
    public var name: String { kind.rawValue }
    private var sum: Double = 0, count = 0
    public init(_ kind: Kind) { self.kind = kind }
    public func update(outputs: Tensor, targets: Tensor) {
        for (o, t) in zip(outputs.scalars, targets.scalars) {
            let e = Double(o - t)
            sum += kind == .mse ? e * e : Swift.abs(e)
        }
        count += outputs.scalarCount
    }
    public func result() -> Float { count == 0 ? 0 : Float(sum / Double(count)) }
    public func reset() { sum = 0; count = 0 }
}
