import Foundation
import TensorCore

/// Turns text into integer ids and back.
public protocol Tokenizer: Sendable {
    /// Ids run over `0..<vocabularySize`.
    var vocabularySize: Int { get }
    func encode(_ text: String) -> [Int]
    func decode(_ ids: [Int]) -> String
}

/// One id per character (Unicode scalar), the vocabulary being the sorted distinct characters of
/// the text it was built from. Characters it has never seen encode to `unknown` when the
/// vocabulary has one (pass `unknown:` when building), else encoding them stops the program with a message.
public struct CharacterTokenizer: Tokenizer, Equatable {
    public let characters: [Unicode.Scalar]
    let ids: [Unicode.Scalar: Int]
    /// The id unseen characters map to, if any.
    public let unknownID: Int?

    /// The sorted distinct characters of `text`, plus `unknown` (at the end) when given.
    public init(text: String, unknown: Unicode.Scalar? = nil) {
        var set = Set(text.unicodeScalars)
        if let unknown { set.remove(unknown) }
        self.init(characters: set.sorted() + (unknown.map { [$0] } ?? []), unknownID: unknown.map { _ in set.count })
    }

    /// A vocabulary in a given order, e.g. as saved beside a checkpoint.
    public init(characters: [Unicode.Scalar], unknownID: Int? = nil) {
        require(Set(characters).count == characters.count, "CharacterTokenizer: characters repeat")
        self.characters = characters
        ids = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0) })
        self.unknownID = unknownID
    }

    /// A vocabulary read from outside (e.g. beside a checkpoint), checked rather than trusted:
    /// it must be non-empty, no character may repeat, and `unknownID` must be one of its ids.
    /// Errors name `source`, the file the vocabulary came from.
    public static func validated(characters: [Unicode.Scalar], unknownID: Int? = nil, source: String) throws -> CharacterTokenizer {
        func invalid(_ reason: String) -> DatasetError { .malformed(path: source, reason: "character vocabulary: \(reason)") }
        guard !characters.isEmpty else { throw invalid("empty") }
        var seen: [Unicode.Scalar: Int] = [:]
        for (id, c) in characters.enumerated() {
            if let first = seen.updateValue(id, forKey: c) {
                throw invalid("\(c.escaped(asASCII: true)) repeats (ids \(first) and \(id))")
            }
        }
        if let unknownID, !characters.indices.contains(unknownID) {
            throw invalid("unknown id \(unknownID) outside 0..<\(characters.count)")
        }
        return CharacterTokenizer(characters: characters, unknownID: unknownID)
    }

    public var vocabularySize: Int { characters.count }

    public func encode(_ text: String) -> [Int] {
        text.unicodeScalars.map { c in
            guard let id = ids[c] ?? unknownID else {
                requirementFailure("CharacterTokenizer: \(c.escaped(asASCII: true)) is not in the vocabulary")
            }
            return id
        }
    }

    public func decode(_ ids: [Int]) -> String {
        var s = String.UnicodeScalarView()
        for id in ids {
            require((0..<characters.count).contains(id), "CharacterTokenizer: id \(id) outside 0..<\(characters.count)")
            s.append(characters[id])
        }
        return String(s)
    }

    public static func == (a: Self, b: Self) -> Bool { a.characters == b.characters && a.unknownID == b.unknownID }
}

/// Words and punctuation marks as tokens (lower-cased by default), the vocabulary being the
/// special tokens `<pad>` (id 0) and `<unk>` (id 1), then every word seen at least `minCount`
/// times, most frequent first (ties alphabetical), at most `maxSize` in all.
public struct WordTokenizer: Tokenizer {
    public static let padding = "<pad>", unknown = "<unk>"
    public let words: [String]
    let ids: [String: Int]
    public let lowercased: Bool

    public init(texts: [String], minCount: Int = 1, maxSize: Int? = nil, lowercased: Bool = true) {
        var counts: [String: Int] = [:]
        for text in texts {
            for word in Self.split(text, lowercased: lowercased) { counts[word, default: 0] += 1 }
        }
        var kept = counts.filter { $0.value >= minCount }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map(\.key)
        if let maxSize { kept = Array(kept.prefix(Swift.max(0, maxSize - 2))) }
        self.init(words: [Self.padding, Self.unknown] + kept, lowercased: lowercased)
    }

