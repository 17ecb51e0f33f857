// Keras style: compile, fit with validation and callbacks, evaluate, save, rebuild from the file.
// Run: swift run keras-style-example [epochs]
import DeepLearning
import Foundation

let epochs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 2
Random.seed(0)
let data = try FashionMNIST.load()        // the installed set, or the sample bundled with the package
let model = Model(Sequential {
    Linear(784, 256)
    ReLU()
    Dropout(rate: 0.2)
    Linear(256, 10)
})
model.compile(optimizer: AdamW(model.network.trainableParameters), loss: .crossEntropy(),
              metrics: [Accuracy(), ClassificationScore(.f1, classCount: 10)])
let history = model.fit(data.trainImages, data.trainLabels, epochs: epochs, batchSize: 128, validationSplit: 0.1,
                        callbacks: [EarlyStopping(patience: 2, restoreBestWeights: true)])
print("validation accuracy by epoch:", history["val_accuracy"])
let scores = model.evaluate(data.testImages, data.testLabels)
print("test:", scores.keys.sorted().map { "\($0) \(scores[$0]!)" }.joined(separator: ", "))

let path = FileManager.default.temporaryDirectory.appendingPathComponent("keras-style-mlp.safetensors").path
try Checkpoint.save(model.network, to: path)
let (rebuilt, _) = try Checkpoint.loadModel(path)   // no code needed but the file
print("rebuilt from \(path):", rebuilt)
