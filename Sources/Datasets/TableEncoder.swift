import TensorCore

/// What a model learns from a table besides its weights: which columns are its features and
/// how each becomes numbers, and what its label means. Fitted on the training rows only, then
/// applied to any table with those columns, in any order (columns are matched by name).
///
/// - Numeric columns pass through (scaling is the network's `Normalization` layer's job).
/// - Text columns become one-hot vectors over the categories seen in training, most frequent
///   first, after an out-of-vocabulary slot that any unseen category lands in (Keras's
///   `StringLookup(output_mode="one_hot")` with one OOV index); or, with `categories: .index`,
///   one value per column, the category's index with 0 for out-of-vocabulary (Keras's
///   `StringLookup(output_mode="int")`, for an `Embedding`).
/// - Missing values are an error naming the column and row, unless `imputation` fills them
///   with a statistic of the training rows (scikit-learn's `SimpleImputer`): mean or median for
///   numbers, the most frequent category for text.
/// - A text label, or a numeric one of at most `maximumClassCount` whole values, makes a
///   classification whose class names (sorted, as scikit-learn's `LabelEncoder` sorts them) are
///   kept so that predictions print them; any other numeric label makes a regression.
///
/// Codable, so that a checkpoint keeps it beside the weights.
public struct TableEncoder: Codable, Sendable, Equatable {
    public enum Encoding: Codable, Sendable, Equatable {
        /// A number, with the value that fills a missing one (nil: missing is an error).
        case numeric(fill: Float?)
        /// One-hot over `[out-of-vocabulary] + vocabulary`, with the category that fills a
        /// missing value (nil: missing is an error).
        case oneHot(vocabulary: [String], fill: String?)
        /// The index in `[out-of-vocabulary] + vocabulary` as one value.
        case index(vocabulary: [String], fill: String?)
    }

    /// How text columns are encoded.
    public enum CategoryOutput: String, Codable, Sendable, CaseIterable { case oneHot = "one-hot", index }

    public struct Feature: Codable, Sendable, Equatable {
        public let name: String
        public let encoding: Encoding
    }

    public enum Task: String, Codable, Sendable, CaseIterable {
        case automatic, classification, regression
    }

    public enum Imputation: String, Codable, Sendable, CaseIterable {
        /// A missing feature value is an error.
        case none
        case mean, median
        /// The most frequent value (the only choice for text columns under every imputation).
        case mostFrequent = "most-frequent"
    }

    /// An unseen category met while encoding.
    public struct UnknownCategory: Sendable, Equatable, CustomStringConvertible {
        public let column: String, row: Int, value: String
        public var description: String {
            "column '\(column)', row \(row): category '\(value)' was not seen in training; encoded as out-of-vocabulary"
        }

        /// One line per column: its first unseen category, and how many more rows hold one.
        public static func summary(_ found: [UnknownCategory]) -> [String] {
            var order: [String] = [], byColumn: [String: [UnknownCategory]] = [:]
            for u in found {
                if byColumn[u.column] == nil { order.append(u.column) }
                byColumn[u.column, default: []].append(u)
            }
            return order.map { column in
                let all = byColumn[column]!
                return all[0].description + (all.count > 1 ? " (and \(all.count - 1) more rows of this column)" : "")
            }
        }
    }

    /// The features, in the order their encodings are laid side by side.
    public let features: [Feature]
    /// The label column.
    public let label: String
    /// The class names for a classification (index = class), nil for a regression.
    public let classNames: [String]?
    /// Numeric features with one value in all training rows: they carry no information.
    public let constantColumns: [String]

    /// The most classes a numeric label may have to be taken as classes by `.automatic`.
    public static let maximumClassCount = 20
    /// The most categories a text column may have (Keras's `StringLookup(max_tokens=)`): an
    /// identifier or free-text column would otherwise become a one-hot block as wide as the table.
    public static let maximumCategories = 1000
    /// The most classes a label may have.
    public static let maximumClasses = 10_000

