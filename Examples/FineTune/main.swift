// Transfer learning, as in PyTorch's fine-tuning tutorial: a CNN learns Fashion-MNIST's classes
// 0-4 (T-shirt, trouser, pullover, dress, coat) from all their training images, with augmentation
// and label smoothing; its backbone is loaded under a new head for classes 5-9 (sandal, shirt,
// sneaker, bag, ankle boot) with `loadStateDictionary(strict: false)` (the convolutions only;
// KEEP_HIDDEN=1 keeps the hidden dense layer too), the new layers are trained with the backbone
// frozen, then all of it with the backbone's learning rate a tenth of the head's, on 50 images per class.
// The same network trained from scratch on those 250 images, with the same recipe and number of
// epochs, is the comparison.
//
// Run: swift run -c release fine-tune-example [source-epochs] [target-epochs]
// Settings (environment): MODEL (cnn, cnn-bn, resnet), DROPOUT, WEIGHT_DECAY; SOURCE_AUGMENT
// (0/1), SOURCE_SMOOTHING; TARGET_AUGMENT (0 none, 1 flip and crop, 2 crop, 3 crop and rotation,
// for both target runs), FREEZE_EPOCHS, BACKBONE_LR_SCALE; SEED shifts every seed;
// REUSE_SOURCE=1 reuses the source network saved by an earlier run with the same source settings.
import DeepLearning
import Foundation

let arguments = CommandLine.arguments.dropFirst().compactMap(Int.init)
let environment = ProcessInfo.processInfo.environment
func setting<T: LosslessStringConvertible>(_ name: String, _ fallback: T) -> T { environment[name].flatMap(T.init) ?? fallback }

let modelName = setting("MODEL", "cnn")
let sourceEpochs = arguments.first ?? 10, targetEpochs = arguments.dropFirst().first ?? 30
let freezeEpochs = min(setting("FREEZE_EPOCHS", targetEpochs / 2), targetEpochs)
let backboneScale: Float = setting("BACKBONE_LR_SCALE", 0.1)
let sourceAugment = setting("SOURCE_AUGMENT", 1) != 0, sourceSmoothing: Float = setting("SOURCE_SMOOTHING", 0.1)
let targetAugment = setting("TARGET_AUGMENT", 0)
let dropout: Float = setting("DROPOUT", 0.3), weightDecay: Float = setting("WEIGHT_DECAY", 0.01)
let keepHidden = setting("KEEP_HIDDEN", 0) != 0
let seed: UInt64 = setting("SEED", 0)
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

/// The zoo's network with a 5-class head: the backbone is every layer but the last.
func network(seed: UInt64) throws -> Sequential {
    let zoo = try Random.withSeed(seed) { try ModelZoo.make(modelName, dropout: dropout) as! Sequential }
    let layers = zoo.layers.flatMap { ($0 as? Sequential)?.layers ?? [$0] }.dropLast()   // the resnet is nested
    return Sequential(Array(layers) + [Random.withSeed(seed + 1) { Dense(5, inputFeatures: 128) }])
}

func accuracy(_ model: Model, _ x: Tensor, _ y: Tensor) -> Float {
    zip(model.predictClasses(x), y.integers).filter { $0 == $1 }.count.float / Float(y.shape[0])
}
extension Int { var float: Float { Float(self) } }

/// The images, augmented afresh each epoch when `augment` > 0 (see the settings above).
func trainingSet(_ x: Tensor, _ y: Tensor, augment: Int, seed: UInt64) -> any Dataset {
    let plain = TensorDataset(x, y)
    let augmentations: [Augmentation] = switch augment {
    case 1: ModelZoo.augmentations
    case 2: [.randomCrop(padding: 2)]
    case 3: [.randomCrop(padding: 2), .rotation(degrees: 10)]
    default: []
    }
    return augmentations.isEmpty ? plain : AugmentedDataset(plain, imageShape: (1, 28, 28), augmentations: augmentations, seed: seed)
}

