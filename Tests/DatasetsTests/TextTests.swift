import Datasets
import TensorCore
import Testing

@Suite struct TextTests {
    @Test func characterTokenizerRoundTripsAndSortsItsVocabulary() {
        let tokenizer = CharacterTokenizer(text: "to be, or not")
        #expect(tokenizer.decode(tokenizer.encode("not to be")) == "not to be")
        #expect(tokenizer.characters.map(String.init).joined() == " ,benort")
        #expect(tokenizer.encode("be") == [2, 3])
        let withUnknown = CharacterTokenizer(text: "ab", unknown: "?")
        #expect(withUnknown.encode("abz") == [0, 1, 2])
        #expect(withUnknown.vocabularySize == 3)
    }

    @Test func wordTokenizerKeepsFrequentWordsAndPunctuation() {
        #expect(WordTokenizer.split("Don't stop, Horatio!") == ["don't", "stop", ",", "horatio", "!"])
        let tokenizer = WordTokenizer(texts: ["the cat and the hat", "the end"], minCount: 2)
        #expect(tokenizer.words == ["<pad>", "<unk>", "the"])
        #expect(tokenizer.encode("The cat") == [2, 1])
        let capped = WordTokenizer(texts: ["b a a c c c"], maxSize: 4)
        #expect(capped.words == ["<pad>", "<unk>", "c", "a"])
        #expect(capped.decode([3, 0, 2]) == "a c")
    }

    @Test func padSequencesPadsAndCutsAtTheEnd() {
        let (ids, lengths) = padSequences([[1, 2, 3], [4], [5, 6, 7, 8, 9]], length: 4)
        #expect(ids.shape == [3, 4])
        #expect(ids.integers == [1, 2, 3, 0, 4, 0, 0, 0, 5, 6, 7, 8])
        #expect(lengths == [3, 1, 4])
        #expect(padSequences([[1], [2, 3]]).ids.shape == [2, 2])
    }

    @Test func languageModelWindowsAreShiftedByOne() {
        let batches = LanguageModelBatches(ids: Array(0..<50), length: 8)
        var rng = RandomGenerator(seed: 3)
        let (inputs, targets) = batches.batch(4, using: &rng)
        #expect(inputs.shape == [4, 8])
        #expect(zip(inputs.integers, targets.integers).allSatisfy { $1 == $0 + 1 })
        var again = RandomGenerator(seed: 3)
        #expect(batches.batch(4, using: &again).inputs.integers == inputs.integers)
        // 49 (input, target) pairs in 4 streams of 12: windows of 8 then 4, stream 1 from id 12.
        let streams = batches.streamBatches(4)
        #expect(streams.map(\.inputs.shape) == [[4, 8], [4, 4]])
        #expect(streams[0].inputs.integers[8..<16] == [12, 13, 14, 15, 16, 17, 18, 19])
        #expect(streams[1].inputs.integers[4..<8] == [20, 21, 22, 23])
        #expect(streams.allSatisfy { zip($0.inputs.integers, $0.targets.integers).allSatisfy { $1 == $0 + 1 } })
        #expect(batches.streamBatches(4, offset: 3)[0].inputs.integers.first == 3)
    }

    @Test func theBundledCorpusIsShakespeare() throws {
        let text = try TextCorpus.shakespeare()
        #expect(text.count > 4_800_000)
        #expect(text.hasPrefix("ALL'S WELL THAT ENDS WELL"))
        #expect(text.contains("To be, or not to be"))
        #expect(throws: DatasetError.fileNotFound(path: "/no/such/file.txt")) { try TextCorpus.load("/no/such/file.txt") }
    }
}
