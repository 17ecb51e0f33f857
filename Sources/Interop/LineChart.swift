import Foundation

/// Axis ticks at whole multiples of 1, 2 or 5 times a power of ten ("nice" numbers).
public enum Ticks {
    /// The smallest step of 1, 2 or 5 times a power of ten that puts at most `maxCount` ticks
    /// in `lower...upper` (an empty or invalid range gives 1).
    public static func step(_ lower: Double, _ upper: Double, maxCount: Int = 6) -> Double {
        let span = upper - lower
        guard span.isFinite, span > 0, maxCount >= 2 else { return 1 }
        var exponent = (log10(span / Double(maxCount))).rounded(.down) - 1
        while true {
            for mantissa in [1.0, 2, 5] {
                let step = mantissa * pow(10, exponent)
                if count(lower, upper, step) <= Double(maxCount) { return step }
            }
            exponent += 1
        }
    }

    /// The multiples of the nice step in `lower...upper`.
    public static func values(_ lower: Double, _ upper: Double, maxCount: Int = 6) -> [Double] {
        guard lower.isFinite, upper.isFinite, upper > lower else { return lower.isFinite ? [lower] : [] }
        let s = step(lower, upper, maxCount: maxCount)
        let first = (lower / s - 1e-9).rounded(.up), last = (upper / s + 1e-9).rounded(.down)
        // A range too narrow for its magnitude (1e18...1e18 + 1) has no ticks Double can tell apart.
        guard first <= last, last - first < 1000, first + 1 != first else { return [] }
        return stride(from: first, through: last, by: 1).map { $0 * s == 0 ? 0 : $0 * s }
    }

    private static func count(_ lower: Double, _ upper: Double, _ step: Double) -> Double {
        (upper / step + 1e-9).rounded(.down) - (lower / step - 1e-9).rounded(.up) + 1
    }

    /// `value` written with as many decimals as `step` needs (0.25 with step 0.05 is "0.25",
    /// 3 with step 1 is "3"); very large or very small magnitudes in exponent form.
    public static func label(_ value: Double, step: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        if Swift.abs(value) >= 1e6 || (step.isFinite && step > 0 && step < 1e-4) { return String(format: "%.3g", value) }
        let decimals = step.isFinite && step > 0 ? Swift.max(0, Int((-log10(step) - 1e-9).rounded(.up))) : 2
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) ? String(text.dropFirst()) : text
    }
}

/// One line of a `LineChart`: y against x, with points where either is NaN or infinite left out
/// (the line breaks there).
public struct Series: Sendable {
    public var name: String
    public var x: [Double], y: [Double]
    /// Nil takes the next palette color.
    public var color: Color?
    public var dashed: Bool
    /// Nil: markers when there are at most 30 points.
    public var markers: Bool?
    public var width: Double

    public init(_ name: String, x: [Double], y: [Double], color: Color? = nil, dashed: Bool = false, markers: Bool? = nil, width: Double = 2) {
        self.name = name; self.x = x; self.y = y; self.color = color; self.dashed = dashed; self.markers = markers; self.width = width
    }

    /// The (x, y) pairs with both coordinates finite, in order, split where a pair is not.
    var runs: [[(Double, Double)]] {
        var out: [[(Double, Double)]] = [[]]
        // Beyond ±1e300 a range's width would overflow: such values count as missing.
        func plottable(_ v: Double) -> Bool { v.isFinite && Swift.abs(v) <= 1e300 }
        for (a, b) in zip(x, y) {
            if plottable(a) && plottable(b) { out[out.count - 1].append((a, b)) } else if !out[out.count - 1].isEmpty { out.append([]) }
        }
        return out.filter { !$0.isEmpty }
    }
}

/// A line chart with axes, nice ticks, grid lines, axis labels, a title and a legend placed in
/// the corner of the plot that hides the fewest data points.
public struct LineChart: Sendable {
    public var title: String?
    public var xLabel: String?, yLabel: String?
    public var series: [Series]
    /// Nil: the data's range with 5% margins (integers only on x when `integerX`).
    public var xRange: ClosedRange<Double>?, yRange: ClosedRange<Double>?
    /// x holds whole numbers (epochs): ticks never fall between them.
    public var integerX: Bool
    public var showsLegend: Bool
    /// The size of tick labels and axis labels (the title is bold at the same size).
    public var textSize: Double
    /// The size of the legend's text (nil: `textSize`); 10 fits many entries.
    public var legendTextSize: Double?

    public init(title: String? = nil, xLabel: String? = nil, yLabel: String? = nil, series: [Series],
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil, integerX: Bool = false,
                showsLegend: Bool = true, textSize: Double = 15, legendTextSize: Double? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
        self.xRange = xRange; self.yRange = yRange; self.integerX = integerX; self.showsLegend = showsLegend; self.textSize = textSize
        self.legendTextSize = legendTextSize
    }

