import Datasets
import Distributed
import Foundation
import Interop
import Layers
import Optimizers
import TensorCore
import Training

extension ModelZoo {
    /// What `train` produced.
    public struct TrainingResult {
        /// The zoo model's name (the saved one, for `resume`).
        public let model: String
        public let network: any Layer
        public let optimizer: any Optimizer
        /// Accuracy and loss on the test set, from `testMetrics`.
        public let testAccuracy: Float, testLoss: Float
        /// Each epoch's wall-clock time, including its pass over the test set.
        public let epochSeconds: [Double]
    }

    /// Trains zoo model `name` on Fashion-MNIST with `recipe` and evaluates it on the test set
    /// (logged each epoch as `val_`, never used to choose anything). With `checkpoint`, writes a
    /// checkpoint (weights, architecture, optimizer state, and what `resume` needs) at the end of
    /// every epoch and once more with the test accuracy at the end.
    ///
    /// The same `seed` gives the same weights bit for bit: it seeds initialization, shuffling,
    /// dropout and augmentation. `progress` receives the summary and recipe lines; `Model.fit`'s
    /// progress bar is shown unless `showProgressBar` is false; `callbacks` run after the built-in ones.
    ///
    /// With a `communicator`, every rank calls this with the same arguments and trains data-parallel
    /// (`Model.distribute(over:)`): `batchSize` is the global batch, rank 0's initial weights are
    /// everyone's, only rank 0 writes the checkpoint. Each rank's dropout and augmentation draw from
    /// generators seeded by (seed, rank, epoch), so a resumed run draws what the first would have.
    public static func train(
        _ name: String, recipe: Recipe, batchSize: Int = 128, data: FashionMNIST, seed: UInt64 = 0,
        checkpoint: String? = nil, showProgressBar: Bool = true, callbacks: [any Callback] = [],
        communicator: (any Communicator)? = nil, progress: (String) -> Void = { _ in }
    ) throws -> TrainingResult {
        try recipe.validate()
        try check(name)
        return try run(name, recipe: recipe, batchSize: batchSize, data: data, seed: seed, checkpoint: checkpoint, resume: nil,
                       showProgressBar: showProgressBar, callbacks: callbacks, communicator: communicator, progress: progress)
    }

    /// Continues the run that wrote `checkpoint` (at the end of one of its epochs) from the next
    /// epoch, with its model, recipe, batch size, seed, optimizer state and random generators, up
    /// to `epochs` in all (the saved recipe's when nil); writes on to `output` (`checkpoint` when
    /// nil). The weights at the end are those the run would have reached had it never stopped.
    public static func resume(
        _ checkpoint: String, epochs: Int? = nil, data: FashionMNIST, output: String? = nil, showProgressBar: Bool = true,
        callbacks: [any Callback] = [], communicator: (any Communicator)? = nil, progress: (String) -> Void = { _ in }
    ) throws -> TrainingResult {
        let state = try ResumeState(checkpoint)
        var recipe = state.recipe
        recipe.epochs = epochs ?? recipe.epochs
        try recipe.validate()
        guard recipe.epochs > state.nextEpoch else {
            throw InputError(description: "\(checkpoint): already trained \(state.nextEpoch) epochs; ask for more with --epochs")
        }
        progress("resuming \(checkpoint) at epoch \(state.nextEpoch + 1) of \(recipe.epochs)")
        return try run(state.model, recipe: recipe, batchSize: state.batchSize, data: data, seed: state.seed,
                       checkpoint: output ?? checkpoint, resume: state, showProgressBar: showProgressBar, callbacks: callbacks,
                       communicator: communicator, progress: progress)
    }

    /// What a `train` checkpoint holds to continue its run.
    struct ResumeState {
        let path: String, model: String, recipe: Recipe, batchSize: Int, seed: UInt64, nextEpoch: Int
        let random: RandomGenerator, augmentation: RandomGenerator?

        init(_ path: String) throws {
            let metadata = try SafeTensors.load(path).metadata
            func field(_ key: String) throws -> String {
                guard let value = metadata[key] else { throw InputError(description: "\(path): cannot resume: no '\(key)' in the metadata") }
                return value
            }
            func bad(_ key: String) -> InputError { InputError(description: "\(path): cannot resume: invalid '\(key)' in the metadata") }
            self.path = path
            model = try field("model")
            guard names.contains(model) else { throw bad("model") }
            guard let recipe = try? JSONDecoder().decode(Recipe.self, from: Data(try field("recipe").utf8)) else { throw bad("recipe") }
            self.recipe = recipe
            guard let batch = Int(try field("batch_size")), (1...1 << 20).contains(batch) else { throw bad("batch_size") }
            guard let seed = UInt64(try field("seed")) else { throw bad("seed") }
            guard let epoch = Int(try field("epoch")), (0..<1_000_000).contains(epoch) else { throw bad("epoch") }
            guard let random = RandomGenerator(stateDescription: try field("random_state")) else { throw bad("random_state") }
            (batchSize, self.seed, nextEpoch, self.random) = (batch, seed, epoch + 1, random)
            if recipe.augment {
                guard let g = RandomGenerator(stateDescription: try field("augmentation_state")) else { throw bad("augmentation_state") }
                augmentation = g
            } else {
                augmentation = nil
            }
        }
    }

