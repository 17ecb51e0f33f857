import Datasets
import Foundation
import Interop
import Layers
import Optimizers
import TensorCore
import Training

/// Character-level language models: the two architectures `deeplearn lm train` builds, their
/// default recipes, the loop that trains them and their checkpoints.
///
/// ```swift
/// let corpus = try TextCorpus.shakespeare()
/// var recipe = CharacterModels.recipe("lstm")
/// recipe.steps = 200
/// let result = try CharacterModels.train("lstm", corpus: corpus, recipe: recipe)
/// print(result.validationBits, result.unigramBits)
/// ```
public enum CharacterModels {
    /// How a character model is sized and trained.
    public struct Recipe: Sendable, Equatable {
        public var steps: Int, batchSize: Int, context: Int, learningRate: Float, warmup: Int
        /// The LSTM's hidden size or the transformer's model dimension, and its layer count.
        public var width: Int, layers: Int
        public var dropout: Float
        public var weightDecay: Float

        public init(steps: Int, batchSize: Int, context: Int, learningRate: Float, warmup: Int, width: Int, layers: Int,
                    dropout: Float = 0, weightDecay: Float = 0.01) {
            (self.steps, self.batchSize, self.context, self.learningRate, self.warmup) = (steps, batchSize, context, learningRate, warmup)
            (self.width, self.layers, self.dropout, self.weightDecay) = (width, layers, dropout, weightDecay)
        }
    }

    /// What `train` produced.
    public struct TrainingResult {
        public let model: any LanguageModel
        public let tokenizer: CharacterTokenizer
        /// Bits per character over the whole validation part, and the unigram baseline's.
        public let validationBits: Float, unigramBits: Float
        /// Training seconds (without the final validation).
        public let seconds: Double
        /// Each step's training loss in bits per character.
        public let losses: [Float]
        /// `step`, `train_bpc` and `val_bpc_quick` (first tenth of the validation text) every `evalEvery` steps.
        public let curve: [[String: Any]]
    }

    /// A problem with a character-model checkpoint or text.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static let names = ["lstm", "transformer"]

    /// The default recipes, on 2 cores (BENCHMARKS.md reports both): the LSTM about 30 minutes, the
    /// transformer about 75. Both get dropout 0.1; the transformer also gets weight decay 0.1, as
    /// without them it memorized its 4.4 million training characters (0.3 bits/char better on
    /// training text than on held-out text).
    public static func recipe(_ arch: String) -> Recipe {
        arch == "lstm"
            ? Recipe(steps: 6000, batchSize: 64, context: 64, learningRate: 2e-3, warmup: 50, width: 512, layers: 1, dropout: 0.1)
            : Recipe(steps: 14000, batchSize: 32, context: 128, learningRate: 2e-3, warmup: 100, width: 192, layers: 3, dropout: 0.1,
                     weightDecay: 0.1)
    }

    /// LSTM: embedding 64, `layers` LSTM layers of `width`. Transformer: model dimension `width`,
    /// heads of 32 dimensions, `layers` pre-norm blocks, learned positions for `context`.
    public static func make(_ arch: String, vocabularySize: Int, context: Int, width: Int, layers: Int, dropout: Float = 0)
        -> any LanguageModel
    {
        arch == "lstm"
            ? RecurrentLanguageModel(vocabularySize: vocabularySize, embeddingDim: 64, hiddenSize: width, layers: layers, dropout: dropout)
            : TransformerLanguageModel(vocabularySize: vocabularySize, context: context, dim: width, heads: max(1, width / 32),
                                       layers: layers, dropout: dropout)
    }

