import Foundation
import TensorCore

/// Numeric CSV files: one example per line, values separated by commas, an optional header.
public enum CSV {
    /// The values of a numeric CSV file as a float32 matrix, and the header if asked for.
    /// Blank lines are skipped; every row must have the same number of numeric fields.
    ///
    /// Shape: `[rows, columns]`.
    public static func readMatrix(_ path: String, hasHeader: Bool = false) throws -> (values: Tensor, header: [String]?) {
        let bytes = try Gzip.contents(of: path)
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw DatasetError.malformed(path: path, reason: "not UTF-8 text")
        }
        var lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
            .filter { !$0.allSatisfy(\.isWhitespace) }
        var header: [String]?
        if hasHeader, !lines.isEmpty {
            header = lines.removeFirst().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard let first = lines.first else { throw DatasetError.malformed(path: path, reason: "no data rows") }
        let columns = first.split(separator: ",", omittingEmptySubsequences: false).count
        var values: [Float] = []
        values.reserveCapacity(lines.count * columns)
        for (i, line) in lines.enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let row = i + 1 + (hasHeader ? 1 : 0)
            guard fields.count == columns else {
                throw DatasetError.malformed(path: path, reason: "line \(row) has \(fields.count) fields, expected \(columns)")
            }
            for field in fields {
                guard let v = Float(field.trimmingCharacters(in: .whitespaces)) else {
                    throw DatasetError.malformed(path: path, reason: "line \(row): '\(field)' is not a number")
                }
                values.append(v)
            }
        }
        return (Tensor(values, shape: [lines.count, columns]), header)
    }

    /// Features and integer labels from a CSV whose `labelColumn` holds the class.
    ///
    /// Shape: features `[rows, columns - 1]`, labels `[rows]` (int64).
    public static func readLabeled(_ path: String, labelColumn: Int = 0, hasHeader: Bool = false) throws -> (features: Tensor, labels: Tensor) {
        let (m, _) = try readMatrix(path, hasHeader: hasHeader)
        let columns = m.shape[1]
        guard (0..<columns).contains(labelColumn) else {
            throw DatasetError.malformed(path: path, reason: "label column \(labelColumn) is out of range 0..<\(columns)")
        }
        let keep = Tensor(integers: (0..<columns).filter { $0 != labelColumn })
        return (m.selecting(along: 1, indices: keep), m.sliced(along: 1, from: labelColumn, to: labelColumn + 1).reshaped(to: [-1]).converted(to: .int64))
    }
}
