import Foundation
import Layers
import TensorCore
import TestSupport
import Testing

/// Values computed by PyTorch (Fixtures/make_attention_fixtures.py).
struct AttentionFixture: Decodable {
    let x, q, k, v, mask, memory, output, r, grad_x, grad_memory: FixtureTensor?
    let lengths: [Int]?
    let weights: [String: FixtureTensor]?

    static let all: [String: AttentionFixture] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/attention.json")
        return try! JSONDecoder().decode([String: AttentionFixture].self, from: Data(contentsOf: url))
    }()

    func load(into layer: any Layer) {
        let parameters = Dictionary(uniqueKeysWithValues: layer.namedParameters)
        for (name, value) in weights! {
            guard let parameter = parameters[name] else {
                Issue.record("no parameter \(name) in \(layer)")
                continue
            }
            parameter.value = value.tensor
        }
    }
}

@Suite struct AttentionTests {
    @Test func scaledDotProductAttentionMatchesPyTorch() {
        let masked = AttentionFixture.all["sdpa_masked"]!
        let (output, weights) = scaledDotProductAttention(
            query: masked.q!.tensor, key: masked.k!.tensor, value: masked.v!.tensor, mask: masked.mask!.tensor)
        expectClose(output, floats(masked.output!.values), atol: 1e-5)
        // Weights sum to one and blocked keys get none.
        expectClose(weights.sum(along: 2), [Float](repeating: 1, count: 6), atol: 1e-6)
        #expect(weights.sliced(along: 0, from: 1).sliced(along: 2, from: 2).scalars.allSatisfy { $0 == 0 })
        let causal = AttentionFixture.all["sdpa_causal"]!
        expectClose(scaledDotProductAttention(query: causal.q!.tensor, key: causal.k!.tensor, value: causal.v!.tensor,
                                              causal: true).output,
                    floats(causal.output!.values), atol: 1e-5)
    }

    @Test func masksMarkWhatMayBeAttended() {
        #expect(causalMask(queries: 2, keys: 3).scalars == [1, 1, 0, 1, 1, 1])
        #expect(paddingMask(lengths: [1, 3], maxLength: 3).scalars == [1, 0, 0, 1, 1, 1])
        // A fully blocked row is uniform, not NaN.
        let w = scaledDotProductAttention(query: .ones([1, 1, 2]), key: .ones([1, 2, 2]), value: .ones([1, 2, 1]),
                                          mask: .zeros([1, 1, 2])).weights
        #expect(w.scalars == [0.5, 0.5])
    }

    @Test func multiHeadAttentionWithPaddingAndCausalMasksMatchesPyTorch() {
        let f = AttentionFixture.all["mha"]!
        let mha = MultiHeadAttention(dim: 8, heads: 2)
        f.load(into: mha)
        var x = f.x!.tensor
        x.requiresGrad = true
        let y = mha(query: x, key: x, value: x, mask: paddingMask(lengths: f.lengths!, maxLength: 4), causal: true)
        // PyTorch gives NaN rows where every key is blocked; ours are finite. None here.
        expectClose(y, floats(f.output!.values), atol: 1e-5)
        (y * f.r!.tensor).sum().backward()
        expectClose(x.grad!, floats(f.grad_x!.values), atol: 1e-5)
    }

