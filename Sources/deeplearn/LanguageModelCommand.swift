import ArgumentParser
import DeepLearning
import Foundation

struct LanguageModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Character-level language models on the bundled Shakespeare text (or your own).",
        subcommands: [LanguageModelTrain.self, LanguageModelSample.self])
}

/// The architectures `lm train` builds, with their default recipes.
enum CharacterModels {
    struct Recipe {
        var steps: Int, batchSize: Int, context: Int, learningRate: Float, warmup: Int
        /// The LSTM's hidden size or the transformer's model dimension, and its layer count.
        var width: Int, layers: Int
        var dropout: Float = 0
        var weightDecay: Float = 0.01
    }

    static let names = ["lstm", "transformer"]

    /// The default recipes, on 2 cores (BENCHMARKS.md reports both): the LSTM about 30 minutes, the
    /// transformer about 75. Both get dropout 0.1; the transformer also gets weight decay 0.1, as
    /// without them it memorized its 4.4 million training characters (0.3 bits/char better on
    /// training text than on held-out text).
    static func recipe(_ arch: String) -> Recipe {
        arch == "lstm"
            ? Recipe(steps: 6000, batchSize: 64, context: 64, learningRate: 2e-3, warmup: 50, width: 512, layers: 1, dropout: 0.1)
            : Recipe(steps: 14000, batchSize: 32, context: 128, learningRate: 2e-3, warmup: 100, width: 192, layers: 3, dropout: 0.1,
                     weightDecay: 0.1)
    }

    /// LSTM: embedding 64, `layers` LSTM layers of `width`. Transformer: model dimension `width`,
    /// heads of 32 dimensions, `layers` pre-norm blocks, learned positions for `context`.
    static func make(_ arch: String, vocabularySize: Int, context: Int, width: Int, layers: Int, dropout: Float = 0) -> any LanguageModel {
        arch == "lstm"
            ? RecurrentLanguageModel(vocabularySize: vocabularySize, embeddingDim: 64, hiddenSize: width, layers: layers, dropout: dropout)
            : TransformerLanguageModel(vocabularySize: vocabularySize, context: context, dim: width, heads: max(1, width / 32),
                                       layers: layers, dropout: dropout)
    }
}

