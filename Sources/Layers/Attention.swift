import Foundation
import TensorCore

// MARK: Attention functions

/// `softmax(q kᵀ / √d) v` over the last two axes, with blocked positions taking no weight.
///
/// Shape: query `[B, Lq, d]`, key `[B, Lk, d]`, value `[B, Lk, dv]` -> output `[B, Lq, dv]` and
/// weights `[B, Lq, Lk]`. `mask`, broadcastable to `[B, Lq, Lk]`, holds 1 where a query may attend
/// to a key and 0 where it may not; `causal` also blocks keys after the query's position (key j is
/// visible to query i when j ≤ i + Lk - Lq). A row with every key blocked gets uniform weights
/// rather than NaN.
public func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil, causal: Bool = false
) -> (output: Tensor, weights: Tensor) {
    require(query.rank == 3 && key.rank == 3 && value.rank == 3 && query.shape[2] == key.shape[2]
                 && key.shape[1] == value.shape[1] && query.shape[0] == key.shape[0] && key.shape[0] == value.shape[0],
                 "scaledDotProductAttention: query \(query.shape), key \(key.shape) and value \(value.shape) "
                 + "should be [B, Lq, d], [B, Lk, d] and [B, Lk, dv]")
    var scores = matmul(query, key, transposeA: false, transposeB: true) * (1 / Float(query.shape[2]).squareRoot())
    var allowed = mask
    if causal {
        let triangle = causalMask(queries: query.shape[1], keys: key.shape[1])
        allowed = allowed.map { $0 * triangle } ?? triangle
    }
    if let allowed {
        // A large negative bias rather than -inf: fully blocked rows stay finite.
        scores = scores + (allowed - 1) * 1e9
    }
    let weights = softmax(scores, along: -1)
    return (matmul(weights, value), weights)
}

/// `[Lq, Lk]` with 1 where key j is visible to query i, j ≤ i + (Lk - Lq).
public func causalMask(queries: Int, keys: Int) -> Tensor {
    let offset = keys - queries
    return Tensor((0..<(queries * keys)).map { Float($0 % keys <= $0 / keys + offset ? 1 : 0) }, shape: [queries, keys])
}

/// `[N, 1, L]` with 1 at the first `lengths[n]` keys of each sequence: a padding mask for
/// attention over right-padded batches.
public func paddingMask(lengths: [Int], maxLength: Int) -> Tensor {
    require(lengths.allSatisfy { (0...maxLength).contains($0) }, "paddingMask: lengths \(lengths) must be in 0...\(maxLength)")
    return Tensor(lengths.flatMap { length in (0..<maxLength).map { Float($0 < length ? 1 : 0) } },
                  shape: [lengths.count, 1, maxLength])
}

// MARK: Layers

/// Multi-head attention as in "Attention Is All You Need" and PyTorch's `MultiheadAttention`
/// (batch first): queries, keys and values projected by `Linear(dim, dim)` layers, split into
/// `heads` heads of `dim / heads`, attended separately, concatenated and projected again.
///
/// Shape: query `[N, Lq, dim]`, key and value `[N, Lk, dim]` -> `[N, Lq, dim]`. The mask is
/// broadcastable to `[N, Lq, Lk]` (1 = may attend); see `paddingMask` and `causalMask`.
public final class MultiHeadAttention: Layer {
    public let dim: Int, heads: Int
    public let query: Linear, key: Linear, value: Linear, output: Linear
    public let dropout: Dropout

    public init(dim: Int, heads: Int, dropout: Float = 0) {
        require(dim > 0 && heads > 0 && dim % heads == 0, "MultiHeadAttention: dim \(dim) must be a positive multiple of heads \(heads)")
        self.dim = dim
        self.heads = heads
        query = Linear(dim, dim, weightInitializer: .glorotUniform(), biasInitializer: .zeros)
        key = Linear(dim, dim, weightInitializer: .glorotUniform(), biasInitializer: .zeros)
        value = Linear(dim, dim, weightInitializer: .glorotUniform(), biasInitializer: .zeros)
        output = Linear(dim, dim, biasInitializer: .zeros)
        self.dropout = Dropout(rate: dropout)
    }

