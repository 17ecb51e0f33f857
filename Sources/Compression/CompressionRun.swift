import Datasets
import Foundation
import Interop
import Layers
import Models
import Optimizers
import TensorCore
import Training

/// What `deeplearn compress prune|quantize|distill` runs on Fashion-MNIST checkpoints: compress,
/// fine-tune or train, evaluate on the test set, save, and report accuracy and size against the
/// baseline.
public enum CompressionRun {
    /// A setting or file that cannot be used; the message names the flag or file.
    public struct InputError: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// How the weights to remove are chosen.
    public enum Schedule: String, Sendable, CaseIterable {
        /// All at once before fine-tuning.
        case oneShot = "one-shot"
        /// Zhu & Gupta's polynomial schedule over the first two thirds of fine-tuning.
        case gradual
    }

    public struct PruneOptions: Sendable {
        /// Unstructured: the fraction of prunable weights zeroed; structured: the fraction of
        /// units removed from each prunable layer.
        public var sparsity: Float
        public var structured = false
        public var units = StructuredPruning.Units.convolutionChannels
        public var scope = Pruning.Scope.global
        /// Unstructured only; nil: gradual when fine-tuning, one-shot otherwise.
        public var schedule: Schedule?
        public var fineTuneEpochs = 5
        /// nil: twice the checkpoint's recipe's rate (2e-3 without one), with a cosine decay: the
        /// weights left must move to make up for those removed (BENCHMARKS.md lists the settings
        /// measured on the mlp at 90% sparsity: this one did best).
        public var learningRate: Float?
        public var batchSize = 128
        public var seed: UInt64 = 0
        /// Whether the network's dropout layers stay on while fine-tuning. Off by default: the
        /// pruned network has fewer connections to regularize (Han et al., 2015, scale dropout
        /// by the square root of the connections kept: 0.2 becomes 0.06 at 90% sparsity).
        public var fineTuneDropout = false
        public init(sparsity: Float) { self.sparsity = sparsity }

        func validate() throws {
            guard sparsity.isFinite, (0..<1).contains(sparsity) else { throw InputError("--sparsity must be in [0, 1), got \(sparsity)") }
            guard (0...1000).contains(fineTuneEpochs) else { throw InputError("--fine-tune-epochs must be in 0...1000, got \(fineTuneEpochs)") }
            if let learningRate, !(learningRate.isFinite && learningRate > 0) {
                throw InputError("--learning-rate must be a finite number > 0, got \(learningRate)")
            }
            guard (1...60_000).contains(batchSize) else { throw InputError("--batch-size must be in 1...60000, got \(batchSize)") }
            if structured && schedule != nil { throw InputError("--schedule applies to unstructured pruning, not with --structured") }
            if schedule == .gradual && fineTuneEpochs == 0 { throw InputError("--schedule gradual prunes while fine-tuning: give --fine-tune-epochs > 0") }
        }
    }

    /// What a run produced: the report `--json` prints and the network saved.
    public struct Result {
        public var report: [String: Any]
        public let network: any Layer
    }

    /// Prunes the network in `checkpoint`, fine-tunes it on `data`, evaluates it and saves it to
    /// `output` (in sparse storage after unstructured pruning; the smaller dense network after
    /// structured pruning).
    public static func prune(checkpoint: String, options: PruneOptions, data: FashionMNIST, output: String,
                             progress: (String) -> Void = { _ in }) throws -> Result {
        try options.validate()
        let (original, metadata) = try ModelZoo.loadCheckpoint(checkpoint)
        let baseline = ModelZoo.testMetrics(original, data)["accuracy"]!
        let recipe = try savedRecipe(metadata, path: checkpoint)
        var network = original
        var report: [String: Any] = ["baseline_accuracy": baseline, "baseline_size_bytes": try fileSize(checkpoint),
                                     "baseline_parameters": original.parameterCount()]
        var callbacks: [any Callback] = []
        if options.structured {
            let (smaller, removed) = try StructuredPruning.prune(original, fraction: options.sparsity, units: options.units)
            network = smaller
            report["removed_units"] = removed.map { ["layer": $0.layer, "before": $0.before, "after": $0.after] }
            progress("removed units: " + removed.map { "layer \($0.layer) \($0.before) -> \($0.after)" }.joined(separator: ", "))
        } else {
            let steps = options.fineTuneEpochs * ((data.trainImages.shape[0] + options.batchSize - 1) / options.batchSize)
            let schedule = options.schedule ?? (options.fineTuneEpochs > 0 ? .gradual : .oneShot)
            if schedule == .gradual {
                let end = Swift.max(1, steps * 2 / 3)
                callbacks.append(PruningCallback(network: network, schedule: PolynomialSparsitySchedule(final: options.sparsity, end: end),
                                                 scope: options.scope, frequency: Swift.max(1, Swift.min(100, end / 10))))
            } else {
                callbacks.append(PruningCallback(Pruning.magnitudeMasks(for: network, sparsity: options.sparsity, scope: options.scope),
                                                 network: network))
            }
            report["schedule"] = schedule.rawValue
            report["pruned_accuracy_before_fine_tuning"] = schedule == .oneShot ? ModelZoo.testMetrics(network, data)["accuracy"]! : nil
        }
        let learningRate = options.learningRate ?? 2 * (recipe?.learningRate ?? 1e-3)
        var seconds: [Double] = []
        if options.fineTuneEpochs > 0 {
            progress("fine-tuning \(options.fineTuneEpochs) epochs, \(recipe?.optimizer ?? "adamw") lr \(learningRate) cosine, batch \(options.batchSize)")
            seconds = try fineTune(network, recipe: recipe, learningRate: learningRate, epochs: options.fineTuneEpochs,
                                   batchSize: options.batchSize, seed: options.seed, dropout: options.fineTuneDropout, data: data,
                                   callbacks: callbacks)
        }
        let accuracy = ModelZoo.testMetrics(network, data)["accuracy"]!
        let sparsity = Pruning.sparsity(of: network)
        var saved = ["compression": options.structured ? "structured-pruning" : "pruning", "test_accuracy": String(accuracy),
                     "baseline_accuracy": String(baseline), "sparsity": String(sparsity)]
        saved["model"] = metadata["model"]
        try Checkpoint.save(network, to: output, metadata: saved, createDirectories: true, sparse: !options.structured)
        report.merge(["test_accuracy": accuracy, "size_bytes": try fileSize(output), "sparsity": sparsity,
                      "parameters": network.parameterCount(), "fine_tune_epochs": options.fineTuneEpochs,
                      "fine_tune_epoch_seconds": seconds, "learning_rate": learningRate, "checkpoint": output]) { $1 }
        return Result(report: report, network: network)
    }

