import Foundation

/// A confusion matrix as a heat map: row `i`, column `j` holds how many examples of true class
/// `i` were predicted as class `j`, written in the cell; the cell's shade is that count's share
/// of its row (the recall on the diagonal), with a color bar for the scale.
public struct ConfusionMatrixChart: Sendable {
    public let counts: [[Int]]
    public let classNames: [String]
    public var title: String?
    public var textSize: Double = 15

    /// Throws unless `counts` is square, non-negative, and has one row per class name.
    public init(counts: [[Int]], classNames: [String], title: String? = nil) throws {
        guard !counts.isEmpty, counts.count <= 100, counts.allSatisfy({ $0.count == counts.count }) else {
            throw PlotError("a confusion matrix must be square, 1 to 100 classes; got \(counts.map(\.count)) cells per row")
        }
        guard classNames.count == counts.count else {
            throw PlotError("\(classNames.count) class names for a \(counts.count)x\(counts.count) confusion matrix")
        }
        guard counts.allSatisfy({ $0.allSatisfy { $0 >= 0 } }) else { throw PlotError("a confusion matrix cannot hold negative counts") }
        self.counts = counts; self.classNames = classNames; self.title = title
    }

    /// The shade of a cell whose count is `fraction` of its row: white to dark blue.
    static func shade(_ fraction: Double) -> Color {
        let t = Swift.max(0, Swift.min(1, fraction.isFinite ? fraction : 0))
        let low: (Double, Double, Double) = (247, 251, 255), high: (Double, Double, Double) = (8, 48, 107)
        func mix(_ a: Double, _ b: Double) -> UInt8 { UInt8((a + (b - a) * t).rounded()) }
        return Color(red: mix(low.0, high.0), green: mix(low.1, high.1), blue: mix(low.2, high.2))
    }

    /// The count's share of its row (0 for an empty row).
    func fraction(_ row: Int, _ column: Int) -> Double {
        let total = counts[row].reduce(0, +)
        return total == 0 ? 0 : Double(counts[row][column]) / Double(total)
    }

    public func canvas(width: Int = 640, height: Int = 600) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        let style = TextStyle(size: textSize)
        let gap = textSize * 0.5
        let nameWidth = classNames.map { style.width(of: $0) }.max() ?? 0
        let bar = textSize, barLabels = style.width(of: "1.0")
        let top = title == nil ? gap * 2 : textSize * 2
        let left = gap + textSize + gap + nameWidth + gap
        let availableWidth = Double(canvas.width) - left - gap * 3 - bar - gap - barLabels - gap
        let availableHeight = Double(canvas.height) - top - gap - nameWidth - gap - textSize - gap * 2
        let k = counts.count
        let cell = (Swift.min(availableWidth, availableHeight) / Double(k)).rounded(.down)
        guard cell >= 2 else { return canvas }
        let side = cell * Double(k)
        // Centered in the room left over.
        let dx = ((availableWidth - side) / 2).rounded(.down), dy = ((availableHeight - side) / 2).rounded(.down)
        let matrix = Rect(x: (left + dx).rounded(), y: (top + dy).rounded(), width: side, height: side)

