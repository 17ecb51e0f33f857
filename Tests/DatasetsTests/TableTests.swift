import Foundation
import Testing
import TensorCore
@testable import Datasets

/// The message a throwing call throws, or nil when it does not throw.
private func message(_ body: () throws -> Any) -> String? {
    do { _ = try body(); return nil } catch { return "\(error)" }
}

@Suite struct TableReadingTests {
    @Test func readsNumbersTextAndMissingValuesByName() throws {
        let t = try Table.parse("a, b ,c\n1,x,\n2.5,\"y, z\",NA\n\n-3,x,4\n", source: "t.csv")
        #expect(t.names == ["a", "b", "c"])
        #expect(t.rowCount == 3)
        #expect(try t.column("a") == .numeric([1, 2.5, -3]))
        #expect(try t.column("b") == .text(["x", "y, z", "x"]))
        #expect(try t.column("c") == .numeric([nil, nil, 4]))
        // Spreadsheet rows: the header is row 1, the blank line is skipped but counted.
        #expect(t.rowNumbers == [2, 3, 5])
        #expect(t.missingValues.map(\.column) == ["c"])
        #expect(t.missingValues[0].rows == [2, 3])
        #expect(try t.droppingMissing().rowCount == 1)
        #expect(try t.droppingMissing(in: ["a", "b"]).rowCount == 3)
    }

    @Test func quotedFieldsFollowRFC4180() throws {
        let t = try Table.parse("name,note\r\n\"O\"\"Brien\",\"two\nlines\"\r\nplain,\"\"\r\n")
        #expect(try t.column("name") == .text(["O\"Brien", "plain"]))
        // An empty quoted field is missing, like an empty one.
        #expect(try t.column("note") == .text(["two\nlines", nil]))
        #expect(t.rowNumbers == [2, 4])
    }

    @Test func badTablesNameTheRowAndColumn() {
        #expect(message { try Table.parse("") } == "empty file: expected a header line")
        #expect(message { try Table.parse("a,b\n", source: "f.csv") } == "f.csv: no data rows after the header")
        #expect(message { try Table.parse("a,a\n1,2\n") } == "two columns are named 'a'")
        #expect(message { try Table.parse("a,\n1,2\n") } == "row 1: column 2 of the header has no name")
        #expect(message { try Table.parse("a,b\n1,2\n3\n") } == "row 3: 1 fields, the header has 2")
        #expect(message { try Table.parse("a\n\"open\n") } == "row 2: a quoted field is never closed")
        #expect(message { try Table.parse("a\nx\"y\n") } == "row 2: a quote inside an unquoted field (write it as \"\" inside quotes)")
        #expect(message { try Table.parse("age\n31\n40\n4o\n22\n") }
                == "column 'age', row 4: '4o' is not a number, though 3 of the column's 4 values are")
        #expect(message { try Table.parse("x\n1\ninf\n") } == "column 'x', row 3: 'inf' is infinite")
        #expect(message { try Table.parse("x\n1\n1e39\n") } == "column 'x', row 3: '1e39' is out of float32's range")
        let t = try! Table.parse("alpha,beta\n1,2\n", source: "f.csv")
        #expect(message { try t.column("gamma") } == "f.csv: no column named 'gamma'; the columns are 'alpha', 'beta'")
        #expect(message { try Table.parse("a,b\n1,\n", source: "f.csv").requireNoMissing(in: ["b"]) }
                == "f.csv: column 'b', row 2: missing value; drop those rows or impute them (--drop-missing, --impute)")
    }

    @Test func mostlyTextColumnsAreText() throws {
        let t = try Table.parse("size\nsmall\n3\nlarge\nsmall\n")
        #expect(try t.column("size") == .text(["small", "3", "large", "small"]))
    }

    @Test func readsAFileAndRefusesAMissingOne() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("table-\(getpid()).csv").path
        try "x,y\n1,a\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Table.read(path).source == path)
        #expect(message { try Table.read(path + ".nope") } == "\(path).nope: no such file")
    }
}

@Suite struct TableSplitTests {
    /// 15 rows labelled b a b c a b b c a c b a c a b.
    let table = try! Table(names: ["i", "y"], columns: [
        .numeric((0..<15).map { Float($0) }), .text("babcabbcacbacab".map { String($0) })])

