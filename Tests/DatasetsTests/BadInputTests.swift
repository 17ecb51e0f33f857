import Foundation
import TensorCore
import Testing
@testable import Datasets

// Every reader turns bad input into a `DatasetError` naming the file and the problem: these tests
// feed each class of bad input and check the description, and that good input still reads.

/// A new file holding `bytes`, in a fresh temporary directory.
func temporaryFile(_ bytes: [UInt8], name: String = "test.idx") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// A new file of `size` bytes that takes no disk space (a hole): for the size limits.
func sparseFile(size: UInt64, name: String) throws -> String {
    let path = try temporaryFile([], name: name)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: size)
    try handle.close()
    return path
}

/// Expects `body` to throw a `DatasetError` whose description starts with `path` and contains `problem`.
func expectError<T>(naming path: String, _ problem: String, sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () throws -> T) {
    let error = #expect(throws: DatasetError.self, sourceLocation: sourceLocation) { _ = try body() }
    guard let description = error?.description else { return }
    #expect(description.hasPrefix(path + ":") && description.contains(problem),
            "\(description) does not name \(path) and \(problem)", sourceLocation: sourceLocation)
}

/// The committed gzip fixtures (Fixtures/make_fixtures.sh).
func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// An IDX header of unsigned bytes with `shape`.
func idxHeader(_ shape: [UInt32]) -> [UInt8] {
    [0, 0, 8, UInt8(shape.count)] + shape.flatMap { d in (0..<4).reversed().map { UInt8(truncatingIfNeeded: d >> (8 * $0)) } }
}

@Suite struct GzipTests {
    let labels = idxHeader([10]) + Array(0..<10)

    @Test func decompressesAValidFileAndConcatenatedMembers() throws {
        #expect(try InputFile.contents(of: fixture("labels.idx1.gz"), limit: 100) == labels)
        #expect(try IDX.readLabels(fixture("labels.idx1.gz")).integers == Array(0..<10))
        #expect(try IDX.readLabels(fixture("concatenated.idx1.gz")).integers == Array(0..<10))
        // Members of any size, one after another, as gzip -c a b > ab writes them.
        let members = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture("labels.idx1.gz"))))
        let three = try temporaryFile(members + members + members, name: "three.gz")
        #expect(try InputFile.contents(of: three, limit: 100) == labels + labels + labels)
    }

    @Test func rejectsTrailingGarbageTruncationAndCorruption() throws {
        let valid = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture("labels.idx1.gz"))))
        for tail in [Array("junk".utf8), [0], [0x1f], [0x1f, 0x8c, 0, 0]] {
            let path = try temporaryFile(valid + tail, name: "tail.idx1.gz")
            expectError(naming: path, "trailing garbage after the gzip stream") { try IDX.readLabels(path) }
        }
        for length in 2..<valid.count {
            let path = try temporaryFile(Array(valid.prefix(length)), name: "cut.idx1.gz")
            expectError(naming: path, "truncated gzip stream") { try IDX.readLabels(path) }
        }
        var badCRC = valid
        badCRC[valid.count - 8] ^= 1
        let path = try temporaryFile(badCRC, name: "crc.idx1.gz")
        expectError(naming: path, "corrupt gzip stream: incorrect data check") { try IDX.readLabels(path) }
    }

    @Test func aGzipNameNeedsGzipData() throws {
        let raw = try temporaryFile(labels, name: "raw.idx1.gz")
        expectError(naming: raw, "not gzip") { try IDX.readLabels(raw) }
        let empty = try temporaryFile([], name: "empty.gz")
        expectError(naming: empty, "not gzip") { try InputFile.contents(of: empty, limit: 10) }
        // Without the .gz name the same bytes are read as they are.
        #expect(try IDX.readLabels(temporaryFile(labels, name: "raw.idx1")).integers == Array(0..<10))
    }

    @Test func decompressesNoFurtherThanTheLimit() throws {
        let bomb = fixture("bomb.idx1.gz")   // 295 bytes, a 5-label header and then 256 KiB
        expectError(naming: bomb, "decompresses past the 13 bytes its header needs") { try IDX.readLabels(bomb) }
        #expect(throws: DatasetError.tooLarge(path: bomb, limit: 1000)) { try InputFile.contents(of: bomb, limit: 1000) }
        let valid = fixture("labels.idx1.gz")
        #expect(try InputFile.contents(of: valid, limit: labels.count) == labels)
        #expect(throws: DatasetError.tooLarge(path: valid, limit: labels.count - 1)) {
            try InputFile.contents(of: valid, limit: labels.count - 1)
        }
    }

    @Test func aLyingHeaderAllocatesNothing() throws {
        let huge = fixture("huge.idx2.gz")
        expectError(naming: huge, "header promises 4611686018427387904 elements of shape [2147483648, 2147483648], "
                                  + "more than the 29-byte gzip file can hold") { try IDX.readBytes(huge) }
        let raw = try temporaryFile(idxHeader([1 << 31, 1 << 31]), name: "huge.idx2")
        expectError(naming: raw, "truncated: header promises 4611686018427387904 elements") { try IDX.readBytes(raw) }
        // Within what deflate could expand 38 bytes to, but the stream ends after ten.
        let lying = fixture("lying.idx1.gz")
        expectError(naming: lying, "truncated: header promises 1000000 elements of shape [1000000], the gzip stream holds 10") {
            try IDX.readLabels(lying)
        }
    }

    @Test func theStreamStructMatchesZlib() {
        // sizeof and offsetof of z_stream from zlib.h, compiled for x86-64 and arm64 Linux.
        #expect(MemoryLayout<ZStream>.size == 112)
        let offsets: [PartialKeyPath<ZStream>: Int] = [
            \.nextIn: 0, \.availIn: 8, \.totalIn: 16, \.nextOut: 24, \.availOut: 32, \.totalOut: 40, \.msg: 48,
            \.state: 56, \.zalloc: 64, \.zfree: 72, \.opaque: 80, \.dataType: 88, \.adler: 96, \.reserved: 104,
        ]
        for (field, offset) in offsets { #expect(MemoryLayout<ZStream>.offset(of: field) == offset, "\(field)") }
    }
}

