import Testing
import TensorCore
import TestSupport

@Suite struct CreationTests {
    @Test func fromArraysAndBack() {
        let t = Tensor([[1, 2, 3], [4, 5, 6]])
        #expect(t.shape == [2, 3])
        #expect(t.scalars == [1, 2, 3, 4, 5, 6])
        #expect(Tensor(7).rank == 0)
        #expect(Tensor(7).scalar == 7)
        let labels = Tensor(integers: [3, 1, 2])
        #expect(labels.dtype == .int64)
        #expect(labels.integers == [3, 1, 2])
        #expect(Tensor(integers: [1, 2], dtype: .int32).converted(to: .float32).scalars == [1, 2])
    }

    @Test func constructors() {
        #expect(Tensor.zeros([2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor.ones([3]).scalars == [1, 1, 1])
        #expect(Tensor.full([2], value: 2.5).scalars == [2.5, 2.5])
        #expect(Tensor.arange(to: 5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(1, to: 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
        #expect(Tensor.linspace(from: 0, to: 1, count: 5).scalars == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor.eye(3).scalars == [1, 0, 0, 0, 1, 0, 0, 0, 1])
    }

    @Test func descriptionReadsLikePyTorch() {
        #expect(Tensor([[1, 2], [3, 4]]).description == "Tensor([[1.0, 2.0], [3.0, 4.0]], shape: [2, 2], dtype: float32)")
        #expect(Tensor(integers: [1, 2]).description == "Tensor([1, 2], shape: [2], dtype: int64)")
        #expect(Tensor.arange(to: 10).description.contains("[0.0, 1.0, 2.0, ..., 7.0, 8.0, 9.0]"))
    }
}

@Suite struct RandomTests {
    @Test func sameSeedSameNumbers() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42)
        #expect(Tensor.normal([100], using: &a).scalars == Tensor.normal([100], using: &b).scalars)
        let first = Random.withSeed(3) { Tensor.uniform([10]).scalars }
        #expect(Random.withSeed(3) { Tensor.uniform([10]).scalars } == first)
        // Scopes nest and restore the outer generator.
        let outer = Random.withSeed(4) { () -> [Float] in
            _ = Random.withSeed(5) { Tensor.uniform([3]) }
            return Tensor.uniform([2]).scalars
        }
        #expect(outer == Random.withSeed(4) { Tensor.uniform([2]).scalars })
    }

    @Test func processWideSeed() async {
        // In a child process: other tests draw from the process-wide generator concurrently.
        await #expect(processExitsWith: .success) {
            Random.seed(3)
            let first = Tensor.uniform([10]).scalars
            Random.seed(3)
            precondition(Tensor.uniform([10]).scalars == first)
        }
    }

    @Test func pinnedSequence() {
        // The generator is part of the format of every seeded experiment: its first outputs for
        // seed 0 are pinned (xoshiro256** seeded through SplitMix64), so any change to it fails here.
        var rng = RandomGenerator(seed: 0)
        #expect((0..<4).map { _ in rng.next() } == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0, 0x6AA5_94F1_262D_2D2C])
        #expect((0..<3).map { _ in rng.nextUnitFloat() } == [0.7329967617988586, 0.9997484087944031, 0.4222114682197571])
        // Box–Muller goes through libm's log, cos and sin: pinned to within a few ulps.
        let (z0, z1) = rng.nextNormalPair()
        #expect(Swift.abs(z0 - 0.6877132405487971) < 1e-14 && Swift.abs(z1 - -0.8806707454122946) < 1e-14, "\(z0), \(z1)")
        var g = RandomGenerator(seed: 0)
        #expect(Tensor.uniform([3], low: -1, high: 1, using: &g).scalars == [0.20252597332000732, 0.4955481290817261, -0.7939600944519043])
        #expect(Tensor.permutation(6, using: &g).integers == [0, 1, 3, 5, 2, 4])
        var other = RandomGenerator(seed: 1)
        #expect((0..<2).map { _ in other.next() } == [0xB3F2_AF6D_0FC7_10C5, 0x853B_5596_4736_4CEA])
    }

    @Test func distributions() {
        var rng = RandomGenerator(seed: 5)
        let n = Tensor.normal([20000], mean: 1, std: 2, using: &rng)
        #expect(Swift.abs(n.mean().scalar - 1) < 0.05)
        #expect(Swift.abs(n.standardDeviation(along: 0).scalar - 2) < 0.05)
        let t = Tensor.truncatedNormal([20000], std: 0.5, using: &rng)
        #expect(t.max().scalar <= 1.0 && t.min().scalar >= -1.0)
        let u = Tensor.uniform([20000], low: -1, high: 3, using: &rng)
        #expect(u.min().scalar >= -1 && u.max().scalar < 3)
        #expect(Swift.abs(u.mean().scalar - 1) < 0.05)
        let b = Tensor.bernoulli([20000], probability: 0.3, using: &rng)
        #expect(Swift.abs(b.mean().scalar - 0.3) < 0.02)
        let p = Tensor.permutation(50, using: &rng).integers
        #expect(p.sorted() == Array(0..<50) && p != Array(0..<50))
    }
}

