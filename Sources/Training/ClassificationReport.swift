import Foundation

/// Per-class precision, recall, F1 and support with their averages, and the confusion matrix:
/// scikit-learn's `classification_report` (its `description` prints the same table) and
/// `confusion_matrix`. Scores of a class never predicted or never present are 0, as with
/// scikit-learn's `zero_division=0`.
public struct ClassificationReport: Sendable, CustomStringConvertible {
    public struct Row: Sendable, Equatable {
        public let name: String
        public let precision, recall, f1: Double
        public let support: Int
    }

    /// One row per class, in class order.
    public let classes: [Row]
    public let accuracy: Double
    /// The unweighted mean over classes, and the mean weighted by support.
    public let macroAverage: Row, weightedAverage: Row
    /// Row `i`, column `j`: how many examples of class `i` were predicted as class `j`.
    public let confusionMatrix: [[Int]]

    public init(predicted: [Int], actual: [Int], classNames: [String]) {
        let k = classNames.count
        let confusion = Metrics.confusionMatrix(predicted: predicted, actual: actual, classCount: k)
        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
        let rows = (0..<k).map { c in
            let tp = confusion[c][c]
            let predictedCount = confusion.reduce(0) { $0 + $1[c] }, support = confusion[c].reduce(0, +)
            let p = ratio(tp, predictedCount), r = ratio(tp, support)
            return Row(name: classNames[c], precision: p, recall: r, f1: p + r == 0 ? 0 : 2 * p * r / (p + r), support: support)
        }
        let total = actual.count
        func average(_ name: String, _ weight: (Row) -> Double) -> Row {
            let sum = rows.reduce(0) { $0 + weight($1) }
            func mean(_ value: (Row) -> Double) -> Double { sum == 0 ? 0 : rows.reduce(0) { $0 + weight($1) * value($1) } / sum }
            return Row(name: name, precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1), support: total)
        }
        macroAverage = average("macro avg") { _ in 1 }
        weightedAverage = average("weighted avg") { Double($0.support) }
        accuracy = ratio((0..<k).reduce(0) { $0 + confusion[$1][$1] }, total)
        classes = rows
        confusionMatrix = confusion
    }

    /// The table as scikit-learn prints it (two decimals, the same columns and spacing).
    public var description: String {
        let width = Swift.max(classes.map(\.name.count).max() ?? 0, "weighted avg".count)
        func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: Swift.max(n - s.count, 0)) + s }
        func fields(_ name: String, _ values: [String]) -> String { pad(name, width) + " " + values.map { " " + pad($0, 9) }.joined() }
        func line(_ r: Row) -> String {
            fields(r.name, [r.precision, r.recall, r.f1].map { String(format: "%.2f", $0) } + [String(r.support)])
        }
        var lines = [fields("", ["precision", "recall", "f1-score", "support"]), ""]
        lines += classes.map(line)
        lines.append("")
        lines.append(fields("accuracy", ["", "", String(format: "%.2f", accuracy), String(macroAverage.support)]))
        lines += [line(macroAverage), line(weightedAverage)]
        return lines.joined(separator: "\n")
    }

    /// The confusion matrix with the class names on both axes (rows: true class).
    public var confusionMatrixDescription: String {
        let names = classes.map(\.name)
        let cell = Swift.max((names.map(\.count) + confusionMatrix.flatMap { $0 }.map { String($0).count }).max() ?? 1, 4) + 1
        func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: Swift.max(n - s.count, 0)) + s }
        var lines = [pad("true \\ predicted", cell + 12) + names.map { pad($0, cell) }.joined()]
        for (name, row) in zip(names, confusionMatrix) { lines.append(pad(name, cell + 12) + row.map { pad(String($0), cell) }.joined()) }
        return lines.joined(separator: "\n")
    }
}