    /// Self-attention without a mask.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(query: input, key: input, value: input) }

    public func callAsFunction(query q: Tensor, key k: Tensor, value v: Tensor, mask: Tensor? = nil, causal: Bool = false) -> Tensor {
        require(q.rank == 3 && k.rank == 3 && v.rank == 3 && q.shape[2] == dim && k.shape[2] == dim && v.shape[2] == dim
                     && k.shape[1] == v.shape[1],
                     "MultiHeadAttention(dim: \(dim)): query \(q.shape), key \(k.shape), value \(v.shape) should be [N, L, \(dim)]")
        let (n, lq, lk) = (q.shape[0], q.shape[1], k.shape[1])
        let headDim = dim / heads
        // [N, L, dim] -> [N * heads, L, headDim]
        func split(_ x: Tensor, _ length: Int) -> Tensor {
            x.reshaped(to: [n, length, heads, headDim]).permuted(0, 2, 1, 3).reshaped(to: [n * heads, length, headDim])
        }
        // Each head sees the same mask: [N, Lq|1, Lk] -> [N * heads, Lq|1, Lk].
        let headMask = mask.map { m -> Tensor in
            let m3 = m.rank == 2 ? m.unsqueezed(at: 0) : m
            if m3.shape[0] == 1 { return m3 }
            return m3.unsqueezed(at: 1).expanded(to: [n, heads, m3.shape[1], m3.shape[2]])
                .reshaped(to: [n * heads, m3.shape[1], m3.shape[2]])
        }
        let attended = scaledDotProductAttention(
            query: split(query(q), lq), key: split(key(k), lk), value: split(value(v), lk), mask: headMask, causal: causal).output
        let merged = attended.reshaped(to: [n, heads, lq, headDim]).permuted(0, 2, 1, 3).reshaped(to: [n, lq, dim])
        return dropout(output(merged))
    }

    public var description: String { "MultiHeadAttention(dim: \(dim), heads: \(heads))" }
}

/// Additive (Bahdanau) attention: `score(q, kⱼ) = vᵀ tanh(W_q q + W_k kⱼ)`, softmax over keys,
/// the weighted sum of values.
///
/// Shape: query `[N, queryDim]`, keys `[N, L, keyDim]`, values `[N, L, dv]` -> context `[N, dv]`
/// and weights `[N, L]`; `mask` `[N, L]` (1 = may attend).
public final class AdditiveAttention: Layer {
    public let queryProjection: Linear, keyProjection: Linear, score: Linear

    public init(queryDim: Int, keyDim: Int, hidden: Int) {
        queryProjection = Linear(queryDim, hidden, bias: false)
        keyProjection = Linear(keyDim, hidden)
        score = Linear(hidden, 1, bias: false)
    }

    /// Attends from a zero query: `[N, L, keyDim]` keys as values -> `[N, keyDim]`.
    public func callAsFunction(_ keys: Tensor) -> Tensor {
        attend(query: Tensor.zeros([keys.shape[0], queryProjection.inFeatures]), keys: keys, values: keys).context
    }

    /// `keyProjection(keys)` can be computed once per sequence and passed as `projectedKeys`.
    public func attend(query: Tensor, keys: Tensor, values: Tensor, mask: Tensor? = nil, projectedKeys: Tensor? = nil)
        -> (context: Tensor, weights: Tensor)
    {
        require(query.rank == 2 && keys.rank == 3 && values.rank == 3 && keys.shape[1] == values.shape[1],
                     "AdditiveAttention: query \(query.shape), keys \(keys.shape), values \(values.shape) should be [N, q], [N, L, k], [N, L, v]")
        let energy = tanh((projectedKeys ?? keyProjection(keys)) + queryProjection(query).unsqueezed(at: 1))
        var scores = score(energy).squeezed(at: 2)  // [N, L]
        if let mask { scores = scores + (mask - 1) * 1e9 }
        let weights = softmax(scores, along: -1)
        let context = matmul(weights.unsqueezed(at: 1), values).squeezed(at: 1)
        return (context, weights)
    }

