// PyTorch style: a manual loop over a DataLoader, zeroGrad / backward / step, evaluation without gradients.
// Run: swift run pytorch-style-example [epochs]
import DeepLearning

let epochs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 2
Random.seed(0)
let data = try FashionMNIST.load()
let net = Sequential { Linear(784, 256); ReLU(); Linear(256, 10) }
let optimizer = Adam(net.trainableParameters, learningRate: 1e-3)
for epoch in 1...epochs {
    var total: Float = 0, batches = 0
    for (x, y) in DataLoader(data.trainImages, data.trainLabels, batchSize: 128, shuffle: true, seed: UInt64(epoch)) {
        let loss = crossEntropy(logits: net(x), labels: y)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        total += loss.scalar
        batches += 1
    }
    let predictions = withoutGradients { net(data.testImages).argmax(along: 1) }
    let accuracy = (predictions.converted(to: .float32) .== data.testLabels.converted(to: .float32)).mean().scalar
    print("epoch \(epoch): training loss \(total / Float(batches)), test accuracy \(accuracy)")
}
print(net)
