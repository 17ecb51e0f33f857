import Foundation
import TensorCore

/// A problem with a table's contents, naming the column (and row) it is in.
public struct TableError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A table read from a CSV file with a header: named columns of numbers or text, with missing
/// values kept as `nil` (pandas's `read_csv`, reduced to what training needs).
///
/// Fields follow RFC 4180: separated by commas, optionally in double quotes (which may hold
/// commas, line breaks and doubled quotes). An empty field, `NA`, `N/A`, `NaN`, `nan`, `null`,
/// `NULL`, `None` and `?` are missing. A column is numeric when every present value is a number.
/// A column that is mostly numbers but holds a few words (a typo, `12kg`) is an error naming
/// the row and column rather than silently a text column. Rows are numbered as a spreadsheet
/// shows them: the header is row 1.
///
/// ```swift
/// let table = try Table.read("penguins.csv")
/// table.names                     // ["species", "island", "bill_length_mm", ...]
/// let (train, test) = table.stratifiedSplit(on: "species", testFraction: 0.25, seed: 0)
/// ```
public struct Table: Sendable {
    public enum Column: Sendable, Equatable {
        case numeric([Float?])
        case text([String?])

        public var count: Int {
            switch self {
            case .numeric(let v): return v.count
            case .text(let v): return v.count
            }
        }

        /// Whether row `i` (0-based) is missing.
        public func isMissing(_ i: Int) -> Bool {
            switch self {
            case .numeric(let v): return v[i] == nil
            case .text(let v): return v[i] == nil
            }
        }

        /// The value of row `i` as written (numbers without trailing zeros), nil when missing.
        public func text(at i: Int) -> String? {
            switch self {
            case .numeric(let v): return v[i].map(formatNumber)
            case .text(let v): return v[i]
            }
        }

        func selecting(_ rows: [Int]) -> Column {
            switch self {
            case .numeric(let v): return .numeric(rows.map { v[$0] })
            case .text(let v): return .text(rows.map { v[$0] })
            }
        }
    }

    /// The header's names, in file order.
    public let names: [String]
    public let columns: [Column]
    /// The spreadsheet row of each data row (the header is row 1), for messages.
    public let rowNumbers: [Int]
    /// The file read, for messages (empty for a table built in memory).
    public let source: String

    /// Strings read as a missing value.
    public static let missingMarkers: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"]
    /// The largest file read (decompressed, for gzip): 2 GiB.
    public static let sizeLimit = 1 << 31
    /// The most columns a table may have.
    public static let columnLimit = 1 << 16

    /// A table from columns of equal length; `names` must be distinct and not empty.
    public init(names: [String], columns: [Column], rowNumbers: [Int]? = nil, source: String = "") throws {
        guard names.count == columns.count else { throw TableError("\(names.count) names for \(columns.count) columns") }
        guard !names.isEmpty else { throw TableError("a table needs at least one column") }
        let rows = columns[0].count
        for (name, column) in zip(names, columns) where column.count != rows {
            throw TableError("column '\(name)' has \(column.count) rows, '\(names[0])' has \(rows)")
        }
        var seen = Set<String>()
        for name in names {
            guard !name.isEmpty else { throw TableError("a column has an empty name") }
            guard seen.insert(name).inserted else { throw TableError("two columns are named '\(name)'") }
        }
        self.names = names
        self.columns = columns
        self.rowNumbers = rowNumbers ?? Array(2..<(2 + rows))
        self.source = source
    }

    public var rowCount: Int { rowNumbers.count }

    /// "file.csv: " or "" before a message.
    var prefix: String { source.isEmpty ? "" : source + ": " }

    /// The column called `name`; the error lists the columns there are.
    public func column(_ name: String) throws -> Column {
        columns[try index(of: name)]
    }

