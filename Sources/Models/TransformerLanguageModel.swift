import Foundation
import Interop
import Layers
import TensorCore

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

extension TransformerLanguageModel: ConfigurableLayer {
    public static let typeName = "TransformerLanguageModel"
    public var configuration: [String: any Sendable] {
        let first = blocks.first as? TransformerEncoderBlock
        return ["vocabularySize": vocabularySize, "context": positions.maxLength, "dim": positions.dim,
                "heads": first?.attention.heads ?? 1, "layers": blocks.count, "dropout": Double(first?.dropout.rate ?? 0)]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (vocabulary, context, dim, heads, layers) = (
            try c.size("vocabularySize", of: t), try c.size("context", of: t), try c.size("dim", of: t),
            try c.size("heads", of: t), try c.size("layers", of: t, maximum: 1024))
        guard dim % heads == 0 else { throw LayerConfigurationError.invalidField(type: t, field: "heads", reason: "\(heads) does not divide dim \(dim)") }
        // Embedding and read-out, positions, and each block's attention and feed-forward weights (a lower bound).
        try LayerRegistry.reserve([[2, vocabulary, dim], [context, dim], [layers, 12, dim, dim]], of: t)
        self.init(vocabularySize: vocabulary, context: context, dim: dim, heads: heads, layers: layers,
                  dropout: try c.number("dropout", of: t, in: 0...1, openAbove: true))
    }
}

extension TransformerLanguageModel: ONNXExportable {
    /// Ids `[L]` (int64) per example -> logits `[L, vocabulary]`, the blocks causal.
    public func emitONNX(into graph: ONNXGraphBuilder, _ input: ONNXGraphBuilder.Value) throws -> ONNXGraphBuilder.Value {
        var x = try graph.emit(positions, graph.emit(embedding, input))
        for block in blocks { x = try graph.transformerBlock(block as! TransformerEncoderBlock, x, causal: true) }
        return try graph.emit(head, graph.emit(norm, x))
    }
}