    @Test func stratifiedSplitKeepsEachClassShare() throws {
        let (train, test) = try table.stratifiedSplit(on: "y", testFraction: 0.4, seed: 3)
        #expect(train.rowCount + test.rowCount == 15)
        func counts(_ t: Table) throws -> [String: Int] {
            guard case .text(let v) = try t.column("y") else { return [:] }
            return v.reduce(into: [:]) { $0[$1!, default: 0] += 1 }
        }
        // a: 5, b: 6, c: 4 rows; 40% of each, rounded.
        #expect(try counts(test) == ["a": 2, "b": 2, "c": 2])
        guard case .numeric(let a) = try train.column("i"), case .numeric(let b) = try test.column("i") else { return }
        #expect(Set(a.map { $0! }).isDisjoint(with: Set(b.map { $0! })))
        let again = try table.stratifiedSplit(on: "y", testFraction: 0.4, seed: 3)
        #expect(again.test.rowNumbers == test.rowNumbers)
        #expect(try table.stratifiedSplit(on: "y", testFraction: 0.4, seed: 4).test.rowNumbers != test.rowNumbers)
    }

    /// The folds scikit-learn 1.9's `StratifiedKFold(3)` and `KFold(4)` make of the same rows.
    @Test func unshuffledFoldsAreScikitLearns() throws {
        let stratified = try table.kFold(3, stratifyOn: "y")
        #expect(stratified.map(\.validation) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 11], [9, 10, 12, 13, 14]])
        #expect(stratified[0].train == Array(5..<15))
        let plain = try table.rows(Array(0..<14)).kFold(4)
        #expect(plain.map(\.validation) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10], [11, 12, 13]])
    }

    @Test func shuffledFoldsCoverEveryRowOnce() throws {
        let folds = try table.kFold(4, stratifyOn: "y", shuffle: true, seed: 1)
        #expect(folds.flatMap(\.validation).sorted() == Array(0..<15))
        for f in folds { #expect(Set(f.train).isDisjoint(with: Set(f.validation)) && f.train.count + f.validation.count == 15) }
        #expect(try table.kFold(4, stratifyOn: "y", shuffle: true, seed: 2).map(\.validation) != folds.map(\.validation))
        #expect(message { try table.kFold(5, stratifyOn: "y") } == "class 'c' of 'y' has 4 rows, fewer than the 5 folds")
        #expect(message { try table.kFold(1) } == "k-fold needs 2 <= folds <= 15 rows, got 1")
    }
}

@Suite struct TableEncoderTests {
    let train = try! Table.parse("""
        colour,size,flat,kind
        red,1,5,x
        blue,2,5,y
        red,3,5,x
        green,,5,y
        red,5,5,z
        """, source: "train.csv")

    @Test func encodesNumbersAndOneHotCategoriesByName() throws {
        let encoder = try TableEncoder(fitting: train, label: "kind", imputation: .mean)
        // Most frequent first, then by name; the out-of-vocabulary slot leads.
        #expect(encoder.features[0].encoding == .oneHot(vocabulary: ["red", "blue", "green"], fill: "red"))
        #expect(encoder.features[1].encoding == .numeric(fill: 2.75))
        #expect(encoder.encodedNames == ["colour=[UNK]", "colour=red", "colour=blue", "colour=green", "size", "flat"])
        #expect(encoder.classNames == ["x", "y", "z"])
        #expect(encoder.constantColumns == ["flat"])
        // Columns in another order, an unseen category, a missing size filled with the mean.
        let other = try Table.parse("kind,size,flat,colour\ny,,5,mauve\nz,7,1,green\n", source: "new.csv")
        var unknown: [TableEncoder.UnknownCategory] = []
        let x = try encoder.encodeFeatures(other) { unknown.append($0) }
        #expect(x.shape == [2, 6])
        #expect(x.scalars == [1, 0, 0, 0, 2.75, 5, 0, 0, 0, 1, 7, 1])
        #expect(unknown.map(\.description) == ["column 'colour', row 2: category 'mauve' was not seen in training; encoded as out-of-vocabulary"])
        #expect(try encoder.encodeLabels(other).integers == [1, 2])
    }

