import ArgumentParser
import DeepLearning
import Foundation

struct LanguageModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Character-level language models on the bundled Shakespeare text (or your own).",
        subcommands: [LanguageModelTrain.self, LanguageModelSample.self])
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
    @Option(parsing: .unconditional, help: "Optimizer steps.") var steps: Int?
    @Option(parsing: .unconditional, help: "Characters per window.") var context: Int?
    @Option(parsing: .unconditional, help: "The LSTM's hidden size or the transformer's model dimension (a multiple of 32).") var width: Int?
    @Option(parsing: .unconditional, help: "LSTM layers or transformer blocks.") var layers: Int?
    @Option(parsing: .unconditional, help: "Measure validation every this many steps (0: only at the end).") var evalEvery = 250
    @OptionGroup var options: TrainingOptions

    func validate() throws {
        guard CharacterModels.names.contains(arch) else { throw ValidationError("unknown architecture '\(arch)'; choose lstm or transformer") }
        for (name, value) in [("--steps", steps), ("--context", context), ("--width", width), ("--layers", layers)] {
            if let value, value <= 0 { throw ValidationError("\(name) must be positive, got \(value)") }
        }
        if arch == "transformer", let width, width % 32 != 0 { throw ValidationError("--width must be a multiple of 32 for the transformer, got \(width)") }
        guard evalEvery >= 0 else { throw ValidationError("--eval-every must be at least 0, got \(evalEvery)") }
    }

    func run() throws {
        var recipe = CharacterModels.recipe(arch)
        recipe.steps = steps ?? recipe.steps
        recipe.batchSize = options.batchSize ?? recipe.batchSize
        recipe.context = context ?? recipe.context
        recipe.learningRate = options.learningRate ?? recipe.learningRate
        recipe.width = width ?? recipe.width
        recipe.layers = layers ?? recipe.layers
        recipe.dropout = options.dropout ?? recipe.dropout
        recipe.weightDecay = options.weightDecay ?? recipe.weightDecay
        let corpus = orFail { try text.map(TextCorpus.load) ?? TextCorpus.shakespeare() }
        let say = options.say
        say("text: \(text ?? "bundled Shakespeare")")
        let result = orFail {
            try CharacterModels.train(arch, corpus: corpus, recipe: recipe, seed: options.seed, evalEvery: evalEvery, progress: say)
        }
        let outputPath = options.output ?? "runs/lm-\(arch).safetensors"
        orFail {
            try CharacterModels.save(result.model, arch: arch, recipe: recipe, tokenizer: result.tokenizer, to: outputPath,
                                     metadata: ["val_bpc": String(result.validationBits), "steps": String(recipe.steps),
                                                "seed": String(options.seed)])
        }
        var rng = RandomGenerator(seed: options.seed)
        let sample = result.tokenizer.decode(
            result.model.sample(prompt: result.tokenizer.encode("\n"), count: 300, temperature: 0.8, using: &rng))
        say("checkpoint: \(outputPath)\nsample (temperature 0.8):\n\(sample)")
        if options.json {
            report(["arch": arch, "val_bpc": result.validationBits, "unigram_bpc": result.unigramBits, "steps": recipe.steps,
                    "seconds": result.seconds, "parameters": result.model.parameterCount(), "checkpoint": outputPath,
                    "curve": result.curve, "sample": sample])
        }
    }
}

struct LanguageModelSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Generate text from a checkpoint written by `lm train`.")

    @Option(help: "A checkpoint written by lm train.") var checkpoint: String
    @Option(parsing: .unconditional, help: "Characters to generate.") var length = 500
    @Option(parsing: .unconditional, help: "Softmax temperature (0: always the most likely character).") var temperature: Float = 0.8
    @Option(help: "Text to start from.") var prompt = "\n"
    @Option(parsing: .unconditional, help: "Seed for sampling.") var seed: UInt64 = 0

    func validate() throws {
        try check(length, in: 1...10_000_000, "--length")
        guard temperature.isFinite, temperature >= 0 else { throw ValidationError("--temperature must be a finite number >= 0, got \(temperature)") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt must not be empty") }
    }

    func run() throws {
        let (model, tokenizer) = orFail { try CharacterModels.load(checkpoint) }
        if let unknown = prompt.unicodeScalars.first(where: { !tokenizer.characters.contains($0) }) {
            fail("the prompt's character \(unknown.escaped(asASCII: true)) is not in the model's vocabulary")
        }
        var rng = RandomGenerator(seed: seed)
        print(tokenizer.decode(model.sample(prompt: tokenizer.encode(prompt), count: length, temperature: temperature, using: &rng)))
    }
}