    /// The position of the column called `name`.
    public func index(of name: String) throws -> Int {
        guard let i = names.firstIndex(of: name) else {
            let shown = names.prefix(20).map { "'\($0)'" }.joined(separator: ", ")
            throw TableError("\(prefix)no column named '\(name)'; the columns are \(shown)\(names.count > 20 ? ", ..." : "")")
        }
        return i
    }

    /// The rows at `indices` (0-based), in that order.
    public func rows(_ indices: [Int]) -> Table {
        // Names and lengths are those of a valid table already.
        try! Table(names: names, columns: columns.map { $0.selecting(indices) },
                   rowNumbers: indices.map { rowNumbers[$0] }, source: source)
    }

    /// Each column with missing values and the spreadsheet rows where they are.
    public var missingValues: [(column: String, rows: [Int])] {
        zip(names, columns).compactMap { name, column in
            let rows = (0..<rowCount).filter(column.isMissing).map { rowNumbers[$0] }
            return rows.isEmpty ? nil : (name, rows)
        }
    }

    /// The table without the rows that miss a value in any of `columns` (all when nil).
    public func droppingMissing(in columns: [String]? = nil) throws -> Table {
        let checked = try (columns ?? names).map { try column($0) }
        return rows((0..<rowCount).filter { row in !checked.contains { $0.isMissing(row) } })
    }

    /// Throws naming the first missing value of `columns`, with how many there are and `remedy`.
    public func requireNoMissing(in columns: [String], remedy: String = "drop those rows or impute them (--drop-missing, --impute)") throws {
        for name in columns {
            let column = try column(name)
            let missing = (0..<rowCount).filter(column.isMissing)
            guard let first = missing.first else { continue }
            throw TableError("\(prefix)column '\(name)', row \(rowNumbers[first]): missing value"
                             + (missing.count > 1 ? " (\(missing.count) rows miss one)" : "")
                             + "; " + remedy)
        }
    }

    // MARK: Reading

    /// Reads a CSV file with a header line (gzip when the name ends in `.gz`).
    public static func read(_ path: String) throws -> Table {
        let text = try InputFile.text(of: path, limit: sizeLimit)
        return try parse(text, source: path)
    }

    /// Parses CSV text with a header line; `source` names it in messages.
    public static func parse(_ text: String, source: String = "") throws -> Table {
        let place = source.isEmpty ? "" : source + ": "
        var records = try records(of: text, source: place)
        guard !records.isEmpty else { throw TableError("\(place)empty file: expected a header line") }
        let header = records.removeFirst()
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.count <= columnLimit else { throw TableError("\(place)\(names.count) columns, more than \(columnLimit)") }
        for (i, name) in names.enumerated() where name.isEmpty {
            throw TableError("\(place)row 1: column \(i + 1) of the header has no name")
        }
        guard !records.isEmpty else { throw TableError("\(place)no data rows after the header") }
        for record in records where record.fields.count != names.count {
            throw TableError("\(place)row \(record.row): \(record.fields.count) fields, the header has \(names.count)")
        }
        var columns: [Column] = []
        for (c, name) in names.enumerated() {
            let raw = records.map { $0.fields[c].trimmingCharacters(in: .whitespaces) }
            columns.append(try typedColumn(raw, name: name, rows: records.map(\.row), place: place))
        }
        do {
            return try Table(names: names, columns: columns, rowNumbers: records.map(\.row), source: source)
        } catch let error as TableError {
            throw TableError(place + error.description)
        }
    }