// 1. The source task: classes 0-4, every training image; AdamW with a cosine decay over the epochs.
let (sourceX, sourceY) = subset(data.trainImages, data.trainLabels, classes: 0..<5)
let (sourceTestX, sourceTestY) = subset(data.testImages, data.testLabels, classes: 0..<5)
let source = Model(try network(seed: seed + 1))
let tag = "\(modelName)-e\(sourceEpochs)-a\(sourceAugment)-s\(sourceSmoothing)-d\(dropout)-seed\(seed)-n\(sourceY.shape[0])"
let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("fine-tune-source-\(tag).safetensors").path
if environment["REUSE_SOURCE"] != nil, FileManager.default.fileExists(atPath: checkpoint) {
    try Checkpoint.load(checkpoint, into: source.network)
    print("reused \(checkpoint)")
} else {
    source.compile(optimizer: .adamW(weightDecay: weightDecay), loss: .crossEntropy(labelSmoothing: sourceSmoothing), metrics: [Accuracy()])
    let set = trainingSet(sourceX, sourceY, augment: sourceAugment ? 1 : 0, seed: seed + 6)
    let cosine = LearningRateScheduler(CosineDecay(initial: 1e-3, totalSteps: sourceEpochs))
    Random.withSeed(seed + 2) { _ = source.fit(set, epochs: sourceEpochs, batchSize: 128, callbacks: [cosine], seed: seed, verbose: .epochLines) }
    try Checkpoint.save(source.network, to: checkpoint)
}
print(String(format: "source test accuracy (classes 0-4): %.4f", accuracy(source, sourceTestX, sourceTestY)))

// 2. The target task: 50 images of each of classes 5-9; tested on all their test images.
let (fewX, fewY) = subset(data.trainImages, data.trainLabels, classes: 5..<10, perClass: 50)
let (testX, testY) = subset(data.testImages, data.testLabels, classes: 5..<10)
let headIndex = (try network(seed: 0)).count - 1
let optimizer = OptimizerConfiguration.adamW(weightDecay: weightDecay)
let loss = Loss.crossEntropy()

// From the source backbone: the old head is left out, so the new one keeps its fresh weights.
let tuned = try network(seed: seed + 3)
// The first fresh layer: the cnns' hidden Linear(3136 => 128), or the head with KEEP_HIDDEN (and for the resnet).
let hiddenIndex = keepHidden ? headIndex : (tuned.layers.prefix(headIndex).lastIndex { $0 is Linear } ?? headIndex)
let report = try Checkpoint.loadStateDictionary(checkpoint, into: tuned, strict: false) {
    guard let index = Int($0.prefix { $0 != "." }) else { return $0 }
    return index >= hiddenIndex ? nil : $0
}
print("loaded \(report.loaded.count) tensors; missing (fresh): \(report.missing)")
let backbone = Sequential(Array(tuned.layers.prefix(hiddenIndex)))
let fineTuned = Model(tuned)
let fewSet = trainingSet(fewX, fewY, augment: targetAugment, seed: seed + 7)
if freezeEpochs > 0 {
    backbone.setTrainable(false)
    fineTuned.compile(optimizer: optimizer, loss: loss, metrics: [Accuracy()])
    Random.withSeed(seed + 4) { _ = fineTuned.fit(fewSet, epochs: freezeEpochs, batchSize: 32, seed: seed, verbose: .silent) }
    backbone.setTrainable(true)
}
if targetEpochs > freezeEpochs {
    backbone.setLearningRateScale(backboneScale)
    fineTuned.compile(optimizer: optimizer, loss: loss, metrics: [Accuracy()])
    Random.withSeed(seed + 5) {
        _ = fineTuned.fit(fewSet, epochs: targetEpochs - freezeEpochs, batchSize: 32, seed: seed + 1, verbose: .silent)
    }
}

// From scratch: the same network, recipe and number of epochs on the same 250 images.
let scratch = Model(try network(seed: seed + 3))
scratch.compile(optimizer: optimizer, loss: loss, metrics: [Accuracy()])
let scratchSet = trainingSet(fewX, fewY, augment: targetAugment, seed: seed + 7)
Random.withSeed(seed + 4) { _ = scratch.fit(scratchSet, epochs: targetEpochs, batchSize: 32, seed: seed, verbose: .silent) }

let (a, b) = (accuracy(fineTuned, testX, testY), accuracy(scratch, testX, testY))
print(String(format: "classes 5-9 from %d training images, test accuracy on %d: fine-tuned %.4f, from scratch %.4f (%+.1f points)",
             fewY.shape[0], testY.shape[0], a, b, (a - b) * 100))
