import Layers
import TensorCore
import TestSupport
import Testing

/// A user-defined layer, to check that parameters and sub-layers are found by reflection.
final class Block: Layer {
    let encoder = Sequential { Linear(4, 3); ReLU() }
    let head = Linear(3, 2, bias: false)
    let scale = Parameter(Tensor([1]))
    let extra: [any Layer] = [Linear(2, 2)]
    func callAsFunction(_ x: Tensor) -> Tensor { extra[0](head(encoder(x))) * scale.value }
    var description: String { "Block" }
}

@Suite struct LayerTests {
    @Test func layersPrintThemselves() {
        #expect(Linear(784, 256).description == "Linear(784 => 256, bias: true)")
        #expect(Linear(3, 2, bias: false).description == "Linear(3 => 2, bias: false)")
        #expect(Dropout(rate: 0.5).description == "Dropout(rate: 0.5)")
        #expect(LeakyReLU(negativeSlope: 0.2).description == "LeakyReLU(negativeSlope: 0.2)")
        let model = Sequential {
            Linear(784, 256)
            ReLU()
            Sequential { Linear(256, 10) }
        }
        #expect(model.description == """
            Sequential(
              (0): Linear(784 => 256, bias: true)
              (1): ReLU()
              (2): Sequential(
                (0): Linear(256 => 10, bias: true)
              )
            )
            """)
    }

    @Test func parametersAreNamedByPathLikePyTorch() {
        let model = Sequential { Linear(784, 256); ReLU(); Linear(256, 10) }
        #expect(model.namedParameters.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(model.namedParameters.map(\.parameter.shape) == [[256, 784], [256], [10, 256], [10]])
        #expect(model.parameterCount() == 784 * 256 + 256 + 256 * 10 + 10)
        let block = Block()
        #expect(Set(block.namedParameters.map(\.name)) == [
            "scale", "encoder.0.weight", "encoder.0.bias", "head.weight", "extra.0.weight", "extra.0.bias",
        ])
        #expect(block(Tensor.ones([5, 4])).shape == [5, 2])
    }

    @Test func sharedParametersAreCountedOnce() {
        let shared = Linear(3, 3)
        let model = Sequential { shared; ReLU(); shared }
        #expect(model.parameters.count == 2)
    }

    @Test func freezingStopsGradients() {
        let model = Sequential { Linear(2, 2); Linear(2, 1) }
        (model[0] as! Linear).weight.isTrainable = false
        #expect(model.trainableParameters.count == 3)
        model(Tensor.ones([1, 2])).sum().backward()
        #expect((model[0] as! Linear).weight.grad == nil)
        #expect((model[1] as! Linear).weight.grad != nil)
        model.setTrainable(false)
        #expect(model.parameterCount(trainableOnly: true) == 0)
    }

    @Test func dropoutFollowsTheMode() {
        let model = Sequential { Dropout(rate: 0.5) }
        let x = Tensor.ones([1000])
        let trained = Random.withSeed(1) { model(x) }
        #expect(Random.withSeed(1) { model(x) }.scalars == trained.scalars)
        let zeros = trained.scalars.filter { $0 == 0 }.count
        #expect((400...600).contains(zeros))
        #expect(trained.scalars.allSatisfy { $0 == 0 || $0 == 2 })
        model.eval()
        #expect(model(x).scalars == x.scalars)
        model.train()
        #expect(model(x).scalars != x.scalars)
    }

    @Test func builderTakesConditionsAndLoops() {
        let deep = true
        let model = Sequential {
            for _ in 0..<3 { Linear(4, 4); ReLU() }
            if deep { Linear(4, 2) } else { Linear(4, 1) }
        }
        #expect(model.count == 7)
        #expect(model(Tensor.zeros([1, 4])).shape == [1, 2])
    }

    @Test func copiesAreIndependent() throws {
        let model = Sequential { Linear(3, 4); Dropout(rate: 0.5); Linear(4, 2) }
        model.eval()
        (model[2] as! Linear).bias!.isTrainable = false
        let copy = try model.copied()
        #expect(copy.description == model.description)
        let x = Tensor.normal([2, 3])
        #expect(copy(x).scalars == model(x).scalars)   // same weights, and inference mode kept
        #expect(copy.trainableParameters.count == 3)
        withoutGradients { (copy.parameters[0].value) -= 1 }
        #expect(copy.parameters[0].value.scalars != model.parameters[0].value.scalars)
        #expect(throws: LayerConfigurationError.self) { try Block().copied() }
    }

    @Test func linearMatchesItsFormula() {
        let layer = Linear(3, 2)
        layer.weight.value = Tensor([[1, 2, 3], [4, 5, 6]])
        layer.bias!.value = Tensor([0.5, -1])
        expectClose(layer(Tensor([[1, 0, -1]])), [-1.5, -3])
        #expect(layer.weight.value.requiresGrad)
    }
}

@Suite struct InitializerTests {
    @Test func statisticsMatchTheirDefinitions() {
        var rng = RandomGenerator(seed: 3)
        let shape: Shape = [200, 300]
        let glorot = Initializer.glorotUniform().make(shape, using: &rng)
        let bound = (6.0 / 500.0).squareRoot()
        #expect(glorot.max().scalar <= Float(bound) && glorot.min().scalar >= -Float(bound))
        let he = Initializer.heNormal.make(shape, using: &rng)
        #expect(Swift.abs(he.standardDeviation(along: 0, 1).scalar - (2.0 / 300).squareRoot()) < 0.003)
        let lecun = Initializer.lecunNormal.make(shape, using: &rng)
        #expect(Swift.abs(lecun.standardDeviation(along: 0, 1).scalar - (1.0 / 300).squareRoot()) < 0.003)
        #expect(Initializer.zeros.make([3]).scalars == [0, 0, 0])
        #expect(Initializer.ones.make([2]).scalars == [1, 1])
        #expect(Initializer.fans([64, 32, 3, 3]) == (fanIn: 288, fanOut: 576))
    }

    @Test func orthogonalRowsAreOrthonormal() {
        var rng = RandomGenerator(seed: 4)
        for shape: Shape in [[4, 6], [6, 4]] {
            let w = Initializer.orthogonal().make(shape, using: &rng)
            let gram = shape[0] <= shape[1] ? matmul(w, w.transposed()) : matmul(w.transposed(), w)
            expectClose(gram, Tensor.eye(Swift.min(shape[0], shape[1])), atol: 1e-5)
        }
    }
}

@Suite struct LossTests {
    // Reference values from torch.nn.functional on the same inputs.
    let p = Tensor([[0.2, -1.0, 0.5], [1.5, 0.3, -0.7]])
    let t = Tensor([[0.0, 1.0, 0.5], [1.0, -0.5, 0.2]])
    let logits = Tensor([[1.0, 2.0, 0.5], [0.1, -0.3, 2.2]])
    let soft = Tensor([[0.1, 0.7, 0.2], [0.0, 0.0, 1.0]])

    @Test func valuesMatchPyTorch() {
        expectClose(meanSquaredError(p, t), [0.95666665], atol: 1e-6)
        expectClose(meanAbsoluteError(p, t), [0.73333335], atol: 1e-6)
        expectClose(huberLoss(p, t, delta: 0.5), [0.27], atol: 1e-6)
        expectClose(binaryCrossEntropy(Tensor([0.9, 0.2, 0.6]), Tensor([1, 0, 1])), [0.27977657], atol: 1e-6)
        expectClose(binaryCrossEntropy(logits: Tensor([2, -1, 0.3]), Tensor([1, 0, 1])), [0.33151498], atol: 1e-6)
        let labels = Tensor(integers: [1, 2])
        expectClose(crossEntropy(logits: logits, labels: labels), [0.32523388], atol: 1e-6)
        expectClose(crossEntropy(logits: logits, labels: labels, labelSmoothing: 0.1), [0.44356722], atol: 1e-6)
        expectClose(crossEntropy(logits: logits, targets: soft, labelSmoothing: 0.2), [0.72190052], atol: 1e-6)
        expectClose(crossEntropy(logits: logits, targets: labels.oneHot(classCount: 3)), [0.32523388], atol: 1e-6)
        expectClose(klDivergence(logProbabilities: logSoftmax(logits, along: 1), targets: soft), [0.1243246], atol: 1e-6)
        expectClose(hingeLoss(Tensor([0.5, 0.3, 2.0]), Tensor([1, -1, 1])), [0.6], atol: 1e-6)
        expectClose(crossEntropy(logits: logits, labels: labels, reduction: .none).sum(),
                    [2 * 0.32523388], atol: 1e-5)
    }

    @Test func gradientsMatchFiniteDifferences() {
        let labels = Tensor(integers: [1, 2])
        let checks: [([Tensor]) -> Tensor] = [
            { meanSquaredError($0[0], $0[1]) },
            { huberLoss($0[0], $0[1], delta: 0.5) },
            { binaryCrossEntropy(sigmoid($0[0]), sigmoid($0[1])) },
            { binaryCrossEntropy(logits: $0[0], sigmoid($0[1])) },
            { crossEntropy(logits: $0[0], labels: labels, labelSmoothing: 0.1) },
            { crossEntropy(logits: $0[0], targets: softmax($0[1], along: 1), labelSmoothing: 0.2) },
            { klDivergence(logProbabilities: logSoftmax($0[0], along: 1), targets: softmax($0[1], along: 1)) },
            // Hinge has a kink at t·y = 1; these margins sit at least 0.3 away from it.
            { hingeLoss($0[0], Tensor([[1, 1, 1], [-1, 1, -1]])) },
        ]
        for (i, f) in checks.enumerated() {
            let result = gradcheck(f, at: [p, t])
            #expect(result.passed, "loss \(i): \(result)")
        }
    }

    @Test func penalties() {
        let a = Parameter(Tensor([1, -2])), b = Parameter(Tensor([3]))
        expectClose(l1Penalty([a, b], lambda: 0.5), [3])
        expectClose(l2Penalty([a, b], lambda: 0.5), [7])
    }
}
