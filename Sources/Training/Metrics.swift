import TensorCore

/// Classification and regression scores computed from whole sets of predictions.
public enum Metrics {
    /// Row `i`, column `j`: how many examples of true class `i` were predicted as class `j`.
    public static func confusionMatrix(predicted: [Int], actual: [Int], classCount: Int) -> [[Int]] {
        require(predicted.count == actual.count, "confusionMatrix: \(predicted.count) predictions for \(actual.count) labels")
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (p, a) in zip(predicted, actual) {
            require((0..<classCount).contains(p) && (0..<classCount).contains(a),
                         "confusionMatrix: class \(Swift.max(p, a)) is out of range 0..<\(classCount)")
            matrix[a][p] += 1
        }
        return matrix
    }

    /// How per-class scores are combined: the unweighted mean over classes (macro) or one score
    /// over all decisions pooled (micro, which equals accuracy for single-label problems).
    public enum Average: String, Sendable { case macro, micro }

    /// Precision, recall and F1 from a confusion matrix. Classes never predicted (or never
    /// present) count as 0 in the macro mean, as scikit-learn's `zero_division=0` does.
    public static func precisionRecallF1(_ confusion: [[Int]], average: Average) -> (precision: Float, recall: Float, f1: Float) {
        let k = confusion.count
        let truePositives = (0..<k).map { confusion[$0][$0] }
        let predictedCounts = (0..<k).map { j in confusion.reduce(0) { $0 + $1[j] } }
        let actualCounts = confusion.map { $0.reduce(0, +) }
        func ratio(_ a: Int, _ b: Int) -> Float { b == 0 ? 0 : Float(a) / Float(b) }
        switch average {
        case .micro:
            let tp = truePositives.reduce(0, +)
            let p = ratio(tp, predictedCounts.reduce(0, +)), r = ratio(tp, actualCounts.reduce(0, +))
            return (p, r, p + r == 0 ? 0 : 2 * p * r / (p + r))
        case .macro:
            var ps: Float = 0, rs: Float = 0, fs: Float = 0
            for c in 0..<k {
                let p = ratio(truePositives[c], predictedCounts[c]), r = ratio(truePositives[c], actualCounts[c])
                ps += p
                rs += r
                fs += p + r == 0 ? 0 : 2 * p * r / (p + r)
            }
            return (ps / Float(k), rs / Float(k), fs / Float(k))
        }
    }

    /// The ROC curve of binary `scores` (higher means positive) against labels in {0, 1}:
    /// false- and true-positive rates at every distinct threshold, from the highest down.
    public static func rocCurve(scores: [Float], labels: [Int]) -> (falsePositiveRates: [Float], truePositiveRates: [Float], thresholds: [Float]) {
        require(scores.count == labels.count, "rocCurve: \(scores.count) scores for \(labels.count) labels")
        let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
        require(positives > 0 && negatives > 0, "rocCurve: needs both positive and negative examples")
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var fpr: [Float] = [0], tpr: [Float] = [0], thresholds: [Float] = [.infinity]
        var tp = 0, fp = 0
        for (rank, i) in order.enumerated() {
            if labels[i] == 1 { tp += 1 } else { fp += 1 }
            // Emit a point only after the last example sharing this score.
            if rank == order.count - 1 || scores[order[rank + 1]] != scores[i] {
                fpr.append(Float(fp) / Float(negatives))
                tpr.append(Float(tp) / Float(positives))
                thresholds.append(scores[i])
            }
        }
        return (fpr, tpr, thresholds)
    }

    /// The area under the ROC curve (trapezoidal rule).
    public static func auc(scores: [Float], labels: [Int]) -> Float {
        let (fpr, tpr, _) = rocCurve(scores: scores, labels: labels)
        var area: Float = 0
        for i in 1..<fpr.count { area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2 }
        return area
    }

    /// The fraction of rows of `logits` whose label is among the `k` highest scores.
    ///
    /// Shape: logits `[N, C]`, labels `[N]`.
    public static func topKAccuracy(logits: Tensor, labels: Tensor, k: Int) -> Float {
        let scores = logits.scalars, truth = labels.integers
        let classes = logits.shape[1]
        var hits = 0
        for (row, label) in truth.enumerated() {
            let own = scores[row * classes + label]
            // Ties count in the label's favour only when ranked ahead of it by index, as sorting does.
            var ahead = 0
            for c in 0..<classes where c != label {
                let s = scores[row * classes + c]
                if s > own || (s == own && c < label) { ahead += 1 }
            }
            if ahead < k { hits += 1 }
        }
        return Float(hits) / Float(Swift.max(truth.count, 1))
    }
}