    /// Numbers when every present value is one; text when most are not; an error naming the
    /// first odd value when most are numbers.
    private static func typedColumn(_ raw: [String], name: String, rows: [Int], place: String) throws -> Column {
        var numbers: [Float?] = [], words: [Int] = []
        numbers.reserveCapacity(raw.count)
        for (i, field) in raw.enumerated() {
            if missingMarkers.contains(field) { numbers.append(nil); continue }
            if let v = Float(field) {
                guard v.isFinite else {
                    throw TableError("\(place)column '\(name)', row \(rows[i]): '\(field)' is "
                                     + (field.lowercased().contains("inf") ? "infinite" : "out of float32's range"))
                }
                numbers.append(v)
            } else {
                numbers.append(nil)
                words.append(i)
            }
        }
        if words.isEmpty { return .numeric(numbers) }
        let present = raw.count - numbers.filter { $0 == nil }.count + words.count
        let numeric = present - words.count
        if numeric > words.count {
            let first = words[0]
            throw TableError("\(place)column '\(name)', row \(rows[first]): '\(raw[first])' is not a number, "
                             + "though \(numeric) of the column's \(present) values are"
                             + (words.count > 1 ? " (\(words.count) values are not)" : ""))
        }
        return .text(raw.map { missingMarkers.contains($0) ? nil : $0 })
    }

