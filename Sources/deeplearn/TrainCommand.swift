import ArgumentParser
import DeepLearning
import Foundation

/// Exits with a one-line message on stderr and a non-zero status.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("deeplearn: " + message + "\n").utf8))
    exit(1)
}

/// Prints `fields` as one JSON object with sorted keys.
func printJSON(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// Loads Fashion-MNIST or exits with the reason.
func loadFashionMNIST(_ directory: String?) -> FashionMNIST {
    do { return try FashionMNIST.load(directory: directory) } catch { fail("\(error)") }
}

/// The network a `train` checkpoint holds: rebuilt from its architecture metadata, or, for a
/// checkpoint without one, from the zoo model it names. Exits with the reason on failure.
func loadCheckpoint(_ path: String) -> (network: any Layer, metadata: [String: String]) {
    do {
        let (network, metadata) = try Checkpoint.loadModel(path)
        return (network, metadata)
    } catch {
        guard let metadata = try? SafeTensors.load(path).metadata, let name = metadata["model"], ModelZoo.names.contains(name)
        else { fail("\(error)") }
        let network = ModelZoo.make(name)
        do { try Checkpoint.load(path, into: network) } catch { fail("\(error)") }
        return (network, metadata)
    }
}

/// Evaluation shared by `train` and `evaluate`, so that both report the same number.
func testMetrics(_ network: any Layer, _ data: FashionMNIST) -> [String: Float] {
    let model = Model(network)
    model.compile(optimizer: SGD([], learningRate: 0), loss: .crossEntropy(), metrics: [Accuracy()])
    return model.evaluate(data.testImages, data.testLabels, batchSize: 500)
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on Fashion-MNIST, report its test accuracy and save a checkpoint.",
        discussion: """
            Data is read from --data, $DEEPLEARN_DATA, /usr/share/datasets/fashion-mnist \
            (apt-get install dataset-fashion-mnist), or else the 6,000-image sample bundled with the package. \
            Unset options take the model's recipe: for mlp, 20 epochs of AdamW (lr 1e-3, weight decay 1e-4) \
            with a cosine decay, batch 128, dropout 0.2. The test set is evaluated after each epoch (val_ logs) \
            but never used to choose anything.
            """)

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "mlp"
    @Option(help: "Passes over the training set.") var epochs: Int?
    @Option(help: "Examples per step.") var batchSize = 128
    @Option(help: "Optimizer: \(ModelZoo.optimizerNames.joined(separator: ", ")).") var optimizer: String?
    @Option(help: "Initial learning rate.") var learningRate: Float?
    @Option(help: "Weight decay (decoupled for adamw, L2 otherwise).") var weightDecay: Float?
    @Option(help: "Learning-rate schedule over epochs: cosine or constant.") var schedule: String?
    @Option(help: "Dropout rate after hidden layers (0 for none).") var dropout: Float?
    @Option(help: "Label smoothing for the cross-entropy.") var labelSmoothing: Float?
    @Flag(inversion: .prefixedNo, help: "Augment training images (horizontal flip, random crop with padding 2).") var augment: Bool?
    @Option(help: "Seed for initialization, shuffling and dropout.") var seed: UInt64 = 0
    @Option(help: "Directory holding the four Fashion-MNIST IDX files (optionally .gz).") var data: String?
    @Option(help: "Where to write the checkpoint (safetensors).") var output: String?
    @Flag(help: "Print one JSON object at the end instead of progress.") var json = false

    func validate() throws {
        guard ModelZoo.names.contains(model) else {
            throw ValidationError("unknown model '\(model)'; choose one of \(ModelZoo.names.joined(separator: ", "))")
        }
        if let optimizer, !ModelZoo.optimizerNames.contains(optimizer) {
            throw ValidationError("unknown optimizer '\(optimizer)'; choose one of \(ModelZoo.optimizerNames.joined(separator: ", "))")
        }
        if let schedule, !["cosine", "constant"].contains(schedule) {
            throw ValidationError("unknown schedule '\(schedule)'; choose cosine or constant")
        }
        if let epochs, epochs <= 0 { throw ValidationError("--epochs must be positive, got \(epochs)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        if let learningRate, learningRate <= 0 { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
        if let dropout, !(0..<1).contains(dropout) { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
    }

    func run() throws {
        var recipe = ModelZoo.recipe(for: model)
        recipe.epochs = epochs ?? recipe.epochs
        recipe.optimizer = optimizer ?? recipe.optimizer
        recipe.learningRate = learningRate ?? recipe.learningRate
        recipe.weightDecay = weightDecay ?? recipe.weightDecay
        recipe.schedule = schedule ?? recipe.schedule
        recipe.dropout = dropout ?? recipe.dropout
        recipe.labelSmoothing = labelSmoothing ?? recipe.labelSmoothing
        recipe.augment = augment ?? recipe.augment
        let outputPath = output ?? "runs/\(model).safetensors"

        let dataset = loadFashionMNIST(data)
        let say: (String) -> Void = json ? { _ in } : { print($0) }
        say("data: \(dataset.directory)\(dataset.isBundledSample ? " (bundled sample)" : "")"
            + " — \(dataset.trainImages.shape[0]) training, \(dataset.testImages.shape[0]) test images")

        Random.seed(seed)
        let network = ModelZoo.make(model, dropout: recipe.dropout)
        say(network.summary(inputShape: [784]))
        say("recipe: \(recipe.epochs) epochs, \(recipe.optimizer) lr \(recipe.learningRate), weight decay \(recipe.weightDecay), "
            + "\(recipe.schedule) schedule, batch \(batchSize), dropout \(recipe.dropout), label smoothing \(recipe.labelSmoothing), "
            + "augmentation \(recipe.augment ? "on" : "off")\(recipe.clipNorm.map { ", gradient norm clipped to \($0)" } ?? ""), seed \(seed)")

        let trainer = Model(network)
        let opt = ModelZoo.optimizer(recipe.optimizer, parameters: network.trainableParameters,
                                     learningRate: recipe.learningRate, weightDecay: recipe.weightDecay)
        trainer.compile(optimizer: opt, loss: .crossEntropy(labelSmoothing: recipe.labelSmoothing), metrics: [Accuracy()],
                        clipNorm: recipe.clipNorm)
        if json { trainer.progressOutput = nil }
        var callbacks: [any Callback] = [TerminateOnNaN()]
        if recipe.schedule == "cosine" {
            callbacks.append(LearningRateScheduler(CosineDecay(initial: recipe.learningRate, totalSteps: recipe.epochs)))
        }
        var epochSeconds: [Double] = []
        let timer = EpochTimer { epochSeconds.append($0) }
        callbacks.append(timer)
        let training = TensorDataset(dataset.trainImages, dataset.trainLabels)
        trainer.fit(recipe.augment
                        ? AugmentedDataset(training, imageShape: (1, 28, 28), augmentations: ModelZoo.augmentations, seed: seed)
                        : training,
                    epochs: recipe.epochs, batchSize: batchSize,
                    validationData: (dataset.testImages, dataset.testLabels), callbacks: callbacks, seed: seed)

        let result = testMetrics(network, dataset)
        let accuracy = result["accuracy"]!
        do {
            let directory = (outputPath as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            try Checkpoint.save(network, to: outputPath, optimizer: opt, metadata: [
                "model": model, "test_accuracy": String(accuracy), "epochs": String(recipe.epochs), "seed": String(seed),
            ])
        } catch {
            fail("could not write checkpoint \(outputPath): \(error)")
        }
        if json {
            printJSON(["model": model, "test_accuracy": accuracy, "test_loss": result["loss"]!, "epoch_seconds": epochSeconds,
                       "parameters": network.parameterCount(), "checkpoint": outputPath, "data": dataset.directory])
        } else {
            say(String(format: "test accuracy: %.4f (loss %.4f)", accuracy, result["loss"]!))
            say("checkpoint: \(outputPath)")
        }
    }
}

/// Reports each epoch's wall-clock time, including its validation pass (a small share).
final class EpochTimer: Callback {
    private let report: (Double) -> Void
    private var start = ContinuousClock.now
    init(_ report: @escaping (Double) -> Void) { self.report = report }
    func onEpochBegin(_ epoch: Int, model: Model) { start = .now }
    func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {
        let d = ContinuousClock.now - start
        report(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate a checkpoint on the Fashion-MNIST test set.")

    @Option(help: "A checkpoint written by train.") var checkpoint: String
    @Option(help: "Directory holding the Fashion-MNIST files.") var data: String?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let (network, metadata) = loadCheckpoint(checkpoint)
        let result = testMetrics(network, loadFashionMNIST(data))
        if json {
            printJSON(["test_accuracy": result["accuracy"]!, "test_loss": result["loss"]!,
                       "parameters": network.parameterCount(), "model": metadata["model"] ?? "unknown"])
        } else {
            print(String(format: "test accuracy: %.4f (loss %.4f), %d parameters", result["accuracy"]!, result["loss"]!,
                         network.parameterCount()))
        }
    }
}

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify images with a checkpoint.",
        discussion: "Input: an IDX image file (optionally .gz), or a CSV file with one image per row of 784 pixel values in 0...255.")

    @Option(help: "A checkpoint written by train.") var checkpoint: String
    @Option(help: "Images: IDX (…-ubyte[.gz]) or CSV.") var input: String
    @Flag(help: "The CSV file has a header line.") var hasHeader = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let network = loadCheckpoint(checkpoint).network
        let images: Tensor
        do {
            images = input.lowercased().contains(".csv")
                ? try CSV.readMatrix(input, hasHeader: hasHeader).values / 255
                : try IDX.readImages(input)
        } catch {
            fail("\(error)")
        }
        guard images.rank == 2, images.shape[1] == 784 else {
            fail("\(input): expected 784 values per image, found \(images.shape[1])")
        }
        let model = Model(network)
        let probabilities = softmax(model.predict(images), along: 1)
        let classes = probabilities.argmax(along: 1).integers
        let confidence = probabilities.max(along: 1).scalars
        if json {
            printJSON(["predictions": classes, "classes": classes.map { FashionMNIST.classNames[$0] },
                       "probabilities": confidence])
        } else {
            for (i, (c, p)) in zip(classes, confidence).enumerated() {
                print(String(format: "%d\t%d\t%@\t%.3f", i, c, FashionMNIST.classNames[c], p))
            }
        }
    }
}

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Print a model's layers, output shapes and parameter counts.")

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "mlp"

    func validate() throws {
        guard ModelZoo.names.contains(model) else {
            throw ValidationError("unknown model '\(model)'; choose one of \(ModelZoo.names.joined(separator: ", "))")
        }
    }

    func run() {
        let recipe = ModelZoo.recipe(for: model)
        print(ModelZoo.make(model, dropout: recipe.dropout).summary(inputShape: [784]))
    }
}
