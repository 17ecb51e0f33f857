import Layers
import Optimizers
import TensorCore
import Testing

@Test func schedulesFollowTheirFormulas() {
    let step = StepDecay(initial: 1, stepSize: 2, gamma: 0.5)
    #expect((0..<5).map(step.learningRate(at:)) == [1, 1, 0.5, 0.5, 0.25])
    let exponential = ExponentialDecay(initial: 2, gamma: 0.5)
    #expect(exponential.learningRate(at: 3) == 0.25)
    let cosine = CosineDecay(initial: 1, totalSteps: 12, warmupSteps: 2, minimum: 0.1)
    #expect(cosine.learningRate(at: 0) == 0.5 && cosine.learningRate(at: 1) == 1)
    #expect(Swift.abs(cosine.learningRate(at: 7) - 0.55) < 1e-6)   // halfway through the decay
    #expect(Swift.abs(cosine.learningRate(at: 12) - 0.1) < 1e-6 && Swift.abs(cosine.learningRate(at: 50) - 0.1) < 1e-6)
}

@Test func plateauDetectorCutsAfterPatience() {
    let plateau = PlateauDetector(factor: 0.5, patience: 2, minDelta: 0, cooldown: 1, minimumLearningRate: 0.2)
    var lr: Float = 1
    var trail: [Float] = []
    for value: Float in [1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] {
        lr = plateau.update(value, learningRate: lr)
        trail.append(lr)
    }
    // Cut on the third epoch without improvement, then a cooldown epoch, then wait again.
    #expect(trail == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25].map { Swift.max($0, 0.2) })
}

@Test func gradientClipping() {
    let a = Parameter(Tensor([3, 0])), b = Parameter(Tensor([4]))
    a.grad = Tensor([3, 0])
    b.grad = Tensor([4])
    let norm = clipGradients([a, b], maxNorm: 1)
    #expect(norm == 5)
    #expect(Swift.abs(a.grad!.scalars[0] - 0.6) < 1e-5 && Swift.abs(b.grad!.scalars[0] - 0.8) < 1e-5)
    clipGradients([a, b], maxValue: 0.7)
    #expect(b.grad!.scalars == [0.7])
    // Below the limit nothing changes.
    #expect(clipGradients([a], maxNorm: 10) < 1)
}
