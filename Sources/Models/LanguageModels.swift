import Foundation
import Layers
import TensorCore

/// Next-token models over integer ids: `[N, L]` ids -> `[N, L, vocabulary]` logits, the logits
/// at position t depending only on ids 0...t.
public protocol LanguageModel: Layer {
    var vocabularySize: Int { get }
    /// The longest context the model takes (positions it has encodings for), nil if unbounded.
    var maxContext: Int? { get }

    /// Mean bits per token of `ids` read as one text, each token predicted from as much of the
    /// text before it as the model takes: a recurrent model carries its state through the text,
    /// a windowed one slides its window by half its context. `batchSize` sequences run at once.
    func bitsPerToken(text ids: [Int], batchSize: Int) -> Float

    /// Continues `prompt` by `count` ids, each drawn from the softmax of the next-token logits
    /// divided by `temperature` (0 picks the most likely).
    func sample(prompt: [Int], count: Int, temperature: Float, using generator: inout RandomGenerator) -> [Int]
}

/// Embedding, stacked LSTM layers and a linear read-out (a char-RNN), with dropout (in training
/// mode) on the embeddings and on the LSTM's outputs.
public final class RecurrentLanguageModel: LanguageModel {
    public let embedding: Embedding
    public let lstm: LSTM
    public let dropout: Dropout
    public let head: Linear

    public init(vocabularySize: Int, embeddingDim: Int = 64, hiddenSize: Int = 256, layers: Int = 1, dropout: Float = 0) {
        embedding = Embedding(vocabularySize, embeddingDim)
        lstm = LSTM(embeddingDim, hiddenSize, layers: layers, returnSequences: true)
        self.dropout = Dropout(rate: dropout)
        head = Linear(hiddenSize, vocabularySize)
    }

    public var vocabularySize: Int { embedding.count }
    public var maxContext: Int? { nil }

    public func callAsFunction(_ ids: Tensor) -> Tensor { run(ids).logits }

    /// The logits of `ids` (`[N, L]` -> `[N, L, vocabulary]`) from the LSTM states `states`
    /// (zeros when nil), and the states after the last id: passing them to the next call reads
    /// a longer text in pieces.
    public func run(_ ids: Tensor, states: [[Tensor]]? = nil) -> (logits: Tensor, states: [[Tensor]]) {
        let output = lstm.run(dropout(embedding(ids)), initialStates: states)
        return (head(dropout(output.output)), output.states)
    }

    /// Reads the text as `batchSize` contiguous streams, 256 ids at a time, carrying the state.
    public func bitsPerToken(text ids: [Int], batchSize: Int) -> Float {
        precondition(batchSize > 0 && ids.count > batchSize, "bitsPerToken: need more than \(batchSize) ids, got \(ids.count)")
        let streamLength = (ids.count - 1) / batchSize
        var states: [[Tensor]]? = nil
        var bits: Double = 0
        withoutGradients {
            for first in stride(from: 0, to: streamLength, by: 256) {
                let width = Swift.min(256, streamLength - first)
                let starts = (0..<batchSize).map { $0 * streamLength + first }
                let inputs = starts.flatMap { ids[$0..<($0 + width)] }
                let (logits, next) = run(Tensor(integers: inputs, shape: [batchSize, width]), states: states)
                bits += tokenBits(logits, targets: starts.flatMap { ids[($0 + 1)...($0 + width)] }).reduce(0, +)
                states = next
            }
        }
        return Float(bits / Double(batchSize * streamLength))
    }

    /// Feeds the prompt once, then one id at a time, carrying the state.
    public func sample(prompt: [Int], count: Int, temperature: Float, using generator: inout RandomGenerator) -> [Int] {
        precondition(!prompt.isEmpty, "sample: the prompt must hold at least one id")
        precondition(temperature >= 0, "sample: temperature must be at least 0, got \(temperature)")
        var ids = prompt
        withoutGradients {
            var (logits, states) = run(Tensor(integers: prompt, shape: [1, prompt.count]))
            for _ in 0..<count {
                ids.append(drawToken(lastLogits(logits), temperature: temperature, using: &generator))
                (logits, states) = run(Tensor(integers: [ids.last!], shape: [1, 1]), states: states)
            }
        }
        return ids
    }

    public var description: String {
        "RecurrentLanguageModel(vocabulary: \(vocabularySize), \(embedding), \(lstm)\(dropout.rate > 0 ? ", \(dropout)" : ""))"
    }
}

/// A decoder-only Transformer (GPT-style): token embedding plus learned positions, pre-norm
/// blocks with causal self-attention, a final LayerNorm and a linear read-out.
public final class TransformerLanguageModel: LanguageModel {
    public let embedding: Embedding
    public let positions: LearnedPositionalEncoding
    public let blocks: [any Layer]
    public let norm: LayerNorm
    public let head: Linear

