import Foundation
import Testing
import Layers
import TensorCore
import TestSupport
@testable import Generative

/// Small 8x8 "images": a bright square whose corner depends on the class, plus a little noise.
func squares(_ n: Int, seed: UInt64) -> (images: Tensor, labels: Tensor) {
    var generator = RandomGenerator(seed: seed)
    var values: [Float] = [], labels: [Int] = []
    for i in 0..<n {
        let c = i % 2
        labels.append(c)
        for r in 0..<8 { for col in 0..<8 {
            let inside = c == 0 ? (r < 4 && col < 4) : (r >= 4 && col >= 4)
            values.append(min(1, max(0, (inside ? 0.9 : 0.1) + 0.05 * Float(gaussianDraw(&generator)))))
        } }
    }
    return (Tensor(values, shape: [n, 1, 8, 8]), Tensor(integers: labels))
}

func gaussianDraw(_ generator: inout RandomGenerator) -> Double { generator.nextNormalPair().0 }

@Suite struct ModelTests {
    @Test func autoencodersLearnAndRepeatThemselves() throws {
        let (x, _) = squares(64, seed: 1)
        func run(_ make: () -> Autoencoder, corruption: Corruption?) throws -> (before: Float, after: Float, weights: [Float]) {
            let ae = Random.withSeed(3) { make() }
            let error = { ((ae.reconstruct(x) - x) * (ae.reconstruct(x) - x)).mean().scalars[0] }
            let before = error()
            try ae.train(images: x, epochs: 12, batchSize: 16, learningRate: 5e-3, corruption: corruption, seed: 4)
            return (before, error(), ae.network.parameters.flatMap { $0.value.scalars })
        }
        for (make, corruption) in [({ Autoencoder.dense(latent: 4, imageShape: [1, 8, 8]) }, nil),
                                   ({ Autoencoder.convolutional(latent: 4, imageShape: [1, 8, 8]) }, Corruption.gaussian(sigma: 0.3))] {
            let first = try run(make, corruption: corruption), second = try run(make, corruption: corruption)
            #expect(first.after < first.before / 4, "reconstruction error \(first.before) -> \(first.after)")
            #expect(first.weights == second.weights)
        }
    }

    @Test func vaeBoundsAreOrderedAndTrainingLowersThem() throws {
        let (x, _) = squares(64, seed: 2)
        let vae = Random.withSeed(5) { VariationalAutoencoder.dense(latent: 2, hidden: 32, imageShape: [1, 8, 8]) }
        let before = vae.negativeELBO(x, seed: 1).total
        try vae.train(images: x, epochs: 40, batchSize: 16, learningRate: 3e-3, seed: 6)
        let elbo = vae.negativeELBO(x, seed: 1)
        #expect(elbo.total < before - 5, "negative ELBO \(before) -> \(elbo.total)")
        #expect(abs(elbo.total - elbo.reconstruction - elbo.kl) < 1e-9 && elbo.kl > 0)
        // The importance-weighted bound is tighter than the ELBO, more so with more samples.
        let (k1, k50) = (vae.importanceWeightedNLL(x, samples: 1, seed: 2), vae.importanceWeightedNLL(x, samples: 50, seed: 2))
        #expect(k50 < k1 && abs(k1 - elbo.total) < 0.05 * elbo.total, "k=1 \(k1), k=50 \(k50), ELBO \(elbo.total)")
        #expect(vae.sample(count: 3, seed: 1).shape == [3, 1, 8, 8])
        let line = vae.interpolate(x.sliced(along: 0, from: 0, to: 1), x.sliced(along: 0, from: 1, to: 2), steps: 5)
        #expect(line.shape == [5, 1, 8, 8])
        // The ends of the line are the decoded codes of the two images.
        expectClose(line.sliced(along: 0, from: 0, to: 1), vae.decode(vae.encode(x.sliced(along: 0, from: 0, to: 1))), atol: 1e-6)
    }