    /// Learns the encoding of `table`: `features` (every column but the label when nil) and the
    /// `label` column.
    public init(fitting table: Table, label: String, features: [String]? = nil, task: Task = .automatic,
                imputation: Imputation = .none, categories: CategoryOutput = .oneHot) throws {
        let labelColumn = try table.column(label)
        let names = features ?? table.names.filter { $0 != label }
        guard !names.isEmpty else { throw TableError("no feature columns: the table has only the label '\(label)'") }
        if names.contains(label) { throw TableError("the label '\(label)' cannot also be a feature") }
        var seen = Set<String>()
        if let repeated = names.first(where: { !seen.insert($0).inserted }) {
            throw TableError("column '\(repeated)' is listed twice among the features")
        }
        try table.requireNoMissing(in: [label], remedy: "drop those rows (--drop-missing)")
        var encoded: [Feature] = [], constant: [String] = []
        for name in names {
            let column = try table.column(name)
            let present = (0..<table.rowCount).filter { !column.isMissing($0) }
            guard !present.isEmpty else { throw TableError("column '\(name)' has no values (every row misses it)") }
            if imputation == .none, present.count < table.rowCount { try table.requireNoMissing(in: [name]) }
            switch column {
            case .numeric(let values):
                let v = present.map { values[$0]! }
                if v.allSatisfy({ $0 == v[0] }) { constant.append(name) }
                encoded.append(Feature(name: name, encoding: .numeric(fill: Self.fill(v, imputation))))
            case .text(let values):
                let counts = Dictionary(present.map { (values[$0]!, 1) }, uniquingKeysWith: +)
                guard counts.count <= Self.maximumCategories else {
                    throw TableError("column '\(name)' holds \(counts.count) distinct texts, more than the \(Self.maximumCategories) categories "
                                     + "a column may have; leave it out of the features (--features)")
                }
                let vocabulary = counts.keys.sorted { (counts[$0]!, $1) > (counts[$1]!, $0) }
                let fill = imputation == .none ? nil : vocabulary[0]
                encoded.append(Feature(name: name, encoding: categories == .oneHot ? .oneHot(vocabulary: vocabulary, fill: fill)
                                                                                   : .index(vocabulary: vocabulary, fill: fill)))
            }
        }
        self.features = encoded
        self.label = label
        self.constantColumns = constant
        switch (task, labelColumn) {
        case (.regression, .text):
            throw TableError("the label '\(label)' holds text, so it cannot be a regression target")
        case (.regression, .numeric):
            classNames = nil
        case (_, .text(let values)):
            classNames = Set(values.map { $0! }).sorted()
        case (_, .numeric(let values)):
            let distinct = Set(values.map { $0! }).sorted()
            let whole = distinct.allSatisfy { $0 == $0.rounded() }
            if task == .classification || (whole && distinct.count <= Self.maximumClassCount) {
                classNames = distinct.map(formatNumber)
            } else {
                classNames = nil
            }
        }
        if let classNames, classNames.count > Self.maximumClasses {
            throw TableError("the label '\(label)' has \(classNames.count) classes, more than \(Self.maximumClasses)")
        }
        if let classNames, classNames.count < 2 {
            throw TableError("the label '\(label)' has one class ('\(classNames[0])') in the training rows: nothing to learn")
        }
    }

    private static func fill(_ v: [Float], _ imputation: Imputation) -> Float? {
        switch imputation {
        case .none: return nil
        case .mean: return Float(v.reduce(0.0) { $0 + Double($1) } / Double(v.count))
        case .median:
            let s = v.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        case .mostFrequent:
            let counts = Dictionary(v.map { ($0, 1) }, uniquingKeysWith: +)
            return counts.keys.min { (counts[$0]!, $1) > (counts[$1]!, $0) }!
        }
    }

    public var isClassification: Bool { classNames != nil }

    /// Throws unless the encoder is one `init(fitting:)` could have made: distinct, non-empty
    /// names, vocabularies and classes (at least two), fills among the categories, finite numbers.
    /// An encoder read from a file is checked before use.
    public func validate() throws {
        func check(_ ok: Bool, _ what: @autoclosure () -> String) throws {
            guard ok else { throw TableError("table encoder: " + what()) }
        }
        try check(!features.isEmpty, "no features")
        let names = features.map(\.name) + [label]
        try check(Set(names).count == names.count, "repeated column names")
        try check(!names.contains(""), "an empty column name")
        for f in features {
            switch f.encoding {
            case .numeric(let fill): try check(fill.map(\.isFinite) ?? true, "column '\(f.name)': fill value is not finite")
            case .oneHot(let vocabulary, let fill), .index(let vocabulary, let fill):
                try check(!vocabulary.isEmpty && Set(vocabulary).count == vocabulary.count,
                          "column '\(f.name)': the vocabulary is empty or repeats a category")
                try check(fill.map(vocabulary.contains) ?? true, "column '\(f.name)': the fill category is not in the vocabulary")
            }
        }
        try check(width <= Table.columnLimit * 1024, "\(width) encoded values")
        if let classNames { try check(classNames.count >= 2 && Set(classNames).count == classNames.count, "classes must be two or more, distinct") }
        try check(Set(constantColumns).isSubset(of: Set(features.map(\.name))), "a constant column that is not a feature")
    }