    /// The records of CSV text: fields per line, quotes resolved, blank lines skipped.
    private static func records(of text: String, source place: String) throws -> [(fields: [String], row: Int)] {
        var result: [(fields: [String], row: Int)] = []
        var fields: [String] = [], field: [UInt8] = []
        var line = 1, recordLine = 1
        var inQuotes = false, wasQuoted = false
        let bytes = Array(text.utf8)
        var i = 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() {
            endField()
            // A line holding nothing (not even a quoted empty field) is skipped.
            if !(fields.count == 1 && fields[0].allSatisfy(\.isWhitespace)) { result.append((fields, recordLine)) }
            fields.removeAll()
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") { field.append(b); i += 1 } else { inQuotes = false }
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
                }
            } else {
                switch b {
                case UInt8(ascii: ","): endField()
                case UInt8(ascii: "\""):
                    guard field.allSatisfy({ $0 == UInt8(ascii: " ") }), !wasQuoted else {
                        throw TableError("\(place)row \(line): a quote inside an unquoted field (write it as \"\" inside quotes)")
                    }
                    field.removeAll()
                    inQuotes = true
                    wasQuoted = true
                case UInt8(ascii: "\r") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n"): break
                case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                    endRecord()
                    line += 1
                    recordLine = line
                default:
                    guard !wasQuoted || b == UInt8(ascii: " ") else {
                        throw TableError("\(place)row \(line): text after a closing quote")
                    }
                    field.append(b)
                }
            }
            i += 1
        }
        guard !inQuotes else { throw TableError("\(place)row \(recordLine): a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        return result
    }

    // MARK: Splits

    /// A seeded split that keeps each class's share in both parts (scikit-learn's
    /// `train_test_split(stratify=)`): of each class, `testFraction` of its rows (rounded, at
    /// least one when the class has two or more) go to the test part. Rows of the label that
    /// miss it are an error.
    public func stratifiedSplit(on label: String, testFraction: Float, seed: UInt64 = 0) throws -> (train: Table, test: Table) {
        guard testFraction > 0 && testFraction < 1 else { throw TableError("testFraction must be in (0, 1), got \(testFraction)") }
        let groups = try classGroups(of: label)
        var rng = RandomGenerator(seed: seed)
        var train: [Int] = [], test: [Int] = []
        for rows in groups {
            let order = Tensor.permutation(rows.count, using: &rng).integers.map { rows[$0] }
            var held = Int((Float(rows.count) * testFraction).rounded())
            if rows.count >= 2 { held = Swift.min(Swift.max(held, 1), rows.count - 1) }
            test += order[..<held]
            train += order[held...]
        }
        guard !test.isEmpty, !train.isEmpty else {
            throw TableError("\(prefix)\(rowCount) rows in \(groups.count) classes are too few to hold out \(testFraction) of each class")
        }
        return (rows(train.sorted()), rows(test.sorted()))
    }

    /// A seeded random split of the rows (for regression).
    public func randomSplit(testFraction: Float, seed: UInt64 = 0) throws -> (train: Table, test: Table) {
        guard testFraction > 0 && testFraction < 1 else { throw TableError("testFraction must be in (0, 1), got \(testFraction)") }
        guard rowCount >= 2 else { throw TableError("\(prefix)one row is too few to split") }
        var rng = RandomGenerator(seed: seed)
        let order = Tensor.permutation(rowCount, using: &rng).integers
        let held = Swift.min(Swift.max(Int((Float(rowCount) * testFraction).rounded()), 1), rowCount - 1)
        return (rows(order[held...].sorted()), rows(order[..<held].sorted()))
    }

    /// `k` (train, validation) row sets, as scikit-learn's `KFold` and `StratifiedKFold` make them.
    ///
    /// Without `shuffle` (scikit-learn's default, what `cross_val_score(cv=k)` uses) the folds are
    /// those scikit-learn makes from the same rows in the same order: unstratified, consecutive
    /// runs of rows, the first `rows % k` one row longer; stratified on `label`, each fold gets a
    /// share of each class (the sorted labels dealt round the folds) filled with that class's
    /// rows in file order. With `shuffle`, rows are drawn from a generator seeded by `seed`.
    public func kFold(_ k: Int, stratifyOn label: String? = nil, shuffle: Bool = false, seed: UInt64 = 0) throws
        -> [(train: [Int], validation: [Int])]
    {
        guard k >= 2 && k <= rowCount else { throw TableError("k-fold needs 2 <= folds <= \(rowCount) rows, got \(k)") }
        var rng = RandomGenerator(seed: seed)
        var assignment = [Int](repeating: 0, count: rowCount)
        if let label {
            let column = try column(label)
            try requireNoMissing(in: [label], remedy: "drop those rows (--drop-missing)")
            // Classes numbered by first appearance, as scikit-learn encodes them.
            var code: [String: Int] = [:], codes: [Int] = []
            for row in 0..<rowCount {
                let name = column.text(at: row)!
                if code[name] == nil { code[name] = code.count }
                codes.append(code[name]!)
            }
            var counts = [Int](repeating: 0, count: code.count)
            for c in codes { counts[c] += 1 }
            if let small = counts.firstIndex(where: { $0 < k }) {
                let name = code.first { $0.value == small }!.key
                throw TableError("\(prefix)class '\(name)' of '\(label)' has \(counts[small]) rows, fewer than the \(k) folds")
            }
            // allocation[f][c]: rows of class c in fold f, from dealing the sorted codes round the folds.
            let sorted = codes.sorted()
            var allocation = [[Int]](repeating: [Int](repeating: 0, count: counts.count), count: k)
            for (i, c) in sorted.enumerated() { allocation[i % k][c] += 1 }
            for c in 0..<counts.count {
                var folds = (0..<k).flatMap { f in [Int](repeating: f, count: allocation[f][c]) }
                if shuffle { folds = Tensor.permutation(folds.count, using: &rng).integers.map { folds[$0] } }
                for (row, f) in zip((0..<rowCount).filter { codes[$0] == c }, folds) { assignment[row] = f }
            }
        } else {
            let order = shuffle ? Tensor.permutation(rowCount, using: &rng).integers : Array(0..<rowCount)
            var start = 0
            for f in 0..<k {
                let size = rowCount / k + (f < rowCount % k ? 1 : 0)
                for i in start..<(start + size) { assignment[order[i]] = f }
                start += size
            }
        }
        return (0..<k).map { f in
            ((0..<rowCount).filter { assignment[$0] != f }, (0..<rowCount).filter { assignment[$0] == f })
        }
    }

    /// The rows of each value of `label`, values in sorted order.
    private func classGroups(of label: String) throws -> [[Int]] {
        let column = try column(label)
        try requireNoMissing(in: [label], remedy: "drop those rows (--drop-missing)")
        var groups: [String: [Int]] = [:]
        for row in 0..<rowCount { groups[column.text(at: row)!, default: []].append(row) }
        return groups.keys.sorted().map { groups[$0]! }
    }
}

/// A float as a short decimal: `3`, `0.25`, `1e-07`.
func formatNumber(_ v: Float) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
}
