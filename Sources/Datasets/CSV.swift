import Foundation
import TensorCore

/// Numeric CSV files: one example per line, values separated by commas, an optional header.
/// Files may be gzip-compressed (`.gz`).
public enum CSV {
    /// The largest file read (decompressed, for gzip): 2 GiB.
    public static let sizeLimit = 1 << 31

    /// The largest label `readLabeled` accepts: 2^24, above which float32 skips whole numbers.
    public static let largestLabel = 1 << 24

    /// The values of a numeric CSV file as a float32 matrix, and the header if asked for.
    /// Blank lines are skipped; every row, and the header, must have the same number of fields,
    /// and every value must be a finite float32 (no NaN, infinity, or a number beyond its range).
    ///
    /// Shape: `[rows, columns]`.
    public static func readMatrix(_ path: String, hasHeader: Bool = false) throws -> (values: Tensor, header: [String]?) {
        let table = try read(path, hasHeader: hasHeader)
        return (Tensor(table.values, shape: [table.lines.count, table.columns]), table.header)
    }

    /// Features and integer labels from a CSV whose `labelColumn` holds the class, a whole number
    /// in `0...largestLabel`.
    ///
    /// Shape: features `[rows, columns - 1]`, labels `[rows]` (int64).
    public static func readLabeled(_ path: String, labelColumn: Int = 0, hasHeader: Bool = false) throws -> (features: Tensor, labels: Tensor) {
        let table = try read(path, hasHeader: hasHeader)
        let columns = table.columns
        guard (0..<columns).contains(labelColumn) else {
            throw DatasetError.malformed(path: path, reason: "label column \(labelColumn) is out of range 0..<\(columns)")
        }
        var features: [Float] = [], labels: [Int] = []
        features.reserveCapacity(table.values.count - table.lines.count)
        labels.reserveCapacity(table.lines.count)
        for (row, line) in table.lines.enumerated() {
            let values = table.values[(row * columns)..<((row + 1) * columns)]
            let label = values[values.startIndex + labelColumn]
            guard label >= 0, label <= Float(largestLabel), label == label.rounded() else {
                throw DatasetError.malformed(
                    path: path, reason: "line \(line): label \(label) is not a whole number in 0...\(largestLabel)")
            }
            labels.append(Int(label))
            for (column, v) in zip(0..., values) where column != labelColumn { features.append(v) }
        }
        return (Tensor(features, shape: [labels.count, columns - 1]), Tensor(integers: labels))
    }

    /// The parsed file: values row by row, the line number of each row, the column count, the header.
    private static func read(_ path: String, hasHeader: Bool) throws
        -> (values: [Float], lines: [Int], columns: Int, header: [String]?)
    {
        func malformed(_ reason: String) -> DatasetError { .malformed(path: path, reason: reason) }
        let text = try InputFile.text(of: path, limit: sizeLimit)
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .filter { !$0.element.allSatisfy(\.isWhitespace) }
        var rows = lines[...]
        var header: [String]?
        if hasHeader, let first = rows.popFirst() {
            header = first.element.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard let first = rows.first else { throw malformed("no data rows") }
        let columns = first.element.split(separator: ",", omittingEmptySubsequences: false).count
        if let header, header.count != columns {
            throw malformed("the header has \(header.count) fields, line \(first.offset + 1) has \(columns)")
        }
        var values: [Float] = []
        // Both counts are at most the file's size, so the product cannot overflow; a valid value
        // takes at least two bytes, its digit and a separator.
        values.reserveCapacity(Swift.min(rows.count * columns, text.utf8.count / 2 + 1))
        for (index, line) in rows {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == columns else {
                throw malformed("line \(index + 1) has \(fields.count) fields, expected \(columns)")
            }
            for (column, field) in fields.enumerated() {
                let text = field.trimmingCharacters(in: .whitespaces)
                let place = "line \(index + 1), field \(column + 1)"
                guard let v = Float(text) else { throw malformed("\(place): '\(text)' is not a number") }
                guard !v.isNaN else { throw malformed("\(place): '\(text)' is NaN") }
                guard v.isFinite else {
                    throw malformed(text.lowercased().contains("inf") ? "\(place): '\(text)' is infinite"
                                                                      : "\(place): '\(text)' is out of float32's range")
                }
                values.append(v)
            }
        }
        return (values, rows.map { $0.offset + 1 }, columns, header)
    }
}
