import ArgumentParser
import DeepLearning
import Foundation

struct CompressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compress", abstract: "Make a trained classifier smaller or faster: pruning, int8 quantization and distillation.",
        discussion: "`--json` prints test_accuracy, the uncompressed baseline_accuracy and size_bytes (and sparsity or student_alone_accuracy).",
        subcommands: [PruneCommand.self, QuantizeCommand.self, DistillCommand.self])
}

/// Where compressed models read their data and write their checkpoint.
struct CompressionOutputOptions: ParsableArguments {
    @Option(help: "Write the compressed model here (.safetensors).") var output: String
    @Option(parsing: .unconditional, help: "Examples per step.") var batchSize = 128
    @Option(parsing: .unconditional, help: "Seed of initialization and shuffling.") var seed: UInt64 = 0
    @Option(help: "Directory holding the Fashion-MNIST files (default: as train finds them).") var data: String?
    @Flag(help: "Print one JSON object at the end instead of progress.") var json = false

    func validate() throws {
        guard output.hasSuffix(".safetensors") else { throw ValidationError("--output must name a .safetensors file, got '\(output)'") }
        try check(batchSize, in: 1...60_000, "--batch-size")
    }
}

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Prune a train checkpoint by weight magnitude (or whole channels with --structured), fine-tune it, save it sparse.",
        discussion: """
            Unstructured pruning zeroes the smallest weights of the Linear and Conv2D layers (ranked over all of them, or \
            each layer alone with --scope per-layer), gradually while fine-tuning (Zhu & Gupta's cubic schedule over its \
            first two thirds) or all at once (--schedule one-shot); the checkpoint stores them as a bitmap and the nonzero \
            values. --structured removes the given fraction of each layer's convolution channels (or dense units, with \
            --units), those with the smallest L1 norms, giving a smaller dense model. Fine-tuning uses the checkpoint's \
            recipe (optimizer, weight decay, label smoothing, augmentation, no dropout) at twice its learning rate, with a cosine decay.
            """)

    @Option(help: "A checkpoint written by train.") var checkpoint: String
    @Option(parsing: .unconditional, help: "The fraction of weights to zero (or of units to remove), in [0, 1).") var sparsity: Float
    @Flag(help: "Remove whole channels or units instead of single weights.") var structured = false
    @Option(help: "With --structured: conv (convolution channels), dense (dense units) or all.") var units = "conv"
    @Option(help: "global or per-layer: how weights are ranked.") var scope = "global"
    @Option(help: "gradual or one-shot (default: gradual when fine-tuning).") var schedule: String?
    @Option(parsing: .unconditional, help: "Epochs of fine-tuning after (or while) pruning.") var fineTuneEpochs = 5
    @Option(parsing: .unconditional, help: "Peak learning rate of fine-tuning (default: twice the recipe's).") var learningRate: Float?
    @Flag(help: "Keep the network's dropout on while fine-tuning (off by default: the pruned network has fewer connections).")
    var fineTuneDropout = false
    @OptionGroup var outputOptions: CompressionOutputOptions

    func validate() throws {
        try checkReadable(checkpoint, "--checkpoint")
        guard sparsity.isFinite, (0..<1).contains(sparsity) else { throw ValidationError("--sparsity must be in [0, 1), got \(sparsity)") }
        guard ["conv", "dense", "all"].contains(units) else { throw ValidationError("--units must be conv, dense or all, got '\(units)'") }
        guard Pruning.Scope(rawValue: scope) != nil else { throw ValidationError("--scope must be global or per-layer, got '\(scope)'") }
        if let schedule, CompressionRun.Schedule(rawValue: schedule) == nil {
            throw ValidationError("--schedule must be gradual or one-shot, got '\(schedule)'")
        }
        try check(fineTuneEpochs, in: 0...1000, "--fine-tune-epochs")
        if let learningRate, !(learningRate.isFinite && learningRate > 0) {
            throw ValidationError("--learning-rate must be a finite number > 0, got \(learningRate)")
        }
    }

    func run() {
        var options = CompressionRun.PruneOptions(sparsity: sparsity)
        options.structured = structured
        options.units = ["conv": .convolutionChannels, "dense": .denseUnits, "all": .all][units]!
        options.scope = Pruning.Scope(rawValue: scope)!
        options.schedule = schedule.flatMap(CompressionRun.Schedule.init(rawValue:))
        options.fineTuneEpochs = fineTuneEpochs
        options.learningRate = learningRate
        options.fineTuneDropout = fineTuneDropout
        options.batchSize = outputOptions.batchSize
        options.seed = outputOptions.seed
        let data = loadFashionMNIST(outputOptions.data)
        let json = outputOptions.json
        let result = orFail {
            try CompressionRun.prune(checkpoint: checkpoint, options: options, data: data, output: outputOptions.output) { if !json { print($0) } }
        }
        report(result.report, json: json)
    }
}

struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Train a small student from a trained teacher's softened outputs and the labels (Hinton et al.).",
        discussion: """
            The loss is alpha T² KL(teacher/T ‖ student/T) + (1 - alpha) CE(student, label). Students: \
            \(Distillation.studentNames.joined(separator: ", ")). The student trains with AdamW (weight decay 1e-4) and a \
            cosine decay, batch 128, no augmentation unless --augment; unless --no-student-alone, the same student is also trained from the \
            labels alone with the same recipe, for student_alone_accuracy.
            """)

    @Option(help: "The teacher: a checkpoint written by train.") var teacher: String
    @Option(help: "The student: \(Distillation.studentNames.joined(separator: ", ")).") var student: String
    @Option(parsing: .unconditional, help: "Softening temperature T (default 1, alpha 0.5: the best measured on Fashion-MNIST; BENCHMARKS.md).") var temperature: Float = 1
    @Option(parsing: .unconditional, help: "Weight of the soft (teacher) term, in [0, 1].") var alpha: Float = 0.5
    @Option(parsing: .unconditional, help: "Epochs of training.") var epochs = 20
    @Option(parsing: .unconditional, help: "Peak learning rate.") var learningRate: Float = 1e-3
    @Flag(inversion: .prefixedNo, help: "Also train the student from the labels alone, for comparison.") var studentAlone = true
    @Flag(help: "Flip and crop every batch afresh (both runs); the teacher labels each augmented view.") var augment = false
    @OptionGroup var outputOptions: CompressionOutputOptions

    func validate() throws {
        try checkReadable(teacher, "--teacher")
        guard Distillation.studentNames.contains(student) else {
            throw ValidationError("unknown student '\(student)'; choose one of \(Distillation.studentNames.joined(separator: ", "))")
        }
        do { try Distillation.validate(temperature: temperature, alpha: alpha) } catch { throw ValidationError("\(error)") }
        try check(epochs, in: 1...1000, "--epochs")
        guard learningRate.isFinite, learningRate > 0 else { throw ValidationError("--learning-rate must be a finite number > 0, got \(learningRate)") }
    }

    func run() {
        var options = CompressionRun.DistillOptions(student: student)
        (options.temperature, options.alpha, options.epochs, options.learningRate) = (temperature, alpha, epochs, learningRate)
        (options.batchSize, options.seed, options.studentAlone) = (outputOptions.batchSize, outputOptions.seed, studentAlone)
        options.augment = augment
        let data = loadFashionMNIST(outputOptions.data)
        let json = outputOptions.json
        let result = orFail {
            try CompressionRun.distill(teacher: teacher, options: options, data: data, output: outputOptions.output) { if !json { print($0) } }
        }
        report(result.report, json: json)
    }
}

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Run a train checkpoint's Linear layers in int8 (weights per channel, activations in 7 bits), saved with int8 weights.",
        discussion: """
            static: each quantized layer's input range is fixed from --calibration-images training images (min-max); \
            dynamic: measured on every batch. A ReLU after a Linear runs in its output pass; dropout is removed; \
            other layers (convolutions) stay in float32. Evaluate it with evaluate --checkpoint, time it with bench \
            inference --checkpoint.
            """)

    @Option(help: "A checkpoint written by train.") var checkpoint: String
    @Option(help: "static or dynamic.") var mode = "static"
    @Option(parsing: .unconditional, help: "Training images that calibrate static quantization.") var calibrationImages = 1000
    @Option(help: "Write the quantized model here (.safetensors).") var output: String
    @Option(help: "Directory holding the Fashion-MNIST files (default: as train finds them).") var data: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        try checkReadable(checkpoint, "--checkpoint")
        guard Quantization.Mode(rawValue: mode) != nil else {
            throw ValidationError(mode == "qat" ? "--mode qat (quantization-aware training) is not built yet; use static or dynamic"
                                                : "--mode must be static or dynamic, got '\(mode)'")
        }
        try check(calibrationImages, in: 1...60_000, "--calibration-images")
        guard output.hasSuffix(".safetensors") else { throw ValidationError("--output must name a .safetensors file, got '\(output)'") }
    }

    func run() {
        let data = loadFashionMNIST(data)
        let result = orFail {
            try CompressionRun.quantize(checkpoint: checkpoint, mode: Quantization.Mode(rawValue: mode)!,
                                        calibrationImages: min(calibrationImages, data.trainImages.shape[0]), data: data, output: output)
        }
        report(result.report, json: json)
    }
}
