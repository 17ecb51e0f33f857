import Testing
import TensorCore
import TestSupport

/// One differentiable operation and the inputs to check it at.
struct GradCase: CustomTestStringConvertible, Sendable {
    let name: String
    let inputs: @Sendable () -> [Tensor]
    let f: @Sendable ([Tensor]) -> Tensor
    var testDescription: String { name }

    init(_ name: String, _ inputs: @escaping @Sendable () -> [Tensor], _ f: @escaping @Sendable ([Tensor]) -> Tensor) {
        self.name = name
        self.inputs = inputs
        self.f = f
    }
}

/// Values in [-2, 2] for a given seed.
func values(_ shape: Shape, seed: UInt64 = 1, low: Float = -2, high: Float = 2) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, using: &rng)
}

/// Distinct values at least 0.13 apart and at least 0.065 away from zero, shuffled: no ties
/// and no kinks within the finite-difference step.
func distinct(_ shape: Shape, seed: UInt64 = 2) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let n = shape.elementCount
    let order = Tensor.permutation(n, using: &rng).scalars
    return Tensor(order.map { ($0 - Float(n) / 2 + 0.5) * 0.13 }, shape: shape)
}

func indices(_ values: [Int], shape: Shape? = nil) -> Tensor { Tensor(integers: values, shape: shape) }

