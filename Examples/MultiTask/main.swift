// A network with two heads, as Keras's multi-output models: Fashion-MNIST's ten classes and a
// coarse group (tops, bottoms, footwear, bags) from one shared trunk, one loss per output, the
// group's loss weighted by half, an accuracy per output in the logs.
//
//     inputs = Input((784,)); h = Dense(256, activation="relu")(inputs)
//     model = Model(inputs, {"class": Dense(10)(h), "group": Dense(4)(h)})
//     model.compile(optimizer="adam", loss={"class": ..., "group": ...}, loss_weights={"group": 0.5},
//                   metrics={"class": ["accuracy"], "group": ["accuracy"]})
//
// Run: swift run multi-task-example [epochs]
import DeepLearning

let epochs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 5
// T-shirt, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.
let groupOfClass = [0, 1, 0, 0, 0, 2, 0, 2, 3, 2]
let groupNames = ["tops", "bottoms", "footwear", "bags"]
func groups(_ labels: Tensor) -> Tensor { Tensor(integers: labels.integers.map { groupOfClass[$0] }) }

let data = try FashionMNIST.load()        // the installed set, or the sample bundled with the package
let model = Model(Random.withSeed(0) {
    Heads(trunk: Sequential { Dense(256, activation: .relu, inputShape: [784]); Dropout(rate: 0.2) },
          heads: [("class", Dense(10)), ("group", Dense(4))])
})
model.compile(optimizer: .adam(), losses: ["class": .crossEntropy(), "group": .crossEntropy()], lossWeights: ["group": 0.5],
              metrics: ["class": [Accuracy()], "group": [Accuracy()]])
let test = (data.testImages, ["class": data.testLabels, "group": groups(data.testLabels)])
Random.withSeed(1) {
    _ = model.fit(data.trainImages, ["class": data.trainLabels, "group": groups(data.trainLabels)], epochs: epochs,
                  batchSize: 128, validationData: test, verbose: .epochLines)
}
let scores = model.evaluate(test.0, test.1)
print(String(format: "test: class accuracy %.4f, group accuracy %.4f", scores["class_accuracy"]!, scores["group_accuracy"]!))
let first = model.predictOutputs(test.0[0..<3])
for (i, (c, g)) in zip(first["class"]!.argmax(along: 1).integers, first["group"]!.argmax(along: 1).integers).enumerated() {
    print("image \(i): \(FashionMNIST.classNames[c]) (\(groupNames[g]))")
}