        if let title {
            canvas.text(title, at: Point(Double(canvas.width) / 2, textSize * 1.2), style: TextStyle(size: textSize, anchor: .middle, bold: true))
        }
        // The counts at the text size, or at 10 px, if the widest number fits a cell.
        let widest = counts.flatMap { $0 }.map { String($0).count }.max() ?? 1
        let countSize = [textSize, 10].first { TextStyle(size: $0).width(of: String(repeating: "0", count: widest)) + 4 <= cell }
        for i in 0..<k {
            for j in 0..<k {
                let r = Rect(x: matrix.x + Double(j) * cell, y: matrix.y + Double(i) * cell, width: cell, height: cell)
                let f = fraction(i, j)
                canvas.rect(r, fill: Self.shade(f))
                if let countSize {
                    canvas.text(String(counts[i][j]), centeredOn: r.center,
                                style: TextStyle(size: countSize, color: f > 0.45 ? .white : .text, anchor: .middle))
                }
            }
        }
        canvas.rect(Rect(x: matrix.x + 0.5, y: matrix.y + 0.5, width: side - 1, height: side - 1), stroke: Stroke(.axis))
        for (i, name) in classNames.enumerated() {
            let middle = (matrix.y + (Double(i) + 0.5) * cell)
            canvas.text(name, centeredOn: Point(matrix.x - gap, middle), style: TextStyle(size: textSize, anchor: .end))
            let column = (matrix.x + (Double(i) + 0.5) * cell)
            canvas.text(name, centeredOn: Point(column, matrix.maxY + gap), style: TextStyle(size: textSize, anchor: .end, vertical: true))
        }
        canvas.text("true class", centeredOn: Point(dx + gap + textSize / 2, matrix.y + side / 2), style: TextStyle(size: textSize, anchor: .middle, vertical: true))
        canvas.text("predicted class", at: Point(matrix.x + side / 2, matrix.maxY + gap + nameWidth + gap + textSize * 0.8),
                    style: TextStyle(size: textSize, anchor: .middle))

        // The color bar: the share of the true class, 0 at the bottom to 1 at the top.
        let barRect = Rect(x: (matrix.maxX + gap * 3).rounded(), y: matrix.y, width: bar, height: side)
        let steps = Int(side)
        for s in 0..<steps {
            canvas.rect(Rect(x: barRect.x, y: barRect.maxY - Double(s + 1), width: bar, height: 1), fill: Self.shade((Double(s) + 0.5) / Double(steps)))
        }
        canvas.rect(Rect(x: barRect.x + 0.5, y: barRect.y + 0.5, width: bar - 1, height: side - 1), stroke: Stroke(.axis))
        for v in [0.0, 0.5, 1.0] {
            let y = (barRect.maxY - v * side).rounded(.down) + 0.5
            canvas.line([Point(barRect.maxX, y), Point(barRect.maxX + 4, y)], stroke: Stroke(.axis))
            canvas.text(String(format: "%.1f", v), centeredOn: Point(barRect.maxX + 4 + gap / 2, y), style: style)
        }
        return canvas
    }
}

/// ROC curves (one per class, one against the rest) with each curve's area in its legend entry
/// and the diagonal of a classifier that guesses.
public enum ROCChart {
    /// A curve: false- and true-positive rates from the highest threshold down, from (0, 0) to (1, 1).
    public struct Curve: Sendable {
        public var name: String
        public var falsePositiveRates: [Double], truePositiveRates: [Double]
        public init(name: String, falsePositiveRates: [Double], truePositiveRates: [Double]) {
            self.name = name; self.falsePositiveRates = falsePositiveRates; self.truePositiveRates = truePositiveRates
        }
        /// The area under the curve by the trapezoidal rule (what scikit-learn's `auc` computes).
        public var area: Double {
            var total = 0.0
            let n = Swift.min(falsePositiveRates.count, truePositiveRates.count)
            guard n >= 2 else { return 0 }
            for i in 1..<n {
                total += (falsePositiveRates[i] - falsePositiveRates[i - 1]) * (truePositiveRates[i] + truePositiveRates[i - 1]) / 2
            }
            return total
        }
    }

    /// The chart of `curves`, each named with its area ("Coat (AUC 0.912)"), over 0...1 on both axes.
    public static func chart(_ curves: [Curve], title: String? = "ROC curves (one class against the rest)") -> LineChart {
        var series = curves.enumerated().map { i, c in
            Series(String(format: "%@ (AUC %.3f)", c.name, c.area), x: c.falsePositiveRates, y: c.truePositiveRates,
                   color: Color.palette[i % Color.palette.count], markers: false)
        }
        series.append(Series("chance (AUC 0.500)", x: [0, 1], y: [0, 1], color: Color(hex: 0x999999), dashed: true, markers: false, width: 1.5))
        return LineChart(title: title, xLabel: "false positive rate", yLabel: "true positive rate", series: series,
                         xRange: -0.02...1.02, yRange: -0.02...1.02, legendTextSize: curves.count > 12 ? 10 : nil)
    }
}