/// Every differentiable operation, primitive or composite, with inputs away from its kinks.
let gradCases: [GradCase] = [
    // Elementwise, one argument
    GradCase("negate", { [values([3, 4])] }) { -$0[0] },
    GradCase("exp", { [values([3, 4])] }) { exp($0[0]) },
    GradCase("log", { [values([3, 4], low: 0.5, high: 3)] }) { log($0[0]) },
    GradCase("log1p", { [values([3, 4], low: -0.5, high: 3)] }) { log1p($0[0]) },
    GradCase("sqrt", { [values([3, 4], low: 0.5, high: 3)] }) { sqrt($0[0]) },
    GradCase("rsqrt", { [values([3, 4], low: 0.5, high: 3)] }) { rsqrt($0[0]) },
    GradCase("sin", { [values([3, 4])] }) { sin($0[0]) },
    GradCase("cos", { [values([3, 4])] }) { cos($0[0]) },
    GradCase("tanh", { [values([3, 4])] }) { tanh($0[0]) },
    GradCase("sigmoid", { [values([3, 4], low: -6, high: 6)] }) { sigmoid($0[0]) },
    GradCase("erf", { [values([3, 4])] }) { erf($0[0]) },
    GradCase("abs", { [distinct([3, 4])] }) { abs($0[0]) },
    GradCase("relu", { [distinct([3, 4])] }) { relu($0[0]) },
    GradCase("leakyRelu", { [distinct([3, 4])] }) { leakyRelu($0[0], negativeSlope: 0.1) },
    GradCase("elu", { [distinct([3, 4])] }) { elu($0[0], alpha: 1.5) },
    GradCase("gelu", { [values([3, 4])] }) { gelu($0[0]) },
    GradCase("gelu tanh", { [values([3, 4])] }) { gelu($0[0], approximate: true) },
    GradCase("softplus", { [values([3, 4], low: -5, high: 5)] }) { softplus($0[0]) },
    GradCase("squared", { [values([3, 4])] }) { $0[0].squared() },
    GradCase("clamped", { [distinct([3, 4])] }) { $0[0].clamped(min: -0.5, max: 0.6) },
    // Elementwise, two arguments, with broadcasting
    GradCase("add", { [values([3, 4]), values([3, 4], seed: 9)] }) { $0[0] + $0[1] },
    GradCase("add broadcast row", { [values([3, 4]), values([4], seed: 9)] }) { $0[0] + $0[1] },
    GradCase("subtract broadcast both", { [values([2, 1, 4]), values([3, 1], seed: 9)] }) { $0[0] - $0[1] },
    GradCase("multiply", { [values([3, 4]), values([3, 4], seed: 9)] }) { $0[0] * $0[1] },
    GradCase("multiply scalar tensor", { [values([3, 4]), values([], seed: 9)] }) { $0[0] * $0[1] },
    GradCase("divide", { [values([3, 4]), values([3, 4], seed: 9, low: 0.5, high: 2)] }) { $0[0] / $0[1] },
    GradCase("divide by float", { [values([3, 4])] }) { 3 / ($0[0] * $0[0] + 1) },
    GradCase("pow", { [values([3, 4], low: 0.5, high: 2), values([3, 4], seed: 9)] }) { pow($0[0], $0[1]) },
    GradCase("pow scalar", { [values([3, 4])] }) { pow($0[0], 3) },
    GradCase("maximum", { [distinct([3, 4]), distinct([3, 4], seed: 5) + 0.05] }) { maximum($0[0], $0[1]) },
    GradCase("minimum", { [distinct([3, 4]), distinct([3, 4], seed: 5) + 0.05] }) { minimum($0[0], $0[1]) },
    GradCase("select", { [values([3, 4]), values([4], seed: 9)] }) {
        select(Tensor([1, 0, 0, 1]), $0[0], $0[1])
    },
    // Reductions
    GradCase("sum all", { [values([3, 4])] }) { $0[0].sum() },
    GradCase("sum axis", { [values([2, 3, 4])] }) { $0[0].sum(along: 1) },
    GradCase("sum axes keepingDims", { [values([2, 3, 4])] }) { $0[0].sum(along: 0, 2, keepingDims: true) },
    GradCase("mean", { [values([2, 3, 4])] }) { $0[0].mean(along: -1) },
    GradCase("max axis", { [distinct([3, 5])] }) { $0[0].max(along: 1) },
    GradCase("min axes", { [distinct([2, 3, 4])] }) { $0[0].min(along: 0, 2) },
    GradCase("max all", { [distinct([3, 4])] }) { $0[0].max() },
    GradCase("variance", { [values([3, 5])] }) { $0[0].variance(along: 1) },
    GradCase("standardDeviation", { [values([3, 5])] }) { $0[0].standardDeviation(along: 0, correction: 0) },
    GradCase("logSumExp", { [values([3, 5])] }) { $0[0].logSumExp(along: 1) },
    GradCase("softmax", { [values([3, 5])] }) { softmax($0[0], along: 1) },
    GradCase("softmax middle axis", { [values([2, 3, 4])] }) { softmax($0[0], along: 1) },
    GradCase("softmax long rows", { [values([2, 19])] }) { softmax($0[0], along: 1) },
    GradCase("logSoftmax", { [values([3, 5])] }) { logSoftmax($0[0], along: 0) },
    // Matrix products
    GradCase("matmul", { [values([3, 4]), values([4, 5], seed: 9)] }) { matmul($0[0], $0[1]) },
    GradCase("matmul batched", { [values([2, 3, 4]), values([2, 4, 5], seed: 9)] }) { matmul($0[0], $0[1]) },
    GradCase("matmul rows x matrix", { [values([2, 3, 4]), values([4, 5], seed: 9)] }) { matmul($0[0], $0[1]) },
    GradCase("matmul broadcast batch", { [values([2, 1, 3, 4]), values([3, 4, 2], seed: 9)] }) { matmul($0[0], $0[1]) },
    GradCase("matmul transposeA", { [values([4, 3]), values([4, 5], seed: 9)] }) {
        matmul($0[0], $0[1], transposeA: true, transposeB: false)
    },
    GradCase("matmul transposeB", { [values([3, 4]), values([5, 4], seed: 9)] }) {
        matmul($0[0], $0[1], transposeA: false, transposeB: true)
    },
    GradCase("matmul both transposed batched", { [values([2, 4, 3]), values([2, 5, 4], seed: 9)] }) {
        matmul($0[0], $0[1], transposeA: true, transposeB: true)
    },
    GradCase("linear", { [values([2, 3, 4]), values([5, 4], seed: 9), values([5], seed: 10)] }) {
        linear($0[0], weight: $0[1], bias: $0[2])
    },
    GradCase("matmul vector", { [values([4]), values([4, 3], seed: 9)] }) { matmul($0[0], $0[1]) },
    // Shape operations
    GradCase("reshaped", { [values([3, 4])] }) { $0[0].reshaped(to: [2, -1]) * Tensor.arange(to: 6) },
    GradCase("flattened", { [values([2, 3, 4])] }) { $0[0].flattened(from: 1) * Tensor.arange(to: 12) },
    GradCase("unsqueezed squeezed", { [values([3, 4])] }) { $0[0].unsqueezed(at: 1).squeezed(at: 1) },
    GradCase("expanded", { [values([3, 1])] }) { $0[0].expanded(to: [2, 3, 4]) },
    GradCase("permuted", { [values([2, 3, 4])] }) { $0[0].permuted(2, 0, 1) },
    GradCase("transposed", { [values([3, 4])] }) { $0[0].transposed() },
    GradCase("sliced with stride", { [values([3, 7])] }) { $0[0].sliced(along: 1, from: 1, to: 6, stride: 2) },
    GradCase("subscript", { [values([3, 4])] }) { $0[0][1] + $0[0][-1] },
    GradCase("padded", { [values([2, 3])] }) { $0[0].padded(with: [(1, 0), (2, 1)], value: 0.5) },
    GradCase("concat", { [values([2, 3]), values([2, 2], seed: 9)] }) { Tensor.concat([$0[0], $0[1]], along: 1) },
    GradCase("stack", { [values([2, 3]), values([2, 3], seed: 9)] }) { Tensor.stack([$0[0], $0[1]], along: 1) },
    GradCase("split", { [values([5, 2])] }) { xs in
        let parts = xs[0].split(sizes: [2, 3])
        return parts[0].sum(along: 0) * parts[1].mean(along: 0)
    },
    GradCase("chunked", { [values([2, 5])] }) { $0[0].chunked(into: 2, along: 1)[1] },
    // Indexing
    GradCase("gathering", { [values([3, 4])] }) {
        $0[0].gathering(along: 1, indices: indices([0, 3, 3, 1, 2, 2], shape: [3, 2]))
    },
    GradCase("scatteringAdd", { [values([3, 4]), values([3, 2], seed: 9)] }) {
        $0[0].scatteringAdd(along: 1, indices: indices([0, 3, 3, 3, 2, 1], shape: [3, 2]), source: $0[1])
    },
    GradCase("selecting", { [values([4, 3])] }) { $0[0].selecting(along: 0, indices: indices([3, 0, 3])) },
    GradCase("indexAdding", { [values([4, 3]), values([2, 3], seed: 9)] }) {
        $0[0].indexAdding(along: 0, indices: indices([1, 1]), source: $0[1])
    },
    // Convolution and pooling (NCHW)
    GradCase("conv2d valid", { [values([2, 3, 5, 6]), values([4, 3, 3, 2], seed: 9)] }) { conv2d($0[0], $0[1]) },
    GradCase("conv2d same bias", { [values([2, 2, 5, 5]), values([3, 2, 3, 3], seed: 9), values([3], seed: 10)] }) {
        conv2d($0[0], $0[1], bias: $0[2], padding: .same)
    },
    GradCase("conv2d stride padding", { [values([1, 2, 7, 6]), values([2, 2, 3, 3], seed: 9)] }) {
        conv2d($0[0], $0[1], stride: (2, 2), padding: .explicit(top: 1, bottom: 0, left: 2, right: 1))
    },
    GradCase("conv2d dilation", { [values([1, 2, 7, 7]), values([2, 2, 3, 2], seed: 9)] }) {
        conv2d($0[0], $0[1], dilation: (2, 3))
    },
    GradCase("conv2d groups", { [values([2, 4, 5, 5]), values([6, 2, 3, 3], seed: 9)] }) {
        conv2d($0[0], $0[1], padding: .same, groups: 2)
    },
    GradCase("conv2d depthwise", { [values([1, 3, 4, 5]), values([3, 1, 2, 2], seed: 9)] }) {
        conv2d($0[0], $0[1], groups: 3)
    },
    GradCase("conv1d", { [values([2, 3, 9]), values([2, 3, 3], seed: 9), values([2], seed: 10)] }) {
        conv1d($0[0], $0[1], bias: $0[2], stride: 2, padding: .same)
    },
    GradCase("convTranspose2d", { [values([2, 3, 3, 4]), values([3, 2, 3, 3], seed: 9), values([2], seed: 10)] }) {
        convTranspose2d($0[0], $0[1], bias: $0[2], stride: (2, 2), padding: (1, 1), outputPadding: (1, 0))
    },
    GradCase("convTranspose2d groups", { [values([1, 4, 3, 3]), values([4, 1, 2, 2], seed: 9)] }) {
        convTranspose2d($0[0], $0[1], dilation: (2, 1), groups: 2)
    },
    GradCase("batchNormalized", { [values([3, 2, 2, 2]), values([2], seed: 9), values([2], seed: 10)] }) {
        batchNormalized($0[0], gamma: $0[1], beta: $0[2]).output
    },
    GradCase("batchNormalized [N, C]", { [values([5, 3])] }) {
        batchNormalized($0[0], gamma: Tensor([1, 2, -1]), beta: Tensor([0, 1, 0])).output
    },
    // A partial vector (13 = 8 + 5), and two normalized axes (2 x 6).
    GradCase("layerNormalized", { [values([3, 13]), values([13], seed: 9), values([13], seed: 10)] }) {
        layerNormalized($0[0], gamma: $0[1], beta: $0[2])
    },
    GradCase("layerNormalized [2, 6]", { [values([2, 3, 2, 6]), values([2, 6], seed: 9), values([2, 6], seed: 10)] }) {
        layerNormalized($0[0], gamma: $0[1], beta: $0[2]) * values([2, 3, 2, 6], seed: 11)
    },
    GradCase("maxPool2d", { [distinct([2, 2, 5, 6])] }) { maxPool2d($0[0], kernelSize: (2, 2)) },
    GradCase("maxPool2d overlapping padded", { [distinct([1, 2, 5, 5])] }) {
        maxPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), padding: .symmetric(1, 1))
    },
    GradCase("avgPool2d", { [values([2, 2, 4, 6])] }) { avgPool2d($0[0], kernelSize: (2, 3)) },
    GradCase("avgPool2d padded", { [values([1, 2, 5, 5])] }) {
        avgPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), padding: .symmetric(1, 1), countIncludePad: false)
    },
    GradCase("maxPool1d avgPool1d", { [distinct([2, 2, 8])] }) {
        maxPool1d($0[0], kernelSize: 2) + avgPool1d($0[0], kernelSize: 2)
    },
    GradCase("lstmRecurrence", { [values([2, 3, 12]), values([12, 3], seed: 9, low: -1, high: 1),
                                  values([2, 3], seed: 10), values([2, 3], seed: 11)] }) {
        lstmRecurrence($0[0], weightHH: $0[1], h0: $0[2], c0: $0[3])
    },
    GradCase("lstmRecurrence, one vector and a tail", { [values([2, 2, 36]), values([36, 9], seed: 9, low: -0.5, high: 0.5),
                                                        values([2, 9], seed: 10), values([2, 9], seed: 11)] }) {
        lstmRecurrence($0[0], weightHH: $0[1], h0: $0[2], c0: $0[3])
    },
    // A composite: a two-layer network with a cross-entropy loss.
    GradCase("mlp cross-entropy", { [values([4, 3]), values([3, 5], seed: 9), values([5], seed: 10)] }) { xs in
        let logits = matmul(tanh(matmul(xs[0], xs[1]) + xs[2]), Tensor.eye(5))
        let labels = indices([0, 4, 2, 1], shape: [4, 1])
        return -logSoftmax(logits, along: 1).gathering(along: 1, indices: labels).mean()
    },
]