@Suite struct ValueTests {
    @Test func broadcastingArithmetic() {
        let a = Tensor([[1, 2, 3], [4, 5, 6]])
        expectClose(a + Tensor([10, 20, 30]), [11, 22, 33, 14, 25, 36])
        expectClose(a * Tensor([[2], [3]]), [2, 4, 6, 12, 15, 18])
        expectClose(1 - a / 2, [0.5, 0, -0.5, -1, -1.5, -2])
        expectClose(Tensor([1, 2]).reshaped(to: [2, 1]) - Tensor([1, 2, 3]), [0, -1, -2, 1, 0, -1], shape: [2, 3])
        expectClose(pow(Tensor([2, 3]), 2), [4, 9])
        expectClose(maximum(Tensor([1, 5]), Tensor([3, 2])), [3, 5])
        expectClose(Tensor([1, 2, 3]) .> 1.5, [0, 1, 1])
        expectClose(Tensor(integers: [1, 2, 3]) .== Tensor(integers: [1, 0, 3]), [1, 0, 1])
        expectClose(select(Tensor([1, 0]), Tensor([1, 2]), Tensor([-1, -2])), [1, -2])
    }

    @Test func activations() {
        let x = Tensor([-2, -0.5, 0, 0.5, 2])
        expectClose(relu(x), [0, 0, 0, 0.5, 2])
        expectClose(leakyRelu(x), [-0.02, -0.005, 0, 0.5, 2])
        expectClose(sigmoid(Tensor([0, 100, -100])), [0.5, 1, 0])
        expectClose(elu(Tensor([-1, 1])), [-0.6321206, 1])
        // Reference values from torch.nn.functional.gelu and softplus.
        expectClose(gelu(Tensor([-1, 0.5, 2])), [-0.15865526, 0.34573123, 1.9544997], atol: 1e-6)
        expectClose(gelu(Tensor([-1, 0.5, 2]), approximate: true), [-0.15880801, 0.34571401, 1.9545977], atol: 1e-6)
        expectClose(softplus(Tensor([-30, 0, 30])), [9.357623e-14, 0.6931472, 30], atol: 1e-6)
        expectClose(Tensor([-3, 0.2, 9]).clamped(min: -1, max: 1), [-1, 0.2, 1])
    }

    @Test func softmaxIsStable() {
        let s = softmax(Tensor([[1000, 1000], [0, 1.0986123]]))
        expectClose(s, [0.5, 0.5, 0.25, 0.75], atol: 1e-6)
        expectClose(logSoftmax(Tensor([0, 0, 0, 0])), [Float](repeating: -1.3862944, count: 4), atol: 1e-6)
        expectClose(Tensor([-Float.infinity, 0]).logSumExp(along: 0), [0])
        // Along a middle axis (strided rows) and along rows longer than a vector, as
        // exp(x - logsumexp(x)).
        let x = Tensor.uniform([2, 3, 4], low: -3, high: 3)
        expectClose(softmax(x, along: 1), exp(x - x.logSumExp(along: 1, keepingDims: true)).scalars, atol: 1e-6)
        let rows = Tensor.uniform([3, 21], low: -20, high: 20)
        expectClose(softmax(rows), exp(rows - rows.logSumExp(along: 1, keepingDims: true)).scalars, atol: 1e-6)
    }

