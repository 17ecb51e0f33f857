import Foundation
import Layers
import Models
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

    /// Reading a text in 256-id pieces with the state carried is reading it in one pass.
    @Test func recurrentTextBitsCarryTheState() {
        let model = Random.withSeed(3) { RecurrentLanguageModel(vocabularySize: 6, embeddingDim: 4, hiddenSize: 8) }
        var rng = RandomGenerator(seed: 4)
        let ids = (0..<601).map { _ in Int(rng.next() % 6) }
        let onePass = model.bitsPerToken(inputs: Tensor(integers: Array(ids.dropLast()), shape: [1, 600]),
                                         targets: Tensor(integers: Array(ids.dropFirst()), shape: [1, 600]))
        #expect(Swift.abs(model.bitsPerToken(text: ids, batchSize: 1) - onePass) < 1e-4)
        // Two streams: each half read in one pass from the zero state.
        let half = { (part: ArraySlice<Int>) in
            model.bitsPerToken(inputs: Tensor(integers: Array(part.dropLast()), shape: [1, 300]),
                               targets: Tensor(integers: Array(part.dropFirst()), shape: [1, 300]))
        }
        let halves = (half(ids[0...300]) + half(ids[300...600])) / 2
        #expect(Swift.abs(model.bitsPerToken(text: ids, batchSize: 2) - halves) < 1e-4)
    }

    /// The sliding window scores every id once, from the window that first reaches it.
    @Test func windowedTextBitsSlideByHalfAContext() {
        let model = Random.withSeed(5) { TransformerLanguageModel(vocabularySize: 5, context: 6, dim: 8, heads: 2, layers: 1) }
        var rng = RandomGenerator(seed: 6)
        let ids = (0..<16).map { _ in Int(rng.next() % 5) }
        // Windows of 6 start at 0, 3, 6 and 9 (the last one flush with the end).
        var total: Float = 0
        for (start, firstScored) in [(0, 0), (3, 3), (6, 3), (9, 3)] {
            let window = Array(ids[start..<(start + 7)])
            let logits = model(Tensor(integers: Array(window.prefix(6)), shape: [1, 6]))
            let scored = logits.sliced(along: 1, from: firstScored, to: 6)
            let bits = withoutGradients {
                crossEntropy(logits: scored.reshaped(to: [6 - firstScored, 5]),
                             labels: Tensor(integers: Array(window[(firstScored + 1)...]), shape: [6 - firstScored])).scalar
            }
            total += bits / Float(Foundation.log(2.0)) * Float(6 - firstScored)
        }
        #expect(Swift.abs(model.bitsPerToken(text: ids, batchSize: 3) - total / 15) < 1e-4)
    }

    /// Sampling an LSTM one id at a time with its state equals rerunning the whole text.
    @Test func recurrentSamplingCarriesTheState() {
        let model = Random.withSeed(7) { RecurrentLanguageModel(vocabularySize: 6, embeddingDim: 4, hiddenSize: 8) }
        var rng = RandomGenerator(seed: 1)
        let sampled = model.sample(prompt: [2, 4], count: 12, temperature: 0, using: &rng)
        var greedy = [2, 4]
        for _ in 0..<12 {
            let last = model(Tensor(integers: greedy, shape: [1, greedy.count])).sliced(along: 1, from: greedy.count - 1).scalars
            greedy.append(last.indices.max { last[$0] < last[$1] }!)
        }
        #expect(sampled == greedy)
    }
}