@Suite struct IDXHeaderTests {
    @Test func rejectsImpossibleHeaders() throws {
        let cases: [([UInt8], String)] = [
            ([0, 0, 8, 0], "rank 0 is outside 1...4"),
            ([0, 0, 8, 200] + [UInt8](repeating: 1, count: 800), "rank 200 is outside 1...4"),
            ([0, 0, 8, 3, 0, 0, 0, 1], "truncated header"),
            ([0, 0, 9, 1, 0, 0, 0, 1, 0], "element type 0x9 is not unsigned byte (0x08)"),
            (idxHeader([3, 0]), "dimension 1 of shape [3, 0] is 0"),
            (idxHeader([.max, .max, .max]), "shape [4294967295, 4294967295, 4294967295] has more elements than Int can count"),
            (idxHeader([2]) + [1, 2, 3], "trailing bytes: header promises 2 elements of shape [2], file holds 3"),
            (idxHeader([2, 2]) + [1, 2, 3], "truncated: header promises 4 elements of shape [2, 2], file holds 3"),
        ]
        for (bytes, problem) in cases {
            let path = try temporaryFile(bytes)
            expectError(naming: path, problem) { try IDX.readBytes(path) }
        }
        let labels = try temporaryFile(idxHeader([1, 1, 1]) + [7])
        expectError(naming: labels, "labels need 1 dimension, found shape [1, 1, 1]") { try IDX.readLabels(labels) }
        let images = try temporaryFile(idxHeader([1]) + [7])
        expectError(naming: images, "images need 3 dimensions, found shape [1]") { try IDX.readImages(images) }
        let directory = FileManager.default.temporaryDirectory.path
        expectError(naming: directory, "not a regular file") { try IDX.readBytes(directory) }
        // A FIFO with no writer: opening it must not wait for one.
        let fifo = try temporaryFile([], name: "unused") + ".fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        expectError(naming: fifo, "not a regular file") { try IDX.readBytes(fifo) }
    }
}

@Suite struct FashionMNISTFileTests {
    /// A directory holding the four files, `images` images and `labels` in both splits.
    func directory(images: Int, size: (UInt32, UInt32) = (28, 28), labels: [UInt8]) throws -> String {
        let dir = (try temporaryFile([], name: "unused") as NSString).deletingLastPathComponent
        let pixels = idxHeader([UInt32(images), size.0, size.1]) + [UInt8](repeating: 9, count: images * Int(size.0 * size.1))
        for split in ["train", "t10k"] {
            try Data(pixels).write(to: URL(fileURLWithPath: "\(dir)/\(split)-images-idx3-ubyte"))
            try Data(idxHeader([UInt32(labels.count)]) + labels).write(to: URL(fileURLWithPath: "\(dir)/\(split)-labels-idx1-ubyte"))
        }
        return dir
    }

    @Test func loadsValidFilesAndNamesTheBadOne() throws {
        let good = try FashionMNIST.load(directory: directory(images: 2, labels: [3, 9]))
        #expect(good.trainImages.shape == [2, 784] && good.testLabels.integers == [3, 9])
        let extra = try directory(images: 2, labels: [1, 2, 3])
        expectError(naming: "\(extra)/train-labels-idx1-ubyte", "3 labels for the 2 images of \(extra)/train-images-idx3-ubyte") {
            try FashionMNIST.load(directory: extra)
        }
        let outOfRange = try directory(images: 2, labels: [0, 10])
        expectError(naming: "\(outOfRange)/train-labels-idx1-ubyte", "label 10 at index 1 is outside 0..<10") {
            try FashionMNIST.load(directory: outOfRange)
        }
        let wrongSize = try directory(images: 1, size: (27, 29), labels: [0])
        expectError(naming: "\(wrongSize)/train-images-idx3-ubyte", "images are 27x29, expected 28x28") {
            try FashionMNIST.load(directory: wrongSize)
        }
    }
}

@Suite struct CSVInputTests {
    func csv(_ text: String) throws -> String { try temporaryFile(Array(text.utf8), name: "d.csv") }

