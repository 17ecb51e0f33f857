import Foundation
import Layers
import TensorCore

/// An encoder-decoder with additive attention (Bahdanau et al., 2015): a bidirectional GRU reads
/// the source; a GRU decoder, fed its previous token and the previous context vector, attends
/// over the encoder's outputs at every step and predicts the next token from its state and the
/// new context.
///
/// Token ids: `padding` (0) pads sources and targets; targets start with `start` and end with
/// `end`. Shapes: sources `[N, S]` ids with `sourceLengths`; teacher-forced decoder inputs `[N, T]`
/// ids -> logits `[N, T, targetVocabulary]`.
public final class AttentionSeq2Seq: Layer {
    public let sourceEmbedding: Embedding, targetEmbedding: Embedding
    public let encoder: Bidirectional
    public let bridge: Linear
    public let decoder: GRUCell
    public let attention: AdditiveAttention
    public let readout: Linear
    public let hiddenSize: Int
    public let start: Int, end: Int

    public init(sourceVocabulary: Int, targetVocabulary: Int, embeddingDim: Int = 32, hiddenSize: Int = 128,
                start: Int = 1, end: Int = 2) {
        sourceEmbedding = Embedding(sourceVocabulary, embeddingDim, paddingIndex: 0)
        targetEmbedding = Embedding(targetVocabulary, embeddingDim, paddingIndex: 0)
        encoder = Bidirectional { GRU(embeddingDim, hiddenSize, returnSequences: true) }
        bridge = Linear(2 * hiddenSize, hiddenSize)
        decoder = GRUCell(embeddingDim + 2 * hiddenSize, hiddenSize)
        attention = AdditiveAttention(queryDim: hiddenSize, keyDim: 2 * hiddenSize, hidden: hiddenSize)
        readout = Linear(3 * hiddenSize, targetVocabulary)
        self.hiddenSize = hiddenSize
        self.start = start
        self.end = end
    }

    /// What the decoder attends over, for one batch of sources.
    public struct Memory {
        /// `[N, S, 2 * hidden]` encoder outputs, and their projection for attention.
        public let outputs: Tensor, projectedKeys: Tensor
        /// `[N, S]`, 1 on real source positions.
        public let mask: Tensor
        /// The decoder's first state, `[N, hidden]`.
        public let initialState: Tensor

        /// The same memory with each example repeated `times` (for beam search).
        func repeated(_ times: Int) -> Memory {
            func rep(_ t: Tensor) -> Tensor {
                let index = Tensor(integers: (0..<t.shape[0]).flatMap { Array(repeating: $0, count: times) })
                return t.selecting(along: 0, indices: index)
            }
            return Memory(outputs: rep(outputs), projectedKeys: rep(projectedKeys), mask: rep(mask), initialState: rep(initialState))
        }
    }

    public func encode(_ sources: Tensor, lengths: [Int]) -> Memory {
        require(sources.rank == 2 && lengths.count == sources.shape[0],
                     "AttentionSeq2Seq: sources \(sources.shape) should be [N, S] with N lengths, got \(lengths.count)")
        let run = encoder.run(sourceEmbedding(sources), lengths: lengths)
        let final = Tensor.concat([run.states[0][0], run.states[1][0]], along: 1)
        let mask = paddingMask(lengths: lengths, maxLength: sources.shape[1]).squeezed(at: 1)
        return Memory(outputs: run.output, projectedKeys: attention.keyProjection(run.output), mask: mask,
                      initialState: tanh(bridge(final)))
    }

    /// One decoder step: previous tokens `[N]` ids, state `[N, hidden]` and context
    /// `[N, 2 * hidden]` -> logits `[N, vocabulary]`, the new state and context.
    public func step(_ tokens: Tensor, state: Tensor, context: Tensor, memory: Memory)
        -> (logits: Tensor, state: Tensor, context: Tensor)
    {
        let input = Tensor.concat([targetEmbedding(tokens), context], along: 1)
        let h = decoder(input, state: [state])[0]
        let next = attention.attend(query: h, keys: memory.outputs, values: memory.outputs, mask: memory.mask,
                                    projectedKeys: memory.projectedKeys).context
        return (readout(Tensor.concat([h, next], along: 1)), h, next)
    }

    /// Teacher forcing: logits for every position of `decoderInputs` (`[N, T]`, starting with
    /// `start`), `[N, T, vocabulary]`.
    public func callAsFunction(_ sources: Tensor, lengths: [Int], decoderInputs: Tensor) -> Tensor {
        let memory = encode(sources, lengths: lengths)
        var state = memory.initialState
        var context = Tensor.zeros([sources.shape[0], 2 * hiddenSize])
        var logits: [Tensor] = []
        for t in 0..<decoderInputs.shape[1] {
            let tokens = decoderInputs.sliced(along: 1, from: t, to: t + 1).reshaped(to: [decoderInputs.shape[0]])
            let out = step(tokens, state: state, context: context, memory: memory)
            logits.append(out.logits)
            (state, context) = (out.state, out.context)
        }
        return Tensor.stack(logits, along: 1)
    }