    public init(vocabularySize: Int, context: Int, dim: Int = 128, heads: Int = 4, layers: Int = 3, dropout: Float = 0) {
        embedding = Embedding(vocabularySize, dim)
        positions = LearnedPositionalEncoding(maxLength: context, dim: dim)
        blocks = (0..<layers).map { _ in TransformerEncoderBlock(dim: dim, heads: heads, dropout: dropout, normFirst: true) }
        norm = LayerNorm([dim])
        head = Linear(dim, vocabularySize)
    }

    public var vocabularySize: Int { embedding.count }
    public var maxContext: Int? { positions.maxLength }

    public func callAsFunction(_ ids: Tensor) -> Tensor {
        var x = positions(embedding(ids))
        for block in blocks { x = (block as! TransformerEncoderBlock)(x, mask: nil, causal: true) }
        return head(norm(x))
    }

    public var description: String {
        "TransformerLanguageModel(vocabulary: \(vocabularySize), context: \(positions.maxLength), dim: \(positions.dim), layers: \(blocks.count))"
    }
}

extension LanguageModel {
    /// Mean next-token cross-entropy in bits of `targets` given `inputs` (both `[N, L]` ids).
    public func bitsPerToken(inputs: Tensor, targets: Tensor) -> Float {
        withoutGradients { Float(tokenBits(self(inputs), targets: targets.integers).reduce(0, +) / Double(targets.scalarCount)) }
    }

    /// Slides a window of `maxContext` (256 if unbounded) ids by half its length; each window
    /// scores only the ids the previous one did not, so past the first window every id is
    /// predicted from at least half a context.
    public func bitsPerToken(text ids: [Int], batchSize: Int) -> Float {
        let length = Swift.min(maxContext ?? 256, ids.count - 1)
        precondition(length > 0 && batchSize > 0, "bitsPerToken: need at least 2 ids and batchSize > 0")
        let hop = Swift.max(1, length / 2)
        var starts = Array(stride(from: 0, through: ids.count - 1 - length, by: hop))
        if starts.last! + length < ids.count - 1 { starts.append(ids.count - 1 - length) }
        var bits: Double = 0
        var scoredThrough = 0  // ids[1...scoredThrough] are scored
        withoutGradients {
            for group in stride(from: 0, to: starts.count, by: batchSize).map({ Array(starts[$0..<Swift.min($0 + batchSize, starts.count)]) }) {
                let logits = self(Tensor(integers: group.flatMap { ids[$0..<($0 + length)] }, shape: [group.count, length]))
                // Position j of a window predicts ids[start + j + 1].
                let windowBits = tokenBits(logits, targets: group.flatMap { ids[($0 + 1)...($0 + length)] })
                for (w, start) in group.enumerated() {
                    bits += windowBits[(w * length + scoredThrough - start)..<((w + 1) * length)].reduce(0, +)
                    scoredThrough = start + length
                }
            }
        }
        return Float(bits / Double(ids.count - 1))
    }

    /// Feeds the latest `maxContext` ids (all of them if unbounded) for every new id.
    public func sample(prompt: [Int], count: Int, temperature: Float, using generator: inout RandomGenerator) -> [Int] {
        precondition(!prompt.isEmpty, "sample: the prompt must hold at least one id")
        precondition(temperature >= 0, "sample: temperature must be at least 0, got \(temperature)")
        var ids = prompt
        withoutGradients {
            for _ in 0..<count {
                let context = maxContext.map { Array(ids.suffix($0)) } ?? ids
                let logits = self(Tensor(integers: context, shape: [1, context.count]))
                ids.append(drawToken(lastLogits(logits), temperature: temperature, using: &generator))
            }
        }
        return ids
    }
}

/// `-log2 softmax(logits)[target]` for each row of `logits` (`[..., vocabulary]`), one row per
/// target, from `crossEntropy`.
private func tokenBits(_ logits: Tensor, targets: [Int]) -> [Double] {
    let vocabulary = logits.shape[logits.rank - 1]
    precondition(logits.scalarCount == targets.count * vocabulary,
                 "bitsPerToken: logits \(logits.shape) do not match \(targets.count) targets")
    let nats = crossEntropy(logits: logits.reshaped(to: [targets.count, vocabulary]),
                            labels: Tensor(integers: targets, shape: [targets.count]), reduction: .none)
    return nats.scalars.map { Double($0) / Foundation.log(2.0) }
}

/// The logits of the last position of `[1, L, vocabulary]` logits.
private func lastLogits(_ logits: Tensor) -> [Float] {
    logits.sliced(along: 1, from: logits.shape[1] - 1).reshaped(to: [logits.shape[2]]).scalars
}

/// An id drawn from `softmax(logits / temperature)`; the most likely one at temperature 0.
private func drawToken(_ logits: [Float], temperature: Float, using generator: inout RandomGenerator) -> Int {
    if temperature == 0 { return logits.indices.max { logits[$0] < logits[$1] }! }
    let top = logits.max()!
    let weights = logits.map { Foundation.exp(Double($0 - top) / Double(temperature)) }
    var u = Double(generator.nextUnitFloat()) * weights.reduce(0, +)
    for (i, w) in weights.enumerated() {
        u -= w
        if u < 0 { return i }
    }
    return weights.count - 1
}
