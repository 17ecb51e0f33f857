import Foundation
import Layers
import TensorCore

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
        require(batchSize > 0 && ids.count > batchSize, "bitsPerToken: need more than \(batchSize) ids, got \(ids.count)")
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
        require(!prompt.isEmpty, "sample: the prompt must hold at least one id")
        require(temperature >= 0, "sample: temperature must be at least 0, got \(temperature)")
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

extension RecurrentLanguageModel: ConfigurableLayer {
    public static let typeName = "RecurrentLanguageModel"
    public var configuration: [String: any Sendable] {
        ["vocabularySize": vocabularySize, "embeddingDim": embedding.dimension, "hiddenSize": lstm.hiddenSize,
         "layers": lstm.cells.count, "dropout": Double(dropout.rate)]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (vocabulary, embedding, hidden, layers) = (
            try c.size("vocabularySize", of: t), try c.size("embeddingDim", of: t), try c.size("hiddenSize", of: t),
            try c.size("layers", of: t, maximum: 1024))
        try LayerRegistry.reserve([[vocabulary, embedding], [4, hidden, embedding + hidden + 2],
                                   [layers - 1, 4, hidden, 2 * hidden + 2], [vocabulary, hidden + 1]], of: t)
        self.init(vocabularySize: vocabulary, embeddingDim: embedding, hiddenSize: hidden, layers: layers,
                  dropout: try c.number("dropout", of: t, in: 0...1, openAbove: true))
    }
}