    /// Greedy translations of unpadded sources `[N, S]`: ids `[N, S + 1]`, right-padded with 0.
    public func callAsFunction(_ sources: Tensor) -> Tensor {
        let length = sources.shape[1] + 1
        let decoded = greedyDecode(sources, lengths: Array(repeating: sources.shape[1], count: sources.shape[0]), maxLength: length)
        return Tensor(integers: decoded.flatMap { $0 + Array(repeating: 0, count: length - $0.count) }, shape: [decoded.count, length])
    }

    /// The most likely token at each step, for the whole batch at once, until every sequence has
    /// produced `end` or `maxLength` tokens; each result excludes `start` and `end`.
    public func greedyDecode(_ sources: Tensor, lengths: [Int], maxLength: Int) -> [[Int]] {
        withoutGradients {
            let n = sources.shape[0]
            let memory = encode(sources, lengths: lengths)
            var state = memory.initialState
            var context = Tensor.zeros([n, 2 * hiddenSize])
            var tokens = Array(repeating: start, count: n)
            var outputs = Array(repeating: [Int](), count: n)
            var finished = Array(repeating: false, count: n)
            for _ in 0..<maxLength {
                let out = step(Tensor(integers: tokens), state: state, context: context, memory: memory)
                (state, context) = (out.state, out.context)
                tokens = out.logits.argmax(along: 1).integers
                for i in 0..<n where !finished[i] {
                    if tokens[i] == end { finished[i] = true } else { outputs[i].append(tokens[i]) }
                }
                if finished.allSatisfy({ $0 }) { break }
            }
            return outputs
        }
    }

    /// Beam search for one source (`[S]` ids): keeps the `width` best partial sequences by total
    /// log-probability, a sequence finishing when it emits `end`; returns the finished sequence of
    /// highest log-probability (no length penalty), excluding `start` and `end`.
    public func beamSearch(_ source: [Int], width: Int, maxLength: Int) -> [Int] {
        require(width > 0, "beamSearch: width must be positive, got \(width)")
        return withoutGradients {
            let memory = encode(Tensor(integers: source, shape: [1, source.count]), lengths: [source.count]).repeated(width)
            struct Beam { var tokens: [Int]; var score: Double; var row: Int }
            var beams = [Beam(tokens: [], score: 0, row: 0)]
            var finished: [(tokens: [Int], score: Double)] = []
            var state = memory.initialState, context = Tensor.zeros([width, 2 * hiddenSize])
            for _ in 0..<maxLength {
                // Rows of the batch hold the live beams (the rest repeat beam 0 and are ignored).
                let last = (0..<width).map { $0 < beams.count ? (beams[$0].tokens.last ?? start) : start }
                let rows = Tensor(integers: (0..<width).map { $0 < beams.count ? beams[$0].row : 0 })
                let out = step(Tensor(integers: last), state: state.selecting(along: 0, indices: rows),
                               context: context.selecting(along: 0, indices: rows), memory: memory)
                let logProbabilities = logSoftmax(out.logits, along: 1).scalars
                let vocabulary = out.logits.shape[1]
                var candidates: [Beam] = []
                for (b, beam) in beams.enumerated() {
                    for token in 0..<vocabulary {
                        candidates.append(Beam(tokens: beam.tokens + [token],
                                               score: beam.score + Double(logProbabilities[b * vocabulary + token]), row: b))
                    }
                }
                candidates.sort { $0.score > $1.score }
                var next: [Beam] = []
                for candidate in candidates {
                    if candidate.tokens.last == end {
                        finished.append((Array(candidate.tokens.dropLast()), candidate.score))
                    } else {
                        next.append(candidate)
                    }
                    if next.count == width { break }
                }
                (state, context) = (out.state, out.context)
                beams = next
                if beams.isEmpty { break }
                // Scores only fall as sequences grow: once a finished one beats every live beam, stop.
                if let best = finished.map(\.score).max(), beams.allSatisfy({ $0.score < best }) { break }
            }
            return finished.max { $0.score < $1.score }?.tokens ?? beams.first?.tokens ?? []
        }
    }

    public var description: String {
        "AttentionSeq2Seq(source: \(sourceEmbedding.count), target: \(targetEmbedding.count), hidden: \(hiddenSize))"
    }
}

extension AttentionSeq2Seq: ConfigurableLayer {
    public static let typeName = "AttentionSeq2Seq"
    public var configuration: [String: any Sendable] {
        ["sourceVocabulary": sourceEmbedding.count, "targetVocabulary": targetEmbedding.count, "embeddingDim": sourceEmbedding.dimension,
         "hiddenSize": hiddenSize, "start": start, "end": end]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (source, target, embedding, hidden) = (
            try c.size("sourceVocabulary", of: t), try c.size("targetVocabulary", of: t), try c.size("embeddingDim", of: t),
            try c.size("hiddenSize", of: t))
        let (start, end) = (try c.size("start", of: t, minimum: 0, maximum: target - 1), try c.size("end", of: t, minimum: 0, maximum: target - 1))
        // Embeddings, the two encoder directions, bridge, decoder cell, attention and read-out.
        try LayerRegistry.reserve([[source + target, embedding], [2, 3, hidden, embedding + hidden + 2], [hidden, 2 * hidden + 1],
                                   [3, hidden, embedding + 3 * hidden + 2], [hidden, 3 * hidden + 2], [target, 3 * hidden + 1]], of: t)
        self.init(sourceVocabulary: source, targetVocabulary: target, embeddingDim: embedding, hiddenSize: hidden,
                  start: start, end: end)
    }
}