    private static func run(
        _ name: String, recipe: Recipe, batchSize: Int, data: FashionMNIST, seed: UInt64, checkpoint: String?,
        resume: ResumeState?, showProgressBar: Bool, callbacks extra: [any Callback], communicator: (any Communicator)?,
        progress: (String) -> Void
    ) throws -> TrainingResult {
        guard (1...data.trainImages.shape[0]).contains(batchSize) else {
            throw InputError(description: "--batch-size \(batchSize) is not in 1...\(data.trainImages.shape[0]) (the training images)")
        }
        if let communicator, batchSize < communicator.size {
            throw InputError(description: "--batch-size \(batchSize) is the global batch: it cannot be shared by \(communicator.size) ranks")
        }
        // A generator of this thread's own: the same weights whatever other threads draw meanwhile.
        return try Random.withSeed(seed) {
            try trainSeeded(name, recipe: recipe, batchSize: batchSize, data: data, seed: seed, checkpoint: checkpoint, resume: resume,
                            showProgressBar: showProgressBar, callbacks: extra, communicator: communicator, progress: progress)
        }
    }

    /// `run` with the thread's generator seeded.
    private static func trainSeeded(
        _ name: String, recipe: Recipe, batchSize: Int, data: FashionMNIST, seed: UInt64, checkpoint: String?,
        resume: ResumeState?, showProgressBar: Bool, callbacks extra: [any Callback], communicator: (any Communicator)?,
        progress: (String) -> Void
    ) throws -> TrainingResult {
        let network = try make(name, dropout: recipe.dropout)
        progress(network.summary(inputShape: [784]))
        progress("recipe: \(recipe.epochs) epochs, \(recipe.optimizer) lr \(recipe.learningRate), weight decay \(recipe.weightDecay), "
            + "\(recipe.schedule) schedule, batch \(batchSize), dropout \(recipe.dropout), label smoothing \(recipe.labelSmoothing), "
            + "augmentation \(recipe.augment ? "on" : "off")\(recipe.clipNorm.map { ", gradient norm clipped to \($0)" } ?? ""), seed \(seed)")

        let trainer = Model(network)
        let optimizer = try self.optimizer(recipe.optimizer, parameters: network.trainableParameters,
                                           learningRate: recipe.learningRate, weightDecay: recipe.weightDecay)
        trainer.compile(optimizer: optimizer, loss: .crossEntropy(labelSmoothing: recipe.labelSmoothing), metrics: [Accuracy()],
                        clipNorm: recipe.clipNorm)
        if !showProgressBar { trainer.progressOutput = nil }
        let training = TensorDataset(data.trainImages, data.trainLabels)
        let augmented = recipe.augment
            ? AugmentedDataset(training, imageShape: (1, 28, 28), augmentations: augmentations, seed: seed) : nil
        if let resume {
            try Checkpoint.load(resume.path, into: network, optimizer: optimizer)
            Random.restore(resume.random)
            if let augmented, let state = resume.augmentation { augmented.randomState = state }
        }
        var callbacks: [any Callback] = [TerminateOnNaN()]
        if let communicator {
            trainer.distribute(over: communicator)   // after loading: rank 0's weights for everyone
            callbacks.append(RankSeeding(seed: seed, rank: communicator.rank, augmented: augmented))
        }

        if recipe.schedule == "cosine" {
            callbacks.append(LearningRateScheduler(CosineDecay(initial: recipe.learningRate, totalSteps: recipe.epochs)))
        }
        var epochSeconds: [Double] = []
        callbacks.append(EpochTimer { epochSeconds.append($0) })
        let recipeJSON = String(decoding: try JSONEncoder().encode(recipe), as: UTF8.self)
        let runMetadata = {
            var m = ["model": name, "recipe": recipeJSON, "epochs": String(recipe.epochs), "seed": String(seed),
                     "batch_size": String(batchSize)]
            if let augmented { m["augmentation_state"] = augmented.randomState.stateDescription }
            return m
        }
        var saver: ModelCheckpoint?
        if let checkpoint {
            let directory = (checkpoint as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            saver = ModelCheckpoint(path: checkpoint, monitor: "", includeOptimizer: true)
            saver!.extraMetadata = runMetadata
            callbacks.append(saver!)
        }
        trainer.fit(augmented ?? training, epochs: recipe.epochs, batchSize: batchSize,
                    validationData: (data.testImages, data.testLabels), callbacks: callbacks + extra, seed: seed,
                    initialEpoch: resume?.nextEpoch ?? 0)
        if let error = saver?.lastError { throw error }

        trainer.distributed?.synchronizeBuffers()
        let result = testMetrics(network, data)
        let accuracy = result["accuracy"]!
        if let checkpoint, trainer.isPrimary, var metadata = saver?.lastMetadata {
            // The last epoch's checkpoint again, with the test accuracy: still resumable for more epochs.
            metadata["test_accuracy"] = String(accuracy)
            try Checkpoint.save(network, to: checkpoint, optimizer: optimizer, metadata: metadata)
        }
        return TrainingResult(model: name, network: network, optimizer: optimizer, testAccuracy: accuracy, testLoss: result["loss"]!,
                              epochSeconds: epochSeconds)
    }

    /// Seeds each rank's dropout and augmentation at the start of every epoch from (seed, rank,
    /// epoch): independent draws on every rank, and a resumed run draws what the first would have.
    private final class RankSeeding: Callback {
        let seed: UInt64, rank: Int, augmented: AugmentedDataset?
        init(seed: UInt64, rank: Int, augmented: AugmentedDataset?) { (self.seed, self.rank, self.augmented) = (seed, rank, augmented) }

        func onEpochBegin(_ epoch: Int, model: Model) {
            // SplitMix-style mixing, so that nearby seeds, ranks and epochs give unrelated streams.
            var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(rank + 1) &+ 0xBF58_476D_1CE4_E5B9 &* UInt64(epoch + 1)
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            Random.restore(RandomGenerator(seed: z))
            augmented?.randomState = RandomGenerator(seed: z ^ 0xA5A5_A5A5_A5A5_A5A5)
        }
    }

    /// Loss and accuracy on the test set, in batches of 500: what `train` reports and what
    /// `deeplearn evaluate` reproduces from a checkpoint.
    public static func testMetrics(_ network: any Layer, _ data: FashionMNIST) -> [String: Float] {
        let model = Model(network)
        model.compile(optimizer: SGD([], learningRate: 0), loss: .crossEntropy(), metrics: [Accuracy()])
        return model.evaluate(data.testImages, data.testLabels, batchSize: 500)
    }

    /// The network a `train` checkpoint holds: rebuilt from its architecture metadata, or, for a
    /// checkpoint without one, from the zoo model its `model` metadata names. The network must
    /// take `[N, 784]` images to 10 class scores, checked layer by layer before it runs.
    public static func loadCheckpoint(_ path: String) throws -> (network: any Layer, metadata: [String: String]) {
        let metadata = try SafeTensors.load(path).metadata
        let network: any Layer
        if metadata["architecture"] != nil {
            network = try Checkpoint.loadModel(path).model
        } else {
            guard let name = metadata["model"], names.contains(name) else {
                throw InputError(description: "\(path): neither an architecture nor a zoo model name in the metadata")
            }
            network = try make(name)
            try Checkpoint.load(path, into: network)
        }
        let output: [Int]
        do { output = try network.checkedOutputShape(for: [1, 784]) } catch {
            throw InputError(description: "\(path): the network cannot classify 784-pixel images: \(error)")
        }
        guard output == [1, FashionMNIST.classCount] else {
            throw InputError(description: "\(path): the network gives \(output.dropFirst()) outputs per image, not \(FashionMNIST.classCount) class scores")
        }
        return (network, metadata)
    }
}

extension ModelZoo {
    /// A file of images the zoo models cannot take.
    public struct InputError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Images to classify: an IDX image file (optionally gzip) of 28x28 images, or a CSV file (by
    /// its name) with one image per row of 784 pixel values in 0...255, scaled to 0...1.
    ///
    /// Shape: `[N, 784]`.
    public static func readImages(_ path: String, hasHeader: Bool = false) throws -> Tensor {
        let images: Tensor
        if path.lowercased().contains(".csv") {
            let values = try CSV.readMatrix(path, hasHeader: hasHeader).values
            guard values.shape[1] == 784 else {
                throw InputError(description: "\(path): expected 784 values per image, found \(values.shape[1])")
            }
            if let bad = values.withUnsafeBufferPointer({ $0.firstIndex { !(0...255).contains($0) } }) {
                let columns = values.shape[1]
                throw InputError(description: "\(path): row \(bad / columns + 1), column \(bad % columns + 1): pixel value "
                    + "\(values.scalars[bad]) is outside 0...255")
            }
            images = values / 255
        } else {
            images = try IDX.readImages(path, size: (28, 28))
        }
        guard images.rank == 2, images.shape[1] == 784 else {
            throw InputError(description: "\(path): expected 784 values per image, found \(images.shape[images.rank - 1])")
        }
        guard images.shape[0] > 0 else { throw InputError(description: "\(path): no images") }
        return images
    }

    /// Each image's most likely class and its softmax probability.
    ///
    /// Shape: `images` `[N, 784]`; N results.
    public static func classify(_ network: any Layer, _ images: Tensor) -> [(label: Int, probability: Float)] {
        let probabilities = softmax(Model(network).predict(images), along: 1)
        return Array(zip(probabilities.argmax(along: 1).integers, probabilities.max(along: 1).scalars))
    }
}