@Test("gradient matches central differences", arguments: gradCases)
func gradientMatchesFiniteDifferences(_ c: GradCase) {
    let result = gradcheck(c.f, at: c.inputs())
    #expect(result.passed, "\(c.name): \(result)")
}

/// The fused layer norm against its composition (two means, rsqrt, affine) on enough rows that
/// both cores take a share and their dγ and dβ sums are added.
@Test func layerNormalizedMatchesItsCompositionAcrossCores() {
    let (x, gamma, beta) = (values([9000, 8]), values([8], seed: 9), values([8], seed: 10))
    let weights = values([9000, 8], seed: 11)
    func composed(_ t: [Tensor]) -> Tensor {
        let centered = t[0] - t[0].mean(along: [1], keepingDims: true)
        let variance = centered.squared().mean(along: [1], keepingDims: true)
        return ((centered * rsqrt(variance + 1e-5) * t[1] + t[2]) * weights).sum()
    }
    let fused = valueWithGradient(at: [x, gamma, beta]) { (layerNormalized($0[0], gamma: $0[1], beta: $0[2]) * weights).sum() }
    let reference = valueWithGradient(at: [x, gamma, beta], of: composed)
    expectClose(fused.value, reference.value, atol: 1e-2, rtol: 1e-4)
    for (a, b) in zip(fused.gradients, reference.gradients) { expectClose(a, b, atol: 2e-3, rtol: 1e-4) }
}

/// The checker itself must catch a wrong rule: a function whose recorded gradient is off.
@Test func gradcheckDetectsAWrongGradient() {
    // x * detached(x): the tape sees only one factor, so the gradient is half the true one.
    let result = gradcheck({ $0[0] * $0[0].detached() }, at: [values([3])])
    #expect(!result.passed)
}
