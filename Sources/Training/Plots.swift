import Interop
import TensorCore

// The plots of Interop (which knows nothing of training) fed from what Training computes.

extension History {
    /// The logs as curves to plot: epochs 1, 2, ..., every log key a metric (NaN in an epoch
    /// that did not log it). Throws when there are no epochs.
    public func curves() throws -> TrainingCurves {
        var keys: [String] = []
        for logs in epochs { for key in logs.keys.sorted() where !keys.contains(key) { keys.append(key) } }
        return try TrainingCurves(epochs: epochs.indices.map { Double($0 + 1) },
                                  metrics: keys.map { key in (key, epochs.map { $0[key].map(Double.init) ?? .nan }) })
    }

    /// The training curves, one panel per metric and its `val_` twin:
    /// `try history.plot().write(to: "curves.png")`.
    public func plot(width: Int = 640, height: Int = 480, only: [String]? = nil) throws -> Canvas {
        try curves().canvas(width: width, height: height, only: only)
    }
}

extension ConfusionMatrixChart {
    /// The confusion matrix of `predicted` against `actual` classes (each in `0..<classNames.count`).
    public init(predicted: [Int], actual: [Int], classNames: [String], title: String? = nil) throws {
        guard predicted.count == actual.count, !actual.isEmpty else {
            throw PlotError("\(predicted.count) predictions for \(actual.count) labels")
        }
        let k = classNames.count
        if let bad = (predicted + actual).first(where: { !(0..<k).contains($0) }) { throw PlotError("class \(bad) is not in 0..<\(k)") }
        try self.init(counts: Metrics.confusionMatrix(predicted: predicted, actual: actual, classCount: k), classNames: classNames, title: title)
    }
}

extension ROCChart {
    /// One curve per class that has both positive and negative examples: that class's score
    /// (column `c` of `scores`, `[N, C]`: probabilities or logits) against all other classes, by
    /// `Metrics.rocCurve`. Throws for mismatched shapes, labels out of range, or no class to plot.
    public static func oneVsRest(scores: Tensor, labels: [Int], classNames: [String]) throws -> [Curve] {
        let k = classNames.count
        guard scores.rank == 2, scores.shape[1] == k, scores.shape[0] == labels.count, !labels.isEmpty else {
            throw PlotError("scores of shape \(scores.shape) for \(labels.count) labels of \(k) classes (want [\(labels.count), \(k)])")
        }
        if let bad = labels.first(where: { !(0..<k).contains($0) }) { throw PlotError("class \(bad) is not in 0..<\(k)") }
        let values = scores.scalars
        guard values.allSatisfy(\.isFinite) else { throw PlotError("the scores hold NaN or infinite values") }
        var curves: [Curve] = []
        for c in 0..<k {
            let positives = labels.map { $0 == c ? 1 : 0 }
            let count = positives.reduce(0, +)
            guard count > 0 && count < labels.count else { continue }
            let column = (0..<labels.count).map { values[$0 * k + c] }
            let roc = Metrics.rocCurve(scores: column, labels: positives)
            curves.append(Curve(name: classNames[c], falsePositiveRates: roc.falsePositiveRates.map(Double.init),
                                truePositiveRates: roc.truePositiveRates.map(Double.init)))
        }
        guard !curves.isEmpty else { throw PlotError("no class has both positive and negative examples") }
        return curves
    }
}