    /// The number of values per example after encoding.
    public var width: Int {
        features.reduce(0) {
            switch $1.encoding {
            case .numeric, .index: return $0 + 1
            case .oneHot(let vocabulary, _): return $0 + vocabulary.count + 1
            }
        }
    }

    /// The name of each encoded value: the column, or `column=category` (`column=[UNK]` for the
    /// out-of-vocabulary slot) for one-hot columns.
    public var encodedNames: [String] {
        features.flatMap { f -> [String] in
            switch f.encoding {
            case .numeric, .index: return [f.name]
            case .oneHot(let vocabulary, _): return ([ "[UNK]" ] + vocabulary).map { "\(f.name)=\($0)" }
            }
        }
    }

    /// The features of every row of `table` (whose columns may be in any order and may include
    /// others). Unseen categories go to the out-of-vocabulary slot and are reported to
    /// `onUnknownCategory`.
    ///
    /// Shape: `[rows, width]`.
    public func encodeFeatures(_ table: Table, onUnknownCategory: (UnknownCategory) -> Void = { _ in }) throws -> Tensor {
        let n = table.rowCount, w = width
        var values = [Float](repeating: 0, count: n * w)
        var offset = 0
        for feature in features {
            let column = try table.column(feature.name)
            func missing(_ row: Int) -> TableError {
                TableError(table.prefix + "column '\(feature.name)', row \(table.rowNumbers[row]): missing value, and the model fills none "
                           + "(train it with imputation, --impute, or drop incomplete rows, --drop-missing)")
            }
            switch (feature.encoding, column) {
            case (.numeric(let fill), .numeric(let v)):
                for row in 0..<n {
                    guard let x = v[row] ?? fill else { throw missing(row) }
                    values[row * w + offset] = x
                }
                offset += 1
            case (.oneHot(let vocabulary, let fill), _), (.index(let vocabulary, let fill), _):
                let index = Dictionary(vocabulary.enumerated().map { ($1, $0 + 1) }, uniquingKeysWith: Swift.min)
                let oneHot = if case .oneHot = feature.encoding { true } else { false }
                for row in 0..<n {
                    guard let category = column.text(at: row) ?? fill else { throw missing(row) }
                    let slot = index[category] ?? 0
                    if slot == 0 { onUnknownCategory(UnknownCategory(column: feature.name, row: table.rowNumbers[row], value: category)) }
                    if oneHot { values[row * w + offset + slot] = 1 } else { values[row * w + offset] = Float(slot) }
                }
                offset += oneHot ? vocabulary.count + 1 : 1
            case (.numeric, .text):
                throw TableError(table.prefix + "column '\(feature.name)' holds text, but the model was trained on numbers there")
            }
        }
        return Tensor(values, shape: [n, w])
    }

    /// The label of every row: class indices (int64 `[rows]`) for a classification, values
    /// (float32 `[rows, 1]`) for a regression. A class not seen in training is an error.
    public func encodeLabels(_ table: Table) throws -> Tensor {
        let column = try table.column(label)
        try table.requireNoMissing(in: [label], remedy: "drop those rows (--drop-missing)")
        let place = table.prefix
        guard let classNames else {
            guard case .numeric(let v) = column else {
                throw TableError("\(place)the label '\(label)' holds text, but the model predicts numbers")
            }
            return Tensor(v.map { $0! }, shape: [table.rowCount, 1])
        }
        let index = Dictionary(classNames.enumerated().map { ($1, $0) }, uniquingKeysWith: Swift.min)
        return Tensor(integers: try (0..<table.rowCount).map { row in
            let name = column.text(at: row)!
            guard let c = index[name] else {
                throw TableError("\(place)column '\(label)', row \(table.rowNumbers[row]): class '\(name)' was not seen in training"
                                 + " (the classes are \(classNames.prefix(10).map { "'\($0)'" }.joined(separator: ", "))"
                                 + (classNames.count > 10 ? ", ...)" : ")"))
            }
            return c
        })
    }
}