    /// Trains `arch` on `corpus`, split 90/10 into training and validation parts.
    ///
    /// Each step trains on `batchSize` sequences of `context` characters: for the LSTM, contiguous
    /// streams through the training text whose state carries from step to step (truncated
    /// backpropagation through time); for the transformer, random windows. AdamW, a linear warm-up
    /// then a cosine decay, gradients clipped to norm 1. Validation bits per character are measured
    /// over the whole held-out tenth read as one text and compared with the unigram baseline.
    /// `progress` receives the lines `deeplearn lm train` prints.
    public static func train(
        _ arch: String, corpus: String, recipe: Recipe, seed: UInt64 = 0, evalEvery: Int = 0,
        progress: (String) -> Void = { _ in }
    ) throws -> TrainingResult {
        guard names.contains(arch) else { throw Failure(description: "unknown architecture '\(arch)'; choose lstm or transformer") }
        var recipe = recipe
        recipe.warmup = min(recipe.warmup, recipe.steps / 10)  // short runs warm up for a tenth
        let tokenizer = CharacterTokenizer(text: corpus)
        let ids = tokenizer.encode(corpus)
        let cut = ids.count * 9 / 10
        guard cut > recipe.context + 1, ids.count - cut > recipe.context + 1 else {
            throw Failure(description: "the text is too short for windows of \(recipe.context) characters (\(ids.count) characters)")
        }
        try recipe.validate(validationLength: ids.count - cut)
        let training = LanguageModelBatches(ids: Array(ids[..<cut]), length: recipe.context)
        let validation = Array(ids[cut...])
        let unigram = unigramBits(train: training.ids, validation: validation, vocabularySize: tokenizer.vocabularySize)
        progress("\(ids.count) characters, vocabulary \(tokenizer.vocabularySize); "
            + "unigram baseline \(String(format: "%.3f", unigram)) bits/char on validation")

        Random.seed(seed)
        let model = make(arch, vocabularySize: tokenizer.vocabularySize, context: recipe.context,
                         width: recipe.width, layers: recipe.layers, dropout: recipe.dropout)
        progress("\(model) — \(model.parameterCount()) parameters")
        progress("recipe: \(recipe.steps) steps of \(recipe.batchSize) x \(recipe.context) characters, adamw lr \(recipe.learningRate) "
            + "(warm-up \(recipe.warmup), cosine), weight decay \(recipe.weightDecay), dropout \(recipe.dropout), clip norm 1, seed \(seed)")
        let optimizer = AdamW(model.trainableParameters, learningRate: recipe.learningRate, weightDecay: recipe.weightDecay)
        let schedule = CosineDecay(initial: recipe.learningRate, totalSteps: recipe.steps, warmupSteps: recipe.warmup)
        var generator = RandomGenerator(seed: seed &+ 1)
        let start = Date()
        var losses: [Float] = [], reported = 0
        var curve: [[String: Any]] = []
        // The LSTM reads the training text as contiguous streams and carries its state from one
        // step to the next (truncated backpropagation through time); the transformer trains on
        // random windows.
        let recurrent = model as? RecurrentLanguageModel
        var streams: [(inputs: Tensor, targets: Tensor)] = [], nextStream = 0
        var states: [[Tensor]]? = nil
        for step in 0..<recipe.steps {
            optimizer.learningRate = schedule.learningRate(at: step)
            let inputs: Tensor, targets: Tensor, logits: Tensor
            if let recurrent {
                if nextStream == streams.count {
                    streams = training.streamBatches(recipe.batchSize, offset: Int(generator.next() % UInt64(recipe.context)))
                    (nextStream, states) = (0, nil)
                }
                (inputs, targets) = streams[nextStream]
                nextStream += 1
                let output = recurrent.run(inputs, states: states)
                (logits, states) = (output.logits, output.states.map { $0.map { $0.detached() } })
            } else {
                (inputs, targets) = training.batch(recipe.batchSize, using: &generator)
                logits = model(inputs)
            }
            let loss = crossEntropy(logits: logits.reshaped(to: [inputs.scalarCount, tokenizer.vocabularySize]),
                                    labels: targets.reshaped(to: [targets.scalarCount]))
            optimizer.zeroGrad()
            loss.backward()
            clipGradients(optimizer.parameters, maxNorm: 1)
            optimizer.step()
            losses.append(loss.scalar / Float(log(2.0)))
            let done = step + 1
            if evalEvery > 0 && done % evalEvery == 0 && done < recipe.steps {
                // A quick look at the first tenth of the validation text; all of it at the end.
                model.eval()
                let part = Array(validation.prefix(Swift.max(validation.count / 10, 9)))
                let bpc = model.bitsPerToken(text: part, batchSize: Swift.min(8, part.count - 1))
                model.train()
                let trainBits = losses[reported...].reduce(0, +) / Float(done - reported)
                reported = done
                curve.append(["step": done, "train_bpc": trainBits, "val_bpc_quick": bpc])
                progress("step \(done)/\(recipe.steps) — train \(String(format: "%.3f", trainBits)) bits/char, "
                    + "validation (first tenth) \(String(format: "%.3f", bpc)) — \(Int(Date().timeIntervalSince(start)))s")
            }
        }
        let seconds = Date().timeIntervalSince(start)
        model.eval()
        let bpc = model.bitsPerToken(text: validation, batchSize: Swift.min(64, validation.count - 1))
        progress("validation: \(String(format: "%.3f", bpc)) bits/char (unigram \(String(format: "%.3f", unigram))) after \(Int(seconds))s")
        return TrainingResult(model: model, tokenizer: tokenizer, validationBits: bpc, unigramBits: unigram, seconds: seconds,
                              losses: losses, curve: curve)
    }

