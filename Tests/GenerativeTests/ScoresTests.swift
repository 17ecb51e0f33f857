import Foundation
import Testing
import TensorCore
@testable import Generative

@Suite struct ScoresTests {
    @Test func jacobiFindsTheEigenvaluesOfASymmetricMatrix() {
        // [[2, 1, 0], [1, 2, 0], [0, 0, 5]] has eigenvalues 1, 3 and 5.
        let (values, vectors) = FrechetDistance.jacobi([2, 1, 0, 1, 2, 0, 0, 0, 5], 3)
        #expect(zip(values.sorted(), [1.0, 3, 5]).allSatisfy { abs($0 - $1) < 1e-12 })
        // The columns are orthonormal: VᵀV = I.
        for i in 0..<3 { for j in 0..<3 {
            let dot = (0..<3).reduce(0.0) { $0 + vectors[$1 * 3 + i] * vectors[$1 * 3 + j] }
            #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
        } }
    }

    /// Correlated features: each row is `L·g` for a fixed lower-triangular `L` and Gaussian `g`.
    func correlated(_ n: Int, seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        let g = Tensor.normal([n, 4], using: &generator)
        let l = Tensor([1, 0, 0, 0, 0.5, 1, 0, 0, -0.3, 0.2, 0.7, 0, 0.1, 0.4, -0.6, 0.9], shape: [4, 4])
        return matmul(g, l, transposeA: false, transposeB: true) + 0.25
    }

    @Test func frechetDistanceMatchesItsClosedForms() {
        let a = correlated(500, seed: 1)
        #expect(abs(FrechetDistance.between(a, a)) < 1e-6)
        // A shift moves only the means: the distance is the shift's squared length, 4 · 0.5² = 1.
        #expect(abs(FrechetDistance.between(a, a + 0.5) - 1) < 1e-6)
        // Doubling: Σ₂ = 4Σ₁, so tr(Σ₁ + 4Σ₁ - 2·2Σ₁) = tr Σ₁ and ‖μ - 2μ‖² = ‖μ‖².
        let (mean, covariance) = FrechetDistance.moments(a)
        let expected = mean.reduce(0) { $0 + $1 * $1 } + (0..<4).reduce(0) { $0 + covariance[$1 * 5] }
        #expect(abs(FrechetDistance.between(a, a * 2) - expected) < 1e-5 * expected)
        // Two independent draws of one distribution are close; a different one is far.
        let b = correlated(500, seed: 2)
        #expect(FrechetDistance.between(a, b) < 0.2)
        #expect(FrechetDistance.between(a, b * 1.5) > 1)
    }

    @Test func psnrAndSSIMOfKnownPairs() {
        let x = Tensor.uniform([3, 1, 16, 16], using: &Random.fixed)
        // A constant error of 0.1: MSE 0.01, 20 dB.
        #expect(ImageScores.psnr(x, x + 0.1).allSatisfy { abs($0 - 20) < 1e-4 })
        #expect(ImageScores.psnr(x, x).allSatisfy { $0 == .infinity })
        #expect(ImageScores.ssim(x, x).allSatisfy { abs($0 - 1) < 1e-12 })
        // Flat images 0.5 and 0.6: no variance, so SSIM is the luminance term (2·0.3 + c₁)/(0.25 + 0.36 + c₁).
        let c1 = 0.0001, expected = (2 * 0.5 * 0.6 + c1) / (0.25 + 0.36 + c1)
        let flat = ImageScores.ssim(Tensor.full([1, 12, 12], value: 0.5), Tensor.full([1, 12, 12], value: 0.6))
        #expect(abs(flat[0] - expected) < 1e-6)
        // Noise lowers it, more noise more.
        var generator = RandomGenerator(seed: 3)
        let noise = Tensor.normal(x.shape, using: &generator)
        let (slight, heavy) = (ImageScores.ssim(x, x + noise * 0.05), ImageScores.ssim(x, x + noise * 0.3))
        #expect(zip(slight, heavy).allSatisfy { $0 < 1 && $1 < $0 })
    }

    @Test func corruptionIsSeededAndStaysInRange() throws {
        let x = Tensor.uniform([4, 1, 8, 8], using: &Random.fixed)
        for corruption in [Corruption.gaussian(sigma: 0.3), .saltAndPepper(fraction: 0.2)] {
            var (g1, g2) = (RandomGenerator(seed: 5), RandomGenerator(seed: 5))
            let (a, b) = (corruption.apply(to: x, using: &g1), corruption.apply(to: x, using: &g2))
            #expect(a.scalars == b.scalars)
            #expect(a.scalars.allSatisfy { (0...1).contains($0) })
            #expect(a.scalars != x.scalars)
        }
        var generator = RandomGenerator(seed: 6)
        let big = Tensor.full([1, 100, 100], value: 0.5)
        let hit = Corruption.saltAndPepper(fraction: 0.2).apply(to: big, using: &generator).scalars
        let (salt, pepper) = (hit.filter { $0 == 1 }.count, hit.filter { $0 == 0 }.count)
        #expect(abs(salt - 1000) < 150 && abs(pepper - 1000) < 150)
        // The Gaussian noise is standard normal: its mean, variance and share beyond 2σ (4.55%).
        var noiseGenerator = RandomGenerator(seed: 7)
        let z = Corruption.normal([100_001], using: &noiseGenerator).scalars.map(Double.init)
        let mean = z.reduce(0, +) / Double(z.count), variance = z.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(z.count)
        #expect(z.count == 100_001 && abs(mean) < 0.01 && abs(variance - 1) < 0.02)
        #expect(abs(Double(z.filter { abs($0) > 2 }.count) / Double(z.count) - 0.0455) < 0.003)
        #expect(try Corruption(parsing: "gaussian:0.3") == .gaussian(sigma: 0.3))
        #expect(throws: GenerativeError.self) { try Corruption(parsing: "gaussian:-1") }
        #expect(throws: GenerativeError.self) { try Corruption(parsing: "blur:2") }
    }
}

extension Random {
    /// A generator with a fixed seed, for test inputs.
    nonisolated(unsafe) static var fixed = RandomGenerator(seed: 42)
}