    @Test("Transformer blocks match PyTorch's layers", arguments: ["pre", "post"])
    func transformerBlocksMatchPyTorch(_ norm: String) {
        let encoderCase = AttentionFixture.all["encoder_\(norm)"]!
        let encoder = TransformerEncoderBlock(dim: 8, heads: 2, feedForwardDim: 16, normFirst: norm == "pre")
        encoderCase.load(into: encoder)
        var x = encoderCase.x!.tensor
        x.requiresGrad = true
        let y = encoder(x, mask: paddingMask(lengths: encoderCase.lengths!, maxLength: 5))
        (y * encoderCase.r!.tensor).sum().backward()
        // PyTorch's fast path zeroes padded query rows of the output; compare the valid rows.
        let valid = [Float](repeating: 1, count: 5 * 8) + [Float](repeating: 1, count: 3 * 8) + [Float](repeating: 0, count: 2 * 8)
        expectClose(y * Tensor(valid, shape: [2, 5, 8]), zip(floats(encoderCase.output!.values), valid).map { $0 * $1 }, atol: 1e-5)
        expectClose(x.grad!, floats(encoderCase.grad_x!.values), atol: 1e-5)

        let decoderCase = AttentionFixture.all["decoder_\(norm)"]!
        let decoder = TransformerDecoderBlock(dim: 8, heads: 2, feedForwardDim: 16, normFirst: norm == "pre")
        decoderCase.load(into: decoder)
        var t = decoderCase.x!.tensor, memory = decoderCase.memory!.tensor
        t.requiresGrad = true
        memory.requiresGrad = true
        let z = decoder(t, memory: memory, memoryMask: paddingMask(lengths: decoderCase.lengths!, maxLength: 5))
        expectClose(z, floats(decoderCase.output!.values), atol: 1e-5)
        (z * decoderCase.r!.tensor).sum().backward()
        expectClose(t.grad!, floats(decoderCase.grad_x!.values), atol: 1e-5)
        expectClose(memory.grad!, floats(decoderCase.grad_memory!.values), atol: 1e-5)
    }

    @Test func attentionGradientsMatchFiniteDifferences() {
        let q = Random.withSeed(1) { Tensor.uniform([2, 3, 4], low: -1, high: 1) }
        let k = Random.withSeed(2) { Tensor.uniform([2, 3, 4], low: -1, high: 1) }
        let v = Random.withSeed(3) { Tensor.uniform([2, 3, 2], low: -1, high: 1) }
        let mask = paddingMask(lengths: [3, 2], maxLength: 3)
        let sdpa = gradcheck({ scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: mask, causal: true).output },
                             at: [q, k, v])
        #expect(sdpa.passed, "\(sdpa)")

        let additive = Random.withSeed(4) { AdditiveAttention(queryDim: 3, keyDim: 4, hidden: 5) }
        let parameters = additive.parameters
        let query = Random.withSeed(5) { Tensor.uniform([2, 3], low: -1, high: 1) }
        let bahdanau = gradcheck({ xs in
            for (p, value) in zip(parameters, xs.dropFirst(2)) { p.value = value }
            return additive.attend(query: xs[0], keys: xs[1], values: xs[1], mask: Tensor([[1, 1, 1], [1, 1, 0]])).context
        }, at: [query, k.sliced(along: 2, from: 0, to: 4)] + parameters.map(\.value))
        #expect(bahdanau.passed, "\(bahdanau)")
    }

    @Test func additiveAttentionWeightsAreADistributionOverUnmaskedKeys() {
        let attention = Random.withSeed(0) { AdditiveAttention(queryDim: 2, keyDim: 3, hidden: 4) }
        let keys = Random.withSeed(1) { Tensor.uniform([2, 4, 3], low: -1, high: 1) }
        let (context, weights) = attention.attend(query: .ones([2, 2]), keys: keys, values: keys,
                                                  mask: Tensor([[1, 1, 1, 1], [1, 0, 1, 0]]))
        #expect(context.shape == [2, 3])
        expectClose(weights.sum(along: 1), [1, 1], atol: 1e-6)
        #expect(weights.scalars[5] == 0 && weights.scalars[7] == 0)
    }

    @Test func positionalEncodings() {
        let sinusoid = SinusoidalPositionalEncoding(maxLength: 10, dim: 4)
        let y = sinusoid(.zeros([1, 3, 4]))
        // Position 1: sin(1), cos(1), sin(1/100), cos(1/100).
        expectClose(y.sliced(along: 1, from: 1, to: 2), [sin(1), cos(1), sin(0.01), cos(0.01)].map(Float.init), atol: 1e-6)
        #expect(sinusoid.parameters.isEmpty)
        let learned = LearnedPositionalEncoding(maxLength: 10, dim: 4)
        #expect(learned.parameters.map(\.shape) == [[10, 4]])
        #expect(TransformerEncoderBlock(dim: 8, heads: 2).description == "TransformerEncoderBlock(dim: 8, heads: 2, pre-norm)")
        #expect(MultiHeadAttention(dim: 8, heads: 4).description == "MultiHeadAttention(dim: 8, heads: 4)")
    }
}
