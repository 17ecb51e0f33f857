import Layers
import Optimizers
import TensorCore
import TestSupport
import Testing

/// Keras-style `Dense`: the input width is taken from the first input, the activation is part of
/// the layer, and probability outputs have their own cross-entropy.
@Suite struct DenseTests {
    @Test func buildsOnTheFirstCallAndTheOptimizerMadeBeforeUpdatesIt() {
        let net = Random.withSeed(1) { Sequential { Dense(5, activation: .relu); Dense(3, activation: .softmax) } }
        #expect(net.description.contains("Dense(? => 5, relu)"))
        let optimizer = SGD(net.trainableParameters, learningRate: 0.5)   // before any weights exist
        let x = Tensor.normal([4, 7]), y = Tensor(integers: [0, 1, 2, 1])
        func loss() -> Tensor { crossEntropy(probabilities: net(x), labels: y) }
        let first = Random.withSeed(2) { loss() }
        #expect((net.layers[0] as! Dense).inputFeatures == 7 && (net.layers[1] as! Dense).weight.shape == [3, 5])
        for _ in 0..<20 {
            optimizer.zeroGrad()
            loss().backward()
            optimizer.step()
        }
        #expect(loss().scalar < first.scalar * 0.7)
        // Rows of a softmax output sum to 1.
        let rows = net(x).sum(along: 1).scalars
        #expect(rows.allSatisfy { Swift.abs($0 - 1) < 1e-5 })
    }

    @Test func probabilityCrossEntropyMatchesTheLogitsOneAndIsSafeAtZero() {
        let logits = Tensor([[2, -1, 0.5], [0, 0, 3]]), labels = Tensor(integers: [0, 2])
        let viaProbabilities = crossEntropy(probabilities: softmax(logits), labels: labels).scalar
        let viaLogits = crossEntropy(logits: logits, labels: labels).scalar
        #expect(Swift.abs(viaProbabilities - viaLogits) < 1e-5)
        // A probability of exactly 0 for the true class is clipped (Keras's 1e-7), not -log 0.
        let hard = crossEntropy(probabilities: Tensor([[1, 0]]), targets: Tensor([[0, 1]])).scalar
        #expect(hard.isFinite && Swift.abs(hard - 16.118095) < 1e-3)   // -ln 1e-7
    }

    @Test func aBuiltDenseChecksItsInputAndRoundTrips() throws {
        let dense = Random.withSeed(3) { Dense(4, activation: .tanh, inputShape: [6]) }
        #expect(dense.weight.shape == [4, 6] && dense.bias!.value.scalars == [0, 0, 0, 0])
        #expect(throws: ShapeError.self) { try dense.checkedOutputShape(for: [2, 5]) }
        #expect(try dense.checkedOutputShape(for: [2, 6]) == [2, 4])
        let copy = try dense.copied() as! Dense
        let x = Tensor.normal([2, 6])
        #expect(copy(x).scalars == dense(x).scalars && copy.activation == .tanh)
        #expect(throws: LayerConfigurationError.self) { try LayerRegistry.make(from: ["type": "Dense", "units": 3, "activation": "swish"]) }
    }

    @Test func aWidthMismatchAfterBuildingNamesTheLayer() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let dense = Dense(4, inputFeatures: 6)
            _ = dense(Tensor.zeros([2, 5]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("Dense(4): built for 6 input features, asked for 5"))
    }
}

/// Keras's `activation=` on convolutions: applied to the output, kept in the architecture.
@Suite struct ConvolutionActivationTests {
    @Test func theActivationFollowsTheConvolutionAndRoundTrips() throws {
        let conv = Random.withSeed(4) { Conv2D(2, 3, kernelSize: 3, padding: .same, activation: .relu) }
        let x = Tensor.normal([2, 2, 5, 5])
        let plain = conv2d(x, conv.weight.value, bias: conv.bias?.value, padding: .same)
        #expect(conv(x).scalars == relu(plain).scalars)
        #expect(conv.description.hasSuffix("bias: true, relu)"))
        let copy = try LayerRegistry.make(from: try LayerRegistry.describe(conv)) as! Conv2D
        #expect(copy.activation == .relu)
        // A softmax over the channels of each position.
        let softmaxConv = Conv1D(2, 4, kernelSize: 1, activation: .softmax)
        let sums = softmaxConv(Tensor.normal([3, 2, 6])).sum(along: 1).scalars
        #expect(sums.allSatisfy { Swift.abs($0 - 1) < 1e-5 })
        #expect(try (LayerRegistry.make(from: try LayerRegistry.describe(softmaxConv)) as! Conv1D).activation == .softmax)
        // Configurations written before the field existed still load, as linear.
        var described = try LayerRegistry.describe(Conv1D(2, 4, kernelSize: 1))
        #expect(described["activation"] == nil)
        described["activation"] = "swish"
        #expect(throws: LayerConfigurationError.self) { try LayerRegistry.make(from: described) }
    }

    @Test func gradientsPassThroughTheActivation() {
        let conv = Conv2D(1, 2, kernelSize: 2, activation: .tanh)
        let result = gradcheck({ conv($0[0]) }, at: [Tensor.normal([1, 1, 4, 4])])
        #expect(result.passed, "\(result)")
    }
}
