import Layers
import TensorCore
import TestSupport
import Testing

/// `Normalization` (Keras's preprocessing layer) and `Parallel` (sum, mean and concatenation of
/// branches).
@Suite struct NormalizationLayerTests {
    @Test func adaptLearnsMeanAndVarianceInDoubleAndCentersConstantColumns() {
        // A column whose mean is large against its spread: float32 sums would lose it.
        let x = Tensor([[1e6 + 1, 2, 7], [1e6 - 1, 4, 7], [1e6 + 3, 6, 7], [1e6 - 3, 8, 7]])
        let norm = Normalization()
        let constant = norm.adapt(x)
        #expect(constant == [2])
        #expect(norm.mean.value.scalars == [1e6, 5, 7])
        #expect(norm.variance.value.scalars == [5, 5, 0])
        #expect(!norm.mean.isTrainable && !norm.variance.isTrainable)
        let r = 1 / Float(5).squareRoot()
        expectClose(norm(x), [r, -3 * r, 0, -r, -r, 0, 3 * r, r, 0, -3 * r, 3 * r, 0], atol: 1e-5)
        // A value the constant column never took is centered, not divided by 0.
        #expect(norm(Tensor([[1e6, 5, 9]])).scalars == [0, 0, 2])
    }

    @Test func invertUndoesTheScaling() {
        let y = Tensor([[10], [20], [60]])
        let forward = Normalization(adaptingTo: y), back = Normalization(adaptingTo: y, invert: true)
        expectClose(back(forward(y)), y, atol: 1e-4)
        expectClose(back(Tensor([[0]])), [30], atol: 1e-5)
    }

    @Test func gradientsPassThroughBothDirections() {
        let data = Tensor.normal([8, 3]) * 4 + 2
        for invert in [false, true] {
            let norm = Normalization(adaptingTo: data, invert: invert)
            let result = gradcheck({ norm($0[0]) }, at: [Tensor.normal([5, 3])])
            #expect(result.passed, "\(result)")
        }
    }

    @Test func roundTripsAndChecksItsInput() throws {
        let norm = Normalization(adaptingTo: Tensor([[1, 2], [3, 6]]))
        let copy = try LayerRegistry.make(from: try LayerRegistry.describe(norm)) as! Normalization
        #expect(copy.features == 2 && copy.mean.shape == [2] && !copy.invert)
        #expect(try norm.checkedOutputShape(for: [4, 2]) == [4, 2])
        #expect(throws: ShapeError.self) { try norm.checkedOutputShape(for: [4, 3]) }
    }

    @Test func usingItUnadaptedSaysSo() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Normalization()(Tensor.zeros([2, 3]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("Normalization: call adapt(_:) before using the layer"))
    }
}

@Suite struct ParallelLayerTests {
    @Test func combinesBranchesBySumMeanAndConcatenation() {
        let a = Linear(3, 2), b = Linear(3, 2), c = Linear(3, 4)
        let x = Tensor.normal([5, 3])
        expectClose(Parallel([a, b], combine: .sum)(x), a(x) + b(x), atol: 1e-6)
        expectClose(Parallel([a, b], combine: .mean)(x), (a(x) + b(x)) / 2, atol: 1e-6)
        let joined = Parallel([a, c], combine: .concatenate)(x)
        #expect(joined.shape == [5, 6])
        expectClose(joined, Tensor.concat([a(x), c(x)], along: 1), atol: 0)
        #expect(Parallel([a, b], combine: .sum).namedParameters.map(\.name) == ["branches.0.weight", "branches.0.bias", "branches.1.weight", "branches.1.bias"])
    }

    @Test func gradientsReachEveryBranch() {
        let a = Linear(3, 2), b = Sequential { Linear(3, 4); Tanh(); Linear(4, 2) }
        for combine in [Parallel.Combination.sum, .mean, .concatenate] {
            let net = Parallel([a, b], combine: combine)
            let result = gradcheck({ net($0[0]) }, at: [Tensor.normal([4, 3])])
            #expect(result.passed, "\(combine): \(result)")
        }
    }

    @Test func roundTripsAndInfersShapes() throws {
        let net = Parallel([Dense(2, inputFeatures: 3), Sequential { Dense(4, activation: .relu, inputFeatures: 3); Dense(2) }], combine: .mean)
        let copy = try LayerRegistry.make(from: try LayerRegistry.describe(net)) as! Parallel
        #expect(copy.combine == .mean && copy.branches.count == 2)
        #expect(try Parallel([Linear(3, 2), Linear(3, 5)], combine: .concatenate).checkedOutputShape(for: [7, 3]) == [7, 7])
        #expect(throws: ShapeError.self) { try Parallel([Linear(3, 2), Linear(3, 5)], combine: .sum).checkedOutputShape(for: [7, 3]) }
        #expect(throws: LayerConfigurationError.self) { try LayerRegistry.make(from: ["type": "Parallel", "combine": "max", "branches": [] as [any Sendable]]) }
    }
}