    public var description: String {
        "AdditiveAttention(query: \(queryProjection.inFeatures), key: \(keyProjection.inFeatures), hidden: \(score.inFeatures))"
    }
}

/// Fixed sine and cosine position signals added to `[N, L, dim]` inputs ("Attention Is All You
/// Need"): `PE[p, 2i] = sin(p / 10000^(2i/dim))`, `PE[p, 2i+1] = cos(...)`.
public final class SinusoidalPositionalEncoding: Layer {
    public let maxLength: Int, dim: Int
    let table: Tensor

    public init(maxLength: Int, dim: Int) {
        self.maxLength = maxLength
        self.dim = dim
        var values = [Float](repeating: 0, count: maxLength * dim)
        for p in 0..<maxLength {
            for i in 0..<dim {
                let angle = Double(p) / pow(10000, Double(i / 2 * 2) / Double(dim))
                values[p * dim + i] = Float(i % 2 == 0 ? sin(angle) : cos(angle))
            }
        }
        table = Tensor(values, shape: [maxLength, dim])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank == 3 && input.shape[1] <= maxLength && input.shape[2] == dim,
                     "SinusoidalPositionalEncoding(maxLength: \(maxLength), dim: \(dim)): input \(input.shape) should be [N, ≤\(maxLength), \(dim)]")
        return input + table.sliced(along: 0, from: 0, to: input.shape[1])
    }

    public var description: String { "SinusoidalPositionalEncoding(maxLength: \(maxLength), dim: \(dim))" }
}

/// A learned vector per position added to `[N, L, dim]` inputs (GPT-style), initialized from
/// N(0, 0.02²).
public final class LearnedPositionalEncoding: Layer {
    public let maxLength: Int, dim: Int
    /// Shape: `[maxLength, dim]`.
    public let weight: Parameter

    public init(maxLength: Int, dim: Int) {
        self.maxLength = maxLength
        self.dim = dim
        weight = Parameter(Initializer.normal(std: 0.02).make([maxLength, dim]))
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank == 3 && input.shape[1] <= maxLength && input.shape[2] == dim,
                     "LearnedPositionalEncoding(maxLength: \(maxLength), dim: \(dim)): input \(input.shape) should be [N, ≤\(maxLength), \(dim)]")
        return input + weight.value.sliced(along: 0, from: 0, to: input.shape[1])
    }

    public var description: String { "LearnedPositionalEncoding(maxLength: \(maxLength), dim: \(dim))" }
}

/// `Linear(dim, hidden)`, GELU, `Linear(hidden, dim)`: the feed-forward half of a Transformer block.
func positionwiseFeedForward(dim: Int, hidden: Int) -> Sequential {
    Sequential {
        Linear(dim, hidden)
        GELU()
        Linear(hidden, dim)
    }
}

/// A Transformer encoder block: self-attention and a two-layer GELU feed-forward network, each
/// with a residual connection and LayerNorm, the norm before each sub-layer (`normFirst`, as in
/// GPT-2) or after the residual sum (the original post-norm).
///
/// Shape: `[N, L, dim] -> [N, L, dim]`.
public final class TransformerEncoderBlock: Layer {
    public let attention: MultiHeadAttention
    public let norm1: LayerNorm, norm2: LayerNorm
    public let feedForward: Sequential
    public let dropout: Dropout
    public let normFirst: Bool