    /// The recipe a `train` checkpoint records, nil for one without.
    static func savedRecipe(_ metadata: [String: String], path: String) throws -> ModelZoo.Recipe? {
        guard let json = metadata["recipe"] else { return nil }
        guard let recipe = try? JSONDecoder().decode(ModelZoo.Recipe.self, from: Data(json.utf8)), (try? recipe.validate()) != nil else {
            throw InputError("\(path): the recipe in the metadata is invalid")
        }
        return recipe
    }

    /// Trains `network` for `epochs` with the recipe's optimizer, weight decay, label smoothing
    /// and augmentation at `learningRate` with a cosine decay, its dropout on only when `dropout`;
    /// returns each epoch's seconds.
    static func fineTune(_ network: any Layer, recipe: ModelZoo.Recipe?, learningRate: Float, epochs: Int, batchSize: Int,
                         seed: UInt64, dropout: Bool, data: FashionMNIST, callbacks extra: [any Callback]) throws -> [Double] {
        try Random.withSeed(seed) {
            defer { network.eval() }
            // The same layers (and parameters) without the dropout layers of its Sequentials.
            func withoutDropout(_ layer: any Layer) -> any Layer {
                guard let s = layer as? Sequential else { return layer }
                return Sequential((0..<s.count).map { s[$0] }.filter { !($0 is Dropout) }.map(withoutDropout))
            }
            let trained = dropout ? network : withoutDropout(network)
            let trainer = Model(trained)
            let optimizer = try ModelZoo.optimizer(recipe?.optimizer ?? "adamw", parameters: trained.trainableParameters,
                                                   learningRate: learningRate, weightDecay: recipe?.weightDecay ?? 1e-4)
            trainer.compile(optimizer: optimizer, loss: .crossEntropy(labelSmoothing: recipe?.labelSmoothing ?? 0), clipNorm: recipe?.clipNorm)
            trainer.progressOutput = nil
            var seconds: [Double] = []
            let callbacks: [any Callback] = [TerminateOnNaN(), LearningRateScheduler(CosineDecay(initial: learningRate, totalSteps: epochs)),
                                             EpochTimer { seconds.append($0) }] + extra
            let training = TensorDataset(data.trainImages, data.trainLabels)
            let dataset: any Dataset = recipe?.augment == true
                ? AugmentedDataset(training, imageShape: (1, 28, 28), augmentations: ModelZoo.augmentations, seed: seed) : training
            trainer.fit(dataset, epochs: epochs, batchSize: batchSize, callbacks: callbacks, seed: seed, verbose: .silent)
            return seconds
        }
    }

    static func fileSize(_ path: String) throws -> Int {
        guard let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int else { throw InputError("\(path): no size") }
        return size
    }
}

extension CompressionRun {
    /// Quantizes the classifier in `checkpoint` (`Quantization.quantize`; static mode calibrates
    /// on the first `calibrationImages` training images), evaluates it and saves it to `output`.
    public static func quantize(checkpoint: String, mode: Quantization.Mode, calibrationImages: Int = 1000, data: FashionMNIST,
                                output: String) throws -> Result {
        guard (1...data.trainImages.shape[0]).contains(calibrationImages) else {
            throw InputError("--calibration-images must be in 1...\(data.trainImages.shape[0]), got \(calibrationImages)")
        }
        let (original, metadata) = try ModelZoo.loadCheckpoint(checkpoint)
        let baseline = ModelZoo.testMetrics(original, data)["accuracy"]!
        let quantized = try Quantization.quantize(original, mode: mode, calibration: data.trainImages[0..<calibrationImages])
        let accuracy = ModelZoo.testMetrics(quantized, data)["accuracy"]!
        var saved = ["compression": "quantization-\(mode.rawValue)", "test_accuracy": String(accuracy), "baseline_accuracy": String(baseline)]
        saved["model"] = metadata["model"]
        try QuantizedCheckpoint.save(quantized, to: output, metadata: saved)
        let report: [String: Any] = [
            "mode": mode.rawValue, "test_accuracy": accuracy, "baseline_accuracy": baseline, "size_bytes": try fileSize(output),
            "baseline_size_bytes": try fileSize(checkpoint), "checkpoint": output,
            "quantized_layers": (0..<quantized.count).filter { quantized[$0] is QuantizedLinear || quantized[$0] is QuantizedConv2D }.count,
            "float_layers_with_weights": (0..<quantized.count).filter { !quantized[$0].parameters.isEmpty }.count,
        ]
        return Result(report: report, network: quantized)
    }
}