    /// The chart alone on a canvas.
    public func canvas(width: Int = 640, height: Int = 480) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        draw(on: &canvas, in: canvas.bounds)
        return canvas
    }

    /// The charts in a grid of `columns` (by default as many as fit two to a row), left to right
    /// and top to bottom; a last row with fewer charts spreads them over its width.
    public static func grid(_ charts: [LineChart], columns: Int? = nil, width: Int = 640, height: Int = 480) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        let columns = Swift.max(1, columns ?? Swift.min(2, charts.count))
        let rows = Swift.max(1, (charts.count + columns - 1) / columns)
        let cellHeight = Double(canvas.height) / Double(rows)
        for (i, chart) in charts.enumerated() {
            let row = i / columns, inRow = Swift.min(columns, charts.count - row * columns)
            let cellWidth = Double(canvas.width) / Double(inRow)
            chart.draw(on: &canvas, in: Rect(x: (Double(i % columns) * cellWidth).rounded(), y: (Double(row) * cellHeight).rounded(),
                                             width: cellWidth.rounded(.down), height: cellHeight.rounded(.down)))
        }
        return canvas
    }

    /// The range the axis shows: `given`, or the values' with 5% margins (a single value gets
    /// one unit, or 10% of itself, either side).
    static func range(_ values: [Double], given: ClosedRange<Double>?, integer: Bool) -> (Double, Double) {
        if let given, given.lowerBound.isFinite, given.upperBound.isFinite, given.upperBound > given.lowerBound {
            return (given.lowerBound, given.upperBound)
        }
        guard var low = values.min(), var high = values.max() else { return (0, 1) }
        if high - low < 1e-12 * Swift.max(1, Swift.abs(high)) {
            let pad = integer ? 1 : low == 0 ? 1 : Swift.abs(low) * 0.1
            return (low - pad, high + pad)
        }
        let margin = (high - low) * 0.05
        low -= margin; high += margin
        return (low, high)
    }

    public func draw(on canvas: inout Canvas, in frame: Rect) {
        let small = TextStyle(size: textSize, color: .text)
        let allX = series.flatMap { $0.runs.flatMap { $0.map(\.0) } }, allY = series.flatMap { $0.runs.flatMap { $0.map(\.1) } }
        let (x0, x1) = Self.range(allX, given: xRange, integer: integerX), (y0, y1) = Self.range(allY, given: yRange, integer: false)
        var xTicks = Ticks.values(x0, x1, maxCount: frame.width < 400 ? 4 : 7)
        if integerX && Ticks.step(x0, x1, maxCount: frame.width < 400 ? 4 : 7) < 1 { xTicks = xTicks.filter { $0 == $0.rounded() } }
        let yTicks = Ticks.values(y0, y1, maxCount: frame.height < 300 ? 5 : 7)
        let xStep = Ticks.step(x0, x1, maxCount: frame.width < 400 ? 4 : 7), yStep = Ticks.step(y0, y1, maxCount: frame.height < 300 ? 5 : 7)
        let yLabels = yTicks.map { Ticks.label($0, step: yStep) }

        // Margins from what goes in them.
        let gap = 0.4 * textSize
        let top = frame.y + (title == nil ? gap * 2 : textSize * 1.8)
        let left = frame.x + gap + (yLabel == nil ? 0 : textSize + gap) + (yLabels.map { small.width(of: $0) }.max() ?? 0) + gap + 5
        let bottom = frame.maxY - gap - small.capHeight - gap - 5 - (xLabel == nil ? 0 : textSize * 1.1 + gap)
        let right = frame.maxX - gap * 2.5
        let plot = Rect(x: left.rounded(), y: top.rounded(), width: (right - left).rounded(), height: (bottom - top).rounded())
        guard plot.width > 20, plot.height > 20 else { return }
        func px(_ x: Double) -> Double { plot.x + (x - x0) / (x1 - x0) * plot.width }
        func py(_ y: Double) -> Double { plot.maxY - (y - y0) / (y1 - y0) * plot.height }
        func crisp(_ v: Double) -> Double { v.rounded(.down) + 0.5 }

        if let title {
            canvas.text(title, at: Point(plot.x + plot.width / 2, frame.y + textSize * 1.1), style: TextStyle(size: textSize, anchor: .middle, bold: true))
        }
        canvas.rect(plot, fill: .white)
        let tickStroke = Stroke(.axis, width: 1), gridStroke = Stroke(.grid, width: 1)
        for (tick, label) in zip(yTicks, yLabels) {
            let y = crisp(py(tick))
            canvas.line([Point(plot.x, y), Point(plot.maxX, y)], stroke: gridStroke)
            canvas.line([Point(plot.x - 5, y), Point(plot.x, y)], stroke: tickStroke)
            canvas.text(label, centeredOn: Point(plot.x - 5 - gap, y), style: TextStyle(size: textSize, anchor: .end))
        }
        for tick in xTicks {
            let x = crisp(px(tick))
            canvas.line([Point(x, plot.y), Point(x, plot.maxY)], stroke: gridStroke)
            canvas.line([Point(x, plot.maxY), Point(x, plot.maxY + 5)], stroke: tickStroke)
            canvas.text(Ticks.label(tick, step: integerX ? Swift.max(1, xStep) : xStep),
                        at: Point(x, plot.maxY + 5 + gap + small.capHeight), style: TextStyle(size: textSize, anchor: .middle))
        }
        canvas.rect(Rect(x: plot.x + 0.5, y: plot.y + 0.5, width: plot.width - 1, height: plot.height - 1), stroke: Stroke(.axis, width: 1))
        if let xLabel {
            canvas.text(xLabel, at: Point(plot.x + plot.width / 2, frame.maxY - gap - 0.2 * textSize), style: TextStyle(size: textSize, anchor: .middle))
        }
        if let yLabel {
            canvas.text(yLabel, centeredOn: Point(frame.x + gap + textSize / 2, plot.y + plot.height / 2),
                        style: TextStyle(size: textSize, anchor: .middle, vertical: true))
        }

        // The lines, in pixels, with points less than half a pixel from the last one kept dropped.
        var drawn: [(Series, Color, [[Point]])] = []
        var paletteIndex = 0
        for s in series {
            let color = s.color ?? Color.palette[paletteIndex % Color.palette.count]
            if s.color == nil { paletteIndex += 1 }
            let runs = s.runs.map { run -> [Point] in
                var points: [Point] = []
                for (i, (x, y)) in run.enumerated() {
                    let p = Point(px(x), py(y))
                    if let last = points.last, i < run.count - 1, Swift.abs(last.x - p.x) < 0.5 && Swift.abs(last.y - p.y) < 0.5 { continue }
                    points.append(p)
                }
                return points
            }
            drawn.append((s, color, runs))
            let stroke = Stroke(color, width: s.width, dash: s.dashed ? [6, 4] : [])
            let markers = s.markers ?? (s.runs.reduce(0) { $0 + $1.count } <= 30)
            for run in runs {
                canvas.line(run, stroke: stroke)
                if markers || run.count == 1 {
                    for p in run { canvas.circle(center: p, radius: s.width + 1, fill: s.dashed ? .white : color, stroke: Stroke(color, width: 1.5)) }
                }
            }
        }
        if showsLegend && !series.isEmpty { drawLegend(drawn, on: &canvas, plot: plot) }
    }

    /// The legend box in the corner of `plot` that covers the fewest of the lines' points
    /// (sampled every few pixels along each segment).
    private func drawLegend(_ drawn: [(Series, Color, [[Point]])], on canvas: inout Canvas, plot: Rect) {
        let textSize = legendTextSize ?? self.textSize, style = TextStyle(size: textSize)
        let row = textSize * 1.3, pad = textSize * 0.5, swatch = Swift.max(textSize * 1.6, 24)
        let width = pad + swatch + pad + (drawn.map { style.width(of: $0.0.name) }.max() ?? 0) + pad
        let height = pad * 2 + row * Double(drawn.count) - (row - textSize)
        let margin = textSize * 0.5
        let corners = [Point(plot.maxX - margin - width, plot.y + margin), Point(plot.x + margin, plot.y + margin),
                       Point(plot.maxX - margin - width, plot.maxY - margin - height), Point(plot.x + margin, plot.maxY - margin - height),
                       Point(plot.maxX - margin - width, plot.y + (plot.height - height) / 2)]
        var samples: [Point] = []
        for (_, _, runs) in drawn {
            for run in runs {
                samples += run
                for (a, b) in zip(run, run.dropFirst()) {
                    let n = Int(Swift.min(200, ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot() / 4))
                    if n > 0 { for k in 1...n { samples.append(Point(a.x + (b.x - a.x) * Double(k) / Double(n + 1), a.y + (b.y - a.y) * Double(k) / Double(n + 1))) } }
                }
            }
        }
        let box = corners.map { Rect(x: $0.x.rounded(), y: $0.y.rounded(), width: width.rounded(), height: height.rounded()) }
            .min { a, b in samples.filter { a.inset(-4, -4).contains($0) }.count < samples.filter { b.inset(-4, -4).contains($0) }.count }!
        canvas.rect(Rect(x: box.x + 0.5, y: box.y + 0.5, width: box.width, height: box.height),
                    fill: Color.white.opacity(0.9), stroke: Stroke(Color(hex: 0xBBBBBB), width: 1))
        for (i, (s, color, _)) in drawn.enumerated() {
            let y = box.y + pad + row * Double(i) + textSize / 2
            let a = Point(box.x + pad, y), b = Point(box.x + pad + swatch, y)
            canvas.line([a, b], stroke: Stroke(color, width: s.width, dash: s.dashed ? [6, 4] : []))
            canvas.text(s.name, centeredOn: Point(b.x + pad, y), style: style)
        }
    }
}