    public init(dim: Int, heads: Int, feedForwardDim: Int? = nil, dropout: Float = 0, normFirst: Bool = true) {
        attention = MultiHeadAttention(dim: dim, heads: heads, dropout: dropout)
        norm1 = LayerNorm([dim])
        norm2 = LayerNorm([dim])
        feedForward = positionwiseFeedForward(dim: dim, hidden: feedForwardDim ?? 4 * dim)
        self.dropout = Dropout(rate: dropout)
        self.normFirst = normFirst
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, mask: nil) }

    /// `mask` as for `MultiHeadAttention`; `causal` for decoder-only (GPT-style) stacks.
    public func callAsFunction(_ x: Tensor, mask: Tensor?, causal: Bool = false) -> Tensor {
        if normFirst {
            let h = norm1(x)
            let y = x + attention(query: h, key: h, value: h, mask: mask, causal: causal)
            return y + dropout(feedForward(norm2(y)))
        }
        let y = norm1(x + attention(query: x, key: x, value: x, mask: mask, causal: causal))
        return norm2(y + dropout(feedForward(y)))
    }

    public var description: String {
        "TransformerEncoderBlock(dim: \(attention.dim), heads: \(attention.heads), \(normFirst ? "pre-norm" : "post-norm"))"
    }
}

/// A Transformer decoder block: causal self-attention, attention over the encoder's output
/// (`memory`), and a feed-forward network, each with a residual connection and LayerNorm (pre- or
/// post-norm as in `TransformerEncoderBlock`).
///
/// Shape: target `[N, Lt, dim]`, memory `[N, Ls, dim]` -> `[N, Lt, dim]`.
public final class TransformerDecoderBlock: Layer {
    public let selfAttention: MultiHeadAttention, crossAttention: MultiHeadAttention
    public let norm1: LayerNorm, norm2: LayerNorm, norm3: LayerNorm
    public let feedForward: Sequential
    public let dropout: Dropout
    public let normFirst: Bool

    public init(dim: Int, heads: Int, feedForwardDim: Int? = nil, dropout: Float = 0, normFirst: Bool = true) {
        selfAttention = MultiHeadAttention(dim: dim, heads: heads, dropout: dropout)
        crossAttention = MultiHeadAttention(dim: dim, heads: heads, dropout: dropout)
        norm1 = LayerNorm([dim])
        norm2 = LayerNorm([dim])
        norm3 = LayerNorm([dim])
        feedForward = positionwiseFeedForward(dim: dim, hidden: feedForwardDim ?? 4 * dim)
        self.dropout = Dropout(rate: dropout)
        self.normFirst = normFirst
    }

    /// Decodes with the block's own input as memory (no encoder).
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, memory: input) }

    /// `memoryMask` (broadcastable to `[N, Lt, Ls]`) blocks padded source positions.
    public func callAsFunction(_ x: Tensor, memory: Tensor, memoryMask: Tensor? = nil) -> Tensor {
        if normFirst {
            let h = norm1(x)
            let y = x + selfAttention(query: h, key: h, value: h, causal: true)
            let z = y + crossAttention(query: norm2(y), key: memory, value: memory, mask: memoryMask)
            return z + dropout(feedForward(norm3(z)))
        }
        let y = norm1(x + selfAttention(query: x, key: x, value: x, causal: true))
        let z = norm2(y + crossAttention(query: y, key: memory, value: memory, mask: memoryMask))
        return norm3(z + dropout(feedForward(z)))
    }

    public var description: String {
        "TransformerDecoderBlock(dim: \(selfAttention.dim), heads: \(selfAttention.heads), \(normFirst ? "pre-norm" : "post-norm"))"
    }
}