    @Test func categoriesMayBeIndicesForAnEmbedding() throws {
        let encoder = try TableEncoder(fitting: train, label: "kind", features: ["colour", "flat"], categories: .index)
        #expect(encoder.features[0].encoding == .index(vocabulary: ["red", "blue", "green"], fill: nil))
        #expect(encoder.width == 2 && encoder.encodedNames == ["colour", "flat"])
        let other = try Table.parse("colour,flat\ngreen,1\nmauve,2\nred,3\n")
        #expect(try encoder.encodeFeatures(other).scalars == [3, 1, 0, 2, 1, 3])
    }

    @Test func imputesWithTheMedianOrTheMostFrequentValue() throws {
        let median = try TableEncoder(fitting: train, label: "kind", imputation: .median)
        #expect(median.features[1].encoding == .numeric(fill: 2.5))
        let frequent = try TableEncoder(fitting: train, label: "kind", features: ["flat", "size"], imputation: .mostFrequent)
        #expect(frequent.features.map(\.name) == ["flat", "size"])
        #expect(frequent.features[1].encoding == .numeric(fill: 1))
    }

    @Test func problemsNameTheColumnAndRow() throws {
        #expect(message { try TableEncoder(fitting: train, label: "kind") }
                == "train.csv: column 'size', row 5: missing value; drop those rows or impute them (--drop-missing, --impute)")
        #expect(message { try TableEncoder(fitting: train, label: "type") }?.hasPrefix("train.csv: no column named 'type'; the columns are 'colour'") == true)
        let encoder = try TableEncoder(fitting: train, label: "kind", features: ["colour", "flat"])
        let unseen = try Table.parse("colour,flat,kind\nred,1,w\n", source: "test.csv")
        #expect(message { try encoder.encodeLabels(unseen) }
                == "test.csv: column 'kind', row 2: class 'w' was not seen in training (the classes are 'x', 'y', 'z')")
        let missing = try Table.parse("colour,flat,kind\nred,,x\n", source: "test.csv")
        #expect(message { try encoder.encodeFeatures(missing) } == "test.csv: column 'flat', row 2: missing value, and the model fills none "
                + "(train it with imputation, --impute, or drop incomplete rows, --drop-missing)")
        let text = try Table.parse("colour,flat,kind\nred,high,x\n", source: "test.csv")
        #expect(message { try encoder.encodeFeatures(text) } == "test.csv: column 'flat' holds text, but the model was trained on numbers there")
        #expect(message { try TableEncoder(fitting: train, label: "kind", features: ["flat", "colour", "flat"]) }
                == "column 'flat' is listed twice among the features")
        let oneClass = try Table.parse("a,b\n1,x\n2,x\n")
        #expect(message { try TableEncoder(fitting: oneClass, label: "b") } == "the label 'b' has one class ('x') in the training rows: nothing to learn")
        #expect(message { try TableEncoder(fitting: oneClass, label: "b", task: .regression) }
                == "the label 'b' holds text, so it cannot be a regression target")
    }

    @Test func numericLabelsAreClassesOnlyWhenFewAndWhole() throws {
        let few = try Table.parse("x,y\n1,0\n2,1\n3,2\n4,1\n")
        #expect(try TableEncoder(fitting: few, label: "y").classNames == ["0", "1", "2"])
        #expect(try TableEncoder(fitting: few, label: "y", task: .regression).classNames == nil)
        let real = try Table.parse("x,y\n1,0.5\n2,1.5\n3,2\n")
        let regression = try TableEncoder(fitting: real, label: "y")
        #expect(regression.classNames == nil)
        #expect(try regression.encodeLabels(real).shape == [3, 1])
        let many = try Table(names: ["x", "y"], columns: [.numeric((0..<30).map { Float($0) }), .numeric((0..<30).map { Float($0) })])
        #expect(try TableEncoder(fitting: many, label: "y").isClassification == false)
    }

    @Test func roundTripsThroughJSONAndValidates() throws {
        let encoder = try TableEncoder(fitting: train, label: "kind", imputation: .mean)
        let decoded = try JSONDecoder().decode(TableEncoder.self, from: try JSONEncoder().encode(encoder))
        #expect(decoded == encoder)
        try decoded.validate()
        let json = String(decoding: try JSONEncoder().encode(encoder), as: UTF8.self)
        let repeated = json.replacingOccurrences(of: "\"blue\"", with: "\"red\"")
        let bad = try JSONDecoder().decode(TableEncoder.self, from: Data(repeated.utf8))
        #expect(message { try bad.validate() } == "table encoder: column 'colour': the vocabulary is empty or repeats a category")
    }
}
