import Datasets
import Foundation
import Layers
import Models
import TensorCore
import Testing

@Suite struct TrainingLoopTests {
    let text = String((try! TextCorpus.shakespeare()).prefix(20_000))

    @Test("a few steps of the character-model loop lower the loss; the checkpoint rebuilds model and vocabulary",
          arguments: CharacterModels.names)
    func characterModelTrainsAndRoundTrips(_ arch: String) throws {
        let recipe = CharacterModels.Recipe(steps: 40, batchSize: 8, context: 16, learningRate: 5e-3, warmup: 4, width: 32, layers: 1)
        let result = try CharacterModels.train(arch, corpus: text, recipe: recipe, seed: 0, evalEvery: 20)
        #expect(result.losses.count == 40)
        let early = result.losses.prefix(5).reduce(0, +) / 5, late = result.losses.suffix(5).reduce(0, +) / 5
        #expect(late < early - 0.5, "\(result.losses)")
        #expect(result.curve.count == 1)
        #expect(result.validationBits.isFinite && result.unigramBits > 3)

        let path = temporaryPath("lm.safetensors")
        try CharacterModels.save(result.model, arch: arch, recipe: recipe, tokenizer: result.tokenizer, to: path)
        let (model, tokenizer) = try CharacterModels.load(path)
        #expect(tokenizer == result.tokenizer)
        model.eval()
        let ids = Tensor(integers: tokenizer.encode("To be, or not"), shape: [1, 13])
        #expect(withoutGradients { model(ids).scalars == result.model(ids).scalars })
    }

    @Test func theSameSeedTrainsTheSameCharacterModel() throws {
        let recipe = CharacterModels.Recipe(steps: 5, batchSize: 4, context: 8, learningRate: 5e-3, warmup: 1, width: 32, layers: 1)
        let a = try CharacterModels.train("transformer", corpus: text, recipe: recipe, seed: 3)
        let b = try CharacterModels.train("transformer", corpus: text, recipe: recipe, seed: 3)
        #expect(a.losses == b.losses && a.validationBits == b.validationBits)
    }

    @Test func textsTooShortForTheContextAreErrors() {
        let recipe = CharacterModels.Recipe(steps: 1, batchSize: 1, context: 64, learningRate: 1e-3, warmup: 0, width: 32, layers: 1)
        #expect(throws: CharacterModels.Failure.self) { try CharacterModels.train("lstm", corpus: "short", recipe: recipe) }
    }

    @Test func seq2seqLoopLowersTheLossAndNeverTrainsOnTestStrings() {
        let task = DigitTask(task: "reverse", lengths: 2...4)
        let result = task.train(steps: 60, batchSize: 16, learningRate: 1e-2, beamExamples: 5, hiddenSize: 16, seed: 0)
        #expect(result.losses.count == 60)
        let early = result.losses.prefix(5).reduce(0, +) / 5, late = result.losses.suffix(5).reduce(0, +) / 5
        #expect(late < early * 0.8, "\(result.losses)")
        #expect(result.testStrings == 1000 && result.beamExamples == 5)
        #expect((0...1).contains(result.exactMatch) && (0...1).contains(result.beamExactMatch))
        #expect(task.target([3, 4, 5]) == [5, 4, 3] && DigitTask(task: "sort").target([5, 3, 4]) == [3, 4, 5])
        #expect(DigitTask.digits([3, 12, 1]) == "09?")
    }
}
