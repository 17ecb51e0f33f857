import ArgumentParser
import DeepLearning
import Foundation

/// Exits with a one-line message on stderr and a non-zero status.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("deeplearn: " + message + "\n").utf8))
    exit(1)
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on Fashion-MNIST and report its test accuracy.",
        discussion: """
            Data is read from --data, $DEEPLEARN_DATA, /usr/share/datasets/fashion-mnist \
            (apt-get install dataset-fashion-mnist), or else the 6,000-image sample bundled with the package.
            """)

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "mlp"
    @Option(help: "Passes over the training set.") var epochs = 10
    @Option(help: "Examples per step.") var batchSize = 128
    @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Seed for initialization, shuffling and dropout.") var seed: UInt64 = 0
    @Option(help: "Directory holding the four Fashion-MNIST IDX files (optionally .gz).") var data: String?
    @Flag(help: "Print one JSON object at the end.") var json = false

    func validate() throws {
        guard ModelZoo.names.contains(model) else {
            throw ValidationError("unknown model '\(model)'; choose one of \(ModelZoo.names.joined(separator: ", "))")
        }
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, got \(epochs)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
    }

    func run() throws {
        let dataset: FashionMNIST
        do {
            dataset = try FashionMNIST.load(directory: data)
        } catch {
            fail("\(error)")
        }
        let log: (String) -> Void = json ? { _ in } : { print($0) }
        log("data: \(dataset.directory)\(dataset.isBundledSample ? " (bundled sample)" : "")"
            + " — \(dataset.trainImages.shape[0]) training, \(dataset.testImages.shape[0]) test images")

        Random.seed(seed)
        let net = ModelZoo.make(model)
        log(net.description)
        log("parameters: \(net.parameterCount())")
        let optimizer = Adam(net.trainableParameters, learningRate: learningRate)
        let loader = DataLoader(dataset.trainImages, dataset.trainLabels, batchSize: batchSize, shuffle: true, seed: seed)

        var epochSeconds: [Double] = []
        var testAccuracy: Float = 0
        let clock = ContinuousClock()
        for epoch in 1...epochs {
            net.train()
            var lossSum: Float = 0, correct: Float = 0
            let elapsed = clock.measure {
                for (x, y) in loader {
                    let logits = net(x)
                    let loss = crossEntropy(logits: logits, labels: y)
                    optimizer.zeroGrad()
                    loss.backward()
                    optimizer.step()
                    lossSum += loss.scalar * Float(y.shape[0])
                    correct += withoutGradients { (logits.argmax(along: 1) .== y).sum().scalar }
                }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            epochSeconds.append(seconds)
            testAccuracy = accuracy(net, dataset.testImages, dataset.testLabels)
            let n = Float(loader.exampleCount)
            log(String(format: "epoch %d/%d  loss %.4f  accuracy %.4f  test accuracy %.4f  %.1fs",
                       epoch, epochs, lossSum / n, correct / n, testAccuracy, seconds))
        }
        if json {
            let result: [String: Any] = [
                "model": model, "epochs": epochs, "test_accuracy": testAccuracy, "epoch_seconds": epochSeconds,
                "parameters": net.parameterCount(), "data": dataset.directory,
            ]
            let text = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: text, as: UTF8.self))
        } else {
            log(String(format: "test accuracy: %.4f", testAccuracy))
        }
    }
}

/// The fraction of `images` the model labels correctly, in inference mode and batches of 1,000.
func accuracy(_ model: any Layer, _ images: Tensor, _ labels: Tensor) -> Float {
    model.eval()
    defer { model.train() }
    var correct: Float = 0
    withoutGradients {
        for (x, y) in DataLoader(images, labels, batchSize: 1000) {
            correct += (model(x).argmax(along: 1) .== y).sum().scalar
        }
    }
    return correct / Float(images.shape[0])
}
