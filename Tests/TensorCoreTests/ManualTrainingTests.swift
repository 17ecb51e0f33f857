import Foundation
import Testing
import TensorCore

/// A multi-layer perceptron written directly against the tape: the manual loop of issue #2.
struct TinyMLP {
    var parameters: [Tensor] = []

    init(sizes: [Int], using rng: inout RandomGenerator) {
        for (fanIn, fanOut) in zip(sizes, sizes.dropFirst()) {
            // He initialization for the ReLU layers.
            var w = Tensor.normal([fanIn, fanOut], std: (2 / Float(fanIn)).squareRoot(), using: &rng)
            var b = Tensor.zeros([fanOut])
            w.requiresGrad = true
            b.requiresGrad = true
            parameters += [w, b]
        }
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for layer in stride(from: 0, to: parameters.count, by: 2) {
            h = matmul(h, parameters[layer]) + parameters[layer + 1]
            if layer + 2 < parameters.count { h = relu(h) }
        }
        return h
    }

    /// One step of plain gradient descent on the mean cross-entropy; returns the loss.
    mutating func step(_ x: Tensor, _ labels: Tensor, learningRate: Float) -> Float {
        let logProbabilities = logSoftmax(self(x), along: 1)
        let loss = -logProbabilities.gathering(along: 1, indices: labels.unsqueezed(at: 1)).mean()
        loss.backward()
        withoutGradients {
            for i in parameters.indices {
                parameters[i] -= learningRate * parameters[i].grad!
                parameters[i].grad = nil
            }
        }
        return loss.scalar
    }

    func accuracy(_ x: Tensor, _ labels: Tensor) -> Float {
        withoutGradients { (self(x).argmax(along: 1) .== labels).mean().scalar }
    }
}

/// Three interleaved spiral arms (the CS231n toy set): not linearly separable.
func spiral(pointsPerClass n: Int, classes: Int, using rng: inout RandomGenerator) -> (Tensor, Tensor) {
    var points: [Float] = [], labels: [Int] = []
    let noise = Tensor.normal([n * classes], std: 0.2, using: &rng).scalars
    for c in 0..<classes {
        for i in 0..<n {
            let r = Float(i) / Float(n - 1)
            let t = Float(c) * 4 + 4 * Float(i) / Float(n - 1) + noise[c * n + i]
            points += [r * Foundation.sin(t), r * Foundation.cos(t)]
            labels.append(c)
        }
    }
    return (Tensor(points, shape: [n * classes, 2]), Tensor(integers: labels))
}

@Suite struct ManualTrainingTests {
    @Test func mlpLearnsXOR() {
        var rng = RandomGenerator(seed: 0)
        var model = TinyMLP(sizes: [2, 16, 2], using: &rng)
        let x = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
        let y = Tensor(integers: [0, 1, 1, 0])
        var loss: Float = .infinity
        for _ in 0..<500 { loss = model.step(x, y, learningRate: 0.5) }
        #expect(model.accuracy(x, y) == 1)
        #expect(loss < 0.05)
    }

    @Test func mlpLearnsASpiral() {
        var rng = RandomGenerator(seed: 0)
        let (x, y) = spiral(pointsPerClass: 100, classes: 3, using: &rng)
        var model = TinyMLP(sizes: [2, 64, 64, 3], using: &rng)
        let before = model.accuracy(x, y)
        for _ in 0..<1500 { _ = model.step(x, y, learningRate: 0.5) }
        let after = model.accuracy(x, y)
        #expect(before < 0.6)
        #expect(after >= 0.95, "training accuracy \(after)")
    }
}