    /// The KL term in closed form against a Monte-Carlo estimate of E_q[log q(z|x) - log p(z)].
    @Test func klTermMatchesItsExpectation() {
        let vae = Random.withSeed(7) { VariationalAutoencoder.dense(latent: 3, hidden: 8, imageShape: [1, 4, 4]) }
        let x = Tensor.uniform([1, 1, 4, 4], using: &Random.fixed)
        let (mu, logVariance) = vae.posterior(x)
        let kl = vae.terms(x, noise: Tensor.zeros([1, 3])).kl.scalars[0]
        var generator = RandomGenerator(seed: 8)
        let eps = Tensor.normal([20000, 3], using: &generator)
        let z = mu + exp(logVariance * 0.5) * eps
        let logQ = ((eps * eps + logVariance) * -0.5).sum(along: [1])
        let logP = (z * z * -0.5).sum(along: [1])
        let estimate = (logQ - logP).mean().scalars[0]
        #expect(abs(estimate - kl) < 0.03 + 0.02 * abs(kl), "closed form \(kl), Monte Carlo \(estimate)")
    }

    @Test func spectralNormalizationBoundsTheLargestSingularValue() {
        let linear = Random.withSeed(9) { Linear(6, 5) }
        linear.weight.value = linear.weight.value * 7
        let sn = SpectralNormalized(linear, seed: 1)
        for _ in 0..<50 { _ = sn(Tensor.zeros([1, 6])) }
        // The largest singular value of W / σ: the square root of the top eigenvalue of (W/σ)ᵀ(W/σ).
        let w = sn.normalizedWeight()
        let gram = matmul(w, w, transposeA: true, transposeB: false).scalars.map(Double.init)
        let top = FrechetDistance.jacobi(gram, 6).values.max()!
        #expect(abs(top.squareRoot() - 1) < 1e-3)
        // The gradient flows through σ (u and v held fixed): checked against finite differences.
        sn.isTraining = false
        let result = gradcheck({ xs in
            linear.weight.value = xs[0]
            return sn(xs[1])
        }, at: [linear.weight.value, Tensor.uniform([3, 6], using: &Random.fixed)])
        #expect(result.passed, "\(result)")
    }

    @Test func ganTrainsSeededAndConditionally() throws {
        let (x, y) = squares(64, seed: 3)
        var configuration = GAN.Configuration()
        configuration.imageShape = [1, 8, 8]
        configuration.latent = 8
        configuration.width = 8
        for (classes, loss, sn) in [(0, GAN.Loss.nonSaturating, false), (2, .hinge, true)] {
            configuration.classes = classes
            configuration.loss = loss
            configuration.spectralNorm = sn
            func run() throws -> ([EpochLog], Tensor) {
                let gan = GAN(configuration, seed: 1)
                let logs = try gan.train(images: x, labels: y, epochs: 2, batchSize: 16, seed: 2)
                return (logs, gan.sample(count: 4, labels: classes > 0 ? Tensor(integers: [0, 1, 0, 1]) : nil, seed: 3))
            }
            let (logs, samples) = try run(), (again, repeated) = try run()
            #expect(logs.map(\.values) == again.map(\.values))
            #expect(samples.scalars == repeated.scalars)
            #expect(samples.shape == [4, 1, 8, 8] && samples.scalars.allSatisfy { (0...1).contains($0) })
            #expect(Set(logs[0].values.keys) == ["loss_d", "loss_g", "d_accuracy"])
        }
        // A conditional GAN without labels, and a run that diverges, stop with an error.
        #expect(throws: GenerativeError.self) { try GAN(configuration, seed: 1).train(images: x, epochs: 1, seed: 2) }
        var broken = x.scalars
        broken[5] = .nan
        configuration.classes = 0
        #expect(throws: GenerativeError.self) {
            try GAN(configuration, seed: 1).train(images: Tensor(broken, shape: x.shape), epochs: 1, batchSize: 64, seed: 2)
        }
    }

    @Test func emaMovesTowardTheGenerator() {
        let (a, b) = (Random.withSeed(1) { Sequential { Linear(2, 2); BatchNorm(2) } }, Random.withSeed(2) { Sequential { Linear(2, 2); BatchNorm(2) } })
        let (before, target) = (a.parameters.map(\.value.scalars), b.parameters.map(\.value.scalars))
        GAN.copy(b, into: a, decay: 0.9)
        for ((p, old), new) in zip(zip(a.parameters, before), target) {
            let expected = p.isTrainable ? zip(old, new).map { 0.9 * $0 + 0.1 * $1 } : new
            expectClose(p.value, expected, atol: 1e-6)
        }
    }
}
