import Layers
import TensorCore
import Testing

@Suite struct LanguageModelTests {
    /// Changing the last id must leave every earlier position's logits as they were.
    @Test("logits at t depend only on ids up to t", arguments: ["lstm", "transformer"])
    func languageModelsAreCausal(_ arch: String) {
        let model: any LanguageModel = Random.withSeed(0) { () -> any LanguageModel in
            if arch == "lstm" { return RecurrentLanguageModel(vocabularySize: 7, embeddingDim: 4, hiddenSize: 8) }
            return TransformerLanguageModel(vocabularySize: 7, context: 6, dim: 8, heads: 2, layers: 2)
        }
        let a = model(Tensor(integers: [1, 2, 3, 4, 5, 6], shape: [1, 6]))
        let b = model(Tensor(integers: [1, 2, 3, 4, 5, 0], shape: [1, 6]))
        #expect(a.shape == [1, 6, 7])
        let earlier = { (t: Tensor) in t.sliced(along: 1, from: 0, to: 5).scalars }
        #expect(zip(earlier(a), earlier(b)).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
        #expect(a.sliced(along: 1, from: 5).scalars != b.sliced(along: 1, from: 5).scalars)
    }

    @Test func samplingIsSeededAndGreedyAtTemperatureZero() {
        let model = Random.withSeed(1) { TransformerLanguageModel(vocabularySize: 5, context: 8, dim: 8, heads: 2, layers: 1) }
        var r1 = RandomGenerator(seed: 9), r2 = RandomGenerator(seed: 9)
        let s1 = model.sample(prompt: [1, 2], count: 10, temperature: 1, using: &r1)
        #expect(s1.count == 12 && Array(s1.prefix(2)) == [1, 2] && s1.allSatisfy { (0..<5).contains($0) })
        #expect(s1 == model.sample(prompt: [1, 2], count: 10, temperature: 1, using: &r2))
        var r3 = RandomGenerator(seed: 1), r4 = RandomGenerator(seed: 2)
        #expect(model.sample(prompt: [3], count: 12, temperature: 0, using: &r3)
                == model.sample(prompt: [3], count: 12, temperature: 0, using: &r4))
        // Bits per token of a uniform model are log2(vocabulary).
        let uniform = Random.withSeed(2) { RecurrentLanguageModel(vocabularySize: 4, embeddingDim: 2, hiddenSize: 2) }
        uniform.head.weight.value = .zeros([4, 2])
        uniform.head.bias!.value = .zeros([4])
        let ids = Tensor(integers: [0, 1, 2, 3], shape: [1, 4])
        #expect(Swift.abs(uniform.bitsPerToken(inputs: ids, targets: ids) - 2) < 1e-5)
    }
}