    /// A vocabulary in a given order; it must start with `<pad>` and `<unk>`.
    public init(words: [String], lowercased: Bool = true) {
        require(words.starts(with: [Self.padding, Self.unknown]), "WordTokenizer: the vocabulary must start with <pad>, <unk>")
        self.words = words
        ids = Dictionary(words.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        self.lowercased = lowercased
    }

    /// A vocabulary read from outside (e.g. beside a checkpoint), checked rather than trusted:
    /// it must start with `<pad>`, `<unk>`, and no word may be empty or repeat. Errors name
    /// `source`, the file the vocabulary came from.
    public static func validated(words: [String], lowercased: Bool = true, source: String) throws -> WordTokenizer {
        func invalid(_ reason: String) -> DatasetError { .malformed(path: source, reason: "word vocabulary: \(reason)") }
        guard words.starts(with: [padding, unknown]) else { throw invalid("it must start with \(padding), \(unknown)") }
        var seen: [String: Int] = [:]
        for (id, word) in words.enumerated() {
            guard !word.isEmpty else { throw invalid("word \(id) is empty") }
            if let first = seen.updateValue(id, forKey: word) { throw invalid("'\(word)' repeats (ids \(first) and \(id))") }
        }
        return WordTokenizer(words: words, lowercased: lowercased)
    }

    public var vocabularySize: Int { words.count }

    /// Runs of letters, digits and apostrophes are words; every other non-space character is a
    /// token of its own.
    public static func split(_ text: String, lowercased: Bool = true) -> [String] {
        var tokens: [String] = []
        var current = ""
        for c in lowercased ? text.lowercased() : text {
            if c.isLetter || c.isNumber || c == "'" {
                current.append(c)
                continue
            }
            if !current.isEmpty { tokens.append(current); current = "" }
            if !c.isWhitespace { tokens.append(String(c)) }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    public func encode(_ text: String) -> [Int] { Self.split(text, lowercased: lowercased).map { ids[$0] ?? 1 } }

    /// Tokens joined by spaces; padding is dropped.
    public func decode(_ ids: [Int]) -> String {
        ids.filter { $0 != 0 }.map { words[$0] }.joined(separator: " ")
    }
}

/// Right-pads (or cuts) id sequences to one length, Keras' `pad_sequences` with
/// `padding="post"`, `truncating="post"`: ids `[N, length]` (int64) and each sequence's kept length.
public func padSequences(_ sequences: [[Int]], length: Int? = nil, value: Int = 0) -> (ids: Tensor, lengths: [Int]) {
    let length = length ?? (sequences.map(\.count).max() ?? 0)
    var flat: [Int] = []
    flat.reserveCapacity(sequences.count * length)
    var lengths: [Int] = []
    for s in sequences {
        let kept = s.prefix(length)
        flat += kept
        flat += Array(repeating: value, count: length - kept.count)
        lengths.append(kept.count)
    }
    return (Tensor(integers: flat, shape: [sequences.count, length]), lengths)
}

/// Text bundled with the package for the language-model demos.
public enum TextCorpus {
    /// Shakespeare's 37 plays in alphabetical order of their titles, 4.85 million characters;
    /// see Resources/shakespeare/SOURCE.md.
    public static func shakespeare() throws -> String {
        guard let url = Bundle.module.url(forResource: "shakespeare", withExtension: nil)?.appendingPathComponent("shakespeare.txt")
        else { throw DatasetError.notFound(dataset: "the bundled Shakespeare text", searched: [Bundle.module.bundlePath]) }
        return try load(url.path)
    }

    /// The largest file `load` reads (decompressed, for gzip): 1 GiB.
    public static let sizeLimit = 1 << 30

    /// A UTF-8 text file (gzip-compressed when its name ends in `.gz`), with a descriptive error
    /// when it is missing, unreadable, empty, larger than `sizeLimit`, or not valid UTF-8 (the
    /// first invalid byte named; nothing is replaced).
    public static func load(_ path: String) throws -> String {
        let text = try InputFile.text(of: path, limit: sizeLimit)
        guard !text.isEmpty else { throw DatasetError.malformed(path: path, reason: "empty file") }
        return text
    }
}

/// Batches of windows from one long id sequence for next-token prediction: each example is
/// `length` ids and the same window shifted by one as targets, windows starting at random
/// offsets drawn from a seeded generator.
public struct LanguageModelBatches {
    public let ids: [Int]
    public let length: Int

    public init(ids: [Int], length: Int) {
        require(length > 0 && ids.count > length, "LanguageModelBatches: need more than \(length) ids, got \(ids.count)")
        self.ids = ids
        self.length = length
    }

    /// `count` random windows: inputs and targets, each `[count, length]` int64.
    public func batch(_ count: Int, using generator: inout RandomGenerator) -> (inputs: Tensor, targets: Tensor) {
        var inputs: [Int] = [], targets: [Int] = []
        inputs.reserveCapacity(count * length)
        targets.reserveCapacity(count * length)
        for _ in 0..<count {
            let start = Int(generator.next() % UInt64(ids.count - length))
            inputs += ids[start..<(start + length)]
            targets += ids[(start + 1)...(start + length)]
        }
        return (Tensor(integers: inputs, shape: [count, length]), Tensor(integers: targets, shape: [count, length]))
    }

    /// One pass over the sequence read as `count` contiguous streams, `length` ids at a time,
    /// for truncated backpropagation through time and for evaluating a recurrent model on the
    /// whole text: batch k holds every stream's k-th window (`[count, length]`, the last batch
    /// possibly shorter), so a model can carry its state from one batch to the next. The
    /// streams start `offset` ids in (`0..<length`, to vary the window boundaries between
    /// epochs); the few ids past an even split into `count` streams are left out.
    public func streamBatches(_ count: Int, offset: Int = 0) -> [(inputs: Tensor, targets: Tensor)] {
        require(count > 0 && (0..<length).contains(offset),
                     "LanguageModelBatches.streamBatches: need count > 0 and offset in 0..<\(length), got \(count), \(offset)")
        let streamLength = (ids.count - 1 - offset) / count
        require(streamLength > 0, "LanguageModelBatches: \(ids.count) ids cannot make \(count) streams")
        return stride(from: 0, to: streamLength, by: length).map { first in
            let width = Swift.min(length, streamLength - first)
            var inputs: [Int] = [], targets: [Int] = []
            inputs.reserveCapacity(count * width)
            targets.reserveCapacity(count * width)
            for stream in 0..<count {
                let start = offset + stream * streamLength + first
                inputs += ids[start..<(start + width)]
                targets += ids[(start + 1)...(start + width)]
            }
            return (Tensor(integers: inputs, shape: [count, width]), Tensor(integers: targets, shape: [count, width]))
        }
    }
}