struct LanguageModelTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a character-level language model; report validation bits per character.",
        discussion: """
            The text (the bundled Shakespeare unless --text is given) is split 90/10 into training and \
            validation parts. Each step trains on --batch-size sequences of --context characters: for the LSTM, \
            contiguous streams through the training text whose state carries from step to step (truncated \
            backpropagation through time); for the transformer, random windows. AdamW (weight decay 0.01 for the LSTM, 0.1 for the transformer), a linear \
            warm-up then a cosine decay, gradients clipped to norm 1. Validation bits per character are measured \
            over the whole held-out tenth read as one text (the LSTM carries its state; the transformer slides its \
            window by half its context) and compared with the unigram baseline (character frequencies of the \
            training part).
            """)

    @Option(help: "Architecture: lstm or transformer.") var arch = "lstm"
    @Option(help: "A UTF-8 text file to train on instead of the bundled Shakespeare.") var text: String?
    @Option(help: "Optimizer steps.") var steps: Int?
    @Option(help: "Windows per step.") var batchSize: Int?
    @Option(help: "Characters per window.") var context: Int?
    @Option(help: "Peak learning rate.") var learningRate: Float?
    @Option(help: "The LSTM's hidden size or the transformer's model dimension (a multiple of 32).") var width: Int?
    @Option(help: "LSTM layers or transformer blocks.") var layers: Int?
    @Option(help: "Dropout rate in training (LSTM: on its inputs and outputs; transformer: in each block).") var dropout: Float?
    @Option(help: "AdamW's decoupled weight decay.") var weightDecay: Float?
    @Option(help: "Measure validation every this many steps (0: only at the end).") var evalEvery = 250
    @Option(help: "Seed for initialization and window sampling.") var seed: UInt64 = 0
    @Option(help: "Where to write the checkpoint (safetensors).") var output: String?
    @Flag(help: "Print one JSON object at the end instead of progress.") var json = false

    func validate() throws {
        guard CharacterModels.names.contains(arch) else { throw ValidationError("unknown architecture '\(arch)'; choose lstm or transformer") }
        for (name, value) in [("--steps", steps), ("--batch-size", batchSize), ("--context", context), ("--width", width), ("--layers", layers)] {
            if let value, value <= 0 { throw ValidationError("\(name) must be positive, got \(value)") }
        }
        if arch == "transformer", let width, width % 32 != 0 { throw ValidationError("--width must be a multiple of 32 for the transformer, got \(width)") }
        if let dropout, !(0..<1).contains(dropout) { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        if let weightDecay, weightDecay < 0 { throw ValidationError("--weight-decay must be at least 0, got \(weightDecay)") }
        if let learningRate, learningRate <= 0 { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
        guard evalEvery >= 0 else { throw ValidationError("--eval-every must be at least 0, got \(evalEvery)") }
    }

    func run() throws {
        var recipe = CharacterModels.recipe(arch)
        recipe.steps = steps ?? recipe.steps
        recipe.batchSize = batchSize ?? recipe.batchSize
        recipe.context = context ?? recipe.context
        recipe.learningRate = learningRate ?? recipe.learningRate
        recipe.width = width ?? recipe.width
        recipe.layers = layers ?? recipe.layers
        recipe.dropout = dropout ?? recipe.dropout
        recipe.weightDecay = weightDecay ?? recipe.weightDecay
        recipe.warmup = min(recipe.warmup, recipe.steps / 10)  // short runs warm up for a tenth
        let corpus: String
        do { corpus = try text.map(TextCorpus.load) ?? TextCorpus.shakespeare() } catch { fail("\(error)") }
        let tokenizer = CharacterTokenizer(text: corpus)
        let ids = tokenizer.encode(corpus)
        let cut = ids.count * 9 / 10
        guard cut > recipe.context + 1, ids.count - cut > recipe.context + 1 else {
            fail("the text is too short for windows of \(recipe.context) characters (\(ids.count) characters)")
        }
        let training = LanguageModelBatches(ids: Array(ids[..<cut]), length: recipe.context)
        let validation = Array(ids[cut...])
        let say: (String) -> Void = json ? { _ in } : { print($0); fflush(nil) }
        let unigram = unigramBits(train: training.ids, validation: validation, vocabularySize: tokenizer.vocabularySize)
        say("text: \(text ?? "bundled Shakespeare") — \(ids.count) characters, vocabulary \(tokenizer.vocabularySize); "
            + "unigram baseline \(String(format: "%.3f", unigram)) bits/char on validation")

        Random.seed(seed)
        let model = CharacterModels.make(arch, vocabularySize: tokenizer.vocabularySize, context: recipe.context,
                                         width: recipe.width, layers: recipe.layers, dropout: recipe.dropout)
        say("\(model) — \(model.parameterCount()) parameters")
        say("recipe: \(recipe.steps) steps of \(recipe.batchSize) x \(recipe.context) characters, adamw lr \(recipe.learningRate) "
            + "(warm-up \(recipe.warmup), cosine), weight decay \(recipe.weightDecay), dropout \(recipe.dropout), clip norm 1, seed \(seed)")
        let optimizer = AdamW(model.trainableParameters, learningRate: recipe.learningRate, weightDecay: recipe.weightDecay)
        let schedule = CosineDecay(initial: recipe.learningRate, totalSteps: recipe.steps, warmupSteps: recipe.warmup)
        var generator = RandomGenerator(seed: seed &+ 1)
        let start = Date()
        var recentLoss: [Float] = []
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
            recentLoss.append(loss.scalar / Float(log(2.0)))
            let done = step + 1
            if evalEvery > 0 && done % evalEvery == 0 && done < recipe.steps {
                // A quick look at the first tenth of the validation text; all of it at the end.
                model.eval()
                let bpc = model.bitsPerToken(text: Array(validation.prefix(validation.count / 10)), batchSize: 8)
                model.train()
                let trainBits = recentLoss.reduce(0, +) / Float(recentLoss.count)
                recentLoss.removeAll()
                curve.append(["step": done, "train_bpc": trainBits, "val_bpc_quick": bpc])
                say("step \(done)/\(recipe.steps) — train \(String(format: "%.3f", trainBits)) bits/char, "
                    + "validation (first tenth) \(String(format: "%.3f", bpc)) — \(Int(Date().timeIntervalSince(start)))s")
            }
        }
        let seconds = Date().timeIntervalSince(start)
        model.eval()
        let bpc = model.bitsPerToken(text: validation, batchSize: 64)
        say("validation: \(String(format: "%.3f", bpc)) bits/char (unigram \(String(format: "%.3f", unigram))) after \(Int(seconds))s")

        let outputPath = output ?? "runs/lm-\(arch).safetensors"
        do {
            let directory = (outputPath as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            let vocabulary = String(String.UnicodeScalarView(tokenizer.characters))
            try Checkpoint.save(model, to: outputPath, metadata: [
                "kind": "character-language-model", "arch": arch, "context": String(recipe.context),
                "width": String(recipe.width), "layers": String(recipe.layers),
                "vocabulary": vocabulary, "val_bpc": String(bpc), "steps": String(recipe.steps), "seed": String(seed),
            ])
        } catch {
            fail("could not write checkpoint \(outputPath): \(error)")
        }
        var rng = RandomGenerator(seed: seed)
        let sample = tokenizer.decode(model.sample(prompt: tokenizer.encode("\n"), count: 300, temperature: 0.8, using: &rng))
        say("checkpoint: \(outputPath)\nsample (temperature 0.8):\n\(sample)")
        if json {
            printJSON(["arch": arch, "val_bpc": bpc, "unigram_bpc": unigram, "steps": recipe.steps, "seconds": seconds,
                       "parameters": model.parameterCount(), "checkpoint": outputPath, "curve": curve, "sample": sample])
        }
    }

    /// Cross-entropy (bits) of the validation characters under the training part's character
    /// frequencies (add-one smoothed): the baseline a model must beat.
    func unigramBits(train: [Int], validation: [Int], vocabularySize: Int) -> Float {
        var counts = [Double](repeating: 1, count: vocabularySize)
        for id in train { counts[id] += 1 }
        let total = counts.reduce(0, +)
        return Float(validation.reduce(0.0) { $0 - log2(counts[$1] / total) } / Double(validation.count))
    }
}

struct LanguageModelSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Generate text from a checkpoint written by `lm train`.")

    @Option(help: "A checkpoint written by lm train.") var checkpoint: String
    @Option(help: "Characters to generate.") var length = 500
    @Option(help: "Softmax temperature (0: always the most likely character).") var temperature: Float = 0.8
    @Option(help: "Text to start from.") var prompt = "\n"
    @Option(help: "Seed for sampling.") var seed: UInt64 = 0

    func validate() throws {
        guard length > 0 else { throw ValidationError("--length must be positive, got \(length)") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be at least 0, got \(temperature)") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt must not be empty") }
    }

    func run() throws {
        let metadata: [String: String]
        do { metadata = try SafeTensors.load(checkpoint).metadata } catch { fail("\(error)") }
        guard metadata["kind"] == "character-language-model", let arch = metadata["arch"], CharacterModels.names.contains(arch),
              let context = metadata["context"].flatMap(Int.init), let vocabulary = metadata["vocabulary"],
              let width = metadata["width"].flatMap(Int.init), let layers = metadata["layers"].flatMap(Int.init)
        else { fail("\(checkpoint): not a checkpoint written by `deeplearn lm train`") }
        let tokenizer = CharacterTokenizer(characters: Array(vocabulary.unicodeScalars))
        if let unknown = prompt.unicodeScalars.first(where: { !tokenizer.characters.contains($0) }) {
            fail("the prompt's character \(unknown.escaped(asASCII: true)) is not in the model's vocabulary")
        }
        let model = CharacterModels.make(arch, vocabularySize: tokenizer.vocabularySize, context: context, width: width, layers: layers)
        do { try Checkpoint.load(checkpoint, into: model) } catch { fail("\(error)") }
        var rng = RandomGenerator(seed: seed)
        print(tokenizer.decode(model.sample(prompt: tokenizer.encode(prompt), count: length, temperature: temperature, using: &rng)))
    }
}