    @Test func rejectsValuesFloat32CannotHold() throws {
        let cases = [
            ("1,2\n3,nan\n", "line 2, field 2: 'nan' is NaN"),
            ("1,-inf\n", "line 1, field 2: '-inf' is infinite"),
            ("1e50,2\n", "line 1, field 1: '1e50' is out of float32's range"),
            ("1,2\n\n3\n", "line 3 has 1 fields, expected 2"),
            ("1,\n", "line 1, field 2: '' is not a number"),
        ]
        for (text, problem) in cases {
            let path = try csv(text)
            expectError(naming: path, problem) { try CSV.readMatrix(path) }
        }
        let header = try csv("a,b,c\n1,2\n")
        expectError(naming: header, "the header has 3 fields, line 2 has 2") { try CSV.readMatrix(header, hasHeader: true) }
        let onlyHeader = try csv("a,b\n")
        expectError(naming: onlyHeader, "no data rows") { try CSV.readMatrix(onlyHeader, hasHeader: true) }
        let latin1 = try temporaryFile([0x31, 0x2c, 0x32, 0x0a, 0x33, 0xe9, 0x0a], name: "latin1.csv")
        expectError(naming: latin1, "invalid UTF-8 at byte 5 (line 2)") { try CSV.readMatrix(latin1) }
        let huge = try sparseFile(size: UInt64(CSV.sizeLimit) + 1, name: "huge.csv")
        #expect(throws: DatasetError.tooLarge(path: huge, limit: CSV.sizeLimit)) { try CSV.readMatrix(huge) }
    }

    @Test func labelsAreWholeNonNegativeNumbers() throws {
        for (label, shown) in [("1.5", "1.5"), ("-1", "-1.0"), ("1e8", "1e+08")] {
            let path = try csv("a,b\n0,1\n\(label),2\n")
            expectError(naming: path, "line 3: label \(shown) is not a whole number in 0...16777216") {
                try CSV.readLabeled(path, labelColumn: 0, hasHeader: true)
            }
        }
        let path = try csv("0.5,7\n1,2\n\n3,16777216\n")
        let (features, labels) = try CSV.readLabeled(path, labelColumn: 1)
        #expect(features.shape == [3, 1] && features.scalars == [0.5, 1, 3] && labels.integers == [7, 2, 16_777_216])
    }
}

@Suite struct TextInputTests {
    @Test func rejectsInvalidEmptyAndHugeFiles() throws {
        let bad = try temporaryFile(Array("ab\ncd".utf8) + [0xff, 0x65], name: "bad.txt")
        expectError(naming: bad, "invalid UTF-8 at byte 5 (line 2)") { try TextCorpus.load(bad) }
        let cut = try temporaryFile(Array("café".utf8.dropLast()), name: "cut.txt")   // half of é
        expectError(naming: cut, "invalid UTF-8 at byte 3 (line 1)") { try TextCorpus.load(cut) }
        let empty = try temporaryFile([], name: "empty.txt")
        expectError(naming: empty, "empty file") { try TextCorpus.load(empty) }
        let huge = try sparseFile(size: UInt64(TextCorpus.sizeLimit) + 1, name: "huge.txt")
        #expect(throws: DatasetError.tooLarge(path: huge, limit: TextCorpus.sizeLimit)) { try TextCorpus.load(huge) }
        let good = try temporaryFile(Array("Ay, marry, is't.\n".utf8), name: "good.txt")
        #expect(try TextCorpus.load(good) == "Ay, marry, is't.\n")
    }

    @Test func tokenizerVocabulariesFromFilesAreChecked() throws {
        expectError(naming: "model.safetensors", "character vocabulary: b repeats (ids 1 and 2)") {
            try CharacterTokenizer.validated(characters: ["a", "b", "b"], source: "model.safetensors")
        }
        expectError(naming: "m", "character vocabulary: empty") { try CharacterTokenizer.validated(characters: [], source: "m") }
        expectError(naming: "m", "character vocabulary: unknown id 2 outside 0..<2") {
            try CharacterTokenizer.validated(characters: ["a", "b"], unknownID: 2, source: "m")
        }
        #expect(try CharacterTokenizer.validated(characters: ["b", "a"], unknownID: 1, source: "m")
                == CharacterTokenizer(characters: ["b", "a"], unknownID: 1))
        expectError(naming: "m", "word vocabulary: it must start with <pad>, <unk>") {
            try WordTokenizer.validated(words: ["<unk>", "<pad>"], source: "m")
        }
        expectError(naming: "m", "word vocabulary: 'the' repeats (ids 2 and 3)") {
            try WordTokenizer.validated(words: ["<pad>", "<unk>", "the", "the"], source: "m")
        }
        expectError(naming: "m", "word vocabulary: word 2 is empty") {
            try WordTokenizer.validated(words: ["<pad>", "<unk>", ""], source: "m")
        }
        #expect(try WordTokenizer.validated(words: ["<pad>", "<unk>", "the"], source: "m").encode("the cat") == [2, 1])
    }
}