extension MultiHeadAttention: ConfigurableLayer {
    public static let typeName = "MultiHeadAttention"
    public var configuration: [String: any Sendable] { ["dim": dim, "heads": heads, "dropout": Double(dropout.rate)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (dim, heads) = try attentionSizes(c, of: t)
        try LayerRegistry.reserve([[4, dim, dim + 1]], of: t)
        self.init(dim: dim, heads: heads, dropout: try c.number("dropout", of: t, in: 0...1, openAbove: true))
    }
}

extension AdditiveAttention: ConfigurableLayer {
    public static let typeName = "AdditiveAttention"
    public var configuration: [String: any Sendable] {
        ["queryDim": queryProjection.inFeatures, "keyDim": keyProjection.inFeatures, "hidden": queryProjection.outFeatures]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (q, k, h) = (try c.size("queryDim", of: t), try c.size("keyDim", of: t), try c.size("hidden", of: t))
        try LayerRegistry.reserve([[h, q + k + 2]], of: t)
        self.init(queryDim: q, keyDim: k, hidden: h)
    }
}

extension SinusoidalPositionalEncoding: ConfigurableLayer {
    public static let typeName = "SinusoidalPositionalEncoding"
    public var configuration: [String: any Sendable] { ["maxLength": maxLength, "dim": dim] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (length, dim) = (try c.size("maxLength", of: t), try c.size("dim", of: t))
        // A table the file does not store: bounded on its own (2^26 elements, 256 MiB).
        try checkField(length <= (1 << 26) / dim, t, "maxLength", "times dim \(dim) exceeds 2^26 table elements")
        self.init(maxLength: length, dim: dim)
    }
}

extension LearnedPositionalEncoding: ConfigurableLayer {
    public static let typeName = "LearnedPositionalEncoding"
    public var configuration: [String: any Sendable] { ["maxLength": maxLength, "dim": dim] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (length, dim) = (try c.size("maxLength", of: t), try c.size("dim", of: t))
        try LayerRegistry.reserve([[length, dim]], of: t)
        self.init(maxLength: length, dim: dim)
    }
}

/// The configuration both Transformer blocks share: sizes from their layers, dropout and norm placement.
private func blockConfiguration(_ attention: MultiHeadAttention, _ feedForward: Sequential, _ dropout: Dropout, _ normFirst: Bool)
    -> [String: any Sendable]
{
    ["dim": attention.dim, "heads": attention.heads, "feedForwardDim": (feedForward.layers[0] as! Linear).outFeatures,
     "dropout": Double(dropout.rate), "normFirst": normFirst]
}

/// What `blockConfiguration` wrote, read back.
private func blockFields(_ c: [String: any Sendable], of type: String) throws
    -> (dim: Int, heads: Int, feedForwardDim: Int, dropout: Float, normFirst: Bool)
{
    let (dim, heads) = try attentionSizes(c, of: type)
    let feedForward = try c.size("feedForwardDim", of: type)
    // The attention and feed-forward weights: a lower bound for both blocks (the decoder adds
    // cross-attention), so a file holding the block exactly passes.
    try LayerRegistry.reserve([[4, dim, dim], [2, feedForward, dim]], of: type)
    return (dim, heads, feedForward, try c.number("dropout", of: type, in: 0...1, openAbove: true), try c.field("normFirst", of: type))
}

/// `dim` and `heads` of an attention configuration, `dim` a multiple of `heads`.
private func attentionSizes(_ c: [String: any Sendable], of type: String) throws -> (dim: Int, heads: Int) {
    let (dim, heads) = (try c.size("dim", of: type), try c.size("heads", of: type))
    try checkField(dim % heads == 0, type, "heads", "\(heads) does not divide dim \(dim)")
    return (dim, heads)
}

extension TransformerEncoderBlock: ConfigurableLayer {
    public static let typeName = "TransformerEncoderBlock"
    public var configuration: [String: any Sendable] { blockConfiguration(attention, feedForward, dropout, normFirst) }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let f = try blockFields(c, of: Self.typeName)
        self.init(dim: f.dim, heads: f.heads, feedForwardDim: f.feedForwardDim, dropout: f.dropout, normFirst: f.normFirst)
    }
}

extension TransformerDecoderBlock: ConfigurableLayer {
    public static let typeName = "TransformerDecoderBlock"
    public var configuration: [String: any Sendable] { blockConfiguration(selfAttention, feedForward, dropout, normFirst) }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let f = try blockFields(c, of: Self.typeName)
        self.init(dim: f.dim, heads: f.heads, feedForwardDim: f.feedForwardDim, dropout: f.dropout, normFirst: f.normFirst)
    }
}
