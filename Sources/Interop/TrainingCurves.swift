import Foundation

/// Per-epoch logs to plot: one value of each metric per epoch (NaN where one is missing), as a
/// `History` holds them or as `CSVLogger` (or Keras's CSVLogger) writes them.
///
/// The charts pair each metric with its validation twin (`loss` with `val_loss`), one panel per
/// pair: `loss` first, then the others in alphabetical order, the learning rate (`lr`) last.
public struct TrainingCurves: Sendable {
    /// The x value of each epoch, counted from 1.
    public let epochs: [Double]
    /// The metrics in the order given, each with one value per epoch.
    public let metrics: [(name: String, values: [Double])]

    /// Throws unless every metric has one value per epoch and some value is finite.
    public init(epochs: [Double], metrics: [(name: String, values: [Double])]) throws {
        guard !epochs.isEmpty, epochs.allSatisfy(\.isFinite) else { throw PlotError("no epochs to plot") }
        guard Set(metrics.map(\.name)).count == metrics.count else { throw PlotError("a metric is named twice") }
        for m in metrics where m.values.count != epochs.count {
            throw PlotError("\(m.name): \(m.values.count) values for \(epochs.count) epochs")
        }
        guard metrics.contains(where: { $0.values.contains(where: \.isFinite) }) else { throw PlotError("no numbers to plot") }
        self.epochs = epochs
        self.metrics = metrics
    }

    /// The largest log file read.
    public static let maximumFileSize = 64 << 20

    /// The log in the CSV file at `path` (see `init(csv:source:)`).
    public static func read(csvLog path: String) throws -> TrainingCurves {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw PlotError("\(path): no such file") }
        guard !isDirectory.boolValue else { throw PlotError("\(path): a directory, not a CSV log") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PlotError("\(path): cannot read the file") }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: maximumFileSize + 1) ?? Data() } catch {
            throw PlotError("\(path): cannot read the file (\((error as NSError).localizedDescription))")
        }
        guard data.count <= maximumFileSize else { throw PlotError("\(path): larger than \(maximumFileSize >> 20) MiB, not a training log") }
        guard let text = String(data: data, encoding: .utf8) else { throw PlotError("\(path): not UTF-8 text") }
        return try TrainingCurves(csv: text, source: path)
    }

    /// A CSV log: a header line of column names, then one line per epoch of numbers (empty for
    /// a missing value; `nan` and `inf` are read and left out of the lines). An `epoch` column,
    /// counted from 0 as `CSVLogger` writes it, gives the x values (plus 1); without one the
    /// rows are epochs 1, 2, ... Errors name `source` and the line.
    public init(csv text: String, source: String) throws {
        func bad(_ line: Int, _ why: String) -> PlotError { PlotError("\(source): line \(line): \(why)") }
        func fields(_ line: Substring) -> [String] {
            line.split(separator: ",", omittingEmptySubsequences: false).map { field in
                var f = field.trimmingCharacters(in: .whitespaces)
                if f.count >= 2 && f.hasPrefix("\"") && f.hasSuffix("\"") { f = String(f.dropFirst().dropLast()) }
                return f
            }
        }
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let headerLine = lines.first, !headerLine.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw PlotError("\(source): empty, not a CSV log (a header line, then a line per epoch)")
        }
        var header = fields(headerLine)
        if header[0].hasPrefix("\u{FEFF}") { header[0].removeFirst() }
        if let empty = header.firstIndex(where: \.isEmpty) { throw bad(1, "column \(empty + 1) has no name") }
        if Set(header).count != header.count { throw bad(1, "a column name appears twice in \(header)") }
        guard lines.count >= 2 else { throw PlotError("\(source): a header and no epochs") }
        var columns = [[Double]](repeating: [], count: header.count)
        for (index, line) in lines.enumerated().dropFirst() {
            let row = fields(line)
            guard row.count == header.count else { throw bad(index + 1, "\(row.count) fields, the header has \(header.count)") }
            for (c, field) in row.enumerated() {
                if field.isEmpty { columns[c].append(.nan); continue }
                guard let value = Double(field) else { throw bad(index + 1, "column '\(header[c])': '\(field.prefix(40))' is not a number") }
                columns[c].append(value)
            }
        }
        var epochs = (1...(lines.count - 1)).map(Double.init)
        var metrics: [(name: String, values: [Double])] = []
        for (name, values) in zip(header, columns) {
            if name == "epoch" {
                if let row = values.firstIndex(where: { !$0.isFinite }) { throw bad(row + 2, "the epoch is not a number") }
                epochs = values.map { $0 + 1 }
            } else {
                metrics.append((name, values))
            }
        }
        guard !metrics.isEmpty else { throw PlotError("\(source): no columns besides the epoch") }
        do { try self.init(epochs: epochs, metrics: metrics) } catch { throw PlotError("\(source): \(error)") }
    }

    /// The panels' metric names: each metric with its `val_` twin, `loss` first, `lr` last.
    public var groups: [[String]] {
        let names = metrics.map(\.name)
        var bases: [String] = []
        for name in names {
            let base = name.hasPrefix("val_") ? String(name.dropFirst(4)) : name
            if !bases.contains(base) { bases.append(base) }
        }
        func rank(_ base: String) -> Int { base == "loss" ? 0 : base == "lr" || base == "learning_rate" ? 2 : 1 }
        bases.sort { (rank($0), $0) < (rank($1), $1) }
        return bases.map { base in [base, "val_" + base].filter(names.contains) }
    }

    /// One line chart per group (or only the groups naming one of `only`).
    public func charts(only: [String]? = nil) throws -> [LineChart] {
        var groups = self.groups
        if let only {
            for name in only where !groups.contains(where: { $0.contains(name) || $0.contains("val_" + name) }) {
                throw PlotError("no metric '\(name)' in the log; it has \(metrics.map(\.name).joined(separator: ", "))")
            }
            groups = groups.filter { g in only.contains { g.contains($0) || g.contains("val_" + $0) } }
        }
        let values = Dictionary(metrics.map { ($0.name, $0.values) }, uniquingKeysWith: { a, _ in a })
        return groups.map { group in
            let series = group.enumerated().map { i, name in
                Series(name, x: epochs, y: values[name]!, color: Color.palette[i % Color.palette.count])
            }
            let base = group[0].hasPrefix("val_") ? String(group[0].dropFirst(4)) : group[0]
            return LineChart(title: base == "lr" ? "learning rate" : base, xLabel: "epoch", series: series, integerX: true)
        }
    }

    /// The panels in a grid: two a row.
    public func canvas(width: Int = 640, height: Int = 480, only: [String]? = nil) throws -> Canvas {
        LineChart.grid(try charts(only: only), width: width, height: height)
    }
}
