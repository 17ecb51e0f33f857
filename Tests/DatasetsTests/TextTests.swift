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
        let sequential = batches.sequentialBatches(4)
        #expect(sequential.map { $0.inputs.shape[0] } == [4, 2])
        #expect(sequential[1].inputs.integers.last == 47 && sequential[1].targets.integers.last == 48)
    }

    @Test func theBundledCorpusIsShakespeare() throws {
        let text = try TextCorpus.shakespeare()
        #expect(text.count > 600_000)
        #expect(text.hasPrefix("HAMLET, PRINCE OF DENMARK"))
        #expect(text.contains("To be, or not to be"))
        #expect(throws: DatasetError.fileNotFound(path: "/no/such/file.txt")) { try TextCorpus.load("/no/such/file.txt") }
    }
}
