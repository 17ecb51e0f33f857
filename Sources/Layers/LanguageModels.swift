import Foundation
import TensorCore

/// Next-token models over integer ids: `[N, L]` ids -> `[N, L, vocabulary]` logits, the logits
/// at position t depending only on ids 0...t.
public protocol LanguageModel: Layer {
    var vocabularySize: Int { get }
    /// The longest context the model takes (positions it has encodings for), nil if unbounded.
    var maxContext: Int? { get }
}

/// Embedding, stacked LSTM layers and a linear read-out (a char-RNN).
public final class RecurrentLanguageModel: LanguageModel {
    public let embedding: Embedding
    public let lstm: LSTM
    public let head: Linear

    public init(vocabularySize: Int, embeddingDim: Int = 64, hiddenSize: Int = 256, layers: Int = 1) {
        embedding = Embedding(vocabularySize, embeddingDim)
        lstm = LSTM(embeddingDim, hiddenSize, layers: layers, returnSequences: true)
        head = Linear(hiddenSize, vocabularySize)
    }

    public var vocabularySize: Int { embedding.count }
    public var maxContext: Int? { nil }

    public func callAsFunction(_ ids: Tensor) -> Tensor { head(lstm(embedding(ids))) }

    public var description: String {
        "RecurrentLanguageModel(vocabulary: \(vocabularySize), \(embedding), \(lstm))"
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
        withoutGradients {
            let logits = self(inputs)
            let flat = logits.reshaped(to: [logits.shape[0] * logits.shape[1], vocabularySize])
            return crossEntropy(logits: flat, labels: targets.reshaped(to: [targets.scalarCount])).scalar / Float(log(2.0))
        }
    }

    /// Continues `prompt` by `count` ids, each drawn from the softmax of the last logits divided by
    /// `temperature` (0 picks the most likely); the model sees at most `maxContext` (or
    /// `window`) of the latest ids.
    public func sample(prompt: [Int], count: Int, temperature: Float, window: Int = 256,
                       using generator: inout RandomGenerator) -> [Int] {
        precondition(!prompt.isEmpty, "sample: the prompt must hold at least one id")
        precondition(temperature >= 0, "sample: temperature must be at least 0, got \(temperature)")
        var ids = prompt
        let span = Swift.min(window, maxContext ?? window)
        withoutGradients {
            for _ in 0..<count {
                let context = Array(ids.suffix(span))
                let logits = self(Tensor(integers: context, shape: [1, context.count]))
                let last = logits.sliced(along: 1, from: context.count - 1).reshaped(to: [vocabularySize]).scalars
                if temperature == 0 {
                    ids.append(last.indices.max { last[$0] < last[$1] }!)
                    continue
                }
                let top = last.max()!
                let weights = last.map { Foundation.exp(Double($0 - top) / Double(temperature)) }
                var u = Double(generator.nextUnitFloat()) * weights.reduce(0, +)
                var pick = weights.count - 1
                for (i, w) in weights.enumerated() {
                    u -= w
                    if u < 0 { pick = i; break }
                }
                ids.append(pick)
            }
        }
        return ids
    }
}
