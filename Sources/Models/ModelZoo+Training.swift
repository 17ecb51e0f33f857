import Datasets
import Foundation
import Interop
import Layers
import Optimizers
import TensorCore
import Training

extension ModelZoo {
    /// What `train` produced.
    public struct TrainingResult {
        public let network: any Layer
        public let optimizer: any Optimizer
        /// Accuracy and loss on the test set, from `testMetrics`.
        public let testAccuracy: Float, testLoss: Float
        /// Each epoch's wall-clock time, including its pass over the test set.
        public let epochSeconds: [Double]
    }

    /// Trains zoo model `name` on Fashion-MNIST with `recipe` and evaluates it on the test set
    /// (logged each epoch as `val_`, never used to choose anything); writes a checkpoint (weights,
    /// architecture, optimizer state) to `checkpoint` when given.
    ///
    /// The same `seed` gives the same weights bit for bit: it seeds initialization, shuffling,
    /// dropout and augmentation. `progress` receives the summary and recipe lines; `Model.fit`'s
    /// progress bar is shown unless `showProgressBar` is false.
    public static func train(
        _ name: String, recipe: Recipe, batchSize: Int = 128, data: FashionMNIST, seed: UInt64 = 0,
        checkpoint: String? = nil, showProgressBar: Bool = true, progress: (String) -> Void = { _ in }
    ) throws -> TrainingResult {
        Random.seed(seed)
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
        var callbacks: [any Callback] = [TerminateOnNaN()]
        if recipe.schedule == "cosine" {
            callbacks.append(LearningRateScheduler(CosineDecay(initial: recipe.learningRate, totalSteps: recipe.epochs)))
        }
        var epochSeconds: [Double] = []
        callbacks.append(EpochTimer { epochSeconds.append($0) })
        let training = TensorDataset(data.trainImages, data.trainLabels)
        trainer.fit(recipe.augment
                        ? AugmentedDataset(training, imageShape: (1, 28, 28), augmentations: augmentations, seed: seed)
                        : training,
                    epochs: recipe.epochs, batchSize: batchSize,
                    validationData: (data.testImages, data.testLabels), callbacks: callbacks, seed: seed)

        let result = testMetrics(network, data)
        let accuracy = result["accuracy"]!
        if let checkpoint {
            try Checkpoint.save(network, to: checkpoint, optimizer: optimizer, metadata: [
                "model": name, "test_accuracy": String(accuracy), "epochs": String(recipe.epochs), "seed": String(seed),
            ], createDirectories: true)
        }
        return TrainingResult(network: network, optimizer: optimizer, testAccuracy: accuracy, testLoss: result["loss"]!,
                              epochSeconds: epochSeconds)
    }

    /// Loss and accuracy on the test set, in batches of 500: what `train` reports and what
    /// `deeplearn evaluate` reproduces from a checkpoint.
    public static func testMetrics(_ network: any Layer, _ data: FashionMNIST) -> [String: Float] {
        let model = Model(network)
        model.compile(optimizer: SGD([], learningRate: 0), loss: .crossEntropy(), metrics: [Accuracy()])
        return model.evaluate(data.testImages, data.testLabels, batchSize: 500)
    }

    /// The network a `train` checkpoint holds: rebuilt from its architecture metadata, or, for a
    /// checkpoint without one, from the zoo model its `model` metadata names.
    public static func loadCheckpoint(_ path: String) throws -> (network: any Layer, metadata: [String: String]) {
        do {
            let (network, metadata) = try Checkpoint.loadModel(path)
            return (network, metadata)
        } catch {
            guard let metadata = try? SafeTensors.load(path).metadata, let name = metadata["model"], names.contains(name)
            else { throw error }
            let network = try make(name)
            try Checkpoint.load(path, into: network)
            return (network, metadata)
        }
    }
}

extension ModelZoo {
    /// A file of images the zoo models cannot take.
    public struct InputError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Images to classify: an IDX image file (optionally gzip), or a CSV file (by its name) with
    /// one image per row of 784 pixel values in 0...255, scaled to 0...1.
    ///
    /// Shape: `[N, 784]`.
    public static func readImages(_ path: String, hasHeader: Bool = false) throws -> Tensor {
        let images = path.lowercased().contains(".csv")
            ? try CSV.readMatrix(path, hasHeader: hasHeader).values / 255
            : try IDX.readImages(path)
        guard images.rank == 2, images.shape[1] == 784 else {
            throw InputError(description: "\(path): expected 784 values per image, found \(images.shape[images.rank - 1])")
        }
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