    @Test func reductions() {
        let x = Tensor([[1, 5, 3], [4, 2, 6]])
        expectClose(x.sum(), [21], shape: [])
        expectClose(x.sum(along: 0), [5, 7, 9])
        expectClose(x.sum(along: 1, keepingDims: true), [9, 12], shape: [2, 1])
        expectClose(x.mean(along: -1), [3, 4])
        expectClose(x.max(along: 1), [5, 6])
        expectClose(x.min(along: 0), [1, 2, 3])
        #expect(x.argmax(along: 1).integers == [1, 2])
        #expect(x.argmin(along: 0).integers == [0, 1, 0])
        #expect(x.argmax().integers == [5])
        expectClose(x.variance(along: 1), [4, 4])
        expectClose(x.variance(along: 1, correction: 0), [8.0 / 3, 8.0 / 3])
        expectClose(x.logSumExp(along: 1), [5.1429316, 6.1429316], atol: 1e-5)
        // A long row exercises the vectorized sum and the multi-threaded split.
        let long = Tensor.ones([100_003])
        expectClose(long.sum(), [100_003], shape: [])
    }

    @Test func shapeOperations() {
        let x = Tensor.arange(to: 6).reshaped(to: [2, 3])
        expectClose(x.transposed(), [0, 3, 1, 4, 2, 5], shape: [3, 2])
        expectClose(x.sliced(along: 1, from: 0, to: 3, stride: 2), [0, 2, 3, 5], shape: [2, 2])
        expectClose(x.sliced(along: 1, from: -2), [1, 2, 4, 5], shape: [2, 2])
        expectClose(x[1], [3, 4, 5])
        expectClose(x.padded(with: [(0, 1), (1, 0)]), [0, 0, 1, 2, 0, 3, 4, 5, 0, 0, 0, 0], shape: [3, 4])
        expectClose(Tensor.concat([x, x], along: 0), [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5], shape: [4, 3])
        expectClose(Tensor.stack([Tensor([1, 2]), Tensor([3, 4])], along: 1), [1, 3, 2, 4], shape: [2, 2])
        #expect(x.split(sizes: [1, 2], along: 1).map(\.shape) == [[2, 1], [2, 2]])
        #expect(x.chunked(into: 2, along: 1).map(\.shape) == [[2, 2], [2, 1]])
        #expect(x.unsqueezed(at: 0).shape == [1, 2, 3])
        #expect(x.unsqueezed(at: -1).shape == [2, 3, 1])
        #expect(Tensor.zeros([1, 3, 1]).squeezed().shape == [3])
        #expect(Tensor.zeros([2, 3, 4, 5]).flattened(from: 1).shape == [2, 60])
        expectClose(Tensor([1, 2]).reshaped(to: [2, 1]).expanded(to: [2, 3]), [1, 1, 1, 2, 2, 2])
        let p = Tensor.arange(to: 24).reshaped(to: [2, 3, 4]).permuted(2, 0, 1)
        #expect(p.shape == [4, 2, 3])
        expectClose(p[1][1], [13, 17, 21])
        // Integer tensors slice and select too (labels are batched that way).
        #expect(Tensor(integers: [5, 6, 7, 8])[1..<3].integers == [6, 7])
        #expect(Tensor(integers: [5, 6, 7]).selecting(along: 0, indices: Tensor(integers: [2, 0])).integers == [7, 5])
    }

    @Test func indexing() {
        let x = Tensor([[1, 2, 3], [4, 5, 6]])
        let idx = Tensor(integers: [2, 0, 1, 1], shape: [2, 2])
        expectClose(x.gathering(along: 1, indices: idx), [3, 1, 5, 5])
        expectClose(Tensor.zeros([2, 3]).scatteringAdd(along: 1, indices: idx, source: Tensor.ones([2, 2])),
                    [1, 0, 1, 0, 2, 0])
        expectClose(x.selecting(along: 1, indices: Tensor(integers: [2, 2, 0])), [3, 3, 1, 6, 6, 4])
        expectClose(Tensor.zeros([3, 2]).indexAdding(along: 0, indices: Tensor(integers: [2, 2]), source: Tensor.ones([2, 2])),
                    [0, 0, 0, 0, 2, 2])
        expectClose(Tensor(integers: [2, 0]).oneHot(classCount: 3), [0, 0, 1, 1, 0, 0], shape: [2, 3])
    }

    @Test func matmulShapes() {
        let a = Tensor([[1, 2], [3, 4]])
        expectClose(matmul(a, a), [7, 10, 15, 22])
        expectClose(matmul(Tensor([1, 1]), a), [4, 6])
        expectClose(matmul(a, Tensor([1, 1])), [3, 7])
        #expect(matmul(Tensor.ones([5, 1, 3, 4]), Tensor.ones([2, 4, 6])).shape == [5, 2, 3, 6])
        expectClose(matmul(Tensor.ones([2, 2, 3]), Tensor.ones([3, 2])), [Float](repeating: 3, count: 8), shape: [2, 2, 2])
    }
}

