// The classic Keras introduction, line for line: Dense layers with their activations (the input
// width given once, the rest inferred), a softmax output, categorical cross-entropy on its
// probabilities, SGD with Nesterov momentum, one-hot labels.
//
//     model = Sequential([Dense(64, activation='relu', input_shape=(784,)), Dense(10, activation='softmax')])
//     model.compile(optimizer=SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
//                   loss='categorical_crossentropy', metrics=['accuracy'])
//     model.fit(x_train, to_categorical(y_train), epochs=5, batch_size=32)
//
// Run: swift run keras-classic-example [epochs]
import DeepLearning

let epochs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 5
Random.seed(0)
let data = try FashionMNIST.load()        // the installed set, or the sample bundled with the package
let model = Model(Sequential {
    Dense(64, activation: .relu, inputShape: [784])
    Dense(10, activation: .softmax)
})
model.compile(optimizer: SGD(model.network.trainableParameters, learningRate: 0.01, momentum: 0.9, nesterov: true),
              loss: .categoricalCrossEntropy(), metrics: [Accuracy()])
model.fit(data.trainImages, data.trainLabels.oneHot(classCount: 10), epochs: epochs, batchSize: 32)
let scores = model.evaluate(data.testImages, data.testLabels.oneHot(classCount: 10))
print("test accuracy \(scores["accuracy"]!) (loss \(scores["loss"]!))")
