// Your own table, Keras-style: read a CSV with a header, split it keeping each class's share,
// learn the preprocessing on the training rows (categories, the label's class names, the
// scaling inside the network), train, print scikit-learn's classification report, save the
// whole model and load it back to predict by column name. `deeplearn train --csv FILE --label
// COLUMN` does the same in one command.
//
// Run: swift run own-data-example [path/to/table.csv label-column]
import DeepLearning
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let (path, label) = arguments.count == 2 ? (arguments[0], arguments[1]) : (here + "/iris.csv", "species")

let table = try Table.read(path)
let (train, test) = try table.stratifiedSplit(on: label, testFraction: 0.25, seed: 0)
let encoder = try TableEncoder(fitting: train, label: label)            // every other column is a feature
let (x, y) = (try encoder.encodeFeatures(train), try encoder.encodeLabels(train))
let model = Model(Random.withSeed(0) {
    Sequential { Normalization(adaptingTo: x); Dense(64, activation: .relu); Dense(encoder.classNames!.count, activation: .softmax) }
})
model.tableEncoder = encoder
model.compile(optimizer: .adam(learningRate: 0.01), loss: .categoricalCrossEntropy(), metrics: [Accuracy()])
model.fit(x, y, epochs: 100, batchSize: 16, verbose: .silent)
print(model.classificationReport(try encoder.encodeFeatures(test), try encoder.encodeLabels(test)))

let saved = FileManager.default.temporaryDirectory.appendingPathComponent("own-data-example.safetensors").path
try model.save(to: saved)
let loaded = try Model.load(from: saved)                                // compiled, with its encoder and class names
print("test:", try loaded.evaluate(test))
print("first test rows:", try loaded.predictClassNames(test.rows([0, 1, 2])))
