// Transfer learning, as in PyTorch's fine-tuning tutorial: a CNN learns Fashion-MNIST's classes
// 0-4 (T-shirt, trouser, pullover, dress, coat) from all their training images; its backbone is
// loaded under a new head for classes 5-9 (sandal, shirt, sneaker, bag, ankle boot) with
// `loadStateDictionary(strict: false)` (the convolutions only; KEEP_HIDDEN=1 keeps the hidden dense
// layer too), the head is trained with the backbone frozen, then all of
// it with the backbone's learning rate a tenth of the head's, on 50 images per class. The same
// network trained from scratch on those 250 images is the comparison.
//
// Run: swift run -c release fine-tune-example [source-epochs] [target-epochs]
import DeepLearning
import Foundation

let arguments = CommandLine.arguments.dropFirst().compactMap(Int.init)
let sourceEpochs = arguments.first ?? 3, targetEpochs = arguments.dropFirst().first ?? 30
let data = try FashionMNIST.load()

/// The images and labels (shifted to 0-4) of `classes`, at most `perClass` of each, in file order.
func subset(_ images: Tensor, _ labels: Tensor, classes: Range<Int>, perClass: Int = .max) -> (Tensor, Tensor) {
    var taken = [Int: Int](), rows: [Int] = []
    for (i, c) in labels.integers.enumerated() where classes.contains(c) && taken[c, default: 0] < perClass {
        taken[c, default: 0] += 1
        rows.append(i)
    }
    let index = Tensor(integers: rows)
    return (images.selecting(along: 0, indices: index), Tensor(integers: rows.map { labels.integers[$0] - classes.lowerBound }))
}

/// The zoo's cnn with a 5-class head: the backbone is every layer but the last.
func network(seed: UInt64) throws -> Sequential {
    let layers = try Random.withSeed(seed) { try ModelZoo.make("cnn", dropout: 0.3) as! Sequential }.layers.dropLast()
    return Sequential(Array(layers) + [Random.withSeed(seed + 1) { Dense(5, inputFeatures: 128) }])
}

func accuracy(_ model: Model, _ x: Tensor, _ y: Tensor) -> Float {
    zip(model.predictClasses(x), y.integers).filter { $0 == $1 }.count.float / Float(y.shape[0])
}
extension Int { var float: Float { Float(self) } }

// 1. The source task: classes 0-4, every training image.
let (sourceX, sourceY) = subset(data.trainImages, data.trainLabels, classes: 0..<5)
let source = Model(try network(seed: 1))
source.compile(optimizer: .adamW(), loss: .crossEntropy(), metrics: [Accuracy()])
Random.withSeed(2) { _ = source.fit(sourceX, sourceY, epochs: sourceEpochs, batchSize: 128, verbose: .epochLines) }
let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("fine-tune-source.safetensors").path
try Checkpoint.save(source.network, to: checkpoint)

// 2. The target task: 50 images of each of classes 5-9; tested on all their test images.
let (fewX, fewY) = subset(data.trainImages, data.trainLabels, classes: 5..<10, perClass: 50)
let (testX, testY) = subset(data.testImages, data.testLabels, classes: 5..<10)
let headIndex = (try network(seed: 0)).count - 1

// From the source backbone: the old head is left out, so the new one keeps its fresh weights.
let tuned = try network(seed: 3)
let keepHidden = ProcessInfo.processInfo.environment["KEEP_HIDDEN"] != nil
let hiddenIndex = headIndex - 3   // Linear(3136 => 128), ReLU, Dropout, head
let report = try Checkpoint.loadStateDictionary(checkpoint, into: tuned, strict: false) {
    $0.hasPrefix("\(headIndex).") || (!keepHidden && $0.hasPrefix("\(hiddenIndex).")) ? nil : $0
}
print("loaded \(report.loaded.count) tensors; missing (the new head): \(report.missing)")
let backbone = Sequential(Array(tuned.layers.prefix(keepHidden ? headIndex : hiddenIndex)))
let fineTuned = Model(tuned)
backbone.setTrainable(false)
fineTuned.compile(optimizer: .adamW(), loss: .crossEntropy(), metrics: [Accuracy()])
Random.withSeed(4) { _ = fineTuned.fit(fewX, fewY, epochs: targetEpochs / 2, batchSize: 32, verbose: .silent) }
backbone.setTrainable(true)
backbone.setLearningRateScale(0.1)
fineTuned.compile(optimizer: .adamW(), loss: .crossEntropy(), metrics: [Accuracy()])
Random.withSeed(5) { _ = fineTuned.fit(fewX, fewY, epochs: targetEpochs - targetEpochs / 2, batchSize: 32, verbose: .silent) }

// From scratch: the same network and number of epochs on the same 250 images.
let scratch = Model(try network(seed: 3))
scratch.compile(optimizer: .adamW(), loss: .crossEntropy(), metrics: [Accuracy()])
Random.withSeed(4) { _ = scratch.fit(fewX, fewY, epochs: targetEpochs, batchSize: 32, verbose: .silent) }

let (a, b) = (accuracy(fineTuned, testX, testY), accuracy(scratch, testX, testY))
print(String(format: "classes 5-9 from %d training images, test accuracy on %d: fine-tuned %.4f, from scratch %.4f (%+.1f points)",
             fewY.shape[0], testY.shape[0], a, b, (a - b) * 100))