@Suite struct AutodiffTests {
    @Test func handWorkedChainRule() {
        // y = sum((w x + b)²) with x = [1, 2], w = 3, b = 1:  wx + b = [4, 7]
        // dy/dw = Σ 2 (wx + b) x = 2·4·1 + 2·7·2 = 36;  dy/db = Σ 2 (wx + b) = 22
        var w = Tensor(3), b = Tensor(1)
        w.requiresGrad = true
        b.requiresGrad = true
        let y = (w * Tensor([1, 2]) + b).squared().sum()
        #expect(y.scalar == 65)
        y.backward()
        #expect(w.grad?.scalar == 36)
        #expect(b.grad?.scalar == 22)
    }

    @Test func gradientsAccumulateAcrossReuseAndCalls() {
        // y = x·x + x: dy/dx = 2x + 1 = 7 at x = 3; a second backward adds another 7.
        var x = Tensor(3)
        x.requiresGrad = true
        let y = x * x + x
        y.backward()
        #expect(x.grad?.scalar == 7)
        (x * x + x).backward()
        #expect(x.grad?.scalar == 14)
        x.grad = nil
        #expect(x.grad == nil)
    }

    @Test func noGradScopeRecordsNothing() {
        var x = Tensor([1, 2])
        x.requiresGrad = true
        let y = withoutGradients { x * 2 }
        #expect(!y.requiresGrad)
        #expect(!isRecordingGradients == false)
        #expect((x * 2).requiresGrad)
        #expect(!(x.detached() * 2).requiresGrad)
    }

    @Test func inPlaceUpdateUnderNoGradKeepsTheLeaf() {
        var w = Tensor([1, 2])
        w.requiresGrad = true
        (w * w).sum().backward()
        withoutGradients { w -= 0.5 * w.grad! }
        #expect(w.scalars == [0, 0])
        #expect(w.requiresGrad && w.isLeaf)
    }

    @Test func copyOnWrite() {
        var a = Tensor([1, 2, 3])
        let b = a
        a.withUnsafeMutableBufferPointer { $0[0] = 9 }
        #expect(a.scalars == [9, 2, 3])
        #expect(b.scalars == [1, 2, 3])
        // Writing to an input saved on the tape must not change its gradient.
        var x = Tensor([2])
        x.requiresGrad = true
        var c = Tensor([5])
        let y = x * c
        withoutGradients { c += 100 }
        y.backward()
        #expect(x.grad?.scalars == [5])
    }

    @Test func backwardFreesTheGraphSoWeightsUpdateInPlace() {
        var w = Tensor([1, 2, 3])
        w.requiresGrad = true
        let loss = (w * w).sum()
        loss.backward()
        // The tape no longer holds w's storage: an in-place update must not copy it.
        let before = ObjectIdentifier(w.storage)
        withoutGradients { w -= 0.1 * w.grad! }
        #expect(ObjectIdentifier(w.storage) == before)
        #expect(w.isLeaf && !loss.isLeaf)
    }

    @Test func valueWithGradientFunctional() {
        let (value, grad) = valueWithGradient(at: Tensor([1, 2, 3])) { ($0 * $0).sum() }
        #expect(value.scalar == 14)
        #expect(grad.scalars == [2, 4, 6])
        let (_, grads) = valueWithGradient(at: [Tensor(2), Tensor(5)]) { $0[0] * $0[1] }
        #expect(grads.map(\.scalar) == [5, 2])
        // Works inside a no-grad scope too.
        let inner = withoutGradients { gradient(at: Tensor(3)) { $0 * $0 } }
        #expect(inner.scalar == 6)
    }

    @Test func nonScalarBackwardTakesASeed() {
        var x = Tensor([1, 2])
        x.requiresGrad = true
        (x * 3).backward(gradient: Tensor([1, 10]))
        #expect(x.grad?.scalars == [3, 30])
    }

    @Test func deepChainDoesNotOverflowTheStack() {
        var x = Tensor(1)
        x.requiresGrad = true
        var y = x
        for _ in 0..<20_000 { y = y + 0 }
        y.backward()
        #expect(x.grad?.scalar == 1)
    }
}
