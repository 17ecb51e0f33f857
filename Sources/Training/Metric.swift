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

/// The coefficient of determination of regression outputs, 1 − Σ(y − ŷ)² / Σ(y − ȳ)² over all
/// values (scikit-learn's `r2_score` for one output; for several, over all values pooled).
/// 0 for constant targets predicted exactly is reported as 1, and as 0 otherwise (scikit-learn's
/// `force_finite`).
public final class RSquared: Metric {
    public let name = "r2"
    private var residual: Double = 0, sum: Double = 0, squares: Double = 0, count = 0
    public init() {}
    public func update(outputs: Tensor, targets: Tensor) {
        for (o, t) in zip(outputs.scalars, targets.scalars) {
            let (y, e) = (Double(t), Double(o) - Double(t))
            residual += e * e
            sum += y
            squares += y * y
        }
        count += targets.scalarCount
    }
    public func result() -> Float {
        guard count > 0 else { return 0 }
        let total = squares - sum * sum / Double(count)
        guard total > 0 else { return residual == 0 ? 1 : 0 }
        return Float(1 - residual / total)
    }
    public func reset() { residual = 0; sum = 0; squares = 0; count = 0 }
}

/// The built-in metric whose `name` is `name` (`accuracy`, `top5_accuracy`, `precision_macro`,
/// `recall_micro`, `f1_macro`, `auc`, `mse`, `mae`, `r2`), for a model with `classCount`
/// classes: how a saved model's metrics are made again. Nil for any other name.
public func builtInMetric(named name: String, classCount: Int?) -> (any Metric)? {
    switch name {
    case "accuracy": return Accuracy()
    case "auc": return AUC()
    case "mse": return RegressionError(.mse)
    case "mae": return RegressionError(.mae)
    case "r2": return RSquared()
    default: break
    }
    if name.hasPrefix("top"), name.hasSuffix("_accuracy"), let k = Int(name.dropFirst(3).dropLast(9)), (1...1 << 20).contains(k) {
        return TopKAccuracy(k: k)
    }
    let parts = name.split(separator: "_").map(String.init)
    if parts.count == 2, let kind = ClassificationScore.Kind(rawValue: parts[0]), let average = Metrics.Average(rawValue: parts[1]),
       let classCount, (1...1 << 20).contains(classCount) {
        return ClassificationScore(kind, classCount: classCount, average: average)
    }
    return nil
}