    /// Cross-entropy (bits) of the validation characters under the training part's character
    /// frequencies (add-one smoothed): the baseline a model must beat.
    public static func unigramBits(train: [Int], validation: [Int], vocabularySize: Int) -> Float {
        var counts = [Double](repeating: 1, count: vocabularySize)
        for id in train { counts[id] += 1 }
        let total = counts.reduce(0, +)
        return Float(validation.reduce(0.0) { $0 - log2(counts[$1] / total) } / Double(validation.count))
    }

    /// Writes `model` with what rebuilds it and its tokenizer (`kind`, `arch`, sizes, vocabulary)
    /// plus `metadata`.
    public static func save(
        _ model: any LanguageModel, arch: String, recipe: Recipe, tokenizer: CharacterTokenizer, to path: String,
        metadata: [String: String] = [:]
    ) throws {
        let vocabulary = String(String.UnicodeScalarView(tokenizer.characters))
        try Checkpoint.save(model, to: path, metadata: metadata.merging([
            "kind": "character-language-model", "arch": arch, "context": String(recipe.context),
            "width": String(recipe.width), "layers": String(recipe.layers), "vocabulary": vocabulary,
        ]) { $1 }, createDirectories: true)
    }

    /// The model and tokenizer a checkpoint written by `save` holds.
    public static func load(_ path: String) throws -> (model: any LanguageModel, tokenizer: CharacterTokenizer) {
        let metadata = try SafeTensors.load(path).metadata
        guard metadata["kind"] == "character-language-model", let arch = metadata["arch"], names.contains(arch),
              let context = metadata["context"].flatMap(Int.init), let vocabulary = metadata["vocabulary"],
              let width = metadata["width"].flatMap(Int.init), let layers = metadata["layers"].flatMap(Int.init)
        else { throw Failure(description: "\(path): not a checkpoint written by `deeplearn lm train`") }
        let tokenizer = try CharacterTokenizer.validated(characters: Array(vocabulary.unicodeScalars), source: path)
        // Rebuilt from the architecture, which is checked against the stored tensors, not from
        // the sizes above: those only have to agree with it.
        let (network, _) = try Checkpoint.loadModel(path)
        guard let model = network as? any LanguageModel, model.vocabularySize == tokenizer.vocabularySize,
              (model is RecurrentLanguageModel) == (arch == "lstm"), context > 0, width > 0, layers > 0
        else { throw Failure(description: "\(path): the architecture does not match the \(arch) model and vocabulary in the metadata") }
        return (model, tokenizer)
    }
}

extension CharacterModels.Recipe {
    /// Throws unless the recipe can train on a text whose held-out tenth has `validationLength`
    /// characters (read as `batchSize` streams): sizes within bounds a 2-core machine can hold,
    /// finite rates. The messages name the command-line flags.
    func validate(validationLength: Int) throws {
        func fail(_ message: String) -> CharacterModels.Failure { CharacterModels.Failure(description: message) }
        guard (1...10_000_000).contains(steps) else { throw fail("--steps must be in 1...10000000, got \(steps)") }
        guard (1...4096).contains(context) else { throw fail("--context must be in 1...4096, got \(context)") }
        guard (1...min(4096, validationLength - 1)).contains(batchSize) else {
            throw fail("--batch-size must be in 1...\(min(4096, validationLength - 1)) for this text (its validation tenth "
                + "has \(validationLength) characters), got \(batchSize)")
        }
        guard (1...4096).contains(width), (1...64).contains(layers) else {
            throw fail("--width must be in 1...4096 and --layers in 1...64, got \(width) and \(layers)")
        }
        guard learningRate.isFinite, learningRate > 0 else { throw fail("--learning-rate must be a finite number > 0, got \(learningRate)") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw fail("--weight-decay must be a finite number >= 0, got \(weightDecay)") }
        guard (0..<1).contains(dropout) else { throw fail("--dropout must be in [0, 1), got \(dropout)") }
    }
}
